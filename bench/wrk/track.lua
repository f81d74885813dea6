-- GET /api/v1/track/ over many dossiers: BENCH_TRACK_FILE holds one path per line (code and
-- phone of a sample spread over the table), taken in turn, so the line pays cache misses as
-- well as hits. A 429 (rate limit) is a non-2xx status: wrk counts it as an error.
local paths = {}
local index = 0

setup = function(thread)
  thread_number = (thread_number or 0) + 1
  thread:set("offset", thread_number * 7919)
end

init = function(args)
  for line in io.lines(os.getenv("BENCH_TRACK_FILE")) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  index = offset or 0
end

request = function()
  index = index + 1
  return wrk.format("GET", paths[(index % #paths) + 1])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors_status": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
