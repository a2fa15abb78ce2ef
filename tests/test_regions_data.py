"""Real-data checks for the region benchmark: the HoTS region rule, the identity filter and the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest

from drugloop.evaluate.regions import regions_from_residues

pytestmark = pytest.mark.data


def test_hots_regions_are_binding_residues_padded_by_five():
    from drugloop.data.loaders.sites import load_hots

    for subset in ("test", "validation"):
        df = load_hots(subset)
        for idx, seq, regions in zip(df["binding_index"], df["sequence"], df["binding_region"], strict=True):
            assert regions_from_residues(idx, len(seq), pad=5) == list(regions)


def test_identity_filter_removes_hots_test_twins_from_bindpredict():
    from drugloop.binding.identity import filter_by_identity
    from drugloop.data.loaders.sites import load_bindpredict, load_hots

    test = sorted(set(load_hots("test")["sequence"]))
    bp = load_bindpredict("development")
    train = bp.loc[bp["split"] != "test", "sequence"].tolist()
    exact = [s in set(test) for s in train]
    assert sum(exact) >= 1  # the HoTS test set shares proteins with bindPredict
    keep, ident = filter_by_identity(train, test, threshold=0.9)
    assert not any(k and e for k, e in zip(keep, exact, strict=True))  # every exact twin is removed
    assert (ident[~keep] >= 0.9).all() and keep.sum() > 0.95 * len(train)


def test_shipped_region_model_predicts_a_hots_protein():
    from drugloop.binding.regions import WEIGHTS_DIR, RegionPredictor
    from drugloop.data.loaders.sites import load_hots

    if not (WEIGHTS_DIR / "regions.safetensors").is_file():
        pytest.skip("no shipped region weights in this checkout")
    model = RegionPredictor.default()
    row = load_hots("test").iloc[0]
    pred = model.predict(row["sequence"])[0]
    assert pred.binding.shape == (len(row["sequence"]),)
    assert np.all((pred.region >= 0) & (pred.region <= 1))
    assert all(0 <= r.start < r.end <= len(row["sequence"]) for r in pred.regions)
    assert model.card["trained_on"]["train_removed_test_twins"] > 0


def test_reference_library_transfers_a_known_proteins_own_regions(tmp_path, monkeypatch):
    """A HoTS test protein is in the reference library: with templates its own regions come back (identity 1)."""
    import json

    from typer.testing import CliRunner

    from drugloop.binding.region_data import reference_library
    from drugloop.binding.regions import HEADS, RegionPredictor, TrainingProtein
    from drugloop.cli.binding import app
    from drugloop.data.loaders.sites import load_hots

    monkeypatch.setenv("DRUGLOOP_CACHE", str(tmp_path / "cache"))
    library = reference_library()
    assert len(library) > 1500
    row = load_hots("test").iloc[0]
    seq = row["sequence"]
    hit = library.search([seq])[0]
    assert hit is not None and hit.identity == 1.0
    inside = hit.labels["region"]
    for start, end in row["binding_region"]:
        assert (
            np.nanmin(inside[start:end]) == 1.0
        )  # the union over its complexes covers each complex's regions

    # the CLI flag, with a small region model that carries a blend
    prots = [
        TrainingProtein(f"p{i}", seq, {"region": np.zeros(len(seq), dtype=np.float32)}) for i in range(2)
    ]
    model = RegionPredictor(seed=0, epochs=1, channels=8, dilations=[1], batch_residues=4096).fit(
        prots, prots
    )
    model.template_blend = {"min_identity": 0.4, "weight": 1.0}
    model.decoder = {"kind": "segment", "threshold": 0.5, "min_length": 4}
    model.save(tmp_path / "rm")
    runner = CliRunner()
    args = ["regions", "--target", seq, "--region-model", str(tmp_path / "rm"), "--quiet"]
    with_t = runner.invoke(app, [*args, "--templates", "--out", str(tmp_path / "t")])
    assert with_t.exit_code == 0, with_t.output
    target = json.loads((tmp_path / "t" / "regions.json").read_text())["targets"][0]
    assert target["template"]["identity"] == 1.0 and "transferred from" in with_t.output
    regions = target["regions"]
    # weight * identity = 1: the region head is the library's label, so its runs come back as regions
    expected = sorted({(s, e) for s, e in _runs(inside == 1.0)})
    assert sorted((r["start"], r["end"]) for r in regions) == expected
    assert HEADS.index("region") == 3
    model.template_blend = None
    model.save(tmp_path / "rm")
    r = runner.invoke(app, [*args, "--templates"])
    assert r.exit_code != 0 and "template blend" in r.output and "Traceback" not in r.output


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    from drugloop.evaluate.regions import regions_from_mask

    return [(int(s), int(e)) for s, e in regions_from_mask(mask) if e - s >= 4]
