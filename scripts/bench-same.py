#!/usr/bin/env python3
"""Compare two `cloison bench --json` results on what a refactoring must not change.

    scripts/bench-same.py BEFORE.json AFTER.json

Compared per flaw: caught, the families that caught it, the root-cause count, the reproducer size and the
exit code; per hardened seed: the outcome, the finding count and the exit code. Timings and probe counts to
the first detection are not compared (they depend on scheduling). Exit 0 when equal, 1 with the differences
otherwise, 2 on unreadable input.
"""

import json
import sys

FLAW_FIELDS = ("caught", "families", "root_causes", "reproducer_size", "exit")
RUN_FIELDS = ("outcome", "findings", "exit")


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        print(f"{path}: {err}", file=sys.stderr)
        sys.exit(2)


def by(items, key):
    return {item[key]: item for item in items}


def compare(before, after):
    diffs = []
    for what in ("seed", "cases", "tenants"):
        if before.get(what) != after.get(what):
            diffs.append(f"{what}: {before.get(what)} -> {after.get(what)} (not the same bench)")
    for label, key, fields, b_items, a_items in (
        ("flaw", "flaw", FLAW_FIELDS, before["flaws"], after["flaws"]),
        ("seed", "seed", RUN_FIELDS, before["hardened_runs"], after["hardened_runs"]),
    ):
        b, a = by(b_items, key), by(a_items, key)
        for name in sorted(set(b) | set(a), key=str):
            if name not in a or name not in b:
                diffs.append(f"{label} {name}: only in {'before' if name in b else 'after'}")
                continue
            for field in fields:
                if b[name].get(field) != a[name].get(field):
                    diffs.append(f"{label} {name}: {field} {b[name].get(field)} -> {a[name].get(field)}")
    return diffs


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    before, after = load(sys.argv[1]), load(sys.argv[2])
    diffs = compare(before, after)
    for line in diffs:
        print(line)
    flaws, seeds = len(after["flaws"]), len(after["hardened_runs"])
    if diffs:
        print(f"DIFFERENT: {len(diffs)} difference(s)")
        sys.exit(1)
    print(f"SAME: {flaws} flaw(s) and {seeds} hardened seed(s) give the same results")


if __name__ == "__main__":
    main()
