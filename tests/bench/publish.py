"""The publishing step: bench-results.json as the rows of docs/performance.md's tables, or a refusal.

    python -m tests.bench.publish [bench-results.json]     (make bench-publish)

Exits 1, saying why, when the figures may not be published: a tiny run, a run started on a busy machine
with BENCH_ALLOW_LOAD=1 (tests/bench/quiet.py), or a file from before these checks. Otherwise prints one
Markdown row per figure (the median of the rounds, their range, the target) and the machine's line.
"""

import json
import sys
from pathlib import Path


def refusal(results: dict) -> str | None:
    if "publishable" not in results:
        return "these figures come from a run that did not check the machine's load; run `make bench` again"
    if not results["publishable"]:
        return "; ".join(results.get("unpublishableBecause") or ["marked unpublishable"])
    return None


def rows(results: dict) -> list[str]:
    machine = results["machine"]
    lines = [
        f"Run of {results['generatedAt']}: {results['rounds']} rounds (medians); {machine['cores']} cores "
        f"({machine['cpu']}), {machine['memoryGiB']} GiB, Python {machine['python']}, {machine['postgres']}; "
        f"load average before the rounds {', '.join(f'{load:.2f}' for load in results['loadAverageBeforeRounds'])}.",
        "",
        "| id | figure | median | rounds | target |",
        "|---|---|---|---|---|",
    ]
    for figure in results["figures"]:
        runs = figure.get("runs") or [figure["value"]]
        spread = f"{min(runs):,.2f}–{max(runs):,.2f}" if len(runs) > 1 else ""
        lines.append(
            f"| {figure['id']} | {figure['label']} | {figure['value']:,.2f} {figure['unit']} | {spread} "
            f"| {figure['target']} |"
        )
    return lines


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "bench-results.json")
    if not path.exists():
        print(f"No {path}: run `make bench` first.", file=sys.stderr)
        return 1
    results = json.loads(path.read_text())
    reason = refusal(results)
    if reason:
        print(f"Not publishing {path}: {reason}.", file=sys.stderr)
        return 1
    print("\n".join(rows(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
