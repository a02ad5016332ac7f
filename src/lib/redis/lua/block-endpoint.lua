--[[
  Feishu answered 429: no slot of the endpoint is given before Redis's now + the block, for any
  process. A longer block already set stands.

  Input:
    KEYS[1] blockedUntil
    ARGV[1] the block, ms
  Output:
    1
]]
--- @include "includes/redis-now"
local untilMs = redisNowMs() + tonumber(ARGV[1])
if untilMs > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
end
return 1
