#!/usr/bin/env bash
# Measures `cloison run` at the size of a vendor's staging: many tenants and case files, against the reference
# portal as a separate process, with the harness's wall time and peak memory (GNU time), then the same run
# with a flaw switched on, to show it is still caught at that size.
#
#   scripts/bench-scale.sh          # TENANTS=101 CASES=10000 FLAWS="document-idor tenant-header" PORT=18090
#
# The goal of issue 7: every cell probed in under 5 minutes and under 500 MB of peak memory (harness side).
# Release builds; loopback only; the portal is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

TENANTS="${TENANTS:-101}"
CASES="${CASES:-10000}"
FLAWS="${FLAWS:-document-idor tenant-header}"
PORT="${PORT:-18090}"
BASE="http://127.0.0.1:$PORT"

command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --locked -p cloison-harness --bin cloison -p cloison-fixtures --bin cloison-portal
CLOISON="${CARGO_TARGET_DIR:-target}/release/cloison"
PORTAL="${CARGO_TARGET_DIR:-target}/release/cloison-portal"

work="$(mktemp -d)"
PID=""
stop() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; PID=""; }
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT
printf 'operator_token = "scale-op"\n' >"$work/secrets.toml"

measure() { # $1: label, $2: the flaw switched on in the portal (optional)
  local label="$1" flaw="${2:-}"
  "$PORTAL" --listen "127.0.0.1:$PORT" --db :memory: --operator-token scale-op \
    --argon2-m-cost 8 --argon2-t-cost 1 --argon2-p-cost 1 ${flaw:+--flaw "$flaw"} >"$work/portal.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  set +e
  /usr/bin/time -v "$CLOISON" run --quiet --target "url:$BASE" --secrets "$work/secrets.toml" \
    --tenants "$TENANTS" --cases "$CASES" --json "$work/$label.json" >"$work/$label.txt" 2>"$work/$label.time"
  local code=$?
  set -e
  stop
  local wall rss
  wall="$(sed -nE 's/.*Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.*)/\1/p' "$work/$label.time")"
  rss="$(sed -nE 's/.*Maximum resident set size \(kbytes\): (.*)/\1/p' "$work/$label.time")"
  python3 - "$work/$label.json" "$label" "$code" "$wall" "$rss" <<'PY'
import json, sys
path, label, code, wall, rss = sys.argv[1:]
r = json.load(open(path))
s = r.get("stats", {})
fam = {f["family"]: f["probes"] for f in r.get("coverage", {}).get("families", [])}
print(f"{label:24} exit {code}  wall {wall:>8}  peak {int(rss)/1024:7.0f} MiB  "
      f"seeded {s.get('objects_created', 0)} objects ({s.get('seed_rate', 0):.0f}/s)  "
      f"probes {s.get('probes', 0)}  root causes {len(r.get('root_causes', []))}  outcome {r.get('outcome')}")
print(" " * 24 + "  families: " + ", ".join(f"{k} {v}" for k, v in fam.items()))
PY
}

echo "== $TENANTS tenants, $CASES case files, the portal as a separate process (release)"
measure hardened
for flaw in $FLAWS; do
  measure "$flaw" "$flaw"
done
