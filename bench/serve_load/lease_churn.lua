-- wrk script for bench/serve_load/run.sh: every connection churns leases.
--
-- Each wrk thread has its own Lua state and keeps a stack of the lease ids it
-- was granted. Its requests alternate: POST /v1/leases (ask for one GPU),
-- then POST /v1/leases/{id}/release of an id popped from the stack. When the
-- stack is empty it asks again instead of releasing; when it holds more than
-- MAX_HELD it releases instead of asking, so the leases alive at any moment
-- are at most threads x MAX_HELD + connections (far below the cluster's 800
-- GPUs): every request is granted and none waits. Both calls are journaled
-- commands the server acknowledges only once they are committed.
--
-- Arguments (after `--` on the wrk command line): [tenants] [api_key]
--   tenants: comma-separated leaf tenants, used round-robin (default bench/a,bench/b)
--   api_key: sent as "Authorization: Bearer KEY" when given and not "-"
--
-- Successes are counted from the status only: 201 for a grant, 200 for a
-- release. Every other status is counted by code and printed by done().

local MAX_HELD = 16

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  table.insert(threads, thread)
end

-- Per-thread state (each thread runs its own copy of the globals below).
local held = {}        -- stack of granted lease ids
local n_held = 0
local turn_release = false
local tenants = {}
local tenant_i = 0
local headers = {}
granted = 0            -- 201 replies (grants)
released = 0           -- 200 replies (releases)
queued = 0             -- 202 replies (should stay 0: the cluster never fills)
other = 0              -- any other status
codes = ""             -- "status=count " for the other statuses
unparsed = 0           -- 201 replies without an id found
sent_create = 0
sent_release = 0
local other_codes = {}

function init(args)
  local list = args[1]
  if list == nil or list == "" or list == "-" then list = "bench/a,bench/b" end
  for t in string.gmatch(list, "[^,]+") do table.insert(tenants, t) end
  headers["Content-Type"] = "application/json"
  if args[2] ~= nil and args[2] ~= "" and args[2] ~= "-" then
    headers["Authorization"] = "Bearer " .. args[2]
  end
end

local function create()
  tenant_i = tenant_i % #tenants + 1
  sent_create = sent_create + 1
  return wrk.format("POST", "/v1/leases", headers,
                    '{"tenant":"' .. tenants[tenant_i] .. '","resources":{"gpu":1}}')
end

local function release()
  local id = held[n_held]
  held[n_held] = nil
  n_held = n_held - 1
  sent_release = sent_release + 1
  return wrk.format("POST", "/v1/leases/" .. id .. "/release", headers, nil)
end

function request()
  turn_release = not turn_release
  if n_held > MAX_HELD or (turn_release and n_held > 0) then
    return release()
  end
  return create()
end

function response(status, resp_headers, body)
  if status == 201 then
    local id = string.match(body, '"id":(%d+)')
    if id then
      n_held = n_held + 1
      held[n_held] = id
      granted = granted + 1
    else
      unparsed = unparsed + 1
    end
  elseif status == 200 then
    released = released + 1
  elseif status == 202 then
    queued = queued + 1
  else
    other = other + 1
    other_codes[status] = (other_codes[status] or 0) + 1
    local parts = {}
    for code, count in pairs(other_codes) do
      table.insert(parts, code .. "=" .. count)
    end
    codes = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local g, r, q, o, u, sc, sr = 0, 0, 0, 0, 0, 0, 0
  local code_list = {}
  for _, thread in ipairs(threads) do
    g = g + thread:get("granted")
    r = r + thread:get("released")
    q = q + thread:get("queued")
    o = o + thread:get("other")
    u = u + thread:get("unparsed")
    sc = sc + thread:get("sent_create")
    sr = sr + thread:get("sent_release")
    local c = thread:get("codes")
    if c ~= "" then table.insert(code_list, "t" .. thread:get("thread_no") .. ":" .. c) end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  -- One machine-readable line for run.sh (latencies in microseconds).
  io.write(string.format(
    "RESULT seconds=%.3f requests=%d rps=%.1f ok_2xx=%d grants=%d releases=%d queued=%d " ..
    "non2xx=%d unparsed=%d grants_per_s=%.1f ok_per_s=%.1f p50_us=%.0f p90_us=%.0f " ..
    "p99_us=%.0f p999_us=%.0f max_us=%.0f mean_us=%.0f sent_create=%d sent_release=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d wrk_status_errors=%d codes=%s\n",
    seconds, summary.requests, summary.requests / seconds, g + r + q, g, r, q, o, u,
    g / seconds, (g + r + q) / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, sc, sr,
    e.connect, e.read, e.write, e.timeout, e.status,
    (#code_list > 0) and table.concat(code_list, ";") or "-"))
end
