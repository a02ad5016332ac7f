--[[
  May this job's call start now? While the batch runs, notes the call in flight and, given the
  job's journal, begins the call in it in the same step. Without the journal it only checks again
  a call already begun.

  Input:
    KEYS[1] meta
    KEYS[2] inFlight
    KEYS[3] journal       } optional
    KEYS[4] journalLog    }
    ARGV[1] job id
    ARGV[2] retention, seconds
    ARGV[3] now, ms       } with the journal
    ARGV[4] journal ttl   }
  Output:
    { control }, or { control, 1 } when the call began in the journal
]]
--- @include "includes/admit"
return admit(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
