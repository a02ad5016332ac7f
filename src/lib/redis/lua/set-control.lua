--[[
  Pauses, resumes or cancels a batch. The count of calls in flight and of jobs not done is read in
  the same step as the change: no call starts after it, and a cancel's count is the report's.
  A cancelled batch stays cancelled.

  Input:
    KEYS[1] meta
    KEYS[2] inFlight
    KEYS[3] rows
    KEYS[4] counts
    ARGV[1] control: running, paused or cancelled
  Output:
    { the control before, calls in flight, jobs not done } or false when there is no such batch
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HGET', KEYS[1], 'control') or 'running'
if before ~= 'cancelled' then redis.call('HSET', KEYS[1], 'control', ARGV[1]) end
local jobs = redis.call('HLEN', KEYS[3]) - tonumber(redis.call('HGET', KEYS[1], 'repeats') or '0')
for _, n in ipairs(redis.call('HVALS', KEYS[4])) do jobs = jobs - tonumber(n) end
return { before, redis.call('SCARD', KEYS[2]), jobs }
