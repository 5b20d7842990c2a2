/**
 * The Redis engine's Lua scripts. Each runs atomically in Redis, so a page's
 * message is numbered, kept and handed to its holder in one step: no other
 * client sees the log between the append and the PUBLISH.
 *
 * Keys of one page (`<p>` is brokerPrefix): `<p>meta:<key>` a hash (epoch,
 * seq, bytes of the stream, pbytes of the progress), `<p>log:<key>` a stream
 * whose entry ids are `<seq>-1` (fields t: text, a: appended at, ms),
 * `<p>prog:<key>` job → latest text, `<p>progz:<key>` job by seq.
 */

/** Drops stream entries older than the cutoff (ARGV[CUT] = now - ageMs), counting them in `aged`; KEYS[1] meta, KEYS[2] log. */
const AGE_TRIM = (cutArg: number): string => `
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
local cutoff = tonumber(ARGV[${cutArg}])
local aged = 0
while true do
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  if not first or tonumber(first[2][4]) >= cutoff then break end
  bytes = bytes - #first[2][2]
  redis.call('XDEL', KEYS[2], first[1])
  aged = aged + 1
end
redis.call('HSET', KEYS[1], 'bytes', bytes)
`;

/**
 * Publish to a uuid key. KEYS: owner, meta, log, prog, progz. ARGV: 1 node-key
 * prefix, 2 this node, 3 channel prefix, 4 envelope header, 5 the message
 * after its opening brace, 6 has job, 7 job, 8 now, 9 count, 10 bytes, 11 ttl
 * ms, 12 publish ('0': append only), 13 '1' when the object is empty. A page's
 * text is `{"seq":N,` + the rest; anyone else's is the message. Returns {code, seq, epoch, dropped}: 0 nobody holds it, 1 held
 * in the log (no live holder), 2 handed to the holder's channel, 3 the holder
 * is this node; dropped: older entries the count/size limits pushed out.
 */
export const PUBLISH_UUID = `
local owner = redis.call('GET', KEYS[1])
local seq = 0
local epoch = ''
local body = '{' .. ARGV[5]
local logged = redis.call('EXISTS', KEYS[2]) == 1
local dropped = 0
if logged then
  seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  epoch = redis.call('HGET', KEYS[2], 'epoch')
  if ARGV[13] == '1' then body = '{"seq":' .. seq .. ARGV[5] else body = '{"seq":' .. seq .. ',' .. ARGV[5] end
  local count = tonumber(ARGV[9])
  local maxBytes = tonumber(ARGV[10])
  local size = string.len(body)
  if count > 0 and maxBytes > 0 and size <= maxBytes then
    local bytes = tonumber(redis.call('HGET', KEYS[2], 'bytes') or '0')
    local len = redis.call('XLEN', KEYS[3])
    while len > 0 and (len >= count or bytes + size > maxBytes) do
      local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1]
      bytes = bytes - string.len(first[2][2])
      redis.call('XDEL', KEYS[3], first[1])
      len = len - 1
      dropped = dropped + 1
    end
    redis.call('XADD', KEYS[3], 'MAXLEN', count, seq .. '-1', 't', body, 'a', ARGV[8])
    redis.call('HSET', KEYS[2], 'bytes', bytes + size)
  else
    -- Over the limits on its own: like the memory log, nothing older is kept either.
    dropped = redis.call('XLEN', KEYS[3])
    redis.call('DEL', KEYS[3])
    redis.call('HSET', KEYS[2], 'bytes', 0)
  end
  if ARGV[6] == '1' then
    local job = ARGV[7]
    local pbytes = tonumber(redis.call('HGET', KEYS[2], 'pbytes') or '0')
    local old = redis.call('HGET', KEYS[4], job)
    if old then
      pbytes = pbytes - string.len(old)
      redis.call('HDEL', KEYS[4], job)
      redis.call('ZREM', KEYS[5], job)
    end
    if size <= maxBytes then
      while redis.call('ZCARD', KEYS[5]) > 0 and (redis.call('ZCARD', KEYS[5]) >= 100 or pbytes + size > maxBytes) do
        local oldest = redis.call('ZPOPMIN', KEYS[5])
        local text = redis.call('HGET', KEYS[4], oldest[1])
        if text then pbytes = pbytes - string.len(text) end
        redis.call('HDEL', KEYS[4], oldest[1])
      end
      redis.call('HSET', KEYS[4], job, body)
      redis.call('ZADD', KEYS[5], seq, job)
      pbytes = pbytes + size
    end
    redis.call('HSET', KEYS[2], 'pbytes', pbytes)
  end
  for i = 2, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[11]) end
end
if not owner or redis.call('EXISTS', ARGV[1] .. owner) == 0 then
  if logged then return {1, seq, epoch, dropped} end
  return {0, 0, '', 0}
end
if owner == ARGV[2] then return {3, seq, epoch, dropped} end
if ARGV[12] == '1' then
  local n = redis.call('PUBLISH', ARGV[3] .. owner, ARGV[4] .. seq .. '|' .. epoch .. '\\n' .. body)
  if n == 0 then
    if logged then return {1, seq, epoch, dropped} end
    return {0, 0, '', 0}
  end
end
return {2, seq, epoch, dropped}
`;

