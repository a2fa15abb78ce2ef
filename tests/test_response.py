"""Response engine: models (fit/save/load), user-expression prediction and its bad inputs, organoid leave-one-out,
biomarkers on a small graph, CLI. Real-data tests are marked ``data``."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drugloop.bio.network import Network
from drugloop.errors import InputError, ModelError
from drugloop.response.biomarkers import drug_biomarkers, write_biomarkers
from drugloop.response.model import DeepResponseModel, LGBMResponseModel, drug_fingerprints, load_model
from drugloop.response.organoid import leave_one_out, loo_splits, published_targets
from drugloop.response.predict import predict_response
from drugloop.response.train import ResponseConfig

GENES = [(7157 + i, f"G{i}") for i in range(10)]
DRUGS = {"DrugA": "CCO", "DrugB": "c1ccccc1O", "DrugC": "CC(=O)Nc1ccc(O)cc1"}
N_BITS = 64


def synthetic(seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple, tuple]:
    """40 cells x (10 expression + 10 mutation) and 3 drugs; ln IC50 = drug effect + gene 0 of expression."""
    rng = np.random.default_rng(seed)
    cells = np.hstack([rng.normal(size=(40, 10)), (rng.random((40, 10)) < 0.2)]).astype(np.float32)
    fps, _ = drug_fingerprints(list(DRUGS.values()), N_BITS)
    ci, di = np.meshgrid(np.arange(40), np.arange(3), indexing="ij")
    ci, di = ci.ravel(), di.ravel()
    y = np.array([0.0, 2.0, -1.0])[di] + 1.5 * cells[ci, 0] + rng.normal(0, 0.1, len(ci))
    tr, va = np.arange(len(ci)) % 5 != 0, np.arange(len(ci)) % 5 == 0
    return cells, fps, (ci[tr], di[tr], y[tr]), (ci[va], di[va], y[va])


def make_model(kind: str = "deep", seed: int = 0, ensemble: int = 1) -> tuple:  # one net keeps tests fast
    cells, fps, train, valid = synthetic(seed)
    if kind == "deep":
        model = DeepResponseModel(
            seed=seed,
            ensemble=ensemble,
            cell_hidden=16,
            drug_hidden=16,
            embed=8,
            head_hidden=16,
            max_epochs=40,
            batch_size=32,
            lr=5e-3,
            device="cpu",
            patience=40,
        )
    else:
        model = LGBMResponseModel(seed=seed, n_estimators=50, num_leaves=7, min_child_samples=3, max_bin=15)
    names = [f"expression:{e}" for e, _ in GENES] + [f"mutation:{e}" for e, _ in GENES]
    model.set_inputs(
        feature_names=names,
        genes=GENES,
        omics=["expression", "mutation"],
        train_cells=cells[np.unique(train[0])],
        drugs=DRUGS,
        n_bits=N_BITS,
    )
    model.fit(cells, fps, train, valid)
    return model, cells, fps, valid


@pytest.fixture(scope="module")
def deep_trained() -> tuple:
    return make_model("deep")


@pytest.fixture(scope="module")
def deep_dir(deep_trained: tuple, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deep_trained[0].save(tmp_path_factory.mktemp("resp") / "model")


@pytest.mark.parametrize("kind", ["deep", "lgbm"])
def test_model_learns_and_round_trips(kind: str, tmp_path: Path, deep_trained: tuple) -> None:
    model, cells, fps, valid = deep_trained if kind == "deep" else make_model(kind)
    pred = model.predict(cells, fps, valid[0], valid[1])
    assert np.corrcoef(pred, valid[2])[0, 1] > 0.8  # drug effect + one gene: an easy signal
    again = load_model(model.save(tmp_path / kind))
    assert np.allclose(again.predict(cells, fps, valid[0], valid[1]), pred, atol=1e-5)
    card = json.loads((tmp_path / kind / "card.json").read_text())
    assert card["model_type"] == kind and card["genes"][0] == [7157, "G0"]


def test_deep_ensemble_averages_members_and_round_trips(tmp_path: Path, deep_trained: tuple) -> None:
    single, cells, fps, valid = deep_trained
    model = make_model("deep", ensemble=3)[0]
    members = model._member_predictions(model.scale_cells(cells), fps.astype(np.float32), valid[0], valid[1])
    assert members.shape == (3, len(valid[0]))
    # member 0 is the single model (same seed), the others differ; the prediction is their mean
    assert np.allclose(members[0], single.predict(cells, fps, valid[0], valid[1]), atol=1e-5)
    assert not np.allclose(members[0], members[1])
    pred = model.predict(cells, fps, valid[0], valid[1])
    assert np.allclose(pred, members.mean(axis=0))
    spread = model.predict_spread(cells, fps, valid[0], valid[1])
    assert np.allclose(spread, members.std(axis=0)) and (spread > 0).all()
    assert len(model.card["members"]) == 3
    again = load_model(model.save(tmp_path / "ens"))
    assert np.allclose(again.predict(cells, fps, valid[0], valid[1]), pred, atol=1e-5)
    table = predict_response(tmp_path / "ens", user_expression(), ["DrugA", "DrugB"])
    assert (table["uncertainty"] > 0).all()
    # a single net saved before ensembles existed (no "ensemble" in its card) still loads as one net
    folder = single.save(tmp_path / "legacy")
    card = json.loads((folder / "card.json").read_text())
    card["params"].pop("ensemble", None)
    (folder / "card.json").write_text(json.dumps(card))
    legacy = load_model(folder)
    assert len(legacy.nets) == 1
    assert np.allclose(
        legacy.predict(cells, fps, valid[0], valid[1]), single.predict(cells, fps, valid[0], valid[1])
    )
    with pytest.raises(InputError, match="ensemble must be"):
        make_model("deep", ensemble=0)


def test_model_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown deep parameter"):
        DeepResponseModel(hidden=3)
    with pytest.raises(ModelError, match="not a saved response model"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="set_inputs"):
        DeepResponseModel().fit(
            np.zeros((2, 2), np.float32),
            np.zeros((2, 2), np.float32),
            (np.array([0]), np.array([0]), np.array([1.0])),
        )


def test_config_validation() -> None:
    assert ResponseConfig(split="cold_cell").split == "cold_cell"
    with pytest.raises(InputError, match="split"):
        ResponseConfig.from_dict({"split": "cold_target"})
    with pytest.raises(InputError, match="expression"):
        ResponseConfig.from_dict({"omics": ["mutation"]})
    with pytest.raises(InputError, match="fractions"):
        ResponseConfig.from_dict({"fractions": [0.5, 0.5, 0.0]})


def user_expression(n: int = 6, genes: list[str] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    genes = genes or [s for _, s in GENES]
    return pd.DataFrame(rng.normal(size=(n, len(genes))), index=[f"S{i}" for i in range(n)], columns=genes)


def test_predict_ranks_every_sample_and_drug(deep_dir: Path) -> None:
    expr = user_expression()
    out = predict_response(deep_dir, expr, ["druga", "DrugB"])
    assert len(out) == 12 and out["error"].isna().all()
    assert set(out["drug"]) == {"DrugA", "DrugB"}  # names resolved case-insensitively
    assert sorted(out.loc[out["sample"] == "S0", "rank_in_sample"].tolist()) == [1, 2]
    per_drug = out[out["drug"] == "DrugA"].sort_values("ln_ic50")
    assert per_drug["rank_in_drug"].tolist() == list(range(1, 7))
    assert out.attrs["coverage"]["fraction"] == 1.0
    assert out.attrs["filled_omics"] == ["mutation"]
    assert out["uncertainty"].isna().all()  # one net: no spread to report
    # Entrez ids as column names work as well as symbols
    by_entrez = expr.rename(columns={s: str(e) for e, s in GENES})
    out2 = predict_response(deep_dir, by_entrez, ["DrugA", "DrugB"])
    assert np.allclose(
        out2.sort_values(["sample", "drug"])["ln_ic50"], out.sort_values(["sample", "drug"])["ln_ic50"]
    )


def test_predict_bad_inputs(deep_dir: Path, tmp_path: Path) -> None:
    expr = user_expression()
    # below half of the model's genes: one clear error with the count
    with pytest.raises(InputError, match="covers 4 of the model's 10 genes: 6 missing"):
        predict_response(deep_dir, expr.iloc[:, :4], ["DrugA"])
    # some genes missing: coverage reported, still predicted
    part = predict_response(deep_dir, expr.iloc[:, :7], ["DrugA"])
    assert part.attrs["coverage"]["n_matched"] == 7 and part.attrs["coverage"]["missing"] == [
        "G7",
        "G8",
        "G9",
    ]
    assert part["error"].isna().all()
    # duplicated gene or sample ids
    dup_gene = expr.copy()
    dup_gene.columns = ["G0", *expr.columns[:-1]]
    with pytest.raises(InputError, match="duplicated gene ids"):
        predict_response(deep_dir, dup_gene, ["DrugA"])
    dup_sample = expr.copy()
    dup_sample.index = ["S0", *expr.index[:-1]]
    with pytest.raises(InputError, match="duplicated sample ids"):
        predict_response(deep_dir, dup_sample, ["DrugA"])
    # a non-numeric value and an unknown drug: per-row errors, the rest predicted
    text = expr.astype(object)
    text.iloc[2, 3] = "high"
    out = predict_response(deep_dir, text, ["DrugA", "Aspirinx"])
    bad_sample = out[out["sample"] == "S2"]
    assert bad_sample["ln_ic50"].isna().all() and bad_sample["error"].str.contains("non-numeric").all()
    unknown = out[(out["drug"] == "Aspirinx") & (out["sample"] != "S2")]
    assert unknown["error"].str.contains("unknown drug").all()
    good = out[out["error"].isna()]
    assert len(good) == 5 and np.isfinite(good["ln_ic50"]).all()
    # a drug file with SMILES for a new drug, and an invalid SMILES
    f = tmp_path / "drugs.csv"
    f.write_text("drug_name,smiles\nNewDrug,CCN\nBroken,C1CC\n")
    out = predict_response(deep_dir, expr, str(f))
    assert out.loc[out["drug"] == "NewDrug", "error"].isna().all()
    assert out.loc[out["drug"] == "Broken", "error"].str.contains("invalid SMILES").all()


def test_leave_one_out_never_trains_on_its_test_sample() -> None:
    splits = list(loo_splits(7))
    assert [int(t[0]) for _, t in splits] == list(range(7))
    for train, test in splits:
        assert test[0] not in train and len(train) == 6
    # the prediction for sample i must not change when only y[i] changes
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4))
    y = x[:, 0] + rng.normal(0, 0.1, 12)
    base = leave_one_out(x, y)
    for i in (0, 5, 11):
        changed = y.copy()
        changed[i] += 100.0
        assert leave_one_out(x, changed)[i] == pytest.approx(base[i])
    assert np.corrcoef(base, y)[0, 1] > 0.9
    with pytest.raises(InputError):
        list(loo_splits(2))


def test_published_column_targets() -> None:
    targets = {"CETUXIMAB": ["EGFR"], "GEFITINIB": ["EGFR"], "AICAR": ["ATIC"], "X": ["A", "B"]}
    assert published_targets("CETUXIMAB_GEFITINIB", targets) == ["EGFR"]
    assert published_targets("AICA RIBONUCLEOTIDE", targets) == ["ATIC"]
    assert published_targets("UNKNOWN", targets) is None


def test_biomarkers_on_a_small_graph(tmp_path: Path) -> None:
    g = nx.connected_watts_strogatz_graph(200, 6, 0.05, seed=2)
    net = Network.from_edges([(f"G{a}", f"G{b}") for a, b in g.edges()])
    sets = {"NEAR": [f"G{i}" for i in range(1, 6)], "FAR": [f"G{i}" for i in range(90, 110)]}
    res = drug_biomarkers(["g0", "NOTAGENE"], network=net, gene_sets=sets, n_random=200)
    assert res.targets == ["G0"] and res.missing_targets == ["NOTAGENE"]
    assert res.genes["gene"].iloc[0] == "G0" and res.genes["is_target"].iloc[0]
    assert res.pathways["gene_set"].iloc[0] == "NEAR" and res.pathways["proximal"].iloc[0]
    paths = write_biomarkers(res, tmp_path / "bm")
    assert paths["chart"].read_bytes()[:4] == b"\x89PNG"
    assert pd.read_csv(paths["pathways"])["gene_set"].tolist()[0] == "NEAR"
    with pytest.raises(InputError, match="none of the targets"):
        drug_biomarkers(["NOPE"], network=net, gene_sets=sets)


def test_cli_predict_and_errors(deep_dir: Path, tmp_path: Path) -> None:
    from drugloop.cli.main import app

    expr = tmp_path / "expr.csv"
    user_expression().rename_axis("sample").to_csv(expr)
    out = tmp_path / "pred.csv"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "response",
            "predict",
            "--model",
            str(deep_dir),
            "--expression",
            str(expr),
            "--drugs",
            "DrugA,DrugC",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "coverage 10/10" in res.output
    assert len(pd.read_csv(out)) == 12
    few = tmp_path / "few.csv"
    user_expression().iloc[:, :3].rename_axis("sample").to_csv(few)
    res = runner.invoke(
        app, ["response", "predict", "--model", str(deep_dir), "--expression", str(few), "--drugs", "DrugA"]
    )
    assert res.exit_code == 2 and "7 missing" in res.output and "Traceback" not in res.output


@pytest.mark.data
def test_gdsc_inputs_and_splits() -> None:
    from drugloop.response.data import load_gdsc_data
    from drugloop.response.train import split_gdsc

    data = load_gdsc_data(("expression", "mutation"))
    assert data.cells.shape == (580, 1412) and len(data.drugs) == 170 and len(data.pairs) == 82833
    assert (data.pairs["cell_idx"] >= 0).all() and (data.pairs["drug_idx"] >= 0).all()
    parts = split_gdsc(data.pairs, "cold_cell", (0.8, 0.1, 0.1), seed=0)
    cells = {p: set(data.pairs.loc[parts == p, "depmap_id"]) for p in ("train", "val", "test")}
    assert not cells["train"] & cells["test"] and not cells["val"] & cells["test"]
    parts = split_gdsc(data.pairs, "cold_drug", (0.8, 0.1, 0.1), seed=0)
    drugs = {p: set(data.pairs.loc[parts == p, "drug_name"]) for p in ("train", "test")}
    assert not drugs["train"] & drugs["test"]


@pytest.mark.data
def test_organoid_targets_cover_the_screen() -> None:
    from drugloop.data.loaders.response import load_organoid_response
    from drugloop.response.organoid import DRUG_ALIASES, drug_targets

    targets = drug_targets()
    names = load_organoid_response()["drug_name"].unique()
    with_targets = [n for n in names if DRUG_ALIASES.get(n, n.upper()) in targets]
    assert len(with_targets) >= 40
    assert targets["FLUOROURACIL"] == ["TYMS"]
