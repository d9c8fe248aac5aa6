#!/usr/bin/env python3
"""Default-settings run over real repositories, one run per repository as a
team would run it: findings per 200 rules per lint, and the exit code.

    scripts/corpus-report.py [--bin target/release/mlalert] [CORPUS_REAL]

CORPUS_REAL defaults to $MLALERT_CORPUS/real or ../shared/corpus/real; each
top-level folder is one repository. Prints a Markdown table (lints as rows,
repositories as columns) and the exit code per repository. Runs from an
empty temporary directory so no `.mlalert.yaml` is picked up.
"""

import argparse
import collections
import json
import os
import pathlib
import subprocess
import sys
import tempfile




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parent.parent / "target/release/mlalert"))
    ap.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    ap.add_argument("corpus", nargs="?")
    a = ap.parse_args()
    root = a.corpus or (os.environ.get("MLALERT_CORPUS", "../shared/corpus") + "/real")
    root = pathlib.Path(root).resolve()
    if not root.is_dir():
        sys.exit(f"corpus-report: no corpus at {root}")
    index = root / "INDEX.tsv"
    rules_per_repo = collections.Counter()
    if index.is_file():
        for line in index.read_text().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) > 5 and cols[4].isdigit() and cols[5].isdigit():
                rules_per_repo[cols[0].split("/")[0]] += int(cols[4]) + int(cols[5])
    repos = sorted(p.name for p in root.iterdir() if p.is_dir())
    table = {}
    exits = {}
    with tempfile.TemporaryDirectory() as cwd:
        for repo in repos:
            out = subprocess.run(
                [a.bin, "lint", "--format", "json", str(root / repo)],
                cwd=cwd, capture_output=True, text=True,
            )
            exits[repo] = out.returncode
            try:
                diags = json.loads(out.stdout)["diagnostics"]
            except (ValueError, KeyError):
                diags = []
            c = collections.Counter(f"{d['code']} {d['name']}" for d in diags)
            table[repo] = c
    if a.json:
        print(json.dumps({"rules": rules_per_repo, "exit": exits, "findings": table}, indent=1))
        return
    lints = sorted(set().union(*table.values()))
    short = [r.split("+")[-1] for r in repos]
    print("| lint | " + " | ".join(short) + " | all |")
    print("|---" * (len(repos) + 2) + "|")
    total_rules = sum(rules_per_repo[r] for r in repos) or 1
    for l in lints:
        cells = []
        for r in repos:
            n = table[r][l]
            rules = rules_per_repo[r] or 1
            cells.append(f"{n} ({200 * n / rules:.1f})" if n else "")
        n_all = sum(table[r][l] for r in repos)
        cells.append(f"{n_all} ({200 * n_all / total_rules:.1f})")
        print(f"| {l} | " + " | ".join(cells) + " |")
    tot = [sum(table[r].values()) for r in repos]
    print("| **all findings** | " + " | ".join(f"{t} ({200 * t / (rules_per_repo[r] or 1):.1f})" for t, r in zip(tot, repos)) + f" | {sum(tot)} ({200 * sum(tot) / total_rules:.1f}) |")
    print("| rules | " + " | ".join(str(rules_per_repo[r]) for r in repos) + f" | {total_rules} |")
    print("| exit code | " + " | ".join(str(exits[r]) for r in repos) + " | |")
    print()
    print("Cells: findings (findings per 200 rules).")


if __name__ == "__main__":
    main()
