"""The LightGBM binding baseline: it reaches a real CI on Davis, round-trips exactly, reports bad rows per row,
refuses mismatched labels and foreign model folders, and gives the same numbers for the same seed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drugloop.binding import BindingConfig, LGBMBindingModel, evaluate, load_model, train
from drugloop.binding.features import FEATURIZER_VERSION, FeaturizerParams, PairFeaturizer
from drugloop.binding.train import assign_split
from drugloop.errors import InputError, ModelError
from molecules import DRUG_LIKE_SMILES

SMILES = DRUG_LIKE_SMILES[:10]
FAST = {
    "n_estimators": 80,
    "learning_rate": 0.2,
    "num_leaves": 15,
    "min_child_samples": 3,
    "early_stopping_rounds": 20,
    "n_jobs": 1,
}  # tiny data: one thread avoids OpenMP overhead and contention on a busy machine


def _sequences(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    return ["".join(rng.choice(letters, size=int(rng.integers(60, 140)))) for _ in range(n)]


def synthetic_pairs(n_targets: int = 8, binary: bool = False, seed: int = 0) -> pd.DataFrame:
    """Every SMILES x every sequence with a label that depends on both, so the model has something to learn."""
    rng = np.random.default_rng(seed)
    seqs = _sequences(n_targets, seed)
    rows = []
    for i, s in enumerate(SMILES):
        for j, q in enumerate(seqs):
            y = 5.0 + (i % 4) * 0.8 + (j % 3) * 0.5 + rng.normal(0, 0.05)
            rows.append({"smiles": s, "sequence": q, "label": float(y > 6.5) if binary else y})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def ensemble_model() -> LGBMBindingModel:
    df = synthetic_pairs()
    return LGBMBindingModel(seed=0, ensemble=3, **FAST).fit(df.iloc[::2], df.iloc[1::2])


# --------------------------------------------------------------------------- real data


@pytest.mark.data
def test_davis_subset_reaches_ci_above_080():
    from drugloop.binding.pairs import load_named

    davis = load_named("davis")
    rng = np.random.default_rng(0)
    targets = rng.choice(davis["target_id"].unique(), size=120, replace=False)
    sub = davis.loc[davis["target_id"].isin(targets)].drop(columns="fold").reset_index(drop=True)
    assert sub["drug_id"].nunique() == 68 and len(sub) == 68 * 120
    parts = assign_split(sub, "random", (0.8, 0.1, 0.1), seed=0)
    model = LGBMBindingModel(seed=0, n_jobs=1, n_estimators=1500, learning_rate=0.1, early_stopping_rounds=50)
    model.fit(sub[parts == "train"], sub[parts == "val"])
    test = model.predict(sub[parts == "test"])
    from drugloop.evaluate.metrics import concordance_index, mse

    ci = concordance_index(test["label"], test["prediction"])
    assert ci > 0.80, ci
    assert mse(test["label"], test["prediction"]) < 0.5
    assert test["uncertainty"].isna().all()  # one member: no spread


@pytest.mark.data
def test_setting1_split_follows_deepdta_folds():
    from drugloop.binding.pairs import load_named

    davis = load_named("davis")
    parts = assign_split(davis, "setting1")
    assert parts.value_counts().to_dict() == {"train": 20036, "val": 5010, "test": 5010}
    assert (davis.loc[parts == "val", "fold"] == 0).all()
    assert (davis.loc[parts == "test", "fold"] == -1).all()


# --------------------------------------------------------------------------- features


def test_each_entity_featurised_once_and_pairs_gathered():
    df = synthetic_pairs(n_targets=3)
    feat = PairFeaturizer()
    x = feat.transform(df)
    assert x.shape == (len(df), feat.n_features) and x.dtype == np.float32
    assert len(feat._drugs) == len(SMILES) and len(feat._targets) == 3
    assert feat.n_features == 2048 + 10 + 20 + 400 + 343
    # a row equals the features of its own drug and target computed alone
    single = PairFeaturizer().transform(df.iloc[[7]])
    np.testing.assert_array_equal(x[7], single[0])
    assert len(feat.feature_names) == feat.n_features


def test_featurizer_params_roundtrip():
    p = FeaturizerParams(radius=3, n_bits=1024, descriptors=False, kmers=(1, 2))
    assert FeaturizerParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert PairFeaturizer(p).n_features == 1024 + 420


# --------------------------------------------------------------------------- model contract


def test_save_load_reproduces_predictions_exactly(ensemble_model, tmp_path):
    df = synthetic_pairs(seed=1)
    before = ensemble_model.predict(df)
    ensemble_model.save(tmp_path / "m")
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["model_type"] == "lgbm" and card["featurizer_version"] == FEATURIZER_VERSION
    assert len(card["best_iterations"]) == 3 and card["featurizer"]["n_bits"] == 2048
    assert all((tmp_path / "m" / name).is_file() for name in card["members"])
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, LGBMBindingModel)
    after = loaded.predict(df)
    np.testing.assert_array_equal(before["prediction"].to_numpy(), after["prediction"].to_numpy())
    np.testing.assert_array_equal(before["uncertainty"].to_numpy(), after["uncertainty"].to_numpy())


def test_ensemble_gives_nonzero_uncertainty(ensemble_model):
    out = ensemble_model.predict(synthetic_pairs())
    assert out["uncertainty"].notna().all()
    assert (out["uncertainty"] > 0).mean() > 0.5
    assert len(set(ensemble_model.member_seeds())) == 3


def test_bad_rows_get_reasons_and_good_rows_are_predicted(ensemble_model):
    seq = synthetic_pairs()["sequence"].iloc[0]
    pairs = pd.DataFrame(
        {
            "smiles": [SMILES[0], "C1CC(", "", None, SMILES[1], SMILES[2], SMILES[3], SMILES[4]],
            "sequence": [seq, seq, seq, seq, "MKVBLA", "MKVZLA", "MKV1LA", ""],
        }
    )
    out = ensemble_model.predict(pairs)
    assert len(out) == len(pairs)
    assert out["smiles"].tolist()[:2] == [SMILES[0], "C1CC("]  # input order kept
    assert pd.isna(out.loc[0, "error"]) and np.isfinite(out.loc[0, "prediction"])
    assert out.loc[1:, "error"].notna().all()
    assert out.loc[1:, "prediction"].isna().all()
    assert "SMILES" in out.loc[1, "error"] and "SMILES" in out.loc[2, "error"]
    for i, letter in ((4, "B"), (5, "Z"), (6, "1")):
        assert letter in out.loc[i, "error"], out.loc[i, "error"]


def test_same_seed_same_model_other_seed_differs():
    df = synthetic_pairs()
    a = LGBMBindingModel(seed=5, **FAST).fit(df.iloc[::2], df.iloc[1::2]).predict(df)
    b = LGBMBindingModel(seed=5, **FAST).fit(df.iloc[::2], df.iloc[1::2]).predict(df)
    c = LGBMBindingModel(seed=6, **FAST).fit(df.iloc[::2], df.iloc[1::2]).predict(df)
    np.testing.assert_array_equal(a["prediction"], b["prediction"])
    assert not np.array_equal(a["prediction"], c["prediction"])


def test_unknown_parameter_is_refused():
    with pytest.raises(InputError, match="n_estimator"):
        LGBMBindingModel(n_estimator=10)


def test_binary_model_predicts_probabilities():
    df = synthetic_pairs(binary=True)
    model = LGBMBindingModel(task="binary", seed=0, **FAST).fit(df.iloc[::2], df.iloc[1::2])
    p = model.predict(df)["prediction"]
    assert p.between(0, 1).all()
    with pytest.raises(ModelError, match="0/1"):
        LGBMBindingModel(task="binary", **FAST).fit(synthetic_pairs())


def test_evaluate_refuses_mismatched_label_kinds(ensemble_model, tmp_path):
    ensemble_model.save(tmp_path / "reg")
    binary_table = tmp_path / "binary.csv"
    synthetic_pairs(binary=True).to_csv(binary_table, index=False)
    with pytest.raises(ModelError, match="0/1 interaction labels"):
        evaluate(tmp_path / "reg", binary_table)

    df = synthetic_pairs(binary=True)
    LGBMBindingModel(task="binary", **FAST).fit(df).save(tmp_path / "bin")
    regression_table = tmp_path / "affinity.csv"
    synthetic_pairs().to_csv(regression_table, index=False)
    with pytest.raises(ModelError, match="affinity values"):
        evaluate(tmp_path / "bin", regression_table)
    result = evaluate(tmp_path / "reg", regression_table)
    assert result["metrics"]["n"] == len(SMILES) * 8 and result["metrics"]["ci"] > 0.8


def test_unknown_featurizer_version_is_refused(ensemble_model, tmp_path):
    folder = ensemble_model.save(tmp_path / "m")
    card = json.loads((folder / "card.json").read_text())
    card["featurizer_version"] = "pairfeat-999"
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="featurizer version"):
        load_model(folder)


def test_damaged_or_missing_model_folders_are_model_errors(ensemble_model, tmp_path):
    with pytest.raises(ModelError, match="not a saved binding model"):
        load_model(tmp_path / "nothing")
    folder = ensemble_model.save(tmp_path / "m")
    (folder / "member_1.txt").write_text("garbage")
    with pytest.raises(ModelError):
        load_model(folder)
    (folder / "member_1.txt").unlink()
    with pytest.raises(ModelError, match="missing model file"):
        load_model(folder)


# --------------------------------------------------------------------------- train() and config


def test_train_writes_run_folder_deterministically(tmp_path):
    table = tmp_path / "pairs.csv"
    df = synthetic_pairs(n_targets=10)
    df.loc[3, "smiles"] = "not a molecule"
    df.to_csv(table, index=False)
    cfg = BindingConfig(data=str(table), split="random", seed=1, out=tmp_path / "run", model_params=FAST)
    first = train(cfg)
    for name in ("model/card.json", "metrics.json", "test_predictions.parquet", "config.json"):
        assert (tmp_path / "run" / name).is_file(), name
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["split"] == "random" and metrics["n"]["invalid"] == 1 and metrics["n"]["unused"] == 1
    assert metrics["test"]["ci"] > 0.7
    preds = pd.read_parquet(tmp_path / "run" / "test_predictions.parquet")
    assert {"label", "prediction", "error"} <= set(preds.columns) and len(preds) == metrics["n"]["test"]
    second = train(cfg.override(out=tmp_path / "run2"))
    assert first.test_metrics == second.test_metrics
    meta = json.loads((tmp_path / "run" / "config.json").read_text())
    assert meta["seed"] == 1 and str(table) in meta["data_checksums"]


def test_config_from_toml_and_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[binding]\ndata = "kiba"\nsplit = "cold_drug"\nensemble = 3\n[binding.model_params]\nnum_leaves = 7\n'
    )
    cfg = BindingConfig.from_toml(path)
    assert (cfg.data, cfg.split, cfg.ensemble, cfg.model_params) == (
        "kiba",
        "cold_drug",
        3,
        {"num_leaves": 7},
    )
    assert cfg.override(seed=4, split=None).seed == 4 and cfg.override(seed=4).split == "cold_drug"
    with pytest.raises(InputError, match="split"):
        cfg.override(split="sideways")
    path.write_text('data = "davis"\nmodle = "lgbm"\n')
    with pytest.raises(InputError, match="modle"):
        BindingConfig.from_toml(path)
    with pytest.raises(InputError, match="not found"):
        BindingConfig.from_toml(tmp_path / "missing.toml")


def test_unknown_data_name_lists_valid_names(tmp_path):
    with pytest.raises(InputError, match="davis, kiba"):
        train(BindingConfig(data="davs", out=tmp_path))
