--[[
  Records how a job ended, once: later calls for the same job change nothing. The call that led
  here (if any) is over: the job leaves the batch's in-flight set in the same step, its journal is
  deleted, and the application it made enters the ledger. The outcome's keys expire with the batch
  whoever writes first: a batch's first outcome may come after its producer last touched it.

  Input:
    KEYS[1] outcomes      hash, job id -> outcome JSON
    KEYS[2] counts        hash, status -> jobs
    KEYS[3] inFlight      set of the batch's job ids with a call admitted
    KEYS[4], KEYS[5]      the ledger's entries and time index, when ARGV[4] is 2
    KEYS[...]             keys that end with the job (its journal and journal log), deleted
    ARGV[1] job id
    ARGV[2] outcome JSON
    ARGV[3] status
    ARGV[4] how many ledger keys follow the first three keys: 0 or 2
    ARGV[5] retention, seconds
    ARGV[...] ledger entries: field, value, at for each
  Output:
    1 recorded, 0 the job had an outcome already (it stands)
]]
--- @include "includes/record-ledger-entries"
local ledgerKeys = tonumber(ARGV[4])
redis.call('SREM', KEYS[3], ARGV[1])
for i = 4 + ledgerKeys, #KEYS do redis.call('DEL', KEYS[i]) end
if ledgerKeys > 0 then recordLedgerEntries(KEYS[4], KEYS[5], 6) end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  return 1
end
return 0
