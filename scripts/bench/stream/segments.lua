-- wrk script for scripts/bench/stream.sh: every request GETs one path picked at random from a
-- file of paths (one a line: the HLS media segments of a track, as veza or nginx names them),
-- from a seeded generator (seed + thread number), so a run's choices repeat.
--
--   wrk -s segments.lua URL -- PATHS_FILE SEED
--
-- When done, prints the same `RESULT {json}` line as range.lua.

local threads = 0

function setup(thread)
    thread:set("thread_number", threads)
    threads = threads + 1
end

local paths = {}

function init(args)
    local file = args[1]
    local seed = tonumber(args[2])
    if not file or not seed then error("usage: wrk -s segments.lua URL -- PATHS_FILE SEED") end
    for line in io.lines(file) do
        if line ~= "" then paths[#paths + 1] = line end
    end
    if #paths == 0 then error("segments.lua: no paths in " .. file) end
    math.randomseed(seed + thread_number)
end

function request()
    return wrk.format(nil, paths[math.random(1, #paths)])
end

done = dofile(string.gsub(debug.getinfo(1, "S").source:sub(2), "segments.lua$", "result.lua"))
