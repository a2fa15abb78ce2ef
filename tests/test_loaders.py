"""Loaders against the real data: row counts and facts from the data README, one data folder per test group.

Runs with ``DRUGLOOP_MIRROR=/path/to/shared/data`` or a filled cache; a test skips only when neither holds its
files. Downloads are switched off for the whole module, so a missing file never means network traffic.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from drugloop.data import loaders as L
from drugloop.data.catalog import DATASETS
from drugloop.data.registry import FILES
from drugloop.data.resolver import cache_dir, mirror_dir, resolve
from drugloop.errors import InputError

pytestmark = pytest.mark.data


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DRUGLOOP_OFFLINE", "1")
        yield


def need(prefix: str) -> None:
    """Skip unless the cache or the mirror holds every registered file under ``prefix``."""
    paths = [p for p in FILES if p.startswith(prefix)]
    assert paths, f"no registered file under {prefix!r}"
    mirror = mirror_dir()
    for path in paths:
        if (cache_dir() / path).is_file() or (mirror is not None and (mirror / path).is_file()):
            continue
        where = "DRUGLOOP_MIRROR is not set" if mirror is None else f"the mirror {mirror} lacks it"
        pytest.skip(f"{path}: not in the cache {cache_dir()} and {where}")


def raw_json(path: str) -> dict:
    with open(resolve(path), encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------------------------------------------- davis / kiba


def test_davis_counts_folds_and_pkd() -> None:
    need("davis/")
    df = L.load_davis()
    assert list(df.columns) == ["drug_id", "target_id", "smiles", "sequence", "affinity", "fold"]
    assert len(df) == 30_056
    assert df["drug_id"].nunique() == 68 and df["target_id"].nunique() == 442
    assert df["fold"].dtype == np.int8
    sizes = df["fold"].value_counts().to_dict()
    assert sizes == {0: 5010, 1: 5009, 2: 5009, 3: 5009, 4: 5009, -1: 5010}
    # pKd = -log10(Kd / 1e9): the 10,000 nM ceiling (20,931 pairs) is exactly 5.0, 0.016 nM the maximum
    assert (df["affinity"] == 5.0).sum() == 20_931
    assert df["affinity"].min() == 5.0
    assert df["affinity"].max() == pytest.approx(-np.log10(0.016e-9))
    assert df.attrs["label"] == "pKd" and df.attrs["task"] == "regression"
    assert isinstance(df["drug_id"].iloc[0], str)


def test_davis_row_order_is_deepdta_index() -> None:
    need("davis/")
    df = L.load_davis()
    ligands, proteins = list(raw_json("davis/ligands_can.txt")), list(raw_json("davis/proteins.txt"))
    matrix = (
        resolve("davis/drug-target_interaction_affinities_Kd__Davis_et_al.2011v1.txt").read_text().split("\n")
    )
    test_fold = raw_json("davis/folds/test_fold_setting1.txt")
    for k in [0, 441, 442, 9331, 30_055, *test_fold[:3]]:
        row, col = divmod(k, 442)
        assert df["drug_id"].iloc[k] == ligands[row] and df["target_id"].iloc[k] == proteins[col]
        kd = float(matrix[row].split()[col])
        assert df["affinity"].iloc[k] == pytest.approx(-np.log10(kd / 1e9))
    assert (df["fold"].iloc[test_fold] == -1).all()
    train = raw_json("davis/folds/train_fold_setting1.txt")
    assert (df["fold"].iloc[train[2]] == 2).all()


def test_davis_isomeric_smiles() -> None:
    need("davis/")
    can, iso = L.load_davis(), L.load_davis(smiles="isomeric")
    assert (can["drug_id"] == iso["drug_id"]).all()
    assert (can["smiles"] != iso["smiles"]).any()
    assert iso["smiles"].iloc[0] == raw_json("davis/ligands_iso.txt")[iso["drug_id"].iloc[0]]


def test_kiba_counts_and_index_convention() -> None:
    need("kiba/")
    df = L.load_kiba()
    assert len(df) == 118_254
    assert df["drug_id"].nunique() == 2_111 and df["target_id"].nunique() == 229
    assert df["fold"].value_counts().to_dict() == {f: 19_709 for f in (-1, 0, 1, 2, 3, 4)}
    assert df["affinity"].min() >= 0 and df["affinity"].max() == pytest.approx(17.2, abs=0.05)
    ligands, proteins = list(raw_json("kiba/ligands_can.txt")), list(raw_json("kiba/proteins.txt"))
    assert df["drug_id"].iloc[36_275] == ligands[364]
    assert df["target_id"].iloc[36_275] == proteins[120]
    with gzip.open(resolve("kiba/kiba_binding_affinity_v2.txt.gz"), "rt") as fh:
        lines = fh.read().splitlines()
    assert df["affinity"].iloc[36_275] == float(lines[364].split()[120])
    assert df["drug_id"].iloc[0] == ligands[0]
    assert df.attrs["task"] == "regression"


# ---------------------------------------------------------------------------------------------------- human


def test_human_random_split() -> None:
    need("human_dti/random/")
    df = L.load_human_dti("random")
    assert list(df.columns) == ["drug_id", "target_id", "smiles", "sequence", "label", "split"]
    assert df["split"].value_counts().to_dict() == {"train": 4197, "val": 600, "test": 1200}
    assert list(df["split"].drop_duplicates()) == ["train", "val", "test"]
    assert df["label"].mean() == pytest.approx(0.439, abs=0.001)
    pairs = {s: set(zip(g["smiles"], g["sequence"], strict=True)) for s, g in df.groupby("split")}
    assert not pairs["train"] & pairs["test"]
    assert df.attrs["task"] == "binary"
    assert df["drug_id"].str.fullmatch(r"D[0-9a-f]{12}").all()
    assert df["target_id"].str.fullmatch(r"T[0-9a-f]{12}").all()


def test_human_cold_split_shares_nothing_with_train() -> None:
    need("human_dti/")
    df = L.load_human_dti(" Cold ")
    assert df["split"].value_counts().to_dict() == {"train": 3453, "val": 155, "test": 311}
    assert df["label"].mean() == pytest.approx(0.509, abs=0.001)
    train, test, val = (df[df["split"] == s] for s in ("train", "test", "val"))
    for other in (test, val):
        assert not set(train["drug_id"]) & set(other["drug_id"])
        assert not set(train["target_id"]) & set(other["target_id"])
    # ids are content hashes, hence stable across splits
    rand = L.load_human_dti("random")
    ids = dict(zip(rand["smiles"], rand["drug_id"], strict=True))
    shared = df[df["smiles"].isin(ids)]
    assert len(shared) > 0 and (shared["drug_id"] == shared["smiles"].map(ids)).all()
    common = set(zip(df["smiles"], df["sequence"], strict=True)) & set(
        zip(rand["smiles"], rand["sequence"], strict=True)
    )
    assert len(common) == 3_501


# ---------------------------------------------------------------------------------------------------- binding sites


@pytest.mark.parametrize(
    ("subset", "rows", "proteins"),
    [("test", 224, 82), ("validation", 430, 115), ("hots_validation", 232, 207)],
)
def test_hots(subset: str, rows: int, proteins: int) -> None:
    need("binding_regions/hots/")
    df = L.load_hots(subset)
    assert len(df) == rows and df["protein_id"].nunique() == proteins
    assert list(df.columns[:5]) == ["protein_id", "smiles", "sequence", "binding_index", "binding_region"]
    assert not any(str(c).startswith("unnamed") for c in df.columns)
    for idx, windows, seq in zip(df["binding_index"], df["binding_region"], df["sequence"], strict=True):
        assert all(isinstance(i, int) for i in idx)
        assert all(isinstance(w, tuple) and len(w) == 2 for w in windows)
        assert all(0 <= i < len(seq) for i in idx)
        assert all(any(a <= i <= b for a, b in windows) for i in idx)
        assert all(b <= len(seq) for _, b in windows)


def test_bindpredict_development() -> None:
    need("binding_sites/bindpredict/development_set/")
    df = L.load_bindpredict()
    assert len(df) == 1_314
    assert df["split"].value_counts().to_dict() == {
        "test": 300,
        "fold1": 203,
        "fold2": 203,
        "fold3": 203,
        "fold4": 203,
        "fold5": 202,
    }
    assert [(df[c].str.len() > 0).sum() for c in ("metal", "nuclear", "small")] == [579, 174, 826]
    assert (df[["metal", "nuclear", "small"]].map(len).sum(axis=1) > 0).all()
    for _, row in df.iterrows():
        for c in ("metal", "nuclear", "small"):
            assert row[c] == sorted(set(row[c])) and all(0 <= p < len(row["sequence"]) for p in row[c])
    # 1-based file positions become 0-based: check the first metal line of a development protein
    by_id = df.set_index("protein_id")
    for line in resolve("binding_sites/bindpredict/development_set/binding_residues_2.5_metal.txt").open():
        protein, positions = line.rstrip("\n").split("\t")
        if protein in by_id.index:
            assert by_id.at[protein, "metal"] == sorted(int(p) - 1 for p in positions.split(","))
            break
    else:
        pytest.fail("no development protein in the metal label file")


def test_bindpredict_independent() -> None:
    need("binding_sites/bindpredict/independent_set/")
    df = L.load_bindpredict("independent")
    assert len(df) == 46 and set(df["split"]) == {"independent"}
    assert [(df[c].str.len() > 0).sum() for c in ("metal", "nuclear", "small")] == [15, 10, 25]


def test_kinase_active_sites() -> None:
    need("binding_sites/kinase_activesite_alignment.smi")
    df = L.load_kinase_active_sites()
    assert len(df) == 497 and df["protein_id"].nunique() == 484
    assert (df["active_site"].str.len() == 35).all()
    for seq, site, pos in zip(
        df["aligned_sequence"], df["active_site"], df["active_site_positions"], strict=True
    ):
        assert "".join(seq[p] for p in pos) == site.replace("-", "")
        assert len(pos) == 35 - site.count("-")


def test_kinase_active_sites_cover_kiba() -> None:
    need("binding_sites/kinase_activesite_alignment.smi")
    need("kiba/proteins.txt")
    kiba_ids = set(raw_json("kiba/proteins.txt"))
    assert len(kiba_ids & set(L.load_kinase_active_sites()["protein_id"])) == 213


# ---------------------------------------------------------------------------------------------------- gdsc (TGSA)


def test_gdsc_response() -> None:
    need("gdsc/")
    df = L.load_gdsc()
    assert list(df.columns) == ["drug_name", "depmap_id", "ln_ic50", "smiles"]
    assert len(df) == 82_833 and df["drug_name"].nunique() == 170 and df["depmap_id"].nunique() == 580
    assert not df.duplicated(["drug_name", "depmap_id"]).any()
    assert df["smiles"].notna().all()
    assert df["ln_ic50"].min() == pytest.approx(-8.45, abs=0.01) and df["ln_ic50"].max() == pytest.approx(
        10.04, abs=0.01
    )


def test_gdsc_omics_genes_and_ppi() -> None:
    need("gdsc/")
    genes = L.load_gdsc_genes()
    assert len(genes) == 706 and list(genes.columns) == ["gene_idx", "entrez_id", "symbol"]
    mats = {k: L.load_gdsc_omics(k) for k in ("expression", "copy_number", "mutation")}
    for m in mats.values():
        assert m.shape == (580, 706) and m.index.name == "depmap_id"
        assert list(m.columns) == genes["entrez_id"].tolist()
    assert (mats["expression"].index == mats["mutation"].index).all()
    assert np.allclose(mats["expression"].mean(), 0, atol=1e-3) and np.allclose(
        mats["expression"].std(), 1, atol=0.01
    )
    assert mats["copy_number"].to_numpy().mean() == pytest.approx(1.0, abs=0.01)
    assert mats["mutation"].to_numpy().mean() == pytest.approx(0.067, abs=0.001)
    assert set(L.load_gdsc()["depmap_id"]) == set(mats["expression"].index)
    for threshold, rows in [(0.85, 7_670), (0.9, 6_884), (0.95, 3_150)]:
        ppi = L.load_gdsc_ppi(threshold)
        assert len(ppi) == rows
        assert (ppi["gene_idx_1"] != ppi["gene_idx_2"]).all()
        edges = set(zip(ppi["gene_idx_1"], ppi["gene_idx_2"], strict=True))
        assert edges == {(b, a) for a, b in edges}
        assert (genes["entrez_id"].to_numpy()[ppi["gene_idx_1"]] == ppi["entrez_id_1"]).all()
    symbols = L.load_gene_symbols()
    assert len(symbols) == 46_125 and symbols["entrez_id"].isna().sum() == 4_575


# ---------------------------------------------------------------------------------------------------- gdsc (DeepCDR)


def test_gdsc_deepcdr() -> None:
    need("gdsc_deepcdr/")
    df = L.load_gdsc_deepcdr()
    assert list(df.columns) == ["drug_id", "drug_name", "pubchem_cid", "smiles", "depmap_id", "ln_ic50"]
    assert len(df) == 208_734 and df["drug_id"].nunique() == 266 and df["depmap_id"].nunique() <= 969
    assert df["ln_ic50"].notna().all()
    first = df.iloc[0]
    assert (
        first["drug_id"] == 1
        and first["drug_name"] == "Erlotinib"
        and first["ln_ic50"] == pytest.approx(0.693305)
    )
    missing = df[df["pubchem_cid"].isna()]
    assert len(missing) > 0 and missing["smiles"].map(lambda s: s is None).all()
    assert df["smiles"].notna().any()
    drugs = L.load_deepcdr_drugs()
    assert len(drugs) == 266 and drugs["pubchem_cid"].isna().sum() == 28
    assert drugs["smiles"].notna().sum() == 238
    cells = L.load_deepcdr_cell_lines()
    assert cells.shape == (1_461, 33) and {"depmap_id", "tcga_code"} <= set(cells.columns)
    assert len(L.load_deepcdr_thresholds()) == 265


# ---------------------------------------------------------------------------------------------------- organoids


def test_organoid_tables() -> None:
    need("organoid_crc/")
    response = L.load_organoid_response()
    assert list(response.columns) == ["organoid", "drug_name", "median_ic50"]
    assert (
        len(response) == 1_577
        and response["organoid"].nunique() == 19
        and response["drug_name"].nunique() == 83
    )
    replicates = L.load_organoid_replicates()
    assert len(replicates) == 5_016
    assert list(replicates.columns) == ["organoid", "drug_id", "drug_name", "max_conc", "ic50", "beta", "auc"]
    expression = L.load_organoid_expression()
    assert expression.shape == (12_037, 22) and expression.index.name == "gene"
    assert {"P5", "P19A", "P19B", "P24A", "P31"} <= set(expression.columns)
    assert all(dtype == np.float64 for dtype in expression.dtypes)
    targets = L.load_organoid_drug_targets()
    assert len(targets) == 43 and targets.set_index("drug").at["AKT INHIBITOR VIII", "targets"] == [
        "AKT1",
        "AKT2",
        "AKT3",
    ]
    proximity = L.load_organoid_pathway_proximity()
    assert proximity.shape == (674, 45) and proximity.columns[0] == "pathway"
    tcga = L.load_tcga_coad_drugs()
    assert len(tcga) == 593 and tcga["bcr_patient_barcode"].nunique() == 154
    best = tcga["treatment_best_response"].value_counts()
    assert best["Complete Response"] == 126 and best["Clinical Progressive Disease"] == 80
    assert best["Partial Response"] == 33 and best["Stable Disease"] == 15


# ---------------------------------------------------------------------------------------------------- networks


def test_string_network() -> None:
    need("string_v12/")
    df = L.load_string()
    assert len(df) == 174_962 and df.shape[1] == 14
    assert df.columns[:3].tolist() == ["id_1", "id_2", "combined_score"]
    assert df["combined_score"].between(400, 999).all()
    assert len(pd.unique(df[["id_1", "id_2"]].to_numpy().ravel())) == 17_288
    assert (df["id_1"] != df["id_2"]).all()
    edges = set(zip(df["id_1"], df["id_2"], strict=True))
    assert not any((b, a) in edges for a, b in edges)
    high = L.load_string(min_score=700)
    assert len(high) == 131_520 and high.index[-1] == len(high) - 1
    with pytest.raises(InputError):
        L.load_string(min_score=-1)


def test_pathways() -> None:
    need("pathways/")
    df = L.load_pathways()
    assert len(df) == 6_229 and list(df.columns) == ["gene_set", "url", "genes", "n_genes"]
    assert df["n_genes"].min() == 5 and df["n_genes"].max() == 1_932
    assert (df["genes"].map(len) == df["n_genes"]).all()
    assert df["url"].str.startswith("http").all()
    counts = {p: len(L.load_pathways(p)) for p in ("REACTOME_", "WP_", "BIOCARTA_", "PID_", "KEGG_")}
    assert counts == {"REACTOME_": 1554, "WP_": 587, "BIOCARTA_": 292, "PID_": 196, "KEGG_": 186}
    with pytest.raises(InputError, match="REACTOME_"):
        L.load_pathways("reactome_")


# ---------------------------------------------------------------------------------------------------- drug approval


@pytest.mark.parametrize(
    ("table", "rows"),
    [
        ("ml_dataset", 2_474),
        ("drug_info", 2_643),
        ("stitch_targets", 56_119),
        ("gene_info", 16_950),
        ("gene_essentiality", 19_792),
        ("centrality", 18_384),
        ("chemical_properties", 2_642),
        ("example_chemical", 1),
        ("example_target", 1),
    ],
)
def test_drug_approval_tables(table: str, rows: int) -> None:
    need("drug_approval/")
    assert len(L.load_drug_approval(table)) == rows


def test_drug_approval_main_table() -> None:
    need("drug_approval/")
    df = L.load_drug_approval()
    assert df["stitch_id"].str.fullmatch(r"CIDs\d{8}").all()
    assert df["approved"].value_counts().to_dict() == {1: 1404, 0: 1070}
    assert ((df["phase"] == 4) == (df["approved"] == 1)).all()  # the documented label leak
    assert set(df.attrs["features"]) <= set(df.columns) and "phase" not in df.attrs["features"]
    assert len(df.attrs["features"]) == 17
    info = L.load_drug_approval("drug_info")
    assert info["approved"].value_counts().to_dict() == {1: 1506, 0: 1137}
    assert isinstance(L.load_drug_approval("example_target")["targets"].iloc[0], list)


# ---------------------------------------------------------------------------------------------------- molecules


@pytest.mark.parametrize(
    ("name", "rows", "tasks"),
    [
        ("bace", 1_513, ["Class"]),
        ("bbbp", 2_039, ["p_np"]),
        ("clintox", 1_478, ["FDA_APPROVED", "CT_TOX"]),
        ("delaney", 1_128, ["log_solubility"]),
        ("freesolv", 642, ["freesolv"]),
        ("lipo", 4_200, ["lipo"]),
        ("hiv", 41_127, ["HIV_active"]),
        ("tox21", 7_831, None),
        ("sider", 1_427, None),
        ("toxcast", 8_576, None),
    ],
)
def test_moleculenet(name: str, rows: int, tasks: list[str] | None) -> None:
    need(f"moleculenet/{name}")
    df = L.load_moleculenet(name)
    assert len(df) == rows and df.columns[0] == "smiles"
    assert df.attrs["tasks"] == list(df.columns[1:])
    expected_width = {"tox21": 12, "sider": 27, "toxcast": 617}
    if tasks is not None:
        assert df.attrs["tasks"] == tasks
    else:
        assert len(df.attrs["tasks"]) == expected_width[name]
    assert df["smiles"].notna().all() and (df["smiles"].str.len() > 0).all()


def test_moleculenet_missing_labels_stay_nan() -> None:
    need("moleculenet/tox21")
    df = L.load_moleculenet("tox21")
    assert df[df.attrs["tasks"]].isna().any().all()
    values = df[df.attrs["tasks"]].to_numpy().ravel()
    assert set(np.unique(values[~np.isnan(values)])) == {0.0, 1.0}


def test_smiles_collections() -> None:
    need("zinc250k/")
    zinc = L.load_zinc250k()
    assert list(zinc.columns) == ["smiles"] and len(zinc) == 249_455 and zinc["smiles"].is_unique
    assert len(L.load_chembl10k()) == 10_000


def test_moses() -> None:
    need("moses/")
    assert len(L.load_moses("test")) == 176_074
    assert len(L.load_moses("test_scaffolds")) == 176_225
    train = L.load_moses()
    assert list(train.columns) == ["smiles"] and len(train) == 1_584_663


# ---------------------------------------------------------------------------------------------------- contract


def test_catalog_loaders_exist() -> None:
    for dataset in DATASETS.values():
        assert callable(getattr(L, dataset.loader)), dataset.loader


@pytest.mark.parametrize(
    ("call", "valid"),
    [
        (lambda: L.load_davis(smiles="kekule"), "canonical, isomeric"),
        (lambda: L.load_kiba(smiles="x"), "canonical, isomeric"),
        (lambda: L.load_human_dti("scaffold"), "random, cold"),
        (lambda: L.load_hots("train"), "test, validation, hots_validation"),
        (lambda: L.load_bindpredict("test"), "development, independent"),
        (lambda: L.load_gdsc_omics("methylation"), "expression, copy_number, mutation"),
        (lambda: L.load_gdsc_ppi(0.7), "0.85, 0.9, 0.95"),
        (lambda: L.load_drug_approval("labels"), "ml_dataset, drug_info"),
        (lambda: L.load_moleculenet("qm9"), "bace, bbbp"),
        (lambda: L.load_moses("valid"), "train, test, test_scaffolds"),
    ],
)
def test_bad_arguments_list_valid_values(call, valid: str) -> None:
    with pytest.raises(InputError, match=valid):
        call()


def test_frames_are_fresh_copies() -> None:
    need("binding_sites/bindpredict/development_set/")
    need("davis/")
    first = L.load_bindpredict()
    target = next(i for i, v in enumerate(first["metal"]) if v)
    first["metal"].iloc[target].append(10**6)
    first.loc[0, "protein_id"] = "changed"
    again = L.load_bindpredict()
    assert 10**6 not in again["metal"].iloc[target] and again.loc[0, "protein_id"] != "changed"
    davis = L.load_davis()
    davis["affinity"] = 0.0
    davis.attrs["label"] = "changed"
    fresh = L.load_davis()
    assert fresh["affinity"].min() == 5.0 and fresh.attrs["label"] == "pKd"
