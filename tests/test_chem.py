"""Molecules: parsing with per-row reasons, standardisation, featurisers, properties, scaffolds, tokens."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from drugloop.chem import (
    ATOM_ELEMENTS,
    ATOM_FEATURE_DIM,
    BOND_FEATURE_DIM,
    DESCRIPTOR_NAMES,
    SMILES_VOCAB,
    MolFeaturizer,
    build_smiles_vocab,
    descriptors,
    design_alerts,
    ecfp,
    ecfp_from_smiles,
    graphs_from_smiles,
    lipinski_violations,
    logp,
    mol_to_graph,
    murcko_scaffold,
    murcko_scaffolds,
    pains_alerts,
    parse_one,
    parse_smiles,
    properties_frame,
    qed,
    sa_score,
    smiles_tokenize,
    standardize_smiles,
    standardize_smiles_frame,
    tpsa,
)
from drugloop.errors import InputError, ModelError

DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",  # caffeine, Kekulé form
    "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O",  # (S)-ibuprofen
    "Cc1ccc(cc1Nc2nccc(n2)c3cccnc3)NC(=O)c4ccc(cc4)CN5CCN(CC5)C",  # imatinib
    "C[C@]12CC[C@H]3[C@@H](CCc4cc(O)ccc34)[C@@H]1CC[C@@H]2O",  # estradiol
    "O=C(O)/C=C/c1ccc(O)c(O)c1",  # caffeic acid (E)
    "[Na+].[O-]C(=O)c1ccccc1",  # sodium benzoate
    "C[NH3+].[Cl-]",  # methylammonium chloride
    "Clc1ccc(Br)cc1",
    "OC1=CC=CC=N1",  # 2-hydroxypyridine
    "CS(=O)(=O)N1CCC(CC1)c1ccccc1",
    "C1CC2CCC1C2",  # norbornane
    "CCCCCCCCCC",
    "c1ccc2c(c1)[nH]c1ccccc12",  # carbazole
    "NC(=[NH2+])c1ccccc1",
    "[2H]C([2H])([2H])O",
]


# --------------------------------------------------------------------------- parsing


def test_parse_keeps_every_row_with_a_reason() -> None:
    inputs = ["CCO", "C1CC", "C1CC(", "N(C)(C)(C)(C)C", "c1cccc1", None, "", "   ", "C C", float("nan"), 5]
    parsed = parse_smiles(inputs)
    assert [p.index for p in parsed] == list(range(len(inputs)))
    assert [p.input for p in parsed][:9] == inputs[:9]
    assert parsed[0].ok and parsed[0].smiles == "CCO" and parsed[0].mol is not None
    reasons = [p.error for p in parsed]
    assert reasons[1] == "cannot parse SMILES: unclosed ring"
    assert reasons[2].startswith("cannot parse SMILES: syntax error")
    assert reasons[3].startswith("valence error:")
    assert reasons[4].startswith("kekulization error:")
    assert reasons[5] == reasons[6] == reasons[7] == reasons[9] == "empty SMILES"
    assert "whitespace" in reasons[8]  # RDKit alone would silently read "C C" as methane
    assert reasons[10].startswith("not a SMILES string")
    for p in parsed[1:]:
        assert p.mol is None and p.smiles is None and not p.ok


def test_parse_is_silent_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    parse_smiles(["C1CC", "N(C)(C)(C)(C)C", "c1cccc1", "C(", "CCO"])
    captured = capfd.readouterr()
    assert captured.err == ""


def test_standardisation_strips_salts_and_charges() -> None:
    parsed = parse_smiles(["[Na+].[O-]C(=O)c1ccccc1", "C[NH3+].[Cl-]", "C[NH3+]"])
    assert [p.smiles for p in parsed] == ["O=C(O)c1ccccc1", "CN", "CN"]
    raw = parse_smiles(["[Na+].[O-]C(=O)c1ccccc1"], standardize=False)[0]
    assert raw.smiles is not None and "." in raw.smiles


def test_tautomer_option_canonicalises_tautomers() -> None:
    a, b = parse_smiles(["Oc1ccccn1", "O=c1cccc[nH]1"], tautomer=True)
    assert a.smiles == b.smiles
    plain = parse_smiles(["Oc1ccccn1", "O=c1cccc[nH]1"])
    assert plain[0].smiles != plain[1].smiles  # off by default


def test_non_ascii_is_an_error_not_a_silent_truncation() -> None:
    # RDKit alone reads "CCé" as ethane; and it once failed to decode its own log on a long non-ASCII input
    for text, pos in [("CCé", 2), ("0000" + "\x80" * 7 + "\U00010000" * 6, 4)]:
        p = parse_smiles([text])[0]
        assert (
            p.mol is None
            and p.error is not None
            and "non-ASCII character" in p.error
            and f"position {pos}" in p.error
        )


def test_parse_one_raises_input_error_with_reason() -> None:
    assert Chem.MolToSmiles(parse_one("OCC")) == "CCO"
    with pytest.raises(InputError, match="unclosed ring"):
        parse_one("C1CC")


def test_standardize_smiles_frame_adds_columns_and_keeps_index() -> None:
    df = pd.DataFrame({"smiles": ["OCC", "bad(", None], "y": [1, 2, 3]}, index=[10, 20, 30])
    out = standardize_smiles_frame(df)
    assert list(out.index) == [10, 20, 30]
    assert out["smiles_std"].tolist() == ["CCO", None, None]
    assert out["smiles_error"][10] is None
    assert out["smiles_error"][20].startswith("cannot parse")
    assert out["smiles_error"][30] == "empty SMILES"
    assert "smiles_std" not in df.columns  # the input is not modified
    with pytest.raises(InputError, match="no column"):
        standardize_smiles_frame(df, column="SMILES")


def test_standardize_smiles_parallel_matches_serial() -> None:
    values = DRUGS * 3 + ["C1CC", None]
    serial = standardize_smiles(values)
    parallel = standardize_smiles(values, n_jobs=2, chunk_size=10)
    assert parallel == serial


SMILES_CHARS = "CNOSPFIBrcnos()[]=#@+-123456789%/\\.H* \t"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=20),
            st.text(alphabet=SMILES_CHARS, max_size=25),
            st.sampled_from(DRUGS),
        ),
        max_size=8,
    )
)
def test_parse_never_raises_and_keeps_length_and_order(values: list[str | None]) -> None:
    # hypothesis once found a long non-UTF-8-safe input that RDKit's log cut mid-character: now a clear reason
    parsed = parse_smiles(values)
    assert len(parsed) == len(values)
    for i, (p, value) in enumerate(zip(parsed, values, strict=True)):
        assert p.index == i and p.input is value
        assert (p.error is None) == (p.mol is not None) == (p.smiles is not None)
        if p.error is not None:
            assert isinstance(p.error, str) and p.error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DRUGS), st.randoms(use_true_random=False))
def test_canonical_smiles_is_idempotent_and_order_independent(smiles: str, rnd: object) -> None:
    first = parse_smiles([smiles])[0].smiles
    assert first is not None
    assert parse_smiles([first])[0].smiles == first  # idempotent
    mol = Chem.MolFromSmiles(smiles)
    order = list(range(mol.GetNumAtoms()))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = Chem.MolToSmiles(Chem.RenumberAtoms(mol, order), canonical=False)
    assert parse_smiles([shuffled])[0].smiles == first  # the input atom order does not matter


# --------------------------------------------------------------------------- fingerprints and descriptors


def _mols(smiles: list[str]) -> list[Chem.Mol]:
    return [p.mol for p in parse_smiles(smiles)]


def test_ecfp_shape_dtype_and_none_rows() -> None:
    mols = [*_mols(DRUGS[:3]), None]
    bits = ecfp(mols, radius=2, n_bits=1024)
    assert bits.shape == (4, 1024) and bits.dtype == np.uint8
    assert set(np.unique(bits)) <= {0, 1}
    assert bits[3].sum() == 0 and bits[:3].sum(axis=1).min() > 0
    counts = ecfp(mols, n_bits=1024, counts=True)
    assert counts.dtype == np.uint16
    assert ecfp(mols, counts=True, dtype=np.float32).dtype == np.float32
    with pytest.raises(InputError):
        ecfp(mols, n_bits=0)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(DRUGS), min_size=1, max_size=5),
    st.sampled_from([0, 1, 2, 3]),
    st.sampled_from([64, 512, 2048]),
)
def test_ecfp_deterministic_and_counts_dominate_bits(smiles: list[str], radius: int, n_bits: int) -> None:
    mols = _mols(smiles)
    bits = ecfp(mols, radius=radius, n_bits=n_bits)
    again = ecfp(_mols(list(smiles)), radius=radius, n_bits=n_bits)
    counts = ecfp(mols, radius=radius, n_bits=n_bits, counts=True)
    assert bits.shape == counts.shape == (len(smiles), n_bits)
    np.testing.assert_array_equal(bits, again)
    assert (counts.astype(np.int64) >= bits).all()
    np.testing.assert_array_equal(counts > 0, bits == 1)  # a bit is set exactly where its count is positive


def test_ecfp_from_smiles_reports_errors() -> None:
    X, errors = ecfp_from_smiles(["CCO", "C1CC"], n_bits=256)
    assert X.shape == (2, 256)
    assert errors[0] is None and errors[1] is not None
    assert X[1].sum() == 0


def test_descriptors_default_columns_float32_and_nan_safe() -> None:
    frame = descriptors([*_mols(["CCO", DRUGS[3]]), None])
    assert list(frame.columns) == list(DESCRIPTOR_NAMES) and len(DESCRIPTOR_NAMES) > 100
    values = frame.to_numpy()
    assert values.dtype == np.float32
    assert not np.isinf(values).any()
    assert np.isnan(values[2]).all()
    assert frame.loc[0, "MolWt"] == pytest.approx(46.069, abs=1e-3)
    picked = descriptors(_mols(["CCO"]), names=["TPSA", "MolLogP"])
    assert list(picked.columns) == ["TPSA", "MolLogP"]
    with pytest.raises(InputError, match="unknown RDKit descriptor"):
        descriptors(_mols(["CCO"]), names=["NoSuchDescriptor"])


def test_mol_featurizer_card_round_trip() -> None:
    featurizer = MolFeaturizer("ecfp+descriptors", radius=1, n_bits=128, descriptor_names=["MolWt", "TPSA"])
    assert featurizer.name == "ecfp2-128+rdkit2d-2"
    X, errors = featurizer.transform(["CCO", "not a smiles", "c1ccccc1"])
    assert X.shape == (3, featurizer.n_features) == (3, 130) and X.dtype == np.float32
    assert len(featurizer.feature_names) == 130
    assert errors[1] is not None and np.isnan(X[1]).all()
    assert not np.isnan(X[[0, 2]]).any()
    rebuilt = MolFeaturizer.from_card(featurizer.card())
    X2, _ = rebuilt.transform(["CCO", "not a smiles", "c1ccccc1"])
    np.testing.assert_array_equal(np.nan_to_num(X, nan=-1), np.nan_to_num(X2, nan=-1))
    with pytest.raises(ModelError):
        MolFeaturizer.from_card({**featurizer.card(), "version": "0"})
    with pytest.raises(ModelError):
        MolFeaturizer.from_card({**featurizer.card(), "n_features": 7})
    with pytest.raises(InputError):
        MolFeaturizer("fingerprint-of-the-future")


# --------------------------------------------------------------------------- graphs


def test_mol_to_graph_shapes_and_symmetry() -> None:
    mol = parse_one("c1ccccc1C(=O)[O-]", standardize=False)
    graph = mol_to_graph(mol)
    n_atoms, n_bonds = mol.GetNumAtoms(), mol.GetNumBonds()
    assert graph["x"].shape == (n_atoms, ATOM_FEATURE_DIM) and graph["x"].dtype == np.float32
    assert graph["edge_index"].shape == (2, 2 * n_bonds) and graph["edge_index"].dtype == np.int64
    assert graph["edge_attr"].shape == (2 * n_bonds, BOND_FEATURE_DIM)
    pairs = {tuple(e) for e in graph["edge_index"].T.tolist()}
    assert all((j, i) in pairs for i, j in pairs)
    element_block = graph["x"][:, : len(ATOM_ELEMENTS) + 1]
    np.testing.assert_array_equal(element_block.sum(axis=1), np.ones(n_atoms))
    assert element_block[0, ATOM_ELEMENTS.index("C")] == 1


def test_mol_to_graph_unusual_atoms_and_single_atom() -> None:
    graph = mol_to_graph(parse_one("[Fe]", standardize=False))
    assert graph["x"].shape == (1, ATOM_FEATURE_DIM)
    assert graph["x"][0, len(ATOM_ELEMENTS)] == 1  # the "other element" slot
    assert graph["edge_index"].shape == (2, 0) and graph["edge_attr"].shape == (0, BOND_FEATURE_DIM)
    graphs, errors = graphs_from_smiles(["CCO", "C1CC"])
    assert graphs[0] is not None and graphs[1] is None and errors[1] is not None


# --------------------------------------------------------------------------- tokens


def test_smiles_tokenize_known_tokens() -> None:
    tokens = smiles_tokenize("C[C@@H](Br)c1ccc(Cl)cc1%12N%(123)")
    assert tokens == [
        "C", "[C@@H]", "(", "Br", ")", "c", "1", "c", "c", "c", "(", "Cl", ")", "c", "c", "1", "%12", "N", "%(123)",
    ]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40) | st.text(alphabet=SMILES_CHARS, max_size=40))
def test_smiles_tokenize_is_lossless(text: str) -> None:
    tokens = smiles_tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


def test_smiles_vocab_round_trip_and_limits() -> None:
    vocab = build_smiles_vocab(DRUGS)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    for smiles in DRUGS:
        assert vocab.decode(vocab.encode(smiles)) == smiles
    batch = vocab.encode_batch(DRUGS[:3])
    assert batch.shape[0] == 3 and batch.dtype == np.int64 and (batch[:, 0] == vocab.bos_id).all()
    with pytest.raises(InputError, match="max_len"):
        vocab.encode(DRUGS[3], max_len=5)
    assert len(vocab.encode(DRUGS[3], max_len=5, truncate=True)) == 5
    assert type(vocab).from_dict(vocab.to_dict()) == vocab
    assert SMILES_VOCAB.decode(SMILES_VOCAB.encode("CC[Xe]O")) == "CC<unk>O"


# --------------------------------------------------------------------------- properties and scaffolds


def test_properties_of_aspirin() -> None:
    aspirin = parse_one(DRUGS[0])
    assert qed(aspirin) == pytest.approx(0.550, abs=0.01)
    assert 1.0 <= sa_score(aspirin) <= 2.5
    assert logp(aspirin) == pytest.approx(1.31, abs=0.01)
    assert tpsa(aspirin) == pytest.approx(63.6, abs=0.1)
    assert lipinski_violations(aspirin) == 0
    assert lipinski_violations(parse_one("C" * 40 + "O" * 12)) >= 2
    assert pains_alerts(aspirin) == []
    assert any("catechol" in alert for alert in pains_alerts(parse_one(DRUGS[5])))


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("CC(=O)Oc1ccccc1C(=O)O", []),  # aspirin
        ("C1CCCCCC1", []),  # cycloheptane: 7 is fine
        ("C1CCCCCCC1", ["medium ring (8-11 atoms)"]),
        ("C1CCCCCCCCCCC1", []),  # 12-membered macrocycle: allowed, several are drugs
        ("C1CC1", []),  # a lone cyclopropane is common in drugs
        ("c1ccc2c(c1)C=C2", ["fused 3- or 4-membered ring", "double bond in a 3- or 4-membered ring"]),
        ("C1=CC1", ["double bond in a 3- or 4-membered ring"]),
        ("C1CC2CCC12", ["fused 3- or 4-membered ring"]),
        ("CNCl", ["N- or O-halogen bond"]),
        ("COF", ["N- or O-halogen bond"]),
        ("Fc1ccccc1", []),
        ("CC(=O)Cl", []),  # an acid chloride is reactive, but not this alert's business
        ("COOC", ["peroxide"]),
        ("CON1CCNCC1", ["O-alkyl/aryl hydroxylamine"]),
        ("CON=Cc1ccccc1", []),  # oxime ether
        ("Cc1cc(C)on1", []),  # isoxazole
    ],
)
def test_design_alerts(smiles: str, expected: list[str]) -> None:
    assert design_alerts(parse_one(smiles, standardize=False)) == expected


def test_properties_frame_rows_and_errors() -> None:
    frame = properties_frame(["CC(=O)Oc1ccccc1C(=O)O", "C1CC", None], pains=True)
    assert list(frame.columns) == [
        "smiles",
        "qed",
        "sa",
        "logp",
        "mw",
        "tpsa",
        "hbd",
        "hba",
        "rotb",
        "pains",
        "error",
    ]
    assert len(frame) == 3
    assert frame.loc[0, "error"] is None and frame.loc[0, "mw"] == pytest.approx(180.159, abs=1e-3)
    assert frame.loc[1, "error"].startswith("cannot parse") and math.isnan(frame.loc[1, "qed"])
    assert frame.loc[2, "error"] == "empty SMILES" and frame.loc[2, "smiles"] is None


def test_sa_score_without_contrib_is_a_model_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from rdkit import RDConfig

    from drugloop.chem import properties

    properties._sascorer.cache_clear()
    monkeypatch.setattr(RDConfig, "RDContribDir", str(tmp_path))
    try:
        with pytest.raises(ModelError, match="SA_Score"):
            sa_score(parse_one("CCO"))
    finally:
        properties._sascorer.cache_clear()


def test_murcko_scaffolds() -> None:
    assert murcko_scaffold("O=C(Cc1ccccc1)Nc1ccncc1") == "O=C(Cc1ccccc1)Nc1ccncc1"
    assert murcko_scaffold("CCc1ccccc1") == "c1ccccc1"
    assert murcko_scaffold("CCCC") == ""
    generic = murcko_scaffold("O=C(Cc1ccccc1)Nc1ccncc1", generic=True)
    assert generic == murcko_scaffold("c1ccccc1CCCC1CCCCC1", generic=True) == "C1CCC(CCCC2CCCCC2)CC1"
    shuffled = "c1cnccc1NC(=O)Cc1ccccc1"
    assert murcko_scaffold(shuffled) == murcko_scaffold("O=C(Cc1ccccc1)Nc1ccncc1")
    with pytest.raises(InputError):
        murcko_scaffold("C1CC")
    assert murcko_scaffolds(["CCc1ccccc1", "C1CC", None]) == ["c1ccccc1", None, None]
