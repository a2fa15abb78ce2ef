"""Split properties: determinism, disjointness of cold splits, scaffold integrity, fold coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugloop.data.splits import SPLIT_KINDS, describe_split, kfold, scaffold_groups, split_pairs
from drugloop.errors import InputError

SMILES = [
    "c1ccccc1C",  # benzene
    "c1ccccc1CCO",  # benzene
    "Oc1ccccc1N",  # benzene
    "c1ccncc1C",  # pyridine
    "Nc1ccncc1",  # pyridine
    "C1CCCCC1O",  # cyclohexane
    "CCO",  # acyclic: ""
    "CCCN",  # acyclic: ""
    "c1ccc2ccccc2c1",  # naphthalene
    "Cc1ccc2ccccc2c1",  # naphthalene
    "O=C1CCCN1",  # pyrrolidinone
    "C1CC(",  # invalid
]


def pair_table(n_drugs: int, n_targets: int, density: float = 0.6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (f"D{d}", f"T{t}", SMILES[d % len(SMILES)], float(rng.normal()))
        for d in range(n_drugs)
        for t in range(n_targets)
        # every drug and every target occurs at least once (the "diagonal"), the rest at random
        if rng.random() < density or t == d % n_targets or d == t % n_drugs
    ]
    df = pd.DataFrame(rows, columns=["drug_id", "target_id", "smiles", "y"])
    df.index = pd.Index(rng.permutation(len(df)) + 1000)  # a non-trivial index to align to
    return df


@st.composite
def pair_tables(draw: st.DrawFn) -> pd.DataFrame:
    n_drugs = draw(st.integers(3, 15))
    n_targets = draw(st.integers(3, 15))
    density = draw(st.floats(0.3, 1.0))
    seed = draw(st.integers(0, 10_000))
    return pair_table(n_drugs, n_targets, density, seed)


def entities(df: pd.DataFrame, assignment: pd.Series, part: str, col: str) -> set[str]:
    return set(df.loc[assignment == part, col])


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("kind", SPLIT_KINDS)
def test_deterministic_and_aligned(kind: str) -> None:
    df = pair_table(40, 30)
    a = split_pairs(df, kind, seed=3)
    b = split_pairs(df, kind, seed=3)
    pd.testing.assert_series_equal(a, b)
    assert a.index.equals(df.index)
    assert set(a) <= {"train", "val", "test", "unused"}
    f1 = kfold(df, 4, kind, seed=3)
    pd.testing.assert_series_equal(f1, kfold(df, 4, kind, seed=3))
    assert f1.index.equals(df.index)


@pytest.mark.parametrize("kind", SPLIT_KINDS)
def test_different_seeds_differ(kind: str) -> None:
    df = pair_table(60, 40)
    if kind == "scaffold":  # needs many scaffolds to vary: give every drug a distinct ring system
        df["smiles"] = [f"C1CC{'C' * (int(d[1:]) % 30)}CC1{'O' * (int(d[1:]) // 30)}" for d in df["drug_id"]]
    splits = {tuple(split_pairs(df, kind, seed=s)) for s in range(4)}
    assert len(splits) > 1


def test_same_split_independent_of_row_order_for_cold_kinds() -> None:
    df = pair_table(30, 20)
    shuffled = df.sample(frac=1.0, random_state=1)
    for kind in ("cold_drug", "cold_target", "cold_both"):
        a = split_pairs(df, kind, seed=5)
        b = split_pairs(shuffled, kind, seed=5).loc[df.index]
        pd.testing.assert_series_equal(a, b)


# --------------------------------------------------------------------------- cold disjointness


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=pair_tables(), seed=st.integers(0, 1000))
def test_cold_drug_and_target_disjoint(df: pd.DataFrame, seed: int) -> None:
    for kind, col in (("cold_drug", "drug_id"), ("cold_target", "target_id")):
        a = split_pairs(df, kind, seed=seed)
        train, val, test = (entities(df, a, p, col) for p in ("train", "val", "test"))
        assert not train & val and not train & test and not val & test
        assert set(a) <= {"train", "val", "test"}  # no pair is discarded
        # entity fractions: with >= 3 entities every part gets at least one
        n = df[col].nunique()
        if n >= 3:
            assert train and val and test
        folds = kfold(df, 3, kind, seed=seed)
        assert (folds.groupby(df[col]).nunique() == 1).all()  # an entity lies in exactly one fold


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=pair_tables(), seed=st.integers(0, 1000))
def test_cold_both_disjoint_in_drugs_and_targets(df: pd.DataFrame, seed: int) -> None:
    a = split_pairs(df, "cold_both", seed=seed)
    for col in ("drug_id", "target_id"):
        train, val, test = (entities(df, a, p, col) for p in ("train", "val", "test"))
        assert not train & val and not train & test and not val & test
    folds = kfold(df, 3, "cold_both", seed=seed)
    used = folds >= 0
    for col in ("drug_id", "target_id"):
        assert (folds[used].groupby(df.loc[used, col]).nunique() == 1).all()


def test_cold_both_marks_mixed_pairs_unused() -> None:
    df = pair_table(30, 30, density=1.0)
    a = split_pairs(df, "cold_both", seed=0)
    part_of_drug = a[a != "unused"].groupby(df["drug_id"]).first()
    part_of_target = a[a != "unused"].groupby(df["target_id"]).first()
    unused = df[a == "unused"]
    d = unused["drug_id"].map(part_of_drug)
    t = unused["target_id"].map(part_of_target)
    known = d.notna() & t.notna()
    assert known.any()
    assert (d[known] != t[known]).all()


# --------------------------------------------------------------------------- scaffold


def test_scaffold_groups() -> None:
    g = scaffold_groups(pd.Series(SMILES))
    assert g.iloc[0] == g.iloc[1] == g.iloc[2] == "c1ccccc1"
    assert g.iloc[3] == g.iloc[4] == "c1ccncc1"
    assert g.iloc[6] == g.iloc[7] == ""
    assert g.iloc[11] == "invalid:C1CC("


def test_scaffold_split_keeps_scaffolds_whole() -> None:
    df = pair_table(len(SMILES) * 3, 25, seed=2)
    scaff = scaffold_groups(df["smiles"].reset_index(drop=True)).to_numpy()
    for seed in range(5):
        a = split_pairs(df, "scaffold", seed=seed).to_numpy()
        for s in set(scaff):
            assert len(set(a[scaff == s])) == 1
        folds = kfold(df, 3, "scaffold", seed=seed).to_numpy()
        for s in set(scaff):
            assert len(set(folds[scaff == s])) == 1


def test_scaffold_split_fractions_roughly_respected() -> None:
    # 200 molecules on 40 scaffolds (20 ring sizes, with or without a phenyl), 5 rows each
    smiles = [
        f"C1{'C' * (i % 20 + 2)}C1{'c2ccccc2' if i // 20 % 2 else ''}{'O' * (i // 40)}" for i in range(200)
    ]
    scaffolds = scaffold_groups(pd.Series(smiles))
    df = pd.DataFrame({"drug_id": np.repeat(smiles, 5), "target_id": "T", "smiles": np.repeat(smiles, 5)})
    assert scaffolds.nunique() == 40
    a = split_pairs(df, "scaffold", fractions=(0.8, 0.1, 0.1), seed=1)
    frac = a.value_counts(normalize=True)
    assert frac["train"] == pytest.approx(0.8, abs=0.1)
    assert frac.get("test", 0) > 0


# --------------------------------------------------------------------------- fractions, k-fold, validation


@pytest.mark.parametrize("kind", ["random", "cold_drug", "cold_target"])
def test_fractions_roughly_respected(kind: str) -> None:
    df = pair_table(100, 60, density=0.5)
    fractions = (0.7, 0.1, 0.2)
    a = split_pairs(df, kind, fractions=fractions, seed=0)
    col = {"random": None, "cold_drug": "drug_id", "cold_target": "target_id"}[kind]
    if col is None:
        counts = a.value_counts()
        assert counts["train"] == round(0.7 * len(df))
    else:
        ents = {p: len(entities(df, a, p, col)) for p in ("train", "val", "test")}
        total = df[col].nunique()
        for p, f in zip(("train", "val", "test"), fractions, strict=True):
            assert abs(ents[p] - f * total) <= 1
    desc = describe_split(df, a)
    assert desc["pairs"].sum() == len(df)
    assert desc["pair_fraction"].sum() == pytest.approx(1.0)
    if col is not None:
        label = "drugs" if col == "drug_id" else "targets"
        assert desc.loc["test", f"{label}_in_train"] == 0
        assert desc.loc["train", f"{label}_in_train"] == desc.loc["train", label]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=pair_tables(), k=st.integers(2, 3), seed=st.integers(0, 100))
def test_kfold_covers_every_row_once(df: pd.DataFrame, k: int, seed: int) -> None:
    for kind in ("random", "cold_drug", "cold_target"):
        folds = kfold(df, k, kind, seed=seed)
        assert len(folds) == len(df) and folds.index.equals(df.index)
        assert set(folds) == set(range(k))  # every row has exactly one fold id in 0..k-1
    folds = kfold(df, k, "random", seed=seed)
    sizes = folds.value_counts()
    assert sizes.max() - sizes.min() <= 1


def test_validation_errors() -> None:
    df = pair_table(10, 10)
    with pytest.raises(InputError, match="valid kinds: random, cold_drug"):
        split_pairs(df, "stratified")
    with pytest.raises(InputError, match="valid kinds"):
        kfold(df, 3, "nope")
    with pytest.raises(InputError, match="sum to 1"):
        split_pairs(df, fractions=(0.8, 0.1, 0.2))
    with pytest.raises(InputError, match="non-negative"):
        split_pairs(df, fractions=(1.1, -0.1, 0.0))
    with pytest.raises(InputError, match="three numbers"):
        split_pairs(df, fractions=(0.5, 0.5))
    with pytest.raises(InputError, match="drug column 'compound'"):
        split_pairs(df, "cold_drug", drug_col="compound")
    with pytest.raises(InputError, match="k must be"):
        kfold(df, 1)
    with pytest.raises(InputError, match="cannot make 50 folds"):
        kfold(df, 50, "cold_drug")
    with pytest.raises(InputError, match="seed"):
        split_pairs(df, seed=-1)
    bad = df.copy()
    bad.loc[bad.index[0], "drug_id"] = None
    with pytest.raises(InputError, match="missing values"):
        split_pairs(bad, "cold_drug")


def test_custom_column_names() -> None:
    df = pair_table(20, 10).rename(columns={"drug_id": "cid", "target_id": "uniprot", "smiles": "smi"})
    a = split_pairs(df, "cold_both", seed=1, drug_col="cid", target_col="uniprot")
    assert not entities(df, a, "train", "cid") & entities(df, a, "test", "cid")
    s = split_pairs(df, "scaffold", seed=1, smiles_col="smi")
    assert len(s) == len(df)
