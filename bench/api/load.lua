-- wrk script for bench/api: each request picks a random path from the file named by BENCH_PATHS
-- (one path a line) and sends the headers in BENCH_HEADERS ("Name: value" lines). `done` prints
-- one machine-readable line that bench.py parses. No `response` callback on purpose: it would
-- make wrk parse every body in Lua and steal CPU from the server on a 2-core box; status codes
-- are checked from moim's own /metrics counters and wrk's non-2xx/3xx count instead.

local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_id", counter)
end

local paths = {}
local headers = {}

function init(args)
   local f = assert(io.open(os.getenv("BENCH_PATHS"), "r"))
   for line in f:lines() do
      if #line > 0 then paths[#paths + 1] = line end
   end
   f:close()
   assert(#paths > 0, "BENCH_PATHS is empty")
   for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
   end
   math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
   return wrk.format("GET", paths[math.random(#paths)], headers)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
