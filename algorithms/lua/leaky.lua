-- Leaky bucket as a meter (policing): a queue of depth `capacity` that
-- drains at limit/window; a request that would overflow it is rejected.
-- The level is a whole count and a fraction in units of 1/window of a
-- request (0 <= frac < window), so that it drains `limit` units per
-- microsecond and every number stays exact (see mul_div_mod).
-- KEYS[1] hash {level, frac, ts}
-- ARGV: now_us|'', limit, window_us, capacity, cost
-- Reply: {allowed, remaining, retry_after_us, reset_after_us, now_us}
local now = now_us()
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local key = KEYS[1]

local level, frac, stamp = 0, 0, now
local stored, stored_frac, at, whole, part = read_bucket(key, 'level', now, limit, window)
if stored then
  level, frac, stamp = stored, stored_frac, at
  if whole > level or (whole == level and part >= frac) then
    level, frac = 0, 0
  else
    level, frac = level - whole, frac - part
    if frac < 0 then
      level, frac = level - 1, frac + window
    end
  end
end

-- How far the stored state is ahead of now when the clock stepped back; the
-- waits are counted from now.
local ahead = stamp - now

-- until_below is how long until the level is at most capacity - room.
local function until_below(room)
  local over = level + room - capacity
  if over < 0 or (over == 0 and frac == 0) then
    return ahead
  end
  return math.min(MAX_WHOLE, ahead + units_time(over, frac, window, limit))
end

-- Room left, in whole requests: capacity less the level, rounded down.
local function remaining()
  if frac > 0 then
    return math.max(0, capacity - level - 1)
  end
  return math.max(0, capacity - level)
end

if cost > capacity then
  return {0, remaining(), -1, until_below(capacity), now}
end
if level + cost > capacity or (level + cost == capacity and frac > 0) then
  return {0, remaining(), until_below(cost), until_below(capacity), now}
end
level = level + cost
redis.call('HSET', key, 'level', level, 'frac', frac, 'ts', stamp)
local empty = until_below(capacity)
-- A missing key reads as an empty queue, so it may go once the queue drains.
redis.call('PEXPIRE', key, ttl_ms(empty))
return {1, remaining(), 0, empty, now}
