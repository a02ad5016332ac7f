--[[
  Records ledger entries given in ARGV from position `from` on (field, value, at for each) in the
  entries hash and its time index: a job's outcome records the application it made in its own step.

  Defines:
    recordLedgerEntries(entries, byTime, from)
]]
local function recordLedgerEntries(entriesKey, byTimeKey, from)
  for i = from, #ARGV, 3 do
    redis.call('HSET', entriesKey, ARGV[i], ARGV[i + 1])
    redis.call('ZADD', byTimeKey, ARGV[i + 2], ARGV[i])
  end
end
