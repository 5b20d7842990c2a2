/**
 * The Lua scripts of the Redis engine's channels. Each runs atomically, so
 * "first subscriber", "first connection of a user", "last one" are decided
 * once for the whole cluster, by the script that saw the change.
 *
 * Keys of one channel (`<c>` = `<p>pusher:` + app id + `|` + channel name;
 * `|` is in neither, so the split is unambiguous):
 * - `<c>:subs` hash node → subscriptions of that node;
 * - `<c>:users` hash `node|user_id` → connections of that user on that node;
 * - `<c>:info` hash user_id → user_info (JSON text).
 * `<p>pusher-chans:<app>` is a set of the app's occupied channels.
 * `<p>pusher-nodes` is the set of nodes with entries, `<p>pusher-node:<id>`
 * the set of `app|channel` a node has entries in, `<p>pusher-reaped:<id>`
 * says (for an hour) that other nodes removed that node's entries.
 *
 * A node is alive while its node key (`<p>node:<id>`, the engine's
 * heartbeat) exists. Queries count live nodes only; the transitions
 * (occupied, first, last, vacated) count every entry until it is reaped, so
 * that the reaper, which removes a dead node's entries, is the one place
 * that reports what the dead node's connections leaving changed.
 */

/** Shared Lua: helpers over one channel's keys (subs, users, info given as arguments). */
const CHANNEL_HELPERS = `
local function split_user(field)
  local bar = string.find(field, '|', 1, true)
  return string.sub(field, 1, bar - 1), string.sub(field, bar + 1)
end
local function total_of(subs)
  local total = 0
  for _, count in ipairs(redis.call('HVALS', subs)) do total = total + tonumber(count) end
  return total
end
local function users_of(users)
  local found = {}
  for _, field in ipairs(redis.call('HKEYS', users)) do
    local _, user = split_user(field)
    found[user] = true
  end
  return found
end
`;

/**
 * Shared Lua: remove node `node`'s entries from one channel (entry
 * `app|channel`; p is the key prefix). Returns app, channel, vacated (0/1),
 * the number of users gone, and those users (no entry left on any node).
 */
const LEAVE_ENTRY = `
local function leave_entry(p, node, entry)
  local app, channel = string.match(entry, '^(.*)|([^|]*)$')
  local base = p .. 'pusher:' .. entry
  local subs, users, info = base .. ':subs', base .. ':users', base .. ':info'
  redis.call('HDEL', subs, node)
  local gone, kept = {}, {}
  for _, field in ipairs(redis.call('HKEYS', users)) do
    local owner, user = split_user(field)
    if owner == node then
      redis.call('HDEL', users, field)
      gone[user] = true
    else
      kept[user] = true
    end
  end
  local removed = {}
  for user in pairs(gone) do
    if not kept[user] then
      redis.call('HDEL', info, user)
      table.insert(removed, user)
    end
  end
  table.sort(removed)
  local vacated = 0
  if total_of(subs) == 0 then
    vacated = 1
    redis.call('SREM', p .. 'pusher-chans:' .. app, channel)
    redis.call('DEL', subs, users, info)
  end
  local out = {app, channel, vacated, #removed}
  for _, user in ipairs(removed) do table.insert(out, user) end
  return out
end
`;

/**
 * Subscribe. KEYS: subs, users, info, app's channel set, this node's
 * entries, the nodes set. ARGV: 1 node-key prefix, 2 this node, 3 channel
 * name, 4 user_id ('' when not presence), 5 user_info, 6 max distinct
 * users, 7 `app|channel`, 8 node key TTL ms. Returns {status, occupied,
 * first}: status 0 refused (presence full), 1 subscribed; occupied 1 when
 * the channel had no subscriber before; first 1 when this is the user's
 * first connection.
 */
export const SUBSCRIBE = `${CHANNEL_HELPERS}
local before = total_of(KEYS[1])
local first = 0
if ARGV[4] ~= '' then
  local users = users_of(KEYS[2])
  if not users[ARGV[4]] then
    local count = 0
    for _ in pairs(users) do count = count + 1 end
    if count >= tonumber(ARGV[6]) then return {0, 0, 0} end
    first = 1
  end
  redis.call('HINCRBY', KEYS[2], ARGV[2] .. '|' .. ARGV[4], 1)
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[7])
redis.call('SADD', KEYS[6], ARGV[2])
-- Alive by now, whatever the heartbeat's connection did: no reaper may take this entry for a dead node's.
redis.call('SET', ARGV[1] .. ARGV[2], '1', 'PX', ARGV[8], 'NX')
local occupied = 0
if before == 0 then occupied = 1 end
return {1, occupied, first}
`;

/**
 * Unsubscribe one connection. KEYS and ARGV as SUBSCRIBE (5, 6 and 8
 * unused). Returns {vacated, last}: vacated 1 when no subscriber is left;
 * last 1 when the user has no connection left.
 */
export const UNSUBSCRIBE = `${CHANNEL_HELPERS}
local left = redis.call('HINCRBY', KEYS[1], ARGV[2], -1)
if left <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('SREM', KEYS[5], ARGV[7])
end
local last = 0
if ARGV[4] ~= '' then
  local field = ARGV[2] .. '|' .. ARGV[4]
  local mine = redis.call('HINCRBY', KEYS[2], field, -1)
  if mine <= 0 then
    redis.call('HDEL', KEYS[2], field)
    if not users_of(KEYS[2])[ARGV[4]] then
      last = 1
      redis.call('HDEL', KEYS[3], ARGV[4])
    end
  end
end
local vacated = 0
if total_of(KEYS[1]) == 0 then
  vacated = 1
  redis.call('SREM', KEYS[4], ARGV[3])
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
return {vacated, last}
`;

