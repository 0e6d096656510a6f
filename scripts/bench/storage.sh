#!/usr/bin/env bash
# Storage benchmark: one object through S3Store (veza-bench) and through boto3, the same
# bytes on the same fresh SeaweedFS, in one run; checks that S3Store's peak RSS stays within
# 64 MiB of its idle RSS.
#
#   scripts/bench/storage.sh [SIZE_MIB]      (default 1024)
#
# Environment: VEZA_BENCH_BIN=PATH uses that veza-bench instead of building it
# (`swift build -c release --product veza-bench`); VEZA_BENCH_CONCURRENCY (parts in flight,
# default 3) and VEZA_BENCH_PART_MIB (default 10) apply to both tools.
# Exit status: 0 when S3Store's round trip is byte-identical and within the memory bound.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "${repo_root}"
size_mib="${1:-1024}"
concurrency="${VEZA_BENCH_CONCURRENCY:-3}"
part_mib="${VEZA_BENCH_PART_MIB:-10}"
bound_mib=64

if [[ -n "${VEZA_BENCH_BIN:-}" ]]; then
    bench="${VEZA_BENCH_BIN}"
else
    echo "==> swift build -c release --product veza-bench" >&2
    swift build -c release --product veza-bench >&2
    bench="$(swift build -c release --show-bin-path)/veza-bench"
fi
[[ -x "${bench}" ]] || {
    echo "storage.sh: ${bench} is not executable" >&2
    exit 1
}

work="$(mktemp -d /tmp/veza-bench.XXXXXX)"
cleanup() {
    scripts/services.sh stop "${work}/services" >&2 || true
    rm -rf -- "${work}"
}
trap cleanup EXIT

echo "==> services" >&2
scripts/services.sh start "${work}/services" >/dev/null
set -a
# shellcheck disable=SC1091
. "${work}/services/env.sh"
set +a

echo "==> ${size_mib} MiB of test data" >&2
"${bench}" generate --size-mib "${size_mib}" --output "${work}/data.bin" >&2
bucket="bench-$(date +%s)"

echo "==> S3Store (veza-bench store-roundtrip)" >&2
"${bench}" store-roundtrip --file "${work}/data.bin" --bucket "${bucket}" --key "veza/data.bin" \
    --part-size-mib "${part_mib}" --concurrency "${concurrency}" | tee "${work}/veza.out" >&2

echo "==> boto3" >&2
python3 scripts/bench/boto3_roundtrip.py --file "${work}/data.bin" --bucket "${bucket}" --key "boto3/data.bin" \
    --part-size-mib "${part_mib}" --concurrency "${concurrency}" | tee "${work}/boto3.out" >&2

python3 - "${bound_mib}" "${size_mib}" "${work}/veza.out" "${work}/boto3.out" <<'PY'
import json
import sys

bound, size = int(sys.argv[1]), sys.argv[2]
rows = []
for path in sys.argv[3:]:
    line = [l for l in open(path) if l.startswith("RESULT ")][-1]
    rows.append(json.loads(line[len("RESULT "):]))
mib = lambda b: b / 1048576
print(f"\nstorage round trip, {size} MiB object, SeaweedFS on 127.0.0.1, bound: peak RSS <= idle + {bound} MiB")
header = f"{'tool':<22} {'upload MiB/s':>12} {'download MiB/s':>14} {'idle RSS':>9} {'peak RSS':>9} {'over idle':>9}  {'sha256':<6}  bound"
print(header)
print("-" * len(header))
ok = True
for i, r in enumerate(rows):
    within = mib(r["rss_over_idle_bytes"]) <= bound
    verdict = "PASS" if within else "FAIL"
    print(
        f"{r['tool']:<22} {r['upload_mib_s']:>12.1f} {r['download_mib_s']:>14.1f} {mib(r['idle_rss_bytes']):>8.1f}M"
        f" {mib(r['peak_rss_bytes']):>8.1f}M {mib(r['rss_over_idle_bytes']):>8.1f}M  {'ok' if r['sha256_ok'] else 'BAD':<6}  {verdict}"
    )
    if i == 0:  # S3Store's row decides
        ok = within and r["sha256_ok"]
sys.exit(0 if ok else 1)
PY
