--[[
  Sets a job aside while its batch is paused, by its row number, so a resume releases the batch's
  jobs in line order.

  Input:
    KEYS[1] meta
    KEYS[2] parked        sorted set, job id by row number
    ARGV[1] job id
    ARGV[2] row number
    ARGV[3] retention, seconds
  Output:
    the batch's control (the job is parked only when it is `paused`)
]]
local control = redis.call('HGET', KEYS[1], 'control') or 'running'
if control == 'paused' then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return control
