-- Fixed window: at most `limit` per epoch-aligned window.
-- KEYS[1] key prefix (the window's start is appended)
-- ARGV: now_us|'', limit, window_us, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])

local start = now - (now % window)
-- string.format, not tostring: tostring prints 1e14 and up as 1.7672256e+14,
-- which would give ten consecutive windows one key.
local key = KEYS[1] .. ':' .. string.format('%d', math.floor(now / window))
local to_end = start + window - now
local count = tonumber(redis.call('GET', key) or '0')

if cost > limit then
  local reset = 0
  if count > 0 then reset = to_end end
  return {0, math.max(0, limit - count), -1, reset, now}
end
if count + cost > limit then
  return {0, math.max(0, limit - count), to_end, to_end, now}
end
count = redis.call('INCRBY', key, cost)
-- The key matters until its window ends; the next window has its own key.
redis.call('PEXPIRE', key, ttl_ms(to_end))
return {1, limit - count, 0, to_end, now}
