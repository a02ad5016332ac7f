--[[
  A call of a batch may start only while the batch runs. The check and the note that the call is
  in flight are one step, so once a pause has been written no call of the batch starts. A batch
  whose meta is gone (lost state) is not held. Given the job's journal, the call begins in it in
  the same step.

  Defines:
    admit(meta, inFlight, journal | nil, journalLog | nil, jobId, retentionS, nowMs, ttlMs)
      -> { control }, or { control, 1 } when the call began in the journal
]]
--- @include "includes/begin-call"
local function admit(meta, inFlight, journal, journalLog, jobId, retentionS, nowMs, ttlMs)
  local control = redis.call('HGET', meta, 'control') or 'running'
  if control ~= 'running' then return { control } end
  redis.call('SADD', inFlight, jobId)
  redis.call('EXPIRE', inFlight, retentionS)
  if not journal then return { control } end
  beginCall(journal, journalLog, nowMs, ttlMs)
  return { control, 1 }
end
