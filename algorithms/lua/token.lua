-- Token bucket: holds up to `capacity` tokens, refilled at limit/window.
-- Tokens are kept in units of 1/window of a token, so that refill is
-- `limit` units per microsecond and all arithmetic stays in integers.
-- KEYS[1] hash {tokens, ts}
-- ARGV: now_us|'', limit, window_us, capacity, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local key = KEYS[1]

local full = capacity * window
local need = cost * window
local tokens = full
-- The refill is counted up to stamp, never beyond: a clock that steps back
-- (client clocks, several generators) must not earn the same refill twice.
local stamp = now
local state = redis.call('HMGET', key, 'tokens', 'ts')
if state[1] and state[2] then
  stamp = math.max(now, tonumber(state[2]))
  tokens = math.min(full, tonumber(state[1]) + (stamp - tonumber(state[2])) * limit)
end

local function refill_time(units)
  return math.ceil(units / limit)
end

-- How far the stored state is ahead of now when the clock stepped back; the
-- waits are counted from now.
local ahead = stamp - now

if cost > capacity then
  return {0, math.floor(tokens / window), -1, ahead + refill_time(full - tokens), now}
end
if tokens < need then
  -- A rejection changes nothing: the refill is a function of time alone.
  return {0, math.floor(tokens / window), ahead + refill_time(need - tokens), ahead + refill_time(full - tokens), now}
end
tokens = tokens - need
redis.call('HSET', key, 'tokens', tokens, 'ts', stamp)
-- A missing key reads as a full bucket, so it may go once the bucket is full.
redis.call('PEXPIRE', key, ttl_ms(ahead + refill_time(full - tokens)))
return {1, math.floor(tokens / window), 0, ahead + refill_time(full - tokens), now}
