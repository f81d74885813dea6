-- POST /api/v1/dossiers/ as a citizen (token) with two small PDF attachments per filing.
-- Every request carries a fresh submission_key so each one is a new dossier.
local token = os.getenv("BENCH_TOKEN")
local procedure = os.getenv("BENCH_PROCEDURE")
local doc_a = os.getenv("BENCH_DOC_A")
local doc_b = os.getenv("BENCH_DOC_B")
local boundary = "----motcua-bench-boundary"
local pdf = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" ..
  "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
local thread_id = 0
local counter = 0

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
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
  local key = string.format("bench-%d-%d-%d", os.time(), thread_id, counter)
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
