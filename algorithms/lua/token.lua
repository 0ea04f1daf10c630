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
local state = redis.call('HMGET', key, 'tokens', 'ts')
if state[1] and state[2] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(full, tonumber(state[1]) + elapsed * limit)
end

local function refill_time(units)
  return math.ceil(units / limit)
end

if cost > capacity then
  return {0, math.floor(tokens / window), -1, refill_time(full - tokens), now}
end
if tokens < need then
  -- A rejection changes nothing: the refill is a function of time alone.
  return {0, math.floor(tokens / window), refill_time(need - tokens), refill_time(full - tokens), now}
end
tokens = tokens - need
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
-- A missing key reads as a full bucket, so it may go once the bucket is full.
redis.call('PEXPIRE', key, ttl_ms(refill_time(full - tokens)))
return {1, math.floor(tokens / window), 0, refill_time(full - tokens), now}
