--[[
  Reserves the next send time of an endpoint for the whole fleet. Each cap keeps the send times of
  its last `limit` calls; a slot is spaced `(window + margin) / limit` after the latest (shortest
  window only, to spread calls) and `window + margin` after the call `limit` places earlier, so no
  window of any cap ever holds more than `limit` arrivals while delays vary less than the margin.
  Slots further than the horizon are not reserved.

  Lanes share an endpoint's caps between callers of unequal urgency. A `foreground` reservation
  (a batch's reads) is also recorded in the foreground set; a `background` one (a check before a
  batch is written) is made only while the background's calls in each cap's last window number
  fewer than the cap less what the foreground used there less a tenth of the cap: the foreground
  always finds its own pace plus that tenth free, and is never slowed by background callers
  beyond the even spacing. `solo` endpoints (no background caller) record nothing more.

  Input:
    KEYS[1..n] caps       sorted sets of send times, shortest window first
    KEYS[n+1] blockedUntil  no slot before this (set after a 429)
    KEYS[n+2] margin      the learned margin's hash (`ms`, `spread`)
    KEYS[n+3] foreground  sorted set of foreground send times (lanes `foreground`/`background`)
    ARGV[1] the fixed margin, ms, or 'learned'
    ARGV[2] the margin before any is learned, ms
    ARGV[3] horizon, ms
    ARGV[4] the reservation's id
    ARGV[5] lane: 'solo', 'foreground' or 'background'
    ARGV[...] limit and window (ms) per cap
  Output:
    { '1' reserved or '0', the wait, the slot, Redis's now, the margin, the fleet's spread }, ms as
    strings (a Lua number would be truncated to an integer)
]]
--- @include "includes/redis-now"
local now = redisNowMs()
local caps = #KEYS - 3
local learned = redis.call('HMGET', KEYS[caps + 2], 'ms', 'spread')
local margin = tonumber(ARGV[1])
local spread = tonumber(learned[2] or '0')
if margin == nil then margin = tonumber(learned[1] or ARGV[2]) end
local lane = ARGV[5]
local foreground = KEYS[caps + 3]
local function ms(x) return string.format('%.3f', x) end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[caps + 1]) or '0'))
for i = 1, caps do
  local limit = tonumber(ARGV[4 + 2 * i])
  local window = tonumber(ARGV[5 + 2 * i])
  local latest = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if #latest > 0 then
    local last = tonumber(latest[2])
    if i == 1 then last = last + (window + margin) / limit end
    slot = math.max(slot, last)
  end
  if lane == 'background' then
    -- The foreground keeps what it used in the last window plus a tenth of the cap; the
    -- background's own calls in the window must fit in the rest.
    local total = redis.call('ZCOUNT', KEYS[i], now - window, '+inf')
    local used = redis.call('ZCOUNT', foreground, now - window, '+inf')
    local budget = limit - used - math.max(1, math.ceil(limit / 10))
    -- No room in this window: nothing reserved; ask again after one even spacing.
    if total - used >= budget then
      return { '0', ms(window / limit), ms(now), ms(now), ms(margin), ms(spread) }
    end
  end
  local nth = redis.call('ZREVRANGE', KEYS[i], limit - 1, limit - 1, 'WITHSCORES')
  if #nth > 0 then slot = math.max(slot, tonumber(nth[2]) + window + margin) end
end
if slot - now > tonumber(ARGV[3]) then
  return { '0', ms(slot - now - tonumber(ARGV[3])), ms(slot), ms(now), ms(margin), ms(spread) }
end
local longest = 0
for i = 1, caps do
  local limit = tonumber(ARGV[4 + 2 * i])
  local window = tonumber(ARGV[5 + 2 * i])
  longest = math.max(longest, window)
  redis.call('ZADD', KEYS[i], slot, ARGV[4])
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(limit + 1))
  redis.call('PEXPIRE', KEYS[i], math.ceil(slot - now + window + margin + 1000))
end
if lane == 'foreground' then
  redis.call('ZADD', foreground, slot, ARGV[4])
  redis.call('ZREMRANGEBYSCORE', foreground, '-inf', now - longest - margin)
  redis.call('PEXPIRE', foreground, math.ceil(slot - now + longest + margin + 1000))
end
return { '1', ms(slot - now), ms(slot), ms(now), ms(margin), ms(spread) }
