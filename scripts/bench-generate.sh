#!/usr/bin/env bash
# Benchmark of `cloison generate`: 1,000,000 complete case files (101 tenants) to JSONL with the release
# binary and, in the same run, comparable records with Python Faker (fr_FR, in a local venv under
# .venv-bench/); prints both rates in case files per second and their ratio.
#
# Usage: scripts/bench-generate.sh   (CASES=1000000 FAKER_CASES=5000 THREADS=$(nproc) REPEAT=3 by default)
# Each side runs REPEAT times, alternating, and the best run of each is compared: the machine may be shared,
# and the best run is the least disturbed one on both sides.
# Output goes to tmpfs (/dev/shm) when there is one, for both sides, so the figures measure generation and
# serialisation rather than disk writeback; set BENCH_DIR to choose another place. Faker's rate is flat in
# the number of records, so it is measured on FAKER_CASES case files.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-1000000}
FAKER_CASES=${FAKER_CASES:-5000}
REPEAT=${REPEAT:-3}
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

best_ns=""
best_faker=""
for run in $(seq 1 "$REPEAT"); do
  echo "==> run $run/$REPEAT: cloison generate, $CASES case files, 101 tenants, $THREADS threads, JSONL in $BENCH_DIR"
  start=$(date +%s%N)
  ./target/release/cloison generate --seed 1 --tenants 101 --cases "$CASES" --threads "$THREADS" \
    --out "$BENCH_DIR/cloison" > "$BENCH_DIR/cloison.txt"
  end=$(date +%s%N)
  echo "    $(head -1 "$BENCH_DIR/cloison.txt")"
  [ "$run" = 1 ] && du -sh "$BENCH_DIR/cloison" | awk '{print "    output: " $1}'
  rm -rf "$BENCH_DIR/cloison"
  ns=$((end - start))
  if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi

  echo "==> run $run/$REPEAT: Python Faker $FAKER_VERSION (fr_FR), $FAKER_CASES comparable case files"
  .venv-bench/bin/python scripts/bench_faker.py "$FAKER_CASES" "$BENCH_DIR/faker" > "$BENCH_DIR/faker.txt"
  echo "    $(tail -1 "$BENCH_DIR/faker.txt")"
  rm -rf "$BENCH_DIR/faker"
  rate=$(sed -E 's/.*: ([0-9.]+) case files\/s/\1/' < <(tail -1 "$BENCH_DIR/faker.txt"))
  if [ -z "$best_faker" ] || awk "BEGIN{exit !($rate > $best_faker)}"; then best_faker=$rate; fi
done

python3 - "$CASES" "$best_ns" "$best_faker" "$REPEAT" <<'PY'
import sys
cases, ns, faker, repeat = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
secs = ns / 1e9
rate = cases / secs
print()
print(f"best of {repeat} runs each")
print(f"cloison generate: {rate:,.0f} case files/s ({cases:,} in {secs:.2f} s wall, process start included)")
print(f"Python Faker:     {faker:,.0f} case files/s")
print(f"ratio:            {rate / faker:,.0f}x")
PY
