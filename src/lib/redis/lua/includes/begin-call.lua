--[[
  Notes in a job's journal that a call begins: an earlier call still marked in flight (its worker
  died mid-call) makes the job ambiguous, so its next answer is judged, not trusted.

  Defines:
    beginCall(journal, journalLog, nowMs, ttlMs)
]]
local function beginCall(key, logKey, nowMs, ttlMs)
  if redis.call('HGET', key, 'inFlight') == '1' then redis.call('HSET', key, 'ambiguous', '1') end
  redis.call('HSETNX', key, 'firstCallAtMs', nowMs)
  redis.call('HSET', key, 'inFlight', '1')
  redis.call('HINCRBY', key, 'calls', 1)
  redis.call('PEXPIRE', key, ttlMs)
  redis.call('PEXPIRE', logKey, ttlMs)
end
