#!/usr/bin/env bash
# Stream benchmark: random 64 KiB ranges of one WAV file (default 50 MiB), with wrk, from
# (a) `veza serve` on the local backend, `GET /api/v1/tracks/{id}/stream` (206 from disk),
# (b) nginx (nginx-light, own temporary config, own loopback port) serving the same stored file
#     from the same disk (206, sendfile), and
# (c) random HLS media segments of a transcoded track (a BENCH_SEGMENTS_MIB WAV, default 10),
#     `GET /api/v1/tracks/{id}/hls/{rendition}/{segment}` from `veza serve` (local backend)
#     against nginx serving the same segment files, and
# (d) `veza serve` with TRACK_STORAGE_BACKEND=s3 against a fresh SeaweedFS from services.sh:
#     the 302 redirects to presigned URLs themselves (wrk does not follow them), against nginx's
#     `return 302` with a Location of the same length.
# Ends with the three comparisons as ratios to nginx (requests/s and p99).
# Prints per target requests/s, p50 and p99 latency, bytes per response (headers included: about
# 64 KiB for the 206s, a few hundred bytes for the 302s) and wrk's error counts, and the load
# average; wrk runs on the same cores as the servers.
#
#   scripts/bench/stream.sh
#
# Environment: VEZA_BIN=PATH uses that veza instead of building it
# (`swift build -c release --product veza`); BENCH_SIZE_MIB (50), BENCH_DURATION (wrk's -d,
# 10s), BENCH_SEGMENTS_MIB (10), BENCH_PERF=DIR (perf record -g of each veza run into DIR, for
# `perf report -i DIR/<run>.perf.data`), BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_SEED (20261129: the same ranges on
# every run).
# Each `veza serve` runs on SQLite in a temp VEZA_DATA_DIR with TRANSCODE_WORKERS=0, so the
# track stays `processing`; its owner may stream it, and wrk sends the owner's bearer token.
# Everything listens on 127.0.0.1 only and is stopped on exit (also on failure or Ctrl-C).
# Exit status: 0 when every target answered the curl checks (206 with 65536 bytes, or 302 with
# a Location that itself answers 206 with 65536 bytes) and each wrk run completed; wrk's error
# counts are reported, not judged.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "${repo_root}"
size_mib="${BENCH_SIZE_MIB:-50}"
segments_mib="${BENCH_SEGMENTS_MIB:-10}"
duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-16}"
threads="${BENCH_THREADS:-2}"
seed="${BENCH_SEED:-20261129}"
span=65536
for setting in "size_mib=${size_mib}" "segments_mib=${segments_mib}" "connections=${connections}" "threads=${threads}" "seed=${seed}"; do
    [[ "${setting#*=}" =~ ^[0-9]+$ ]] || {
        echo "stream.sh: ${setting%%=*} must be a whole number, got '${setting#*=}'" >&2
        exit 2
    }
done
((size_mib >= 1)) || {
    echo "stream.sh: BENCH_SIZE_MIB must be at least 1" >&2
    exit 2
}
[[ "${duration}" =~ ^[1-9][0-9]*[smh]?$ ]] || {
    echo "stream.sh: BENCH_DURATION is wrk's -d (10s, 1m), got '${duration}'" >&2
    exit 2
}

for tool in wrk nginx curl python3; do
    command -v "${tool}" >/dev/null || {
        echo "stream.sh: ${tool} is missing; run scripts/setup.sh" >&2
        exit 1
    }
done

if [[ -n "${VEZA_BIN:-}" ]]; then
    veza="${VEZA_BIN}"
else
    echo "==> swift build -c release --product veza" >&2
    swift build -c release --product veza >&2
    veza="$(swift build -c release --show-bin-path)/veza"
fi
[[ -x "${veza}" ]] || {
    echo "stream.sh: ${veza} is not executable" >&2
    exit 1
}

