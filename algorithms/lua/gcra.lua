-- Generic cell rate algorithm (virtual scheduling): one stored value, the
-- theoretical arrival time (TAT) of the next request at the steady rate.
-- A request passes when it would not push the TAT more than burst emission
-- intervals ahead of now.
-- KEYS[1] string: the TAT in microseconds
-- ARGV: now_us|'', limit, window_us, burst, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local key = KEYS[1]

-- The emission interval, rounded up to a whole microsecond so that the
-- rate is never above limit/window.
local interval = math.ceil(window / limit)
local horizon = burst * interval
local tat = math.max(now, tonumber(redis.call('GET', key) or '0'))

local function remaining(t)
  return math.max(0, math.floor((now + horizon - t) / interval))
end

if cost > burst then
  return {0, remaining(tat), -1, tat - now, now}
end
local new_tat = tat + cost * interval
local allow_at = new_tat - horizon
if now < allow_at then
  return {0, remaining(tat), allow_at - now, tat - now, now}
end
-- Once now passes the TAT a missing key means the same as the stored one.
redis.call('SET', key, new_tat, 'PX', ttl_ms(new_tat - now))
return {1, remaining(new_tat), 0, new_tat - now, now}
