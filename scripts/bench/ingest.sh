#!/usr/bin/env bash
# Ingest benchmark: a WAV file through `veza upload` -> `veza serve` (TRACK_STORAGE_BACKEND=s3)
# next to a direct boto3 multipart upload of the same file (10 MiB parts, 3 in flight, the raw
# limit of the S3 hop), both into one SeaweedFS (warmed up by an untimed upload first), in
# alternating rounds per size (veza then boto3, boto3 then veza, ...; medians); plus the server's
# idle RSS and peak RSS (VmHWM, reset after the idle reading) per size, from a fresh `veza serve`
# per size, to show that the server's memory does not grow with the file.
#
#   scripts/bench/ingest.sh [SIZES_MIB...]      (default 64 512)
#
# Environment: VEZA_BIN=PATH uses that veza instead of building it
# (`swift build -c release --product veza`); BENCH_ROUNDS (3); BENCH_PERF=DIR adds, per size, an
# untimed round of each tool under `perf record -a -g` (the whole machine: client, server and
# SeaweedFS) into DIR/veza-SIZE.perf.data and DIR/boto3-SIZE.perf.data.
# The server runs on SQLite in a temp VEZA_DATA_DIR, with TRANSCODE_WORKERS=0 (ingest only).
# veza's time is the whole `veza upload` command: process start, sending the chunks to the
# server's spool (hashing each chunk and the whole file on the way), then the completing request,
# during which the server finishes the S3 multipart upload it assembled while the chunks arrived
# (its defaults: 10 MiB parts, 2 in flight).
# Exit status: 0 when every upload succeeded and the server's peak over idle grew by at most
# 16 MiB from the smallest to the largest size (FLAT); 1 otherwise (GROWS, or a failure).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "${repo_root}"
sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(64 512)
for size in "${sizes[@]}"; do
    [[ "${size}" =~ ^[1-9][0-9]*$ ]] || {
        echo "ingest.sh: sizes are whole MiB, got '${size}'" >&2
        exit 2
    }
done
part_mib=10
concurrency=3
growth_bound_mib=16
rounds="${BENCH_ROUNDS:-3}"
[[ "${rounds}" =~ ^[1-9][0-9]*$ ]] || {
    echo "ingest.sh: BENCH_ROUNDS must be a positive whole number, got '${rounds}'" >&2
    exit 2
}
warmup_mib=32

if [[ -n "${VEZA_BIN:-}" ]]; then
    veza="${VEZA_BIN}"
else
    echo "==> swift build -c release --product veza" >&2
    swift build -c release --product veza >&2
    veza="$(swift build -c release --show-bin-path)/veza"
fi
[[ -x "${veza}" ]] || {
    echo "ingest.sh: ${veza} is not executable" >&2
    exit 1
}

