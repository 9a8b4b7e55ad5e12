-- DeleteExpired, one batch: ARGV[2] now (Unix ms), [3] the most index
-- entries to take. Returns how many it took, then the sessions it
-- removed, flat. Every entry it takes leaves the index or moves past now,
-- so that repeated calls end.
local now, n = ARGV[2], tonumber(ARGV[3])
local entries = redis.call('ZRANGEBYSCORE', IDLE, '-inf', now, 'LIMIT', 0, n)
local out = {#entries}
for _, m in ipairs(entries) do
  redis.call('ZREM', IDLE, m)
  local id, user = unmember(m)
  local flat, f = load(id)
  if not flat then
    -- Its hash expired by TTL: too late to report, but its entries in the
    -- other indexes must go too.
    redis.call('ZREM', ALL, id)
    redis.call('ZREM', ukey(user), id)
  elseif tonumber(f.i) > tonumber(now) then
    redis.call('ZADD', IDLE, f.i, member(id, f.u)) -- not dead: a stray entry
  else
    remove(id, f)
    out[#out + 1] = flat
  end
end
return out
