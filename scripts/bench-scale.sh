#!/usr/bin/env bash
# Measures `cloison run` at the size of a vendor's staging: many tenants and case files, against the reference
# portal as a separate process, at each size of SIZES: the hardened portal (every cell probed, clean), then the
# same with each flaw of FLAWS switched on, to show it is still caught at that size. Prints a table: exit code,
# wall time, peak memory (GNU time, maximum resident set) of cloison and of the portal, objects seeded per
# second, probes and probes per second, the root causes found and the verdict.
#
#   scripts/bench-scale.sh          # TENANTS=101 SIZES="2000 10000 50000" FLAWS="document-idor" PORT=18090
#
# The goals of issue 23: at 10,000 case files every cell probed in under 5 minutes and under 500 MB of peak
# memory (cloison side); at 50,000 under 800 MB; the flaw caught at each size.
# Release builds (CARGO_TARGET_DIR is honoured; NO_BUILD=1 uses the binaries there as they are); loopback
# only; the portal is stopped after each run.
set -euo pipefail
cd "$(dirname "$0")/.."

TENANTS="${TENANTS:-101}"
SIZES="${SIZES:-${CASES:-2000 10000 50000}}"
FLAWS="${FLAWS:-document-idor}"
PORT="${PORT:-18090}"
BASE="http://127.0.0.1:$PORT"

command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

[ -n "${NO_BUILD:-}" ] || cargo build --release --locked -p cloison-harness --bin cloison -p cloison-fixtures --bin cloison-portal
CLOISON="${CARGO_TARGET_DIR:-target}/release/cloison"
PORTAL="${CARGO_TARGET_DIR:-target}/release/cloison-portal"

work="$(mktemp -d)"
PID=""
# The portal runs under GNU time (for its peak memory): stop the portal, its child, and GNU time reports.
stop() {
  [ -n "$PID" ] && { pkill -TERM -P "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  PID=""
}
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT
printf 'operator_token = "scale-op"\n' >"$work/secrets.toml"

ROWS="$work/rows.tsv"
: >"$ROWS"

measure() { # $1: case files, $2: label, $3: the flaw switched on in the portal (optional)
  local cases="$1" label="$2" flaw="${3:-}"
  local run="$work/$cases-$label"
  /usr/bin/time -v -o "$run.portal-time" "$PORTAL" --listen "127.0.0.1:$PORT" --db :memory: \
    --operator-token scale-op --argon2-m-cost 8 --argon2-t-cost 1 --argon2-p-cost 1 ${flaw:+--flaw "$flaw"} \
    >"$run.portal.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  set +e
  /usr/bin/time -v "$CLOISON" run --quiet --target "url:$BASE" --secrets "$work/secrets.toml" \
    --tenants "$TENANTS" --cases "$cases" --json "$run.json" >"$run.txt" 2>"$run.time"
  local code=$?
  set -e
  stop
  python3 - "$run.json" "$cases" "$label" "$code" "$run.time" "$run.portal-time" >>"$ROWS" <<'PY'
import json, re, sys
path, cases, label, code, cloison_time, portal_time = sys.argv[1:]
def gnu_time(path):
    text = open(path, errors="replace").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return (wall.group(1) if wall else "?"), (int(rss.group(1)) / 1024 if rss else 0.0)
wall, rss = gnu_time(cloison_time)
_, portal_rss = gnu_time(portal_time)
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {}
s = r.get("stats", {})
print("\t".join(map(str, [
    cases, label, code, wall, f"{rss:.0f}", f"{portal_rss:.0f}", s.get("objects_created", 0),
    f"{s.get('seed_rate', 0):.0f}", s.get("probes", 0), f"{s.get('probe_rate', 0):.0f}",
    len(r.get("root_causes", [])), r.get("outcome", "?"),
])))
PY
  tail -n 1 "$ROWS"
}

echo "== $TENANTS tenants, case files: $SIZES; the portal as a separate process (release)"
for cases in $SIZES; do
  measure "$cases" hardened
  for flaw in $FLAWS; do
    measure "$cases" "$flaw" "$flaw"
  done
done

python3 - "$ROWS" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
head = ["case files", "portal", "exit", "wall", "cloison MiB", "portal MiB", "objects", "seeded/s",
        "probes", "probes/s", "root causes", "verdict"]
widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
print()
print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
PY
