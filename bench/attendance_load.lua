-- wrk script for bench/attendance.py: each request is the next pre-built push
-- of one section's roll, never one sent before.
--
--   wrk -t T -c C -d 15s -s bench/attendance_load.lua URL -- BODIES PATH T
--
-- BODIES holds one request a line: "<token>\t<json body>". Thread k of T
-- takes lines k, k+T, k+2T, ...; a thread that runs out sends GET
-- /api/health instead and counts it as `exhausted` (the bench then fails:
-- make more bodies). The summary goes to $BENCH_RESULT, one name=value a
-- line, and the mutation ids answered "applied" to $BENCH_ACKED.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file, path, nthreads = args[1], args[2], tonumber(args[3])
  requests_ = {}
  local line_no = 0
  for line in io.lines(file) do
    if line_no % nthreads == id - 1 then
      local tab = line:find("\t", 1, true)
      requests_[#requests_ + 1] = wrk.format("POST", path, {
        ["Authorization"] = "Bearer " .. line:sub(1, tab - 1),
        ["Content-Type"] = "application/json",
      }, line:sub(tab + 1))
    end
    line_no = line_no + 1
  end
  health = wrk.format("GET", "/api/health")
  sent, ok, non2xx, not_applied, exhausted = 0, 0, 0, 0, 0
  acked = {}
end

function request()
  sent = sent + 1
  local r = requests_[sent]
  if r == nil then
    exhausted = exhausted + 1
    return health
  end
  return r
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return
  end
  local mutation_id = body:match('"mutation_id":"([^"]+)"')
  if mutation_id == nil then
    return -- a health check after running out
  end
  local _, applied = body:gsub('"status":"applied"', "")
  if applied == 1 and not body:find('"replayed"', 1, true) then
    ok = ok + 1
    acked[#acked + 1] = mutation_id
  else
    not_applied = not_applied + 1
  end
end

function done(summary, latency, requests)
  local totals = {sent = 0, ok = 0, non2xx = 0, not_applied = 0, exhausted = 0}
  local out_ids = io.open(os.getenv("BENCH_ACKED"), "w")
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    for _, mutation_id in ipairs(thread:get("acked")) do
      out_ids:write(mutation_id, "\n")
    end
  end
  out_ids:close()
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write("duration_us=", summary.duration, "\n")
  out:write("responses=", summary.requests, "\n")
  for name, value in pairs(totals) do
    out:write(name, "=", value, "\n")
  end
  out:write("transport_errors=", e.connect + e.read + e.write + e.timeout, "\n")
  out:write("status_errors=", e.status, "\n")
  for _, p in ipairs({50, 90, 99, 99.9}) do
    out:write("p", p, "_us=", latency:percentile(p), "\n")
  end
  out:write("max_us=", latency.max, "\n")
  out:close()
end
