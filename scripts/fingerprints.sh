#!/usr/bin/env bash
# Fingerprints are stable across seeds and world sizes: for every flaw of the reference portal
# (fixtures/FLAWS.md), run `cloison run --flaw F` over seeds 1-5 and 16 and 64 case files, and check that
# every run gives the same set of finding fingerprints (`groups[].fingerprint`, SARIF's cloisonFinding/v1).
#
#   scripts/fingerprints.sh [CLOISON] [JOBS]      (default: target/debug/cloison, 2 runs at a time)
#
# Prints, per flaw, the findings every run shows (their fingerprints must be the same: `same`), then those
# only some worlds show (a cell a smaller world does not reach, such as deletes when the records set aside
# for writes are used up: the world's coverage, not the fingerprint), and any cell grouped under different
# fingerprints in different runs (the cover chose otherwise: `DIFFER`). Exits 1 when a flaw has no finding
# common to every run, or a cell changed fingerprint. 140 runs: about 2.5 minutes on two cores.
set -euo pipefail
cloison="${1:-target/debug/cloison}"
jobs="${2:-2}"
flaws=(document-idor case-idor write-idor tenant-header search-unscoped export-unscoped agent-functions-open
  mass-assignment sequential-ids logout-no-revoke error-echo shared-cache transfer-keeps-access representation-kept)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for flaw in "${flaws[@]}"; do
  for seed in 1 2 3 4 5; do
    for cases in 16 64; do
      echo "$flaw $seed $cases"
    done
  done
done | xargs -P "$jobs" -n 3 sh -c '"$0" run --quiet --flaw "$1" --seed "$2" --cases "$3" --json "'"$out"'/$1-$2-$3.json" > /dev/null 2>&1 || true' "$cloison"
python3 - "$out" "${flaws[@]}" <<'PY'
import json, sys, glob, os
out, flaws = sys.argv[1], sys.argv[2:]
failed = False
def name(g):
    return f"{g['fingerprint'][:12]} {g['scope']} {g.get('caller') or g.get('via') or g['endpoint']} {g['tier']}"
for flaw in flaws:
    runs, names, by_edge = {}, {}, {}
    for path in sorted(glob.glob(os.path.join(out, flaw + "-*.json"))):
        report = json.load(open(path))
        run = os.path.basename(path)[len(flaw) + 1:-5]
        runs[run] = {g["fingerprint"] for g in report.get("groups", [])}
        for g in report.get("groups", []):
            names.setdefault(g["fingerprint"], name(g))
            for c in g["cells"]:
                edge = (c["endpoint"], c["role"], c["relation"], c.get("via"), g["tier"])
                by_edge.setdefault(edge, set()).add(g["fingerprint"])
    if len(runs) != 10:
        failed = True
        print(f"MISSING {flaw}: {len(runs)} of 10 runs wrote a report")
        continue
    core = set.intersection(*runs.values())
    extra = sorted(set.union(*runs.values()) - core)
    regrouped = {e: f for e, f in by_edge.items() if len(f) > 1}
    status = "same" if core and not regrouped else "DIFFER"
    failed |= status != "same"
    print(f"{status:<6} {flaw}: in every run: " + (", ".join(names[f] for f in sorted(core)) or "(none)"))
    for f in extra:
        seen = sorted(r for r, fs in runs.items() if f in fs)
        print(f"         in some runs only (what that world showed): {names[f]} <- {' '.join(seen)}")
    for edge, fs in sorted(regrouped.items()):
        print(f"         cell {edge} under several fingerprints: {', '.join(names[f] for f in fs)}")
sys.exit(1 if failed else 0)
PY
