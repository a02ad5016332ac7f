--[[
  Drops the fleet's tenant token, unless another process already replaced it.

  Input:
    KEYS[1] token         JSON { token, expiresAtMs }
    ARGV[1] the token to drop
  Output:
    1 deleted, 0 not
]]
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
