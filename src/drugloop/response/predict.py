"""Predict ln IC50 for a user's samples (expression matrix) and drugs with a saved pan-drug model.

Bad input is handled at the boundary: duplicated gene or sample ids and a gene coverage below half of the model's
genes are errors; samples with non-numeric values and unknown drugs (or invalid SMILES) get a per-row ``error``
while the rest are still predicted; missing genes are reported as coverage and filled with the training mean.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from drugloop.errors import InputError
from drugloop.response.model import ResponseModel, drug_fingerprints, load_model

log = logging.getLogger(__name__)
MIN_COVERAGE = 0.5


@dataclass
class Coverage:
    """How many of the model's genes the user's matrix provides."""

    n_model_genes: int
    n_matched: int
    missing: list[str]

    @property
    def fraction(self) -> float:
        return self.n_matched / self.n_model_genes if self.n_model_genes else 0.0


def read_table(path: str | Path) -> pd.DataFrame:
    """CSV/TSV (by extension or sniffed) or Parquet, first column = sample ids, read as strings then checked."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"expression file not found: {path}")
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
        return df.set_index(df.columns[0]) if df.index.name is None else df
    sep = (
        "\t"
        if path.suffix.lower() in {".tsv", ".txt", ".tab"} or path.name.endswith((".tsv.gz", ".txt.gz"))
        else ","
    )
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable table ({exc})") from None
    if df.shape[1] < 2:
        raise InputError(f"{path}: expected samples x genes with a first column of sample ids")
    return df.set_index(df.columns[0])


