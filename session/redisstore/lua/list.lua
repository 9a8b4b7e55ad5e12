-- List: ARGV[2] user, or '' for everyone, [3] now, [4] the sign-in time
-- of the key to list after (Unix ms), or '' for the start, [5] its id, [6]
-- the limit (0: none). Returns the sessions, flat, newest first and then
-- by descending id: the order of a sorted set read backwards, whose equal
-- scores are ordered by member, byte by byte.
local key = ALL
if ARGV[2] ~= '' then key = ukey(ARGV[2]) end
local now, afterAt, afterID, limit = tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local out, stale = {}, {}

-- add lists session id if it is alive at now, and reports whether the
-- list is full.
local function add(id)
  local flat, f = load(id)
  if not flat then
    stale[#stale + 1] = id -- its hash expired by TTL
  elseif tonumber(f.i) > now then
    out[#out + 1] = flat
  end
  return limit > 0 and #out >= limit
end

-- finish drops the entries of expired sessions met on the way (the sweep
-- drops the rest), after the reads, whose offsets they would shift.
local function finish()
  for _, id in ipairs(stale) do
    redis.call('ZREM', key, id)
    redis.call('ZREM', ALL, id)
  end
  return out
end

local max = '+inf'
if afterAt ~= '' then
  -- Sessions of the key's own instant come after it when their id is
  -- smaller.
  for _, id in ipairs(redis.call('ZREVRANGEBYSCORE', key, afterAt, afterAt)) do
    if before(id, afterID) and add(id) then return finish() end
  end
  max = '(' .. afterAt
end
local offset, batch = 0, 100
while true do
  local ids = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'LIMIT', offset, batch)
  for _, id in ipairs(ids) do
    if add(id) then return finish() end
  end
  if #ids < batch then return finish() end
  offset = offset + #ids
end
