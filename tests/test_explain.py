"""Region model round-trip, explanations with a deep / LightGBM / no binding model, the HTML page, bad inputs, CLI."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugloop.binding.explain import explain_pair, explain_pairs, write_explanation
from drugloop.binding.regions import (
    HEADS,
    RegionPredictor,
    TrainingProtein,
    check_sequence,
    decode_regions,
    residue_features,
)
from drugloop.errors import InputError, ModelError
from molecules import DRUG_LIKE_SMILES

LETTERS = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
MOTIF = "WCWHCW"


def _proteins(n: int, seed: int) -> list[TrainingProtein]:
    """Random proteins with a planted motif: the residues of the motif bind."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        length = int(rng.integers(80, 160))
        seq = list(rng.choice(LETTERS, length))
        at = int(rng.integers(10, length - 20))
        seq[at : at + len(MOTIF)] = list(MOTIF)
        seq = "".join(seq)
        small = np.zeros(length, dtype=np.float32)
        small[at : at + len(MOTIF)] = 1
        region = np.zeros(length, dtype=np.float32)
        region[max(0, at - 5) : at + len(MOTIF) + 4] = 1
        out.append(
            TrainingProtein(
                f"p{i}", seq, {"small": small, "metal": small * 0, "nuclear": None, "region": region}
            )
        )
    return out


@pytest.fixture(scope="module")
def region_model(tmp_path_factory) -> RegionPredictor:
    model = RegionPredictor(
        seed=0,
        epochs=6,
        channels=16,
        dilations=[1, 2, 4],
        batch_residues=512,
        lr=1e-2,
        patience=20,
        dropout=0.0,
    )
    model.fit(_proteins(20, 0), _proteins(4, 1))
    # a decoder that always yields a few regions, so the page tests see some whatever this tiny model learnt
    model.decoder = {"kind": "anchor", "threshold": 0.0, "widths": [12], "nms_iou": 0.1, "max_regions": 3}
    return model


@pytest.fixture(scope="module")
def deep_model():
    from drugloop.binding.deep import DeepBindingModel

    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(LETTERS, 90)) for _ in range(3)]
    df = pd.DataFrame(
        [
            {"smiles": s, "sequence": q, "label": 5.0 + i % 3 + 0.3 * j}
            for i, s in enumerate(DRUG_LIKE_SMILES[:4])
            for j, q in enumerate(seqs)
        ]
    )
    return DeepBindingModel(
        seed=0, device="cpu", epochs=2, batch_size=8, hidden=16, gnn_layers=1, heads=2, ecfp_bits=128
    ).fit(df)


def test_region_model_learns_motif_and_roundtrips(region_model, tmp_path):
    test = _proteins(6, 2)
    probs = region_model.predict_proba([p.sequence for p in test])
    assert all(pr.shape == (len(p.sequence), len(HEADS)) for pr, p in zip(probs, test, strict=True))
    # the planted motif residues score above the rest
    inside = np.concatenate([pr[p.labels["small"] == 1, 0] for pr, p in zip(probs, test, strict=True)])
    outside = np.concatenate([pr[p.labels["small"] == 0, 0] for pr, p in zip(probs, test, strict=True)])
    assert inside.mean() > 2 * outside.mean()
    region_model.save(tmp_path / "rm")
    loaded = RegionPredictor.load(tmp_path / "rm")
    np.testing.assert_allclose(loaded.predict_proba([test[0].sequence])[0], probs[0], atol=1e-6)
    assert loaded.decoder == region_model.decoder
    with pytest.raises(ModelError):
        RegionPredictor.load(tmp_path)


def test_decoders_hand_cases():
    region = np.array([0.1] * 10 + [0.9] * 8 + [0.1] * 10 + [0.6] * 2 + [0.1] * 5)
    binding = np.zeros_like(region)
    binding[[12, 14]] = 0.8
    seg = decode_regions(binding, region, {"kind": "segment", "threshold": 0.5, "min_length": 4})
    assert [(r.start, r.end) for r in seg] == [(10, 18)]  # the 2-residue run is below min_length
    assert seg[0].score == pytest.approx(0.9)
    pad = decode_regions(binding, region, {"kind": "pad", "threshold": 0.5, "pad": 5})
    assert [(r.start, r.end) for r in pad] == [(7, 19)]
    anchor = decode_regions(
        binding, region, {"kind": "anchor", "threshold": 0.5, "widths": [8], "nms_iou": 0.3}
    )
    assert (anchor[0].start, anchor[0].end) == (10, 18)
    with pytest.raises(InputError):
        decode_regions(binding, region, {"kind": "nope"})


def test_sequence_checks():
    assert check_sequence(" mkv\nla ") == "MKVLA"
    assert check_sequence("MKUB") == "MKXX"  # nonstandard letters read as X
    for bad, words in [("", "empty"), ("MK1V", "invalid"), ("M" * 6000, "longer")]:
        with pytest.raises(InputError, match=words):
            check_sequence(bad)
    assert residue_features("AX").shape == (2, 26)