/**
 * Publish several messages to uuid keys in one step, in order, each as
 * PUBLISH_UUID would: numbered, kept, trimmed and handed to its holder. What
 * a page's messages share is read and written once per call — the log's
 * meta (seq, epoch, bytes), its length, its TTLs, the holder — and each
 * holder node gets one PUBLISH, a `D` envelope with its messages in their
 * order (envelope.ts). KEYS: 5 per message (owner, meta, log, prog, progz).
 * ARGV: 1 node-key prefix, 2 this node, 3 channel prefix, 4 now, 5 count, 6
 * bytes, 7 ttl ms; then 5 per message: its entry header (`<id>|u|<name>|`),
 * the message after its opening brace, its job ('0' none, or '1' .. job),
 * '1' when the object is empty, the UTF-16 length of the message after its
 * brace. Returns {code, seq, dropped} per message, codes as PUBLISH_UUID's.
 */
export const PUBLISH_UUIDS = `
local count = tonumber(ARGV[5])
local maxBytes = tonumber(ARGV[6])
local pages = {}
local touched = {}
local alive = {}
local function page(k)
  local p = pages[KEYS[k + 2]]
  if p then return p end
  p = {meta = KEYS[k + 2], log = KEYS[k + 3], prog = KEYS[k + 4], progz = KEYS[k + 5], logged = false, epoch = ''}
  if redis.call('EXISTS', p.meta) == 1 then
    local m = redis.call('HMGET', p.meta, 'seq', 'epoch', 'bytes', 'pbytes')
    p.logged = true
    p.seq = tonumber(m[1] or '0')
    p.epoch = m[2]
    p.bytes = tonumber(m[3] or '0')
    p.pbytes = tonumber(m[4] or '0')
    p.progress = false
    p.len = redis.call('XLEN', p.log)
    touched[#touched + 1] = p
  end
  local owner = redis.call('GET', KEYS[k + 1])
  if owner then
    if alive[owner] == nil then alive[owner] = redis.call('EXISTS', ARGV[1] .. owner) == 1 end
    if not alive[owner] then owner = false end
  end
  p.owner = owner
  pages[p.meta] = p
  return p
end
local out = {}
local entries = {}
local which = {}
local holders = {}
for i = 0, #KEYS / 5 - 1 do
  local a = 7 + i * 5
  local p = page(i * 5)
  local after = ARGV[a + 2]
  local seq = 0
  local dropped = 0
  local body = '{' .. after
  if p.logged then
    p.seq = p.seq + 1
    seq = p.seq
    if ARGV[a + 4] == '1' then body = '{"seq":' .. seq .. after else body = '{"seq":' .. seq .. ',' .. after end
    local size = string.len(body)
    if count > 0 and maxBytes > 0 and size <= maxBytes then
      while p.len > 0 and (p.len >= count or p.bytes + size > maxBytes) do
        local first = redis.call('XRANGE', p.log, '-', '+', 'COUNT', 1)[1]
        p.bytes = p.bytes - string.len(first[2][2])
        redis.call('XDEL', p.log, first[1])
        p.len = p.len - 1
        dropped = dropped + 1
      end
      redis.call('XADD', p.log, 'MAXLEN', count, seq .. '-1', 't', body, 'a', ARGV[4])
      p.len = p.len + 1
      p.bytes = p.bytes + size
    else
      -- Over the limits on its own: like the memory log, nothing older is kept either.
      dropped = p.len
      redis.call('DEL', p.log)
      p.len = 0
      p.bytes = 0
    end
    local job = ARGV[a + 3]
    if string.sub(job, 1, 1) == '1' then
      job = string.sub(job, 2)
      p.progress = true
      local old = redis.call('HGET', p.prog, job)
      if old then
        p.pbytes = p.pbytes - string.len(old)
        redis.call('HDEL', p.prog, job)
        redis.call('ZREM', p.progz, job)
      end
      if size <= maxBytes then
        while redis.call('ZCARD', p.progz) > 0 and (redis.call('ZCARD', p.progz) >= 100 or p.pbytes + size > maxBytes) do
          local oldest = redis.call('ZPOPMIN', p.progz)
          local text = redis.call('HGET', p.prog, oldest[1])
          if text then p.pbytes = p.pbytes - string.len(text) end
          redis.call('HDEL', p.prog, oldest[1])
        end
        redis.call('HSET', p.prog, job, body)
        redis.call('ZADD', p.progz, seq, job)
        p.pbytes = p.pbytes + size
      end
    end
  end
  local code = 0
  local owner = p.owner
  if not owner then
    if seq > 0 then code = 1 end
  elseif owner == ARGV[2] then
    code = 3
  else
    code = 2
    if not entries[owner] then
      entries[owner] = {}
      which[owner] = {}
      holders[#holders + 1] = owner
    end
    local length = tonumber(ARGV[a + 5]) + string.len(body) - string.len(after)
    table.insert(entries[owner], ARGV[a + 1] .. seq .. '|' .. p.epoch .. '|' .. length .. '\\n' .. body)
    table.insert(which[owner], i)
  end
  out[i * 3 + 1] = code
  out[i * 3 + 2] = seq
  out[i * 3 + 3] = dropped
end
for _, p in ipairs(touched) do
  redis.call('HSET', p.meta, 'seq', p.seq, 'bytes', p.bytes)
  if p.progress then redis.call('HSET', p.meta, 'pbytes', p.pbytes) end
  redis.call('PEXPIRE', p.meta, ARGV[7])
  redis.call('PEXPIRE', p.log, ARGV[7])
  redis.call('PEXPIRE', p.prog, ARGV[7])
  redis.call('PEXPIRE', p.progz, ARGV[7])
end
for _, owner in ipairs(holders) do
  local list = entries[owner]
  local n = redis.call('PUBLISH', ARGV[3] .. owner, 'D|' .. ARGV[2] .. '|' .. #list .. '\\n' .. table.concat(list))
  if n == 0 then
    for _, i in ipairs(which[owner]) do
      if out[i * 3 + 2] > 0 then out[i * 3 + 1] = 1 else out[i * 3 + 1] = 0 end
    end
  end
end
return out
`;

