-- Delete: ARGV[2] id, [3] the user it must belong to, or '' for any.
-- Returns the session removed, flat, or an empty array.
local id, user = ARGV[2], ARGV[3]
local flat, f = load(id)
if not flat or (user ~= '' and f.u ~= user) then return {} end
remove(id, f)
return flat
