"""Precision / recall / F1 of the compute detector on the red-team notices (tests/compute/data/redteam.toml), per key,
for the notices whose id starts with a prefix: how the holdout batches of issue 12 (i12-, i12b-, i12c-, i12d-, i12e-)
are scored before and after a rule change.

    .venv/bin/python tools/score_redteam.py i12        # all issue-12 notices
    .venv/bin/python tools/score_redteam.py i12b- --show-errors

Each notice goes through read_document + extract_notice, as in tests/compute/test_redteam.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "compute"))

from test_redteam import CASES, run  # noqa: E402

BOOLS = ("remote_compute", "hardware_purchase")
SETS = ("cloud_providers", "gpu_models", "compute_kinds")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefix", nargs="?", default="", help="only notices whose id starts with this")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    cases = [c for c in CASES if c["id"].startswith(args.prefix)]
    counts = {k: [0, 0, 0] for k in BOOLS + SETS}  # tp fp fn
    wrong = []
    for c in cases:
        got = run(c)
        for k in BOOLS:
            counts[k][0] += c[k] and got[k]
            counts[k][1] += got[k] and not c[k]
            counts[k][2] += c[k] and not got[k]
        for k in SETS:
            want, have = set(c[k]), set(got[k])
            counts[k][0] += len(want & have)
            counts[k][1] += len(have - want)
            counts[k][2] += len(want - have)
        diff = {k: got[k] for k in BOOLS + SETS if got[k] != (sorted(c[k]) if isinstance(c[k], list) else c[k])}
        if diff:
            wrong.append((c["id"], diff))
    print(f"notices: {len(cases)}; exactly right: {len(cases) - len(wrong)}")
    for k, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{k:18} precision {p:.3f} recall {r:.3f} f1 {f:.3f}  (tp {tp} fp {fp} fn {fn})")
    if args.show_errors:
        for cid, diff in wrong:
            print(f"  {cid}: {diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
