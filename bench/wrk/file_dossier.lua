-- POST /api/v1/dossiers/ as a citizen (token) with two small PDF attachments per filing.
-- Every request carries a fresh submission_key so each one is a new dossier. With BENCH_CODES_DIR
-- set, each thread writes the code of every 201 answer to <dir>/codes-<thread>.txt, so the harness
-- can check that each acknowledged filing is in the database exactly once.
local token = os.getenv("BENCH_TOKEN")
local procedure = os.getenv("BENCH_PROCEDURE")
local doc_a = os.getenv("BENCH_DOC_A")
local doc_b = os.getenv("BENCH_DOC_B")
local boundary = "----motcua-bench-boundary"
local pdf = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" ..
  "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
-- Each thread runs its own copy of this script: `setup` (main copy) numbers the threads and
-- hands each its number as the global `thread_number`, read by `init`/`request` of that copy.
local threads = 0
local counter = 0
local codes = nil

setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

init = function(args)
  local dir = os.getenv("BENCH_CODES_DIR")
  if dir and dir ~= "" then
    codes = io.open(dir .. "/codes-" .. thread_number .. ".txt", "a")
  end
end

response = function(status, headers, body)
  if codes and status == 201 then
    local code = string.match(body, '"code"%s*:%s*"([^"]+)"')
    codes:write((code or "?") .. "\n")
    codes:flush()
  end
end

local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
    "\"\r\n\r\n" .. value .. "\r\n"
end

local function file(name, filename)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
    "\"; filename=\"" .. filename .. "\"\r\nContent-Type: application/pdf\r\n\r\n" .. pdf .. "\r\n"
end

request = function()
  counter = counter + 1
  local key = string.format("bench-%d-%d-%d", os.time(), thread_number, counter)
  local body = field("procedure", procedure) ..
    field("applicant_name", "Nguyễn Thị Thử Tải") ..
    field("applicant_phone", "0912345678") ..
    field("applicant_id_number", "068190000123") ..
    field("applicant_address", "Xã Xuân Trường, Đà Lạt, Lâm Đồng") ..
    field("result_delivery", "desk") ..
    field("submission_key", key) ..
    file("doc_" .. doc_a, "a.pdf") .. file("doc_" .. doc_b, "b.pdf") ..
    "--" .. boundary .. "--\r\n"
  local headers = {}
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  headers["Authorization"] = "Token " .. token
  return wrk.format("POST", "/api/v1/dossiers/", headers, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors_status": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