work="$(mktemp -d /tmp/veza-bench-stream.XXXXXX)"
server_pid=""
nginx_pid=""
services_started=0
# Sends TERM to PID, waits up to 10 s, then KILL.
stop_pid() { # PID
    kill -TERM "$1" 2>/dev/null || true
    local waited=0
    while kill -0 "$1" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
stop_server() {
    [[ -n "${server_pid}" ]] || return 0
    stop_pid "${server_pid}"
    server_pid=""
}
stop_nginx() {
    [[ -n "${nginx_pid}" ]] || return 0
    stop_pid "${nginx_pid}" # TERM is nginx's fast shutdown; its workers exit with the master
    nginx_pid=""
}
cleanup() {
    stop_nginx
    stop_server
    ((services_started == 0)) || scripts/services.sh stop "${work}/services" >&2 || true
    rm -rf -- "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until GET URL answers 200; on timeout, or when PID exits, prints LOG's tail and fails.
wait_ready() { # NAME URL PID LOG
    local deadline=$((SECONDS + 120))
    until [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$2" || true)" == 200 ]]; do
        if ! kill -0 "$3" 2>/dev/null || ((SECONDS >= deadline)); then
            tail -n 20 "$4" >&2
            echo "stream.sh: $1 did not become ready at $2" >&2
            exit 1
        fi
        sleep 0.25
    done
}

jwt_secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
user="6f1c0c7e-5d1f-4a8e-9b1e-2f3a4b5c6d7e"
token=""
track=""
# Starts `veza serve` in a fresh data dir DIR (extra environment in the remaining arguments),
# uploads the WAV file `upload_file` (default: `file`) as `user`, and sets server_pid, port,
# token and track.
start_veza_with_track() { # DIR [NAME=VALUE...]
    local dir="$1"
    shift
    mkdir -p "${dir}/server" "${dir}/client"
    port="$(free_port)"
    (
        export VEZA_DATA_DIR="${dir}/server" TRANSCODE_WORKERS=0 JWT_SECRET="${jwt_secret}" LOG_LEVEL=warning
        export MAX_UPLOAD_AUDIO_MB=$((size_mib + 1))
        for assignment in "$@"; do export "${assignment?}"; done
        exec "${veza}" serve --host 127.0.0.1 --port "${port}"
    ) >"${dir}/server.log" 2>&1 </dev/null &
    server_pid=$!
    wait_ready "veza serve" "http://127.0.0.1:${port}/health" "${server_pid}" "${dir}/server.log"
    token="$(JWT_SECRET="${jwt_secret}" VEZA_DATA_DIR="${dir}/client" "${veza}" token --user "${user}" | tail -n1)"
    if ! VEZA_DATA_DIR="${dir}/client" "${veza}" upload "${upload_file:-${file}}" --server "http://127.0.0.1:${port}" \
        --token "${token}" --title "stream bench" >"${dir}/upload.out" 2>"${dir}/upload.err" </dev/null; then
        cat "${dir}/upload.err" >&2
        tail -n 20 "${dir}/server.log" >&2
        echo "stream.sh: veza upload failed" >&2
        exit 1
    fi
    track="$(tail -n1 "${dir}/upload.out")"
    [[ "${track}" =~ ^[0-9a-fA-F-]{36}$ ]] || {
        echo "stream.sh: veza upload printed no track id (last line: '${track}')" >&2
        exit 1
    }
}

# Fails unless one range request to URL (extra curl arguments after it) answers 206 with exactly
# `span` bytes, identical to the same bytes of the WAV file.
check_range() { # NAME URL [CURL_ARGS...]
    local name="$1" url="$2" offset=1048576
    shift 2
    local got
    got="$(curl -s -m 10 -o "${work}/range.bin" -w '%{http_code} %{size_download}' \
        -H "Range: bytes=${offset}-$((offset + span - 1))" "$@" "${url}" || true)"
    if [[ "${got}" != "206 ${span}" ]]; then
        echo "stream.sh: ${name}: one range answered '${got}' (status, bytes), not '206 ${span}'" >&2
        exit 1
    fi
    cmp -s "${work}/range.bin" <(tail -c "+$((offset + 1))" "${file}" | head -c "${span}") || {
        echo "stream.sh: ${name}: the range's bytes differ from the file's" >&2
        exit 1
    }
    echo "${name}: 206, ${span} bytes, same as the file's" >&2
}

results="${work}/results.jsonl"
: >"${results}"
# Runs wrk with SCRIPT (scripts/bench/stream/SCRIPT) against URL, the script's arguments after
# it, sending the headers in the `wrk_headers` array, and appends its RESULT as row NAME.
wrk_headers=()
measure() { # NAME URL SCRIPT [SCRIPT_ARGS...]
    local name="$1" url="$2" script="$3"
    shift 3
    echo "==> wrk ${name}: ${duration}, ${connections} connections, ${threads} threads" >&2
    local perf_pid=""
    if [[ -n "${BENCH_PERF:-}" && "${name}" == *": veza"* && -n "${server_pid}" ]]; then
        # perf record -g on the server, from 1 s after wrk starts for (duration - 2) s.
        local seconds="${duration%[smh]}" file
        [[ "${duration}" == *m ]] && seconds=$((seconds * 60))
        [[ "${duration}" == *h ]] && seconds=$((seconds * 3600))
        file="${BENCH_PERF}/$(echo "${name}" | tr -c 'A-Za-z0-9\n' '-').perf.data"
        (sleep 1 && exec perf record -q -F 999 -g -p "${server_pid}" -o "${file}" -- sleep "$((seconds > 3 ? seconds - 2 : 1))") \
            >/dev/null 2>&1 &
        perf_pid=$!
    fi
    wrk --latency -t "${threads}" -c "${connections}" -d "${duration}" --timeout 10s \
        -s "scripts/bench/stream/${script}" "${wrk_headers[@]}" "${url}" -- "$@" >"${work}/wrk.out" 2>&1 || {
        cat "${work}/wrk.out" >&2
        echo "stream.sh: wrk failed for ${name}" >&2
        exit 1
    }
    if [[ -n "${perf_pid}" ]]; then
        wait "${perf_pid}" || true
        echo "perf data: ${file}" >&2
    fi
    sed '/^RESULT /d' "${work}/wrk.out" >&2
    python3 - "${name}" "${work}/wrk.out" >>"${results}" <<'PY'
import json
import sys

line = [l for l in open(sys.argv[2]) if l.startswith("RESULT ")][-1]
r = json.loads(line[len("RESULT "):])
r["target"] = sys.argv[1]
print(json.dumps(r))
PY
}

# Starts nginx in DIR on a free port serving ROOT, with extra `server` directives (a string),
# and sets nginx_pid and nginx_port.
# `user root`: the temp dirs are mode 700; access log off like veza's (it logs warnings only).
# sendfile without tcp_nopush: with TCP_CORK every 64 KiB response on loopback stalls ~40 ms
# (p50 44 ms, about 400 requests/s), which would measure the cork, not nginx.
start_nginx() { # DIR ROOT [DIRECTIVES]
    local nginx_dir="$1" root="$2" extra="${3:-}"
    mkdir -p "${nginx_dir}/tmp"
    nginx_port="$(free_port)"
    cat >"${nginx_dir}/nginx.conf" <<NGINX
user root;
daemon off;
worker_processes auto;
pid ${nginx_dir}/nginx.pid;
error_log ${nginx_dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush off;
    keepalive_requests 1000000;
    default_type audio/wav;
    client_body_temp_path ${nginx_dir}/tmp/body;
    proxy_temp_path ${nginx_dir}/tmp/proxy;
    fastcgi_temp_path ${nginx_dir}/tmp/fastcgi;
    uwsgi_temp_path ${nginx_dir}/tmp/uwsgi;
    scgi_temp_path ${nginx_dir}/tmp/scgi;
    server {
        listen 127.0.0.1:${nginx_port};
        root ${root};
        location = /health { return 200 "ok\n"; }
        ${extra}
    }
}
NGINX
    echo "==> nginx on 127.0.0.1:${nginx_port}" >&2
    nginx -p "${nginx_dir}" -e "${nginx_dir}/error.log" -c "${nginx_dir}/nginx.conf" >"${nginx_dir}/stdout.log" 2>&1 </dev/null &
    nginx_pid=$!
    wait_ready nginx "http://127.0.0.1:${nginx_port}/health" "${nginx_pid}" "${nginx_dir}/error.log"
}
nginx_name="nginx $(nginx -v 2>&1 | sed 's|.*nginx/||')"

file="${work}/track.wav"
echo "==> ${size_mib} MiB WAV" >&2
python3 scripts/bench/ingest_boto3.py wav "${file}" --size-mib "${size_mib}"
bytes="$(stat -c %s "${file}")"

# (a) veza serve, local backend
echo "==> veza serve (local backend)" >&2
start_veza_with_track "${work}/local" TRACK_STORAGE_BACKEND=local
stream_url="http://127.0.0.1:${port}/api/v1/tracks/${track}/stream"
echo "track ${track}" >&2
check_range "veza local" "${stream_url}" -H "Authorization: Bearer ${token}"

# (b) nginx on the very file veza stored
objects="${work}/local/server/objects"
stored="$(find "${objects}/tracks" -type f -size "${bytes}c" -print -quit 2>/dev/null || true)"
[[ -n "${stored}" ]] || {
    echo "stream.sh: no ${bytes}-byte file under ${objects}/tracks" >&2
    exit 1
}
cmp -s "${stored}" "${file}" || {
    echo "stream.sh: ${stored} differs from the uploaded file" >&2
    exit 1
}
start_nginx "${work}/nginx" "${objects}"
nginx_url="http://127.0.0.1:${nginx_port}/${stored#"${objects}/"}"
check_range nginx "${nginx_url}"

wrk_headers=(-H "Authorization: Bearer ${token}")
measure "ranges: veza" "${stream_url}" range.lua "${bytes}" "${seed}" "${span}"
wrk_headers=()
measure "ranges: ${nginx_name}" "${nginx_url}" range.lua "${bytes}" "${seed}" "${span}"
stop_nginx
stop_server

# (c) HLS segments of a transcoded track, veza and nginx on the same files
echo "==> ${segments_mib} MiB WAV for HLS" >&2
python3 scripts/bench/ingest_boto3.py wav "${work}/segments.wav" --size-mib "${segments_mib}"
upload_file="${work}/segments.wav"
start_veza_with_track "${work}/hls" TRACK_STORAGE_BACKEND=local TRANSCODE_WORKERS=1
upload_file=""
echo "track ${track} (transcoding)" >&2
deadline=$((SECONDS + 600))
until [[ "$(curl -s -m 5 -H "Authorization: Bearer ${token}" "http://127.0.0.1:${port}/api/v1/tracks/${track}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("status", ""))' 2>/dev/null || true)" == ready ]]; do
    ((SECONDS < deadline)) || {
        tail -n 20 "${work}/hls/server.log" >&2
        echo "stream.sh: the HLS track did not become ready" >&2
        exit 1
    }
    sleep 1
done
objects="${work}/hls/server/objects"
find "${objects}/hls" -type f -name '*.m4s' | sort >"${work}/segment-files"
[[ -s "${work}/segment-files" ]] || {
    echo "stream.sh: no .m4s segments under ${objects}/hls" >&2
    exit 1
}
# hls/<track>/<job>/<rendition>/<segment>: the veza route, and nginx's path under its root
sed "s|^${objects}/hls/[^/]*/[^/]*/|/api/v1/tracks/${track}/hls/|" "${work}/segment-files" >"${work}/segments-veza"
sed "s|^${objects}||" "${work}/segment-files" >"${work}/segments-nginx"
echo "$(wc -l <"${work}/segment-files") segments" >&2
start_nginx "${work}/nginx-hls" "${objects}"
curl -s -m 10 -H "Authorization: Bearer ${token}" -o "${work}/seg-veza" "http://127.0.0.1:${port}$(head -n1 "${work}/segments-veza")"
curl -s -m 10 -o "${work}/seg-nginx" "http://127.0.0.1:${nginx_port}$(head -n1 "${work}/segments-nginx")"
if [[ ! -s "${work}/seg-veza" ]] || ! cmp -s "${work}/seg-veza" "${work}/seg-nginx"; then
    echo "stream.sh: veza and nginx answered different bytes for $(head -n1 "${work}/segments-nginx")" >&2
    exit 1
fi
echo "segments: veza and nginx answer the same $(stat -c %s "${work}/seg-veza") bytes" >&2
wrk_headers=(-H "Authorization: Bearer ${token}")
measure "segments: veza" "http://127.0.0.1:${port}/" segments.lua "${work}/segments-veza" "${seed}"
wrk_headers=()
measure "segments: ${nginx_name}" "http://127.0.0.1:${nginx_port}/" segments.lua "${work}/segments-nginx" "${seed}"
stop_nginx
stop_server

# (d) veza serve, S3 backend: the redirects
echo "==> services" >&2
services_started=1
scripts/services.sh start "${work}/services" >/dev/null
set -a
# shellcheck disable=SC1091
. "${work}/services/env.sh"
set +a
bucket="bench-stream-$(date +%s)"
S3_BUCKET="${bucket}" python3 scripts/bench/ingest_boto3.py bucket --bucket "${bucket}"
echo "==> veza serve (S3 backend)" >&2
start_veza_with_track "${work}/s3" TRACK_STORAGE_BACKEND=s3 S3_ENDPOINT="${VEZA_TEST_S3_ENDPOINT}" \
    S3_REGION="${VEZA_TEST_S3_REGION}" S3_BUCKET="${bucket}" S3_ACCESS_KEY_ID="${VEZA_TEST_S3_ACCESS_KEY_ID}" \
    S3_SECRET_ACCESS_KEY="${VEZA_TEST_S3_SECRET_ACCESS_KEY}"
stream_url="http://127.0.0.1:${port}/api/v1/tracks/${track}/stream"
echo "track ${track}" >&2
got="$(curl -s -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Authorization: Bearer ${token}" \
    -H "Range: bytes=0-$((span - 1))" "${stream_url}" || true)"
[[ "${got}" == "302 http"* ]] || {
    echo "stream.sh: veza s3: answered '${got}', not a 302 with a Location" >&2
    exit 1
}
echo "veza s3: 302" >&2
check_range "presigned URL" "${got#302 }"
location="${got#302 }"
wrk_headers=(-H "Authorization: Bearer ${token}")
measure "302: veza (S3)" "${stream_url}" range.lua "${bytes}" "${seed}" "${span}"
stop_server
# nginx's `return 302` with a Location of the same length (the presigned URL itself: nginx does
# not sign, so this is the floor for writing such an answer).
start_nginx "${work}/nginx-302" "${work}" \
    "location = /redirect { add_header Cache-Control \"private, no-store\"; return 302 \"${location}\"; }"
wrk_headers=()
measure "302: ${nginx_name}" "http://127.0.0.1:${nginx_port}/redirect" range.lua "${bytes}" "${seed}" "${span}"
stop_nginx

python3 - "${size_mib}" "${segments_mib}" "${duration}" "${connections}" "${threads}" "${seed}" "${results}" <<'PY'
import json
import os
import sys

size, segments, duration, connections, threads, seed = sys.argv[1:7]
rows = [json.loads(l) for l in open(sys.argv[7])]
ms = lambda us: us / 1000
print(
    f"\nwrk, {duration}, {connections} connections, {threads} threads, seed {seed}, on 127.0.0.1: random 64 KiB"
    f" ranges of a {size} MiB WAV; random HLS segments of a {segments} MiB WAV's renditions; the S3 302"
)
header = (
    f"{'target':<26} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'bytes/response':>14}"
    f" {'non-2xx/3xx':>11} {'socket errors':>13}"
)
print(header)
print("-" * len(header))
for r in rows:
    e = r["errors"]
    socket = e["connect"] + e["read"] + e["write"] + e["timeout"]
    print(
        f"{r['target']:<26} {r['requests_per_s']:>10.0f} {ms(r['p50_us']):>8.2f} {ms(r['p99_us']):>8.2f}"
        f" {r['requests']:>9} {r['bytes'] // max(r['requests'], 1):>14} {e['status']:>11} {socket:>13}"
    )
print(
    "\nveza / nginx (requests/s: aim >= 0.8 for ranges and segments, >= 0.5 for the 302; p99: aim <= 2x nginx's)"
)
for kind in ("ranges", "segments", "302"):
    veza = next(r for r in rows if r["target"].startswith(kind + ": veza"))
    nginx = next(r for r in rows if r["target"].startswith(kind + ": nginx"))
    print(
        f"{kind:<9} {veza['requests_per_s'] / nginx['requests_per_s']:>5.2f}x requests/s"
        f" ({veza['requests_per_s']:.0f} vs {nginx['requests_per_s']:.0f}),"
        f" p99 {ms(veza['p99_us']):.2f} vs {ms(nginx['p99_us']):.2f} ms"
        f" ({veza['p99_us'] / max(nginx['p99_us'], 1):.2f}x)"
    )
print(
    f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} cores"
    " (wrk shares them with the servers)"
)
PY
