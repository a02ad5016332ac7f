--[[
  A caller that woke late sends anyway and records when it really sends (now, on Redis's clock):
  the calls `limit` places later, not reserved yet, are then spaced from that. A record only moves
  later, and only if it is still kept.

  Input:
    KEYS[...] the endpoint's caps
    ARGV[1] the reservation's id
  Output:
    Redis's now, ms as a string
]]
--- @include "includes/redis-now"
local now = redisNowMs()
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], 'XX', 'GT', now, ARGV[1]) end
return string.format('%.3f', now)
