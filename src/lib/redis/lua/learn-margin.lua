--[[
  The margin of an endpoint, learned by the fleet. The hash holds each process's last report
  (`p:<process>` = "need spread count at"), the largest fresh `need` and `spread`, and once
  learned the margin in use (`ms`, `at`). The margin rises at once to what the largest fresh
  report asks for and decays slowly towards it; a 429 widens it. Until enough calls were reported
  it is the cold-start margin, not stored, so that it does not decay slowly from there.

  Input:
    KEYS[1] margin        the endpoint's hash
    ARGV[1] op: report, widen or read
    ARGV[2] the reporting process
    ARGV[3] its need, ms (the largest delay of its recent past)
    ARGV[4] its spread, ms
    ARGV[5] floor, ms
    ARGV[6] ceiling, ms
    ARGV[7] a report's life, ms
    ARGV[8] decay half-life, ms
    ARGV[9] widen factor
    ARGV[10] evidence, ms: a widened margin is at least this
    ARGV[11] the report's sample count
    ARGV[12] fleet samples needed before the margin is learned
    ARGV[13] cold-start margin, ms
    ARGV[14] forget the hash after, ms
  Output:
    { margin, need, spread, '1' learned or '0' }, ms as strings
]]
--- @include "includes/redis-now"
local now = redisNowMs()
local op = ARGV[1]
local floor, ceiling = tonumber(ARGV[5]), tonumber(ARGV[6])
local ttl, halfLife = tonumber(ARGV[7]), tonumber(ARGV[8])
if op == 'report' then
  redis.call('HSET', KEYS[1], 'p:' .. ARGV[2],
    ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[11] .. ' ' .. string.format('%.3f', now))
end
local fields = redis.call('HGETALL', KEYS[1])
local need, spread, samples, current, at = 0, 0, 0, nil, now
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  if string.sub(name, 1, 2) == 'p:' then
    local l, s, n, reported = string.match(value, '^(%S+) (%S+) (%S+) (%S+)$')
    if now - tonumber(reported) > ttl then
      redis.call('HDEL', KEYS[1], name)
    else
      need = math.max(need, tonumber(l))
      spread = math.max(spread, tonumber(s))
      samples = samples + tonumber(n)
    end
  elseif name == 'ms' then current = tonumber(value)
  elseif name == 'at' then at = tonumber(value)
  end
end
local function ms(x) return string.format('%.3f', x) end
local function within(x) return math.min(ceiling, math.max(floor, x)) end
local target = within(need)
local margin = target
if current == nil then
  if samples < tonumber(ARGV[12]) then margin = within(math.max(target, tonumber(ARGV[13]))) end
elseif current > target then
  margin = target + (current - target) * math.pow(0.5, (now - at) / halfLife)
end
local learned = current ~= nil or samples >= tonumber(ARGV[12])
if op == 'widen' then
  margin = math.min(ceiling, math.max(margin * tonumber(ARGV[9]), tonumber(ARGV[10])))
  learned = true
end
if op ~= 'read' then
  redis.call('HSET', KEYS[1], 'need', ms(need), 'spread', ms(spread))
  if learned then redis.call('HSET', KEYS[1], 'ms', ms(margin), 'at', ms(now)) end
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[14]))
end
return { ms(margin), ms(need), ms(spread), learned and '1' or '0' }
