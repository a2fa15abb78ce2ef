"""Approval features: aggregation over targets, gene name resolution, target-cell parsing, and (on real data)
hand-checked genes and drugs plus agreement with the shipped ML_dataset.tsv."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugloop.approval.engine import parse_targets
from drugloop.approval.features import GeneLookup, aggregate_targets, rdkit_chemical


@pytest.fixture
def genes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["AAA1", "BBB2", "CCC3"],
            "gene_id": ["ENSG01", "ENSG02", "ENSG03"],
            "CGE": [-1.0, 0.5, 2.0],
            "OGE": [0.2, 1.0, 1.5],
            "Network": [0.1, 0.4, 0.9],
            "Expression": [0.3, 0.6, np.nan],
            "degree": [0.01, 0.02, 0.03],
            "betweenness": [0.0, 0.001, 0.01],
        },
        index=pd.Index(["ENSG01", "ENSG02", "ENSG03"], name="hg38_ensgid"),
    )


def test_aggregate_targets_mean_max_min(genes: pd.DataFrame) -> None:
    f = aggregate_targets(genes, ["ENSG01", "ENSG03", "ENSG01", "ENSG99"])  # repeat and unknown ignored
    assert f["CGE"] == pytest.approx(0.5) and f["OGE"] == pytest.approx(0.85)
    assert f["CGE_max"] == 2.0 and f["CGE_min"] == -1.0 and f["OGE_min"] == 0.2
    assert f["Network_max"] == 0.9
    assert f["Expression"] == pytest.approx(0.3)  # NaN skipped (gene without expression)


def test_aggregate_targets_without_known_targets_is_nan(genes: pd.DataFrame) -> None:
    assert all(math.isnan(v) for v in aggregate_targets(genes, ["ENSG99"]).values())


def test_gene_lookup_symbols_ids_case_and_unknowns(genes: pd.DataFrame) -> None:
    found, unknown = GeneLookup(genes).resolve(["bbb2", "ENSG03", "BBB2", "NOPE", " ", "NOPE"])
    assert found == ["ENSG02", "ENSG03"]
    assert unknown == ["NOPE"]


_token = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-.", min_size=1, max_size=8)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tokens=st.lists(_token, max_size=8),
    seps=st.lists(st.sampled_from(["|", ";", ",", " ", " | ", "\t"]), min_size=8, max_size=8),
)
def test_parse_targets_roundtrips_any_separator(tokens: list[str], seps: list[str]) -> None:
    text = "".join(t + s for t, s in zip(tokens, seps, strict=False))
    assert parse_targets(text) == tokens


def test_parse_targets_blank_cells() -> None:
    assert parse_targets(None) == [] and parse_targets(float("nan")) == [] and parse_targets("  ") == []


def test_rdkit_chemical_aspirin_and_bad_smiles() -> None:
    df, errors = rdkit_chemical(["CC(=O)Oc1ccccc1C(=O)O", "C1CC(", None])
    aspirin = df.iloc[0]
    assert aspirin["rd_MolecularWeight"] == pytest.approx(180.16, abs=0.01)
    assert aspirin["rd_HydrogenBondDonorCount"] == 1 and aspirin["rd_NumRings"] == 1
    assert aspirin["rd_PolarSurfaceArea"] == pytest.approx(63.6, abs=0.01)
    assert aspirin["rd_Ro5"] == 1 and aspirin["rd_Veber"] == 1
    assert errors[0] is None and errors[1] and errors[2]
    assert df.iloc[1:].isna().all().all()


# --------------------------------------------------------------------------- real data


@pytest.mark.data
def test_gene_table_hand_checked_egfr() -> None:
    from drugloop.approval.features import gene_table

    g = gene_table("paper").loc["ENSG00000146648"]  # EGFR: gene_essentiality / Gene_info rows, read by hand
    assert g["symbol"] == "EGFR"
    assert g["CGE"] == pytest.approx(-1.3394675302162433)
    assert g["OGE"] == pytest.approx(1.647)
    assert g["Network"] == pytest.approx(0.9770038060772448)  # recomputed from centrality ranks
    assert g["Expression"] == pytest.approx(0.48425463482859177)
    assert len(gene_table("paper")) == 16950


@pytest.mark.data
def test_drug_features_hand_checked_and_match_ml_dataset() -> None:
    from drugloop.approval.features import build_dataset, compare_with_ml_dataset, gene_table
    from drugloop.data.loaders import load_drug_approval

    df = build_dataset()
    links = load_drug_approval("stitch_targets")
    genes = gene_table("paper")
    # 2-deoxy-D-galactopyranose: mean over its STITCH targets that have gene features
    targets = links.loc[links["stitch_id"] == "CIDs00000040", "ensgid"]
    known = genes.loc[genes.index.isin(targets)]
    row = df.set_index("stitch_id").loc["CIDs00000040"]
    assert row["CGE"] == pytest.approx(known["CGE"].mean()) == pytest.approx(-1.6319949177103958)
    assert row["OGE"] == pytest.approx(1.3935)
    assert row["OGE_max"] == pytest.approx(known["OGE"].max())
    assert row["approved"] == 0 and "phase" not in df.attrs["features"]
    report = compare_with_ml_dataset(df)
    assert report["drugs_in_both"] == report["drugs_shipped"] == report["drugs_rebuilt"] == 2474
    assert report["label_agreement"] == 1.0
    assert all(f["fraction_equal"] == 1.0 for f in report["features"].values())
    assert int(df["approved"].sum()) == 1404
