--[[
  What a worker needs before a job's call, in one step: the job's outcome if it has one (a worker
  died after recording it: no call), the batch's control and duplicate policy, the row's stored
  input, whether the batch is still known, and (given the in-flight set and the job's journal)
  the admission of the call, for a call that leaves right after this read. Only a job without an
  outcome whose row is there is admitted.

  Input:
    KEYS[1] meta          the batch's hash
    KEYS[2] outcomes
    KEYS[3] rows          hash, row number -> "SOURCE:LINE[:G]|input" (see add-rows)
    KEYS[4] inFlight      } only to admit the call
    KEYS[5] journal       }
    KEYS[6] journalLog    }
    ARGV[1] job id
    ARGV[2] the row's number ('' for a job that carries its own input)
    ARGV[3] retention, seconds        } only to admit the call
    ARGV[4] now, ms (worker clock)    }
    ARGV[5] journal ttl, ms           }
  Output:
    { outcome JSON or false, control or false, duplicate policy or false, stored row or false,
      1 if admitted else 0, 1 if the batch is known else 0 }
]]
--- @include "includes/admit"
local outcome = redis.call('HGET', KEYS[2], ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'control', 'existing', 'operation')
local row = false
if ARGV[2] ~= '' and not outcome then row = redis.call('HGET', KEYS[3], ARGV[2]) end
local admitted = 0
if #KEYS > 3 and not outcome and (ARGV[2] == '' or row) then
  local admission = admit(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], ARGV[3], ARGV[4], ARGV[5])
  if admission[2] then admitted = 1 end
end
return { outcome or false, m[1] or false, m[2] or false, row, admitted, m[3] and 1 or 0 }