/** Publish to an Ident. KEYS: owner. ARGV: 1 node-key prefix, 2 this node, 3 channel prefix, 4 header, 5 message. Codes as PUBLISH_UUID. */
export const PUBLISH_IDENT = `
local owner = redis.call('GET', KEYS[1])
if not owner or redis.call('EXISTS', ARGV[1] .. owner) == 0 then return 0 end
if owner == ARGV[2] then return 3 end
local n = redis.call('PUBLISH', ARGV[3] .. owner, ARGV[4] .. '0|\\n' .. ARGV[5])
if n == 0 then return 0 end
return 2
`;

/** The holder of a name if it is alive. KEYS: owner. ARGV: 1 node-key prefix. */
export const HOLDER = `
local owner = redis.call('GET', KEYS[1])
if not owner or redis.call('EXISTS', ARGV[1] .. owner) == 0 then return false end
return owner
`;

/**
 * Renew this node's hold of a name. KEYS: owner. ARGV: 1 this node, 2 ttl ms.
 * Returns 1 renewed; 2 it was gone (expired, or Redis restarted empty) and
 * is held again; 0 another node holds it now, which is left alone (the
 * newest holder wins).
 */
export const RENEW = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if owner then return 1 end
return 2
`;

/** Release a name only if this node still holds it. KEYS: owner. ARGV: 1 this node. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/**
 * Make a page's log unless it exists (a new page, a lost log, or the
 * restore of an attached page's numbering after Redis came back empty).
 * KEYS: meta, log, prog, progz. ARGV: 1 epoch, 2 seq, 3 ttl ms. Returns 1 when made.
 */
export const CREATE_LOG = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', ARGV[2], 'bytes', 0, 'pbytes', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * What follows a position. KEYS: meta, log. ARGV: 1 from seq, 2 epoch ('' any),
 * 3 age cutoff (now - ageMs). Returns {0} without a log; {1, epoch, seq, aged} when
 * the gap cannot be filled; {2, epoch, seq, aged, text…} with every entry after it
 * (aged: entries the age cutoff dropped on the way).
 */
export const READ_SINCE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
${AGE_TRIM(3)}
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
local epoch = meta[1]
local seq = tonumber(meta[2])
local from = tonumber(ARGV[1])
if (ARGV[2] ~= '' and ARGV[2] ~= epoch) or from > seq then return {1, epoch, seq, aged} end
if from == seq then return {2, epoch, seq, aged} end
local entries = redis.call('XRANGE', KEYS[2], (from + 1) .. '-1', '+')
if #entries == 0 or entries[1][1] ~= (from + 1) .. '-1' then return {1, epoch, seq, aged} end
local out = {2, epoch, seq, aged}
for _, entry in ipairs(entries) do out[#out + 1] = entry[2][2] end
return out
`;

/** Trim a page's log by age. KEYS: meta, log. ARGV: 1 age cutoff. Returns how many entries it dropped. */
export const TRIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${AGE_TRIM(1)}
return aged
`;

/** The latest progress message of each job, oldest first. KEYS: prog, progz. Returns {seq, text, seq, text…}. */
export const LATEST_PROGRESS = `
local jobs = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #jobs, 2 do
  local text = redis.call('HGET', KEYS[1], jobs[i])
  if text then
    out[#out + 1] = tonumber(jobs[i + 1])
    out[#out + 1] = text
  end
end
return out
`;