work="$(mktemp -d /tmp/veza-bench-ingest.XXXXXX)"
server_pid=""
stop_server() {
    [[ -n "${server_pid}" ]] || return 0
    kill -TERM "${server_pid}" 2>/dev/null || true
    local waited=0
    while kill -0 "${server_pid}" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
    server_pid=""
}
cleanup() {
    stop_server
    scripts/services.sh stop "${work}/services" >&2 || true
    rm -rf -- "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints field FIELD (VmRSS, VmHWM) of /proc/PID/status, in bytes.
status_bytes() { # PID FIELD
    awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/$1/status"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

echo "==> services" >&2
scripts/services.sh start "${work}/services" >/dev/null
set -a
# shellcheck disable=SC1091
. "${work}/services/env.sh"
set +a
export S3_ENDPOINT="${VEZA_TEST_S3_ENDPOINT}" S3_REGION="${VEZA_TEST_S3_REGION}"
export S3_ACCESS_KEY_ID="${VEZA_TEST_S3_ACCESS_KEY_ID}" S3_SECRET_ACCESS_KEY="${VEZA_TEST_S3_SECRET_ACCESS_KEY}"
S3_BUCKET="bench-ingest-$(date +%s)"
export S3_BUCKET
python3 scripts/bench/ingest_boto3.py bucket --bucket "${S3_BUCKET}"

max_mib=0
for size in "${sizes[@]}"; do ((size > max_mib)) && max_mib="${size}"; done
jwt_secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
user="6f1c0c7e-5d1f-4a8e-9b1e-2f3a4b5c6d7e"
results="${work}/results.jsonl"
: >"${results}"

# SeaweedFS allocates its volumes on the first writes into a bucket: an untimed upload first, so
# the first timed round of either tool does not pay for it.
echo "==> warm-up (untimed boto3 upload, ${warmup_mib} MiB)" >&2
python3 scripts/bench/ingest_boto3.py wav "${work}/warmup.wav" --size-mib "${warmup_mib}"
python3 scripts/bench/ingest_boto3.py upload --file "${work}/warmup.wav" --bucket "${S3_BUCKET}" \
    --key "warmup.wav" --part-size-mib "${part_mib}" --concurrency "${concurrency}" >/dev/null
rm -f -- "${work}/warmup.wav"

# One `veza upload` of FILE to the server on PORT; appends its row (seconds, complete, prefix) to
# the results unless the round is "perf".
veza_round() { # SIZE FILE PORT TOKEN RUN ROUND
    local size="$1" file="$2" port="$3" token="$4" run="$5" round="$6" started ended complete_s prefix_b
    echo "==> veza upload (${size} MiB, round ${round})" >&2
    started="$(date +%s.%N)"
    if ! VEZA_DATA_DIR="${run}/client" "${veza}" upload "${file}" --server "http://127.0.0.1:${port}" \
        --token "${token}" --concurrency "${concurrency}" >"${run}/upload.out" 2>"${run}/upload.err"; then
        cat "${run}/upload.err" >&2
        tail -n 20 "${run}/server.log" >&2
        echo "ingest.sh: veza upload failed" >&2
        exit 1
    fi
    ended="$(date +%s.%N)"
    echo "track $(tail -n1 "${run}/upload.out")" >&2
    [[ "${round}" != perf ]] || return 0
    # The server logs how long `complete` took (upload.complete_seconds on "upload completed").
    complete_s="$(grep -o 'upload.complete_seconds[^0-9]*[0-9][0-9.e-]*' "${run}/server.log" | tail -n1 | grep -o '[0-9][0-9.e-]*$' || echo -1)"
    prefix_b="$(grep -o 'upload.prefix_bytes[^0-9]*[0-9]*' "${run}/server.log" | tail -n1 | grep -o '[0-9]*$' || echo 0)"
    printf '{"size_mib": %d, "tool": "veza upload", "round": %d, "seconds": %s, "bytes": %d, "complete": %s, "prefix": %s}\n' \
        "${size}" "${round}" "$(awk -v a="${started}" -v b="${ended}" 'BEGIN { print b - a }')" \
        "$(stat -c %s "${file}")" "${complete_s:--1}" "${prefix_b:-0}" >>"${results}"
}

# One boto3 upload of FILE; appends its row unless the round is "perf".
boto3_round() { # SIZE FILE RUN ROUND
    local size="$1" file="$2" run="$3" round="$4"
    echo "==> boto3 (${size} MiB, round ${round})" >&2
    python3 scripts/bench/ingest_boto3.py upload --file "${file}" --bucket "${S3_BUCKET}" \
        --key "boto3/track-${size}.wav" --part-size-mib "${part_mib}" --concurrency "${concurrency}" |
        tee "${run}/boto3.out" >&2
    [[ "${round}" != perf ]] || return 0
    python3 - "${size}" "${round}" "${run}/boto3.out" >>"${results}" <<'PY'
import json
import sys

line = [l for l in open(sys.argv[3]) if l.startswith("RESULT ")][-1]
r = json.loads(line[len("RESULT "):])
print(json.dumps({"size_mib": int(sys.argv[1]), "tool": r["tool"], "round": int(sys.argv[2]), "seconds": r["seconds"], "bytes": r["bytes"]}))
PY
}

# Runs COMMAND... while `perf record -a -g` records the whole machine into FILE (BENCH_PERF only).
perf_round() { # FILE COMMAND...
    local file="$1" perf_pid
    shift
    perf record -q -a -g -F 499 -o "${file}" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1 # perf is recording
    "$@"
    kill -INT "${perf_pid}"
    wait "${perf_pid}" || true
    echo "perf: ${file} (perf report -i ${file} --no-children --sort comm,dso,sym)" >&2
}

for size in "${sizes[@]}"; do
    file="${work}/track-${size}.wav"
    echo "==> ${size} MiB WAV" >&2
    python3 scripts/bench/ingest_boto3.py wav "${file}" --size-mib "${size}"
    bytes="$(stat -c %s "${file}")"

    # A fresh server per size, so that VmHWM is this size's peak (over its rounds).
    run="${work}/run-${size}"
    mkdir -p "${run}/server" "${run}/client"
    port="$(free_port)"
    (
        export VEZA_DATA_DIR="${run}/server" TRACK_STORAGE_BACKEND=s3 TRANSCODE_WORKERS=0
        export MAX_UPLOAD_AUDIO_MB=$((max_mib + 1)) JWT_SECRET="${jwt_secret}" LOG_LEVEL=info
        exec "${veza}" serve --host 127.0.0.1 --port "${port}"
    ) >"${run}/server.log" 2>&1 </dev/null &
    server_pid=$!
    deadline=$((SECONDS + 120))
    until [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${port}/health" || true)" == 200 ]]; do
        if ! kill -0 "${server_pid}" 2>/dev/null || ((SECONDS >= deadline)); then
            tail -n 20 "${run}/server.log" >&2
            echo "ingest.sh: veza serve did not become ready on 127.0.0.1:${port}" >&2
            exit 1
        fi
        sleep 0.25
    done
    sleep 2 # let start-up settle before reading the idle RSS
    idle="$(status_bytes "${server_pid}" VmRSS)"
    # Reset VmHWM to the current RSS (Linux: 5 > clear_refs), so the peak is the uploads', not
    # start-up's; without the reset it is at worst the start-up peak, never below the uploads'.
    echo 5 >"/proc/${server_pid}/clear_refs" 2>/dev/null || echo "ingest.sh: cannot reset VmHWM; peak includes start-up" >&2
    token="$(JWT_SECRET="${jwt_secret}" VEZA_DATA_DIR="${run}/client" "${veza}" token --user "${user}" | tail -n1)"

    # Alternating rounds (veza first, then boto3 first, ...), so that neither tool always runs
    # into a SeaweedFS the other has just loaded.
    for ((round = 1; round <= rounds; round++)); do
        if ((round % 2 == 1)); then
            veza_round "${size}" "${file}" "${port}" "${token}" "${run}" "${round}"
            boto3_round "${size}" "${file}" "${run}" "${round}"
        else
            boto3_round "${size}" "${file}" "${run}" "${round}"
            veza_round "${size}" "${file}" "${port}" "${token}" "${run}" "${round}"
        fi
    done
    peak="$(status_bytes "${server_pid}" VmHWM)"
    printf '{"size_mib": %d, "tool": "server", "idle": %d, "peak": %d}\n' "${size}" "${idle}" "${peak}" >>"${results}"
    if [[ -n "${BENCH_PERF:-}" ]]; then
        # An untimed round of each under perf (whole machine: client, server and SeaweedFS).
        mkdir -p "${BENCH_PERF}"
        perf_round "${BENCH_PERF}/veza-${size}.perf.data" \
            veza_round "${size}" "${file}" "${port}" "${token}" "${run}" perf
        perf_round "${BENCH_PERF}/boto3-${size}.perf.data" boto3_round "${size}" "${file}" "${run}" perf
    fi
    stop_server
    # The server's objects are in the bucket, byte for byte the file's size.
    python3 scripts/bench/ingest_boto3.py check --bucket "${S3_BUCKET}" --bytes "${bytes}" >/dev/null || {
        echo "ingest.sh: no ${bytes}-byte object in ${S3_BUCKET} after veza upload" >&2
        exit 1
    }
    rm -f -- "${file}"
done

python3 - "${growth_bound_mib}" "${part_mib}" "${concurrency}" "${results}" <<'PY'
import json
import os
import statistics
import sys

bound, part, concurrency = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(sys.argv[4])]
mib = lambda b: b / 1048576
rate = lambda r: mib(r["bytes"]) / r["seconds"]
sizes = sorted({r["size_mib"] for r in rows})
servers = {r["size_mib"]: r for r in rows if r["tool"] == "server"}
rounds = max(r["round"] for r in rows if "round" in r)
print(
    f"\ningest into SeaweedFS on 127.0.0.1: veza upload -> veza serve (S3 backend) vs boto3 multipart"
    f" ({part} MiB parts, {concurrency} in flight); {rounds} alternating rounds per size after a warm-up, medians"
)
header = f"{'size':>8}  {'tool':<14} {'MiB/s':>7} {'rounds (MiB/s)':<22} {'server idle RSS':>15} {'server peak RSS':>15} {'peak over idle':>14}"
print(header)
print("-" * len(header))
summary = []
for size in sizes:
    veza = [r for r in rows if r["size_mib"] == size and r["tool"] == "veza upload"]
    base = [r for r in rows if r["size_mib"] == size and r["tool"] not in ("veza upload", "server")]
    for tool, group in (("veza upload", veza), (base[0]["tool"] if base else "boto3", base)):
        if not group:
            continue
        each = " ".join(f"{rate(r):.1f}" for r in sorted(group, key=lambda r: r["round"]))
        if tool == "veza upload" and size in servers:
            s = servers[size]
            server = f"{mib(s['idle']):>14.1f}M {mib(s['peak']):>14.1f}M {mib(s['peak'] - s['idle']):>13.1f}M"
        else:
            server = f"{'-':>15} {'-':>15} {'-':>14}"
        print(f"{size:>4} MiB  {tool:<14} {statistics.median(map(rate, group)):>7.1f} {each:<22} {server}")
    if veza and base:
        ratio = statistics.median(map(rate, veza)) / statistics.median(map(rate, base))
        by_round = {r["round"]: rate(r) for r in base}
        each = " ".join(f"{rate(r) / by_round[r['round']]:.2f}" for r in sorted(veza, key=lambda r: r["round"]) if r["round"] in by_round)
        summary.append(
            f"{size:>4} MiB  veza/boto3 throughput {ratio:.2f}x (rounds {each}); complete took"
            f" {statistics.median(r['complete'] for r in veza):.3f} s (median; "
            f"{mib(statistics.median(r['prefix'] for r in veza)):.0f} MiB already in the store when it started)"
        )
print("\n".join(summary))
served = [servers[s] for s in sizes if s in servers]
small, large = served[0], served[-1]
over = lambda r: mib(r["peak"] - r["idle"])
growth = over(large) - over(small)
ok = growth <= bound
if small["size_mib"] == large["size_mib"]:
    print(f"peak over idle: one size only ({small['size_mib']} MiB, {over(small):.1f} MiB over idle), nothing to compare")
else:
    print(
        f"peak over idle: {over(small):.1f} MiB at {small['size_mib']} MiB, {over(large):.1f} MiB at {large['size_mib']} MiB:"
        f" grew by {growth:.1f} MiB (bound {bound} MiB): {'FLAT' if ok else 'GROWS'}"
    )
print(f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} cores (other work slows both tools)")
sys.exit(0 if ok else 1)
PY
