--[[
  Redis's clock in milliseconds, with microseconds as the fraction: every process of the fleet
  reads one clock, so slots and listings compare across machines whatever their own clocks say.

  Defines:
    redisNowMs() -> number
]]
local function redisNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
