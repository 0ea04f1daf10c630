-- Sliding-window log: at most `limit` admissions in any window (now-window, now].
-- KEYS[1] list of admission instants in microseconds, newest first, one
-- element per unit admitted. A list keeps them sorted for free (every
-- admission is at or after the newest) and holds each as a listpack integer,
-- about 11 bytes, where a sorted set spends over 100 on a member.
-- ARGV: now_us|'', limit, window_us, cost
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
local count = 0
local newest = redis.call('LINDEX', key, 0)
if newest then
  newest = tonumber(newest)
  at = math.max(now, newest)
  count = redis.call('LLEN', key)
  -- Drop what left the window, (-inf, at - window], from the oldest end:
  -- look at the oldest, then at twice as many each time all of them left.
  local cutoff = at - window
  local batch = 1
  while count > 0 do
    local oldest = redis.call('LRANGE', key, -batch, -1)
    local gone = 0
    for i = #oldest, 1, -1 do
      if tonumber(oldest[i]) > cutoff then break end
      gone = gone + 1
    end
    if gone == 0 then break end
    if gone == count then
      redis.call('DEL', key)
    else
      redis.call('LTRIM', key, 0, count - gone - 1)
    end
    count = count - gone
    if gone < #oldest then break end
    batch = math.min(2 * batch, count)
  end
end

-- reset_after: when the newest admission leaves the window; the newest is
-- the last to be dropped, so it is still there while anything is.
local function reset_after()
  if count == 0 then return 0 end
  return newest + window - now
end

if cost > limit then
  return {0, math.max(0, limit - count), -1, reset_after(), at}
end
if count + cost > limit then
  -- The oldest (count + cost - limit) admissions must leave first; the last
  -- of them leaves when now reaches its instant plus the window.
  local blocker = redis.call('LINDEX', key, limit - count - cost)
  return {0, math.max(0, limit - count), tonumber(blocker) + window - now, reset_after(), at}
end
-- One element per unit, pushed a thousand at a time (Lua's unpack has a
-- stack limit). As a string, so that the instant stays an exact integer.
local stamp = string.format('%d', at)
local units = {}
for i = 1, math.min(cost, 1000) do units[i] = stamp end
local left = cost
while left > 0 do
  local n = math.min(left, #units)
  redis.call('LPUSH', key, unpack(units, 1, n))
  left = left - n
end
-- Until the newest entry leaves the window: with a clock that stepped back,
-- that is later than one window from now.
newest, count = at, count + cost
local reset = reset_after()
redis.call('PEXPIRE', key, ttl_ms(reset))
return {1, limit - count, 0, reset, at}
