-- Rotate: ARGV[2] id, [3] current hash (hex) or '' for any, [4] new hash
-- (hex), [5] new previous hash (hex) or '', [6] idle deadline, [7] expiry
-- of the keys (Unix ms both), [8…] the fields to set as name, value pairs.
-- Returns 0 when done, 1 when there is no such session, 2 when its hash is
-- not the current one named, 3 when a new hash is another session's.
local id, cur, nh, np, idle, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local f = redis.call('HMGET', skey(id), 'u', 'h', 'p')
local user, h, p = f[1], f[2], f[3]
if not user then return 1 end
if cur ~= '' and h ~= cur then return 2 end
if np == '' then np = false end
if redis.call('EXISTS', tkey(nh)) == 1
    or (np and np ~= h and np ~= p and redis.call('EXISTS', tkey(np)) == 1) then
  return 3
end
redis.call('DEL', tkey(h))
if p then redis.call('DEL', tkey(p)) end
redis.call('SET', tkey(nh), id)
redis.call('HSET', skey(id), 'h', nh, unpack(ARGV, 8))
if np then
  redis.call('SET', tkey(np), id)
  redis.call('HSET', skey(id), 'p', np)
else
  redis.call('HDEL', skey(id), 'p')
end
redis.call('ZADD', IDLE, idle, member(id, user))
expire(id, nh, np, user, at)
return 0