def test_explain_with_deep_model_writes_page(region_model, deep_model, tmp_path):
    seq = _proteins(1, 5)[0].sequence
    smiles = DRUG_LIKE_SMILES[1]
    started = time.perf_counter()
    exp = explain_pair(
        deep_model, smiles, seq, target_id="kin1", region_model=region_model, true_regions=[(10, 30)]
    )
    paths = write_explanation(exp, tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"explaining one pair took {elapsed:.2f} s"
    assert exp.prediction is not None and "attention" in exp.method
    res = pd.read_csv(paths["residues"])
    assert len(res) == len(seq) and res["residue"].str.cat() == seq
    assert {"attribution", "attention", "binding", "in_region"} <= set(res.columns)
    assert res["attention"].sum() == pytest.approx(1.0, abs=1e-3)
    regions = json.loads(paths["regions"].read_text())
    assert regions["regions"] and regions["true_regions"] == [[10, 30]]
    page = paths["html"].read_text()
    residues = re.findall(r'<span class="res[^"]*"[^>]*>([A-Z])</span>', page)
    assert "".join(residues) == seq  # every residue, in order
    assert "<svg" in page and "</svg>" in page and "<script" not in page
    assert page.count('class="bar pred"') >= len(regions["regions"])
    assert 'class="bar true"' in page and "11-30" in page
    for r in regions["regions"]:
        assert r["region"] in page


def test_explain_lgbm_falls_back_to_regions(region_model):
    from drugloop.binding.lgbm import LGBMBindingModel

    rng = np.random.default_rng(4)
    seqs = ["".join(rng.choice(LETTERS, 70)) for _ in range(3)]
    df = pd.DataFrame(
        [
            {"smiles": s, "sequence": q, "label": float(i + j)}
            for i, s in enumerate(DRUG_LIKE_SMILES[:5])
            for j, q in enumerate(seqs)
        ]
    )
    model = LGBMBindingModel(seed=0, n_estimators=5, min_child_samples=2, n_jobs=1, n_bits=256).fit(df)
    exp = explain_pair(model, DRUG_LIKE_SMILES[0], seqs[0], region_model=region_model)
    assert exp.method == "region predictor only"
    assert any("no residue-level attribution" in n for n in exp.notes)
    assert exp.prediction is not None
    assert "attention" not in exp.residues.columns


def test_bad_inputs_one_message_each_others_explained(region_model, deep_model):
    good = _proteins(1, 6)[0].sequence
    targets = [("ok", good), ("letters", "MKV1LA*"), ("empty", ""), ("huge", "A" * 6000)]
    smiles = [DRUG_LIKE_SMILES[0], "C1CC(", DRUG_LIKE_SMILES[2]]
    out = explain_pairs(deep_model, smiles, targets, region_model=region_model)
    assert len(out) == len(smiles) * len(targets)
    ok = [e for e in out if e.ok]
    assert [(e.smiles, e.target_id) for e in ok] == [(DRUG_LIKE_SMILES[0], "ok"), (DRUG_LIKE_SMILES[2], "ok")]
    by = {(e.smiles, e.target_id): e.error for e in out}
    assert "invalid character" in by[(DRUG_LIKE_SMILES[0], "letters")]
    assert "empty" in by[(DRUG_LIKE_SMILES[0], "empty")]
    assert "longer" in by[(DRUG_LIKE_SMILES[0], "huge")]
    assert "does not parse" in by[("C1CC(", "ok")]
    with pytest.raises(InputError, match="does not parse"):
        explain_pair(None, "C1CC(", good, region_model=region_model)


def test_cli_regions_and_explain(region_model, deep_model, tmp_path):
    from typer.testing import CliRunner

    from drugloop.cli.binding import app

    region_model.save(tmp_path / "rm")
    deep_model.save(tmp_path / "deep")
    prots = _proteins(2, 7)
    fasta = tmp_path / "t.fasta"
    fasta.write_text(f">good1\n{prots[0].sequence}\n>bad\nMKV1Z\n>good2\n{prots[1].sequence}\n")
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "regions",
            "--target",
            str(fasta),
            "--region-model",
            str(tmp_path / "rm"),
            "--out",
            str(tmp_path / "reg"),
        ],
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "reg" / "regions.json").read_text())
    assert [t["target_id"] for t in summary["targets"]] == ["good1", "bad", "good2"]
    assert "invalid character" in summary["targets"][1]["error"]
    r = runner.invoke(
        app,
        [
            "explain",
            "--model",
            str(tmp_path / "deep"),
            "--smiles",
            DRUG_LIKE_SMILES[1],
            "--smiles",
            "not_a_smiles",
            "--target",
            str(fasta),
            "--region-model",
            str(tmp_path / "rm"),
            "--out",
            str(tmp_path / "exp"),
            "--true-regions",
            "5-20",
        ],
    )
    assert r.exit_code == 0, r.output
    index = json.loads((tmp_path / "exp" / "index.json").read_text())
    assert len(index) == 6 and sum("error" in e for e in index) == 4
    for e in index:
        if "error" not in e:
            assert "<svg" in Path(e["html"]).read_text()
    long_seq = "".join(np.random.default_rng(5).choice(LETTERS, 1500))  # longer than a file name may be
    r = runner.invoke(
        app, ["regions", "--target", long_seq, "--region-model", str(tmp_path / "rm"), "--quiet"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "explain",
            "--smiles",
            "C1CC(",
            "--target",
            prots[0].sequence,
            "--region-model",
            str(tmp_path / "rm"),
            "--out",
            str(tmp_path / "none"),
        ],
    )
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_table_html_blanks_missing_values_and_escapes() -> None:
    from drugloop.report.page import table_html

    out = table_html([{"name": "<b>", "p": 0.12345, "error": float("nan"), "note": None}])
    assert "<td>&lt;b&gt;</td><td>0.123</td><td></td><td></td>" in out
    assert "nan" not in out and "None" not in out
