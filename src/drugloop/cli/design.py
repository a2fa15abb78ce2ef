"""`drugloop design`: De novo design in a design-make-test-learn loop."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from drugloop.cli._console import console, user_errors
from drugloop.errors import InputError

app = typer.Typer(help="De novo design in a design-make-test-learn loop.", no_args_is_help=True)

_GENERATORS = ("graph_ga", "zinc", "reinvent")


def _generators(names: list[str], candidates: int, seed: int) -> tuple[list, dict[str, int]]:
    from drugloop.design.bench import zinc_smiles
    from drugloop.design.graph_ga import GraphGA
    from drugloop.design.loop import LibrarySampler

    gens = []
    counts: dict[str, int] = {}
    for name in names:
        if name == "graph_ga":
            gens.append(GraphGA(population_size=120, mutation_rate=0.2))
            counts[name] = candidates
        elif name == "zinc":
            gens.append(LibrarySampler(list(zinc_smiles())))
            counts[name] = max(1, candidates // 5)
        elif name == "reinvent":
            try:
                from drugloop.design.lm import ReinventGenerator
            except ImportError as exc:
                raise InputError(f"the language-model generator is not available: {exc}") from None
            gens.append(ReinventGenerator(seed=seed))
            counts["reinvent"] = candidates
        else:
            raise InputError(f"unknown generator {name!r}; choose from {', '.join(_GENERATORS)}")
    return gens, counts


@app.command("run")
@user_errors
def run(
    config: Path = typer.Option(
        ..., "--config", "-c", help="objective TOML ([objective] with [[objective.components]])"
    ),
    budget: int = typer.Option(1000, "--budget", "-n", help="oracle calls (compounds made and tested)"),
    batch: int = typer.Option(100, "--batch", "-b", help="compounds per design-make-test cycle"),
    out: Path = typer.Option(..., "--out", "-o", help="output folder (ledger, top molecules, plots)"),
    resume: bool = typer.Option(
        False, "--resume", help="continue from OUT/ledger.parquet without re-scoring"
    ),
    seed: int = typer.Option(0, "--seed", help="random seed (a run is deterministic per seed)"),
    acquisition: str = typer.Option("ucb", "--acquisition", help="ucb, ei, greedy or random"),
    generators: str = typer.Option(
        "graph_ga,zinc", "--generators", help="comma list of graph_ga, zinc, reinvent"
    ),
    candidates: int = typer.Option(
        0, "--candidates", help="candidates per cycle per generator (0: 2.5 x batch)"
    ),
    top: int = typer.Option(20, "--top", help="molecules in top.csv and the grid"),
) -> None:
    """Optimise an objective: the ledger, the top molecules (CSV, SVG/PNG grid) and the learning curve PNG."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from drugloop.design.ledger import Ledger
    from drugloop.design.loop import LoopConfig, run_loop
    from drugloop.design.plots import learning_curve_png
    from drugloop.design.scoring import load_objective
    from drugloop.evaluate.results import write_run_metadata
    from drugloop.report.molgrid import write_mol_grid
    from drugloop.utils.io import atomic_write_text

    objective = load_objective(config)  # every config mistake is reported here, before any oracle call
    ledger_path = out / "ledger.parquet"
    if resume:
        ledger = Ledger.load(ledger_path, budget=budget)
        if ledger.meta.get("seed", seed) != seed:
            raise InputError(
                f"{ledger_path} was run with seed {ledger.meta['seed']}; resume with --seed {ledger.meta['seed']}"
            )
        console.print(f"resuming from {len(ledger)} scored molecules in {ledger_path}")
    else:
        if ledger_path.exists():
            raise InputError(f"{ledger_path} exists; pass --resume to continue it or choose another --out")
        ledger = Ledger(budget, ledger_path)
    names = [g.strip() for g in generators.split(",") if g.strip()]
    gens, counts = _generators(names, candidates or max(1, int(2.5 * batch)), seed)
    cfg = LoopConfig(budget=budget, batch_size=batch, candidates=counts, acquisition=acquisition, seed=seed)
    cfg.check()
    out.mkdir(parents=True, exist_ok=True)
    write_run_metadata(
        out,
        {"objective": objective.config.model_dump(), "loop": cfg.__dict__ | {"candidates": dict(counts)}},
        seed,
    )
    result = run_loop(objective, gens, cfg, ledger, progress=True)
    ledger.save()
    best = ledger.top(top)
    atomic_write_text(out / "top.csv", best.to_csv(index=False))
    if len(best):
        write_mol_grid(best["smiles"].tolist(), out / "top", legends=[f"{s:.3f}" for s in best["score"]])
    learning_curve_png(ledger, out / "learning_curve.png", title=f"{objective.name}: {len(ledger)} calls")
    c = ledger.counters
    console.print(
        f"{len(ledger)} molecules scored in {result.cycles} cycles ({result.wall_seconds:.0f} s; stopped: "
        f"{result.stopped}); proposed {c['proposed']}, invalid {c['invalid']}, duplicate {c['duplicate']}"
    )
    if len(best):
        console.print(f"best {best['score'].iloc[0]:.3f}  {best['smiles'].iloc[0]}")
    console.print(f"wrote {out}/ledger.parquet, top.csv, top.svg, learning_curve.png")


@app.command("bench")
@user_errors
def bench(
    which: str = typer.Argument(..., help="pmo or dmta"),
    out: Path = typer.Option(Path("benchmarks/results/design"), "--out", "-o"),
    tasks: str = typer.Option("", "--tasks", help="comma list of PMO tasks (default: all 20)"),
    methods: str = typer.Option(
        "",
        "--methods",
        help="comma list (pmo: loop,graph_ga,reinvent,random; dmta: loop,loop_transfer,greedy,random)",
    ),
    seeds: str = typer.Option("0", "--seeds", help="comma list of seeds"),
    budget: int = typer.Option(10_000, "--budget", help="PMO oracle calls per run"),
) -> None:
    """Run (resumably) the PMO or the KIBA DMTA benchmark and write its result JSON."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from drugloop.design import bench as b
    from drugloop.design.pmo import PMO_TASKS

    seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    if which == "pmo":
        task_list = [t for t in tasks.split(",") if t] or list(PMO_TASKS)
        unknown = sorted(set(task_list) - set(PMO_TASKS))
        if unknown:
            raise InputError(f"unknown PMO task(s) {', '.join(unknown)}; known: {', '.join(PMO_TASKS)}")
        method_list = [m for m in methods.split(",") if m] or ["loop"]
        b.run_pmo(out, task_list, method_list, seed_list, budget, echo=console.print)
        console.print(f"wrote {b.write_pmo_result(out, budget)}")
    elif which == "dmta":
        method_list = [m for m in methods.split(",") if m] or ["loop", "loop_transfer", "greedy", "random"]
        runs = b.run_dmta(out, seed_list, method_list, echo=console.print)
        console.print(f"wrote {b.write_dmta_result(out, runs)}")
    else:
        raise InputError(f"unknown benchmark {which!r}; choose pmo or dmta")
