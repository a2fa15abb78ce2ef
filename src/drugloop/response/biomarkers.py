"""Network biomarkers for one drug: genes ranked by propagation from its targets, pathways ranked by proximity.

``drugloop response biomarkers --targets TYMS`` = :func:`drug_biomarkers` + :func:`write_biomarkers`. The STRING
graph is built once per process (a few seconds) and reused for every later drug.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from drugloop.bio.network import Network, proximity, random_walk_with_restart, string_network
from drugloop.errors import InputError

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def cached_string_network(min_score: int = 700) -> Network:
    """STRING v12 symbol graph (largest component), built once per process."""
    return string_network(min_score)


@functools.lru_cache(maxsize=4)
def cached_pathways(prefix: str = "REACTOME_") -> dict[str, list[str]]:
    from drugloop.data.loaders.networks import load_pathways

    pw = load_pathways(prefix)
    return dict(zip(pw["gene_set"], pw["genes"], strict=True))


@dataclass
class Biomarkers:
    """Ranked genes (RWR score) and pathways (proximity z) for one target set, with timing."""

    targets: list[str]
    missing_targets: list[str]
    genes: pd.DataFrame
    pathways: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    drug: str | None = None


def drug_biomarkers(
    targets: Sequence[str],
    *,
    drug: str | None = None,
    restart: float = 0.5,
    n_random: int = 1000,
    top_genes: int = 200,
    prefix: str = "REACTOME_",
    min_score: int = 700,
    seed: int = 0,
    network: Network | None = None,
    gene_sets: dict[str, list[str]] | None = None,
) -> Biomarkers:
    """Propagate from the drug's targets over STRING and score pathway proximity (z against degree-matched sets).

    Targets are HGNC symbols (case-insensitive); unknown ones are reported, and none known is an InputError.
    """
    clean = [str(t).strip().upper() for t in targets if str(t).strip()]
    if not clean:
        raise InputError("give at least one target gene symbol, e.g. --targets TYMS")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    net = network or cached_string_network(min_score)
    sets = gene_sets if gene_sets is not None else cached_pathways(prefix)
    timings["load"] = time.perf_counter() - start
    present = [t for t in clean if t in net.index()]
    missing = [t for t in clean if t not in net.index()]
    if not present:
        raise InputError(
            f"none of the targets {clean} is a gene of the STRING network (HGNC symbols expected)"
        )
    if missing:
        log.warning("targets not in the network, ignored: %s", ", ".join(missing))
    start, cpu = time.perf_counter(), time.process_time()
    rwr = random_walk_with_restart(net, present, restart=restart)
    genes = rwr.head(top_genes).rename("score").reset_index()
    genes.insert(0, "rank", range(1, len(genes) + 1))
    genes["is_target"] = genes["gene"].isin(present)
    timings["propagation"] = time.perf_counter() - start
    timings["propagation_cpu"] = time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    pathways = proximity(net, present, sets, n_random=n_random, seed=seed, direction="set_to_targets")
    pathways.insert(0, "rank", range(1, len(pathways) + 1))
    pathways["proximal"] = pathways["z"] <= -1.2816
    timings["proximity"] = time.perf_counter() - start
    timings["proximity_cpu"] = time.process_time() - cpu
    return Biomarkers(present, missing, genes, pathways, timings, drug)


def write_biomarkers(result: Biomarkers, out: str | Path, top: int = 20) -> dict[str, Path]:
    """``genes.csv``, ``pathways.csv`` and ``pathways.png`` (bar chart of the most proximal z-scores)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from drugloop.utils.io import atomic_write_bytes, atomic_write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "genes": atomic_write_text(out / "genes.csv", result.genes.to_csv(index=False)),
        "pathways": atomic_write_text(out / "pathways.csv", result.pathways.to_csv(index=False)),
    }
    head = result.pathways.dropna(subset=["z"]).head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(head) + 1.5))
    labels = [n.removeprefix("REACTOME_").replace("_", " ")[:60] for n in head["gene_set"]]
    ax.barh(labels, head["z"], color=["#c0392b" if p else "#7f8c8d" for p in head["proximal"]])
    ax.axvline(-1.2816, color="black", lw=0.8, ls="--")
    ax.set_xlabel("proximity z vs degree-matched random sets")
    title = f"{result.drug or 'targets'}: {', '.join(result.targets)}"
    ax.set_title(title[:90], fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    paths["chart"] = atomic_write_bytes(out / "pathways.png", buf.getvalue())
    return paths
