"""Homology transfer: labels follow the alignment, the blend weighs by identity, the predictor applies and saves it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drugloop.binding.regions import HEADS, RegionPredictor, TrainingProtein
from drugloop.binding.templates import TemplateHit, TemplateLibrary, blend_template, transfer
from drugloop.errors import InputError

LETTERS = np.array(list("ACDEFGHIKLMNPQRSTVWY"))


def _random_seq(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(LETTERS, n))


def _template(seq: str, site: range) -> TrainingProtein:
    small = np.zeros(len(seq), dtype=np.float32)
    small[list(site)] = 1
    region = np.zeros(len(seq), dtype=np.float32)
    region[max(0, site.start - 5) : site.stop + 5] = 1
    return TrainingProtein("tmpl", seq, {"small": small, "metal": None, "nuclear": None, "region": region})


def test_labels_follow_an_insertion_and_unaligned_residues_stay_unknown():
    rng = np.random.default_rng(0)
    seq = _random_seq(rng, 200)
    template = _template(seq, range(120, 126))
    insert = _random_seq(np.random.default_rng(1), 12)
    query = "MSTAQ" + seq[:60] + insert + seq[60:]  # a new N-terminus and a 12-residue loop before the site
    hit = transfer(template, query, 0.9)
    small = hit.labels["small"]
    assert "metal" not in hit.labels  # the template has no metal labels: nothing to transfer
    shift = 5 + 12
    np.testing.assert_array_equal(np.nonzero(small == 1)[0], np.arange(120, 126) + shift)
    assert np.isnan(small[:5]).all()  # the new N-terminus has no template counterpart
    assert np.isnan(small[65:77]).sum() >= 10  # nor has most of the inserted loop
    assert np.nansum(hit.labels["region"]) == template.labels["region"].sum()


def test_blend_weighs_by_identity_and_keeps_unaligned_residues():
    prob = np.full((6, len(HEADS)), 0.2)
    mapped = np.array([1.0, 1.0, 0.0, np.nan, 0.0, 1.0])
    hit = TemplateHit("t", 0.5, {"region": mapped})
    out = blend_template(prob, hit, weight=1.0)  # w = 0.5
    r = HEADS.index("region")
    np.testing.assert_allclose(out[:, r], [0.6, 0.6, 0.1, 0.2, 0.1, 0.6])
    others = [h for h in range(len(HEADS)) if h != r]
    np.testing.assert_array_equal(out[:, others], prob[:, others])
    np.testing.assert_allclose(
        blend_template(prob, hit, weight=4.0)[:, r], [1, 1, 0, 0.2, 0, 1]
    )  # w capped at 1
    assert blend_template(prob, None, 2.0) is prob
    with pytest.raises(InputError, match="residues"):
        blend_template(prob[:4], hit, 1.0)


@settings(max_examples=25, deadline=None)
@given(weight=st.floats(0, 5), identity=st.floats(0.01, 1), seed=st.integers(0, 100))
def test_blend_stays_a_probability_between_cnn_and_template(weight, identity, seed):
    rng = np.random.default_rng(seed)
    prob = rng.random((30, len(HEADS)))
    mapped = np.where(rng.random(30) < 0.2, np.nan, (rng.random(30) < 0.3).astype(float))
    out = blend_template(prob, TemplateHit("t", identity, {"small": mapped}), weight)
    h = HEADS.index("small")
    lo, hi = np.fmin(prob[:, h], mapped), np.fmax(prob[:, h], mapped)
    assert np.all((out[:, h] >= lo - 1e-12) & (out[:, h] <= hi + 1e-12))
    assert np.all((out >= 0) & (out <= 1))


def test_library_finds_the_homolog_and_respects_min_identity(tmp_path):
    rng = np.random.default_rng(4)
    near = _random_seq(rng, 150)
    far = _random_seq(rng, 150)
    library = TemplateLibrary([_template(near, range(40, 46)), _template(far, range(90, 96))])
    mutant = list(near)
    for i in range(0, 150, 5):  # 80% identical to ``near``
        mutant[i] = "W" if mutant[i] != "W" else "Y"
    mutant = "".join(mutant)
    hit = library.search([mutant], cache_dir=tmp_path)[0]
    assert hit is not None and 0.75 < hit.identity < 0.85
    np.testing.assert_array_equal(np.nonzero(hit.labels["small"] == 1)[0], np.arange(40, 46))
    assert library.search([mutant], min_identity=0.9)[0] is None
    # a cached search gives the same answer
    again = library.search([mutant], cache_dir=tmp_path)[0]
    assert again is not None and again.identity == hit.identity and list(tmp_path.glob("templates_*.npz"))
    with pytest.raises(InputError):
        TemplateLibrary([TrainingProtein("x", near, {"small": None})])


def test_predictor_applies_saves_and_detaches_templates(tmp_path):
    rng = np.random.default_rng(7)
    train = [_template(_random_seq(rng, 120), range(30, 36)) for _ in range(6)]
    model = RegionPredictor(seed=0, epochs=1, channels=8, dilations=[1, 2], batch_residues=512)
    model.fit(train, train[:2])
    with pytest.raises(InputError, match="blend"):
        model.use_templates(TemplateLibrary(train))
    with pytest.raises(InputError, match="numbers"):
        model.use_templates(TemplateLibrary(train), {"min_identity": "high", "weight": 1.0})
    query = train[3].sequence  # its own template: identity 1, labels transferred exactly
    cnn = model.predict_proba([query])[0]
    model.use_templates(TemplateLibrary(train), {"min_identity": 0.3, "weight": 1.0})
    blended = model.predict_proba([query])[0]
    np.testing.assert_allclose(blended[:, HEADS.index("small")], train[3].labels["small"])
    np.testing.assert_allclose(blended[:, HEADS.index("metal")], cnn[:, HEADS.index("metal")])
    np.testing.assert_allclose(model.cnn_proba([query])[0], cnn)
    model.save(tmp_path / "m")
    loaded = RegionPredictor.load(tmp_path / "m")
    assert loaded.template_blend == {"min_identity": 0.3, "weight": 1.0} and loaded.templates is None
    np.testing.assert_allclose(loaded.predict_proba([query])[0], cnn, atol=1e-6)
    loaded.use_templates(TemplateLibrary(train))  # the saved blend is used
    np.testing.assert_allclose(loaded.predict_proba([query])[0], blended, atol=1e-6)
    assert np.allclose(loaded.use_templates(None).predict_proba([query])[0], cnn, atol=1e-6)


def test_proteins_with_a_template_decode_with_the_template_decoder():
    rng = np.random.default_rng(9)
    train = [_template(_random_seq(rng, 120), range(30, 36)) for _ in range(4)]
    model = RegionPredictor(seed=0, epochs=1, channels=8, dilations=[1], batch_residues=512).fit(
        train, train[:1]
    )
    model.decoder = {
        "kind": "segment",
        "threshold": 0.99,
        "min_length": 4,
    }  # the CNN regime: finds nothing here
    model.template_decoder = {"kind": "segment", "threshold": 0.5, "min_length": 4}
    model.use_templates(TemplateLibrary(train[:1]), {"min_identity": 0.5, "weight": 1.0})
    known, unknown = train[0].sequence, _random_seq(np.random.default_rng(10), 120)
    probs, hits = model.proba_and_templates([known, unknown])
    assert hits[0] is not None and hits[0].identity == 1.0 and hits[1] is None
    with_t, without = model.predict([known, unknown])
    assert (with_t.template_id, with_t.template_identity) == ("tmpl", 1.0) and without.template_id is None
    assert [(r.start, r.end) for r in with_t.regions] == [
        (25, 41)
    ]  # the template's region, 30-36 padded by 5
    assert without.regions == [] or all(r.score >= 0.99 for r in without.regions)
    assert model.decoder_for(False) is model.decoder and model.decoder_for(True) is model.template_decoder


def test_explanation_notes_the_template():
    from drugloop.binding.explain import explain_pairs

    rng = np.random.default_rng(11)
    train = [_template(_random_seq(rng, 100), range(20, 26)) for _ in range(3)]
    model = RegionPredictor(seed=0, epochs=1, channels=8, dilations=[1], batch_residues=512).fit(
        train, train[:1]
    )
    model.use_templates(TemplateLibrary(train), {"min_identity": 0.5, "weight": 1.0})
    (exp,) = explain_pairs(None, ["CCO"], [("t", train[1].sequence)], region_model=model)
    assert exp.ok and any("homolog" in n and "100% identical" in n for n in exp.notes)
