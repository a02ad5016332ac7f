--[[
  Records applications hire-queue made or adopted in the ledger (one script, not MULTI: a worker
  records an entry per create, and a MULTI is four commands).

  Input:
    KEYS[1] entries       hash, "talent<TAB>job" -> "application<TAB>at<TAB>how"
    KEYS[2] byTime        sorted set of the entries' fields by when they were recorded
    ARGV[...] field, value, at for each entry
  Output:
    1
]]
--- @include "includes/record-ledger-entries"
recordLedgerEntries(KEYS[1], KEYS[2], 1)
return 1
