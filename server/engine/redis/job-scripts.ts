/**
 * The job directory's Lua scripts (see redis-job-directory.ts). Keys, under
 * brokerPrefix `<p>`: `<p>job:<key>:<job>` one job's entry, JSON
 * `{j,s,r,u,n,id}` (job, state, reason, updated, node, page uuid) with a TTL;
 * `<p>jobs:<key>` the set of a page's job names; `<p>njobs:<node>` the set of
 * `<key>\n<job>` a node's publishers run; `<p>jobnodes` the nodes that have
 * run jobs (the ones another node looks after when they die).
 */

/**
 * Claim a running job for this node. KEYS: entry, page set, this node's set,
 * jobnodes. ARGV: 1 entry JSON, 2 this node, 3 `<key>\n<job>`, 4 job name,
 * 5 ttl ms, 6 njobs prefix. Moves it out of a previous owner's set.
 */
export const JOB_CLAIM = `
local old = redis.call('GET', KEYS[1])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and prev.n ~= ARGV[2] then redis.call('SREM', ARGV[6] .. prev.n, ARGV[3]) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
return 1
`;

/**
 * End a job. KEYS: entry, page set. ARGV: 1 entry JSON, 2 if-owner ('*':
 * unconditionally; '': only if there is no entry; else only if running and
 * last claimed by that node), 3 `<key>\n<job>`, 4 job name, 5 ttl ms,
 * 6 njobs prefix. Returns 1 when it ended the job, 0 when the condition failed.
 */
export const JOB_END = `
local old = redis.call('GET', KEYS[1])
local prev = nil
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok then prev = decoded end
end
if ARGV[2] ~= '*' then
  if prev then
    if prev.s ~= 'running' or prev.n ~= ARGV[2] then return 0 end
  elseif ARGV[2] ~= '' then
    return 0
  end
end
if prev then redis.call('SREM', ARGV[6] .. prev.n, ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`;

/**
 * Adopt the jobs of a dead node, once. KEYS: jobnodes. ARGV: 1 the node,
 * 2 node-key prefix, 3 njobs prefix. Returns its `<key>\n<job>` members, or
 * false when the node is alive or another node adopted them first.
 */
export const JOB_ADOPT = `
if redis.call('EXISTS', ARGV[2] .. ARGV[1]) == 1 then return false end
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return false end
local members = redis.call('SMEMBERS', ARGV[3] .. ARGV[1])
redis.call('DEL', ARGV[3] .. ARGV[1])
return members
`;
