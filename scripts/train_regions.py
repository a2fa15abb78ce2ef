"""Train the shipped binding-region model (src/drugloop/binding/weights/regions.{json,safetensors}).

  DRUGLOOP_MIRROR=/work/shared/data python scripts/train_regions.py [--seed 0]

This is seed 0 of the benchmark protocol in ``benchmarks/binding_regions.py`` (same data, identity filter,
validation-only choices); it also writes that seed's run record, so the shipped weights and the reported numbers
come from the same training run. ``python benchmarks/binding_regions.py run --seed 0 --ship`` is equivalent.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import binding_regions  # noqa: E402


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    binding_regions.run(args.seed, ship=True, epochs=None)


if __name__ == "__main__":
    main()
