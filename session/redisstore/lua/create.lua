-- Create: ARGV[2] the limit (0: none), [3] id, [4] user, [5] hash (hex),
-- [6] previous hash (hex) or '', [7] sign-in time, [8] idle deadline,
-- [9] expiry of the keys (Unix ms all three), [10…] the fields to store as
-- name, value pairs. Returns {1} when the id or a hash exists, else {0}
-- followed by the evicted sessions, flat.
local limit, id, user, h, p = tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local created, idle, at = ARGV[7], ARGV[8], ARGV[9]
if p == '' then p = false end
if redis.call('EXISTS', skey(id)) == 1 or redis.call('EXISTS', tkey(h)) == 1
    or (p and redis.call('EXISTS', tkey(p)) == 1) then
  return {1}
end
local out = {0}
if limit > 0 then
  -- The user's sessions alive at the sign-in, least recently used first.
  local t, live = tonumber(created), {}
  for _, sid in ipairs(redis.call('ZRANGE', ukey(user), 0, -1)) do
    local flat, f = load(sid)
    if not flat then
      redis.call('ZREM', ukey(user), sid) -- its hash expired by TTL
    elseif tonumber(f.i) > t and tonumber(f.e) > t then
      live[#live + 1] = {id = sid, seen = tonumber(f.l), flat = flat, f = f}
    end
  end
  table.sort(live, function(a, b)
    if a.seen ~= b.seen then return a.seen < b.seen end
    return before(a.id, b.id)
  end)
  for k = 1, #live + 1 - limit do
    remove(live[k].id, live[k].f)
    out[#out + 1] = live[k].flat
  end
end
redis.call('HSET', skey(id), unpack(ARGV, 10))
redis.call('SET', tkey(h), id)
if p then redis.call('SET', tkey(p), id) end
redis.call('ZADD', ukey(user), created, id)
redis.call('ZADD', ALL, created, id)
redis.call('ZADD', IDLE, idle, member(id, user))
expire(id, h, p, user, at)
return out
