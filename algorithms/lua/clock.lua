-- Shared prelude of every rlbench script. ARGV[1] is the client's time in
-- integer microseconds, or '' to read the Redis server's clock, so that many
-- load generators agree on one time. Integers stay exact as Lua doubles up
-- to 2^53 (year 2255 in microseconds).
local function now_us()
  if ARGV[1] ~= '' then
    return tonumber(ARGV[1])
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- ttl_ms turns a span in microseconds into a PEXPIRE argument that is never
-- shorter than the span, so that no state expires while it still matters.
-- It carries one millisecond more than ceil(us/1000) and is never below 2:
-- Redis counts expiry in whole milliseconds from the script's start, so a
-- PEXPIRE 1 issued by a script that crosses a millisecond boundary deletes
-- the key at once (26 of 20,000 calls on Redis 7.0), and a 1 ms window
-- then admitted twice its limit.
-- The last ARGV of every script is the clock-skew allowance in microseconds:
-- with a client clock, TTLs count from the client's stamp while Redis
-- expires keys on its own clock, so each TTL is padded by how far the two
-- may disagree.
local skew_us = tonumber(ARGV[#ARGV])

local function ttl_ms(us)
  return math.max(2, math.ceil((us + skew_us) / 1000) + 1)
end


-- Exact arithmetic past 2^53. Lua's numbers are doubles, exact for whole
-- numbers below 2^53; limits reach 1e15 and windows 3.2e13 us (8784h), so a
-- limit times a window (3e28) is not. The bucket scripts keep every stored
-- number below 2^53 (a whole count and a fraction in 1/window units) and
-- form the large products only through mul_div_mod, which divides them
-- without ever holding them.

-- MAX_WHOLE (2^53 - 1) is where quotients and waits saturate: 285 years in
-- microseconds, longer than any wait that means something.
local MAX_WHOLE = 9007199254740991

-- div_mod is floor(a/m) and a - floor(a/m)*m for whole |a| < 2^53 and
-- 0 < m < 2^53. a/m is rounded, so its floor can be one off; the
-- remainder says which way and corrects it.
local function div_mod(a, m)
  local q = math.floor(a / m)
  local r = a - q * m
  if r < 0 then
    q, r = q - 1, r + m
  elseif r >= m then
    q, r = q + 1, r - m
  end
  return q, r
end

-- mul_div_mod is floor(a*b/m) and a*b mod m for whole 0 <= a, b < 2^53 and
-- 0 < m < 2^53, exact though a*b passes 2^53: a*b = a*(bq*m + br), and a*br
-- is built by doubling and adding over the bits of a (Russian peasant
-- multiplication) with the remainder kept below m. The quotient saturates
-- at MAX_WHOLE, and the remainder is then 0.
local function mul_div_mod(a, b, m)
  if a * b <= MAX_WHOLE then
    return div_mod(a * b, m)
  end
  local bq, br = div_mod(b, m)
  local bits = {}
  while a > 0 do
    local half = math.floor(a / 2)
    bits[#bits + 1] = a - 2 * half
    a = half
  end
  -- add is (q, r) plus (dq, dr), the remainder kept below m: r + dr may
  -- pass 2^53, so it is compared with m, not formed.
  local function add(q, r, dq, dr)
    if r >= m - dr then
      return q + dq + 1, r - (m - dr)
    end
    return q + dq, r + dr
  end
  -- q*m + r is the product of b and the bits of a read so far: doubled,
  -- then b added when the next bit is set.
  local q, r = 0, 0
  for i = #bits, 1, -1 do
    q, r = add(q, r, q, r)
    if bits[i] == 1 then
      q, r = add(q, r, bq, br)
    end
    if q > MAX_WHOLE then
      return MAX_WHOLE, 0
    end
  end
  return q, r
end

-- units_time is ceil((whole*window + part)/rate), saturating at MAX_WHOLE:
-- how many microseconds a bucket that moves `rate` units per microsecond
-- takes to move whole units of `window` plus part (-window < part < window,
-- the sum not negative).
local function units_time(whole, part, window, rate)
  local q, r = mul_div_mod(whole, window, rate)
  if q >= MAX_WHOLE then
    return MAX_WHOLE
  end
  local pq, pr = div_mod(part, rate)
  local t, s = q + pq, r + pr
  if s > rate then
    t = t + 2
  elseif s > 0 then
    t = t + 1
  end
  return math.min(t, MAX_WHOLE)
end

-- read_bucket reads a bucket's hash {count, frac, ts}: a whole count, a
-- fraction in 1/window units, and the instant they were written. It gives
-- nil when there is none, else the three and how many units of 1/window
-- moved since ts at `rate` per microsecond, as (whole, part). The time is
-- counted up to stamp = max(now, ts), never beyond: a clock that steps back
-- (client clocks, several generators) must not move the bucket twice.
local function read_bucket(key, field, now, rate, window)
  local state = redis.call('HMGET', key, field, 'frac', 'ts')
  if not (state[1] and state[2] and state[3]) then
    return nil
  end
  local ts = tonumber(state[3])
  local stamp = math.max(now, ts)
  local whole, part = mul_div_mod(stamp - ts, rate, window)
  return tonumber(state[1]), tonumber(state[2]), stamp, whole, part
end