/**
 * One channel's live counts and members (nodes whose node key is gone are
 * left out, reaped or not). KEYS: subs, users, info. ARGV: 1 node-key
 * prefix. Returns {subscriptions, user_id, user_info, user_id, …}.
 */
export const CHANNEL_STATE = `${CHANNEL_HELPERS}
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[1] .. fields[i]) == 1 then total = total + tonumber(fields[i + 1]) end
end
local answer = {total}
local seen = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  local node, user = split_user(field)
  if not seen[user] and redis.call('EXISTS', ARGV[1] .. node) == 1 then
    seen[user] = true
    table.insert(answer, user)
    table.insert(answer, redis.call('HGET', KEYS[3], user) or 'null')
  end
end
return answer
`;

/**
 * The reaper's look: KEYS: the nodes set, this node's reaped mark. ARGV: 1
 * node-key prefix, 2 this node. Returns {reaped (0/1: other nodes removed
 * this node's entries), the other nodes with entries whose node key is gone…}.
 */
export const DEAD_NODES = `
local out = {redis.call('EXISTS', KEYS[2])}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if node ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. node) == 0 then table.insert(out, node) end
end
return out
`;

/**
 * Remove up to ARGV[4] channels' worth of a dead node's entries; each entry
 * is taken (SPOP) and removed in this one script, so exactly one node
 * reports what it changed. KEYS: none (the keys are the dead node's).
 * ARGV: 1 key prefix, 2 node-key prefix, 3 the dead node, 4 batch.
 * Returns {status, leave_entry's answers…}: status 0 the node is alive
 * (nothing done), 1 it has nothing left, 2 call again.
 */
export const REAP = `${CHANNEL_HELPERS}${LEAVE_ENTRY}
local p, node = ARGV[1], ARGV[3]
if redis.call('EXISTS', ARGV[2] .. node) == 1 then return {0} end
redis.call('SET', p .. 'pusher-reaped:' .. node, '1', 'EX', 3600)
local set = p .. 'pusher-node:' .. node
local out = {2}
for _, entry in ipairs(redis.call('SPOP', set, tonumber(ARGV[4]))) do
  for _, value in ipairs(leave_entry(p, node, entry)) do table.insert(out, value) end
end
if redis.call('SCARD', set) == 0 then
  redis.call('SREM', p .. 'pusher-nodes', node)
  out[1] = 1
end
return out
`;

/**
 * A live node removes its own entries in channels where it has no
 * connection any more (an unsubscribe that failed while Redis was away).
 * ARGV: 1 key prefix, 2 this node, 3… the `app|channel` entries. Returns
 * leave_entry's answers, one after the other.
 */
export const LEAVE = `${CHANNEL_HELPERS}${LEAVE_ENTRY}
local out = {}
for i = 3, #ARGV do
  redis.call('SREM', ARGV[1] .. 'pusher-node:' .. ARGV[2], ARGV[i])
  for _, value in ipairs(leave_entry(ARGV[1], ARGV[2], ARGV[i])) do table.insert(out, value) end
end
return out
`;

/**
 * Start announcing this node's entries again (after a reconnect: Redis may
 * have restarted empty, or other nodes may have reaped this node while it
 * was cut off). KEYS: the nodes set, this node's reaped mark, this node's
 * entries. ARGV: 1 node key, 2 this node, 3 node key TTL ms. Returns
 * {reaped (0/1), this node's entries…}.
 */
export const ANNOUNCE_BEGIN = `
redis.call('SET', ARGV[1], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[1], ARGV[2])
local out = {redis.call('DEL', KEYS[2])}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[3])) do table.insert(out, entry) end
return out
`;

/**
 * Set this node's share of one channel to what it holds (absolute, so it
 * can be run again safely). KEYS: subs, users, info, app's channel set,
 * this node's entries. ARGV: 1 this node, 2 channel name, 3 `app|channel`,
 * 4 subscriptions, then user_id, connections, user_info for each member.
 * Returns {occupied, users added…, '', users removed…}: occupied 1 when
 * the channel had no subscriber before; added users had no entry before;
 * removed users were this node's only and it holds them no more.
 */
export const ANNOUNCE = `${CHANNEL_HELPERS}
local node = ARGV[1]
local before = total_of(KEYS[1])
local had = users_of(KEYS[2])
redis.call('HSET', KEYS[1], node, ARGV[4])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('SADD', KEYS[5], ARGV[3])
local held = {}
local out = {0}
if before == 0 then out[1] = 1 end
for i = 5, #ARGV, 3 do
  held[ARGV[i]] = true
  redis.call('HSET', KEYS[2], node .. '|' .. ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  if not had[ARGV[i]] then table.insert(out, ARGV[i]) end
end
table.insert(out, '')
local gone = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  local owner, user = split_user(field)
  if owner == node and not held[user] then
    redis.call('HDEL', KEYS[2], field)
    gone[user] = true
  end
end
local others = users_of(KEYS[2])
for user in pairs(gone) do
  if not others[user] then
    redis.call('HDEL', KEYS[3], user)
    table.insert(out, user)
  end
end
return out
`;
