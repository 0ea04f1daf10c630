-- Sliding-window counter: the previous aligned window's count, weighted by
-- how much of it still overlaps (now-window, now], plus the current count.
-- Admits when prev*(window-elapsed)/window + current + cost <= limit,
-- exactly (see mul_div_mod).
-- KEYS[1] key prefix (the window's index is appended)
-- ARGV: now_us|'', limit, window_us, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])

local index, elapsed = div_mod(now, window)
-- string.format, not tostring: tostring prints 1e14 and up as 1.7672256e+14,
-- which would give ten consecutive windows one key.
local cur_key = KEYS[1] .. ':' .. string.format('%d', index)
local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. string.format('%d', index - 1)) or '0')
local cur = tonumber(redis.call('GET', cur_key) or '0')

-- The previous window's weight, prev*(window-elapsed)/window, rounded up:
-- a request passes when weight + cur + cost <= limit, which is the rule
-- above multiplied through, without forming its 3e28-sized products.
local weight_q, weight_r = mul_div_mod(prev, window - elapsed, window)
local weight = weight_q
if weight_r > 0 then
  weight = weight + 1
end

local function remaining(c)
  return math.max(0, limit - c - weight)
end
local function reset_after(c)
  if c > 0 then return window - elapsed + window end
  if prev > 0 then return window - elapsed end
  return 0
end

if cost > limit then
  return {0, remaining(cur), -1, reset_after(cur), now}
end
if weight + cur + cost > limit then
  local retry
  if cur + cost <= limit then
    -- Only the previous window's weight is in the way: wait until it has
    -- slid out far enough, to the first elapsed time t with
    -- prev*(window-t) <= (limit-cur-cost)*window.
    local fits = mul_div_mod(limit - cur - cost, window, prev)
    retry = window - fits - elapsed
  else
    -- Not even an empty past would do: wait for the next window, where this
    -- window's count becomes the weighted one.
    local fits = mul_div_mod(limit - cost, window, cur)
    retry = window - elapsed + math.max(0, window - fits)
  end
  return {0, remaining(cur), retry, reset_after(cur), now}
end
cur = redis.call('INCRBY', cur_key, cost)
-- The count is read again as the previous window's during the next one.
redis.call('PEXPIRE', cur_key, ttl_ms(window - elapsed + window))
return {1, remaining(cur), 0, reset_after(cur), now}
