--[[
  Frees a lock only if it is still the caller's: one that expired and was taken by another
  process stays theirs.

  Input:
    KEYS[1] lock
    ARGV[1] owner
  Output:
    1 freed, 0 not
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
