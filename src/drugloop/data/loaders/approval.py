"""Drug approval prediction tables (SBIlab DrugApprovalPrediction): drugs, gene features, targets, examples.

Identifier columns get drugloop names (``stitch_id``, ``drug_name``, ``smiles``, ``phase``, ``drug_status``) so
tables join on them; feature columns keep their upstream names (``CGE``, ``OGE``, ``MolecularWeight``, ...) so they
read like the paper and its code.
"""

from __future__ import annotations

import pandas as pd

from drugloop.data.loaders._common import choose, memo, object_column, require_columns, resolve_all
from drugloop.errors import DataError

_DA = "drug_approval"
_TABLES = {
    "ml_dataset": "ML_dataset.tsv",
    "drug_info": "Drug_info.tsv",
    "gene_info": "Gene_info.tsv.gz",
    "gene_essentiality": "gene_essentiality.tsv.gz",
    "centrality": "string_physical_centrality.tsv.gz",
    "stitch_targets": "stitch_drug_target.tsv.gz",
    "chemical_properties": "chemical_properties.tsv",
    "example_chemical": "new_molecule_example/chemical.tsv",
    "example_target": "new_molecule_example/target.tsv",
}
_RENAME = {
    "STITCH ID": "stitch_id",
    "chemical": "stitch_id",
    "Drug name": "drug_name",
    "Drug status": "drug_status",
    "Phase": "phase",
    "Smiles": "smiles",
    "Level 1 ATC Codes": "atc_level1",
    "Molecule": "molecule",
    "Targets": "targets",
}
GENE_FEATURES = ["CGE", "OGE", "Network", "Expression"]
CHEMICAL_FEATURES = [
    "MolecularWeight",
    "XLogP",
    "HydrogenBondDonorCount",
    "HydrogenBondAcceptorCount",
    "PolarSurfaceArea",
    "FormalCharge",
    "NumRings",
    "RotatableBondCount",
    "Refractivity",
    "Ro5",
    "Ghose",
    "Veber",
    "wQED",
]
_STATUS = {"approved": 1, "unapproved": 0}


def load_drug_approval(table: str = "ml_dataset") -> pd.DataFrame:
    """One table of the drug approval data set; ``table`` picks which.

    - "ml_dataset" (2,474 drugs, the model table): ``stitch_id`` (``CIDs########``), ``drug_status``
      ("approved"/"unapproved"), ``approved`` (int 0/1 from drug_status; 1,404 approved), ``phase`` (int 1-4), then
      the features ``CGE``, ``OGE``, ``Network``, ``Expression`` and 13 chemical descriptors (``MolecularWeight`` ...
      ``wQED``). attrs: label="approved", task="binary", features=[the 17 feature columns]. Beware: phase 4 is
      exactly the approved drugs, so ``phase`` must never be a feature.
    - "drug_info" (2,643): ``drug_name``, ``stitch_id``, ``phase``, ``drug_status``, ``approved``, ``smiles``,
      ``atc_level1``.
    - "chemical_properties" (2,642): ``stitch_id``, ``smiles`` + the 13 descriptors (24 rows lack them).
    - "gene_info" (16,950: per-gene CGE/OGE/Network/Expression), "gene_essentiality" (19,792), "centrality"
      (18,384 STRING proteins), "stitch_targets" (56,119 drug-protein links; ``chemical`` renamed ``stitch_id``):
      upstream columns.
    - "example_chemical" / "example_target": the one-molecule example inputs; ``targets`` is a list[str] of
      Ensembl gene ids (upstream joins them with '|').
    """
    table = choose("drug_approval table", table, _TABLES)
    files = resolve_all([f"{_DA}/{_TABLES[table]}"])
    path = files[0]

    def build() -> pd.DataFrame:
        raw = pd.read_csv(path, sep="\t")
        df = raw.rename(columns={c: _RENAME.get(c, c) for c in raw.columns})
        if "drug_status" in df.columns:
            status = df["drug_status"].astype("str").str.strip().str.lower()
            odd = sorted(set(status) - set(_STATUS))
            if odd:
                raise DataError(
                    f"{path}: unexpected 'Drug status' values {odd}; expected approved/unapproved"
                )
            position = df.columns.get_loc("drug_status") + 1
            df.insert(position, "approved", status.map(_STATUS).astype("int64"))
        if "phase" in df.columns:
            digits = df["phase"].astype("str").str.extract(r"^\s*Phase\s*(\d)\s*$", expand=False)
            if digits.isna().any():
                raise DataError(f"{path}: 'Phase' values must look like 'Phase N'")
            df["phase"] = digits.astype("int64")
        if table == "example_target":
            require_columns(df, ["molecule", "targets"], path)
            df["targets"] = object_column([t for t in str(s).split("|") if t] for s in df["targets"])
        if table == "ml_dataset":
            require_columns(df, ["stitch_id", "approved", *GENE_FEATURES, *CHEMICAL_FEATURES], path)
            df.attrs.update(
                {"label": "approved", "task": "binary", "features": [*GENE_FEATURES, *CHEMICAL_FEATURES]}
            )
        keyed = table in {"ml_dataset", "drug_info", "chemical_properties"}
        if keyed and not df["stitch_id"].is_unique:
            raise DataError(f"{path}: STITCH IDs repeat")
        return df

    return memo(
        ("drug_approval", table), files, build, list_columns=["targets"] if table == "example_target" else []
    )
