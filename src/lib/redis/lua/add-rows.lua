--[[
  Adds rows to a batch in one step: accepted ones with their input stored once (the worker and the
  results file read it there), refused ones with their reasons.

  A row is numbered in its batch: the first source's rows by their line, every later row after the
  highest number so far, so any number of files share a batch without one row taking another's
  place. The number names the row's job. A row's value is `SOURCE:LINE|` (`SOURCE:LINE:G|` once
  replayed G times) then its input, or `=N` when row N has the same input. Digests are kept for
  the batch's life: the same input again from the same source and line is the same row (`known`);
  from another line or source, a repeat that shares its job (recorded once per source and line, so
  it is reported on its own line); with another input, a new row, while the old one keeps its
  outcome under its old input. In `replay` mode an input whose job already ended runs again: its
  own row (same source and line) is reopened under a new job (its old outcome taken out of the
  counts), any other gets a new row. Every key written expires with the batch.

  Input:
    KEYS[1] meta          the batch's hash (sources, `maxLine`, `repeats`, ...)
    KEYS[2] rows          hash, row number -> stored row
    KEYS[3] digests       hash, input digest -> row number; digest@SOURCE:LINE -> repeat row
    KEYS[4] invalidLines  hash, SOURCE:LINE -> refused row JSON
    KEYS[5] outcomes
    KEYS[6] counts
    ARGV[1] mode: 'replay' or ''
    ARGV[2] the batch's number (base 36): job ids are `NUMBER-ROW[.G]`
    ARGV[3] retention, seconds
    ARGV[4] how many source names follow
    ARGV[...] the source names, then per row: its source's position among the names, its line,
              its digest ('' for a row refused by validation), its input JSON (or the refused row)
  Output:
    per row three values: status (0 new, 1 known, 2 repeat, 3 served by another row's job,
    4 invalid), the number of the row whose job serves it (0 for invalid), that job's id ('')
]]
local function base36(n)
  local digits, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  repeat
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = (n - d) / 36
  until n == 0
  return s
end
local replay, seq, retentionS, nSources = ARGV[1] == 'replay', ARGV[2], ARGV[3], tonumber(ARGV[4])
local sourceCount = tonumber(redis.call('HGET', KEYS[1], 'sourceCount') or '0')
local maxLine = tonumber(redis.call('HGET', KEYS[1], 'maxLine') or '0')
if sourceCount == 0 and maxLine > 0 then
  -- A batch written before rows named their source: its rows are its first source's.
  local first = redis.call('HGET', KEYS[1], 'file') or redis.call('HGET', KEYS[1], 'source') or ''
  redis.call('HSET', KEYS[1], 'source:1', first, 'sourceOf:' .. first, 1)
  sourceCount = 1
end
local indexOf = {}
for i = 1, nSources do
  local name = ARGV[4 + i]
  local index = tonumber(redis.call('HGET', KEYS[1], 'sourceOf:' .. name) or '0')
  if index == 0 then
    sourceCount = sourceCount + 1
    index = sourceCount
    redis.call('HSET', KEYS[1], 'source:' .. index, name, 'sourceOf:' .. name, index)
  end
  indexOf[i] = index
end
redis.call('HSET', KEYS[1], 'sourceCount', sourceCount)
-- A row's origin ('SOURCE:LINE'), its replay generation and its body, from its stored value.
local function parse(value, n)
  local bar = string.find(value, '|', 1, true)
  if not bar or string.sub(value, 1, 1) == '{' or string.sub(value, 1, 1) == '=' then
    return '1:' .. n, 0, value
  end
  local s, l, g = string.match(string.sub(value, 1, bar - 1), '^(%d+):(%d+):?(%d*)$')
  return s .. ':' .. l, tonumber(g) or 0, string.sub(value, bar + 1)
end
local function jobIdOf(n, generation)
  if generation > 0 then return seq .. '-' .. base36(n) .. '.' .. base36(generation) end
  return seq .. '-' .. base36(n)
end
local replies = {}
local repeats, reopened = 0, 0
local function reply(status, n, jobId)
  replies[#replies + 1] = status
  replies[#replies + 1] = n
  replies[#replies + 1] = jobId
end
local function newRow(source, line, value)
  local n = maxLine + 1
  if source == 1 and line > maxLine then n = line end
  maxLine = n
  redis.call('HSET', KEYS[2], n, value)
  return n
end
for i = 5 + nSources, #ARGV, 4 do
  local source, line = indexOf[tonumber(ARGV[i])], tonumber(ARGV[i + 1])
  local digest, payload = ARGV[i + 2], ARGV[i + 3]
  local origin = source .. ':' .. line
  if digest == '' then
    redis.call('HSET', KEYS[4], origin, payload)
    reply(4, 0, '')
  else
    redis.call('HDEL', KEYS[4], origin)
    if source == 1 then redis.call('HDEL', KEYS[4], line) end
    local m = tonumber(redis.call('HGET', KEYS[3], digest) or '0')
    if m == 0 and source == 1 then
      -- A batch sealed before digests were kept: its line may hold this input already.
      local old = redis.call('HGET', KEYS[2], line)
      if old and (string.sub(old, 1, 1) == '{' or string.sub(old, 1, 1) == '=') and (old == payload or string.sub(old, 1, 1) == '=') then
        m = line
        if string.sub(old, 1, 1) == '=' then m = tonumber(string.sub(old, 2)) end
        redis.call('HSET', KEYS[3], digest, m)
      end
    end
    local heldOrigin, generation, body = nil, 0, nil
    if m ~= 0 then
      local held = redis.call('HGET', KEYS[2], m)
      if held then heldOrigin, generation, body = parse(held, m) else m = 0 end
    end
    if m ~= 0 and replay then
      local ended = redis.call('HGET', KEYS[5], jobIdOf(m, generation))
      if ended and heldOrigin == origin then
        -- The row's own letter replayed: the row runs again under a new job, its old outcome out of the counts.
        redis.call('HDEL', KEYS[5], jobIdOf(m, generation))
        redis.call('HINCRBY', KEYS[6], cjson.decode(ended).status, -1)
        generation = generation + 1
        redis.call('HSET', KEYS[2], m, origin .. ':' .. generation .. '|' .. body)
        reopened = reopened + 1
        reply(0, m, jobIdOf(m, generation))
        m = -1
      elseif ended then
        m = 0
      end
    end
    if m == 0 then
      local n = newRow(source, line, origin .. '|' .. payload)
      redis.call('HSET', KEYS[3], digest, n)
      reopened = reopened + 1
      reply(0, n, jobIdOf(n, 0))
    elseif m > 0 then
      if heldOrigin == origin then
        reply(1, m, jobIdOf(m, generation))
      else
        local repeatKey = digest .. '@' .. origin
        if redis.call('HEXISTS', KEYS[3], repeatKey) == 1 then
          reply(3, m, jobIdOf(m, generation))
        else
          local n = newRow(source, line, origin .. '|=' .. m)
          redis.call('HSET', KEYS[3], repeatKey, n)
          repeats = repeats + 1
          reply(2, m, jobIdOf(m, generation))
        end
      end
    end
  end
end
redis.call('HSET', KEYS[1], 'maxLine', maxLine)
if repeats > 0 then redis.call('HINCRBY', KEYS[1], 'repeats', repeats) end
-- New work reopens a batch that had finished: its end is fixed again when it ends.
if reopened > 0 then redis.call('HDEL', KEYS[1], 'finishedAtMs') end
for k = 1, 4 do redis.call('EXPIRE', KEYS[k], retentionS) end
return replies
