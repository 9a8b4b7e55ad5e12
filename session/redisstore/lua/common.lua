-- Shared by every script: the key names, and the helpers that keep the
-- indexes in step with the sessions. ARGV[1] is the key prefix. The
-- scripts name their keys themselves, from the prefix: on Redis Cluster
-- the prefix must hold a hash tag, so that all of them are in one slot.
local P = ARGV[1]
local ALL = P .. 'all'   -- every session id, scored by sign-in time (ms)
local IDLE = P .. 'idle' -- member(id, user), scored by idle deadline (ms)

local function skey(id) return P .. 's:' .. id end      -- hash: the session
local function tkey(hex) return P .. 't:' .. hex end    -- string: token hash → id
local function ukey(user) return P .. 'u:' .. user end  -- zset: the user's ids

-- member is a session's entry in IDLE: its id and its user, so that the
-- sweep can clean the user's index even after the session's hash expired
-- by TTL. The length prefix keeps it unambiguous whatever the strings hold.
local function member(id, user) return #id .. ':' .. id .. user end

local function unmember(m)
  local colon = string.find(m, ':', 1, true)
  local n = tonumber(string.sub(m, 1, colon - 1))
  return string.sub(m, colon + 1, colon + n), string.sub(m, colon + n + 1)
end

-- load returns the fields of session id, flat as HGETALL gives them and as
-- a table, or nil when there is no such session.
local function load(id)
  local flat = redis.call('HGETALL', skey(id))
  if #flat == 0 then return nil end
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return flat, f
end

-- remove deletes session id, whose fields are f, with its tokens and its
-- entries in every index.
local function remove(id, f)
  redis.call('DEL', skey(id), tkey(f.h))
  if f.p then redis.call('DEL', tkey(f.p)) end
  redis.call('ZREM', ukey(f.u), id)
  redis.call('ZREM', ALL, id)
  redis.call('ZREM', IDLE, member(id, f.u))
end

-- expire makes the keys of session id, with tokens h and p (p may be
-- false), expire at the instant at (Unix ms), and the user's index no
-- sooner: it lives as long as the longest-lived of its sessions.
local function expire(id, h, p, user, at)
  redis.call('PEXPIREAT', skey(id), at)
  redis.call('PEXPIREAT', tkey(h), at)
  if p then redis.call('PEXPIREAT', tkey(p), at) end
  redis.call('PEXPIREAT', ukey(user), at, 'NX')
  redis.call('PEXPIREAT', ukey(user), at, 'GT')
end

-- before reports whether a sorts before b byte by byte, as Go compares
-- strings and sorted sets order equal scores. Lua's own < follows the
-- server's locale (strcoll).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
