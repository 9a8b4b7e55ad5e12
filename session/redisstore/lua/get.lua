-- Get: the session whose current or previous token hashes to ARGV[2]
-- (hex), flat, or an empty array.
local hex = ARGV[2]
local id = redis.call('GET', tkey(hex))
if not id then return {} end
local flat, f = load(id)
-- A token key always names a session that has it; checking costs nothing.
if not flat or (f.h ~= hex and f.p ~= hex) then return {} end
return flat
