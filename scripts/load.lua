-- wrk script for scripts/load.sh: sends the request wrk was given on the
-- command line with the headers in the file $LOAD_HEADERS ("Name: value" a
-- line), and counts every answer whose status is not $LOAD_EXPECT.

local expected = tonumber(os.getenv("LOAD_EXPECT") or "200")

local file = os.getenv("LOAD_HEADERS")
if file and file ~= "" then
  for line in io.lines(file) do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then wrk.headers[name] = value end
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  answered = 0
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local bad, seen = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    seen = seen + thread:get("answered")
  end
  io.write(string.format("answers: %d, not %d: %d, socket errors: %d\n", seen, expected, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