def check_expression(expr: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric samples x genes matrix and per-sample errors for rows with non-numeric values.

    Duplicated sample or gene ids raise InputError; blank cells and NA become NaN (missing, filled later).
    """
    samples = pd.Index([str(s).strip() for s in expr.index])
    genes = pd.Index([str(g).strip() for g in expr.columns])
    for what, ids in (("sample", samples), ("gene", genes)):
        dup = ids[ids.duplicated()].unique().tolist()
        if dup:
            raise InputError(f"duplicated {what} ids in the expression matrix: {dup[:5]}")
    raw = expr.copy()
    raw.index, raw.columns = samples, genes
    text = raw.astype(str).apply(lambda c: c.str.strip())
    blank = text.isin(["", "NA", "NaN", "nan", "N/A", "null", "None"])
    num = raw.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = num.isna() & ~blank
    bad |= ~np.isfinite(num.fillna(0.0))
    errors: dict[str, str] = {}
    for s in samples[bad.any(axis=1).to_numpy()]:
        cols = bad.columns[bad.loc[s].to_numpy()].tolist()
        errors[s] = f"non-numeric expression values for {len(cols)} gene(s), e.g. {cols[:3]}"
    return num.where(~bad), errors


def match_genes(columns: Sequence[str], genes: list[tuple[int, str]]) -> tuple[dict[int, str], Coverage]:
    """Model gene position -> user column, by HGNC symbol (case-insensitive) or Entrez id."""
    by_symbol = {str(c).upper(): c for c in columns}
    by_entrez = {}
    for c in columns:
        text = str(c).strip()
        if text.isdigit():
            by_entrez[int(text)] = c
    found, missing = {}, []
    for pos, (entrez, symbol) in enumerate(genes):
        col = by_symbol.get(symbol.upper()) or by_entrez.get(int(entrez))
        if col is None:
            missing.append(symbol)
        else:
            found[pos] = col
    return found, Coverage(len(genes), len(found), missing)


def parse_drugs(drugs: str | Path | Sequence[str]) -> pd.DataFrame:
    """Drug names (comma-separated string or list) or a CSV/TSV with ``drug_name`` (and optional ``smiles``)."""
    if isinstance(drugs, str | Path) and Path(str(drugs)).is_file():
        path = Path(str(drugs))
        df = pd.read_csv(
            path,
            sep="\t" if path.suffix.lower() in {".tsv", ".txt"} else ",",
            dtype=str,
            keep_default_na=False,
        )
        cols = {c.lower(): c for c in df.columns}
        name = cols.get("drug_name") or cols.get("drug") or cols.get("name")
        if name is None:
            raise InputError(f"{path}: needs a drug_name column (and optionally smiles)")
        out = pd.DataFrame({"drug": df[name].str.strip()})
        out["smiles"] = df[cols["smiles"]].str.strip() if "smiles" in cols else ""
        return out
    names = (
        [s.strip() for s in drugs.split(",")] if isinstance(drugs, str) else [str(s).strip() for s in drugs]
    )
    names = [n for n in names if n]
    if not names:
        raise InputError("give at least one drug name (or a file of drug_name[,smiles])")
    return pd.DataFrame({"drug": names, "smiles": ""})


def _resolve_drugs(model: ResponseModel, drugs: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    known = {k.upper(): (k, v) for k, v in model.card["drugs"].items()}
    smiles, names, errors = [], [], []
    for name, smi in zip(drugs["drug"], drugs["smiles"], strict=True):
        if smi:
            smiles.append(smi)
            names.append(name)
            errors.append(None)
        elif name.upper() in known:
            canon, s = known[name.upper()]
            smiles.append(s)
            names.append(canon)
            errors.append(None)
        else:
            smiles.append(None)
            names.append(name)
            errors.append(
                f"unknown drug {name!r}: not one of the model's {len(known)} training drugs; "
                "give its SMILES in a drug file"
            )
    fps, smi_err = drug_fingerprints(smiles, int(model.card["n_bits"]))
    errors = [
        e or (f"invalid SMILES: {se}" if s is not None and se else None)
        for e, s, se in zip(errors, smiles, smi_err, strict=True)
    ]
    return pd.DataFrame({"drug": names, "error": errors}), fps


def predict_response(
    model: ResponseModel | str | Path,
    expression: pd.DataFrame | str | Path,
    drugs: str | Path | Sequence[str] | pd.DataFrame,
    *,
    scale: str = "zscore",
) -> pd.DataFrame:
    """Long table ``sample, drug, ln_ic50, uncertainty, rank_in_sample, rank_in_drug, error``; coverage in ``attrs``.

    ``uncertainty`` is the standard deviation of an ensemble's members (NaN for a model without members).

    ``scale="zscore"`` standardises each gene across the given samples (the GDSC training expression is z-scored
    across cell lines, so absolute scales never transfer); use ``"none"`` for data already z-scored against a
    reference cohort. Omics other than expression that the model was trained with are filled with training means.
    """
    model = model if isinstance(model, ResponseModel) else load_model(model)
    if scale not in {"zscore", "none"}:
        raise InputError(f"scale must be 'zscore' or 'none', not {scale!r}")
    expr_raw = read_table(expression) if isinstance(expression, str | Path) else expression
    expr, row_errors = check_expression(expr_raw)
    genes = [(int(e), str(s)) for e, s in model.card["genes"]]
    found, cov = match_genes(list(expr.columns), genes)
    if cov.fraction < MIN_COVERAGE:
        raise InputError(
            f"the expression matrix covers {cov.n_matched} of the model's {cov.n_model_genes} genes: "
            f"{len(cov.missing)} missing, more than half (give HGNC symbols or Entrez ids as column names)"
        )
    if cov.missing:
        log.warning(
            "%d of %d model genes missing (coverage %.1f%%); they are filled with the training mean",
            len(cov.missing),
            cov.n_model_genes,
            100 * cov.fraction,
        )
    good = [s for s in expr.index if s not in row_errors]
    sub = expr.loc[good, [found[p] for p in sorted(found)]].to_numpy(float)
    if scale == "zscore" and len(good):
        if len(good) < 3:
            raise InputError(
                "z-scoring genes across samples needs at least 3 valid samples; "
                "pass scale='none' (--scale none) for data already z-scored against a reference"
            )
        mu, sd = np.nanmean(sub, axis=0), np.nanstd(sub, axis=0)
        sd[~(sd > 1e-12)] = 1.0
        sub = (sub - mu) / sd
    names = model.card["feature_names"]
    mean = np.asarray(model.card["feature_mean"], dtype=np.float32)
    cells = np.tile(mean, (len(good), 1)).astype(np.float32)
    expr_pos = {int(n.split(":")[1]): i for i, n in enumerate(names) if n.startswith("expression:")}
    for j, p in enumerate(sorted(found)):
        col = sub[:, j]
        target = expr_pos[genes[p][0]]
        cells[:, target] = np.where(np.isnan(col), mean[target], col)
    drug_table = drugs if isinstance(drugs, pd.DataFrame) else parse_drugs(drugs)
    dtab, fps = _resolve_drugs(model, drug_table)
    ok_drugs = np.flatnonzero(dtab["error"].isna().to_numpy())
    records = []
    ci, di = np.meshgrid(np.arange(len(good)), ok_drugs, indexing="ij")
    pred = model.predict(cells, fps, ci.ravel(), di.ravel()) if len(good) and len(ok_drugs) else np.zeros(0)
    spread_fn = getattr(model, "predict_spread", None)
    spread = (
        spread_fn(cells, fps, ci.ravel(), di.ravel())
        if spread_fn is not None and len(model.nets) > 1 and len(pred)  # type: ignore[attr-defined]
        else np.full(len(pred), np.nan)
    )
    for (c, d), p, u in zip(zip(ci.ravel(), di.ravel(), strict=True), pred, spread, strict=True):
        records.append(
            {
                "sample": good[c],
                "drug": dtab["drug"].iat[d],
                "ln_ic50": float(p),
                "uncertainty": float(u),
                "error": None,
            }
        )
    for s in expr.index:
        for d in range(len(dtab)):
            drug_err = dtab["error"].iat[d]
            err = row_errors.get(s) or (drug_err if isinstance(drug_err, str) else None)
            if err:
                records.append(
                    {
                        "sample": s,
                        "drug": dtab["drug"].iat[d],
                        "ln_ic50": np.nan,
                        "uncertainty": np.nan,
                        "error": err,
                    }
                )
    out = pd.DataFrame.from_records(records, columns=["sample", "drug", "ln_ic50", "uncertainty", "error"])
    out["rank_in_sample"] = out.groupby("sample")["ln_ic50"].rank(method="min").astype("Int64")
    out["rank_in_drug"] = out.groupby("drug")["ln_ic50"].rank(method="min").astype("Int64")
    out = out[["sample", "drug", "ln_ic50", "uncertainty", "rank_in_sample", "rank_in_drug", "error"]]
    order = {s: i for i, s in enumerate(expr.index)}
    out = out.sort_values(
        ["sample", "rank_in_sample"],
        key=lambda c: c.map(order) if c.name == "sample" else c,
        na_position="last",
    ).reset_index(drop=True)
    out.attrs["coverage"] = {
        "n_model_genes": cov.n_model_genes,
        "n_matched": cov.n_matched,
        "fraction": cov.fraction,
        "missing": cov.missing,
    }
    out.attrs["filled_omics"] = [o for o in model.card["omics"] if o != "expression"]
    return out
