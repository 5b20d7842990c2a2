/**
 * The Lua scripts of the Redis engine's channels. Each runs atomically, so
 * "first subscriber", "first connection of a user", "last one" are decided
 * once for the whole cluster, by the script that saw the change.
 *
 * Keys of one channel (`<c>` = `<p>` + app id + `|` + channel name; `|` is
 * not a channel name character, so the split is unambiguous):
 * - `<c>:subs` hash node → subscriptions of that node;
 * - `<c>:users` hash `node|user_id` → connections of that user on that node;
 * - `<c>:info` hash user_id → user_info (JSON text).
 * `<p>pusher-chans:<app>` is a set of the app's occupied channels.
 * A node counts only while its node key (`<p>node:<id>`, the engine's
 * heartbeat) exists: fields of dead nodes are ignored, and deleted when seen.
 */

/** Shared Lua: the live subscription total of KEYS[1] (deleting dead nodes' fields); ARGV[1] is the node-key prefix. */
const LIVE_TOTAL = `
local function live_total()
  local total = 0
  local fields = redis.call('HGETALL', KEYS[1])
  for i = 1, #fields, 2 do
    if redis.call('EXISTS', ARGV[1] .. fields[i]) == 1 then
      total = total + tonumber(fields[i + 1])
    else
      redis.call('HDEL', KEYS[1], fields[i])
    end
  end
  return total
end
`;

/** Shared Lua: the live users of KEYS[2] as a set (deleting dead nodes' fields and their user_info when nobody is left). */
const LIVE_USERS = `
local function live_users()
  local users = {}
  local dead = {}
  local fields = redis.call('HGETALL', KEYS[2])
  for i = 1, #fields, 2 do
    local bar = string.find(fields[i], '|', 1, true)
    local node = string.sub(fields[i], 1, bar - 1)
    local user = string.sub(fields[i], bar + 1)
    if redis.call('EXISTS', ARGV[1] .. node) == 1 then
      users[user] = true
    else
      redis.call('HDEL', KEYS[2], fields[i])
      dead[user] = true
    end
  end
  for user in pairs(dead) do
    if not users[user] then redis.call('HDEL', KEYS[3], user) end
  end
  return users
end
`;

/**
 * Subscribe. KEYS: subs, users, info, app's channel set. ARGV: 1 node-key
 * prefix, 2 this node, 3 channel name, 4 user_id ('' when not presence),
 * 5 user_info, 6 max distinct users. Returns {status, occupied, first}:
 * status 0 refused (presence full), 1 subscribed; occupied 1 when the
 * channel had no live subscriber before; first 1 when this is the user's
 * first live connection.
 */
export const SUBSCRIBE = `${LIVE_TOTAL}${LIVE_USERS}
local before = live_total()
local first = 0
if ARGV[4] ~= '' then
  local users = live_users()
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
local occupied = 0
if before == 0 then occupied = 1 end
return {1, occupied, first}
`;

/**
 * Unsubscribe one connection. KEYS and ARGV as SUBSCRIBE (5 and 6 unused).
 * Returns {vacated, last}: vacated 1 when no live subscriber is left; last 1
 * when the user has no live connection left.
 */
export const UNSUBSCRIBE = `${LIVE_TOTAL}${LIVE_USERS}
local left = redis.call('HINCRBY', KEYS[1], ARGV[2], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[2]) end
local last = 0
if ARGV[4] ~= '' then
  local field = ARGV[2] .. '|' .. ARGV[4]
  local mine = redis.call('HINCRBY', KEYS[2], field, -1)
  if mine <= 0 then
    redis.call('HDEL', KEYS[2], field)
    local users = live_users()
    if not users[ARGV[4]] then
      last = 1
      redis.call('HDEL', KEYS[3], ARGV[4])
    end
  end
end
local vacated = 0
if live_total() == 0 then
  vacated = 1
  redis.call('SREM', KEYS[4], ARGV[3])
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
return {vacated, last}
`;

/**
 * One channel's live counts and members. KEYS: subs, users, info. ARGV: 1
 * node-key prefix. Returns {subscriptions, user_id, user_info, user_id, …}.
 */
export const CHANNEL_STATE = `${LIVE_TOTAL}${LIVE_USERS}
local answer = {live_total()}
for user in pairs(live_users()) do
  table.insert(answer, user)
  table.insert(answer, redis.call('HGET', KEYS[3], user) or 'null')
end
return answer
`;
