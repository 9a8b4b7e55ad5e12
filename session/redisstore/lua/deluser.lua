-- DeleteByUser: ARGV[2] user, [3] the id to spare, or ''. Returns the
-- sessions removed, flat.
local user, except = ARGV[2], ARGV[3]
local out = {}
for _, id in ipairs(redis.call('ZRANGE', ukey(user), 0, -1)) do
  if id ~= except then
    local flat, f = load(id)
    if flat then
      remove(id, f)
      out[#out + 1] = flat
    else
      redis.call('ZREM', ukey(user), id) -- its hash expired by TTL
    end
  end
end
return out
