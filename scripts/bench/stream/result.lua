-- The `done` function of the stream bench's wrk scripts: prints one line `RESULT {json}`.
return function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'RESULT {"requests": %d, "bytes": %d, "duration_us": %d, "requests_per_s": %.3f, "p50_us": %d, "p90_us": %d, '
            .. '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, '
            .. '"status": %d}}\n',
        summary.requests, summary.bytes, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status))
end
