--[[
  What the fleet's listing of a job's updated applications says of one application.

  Input:
    KEYS[1] ids           the applications updated since the cutoff, as last listed
    KEYS[2] listed        hash: `from`, when the last listing began (Redis clock, ms)
    KEYS[3] members       the job's applications, as first listed
    ARGV[1] application id
  Output:
    { Redis's now (ms), when the last listing began (0 for none), 1 if updated else 0,
      1 if one of the job's else 0 }
]]
--- @include "includes/redis-now"
local now = math.floor(redisNowMs())
local from = tonumber(redis.call('HGET', KEYS[2], 'from') or '0')
return { now, from, redis.call('SISMEMBER', KEYS[1], ARGV[1]), redis.call('SISMEMBER', KEYS[3], ARGV[1]) }
