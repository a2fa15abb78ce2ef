"""`drugloop campaign` end to end on real data (tiny budget), reproducibility, resume, and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from drugloop.campaign.cell_lines import COLUMNS
from drugloop.campaign.config import CampaignConfig
from drugloop.campaign.run import STEPS
from drugloop.cli.main import app
from drugloop.errors import InputError

runner = CliRunner()
SMALL = 'target = "ABL1"\nbudget = 40\nbatch = 20\nensemble = 2\nn_estimators = 40\ntop = 4\nseed = 3\n'


def _invoke(*args: str):
    return runner.invoke(app, ["-q", "campaign", *args])


def _steps(out: Path) -> dict[str, dict]:
    return {s["name"]: s for s in json.loads((out / "steps.json").read_text())}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("campaign")
    (folder / "c.toml").write_text(SMALL)
    out = folder / "run"
    result = _invoke("--config", str(folder / "c.toml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.data
@pytest.mark.slow
def test_campaign_writes_every_step_and_the_report(campaign: Path) -> None:
    steps = _steps(campaign)
    assert list(steps) == list(STEPS)
    for name in ("target", "binding", "design", "designs", "report"):
        assert steps[name]["status"] == "done", steps[name]
    for name, step in steps.items():
        assert step["status"] in {"done", "skipped"}, f"{name} failed: {step.get('reason')}"
        if step["status"] == "skipped":
            assert step["reason"], name

    target = json.loads((campaign / "target.json").read_text())
    assert target["name"] == "ABL1" and target["gene"] == "ABL1" and target["length"] > 1000
    ligands = pd.read_parquet(campaign / "known_ligands.parquet")
    assert len(ligands) >= 68 and set(ligands["unit"]) <= {"pKd", "KIBA score"}
    named = ligands.drop_duplicates("drug_id").set_index("drug_id")["name"]
    assert named["5291"] == "Imatinib" and named["3062316"] == "Dasatinib"  # DAVIS knows them by PubChem CID

    ledger = pd.read_parquet(campaign / "ledger.parquet")
    assert len(ledger) == 40 and ledger["smiles"].is_unique
    assert list(ledger["order"]) == list(range(40))
    assert not set(ledger["smiles"]) & set(ligands["smiles"]), "known ligands must not be counted as designs"
    designs = pd.read_parquet(campaign / "designs.parquet")
    assert list(designs["rank"]) == [1, 2, 3, 4]
    assert designs["score"].is_monotonic_decreasing
    assert designs["uncertainty"].notna().all()  # an ensemble of 2 gives a spread

    binding = json.loads((campaign / "binding.json").read_text())
    assert binding["split"] == "cold_drug" and 0.5 < binding["metrics"]["test"]["ci"] < 1.0

    # ABL1 is a cancer drug target in GDSC: designs and the GDSC ABL1 drugs are scored on every cell line
    assert steps["cell_lines"]["status"] == "done", steps["cell_lines"]
    cells = pd.read_parquet(campaign / "cell_line_sensitivity.parquet")
    assert list(cells.columns) == COLUMNS  # the literal schema is pinned in test_campaign_cell_lines
    per = cells.groupby("compound", sort=False)
    assert list(per.size().unique()) == [580]
    assert list(cells.loc[cells["kind"] == "design", "compound"].unique()) == [
        f"design_{r}" for r in designs["rank"]
    ]
    assert {"Dasatinib", "Nilotinib"} <= set(cells.loc[cells["kind"] == "reference", "compound"])
    assert cells["predicted_ln_ic50"].notna().all() and (per["rank"].min() == 1).all()
    info = json.loads((campaign / "cell_lines.json").read_text())
    assert info["holdout"]["split"].startswith("cold_drug") and len(info["holdout"]["test_drugs"]) >= 10
    assert 0.3 < info["holdout"]["test"]["per_drug_pearson_median"] < 1.0
    assert (campaign / "response_model" / "card.json").exists()

    report = (campaign / "report.html").read_text()
    for anchor in (
        'id="target"',
        'id="binding"',
        'id="molecule-grid"',
        'id="learning-curve"',
        'id="approval"',
        'id="cell-lines"',
        'id="tissue-heatmap"',
        "Cell lines predicted most sensitive",
        'id="provenance"',
        "data:image/png;base64,",
        "<svg",
    ):
        assert anchor in report, anchor
    if steps["explain"]["status"] == "done":
        assert 'id="highlighted-sequence"' in report
    # the sequence-only regions come with the region model's held-out accuracy, read from its card
    accuracy = steps["target_regions"]["info"]["accuracy"]
    assert 0.5 < accuracy["per-residue AUROC (bindPredict fold 5)"] < 1.0
    assert 'id="region-trust"' in report and "per-residue AUROC (bindPredict fold 5)" in report
    for fetch in ('src="http', "src='http", 'href="http', "<link", "<script src", "url(http"):
        assert fetch not in report, f"the report must be self-contained, found {fetch!r}"
    resolved = CampaignConfig.from_toml(campaign / "campaign.toml")
    assert resolved.budget == 40 and resolved.seed == 3 and resolved.target == "ABL1"


@pytest.mark.data
@pytest.mark.slow
def test_same_seed_same_designs_and_resume_loses_nothing(campaign: Path, tmp_path: Path) -> None:
    model = str(campaign / "model")
    config = tmp_path / "c.toml"  # the fixture's response model spares three trainings of the cell-line model
    response = json.dumps(str(campaign / "response_model"))
    config.write_text(SMALL.replace("budget = 40", "budget = 60") + f"response_model = {response}\n")
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert _invoke("--config", str(config), "--model", model, "--out", str(whole)).exit_code == 0
    first = _invoke("--config", str(config), "--model", model, "--budget", "40", "--out", str(part))
    assert first.exit_code == 0, first.output
    before = pd.read_parquet(part / "ledger.parquet")
    again = _invoke("--config", str(config), "--model", model, "--out", str(part), "--resume")
    assert again.exit_code == 0, again.output
    after = pd.read_parquet(part / "ledger.parquet")
    pd.testing.assert_frame_equal(after.head(40)[["smiles", "score"]], before[["smiles", "score"]])
    reference = pd.read_parquet(whole / "ledger.parquet")
    assert list(after["smiles"]) == list(
        reference["smiles"]
    )  # an interrupted run ends where a whole one does
    # the same model and seed as the fixture's campaign reproduce its first 40 designs exactly
    original = pd.read_parquet(campaign / "ledger.parquet")
    assert list(reference["smiles"].head(40)) == list(original["smiles"])
    # the cell-line step was re-run for the extended loop, on the whole run's designs
    assert _steps(part)["cell_lines"]["status"] == "done"
    mine = pd.read_parquet(part / "cell_line_sensitivity.parquet")
    pd.testing.assert_frame_equal(mine, pd.read_parquet(whole / "cell_line_sensitivity.parquet"))


@pytest.mark.data
def test_unknown_target_suggests_close_names(tmp_path: Path) -> None:
    result = _invoke("--target", "EGRF", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "unknown target 'EGRF'" in result.output and "EGFR" in result.output


@pytest.mark.data
def test_fasta_with_invalid_letters_is_one_clear_error(tmp_path: Path) -> None:
    fasta = tmp_path / "bad.fasta"
    fasta.write_text(">mine\nMKT1LLV*QQ\n")
    result = _invoke("--target", str(fasta), "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "not a protein sequence" in result.output and "'1'" in result.output


def test_budget_below_one_cycle_fails_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "x"
    result = _invoke("--target", "ABL1", "--budget", "10", "--batch", "20", "--out", str(out))
    assert result.exit_code == 2
    assert "smaller than one design cycle" in result.output
    assert not out.exists()


def test_config_errors_are_clear() -> None:
    with pytest.raises(InputError, match="budget"):
        CampaignConfig.build(target="ABL1", budget="many")
    with pytest.raises(InputError, match="unknown_field"):
        CampaignConfig.build(target="ABL1", unknown_field=1)


def test_non_empty_folder_needs_resume(tmp_path: Path) -> None:
    (tmp_path / "something.txt").write_text("x")
    result = _invoke("--target", "ABL1", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--resume" in result.output


@pytest.mark.data
@pytest.mark.slow
def test_report_opens_in_headless_chromium(campaign: Path, tmp_path: Path) -> None:
    """A real browser parses the page and finds the molecule grid, the learning curve and the sequence."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium) so the browser check cannot run"
        )
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    report = (campaign / "report.html").resolve().as_uri()
    dom = subprocess.run([*args, "--dump-dom", report], capture_output=True, text=True, timeout=120).stdout
    for anchor in ('id="molecule-grid"', 'id="learning-curve"', "dl-seq", "<svg"):
        assert anchor in dom, anchor
    shot = tmp_path / "report.png"
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1200,1600", report], capture_output=True, timeout=120
    )
    assert shot.exists() and shot.stat().st_size > 20_000


def test_region_trust_line_says_how_weak_the_regions_are() -> None:
    from drugloop.campaign.report import _region_trust
    from drugloop.campaign.stages import region_model_accuracy

    card = {"validation": {"hots": {"ap@0.5": 0.05, "top_n@0.5": 0.15}, "bindpredict_fold5": {"auroc": 0.69}}}
    accuracy = region_model_accuracy(card)
    assert accuracy == {
        "per-residue AUROC (bindPredict fold 5)": 0.69,
        "region AP@0.5 (HoTS validation)": 0.05,
        "top-n success@0.5 (HoTS validation)": 0.15,
    }
    weak = _region_trust([{"name": "target_regions", "info": {"accuracy": accuracy}}])
    assert "AUROC (bindPredict fold 5) 0.69" in weak and "hints, not binding sites" in weak
    strong = {**accuracy, "region AP@0.5 (HoTS validation)": 0.7}
    assert "hints" not in _region_trust([{"name": "target_regions", "info": {"accuracy": strong}}])
    assert "unvalidated" in _region_trust([{"name": "target_regions", "info": {}}])
    assert region_model_accuracy({}) == {}
