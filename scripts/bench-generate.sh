#!/usr/bin/env bash
# Benchmark of `cloison generate`: 1,000,000 complete case files (101 tenants) to JSONL with the release
# binary and, in the same run, comparable records with Python Faker (fr_FR, in a local venv under
# .venv-bench/); prints both rates in case files per second and their ratio.
#
# Usage: scripts/bench-generate.sh            (CASES=1000000 FAKER_CASES=5000 THREADS=$(nproc) by default)
# Output goes to tmpfs (/dev/shm) when there is one, for both sides, so the figures measure generation and
# serialisation rather than disk writeback; set BENCH_DIR to choose another place. Faker's rate is flat in
# the number of records, so it is measured on FAKER_CASES case files.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-1000000}
FAKER_CASES=${FAKER_CASES:-5000}
THREADS=${THREADS:-$(nproc)}
if [ -z "${BENCH_DIR:-}" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then BENCH_DIR=/dev/shm/cloison-bench; else BENCH_DIR=bench-out; fi
fi

echo "==> building the release binary"
cargo build --release --locked -p cloison-harness --bin cloison 2>&1 | tail -1

echo "==> preparing Faker in .venv-bench/"
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
fi
.venv-bench/bin/python -c 'import faker' 2>/dev/null || .venv-bench/bin/pip install --quiet Faker
FAKER_VERSION=$(.venv-bench/bin/python -c 'import faker; print(faker.VERSION)')

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
trap 'rm -rf "$BENCH_DIR"' EXIT

now() { python3 -c 'import time; print(time.perf_counter())'; }

echo "==> cloison generate: $CASES case files, 101 tenants, $THREADS threads, JSONL in $BENCH_DIR"
start=$(date +%s%N)
./target/release/cloison generate --seed 1 --tenants 101 --cases "$CASES" --threads "$THREADS" \
  --out "$BENCH_DIR/cloison" > "$BENCH_DIR/cloison.txt"
end=$(date +%s%N)
head -1 "$BENCH_DIR/cloison.txt"
du -sh "$BENCH_DIR/cloison" | awk '{print "    output: " $1}'
rm -rf "$BENCH_DIR/cloison"

echo "==> Python Faker $FAKER_VERSION (fr_FR): $FAKER_CASES comparable case files"
.venv-bench/bin/python scripts/bench_faker.py "$FAKER_CASES" "$BENCH_DIR/faker" > "$BENCH_DIR/faker.txt"
cat "$BENCH_DIR/faker.txt"

python3 - "$CASES" "$start" "$end" "$(tail -1 "$BENCH_DIR/faker.txt")" <<'PY'
import re, sys
cases, start, end, faker_line = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secs = (end - start) / 1e9
rate = cases / secs
faker = float(re.search(r"([0-9.]+) case files/s", faker_line).group(1))
print()
print(f"cloison generate: {rate:,.0f} case files/s ({cases:,} in {secs:.2f} s wall, process start included)")
print(f"Python Faker:     {faker:,.0f} case files/s")
print(f"ratio:            {rate / faker:,.0f}x")
PY
