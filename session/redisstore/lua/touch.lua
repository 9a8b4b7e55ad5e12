-- Touch: ARGV[2] id, [3] last seen, [4] idle deadline, [5] expiry of the
-- keys (Unix ms all three). Returns 0 when there is no such session.
local id = ARGV[2]
local f = redis.call('HMGET', skey(id), 'u', 'h', 'p')
local user, h, p = f[1], f[2], f[3]
if not user then return 0 end
redis.call('HSET', skey(id), 'l', ARGV[3], 'i', ARGV[4])
redis.call('ZADD', IDLE, ARGV[4], member(id, user))
expire(id, h, p, user, ARGV[5])
return 1
