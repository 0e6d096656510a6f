#!/usr/bin/env bash
# The browser test: Tests/Browser/webapp_test.py drives the web app in headless Chromium against
# a debug `veza serve`, first on the embedded default (SQLite + local disk in a temp data dir),
# then on PostgreSQL (a fresh database on the server of scripts/services.sh) when
# VEZA_TEST_POSTGRES_URL is set. Screenshots and server logs go to one folder, printed at the end.
#
#   scripts/browser-test.sh [OUTDIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${repo_root}"
if [[ -d /root/.pyenv/shims && ":${PATH}:" != *":/root/.pyenv/shims:"* ]]; then
    export PATH="/root/.pyenv/shims:${PATH}"
fi
out="${1:-$(mktemp -d -t veza-browser.XXXXXX)}"
veza="${repo_root}/.build/debug/veza"
[[ -x "${veza}" ]] || { echo "browser: build first (${veza} is missing)" >&2; exit 1; }

python3 Tests/Browser/webapp_test.py --veza "${veza}" --out "${out}/embedded"

if [[ -n "${VEZA_TEST_POSTGRES_URL:-}" ]]; then
    psql=/usr/lib/postgresql/15/bin/psql
    admin_url="${VEZA_TEST_POSTGRES_URL%/*}/postgres"
    database="veza_browser_$$_${RANDOM}"
    "${psql}" -q -v ON_ERROR_STOP=1 "${admin_url}" -c "CREATE DATABASE ${database}"
    trap '"${psql}" -q "${admin_url}" -c "DROP DATABASE IF EXISTS ${database} WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    python3 Tests/Browser/webapp_test.py --veza "${veza}" --out "${out}/postgres" \
        --database-url "${VEZA_TEST_POSTGRES_URL%/*}/${database}"
fi
echo "browser: screenshots and server logs in ${out}"
