#!/usr/bin/env bash
# Compares the canary registry of this checkout with the one of BASE, in one run on this machine: the
# `canaries` example of each (generators/examples/canaries.rs: the world of seed 1, 101 tenants, CASES case
# files; its registry; a scan of every document and of every case file as JSON, raw and ASCII-escaped),
# RUNS times each, alternating. Prints, per side, the medians of the scan rate (MB/s), the registry's build
# time, the matcher's heap and the process's peak memory, the digest of the distinct hits (equal when both
# find the same canaries at the same bytes), and the ratios this checkout / BASE.
#
#   scripts/bench-canaries.sh        # BASE=cecb7e1 CASES=10000 RUNS=3
#
# BASE defaults to the last commit whose registry was an Aho-Corasick automaton (before the word-run index
# of issue 23). It is built in a temporary worktree, in its own target directory (target/bench-base).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE="${BASE:-cecb7e1}"
CASES="${CASES:-10000}"
RUNS="${RUNS:-3}"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

root="$(pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d)"
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

git worktree add --detach "$work/base" "$BASE" >/dev/null 2>&1
(cd "$work/base" && CARGO_TARGET_DIR="$target/bench-base" \
  cargo build --release --locked -q -p cloison-generators --example canaries)
cargo build --release --locked -q -p cloison-generators --example canaries
base_bin="$target/bench-base/release/examples/canaries"
head_bin="$target/release/examples/canaries"

for i in $(seq "$RUNS"); do
  for side in base head; do
    bin="${side}_bin"
    /usr/bin/time -f "peak-kb %M" "${!bin}" "$CASES" >"$work/$side-$i.out" 2>"$work/$side-$i.time"
    cat "$work/$side-$i.time" >>"$work/$side-$i.out"
  done
done

python3 - "$work" "$RUNS" "$BASE" "$CASES" <<'PY'
import re, statistics, sys
work, runs, base, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def read(side):
    rows = []
    for i in range(1, runs + 1):
        text = open(f"{work}/{side}-{i}.out").read()
        num = lambda pattern: float(re.search(pattern, text).group(1))
        rows.append({
            "scan": num(r"\(([0-9.]+) MB/s\)"),
            "build": num(r"built in ([0-9.]+) s"),
            "heap": num(r"(?:automaton|matcher) heap ([0-9.]+) MiB"),
            "peak": num(r"peak-kb (\d+)") / 1024,
            "patterns": num(r"canaries, (\d+) patterns"),
            "digest": re.search(r"digest ([0-9a-f]+)", text).group(1),
        })
    return rows
sides = {"base": read("base"), "head": read("head")}
med = {s: {k: statistics.median(r[k] for r in rows) for k in ("scan", "build", "heap", "peak", "patterns")}
       for s, rows in sides.items()}
digests = {s: sorted({r["digest"] for r in rows}) for s, rows in sides.items()}
print(f"canary registry at {cases} case files, medians of {runs} runs each")
print(f"{'':28} {'BASE ' + base:>16} {'this checkout':>16} {'ratio':>8}")
for key, label, unit in [("scan", "scan rate", "MB/s"), ("build", "build time", "s"),
                         ("heap", "matcher heap", "MiB"), ("peak", "process peak", "MiB"),
                         ("patterns", "patterns", "")]:
    b, h = med["base"][key], med["head"][key]
    print(f"{label + (' (' + unit + ')' if unit else ''):28} {b:16.1f} {h:16.1f} {h / b:8.2f}")
same = digests["base"] == digests["head"] and len(digests["head"]) == 1
print(f"distinct hits digest: BASE {','.join(digests['base'])}, this checkout {','.join(digests['head'])}"
      f" ({'the same hits' if same else 'DIFFERENT hits'})")
sys.exit(0 if same else 1)
PY
