"""Biological networks and gene sets: the STRING v12 human network (Entrez ids) and MSigDB C2 pathways."""

from __future__ import annotations

import numbers

import pandas as pd

from drugloop.data.loaders._common import memo, object_column, require_columns, resolve_all
from drugloop.errors import InputError

STRING_CHANNELS = [
    "neighborhood",
    "neighborhood_transferred",
    "fusion",
    "cooccurence",
    "homology",
    "coexpression",
    "coexpression_transferred",
    "experiments",
    "experiments_transferred",
    "database",
    "database_transferred",
]


def load_string(min_score: int = 0) -> pd.DataFrame:
    """STRING v12 human links without text mining (dmfind's selection): 174,962 undirected edges, each listed once.

    Columns: ``id_1``, ``id_2`` (int Entrez gene ids), ``combined_score`` (400-999) and the 11 channel scores
    (``neighborhood`` ... ``database_transferred``, int 0-999; "cooccurence" is STRING's spelling). Keeps rows with
    ``combined_score >= min_score``; the file already holds only scores >= 400 (700+ plus each gene's top 3 in
    400-699), so use 700 for STRING's "high confidence".
    """
    if isinstance(min_score, bool) or not isinstance(min_score, numbers.Real) or not 0 <= min_score <= 1000:
        raise InputError(f"min_score must be a number in 0..1000 (STRING's 0-999 scale), got {min_score!r}")
    files = resolve_all(["string_v12/string_v12_human_entrez_700.csv.gz"])

    def build() -> pd.DataFrame:
        columns = ["id_1", "id_2", "combined_score", *STRING_CHANNELS]
        df = pd.read_csv(files[0])
        require_columns(df, columns, files[0])
        return df[columns].astype("int64")

    df = memo(("string",), files, build)
    if min_score > 0:
        df = df.loc[df["combined_score"] >= min_score].reset_index(drop=True)
    return df


def load_pathways(prefix: str | None = None) -> pd.DataFrame:
    """MSigDB C2 v7.2 gene sets (6,229 sets, HGNC symbols) from NetBio's GMT.

    Columns: ``gene_set`` (e.g. "REACTOME_APOPTOSIS"), ``url`` (the GMT description column, an MSigDB card URL),
    ``genes`` (list[str] in file order), ``n_genes``. ``prefix`` keeps only sets whose name starts with it, e.g.
    "REACTOME_" (1,554), "KEGG_" (186), "WP_", "BIOCARTA_", "PID_"; matching is case-sensitive as MSigDB names are
    upper-case, and a prefix matching nothing raises InputError. KEGG sets carry KEGG's licence terms as well as MSigDB's.
    """
    if prefix is not None and not isinstance(prefix, str):
        raise InputError(f"prefix must be a string or None, got {type(prefix).__name__}")
    files = resolve_all(["pathways/c2.all.v7.2.symbols.gmt.gz"])

    def build() -> pd.DataFrame:
        from drugloop.bio.genesets import iter_gmt  # late: drugloop.bio may itself use the data layer

        sets = list(iter_gmt(files[0]))
        return pd.DataFrame(
            {
                "gene_set": pd.Series([s.name for s in sets], dtype="str"),
                "url": pd.Series([s.description for s in sets], dtype="str"),
                "genes": object_column(s.genes for s in sets),
                "n_genes": pd.Series([len(s.genes) for s in sets], dtype="int64"),
            }
        )

    df = memo(("pathways",), files, build, list_columns=["genes"])
    if prefix:
        df = df.loc[df["gene_set"].str.startswith(prefix)].reset_index(drop=True)
        if df.empty:
            raise InputError(
                f"no gene set name starts with {prefix!r} (case-sensitive); try REACTOME_, KEGG_, WP_, BIOCARTA_, PID_"
            )
    return df


def load_gene_symbols() -> pd.DataFrame:
    """HGNC symbol <-> Entrez id map (March 2019, 46,125 symbols) shipped with TGSA; use it to name STRING genes.

    Columns: ``symbol`` (approved HGNC symbol, unique), ``entrez_id`` (nullable Int64; 4,575 symbols have none).
    """
    files = resolve_all(["gdsc/entrez_to_symbol.tsv"])

    def build() -> pd.DataFrame:
        raw = pd.read_csv(
            files[0], sep="\t", keep_default_na=False, na_values={"NCBI Gene ID(supplied by NCBI)": [""]}
        )
        require_columns(raw, ["Approved symbol", "NCBI Gene ID(supplied by NCBI)"], files[0])
        return pd.DataFrame(
            {
                "symbol": raw["Approved symbol"].astype("str"),
                "entrez_id": raw["NCBI Gene ID(supplied by NCBI)"].astype("Int64"),
            }
        )

    return memo(("gene_symbols",), files, build)
