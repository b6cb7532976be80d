#!/usr/bin/env bash
# Measures `cloison run` in one go, on this machine, against a ceiling measured in the same run:
#
#   1. seeding rate (objects created over HTTP per second) and probe rate (probes per second) of
#      `cloison run` against the embedded reference portal (harness and portal in one process);
#   2. the same run against the portal as a separate process (`--target url:`), the setup wrk sees;
#   3. the ceiling: wrk on the same read endpoint the probes hit, GET /api/v1/cases/{id}, as an identity that
#      may not see the case (answered 404, like the probes), and as its owner (200), same connection count.
#
#   scripts/bench-run.sh            # CASES=48 TENANTS=2 PER_CELL=40 CONCURRENCY=16 DURATION=5s PORT=18089
#
# The probe rate is that of the concurrent probe phase (reads, lists, searches, exports, functions,
# selectors, guessing, anonymous calls); PER_CELL raises the number of probes per cell so that the phase lasts
# long enough to be measured (the default run draws 3 per cell).
#
# Release builds; loopback only; every load is bounded in time. Prints the figures and the ratios
# probe rate / ceiling (the goal: at least 0.5).
set -euo pipefail
cd "$(dirname "$0")/.."

CASES="${CASES:-48}"
TENANTS="${TENANTS:-2}"
CONCURRENCY="${CONCURRENCY:-16}"
PER_CELL="${PER_CELL:-40}"
DURATION="${DURATION:-5s}"
PORT="${PORT:-18089}"
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

cargo build --release --locked -p cloison-harness --bin cloison -p cloison-fixtures --bin cloison-portal
CLOISON="${CARGO_TARGET_DIR:-target}/release/cloison"
PORTAL="${CARGO_TARGET_DIR:-target}/release/cloison-portal"

work="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['stats'][sys.argv[2]])" "$1" "$2"; }
rps() { sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+).*/\1/p' "$1"; }

echo "== 1. cloison run, embedded portal ($TENANTS tenants, $CASES case files, concurrency $CONCURRENCY)"
"$CLOISON" run --quiet --tenants "$TENANTS" --cases "$CASES" --concurrency "$CONCURRENCY" --per-cell "$PER_CELL" --json "$work/embedded.json" \
  | tail -n 4

echo "== 2. cloison run, the portal as a separate process (url: target)"
"$PORTAL" --listen "127.0.0.1:$PORT" --db :memory: --operator-token bench-op \
  --argon2-m-cost 8 --argon2-t-cost 1 --argon2-p-cost 1 >"$work/portal.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
printf 'operator_token = "bench-op"\n' >"$work/secrets.toml"
"$CLOISON" run --quiet --target "url:$BASE" --secrets "$work/secrets.toml" --tenants "$TENANTS" --cases "$CASES" \
  --concurrency "$CONCURRENCY" --per-cell "$PER_CELL" --json "$work/url.json" | tail -n 4

echo "== 3. ceiling: wrk on GET /api/v1/cases/{id} ($DURATION, $CONCURRENCY connections)"
op() { curl -sf -X POST "$BASE$1" -H 'authorization: Bearer bench-op' -H 'content-type: application/json' -d "$2"; }
login() {
  curl -sf -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"bench password 1\"}" | sed -E 's/.*"token":"([^"]+)".*/\1/'
}
op /api/v1/admin/tenants '{"code":"01"}' >/dev/null
op /api/v1/admin/tenants/01/users '{"username":"bench-owner","password":"bench password 1","role":"applicant"}' >/dev/null
op /api/v1/admin/tenants/01/users '{"username":"bench-other","password":"bench password 1","role":"applicant"}' >/dev/null
OWNER="$(login bench-owner)"
OTHER="$(login bench-other)"
CASE_BODY='{"identity":{"first_name":"Jean","last_name":"Martin","nir":"185057500012322","birth_date":"1985-05-01","sex":"M","address":{"line":"1 rue A","postcode":"01000","city":"Bourg"},"email":"j@example.org","phone":"0612345678"},"requested_rights":["AAH"],"summary":"bench"}'
CASE_ID="$(curl -sf -X POST "$BASE/api/v1/cases" -H "authorization: Bearer $OWNER" -H 'content-type: application/json' \
  -d "$CASE_BODY" | sed -E 's/^\{"id":"([^"]+)".*/\1/')"
test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/cases/$CASE_ID" -H "authorization: Bearer $OTHER")" = 404
wrk -t2 -c"$CONCURRENCY" -d"$DURATION" -H "authorization: Bearer $OTHER" "$BASE/api/v1/cases/$CASE_ID" >"$work/forbidden.txt"
wrk -t2 -c"$CONCURRENCY" -d"$DURATION" -H "authorization: Bearer $OWNER" "$BASE/api/v1/cases/$CASE_ID" >"$work/owner.txt"

SEED_RATE="$(field "$work/embedded.json" seed_rate)"
PROBE_EMBEDDED="$(field "$work/embedded.json" probe_rate)"
PROBES="$(field "$work/embedded.json" probes)"
SEED_URL="$(field "$work/url.json" seed_rate)"
PROBE_URL="$(field "$work/url.json" probe_rate)"
WRK_FORBIDDEN="$(rps "$work/forbidden.txt")"
WRK_OWNER="$(rps "$work/owner.txt")"

python3 - "$SEED_RATE" "$PROBE_EMBEDDED" "$PROBES" "$SEED_URL" "$PROBE_URL" "$WRK_FORBIDDEN" "$WRK_OWNER" <<'PY'
import sys
seed, probe_emb, probes, seed_url, probe_url, wrk_forbidden, wrk_owner = map(float, sys.argv[1:])
print()
print(f"{'measure':58} {'rate':>10}")
print(f"{'seeding, embedded (objects/s)':58} {seed:10.0f}")
print(f"{'seeding, url: target (objects/s)':58} {seed_url:10.0f}")
print(f"{'probes, embedded (probes/s, %d probes)' % probes:58} {probe_emb:10.0f}")
print(f"{'probes, url: target (probes/s)':58} {probe_url:10.0f}")
print(f"{'ceiling: wrk, forbidden case read, 404 (requests/s)':58} {wrk_forbidden:10.0f}")
print(f"{'wrk, owner case read, 200 (requests/s)':58} {wrk_owner:10.0f}")
print()
print(f"probe rate / ceiling: embedded {probe_emb / wrk_forbidden:.2f}, url: target {probe_url / wrk_forbidden:.2f} (goal >= 0.5)")
PY
