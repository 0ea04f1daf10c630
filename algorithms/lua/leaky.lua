-- Leaky bucket as a meter (policing): a queue of depth `capacity` that
-- drains at limit/window; a request that would overflow it is rejected.
-- The level is kept in units of 1/window of a request, so that it drains
-- `limit` units per microsecond and all arithmetic stays in integers.
-- KEYS[1] hash {level, ts}
-- ARGV: now_us|'', limit, window_us, capacity, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local key = KEYS[1]

local depth = capacity * window
local need = cost * window
local level = 0
-- The drain is counted up to stamp, never beyond: a clock that steps back
-- (client clocks, several generators) must not drain the same time twice.
local stamp = now
local state = redis.call('HMGET', key, 'level', 'ts')
if state[1] and state[2] then
  stamp = math.max(now, tonumber(state[2]))
  level = math.max(0, tonumber(state[1]) - (stamp - tonumber(state[2])) * limit)
end

local function drain_time(units)
  return math.max(0, math.ceil(units / limit))
end

-- How far the stored state is ahead of now when the clock stepped back; the
-- waits are counted from now.
local ahead = stamp - now

if cost > capacity then
  return {0, math.floor((depth - level) / window), -1, ahead + drain_time(level), now}
end
if level + need > depth then
  return {0, math.floor((depth - level) / window), ahead + drain_time(level + need - depth), ahead + drain_time(level), now}
end
level = level + need
redis.call('HSET', key, 'level', level, 'ts', stamp)
-- A missing key reads as an empty queue, so it may go once the queue drains.
redis.call('PEXPIRE', key, ttl_ms(ahead + drain_time(level)))
return {1, math.floor((depth - level) / window), 0, ahead + drain_time(level), now}
