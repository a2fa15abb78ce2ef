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
