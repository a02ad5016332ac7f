--[[
  Runs a script once per call it is given, in order, as one EVALSHA: the loader defines
  `one(KEYS, ARGV)` as the script itself above this text. Each call runs protected: one that fails
  replies with its error (Redis nests it in the reply) and the others with theirs, as if each had
  been sent alone.

  Input:
    KEYS[...] every call's keys, in order
    ARGV[1] the number of calls n
    ARGV[2..2n+1] each call's key count and argument count
    ARGV[...] every call's arguments, in order
  Output:
    one reply per call
]]
local n = tonumber(ARGV[1])
local replies = {}
local k, a = 1, 2 + 2 * n
for i = 1, n do
  local nk, na = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local ok, reply = pcall(one, { unpack(KEYS, k, k + nk - 1) }, { unpack(ARGV, a, a + na - 1) })
  if not ok then reply = { err = type(reply) == 'table' and reply.err or tostring(reply) } end
  if reply == nil then reply = false end
  replies[i] = reply
  k, a = k + nk, a + na
end
return replies
