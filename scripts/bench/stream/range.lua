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

done = dofile(string.gsub(debug.getinfo(1, "S").source:sub(2), "range.lua$", "result.lua"))
