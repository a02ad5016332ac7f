--[[
  One process of the fleet lists a job's applications at a time; the others use its listing.

  Input:
    KEYS[1] lock
    ARGV[1] owner
    ARGV[2] the lock's life, ms
  Output:
    Redis's now (ms) if the lock was taken (the listing begins then), else 0
]]
--- @include "includes/redis-now"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return math.floor(redisNowMs())
end
return 0
