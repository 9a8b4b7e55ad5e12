-- The wrk script of every scenario of the load command (bench/cmd/load).
-- It can also be used by hand:
--   COOKIE='sesame_session=…' wrk -t2 -c64 -d5s --latency -s bench.lua http://127.0.0.1:5000/products
-- Settings come from the environment:
--   METHOD, BODY, COOKIE, ORIGIN, CTYPE   the request (default GET, no body)
--   CYCLE=N   BODY holds "{n}"; the requests carry n = 1..N in turn, thread t
--             (of THREADS) taking the n with (n-1) % THREADS == t, so that two
--             requests in a row never send the same n (a cart update that sets
--             the quantity a line already has changes nothing, and sesame
--             would then skip its write and audit)
--   EXPECT    the status every answer must have (default 200)
--   NOSTATUS=1  do not count statuses: response() makes wrk keep each answer's
--             headers and body for Lua, which costs wrk CPU on a shared machine
--   TARGET, SCENARIO   names copied into the result line
-- At the end it prints one line "BENCHJSON {…}" that the load command reads.
local env = function(k, d) local v = os.getenv(k); if v == nil or v == "" then return d end; return v end

wrk.method = env("METHOD", "GET")
local body = env("BODY", nil)
if body then wrk.body = body end
local cookie = env("COOKIE", nil)
if cookie then wrk.headers["Cookie"] = cookie end
local origin = env("ORIGIN", nil)
if origin then wrk.headers["Origin"] = origin end
local ctype = env("CTYPE", nil)
if ctype then wrk.headers["Content-Type"] = ctype end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local cycle = tonumber(env("CYCLE", "0"))
local reqs, nreq = {}, 0

function init(args)
  statuses = {}
  if cycle > 0 then
    local nthreads = tonumber(env("THREADS", "1"))
    for n = 1, cycle do
      if (n - 1) % nthreads == tid then
        local b = string.gsub(body, "{n}", tostring(n))
        table.insert(reqs, wrk.format(nil, nil, nil, b))
      end
    end
  end
end

if cycle > 0 then
  function request()
    nreq = nreq % #reqs + 1
    return reqs[nreq]
  end
end

if env("NOSTATUS", "0") ~= "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local expect = tonumber(env("EXPECT", "200"))
  local counts, unexpected, counted = {}, 0, false
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for code, n in pairs(s) do
        counted = true
        counts[code] = (counts[code] or 0) + n
        if code ~= expect then unexpected = unexpected + n end
      end
    end
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', code, n)) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"target":"%s","scenario":"%s","requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"expect":%d,"counted":%s,"unexpected":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
    env("TARGET", "?"), env("SCENARIO", "?"), summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, expect,
    tostring(counted), counted and unexpected or -1, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout, e.status))
end
