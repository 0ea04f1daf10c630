-- Sliding-window log: at most `limit` admissions in any window (now-window, now].
-- KEYS[1] sorted set of admissions, scored by time in microseconds
-- ARGV: now_us|'', limit, window_us, cost, nonce (unique per call)
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local key = KEYS[1]

-- The log decides at `at`: now, or its newest admission when the clock has
-- stepped back behind it (as token, leaky and gcra never count time twice).
-- A trim at a later instant has already dropped entries that an earlier
-- now would still count; deciding, scoring and replying at `at` keeps every
-- admission inside the window the log can see. Waits count from now.
local at = now
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if #last > 0 then at = math.max(now, tonumber(last[2])) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', at - window)
local count = redis.call('ZCARD', key)

-- reset_after: when the newest admission leaves the window.
local function reset_after()
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #newest == 0 then return 0 end
  return tonumber(newest[2]) + window - now
end

if cost > limit then
  return {0, math.max(0, limit - count), -1, reset_after(), at}
end
if count + cost > limit then
  -- The oldest (count + cost - limit) admissions must leave first; the last
  -- of them leaves when now reaches its score plus the window.
  local blocker = redis.call('ZRANGE', key, count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
  return {0, math.max(0, limit - count), tonumber(blocker[2]) + window - now, reset_after(), at}
end
-- Members are unique per call and unit, so equal timestamps never collide.
for i = 1, cost do
  redis.call('ZADD', key, at, ARGV[5] .. ':' .. string.format('%d', i))
end
-- Until the newest entry leaves the window: with a clock that stepped back,
-- that is later than one window from now.
local reset = reset_after()
redis.call('PEXPIRE', key, ttl_ms(reset))
return {1, limit - count - cost, 0, reset, at}
