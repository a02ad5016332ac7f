--[[
  A call admitted but not sent, or sent and answered: the batch no longer counts it in flight and
  the journal says how it ended, in one step. `mayHaveTakenEffect` is 0 only for an answer that
  says for sure it did not (a business error, a 429).

  Input:
    KEYS[1] inFlight
    KEYS[2] journal
    KEYS[3] journalLog
    ARGV[1] job id
    ARGV[2] 1 if the call may have taken effect, else 0
    ARGV[3] Feishu's clock minus the worker's, ms ('' when the answer had no Date)
    ARGV[4] the failure as JSON ('' for none): appended to the log, which keeps the last 50
  Output:
    1, or 0 when the journal is gone (the job's outcome was recorded): only the in-flight note ends
]]
redis.call('SREM', KEYS[1], ARGV[1])
-- A journal already gone went with the job's outcome (recorded by another run): not made again.
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'inFlight', '0')
if ARGV[2] == '1' then redis.call('HSET', KEYS[2], 'ambiguous', '1') end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'serverOffsetMs', ARGV[3]) end
if ARGV[4] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], -50, -1)
  -- The log may begin here, after the call began: it expires with the journal.
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return 1
