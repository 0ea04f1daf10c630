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
local tat = math.max(now, tonumber(redis.call('GET', key) or '0'))

-- used is how many whole intervals of the allowance t has taken:
-- ceil((t - now)/interval), for t at or after now.
local function used(t)
  local q, r = div_mod(t - now, interval)
  if r > 0 then
    q = q + 1
  end
  return q
end
local function remaining(t)
  return math.max(0, burst - used(t))
end

if cost > burst then
  return {0, remaining(tat), -1, tat - now, now}
end
-- It passes when tat + cost*interval - horizon <= now, that is when
-- tat - now <= (burst - cost)*interval: compared through the quotient,
-- since burst*interval can pass 2^53 (a billion a year with a large burst).
local q, r = div_mod(tat - now, interval)
local spare = burst - cost
if q > spare or (q == spare and r > 0) then
  return {0, remaining(tat), (q - spare) * interval + r, tat - now, now}
end
-- A debt that reaches past 2^53 us (the year 2255) is cut there: only a
-- burst that takes centuries to earn back gets near it.
local new_tat = math.min(MAX_WHOLE, tat + cost * interval)
-- Once now passes the TAT a missing key means the same as the stored one.
redis.call('SET', key, new_tat, 'PX', ttl_ms(new_tat - now))
return {1, remaining(new_tat), 0, new_tat - now, now}
