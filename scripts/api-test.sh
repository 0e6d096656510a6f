#!/usr/bin/env bash
# The API contract test: Tests/API/api_test.py validates GET /openapi.json with
# openapi-spec-validator and runs schemathesis against a debug `veza serve` with a bearer token
# (no 5xx, every answer documented and matching its schema, every documented status reached or
# explained in Tests/API/unreached-statuses.txt), first on the embedded default (SQLite + local
# disk in a temp data dir), then on PostgreSQL (a fresh database on the server of
# scripts/services.sh) when VEZA_TEST_POSTGRES_URL is set. Reports and server logs go to one folder.
#
#   scripts/api-test.sh [OUTDIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${repo_root}"
if [[ -d /root/.pyenv/shims && ":${PATH}:" != *":/root/.pyenv/shims:"* ]]; then
    export PATH="/root/.pyenv/shims:${PATH}"
fi
out="${1:-$(mktemp -d -t veza-api.XXXXXX)}"
veza="${repo_root}/.build/debug/veza"
[[ -x "${veza}" ]] || { echo "api: build first (${veza} is missing)" >&2; exit 1; }

python3 Tests/API/api_test.py --veza "${veza}" --out "${out}/embedded"

if [[ -n "${VEZA_TEST_POSTGRES_URL:-}" ]]; then
    psql=/usr/lib/postgresql/15/bin/psql
    admin_url="${VEZA_TEST_POSTGRES_URL%/*}/postgres"
    database="veza_api_$$_${RANDOM}"
    "${psql}" -q -v ON_ERROR_STOP=1 "${admin_url}" -c "CREATE DATABASE ${database}"
    trap '"${psql}" -q "${admin_url}" -c "DROP DATABASE IF EXISTS ${database} WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    python3 Tests/API/api_test.py --veza "${veza}" --out "${out}/postgres" \
        --database-url "${VEZA_TEST_POSTGRES_URL%/*}/${database}"
fi
echo "api: reports and server logs in ${out}"
