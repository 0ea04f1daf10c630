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

