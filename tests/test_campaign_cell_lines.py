"""The campaign's cell-line step: GDSC drug -> target links, the skip for non-cancer targets, and its outputs.

The end-to-end run (model training, Parquet, report section) is checked on the shared campaign in
tests/test_campaign.py, so this file trains nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugloop.campaign.cell_lines import predict_cell_lines, tissue_summary
from drugloop.campaign.config import CampaignConfig
from drugloop.campaign.steps import StepBook
from drugloop.response.targets import (
    ALIASES,
    davis_gene,
    drugs_for_target,
    gdsc_drug_targets,
    gdsc_target_symbols,
    gene_symbols,
)

APPROVED = frozenset({"SRC", "KIT", "EGFR", "MTOR", "PDPK1", "FLT4", "ABL1", "ABL2", "PDGFRA", "PDGFRB"})


def test_gdsc_target_names_become_hgnc_symbols() -> None:
    assert gdsc_target_symbols("ABL, SRC, Ephrins, PDGFR, KIT", APPROVED) == [
        "ABL1",
        "ABL2",
        "SRC",
        "PDGFRA",
        "PDGFRB",
        "KIT",
    ]
    assert gdsc_target_symbols("BCR-ABL", APPROVED) == ["ABL1"]
    assert gdsc_target_symbols("ABL(T315I), ABL1", APPROVED) == ["ABL1", "ABL2"]
    assert gdsc_target_symbols("mTOR", APPROVED) == ["MTOR"]
    assert gdsc_target_symbols("PDK1 (PDPK1)", APPROVED) == ["PDPK1"]
    assert gdsc_target_symbols("VEGFR3/FLT4", APPROVED) == ["FLT4"]
    assert gdsc_target_symbols("MEK1, MEK2", APPROVED) == ["MAP2K1", "MAP2K2"]
    assert gdsc_target_symbols("DNA crosslinker, not defined", APPROVED) == []
    assert gdsc_target_symbols(None, APPROVED) == [] and gdsc_target_symbols(float("nan"), APPROVED) == []


def test_davis_names_become_genes() -> None:
    for name in ("ABL1", "ABL1p", "ABL1(T315I)", "ABL1(F317L)p"):
        assert davis_gene(name) == "ABL1", name
    assert davis_gene("JAK1(JH1domain-catalytic)") == "JAK1"
    assert gene_symbols("p38-alpha") == ("MAPK14",)
    assert gene_symbols("MEK1") == ("MAP2K1",)
    assert gene_symbols("abl1") == ("ABL1",)
    assert gene_symbols("VEGFR2") == ("KDR",)


@pytest.mark.data
def test_aliases_name_approved_symbols() -> None:
    from drugloop.data.loaders.networks import load_gene_symbols

    approved = set(load_gene_symbols()["symbol"])
    missing = sorted({g for genes in ALIASES.values() for g in genes} - approved)
    assert not missing, missing


@pytest.mark.data
def test_hand_checked_gdsc_drug_targets() -> None:
    abl1 = drugs_for_target("ABL1").set_index("drug_name")
    # the two ABL inhibitors in the TGSA GDSC screen, by both sources (imatinib, bosutinib and ponatinib are not in it)
    for drug in ("Dasatinib", "Nilotinib"):
        assert abl1.loc[drug, "sources"] == "davis_kd, gdsc_annotation", drug
    assert list(abl1.index[:2]) == ["Dasatinib", "Nilotinib"]
    # staurosporine binds ABL1 at 8 nM but 30x more weakly than its best kinase: not counted
    assert "Staurosporine" not in abl1.index and "Imatinib" not in abl1.index
    assert abl1["smiles"].str.len().gt(10).all()
    assert "DAVIS ABL1" in abl1.loc["Nilotinib", "evidence"]
    assert list(drugs_for_target("ABL1(T315I)p")["drug_name"]) == list(abl1.index)

    egfr = set(drugs_for_target("EGFR")["drug_name"])
    assert {"Gefitinib", "Erlotinib", "Afatinib", "Lapatinib"} <= egfr
    assert set(drugs_for_target("MEK1")["drug_name"]) >= {"Trametinib", "Selumetinib", "PD0325901"}
    assert drugs_for_target("AAK1").empty and drugs_for_target("NOT_A_GENE").empty

    links = gdsc_drug_targets()
    assert list(links.columns) == ["drug_name", "gene", "source", "evidence"]
    assert set(links["source"]) == {"gdsc_annotation", "davis_kd"}
    assert not links.duplicated(["drug_name", "gene", "source"]).any()


def _folder(tmp_path: Path, gene: str | None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    target = {
        "name": gene or "mine",
        "sequence": "MKT",
        "gene": gene,
        "source": "test",
        "davis_ids": [],
        "kiba_ids": [],
    }
    (tmp_path / "target.json").write_text(json.dumps(target))
    return tmp_path


@pytest.mark.data
def test_non_cancer_target_is_skipped_with_a_reason(tmp_path: Path) -> None:
    from drugloop.campaign.stages import step_cell_lines

    config = CampaignConfig.build(target="AAK1")
    book = StepBook(tmp_path, resume=False)
    for name, gene in (("aak1", "AAK1"), ("fasta", None)):
        out = _folder(tmp_path / name, gene)
        rec = book.run(f"cell_lines_{name}", lambda out=out: step_cell_lines(config, out))
        assert rec.status == "skipped", rec
        assert not (out / "cell_line_sensitivity.parquet").exists()
    assert "AAK1 is not a cancer drug target in the response data" in book.records["cell_lines_aak1"].reason
    assert "no gene symbol" in book.records["cell_lines_fasta"].reason


class _ConstantByDrug:
    """Stands in for a response model: ln IC50 = drug bit count / 10 + cell index / 1000."""

    card = {"n_bits": 64}

    def predict(self, cells, drugs, ci, di):  # noqa: ANN001, ANN201
        return drugs[di].sum(axis=1) / 10 + ci / 1000


@pytest.mark.data
def test_predictions_are_ranked_per_compound_and_summarised_by_tissue() -> None:
    from drugloop.response.data import load_gdsc_data

    data = load_gdsc_data(("expression",))
    compounds = pd.DataFrame(
        {
            "compound": ["design_1", "Dasatinib", "bad"],
            "kind": ["design", "reference", "design"],
            "design_rank": [1, pd.NA, 2],
            "smiles": ["CCOc1ccccc1", data.drugs.loc["Dasatinib", "smiles"], "not a smiles"],
            "held_out": [True, False, True],
        }
    )
    frame = predict_cell_lines(_ConstantByDrug(), data, compounds)
    assert list(frame.columns) == [
        "compound",
        "kind",
        "design_rank",
        "smiles",
        "depmap_id",
        "cell_line",
        "tissue",
        "cancer_type",
        "predicted_ln_ic50",
        "relative_ln_ic50",
        "rank",
        "measured_ln_ic50",
        "held_out",
        "nearest_gdsc_drug",
        "nearest_gdsc_similarity",
    ]
    assert list(frame["compound"].unique()) == ["design_1", "Dasatinib"]  # invalid SMILES dropped
    n = len(data.cells)
    assert (frame.groupby("compound")["rank"].apply(sorted) == [list(range(1, n + 1))] * 2).all()
    first = frame.groupby("compound").head(1)
    assert (first["depmap_id"] == data.cells.index[0]).all()  # lowest cell index = lowest prediction = rank 1
    assert frame.loc[frame["kind"] == "design", "measured_ln_ic50"].isna().all()
    das = frame[frame["compound"] == "Dasatinib"].set_index("depmap_id")
    measured = data.pairs[data.pairs["drug_name"] == "Dasatinib"].set_index("depmap_id")["ln_ic50"]
    assert np.allclose(das.loc[measured.index, "measured_ln_ic50"], measured)
    assert (das["nearest_gdsc_drug"] != "Dasatinib").all()  # a reference's nearest drug is another one
    assert (frame["tissue"] != "").all() and frame["cell_line"].notna().all()
    assert np.allclose(frame.groupby("compound")["relative_ln_ic50"].median(), 0.0)

    tissues = tissue_summary(frame)
    assert tissues.groupby("compound")["cell_lines"].sum().eq(n).all()
    ranked = tissues.dropna(subset=["tissue_rank"])
    assert (ranked["cell_lines"] >= 3).all() and "unknown" not in set(ranked["tissue"])
    assert (ranked.groupby("compound")["tissue_rank"].min() == 1).all()
