"""Drug response: GDSC via TGSA (with CCLE omics and a STRING PPI), GDSC via DeepCDR, CRC organoids, TCGA COAD.

The two GDSC tables are different screens/releases (r = 0.82 on shared pairs), so they stay separate loaders with
their own drug keys (TGSA: drug name; DeepCDR: GDSC drug id) rather than one merged table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from drugloop.data.loaders._common import (
    choose,
    memo,
    object_column,
    read_lines,
    require_columns,
    resolve_all,
    snake,
)
from drugloop.errors import DataError, InputError

_OMICS = {
    "expression": "expression.csv.gz",
    "copy_number": "copy_number.csv.gz",
    "mutation": "mutation.csv.gz",
}
_PPI_THRESHOLDS = (0.85, 0.9, 0.95)


def load_gdsc() -> pd.DataFrame:
    """TGSA's GDSC ln IC50 table: 82,833 (drug, cell line) pairs, 170 drugs x 580 cell lines, no duplicates.

    Columns: ``drug_name``, ``depmap_id`` (ACH-...), ``ln_ic50`` (natural log of IC50 in µM), ``smiles``
    (PubChem CanonicalSMILES from drug_smiles.csv). attrs: label="ln_ic50", task="regression".
    """
    files = resolve_all(["gdsc/ic50.csv.gz", "gdsc/drug_smiles.csv"])
    ic50_path, smiles_path = files

    def build() -> pd.DataFrame:
        ic50 = pd.read_csv(ic50_path, keep_default_na=False, na_values=[""])
        require_columns(ic50, ["drug_name", "depmap_id", "ln_ic50"], ic50_path)
        drugs = pd.read_csv(smiles_path, keep_default_na=False, na_values=[""])
        require_columns(drugs, ["drug_name", "CanonicalSMILES"], smiles_path)
        if not drugs["drug_name"].is_unique:
            raise DataError(f"{smiles_path}: drug names repeat")
        smiles = dict(zip(drugs["drug_name"], drugs["CanonicalSMILES"], strict=True))
        missing = sorted(set(ic50["drug_name"]) - set(smiles))
        if missing:
            raise DataError(f"{ic50_path}: drugs without SMILES in {smiles_path.name}: {missing[:5]}")
        df = ic50[["drug_name", "depmap_id", "ln_ic50"]].copy()
        df["ln_ic50"] = df["ln_ic50"].astype("float64")
        df["smiles"] = object_column(df["drug_name"].map(smiles))
        df.attrs.update({"label": "ln_ic50", "task": "regression", "dataset": "gdsc"})
        return df

    return memo(("gdsc",), files, build)


def load_gdsc_genes() -> pd.DataFrame:
    """The 706 census genes of the TGSA matrices: ``gene_idx`` (0-based column order), ``entrez_id``, ``symbol``."""
    files = resolve_all(["gdsc/genes.csv"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], keep_default_na=False, dtype={"symbol": "str"})
        require_columns(df, ["gene_idx", "entrez_id", "symbol"], files[0])
        if not (df["gene_idx"].to_numpy() == np.arange(len(df))).all():
            raise DataError(f"{files[0]}: gene_idx must run 0..n-1 in file order")
        return df[["gene_idx", "entrez_id", "symbol"]].astype({"gene_idx": "int64", "entrez_id": "int64"})

    return memo(("gdsc_genes",), files, build)


def load_gdsc_omics(kind: str = "expression") -> pd.DataFrame:
    """A 580 x 706 cell-line feature matrix: index ``depmap_id`` (TGSA cell order), columns int Entrez ids.

    ``kind``: "expression" (z-scored per gene, float64), "copy_number" (TGSA values, not z-scored, float64) or
    "mutation" (0/1 as int8). Column order equals ``load_gdsc_genes().entrez_id`` (checked on load).
    """
    kind = choose("omics kind", kind, _OMICS)
    files = resolve_all([f"gdsc/{_OMICS[kind]}", "gdsc/genes.csv"])
    path = files[0]

    def build() -> pd.DataFrame:
        df = pd.read_csv(path, index_col=0)
        if df.index.name != "DepMap_ID" or not df.index.is_unique:
            raise DataError(f"{path}: first column must be unique DepMap_ID values")
        try:
            entrez = [int(str(c).strip()[1:-1]) for c in df.columns]
        except ValueError:
            raise DataError(f"{path}: columns must look like '(ENTREZ)'") from None
        genes = pd.read_csv(files[1])
        if entrez != genes["entrez_id"].tolist():
            raise DataError(f"{path}: column order differs from genes.csv")
        df.columns = pd.Index(entrez, dtype="int64", name="entrez_id")
        df.index = pd.Index(df.index.astype("str"), name="depmap_id")
        if kind == "mutation":
            if not df.isin([0, 1]).all().all():
                raise DataError(f"{path}: mutation matrix must be 0/1")
            return df.astype("int8")
        return df.astype("float64")

    return memo(("gdsc_omics", kind), files, build)


def load_gdsc_ppi(threshold: float = 0.9) -> pd.DataFrame:
    """STRING v11 edges among the 706 genes with combined score above ``threshold`` (0.85, 0.9 or 0.95).

    Columns: ``gene_idx_1``, ``gene_idx_2`` (0-based matrix columns), ``entrez_id_1``, ``entrez_id_2``. Each
    undirected edge appears in both directions, as TGSA's ``edge_index`` had it; no self-loops.
    """
    match = [t for t in _PPI_THRESHOLDS if isinstance(threshold, int | float) and math.isclose(threshold, t)]
    if not match:
        raise InputError(
            f"unknown PPI threshold {threshold!r}; valid: {', '.join(map(str, _PPI_THRESHOLDS))}"
        )
    files = resolve_all([f"gdsc/ppi_string_v11_{match[0]}.csv"])

    def build() -> pd.DataFrame:
        columns = ["gene_idx_1", "gene_idx_2", "entrez_id_1", "entrez_id_2"]
        df = pd.read_csv(files[0])
        require_columns(df, columns, files[0])
        return df[columns].astype("int64")

    return memo(("gdsc_ppi", match[0]), files, build)


_DEEPCDR = "gdsc_deepcdr"


def _pubchem_cid(value: object) -> str | None:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    return text if text.isdigit() else None


def _deepcdr_drug_table(list_path: Path, smiles_path: Path) -> pd.DataFrame:
    drugs = pd.read_csv(list_path, dtype={"PubCHEM": "str"}, keep_default_na=False, na_values=[""])
    require_columns(drugs, ["drug_id", "Name", "PubCHEM"], list_path)
    if not drugs["drug_id"].is_unique:
        raise DataError(f"{list_path}: drug_id repeats")
    smiles = pd.read_csv(
        smiles_path, sep="\t", header=None, names=["cid", "smiles"], dtype=str, keep_default_na=False
    )
    lookup = dict(zip(smiles["cid"].str.strip(), smiles["smiles"].str.strip(), strict=True))
    out = drugs.rename(columns={c: snake(c) for c in drugs.columns}).rename(
        columns={"name": "drug_name", "pubchem": "pubchem_cid"}
    )
    cids = [_pubchem_cid(v) for v in drugs["PubCHEM"]]
    out["pubchem_cid"] = object_column(cids)
    out["smiles"] = object_column(lookup.get(c) if c else None for c in cids)
    out["drug_id"] = out["drug_id"].astype("int64")
    return out


def load_deepcdr_drugs() -> pd.DataFrame:
    """DeepCDR's GDSC drug list (266 drugs) with the PubChem join it uses to get SMILES.

    Columns: ``drug_id`` (int GDSC id), ``drug_name``, ``synonyms``, ``targets``, ``target_pathway``,
    ``pubchem_cid`` (str, None where upstream says "none"/"several"/blank), ``sample_size``, ``count``, ``smiles``
    (from 223drugs_pubchem_smiles.txt via the CID; None when the CID is missing or has no SMILES there).
    """
    files = resolve_all(
        [f"{_DEEPCDR}/GDSC_drug_list_20190624.csv", f"{_DEEPCDR}/223drugs_pubchem_smiles.txt"]
    )
    return memo(("deepcdr_drugs",), files, lambda: _deepcdr_drug_table(*files))


def load_gdsc_deepcdr() -> pd.DataFrame:
    """DeepCDR's GDSC ln IC50 matrix as a long table of its 208,734 measured (drug, cell line) entries.

    Columns: ``drug_id`` (int GDSC id), ``drug_name``, ``pubchem_cid`` (str or None), ``smiles`` (via the
    drug list -> PubChem CID -> SMILES join, None where unavailable), ``depmap_id``, ``ln_ic50``. Rows follow the
    matrix row-major (drug rows, then cell columns in file order). attrs: label="ln_ic50", task="regression".
    """
    files = resolve_all(
        [
            f"{_DEEPCDR}/GDSC_IC50.csv.gz",
            f"{_DEEPCDR}/GDSC_drug_list_20190624.csv",
            f"{_DEEPCDR}/223drugs_pubchem_smiles.txt",
        ]
    )

    def build() -> pd.DataFrame:
        matrix = pd.read_csv(files[0], index_col=0)
        labels = matrix.index.astype("str")
        if not labels.str.startswith("GDSC:").all() or not labels.is_unique:
            raise DataError(f"{files[0]}: first column must hold unique 'GDSC:<id>' labels")
        drug_ids = np.array([int(s[5:]) for s in labels], dtype=np.int64)
        values = matrix.to_numpy(dtype=np.float64)
        rows, cols = np.where(~np.isnan(values))
        drugs = _deepcdr_drug_table(files[1], files[2]).set_index("drug_id")
        unknown = sorted(set(drug_ids.tolist()) - set(drugs.index))
        if unknown:
            raise DataError(f"{files[0]}: drug ids not in the drug list: {unknown[:5]}")
        per_row = drugs.loc[drug_ids]
        df = pd.DataFrame(
            {
                "drug_id": drug_ids[rows],
                "drug_name": pd.Series(per_row["drug_name"].to_numpy()[rows], dtype="str"),
                "pubchem_cid": object_column(per_row["pubchem_cid"].to_numpy()[rows]),
                "smiles": object_column(per_row["smiles"].to_numpy()[rows]),
                "depmap_id": pd.Series(matrix.columns.to_numpy()[cols], dtype="str"),
                "ln_ic50": values[rows, cols],
            }
        )
        df.attrs.update({"label": "ln_ic50", "task": "regression", "dataset": "gdsc_deepcdr"})
        return df

    return memo(("gdsc_deepcdr",), files, build)


def load_deepcdr_cell_lines() -> pd.DataFrame:
    """DeepCDR's cell-line annotations (1,461 rows, 33 columns), column names in snake_case.

    ``depMapID`` becomes ``depmap_id`` (join key to :func:`load_gdsc_deepcdr`; 4 rows lack one); ``tcga_code``
    gives the cancer type; the other names are lower-cased with punctuation turned into "_" (e.g.
    ``Original.Source.of.Cell.Line`` -> ``original_source_of_cell_line``). Values are as shipped.
    """
    files = resolve_all([f"{_DEEPCDR}/Cell_lines_annotations_20181226.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t")
        require_columns(df, ["CCLE_ID", "depMapID", "tcga_code"], files[0])
        return df.rename(columns={c: snake(c) for c in df.columns}).rename(columns={"depmapid": "depmap_id"})

    return memo(("deepcdr_cell_lines",), files, build)


def load_deepcdr_thresholds() -> pd.DataFrame:
    """Per-drug ln IC50 cut-offs DeepCDR uses for its binary sensitive/resistant task (265 drugs).

    Columns: ``drug_name``, ``threshold`` (float, ln IC50), in file order. Names are not unique: 10 drugs screened
    twice under two GDSC ids (e.g. JQ1, Olaparib) appear twice and the file does not say which id each value
    belongs to; 76 names are spelled differently from the drug list, so join with care.
    """
    files = resolve_all([f"{_DEEPCDR}/IC50_thred.txt"])

    def build() -> pd.DataFrame:
        lines = read_lines(files[0])
        if len(lines) != 2:
            raise DataError(f"{files[0]}: expected 2 lines (drug names, thresholds), found {len(lines)}")
        names = [n.strip() for n in lines[0].split("\t")]
        values = lines[1].split("\t")
        if len(names) != len(values):
            raise DataError(f"{files[0]}: {len(names)} drug names but {len(values)} thresholds")
        try:
            thresholds = [float(v) for v in values]
        except ValueError:
            raise DataError(f"{files[0]}: non-numeric threshold") from None
        return pd.DataFrame({"drug_name": pd.Series(names, dtype="str"), "threshold": thresholds})

    return memo(("deepcdr_thresholds",), files, build)


_ORG = "organoid_crc"


def load_organoid_response() -> pd.DataFrame:
    """Median IC50 per (organoid, drug): 1,577 rows, 19 organoids x 83 drugs (van de Wetering 2015).

    Columns: ``organoid`` (e.g. P10), ``drug_name``, ``median_ic50`` (median over replicates, GDSC ln scale).
    """
    files = resolve_all([f"{_ORG}/median_response.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t")
        require_columns(df, ["Organoid", "Drug Name", "median_IC50"], files[0])
        df = df.rename(
            columns={"Organoid": "organoid", "Drug Name": "drug_name", "median_IC50": "median_ic50"}
        )
        df.attrs.update({"label": "median_ic50", "task": "regression", "dataset": "organoid_crc"})
        return df[["organoid", "drug_name", "median_ic50"]]

    return memo(("organoid_response",), files, build)


def load_organoid_replicates() -> pd.DataFrame:
    """Replicate-level organoid screen (supplementary table S2b, 5,016 rows).

    Columns: ``organoid``, ``drug_id`` (GDSC id), ``drug_name``, ``max_conc`` (µM), ``ic50`` (GDSC scale,
    apparently ln µM), ``beta``, ``auc``.
    """
    files = resolve_all([f"{_ORG}/supp_table_S2b.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t")
        require_columns(df, ["Organoid", "Drug_ID", "Drug Name", "Max_conc", "IC50", "BETA", "AUC"], files[0])
        return df.rename(columns={c: snake(c) for c in df.columns})

    return memo(("organoid_replicates",), files, build)


def load_organoid_expression() -> pd.DataFrame:
    """Organoid log2 microarray expression (GSE64392, median over probes): 12,037 genes x 22 samples.

    Index ``gene`` (HGNC symbol; upstream calls the column geneID), columns the sample ids (P5 ... P31, with P19A/B
    and P24A/B), values float64. The UniProt column is left out; :func:`load_organoid_gene_ids` has it.
    """
    files = resolve_all([f"{_ORG}/geneID_expression_median.txt.gz"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t")
        require_columns(df, ["geneID", "uniprotID"], files[0])
        if not df["geneID"].is_unique:
            raise DataError(f"{files[0]}: gene symbols repeat")
        out = df.drop(columns="uniprotID").set_index("geneID").astype("float64")
        out.index = pd.Index(out.index.astype("str"), name="gene")
        out.columns = pd.Index([str(c) for c in out.columns], name="sample")
        return out

    return memo(("organoid_expression",), files, build)


def load_organoid_gene_ids() -> pd.DataFrame:
    """Gene symbol to UniProt map of the organoid expression file: ``gene``, ``uniprot_id``."""
    files = resolve_all([f"{_ORG}/geneID_expression_median.txt.gz"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t", usecols=["geneID", "uniprotID"])
        return df.rename(columns={"geneID": "gene", "uniprotID": "uniprot_id"})

    return memo(("organoid_gene_ids",), files, build)


def load_organoid_drug_targets() -> pd.DataFrame:
    """Drug targets used for network proximity (43 rows): ``drug`` (as written upstream, some rows name two
    drugs, e.g. "CETUXIMAB,GEFITINIB"), ``targets`` (list[str] of HGNC symbols)."""
    files = resolve_all([f"{_ORG}/drug_drugTarget.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t", dtype=str, keep_default_na=False)
        require_columns(df, ["drugs", "targets"], files[0])
        return pd.DataFrame(
            {
                "drug": df["drugs"].str.strip().astype("str"),
                "targets": object_column(
                    [t.strip() for t in s.split(",") if t.strip()] for s in df["targets"]
                ),
            }
        )

    return memo(("organoid_drug_targets",), files, build, list_columns=["targets"])


def load_organoid_pathway_proximity() -> pd.DataFrame:
    """Network-proximity z-scores between 674 Reactome pathways and 44 drugs (STRING score > 700).

    Columns: ``pathway`` then one float column per drug, named as upstream (e.g. "FLUOROURACIL"). Negative means
    closer; the upstream code calls a pathway proximal to a drug when z <= -1.2816.
    """
    files = resolve_all([f"{_ORG}/coad_blca_organoid_drugs_zscore_result_reactome.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t")
        require_columns(df, ["Pathway"], files[0])
        return df.rename(columns={"Pathway": "pathway"})

    return memo(("organoid_pathway_proximity",), files, build)


def load_tcga_coad_drugs() -> pd.DataFrame:
    """TCGA COAD clinical drug records (593 rows, 154 patients), TCGA column names as in the first header line.

    The file has three header lines (names, alternative names, CDE ids); the last two are skipped. Values are the
    raw strings: ``pharmaceutical_therapy_drug_name`` is free text (5-FU spelled many ways), and TCGA's bracketed
    codes such as "[Not Available]" are kept as text, not turned into NaN, since they carry different meanings.
    """
    files = resolve_all([f"{_ORG}/nationwidechildrens.org_clinical_drug_coad.txt"])

    def build() -> pd.DataFrame:
        df = pd.read_csv(files[0], sep="\t", skiprows=[1, 2], dtype=str, keep_default_na=False)
        require_columns(df, ["bcr_patient_barcode", "pharmaceutical_therapy_drug_name"], files[0])
        return df

    return memo(("tcga_coad_drugs",), files, build)
