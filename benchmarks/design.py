"""Design-engine benchmarks: PMO (20 RDKit-only tasks) and the retrospective DMTA benchmark on KIBA.

    DRUGLOOP_MIRROR=/work/shared/data python benchmarks/design.py pmo --methods loop --seeds 0
    python benchmarks/design.py pmo --aggregate          # write pmo20.json from the runs so far
    python benchmarks/design.py dmta --seeds 0 1 2 3 4   # write dmta_kiba.json

Each PMO (task, method, seed) run is stored as its own JSON under benchmarks/results/design/runs/pmo/, and a run
that exists is not repeated, so the grid can be run piecewise (e.g. ``--tasks`` subsets in parallel processes).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from drugloop.design.bench import (  # noqa: E402
    PMO_METHODS,
    load_dmta_runs,
    run_dmta,
    run_pmo,
    write_dmta_result,
    write_pmo_result,
)
from drugloop.design.pmo import PMO_TASKS  # noqa: E402

OUT = Path("benchmarks/results/design")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="bench", required=True)
    pmo = sub.add_parser("pmo")
    pmo.add_argument("--tasks", nargs="*", default=list(PMO_TASKS), choices=PMO_TASKS)
    pmo.add_argument("--methods", nargs="*", default=["loop"], choices=PMO_METHODS)
    pmo.add_argument("--seeds", nargs="*", type=int, default=[0])
    pmo.add_argument("--budget", type=int, default=10_000)
    pmo.add_argument("--aggregate", action="store_true", help="only write pmo20.json from the stored runs")
    dmta = sub.add_parser("dmta")
    dmta.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    dmta.add_argument("--methods", nargs="*", default=["loop", "loop_transfer", "greedy", "random"])
    dmta.add_argument("--reverse", action="store_true", help="walk the targets from the other end")
    dmta.add_argument(
        "--aggregate", action="store_true", help="only write dmta_kiba.json from the stored runs"
    )
    for p in (pmo, dmta):
        p.add_argument("--note", action="append", default=[], help="a note to store in the result file")
    args = parser.parse_args(argv)
    if args.bench == "pmo":
        if not args.aggregate:
            run_pmo(OUT, tasks=args.tasks, methods=args.methods, seeds=args.seeds, budget=args.budget)
        print(write_pmo_result(OUT, budget=args.budget, notes=args.note))
    else:
        runs = (
            load_dmta_runs(OUT)
            if args.aggregate
            else run_dmta(OUT, seeds=args.seeds, methods=args.methods, reverse=args.reverse)
        )
        print(write_dmta_result(OUT, runs, notes=args.note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
