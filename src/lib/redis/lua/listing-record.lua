--[[
  Records a listing of a job's applications: the job's applications (first listing only) and those
  updated since the cutoff are added, the listing's start is noted (never moved back), and the
  lock is freed if still ours.

  Input:
    KEYS[1] ids
    KEYS[2] listed
    KEYS[3] lock
    KEYS[4] members
    ARGV[1] owner
    ARGV[2] when the listing began (Redis clock, ms)
    ARGV[3] the listing's life, seconds
    ARGV[4] how many of the job's applications follow
    ARGV[...] those, then the updated ids
  Output:
    1
]]
local members = tonumber(ARGV[4])
for i = 5, 4 + members, 500 do
  redis.call('SADD', KEYS[4], unpack(ARGV, i, math.min(i + 499, 4 + members)))
end
for i = 5 + members, #ARGV, 500 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('EXPIRE', KEYS[4], ARGV[3])
local from = tonumber(redis.call('HGET', KEYS[2], 'from') or '0')
if tonumber(ARGV[2]) > from then redis.call('HSET', KEYS[2], 'from', ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
