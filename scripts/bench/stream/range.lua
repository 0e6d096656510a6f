-- wrk script for scripts/bench/stream.sh: every request asks for a random SPAN-byte range
-- (default 65536) of a SIZE-byte file, `Range: bytes=a-(a+SPAN-1)` with a uniform in
-- [0, SIZE-SPAN], from a seeded generator (seed + thread number), so a run's ranges repeat.
--
--   wrk -s range.lua URL -- SIZE SEED [SPAN]
--
-- When done, prints one line `RESULT {json}`: requests, bytes (read, headers included),
-- duration_us, requests_per_s, latency
-- percentiles in microseconds (p50, p90, p99, max) and wrk's error counts (connect, read,
-- write, timeout, status = responses that were not 2xx or 3xx).

local threads = 0

function setup(thread)
    thread:set("thread_number", threads)
    threads = threads + 1
end

local size, span

function init(args)
    size = tonumber(args[1])
    local seed = tonumber(args[2])
    span = tonumber(args[3] or "65536")
    if not size or not seed or size < span then
        error("usage: wrk -s range.lua URL -- SIZE SEED [SPAN] (SIZE >= SPAN)")
    end
    math.randomseed(seed + thread_number)
end

function request()
    local a = math.random(0, size - span)
    wrk.headers["Range"] = string.format("bytes=%d-%d", a, a + span - 1)
    return wrk.format()
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'RESULT {"requests": %d, "bytes": %d, "duration_us": %d, "requests_per_s": %.3f, "p50_us": %d, "p90_us": %d, '
            .. '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, '
            .. '"status": %d}}\n',
        summary.requests, summary.bytes, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status))
end
