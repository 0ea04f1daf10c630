-- Token bucket: holds up to `capacity` tokens, refilled at limit/window.
-- Tokens are a whole count and a fraction in units of 1/window of a token
-- (0 <= frac < window), so that refill is `limit` units per microsecond
-- and every number stays exact (see mul_div_mod).
-- KEYS[1] hash {tokens, frac, ts}
-- ARGV: now_us|'', limit, window_us, capacity, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local key = KEYS[1]

local tokens, frac, stamp = capacity, 0, now
local stored, stored_frac, at, whole, part = read_bucket(key, 'tokens', now, limit, window)
if stored then
  tokens, frac, stamp = stored, stored_frac, at
  if whole >= capacity - tokens then
    tokens, frac = capacity, 0
  else
    tokens, frac = tokens + whole, frac + part
    if frac >= window then
      tokens, frac = tokens + 1, frac - window
    end
    if tokens >= capacity then
      tokens, frac = capacity, 0
    end
  end
end

-- How far the stored state is ahead of now when the clock stepped back; the
-- waits are counted from now.
local ahead = stamp - now

-- until_holds is how long until the bucket holds n tokens (n >= tokens).
local function until_holds(n)
  if tokens >= n then
    return ahead
  end
  return math.min(MAX_WHOLE, ahead + units_time(n - tokens, -frac, window, limit))
end

if cost > capacity then
  return {0, tokens, -1, until_holds(capacity), now}
end
if tokens < cost then
  -- A rejection changes nothing: the refill is a function of time alone.
  return {0, tokens, until_holds(cost), until_holds(capacity), now}
end
tokens = tokens - cost
redis.call('HSET', key, 'tokens', tokens, 'frac', frac, 'ts', stamp)
local full = until_holds(capacity)
-- A missing key reads as a full bucket, so it may go once the bucket is full.
redis.call('PEXPIRE', key, ttl_ms(full))
return {1, tokens, 0, full, now}
