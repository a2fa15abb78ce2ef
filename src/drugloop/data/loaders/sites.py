"""Per-residue binding annotations: HoTS binding regions, bindEmbed21 labels, kinase active-site residues.

Every position these loaders return is 0-based into the row's ``sequence``/``aligned_sequence``, whatever the
upstream convention, so the models never need to know which file used which.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from drugloop.data.loaders._common import (
    choose,
    memo,
    object_column,
    read_fasta,
    read_lines,
    require_columns,
    resolve_all,
)
from drugloop.errors import DataError

_HOTS = "binding_regions/hots"
_HOTS_FILES = {
    "test": f"{_HOTS}/BR_datasets/BR_test_dataset_1.tsv",
    "validation": f"{_HOTS}/BR_datasets/BR_validation_dataset.tsv",
    "hots_validation": f"{_HOTS}/Validation_HoTS.tsv",
}
_HOTS_RENAME = {
    "Protein_ID": "protein_id",
    "SMILES": "smiles",
    "Sequence": "sequence",
    "binding_index": "binding_index",
    "binding_region": "binding_region",
    "PDB": "pdb",
    "PDB_start": "pdb_start",
    "PDB_end": "pdb_end",
    "chain": "chain",
    "scPDB": "scpdb",
    "UniProt_Acc": "uniprot_acc",
    "Uniprot_ID": "uniprot_entry",
    "UniProt_ID": "uniprot_entry",
    "Compound_ID": "compound_id",
    "PDB_Sequence": "pdb_sequence",
    "PDB_Sequence_index": "pdb_sequence_index",
    "PDB_binding_index": "pdb_binding_index",
    "chain_end": "chain_end",
    "assay": "assay",
    "value": "value",
    "unit": "unit",
    "year": "year",
    "resolution": "resolution",
    "in_training_DTI": "in_training_dti",
    "TaxId": "tax_id",
    "SCOPe": "scope",
    "Maximum_similarity": "maximum_similarity",
    "Most_similar_protein": "most_similar_protein",
}
_HOTS_FIRST = ["protein_id", "smiles", "sequence", "binding_index", "binding_region"]
_HOTS_INT_LISTS = ("binding_index", "pdb_sequence_index", "pdb_binding_index")


def _literal_list(text: object, path: Path, row: int, column: str) -> list:
    try:
        value = ast.literal_eval(str(text))
    except (ValueError, SyntaxError):
        raise DataError(
            f"{path}: row {row} column {column}: not a Python list literal: {str(text)[:60]!r}"
        ) from None
    if not isinstance(value, list):
        raise DataError(f"{path}: row {row} column {column}: expected a list, got {type(value).__name__}")
    return value


def load_hots(subset: str = "test") -> pd.DataFrame:
    """HoTS binding-region complexes (NON-COMMERCIAL licence), one row per protein-ligand complex.

    ``subset``: "test" (BR_test_dataset_1, 224 rows), "validation" (BR_validation_dataset, 430) or
    "hots_validation" (Validation_HoTS, 232). Always: ``protein_id``, ``smiles``, ``sequence``, ``binding_index``
    (list[int], 0-based residue positions in ``sequence``), ``binding_region`` (list[tuple[int, int]] of
    [start, end] windows; ``end`` may equal len(sequence)). The other upstream columns follow in snake_case
    (``pdb``, ``chain``, ``scpdb``, ``uniprot_acc``, ``assay``/``value``/``unit``/``year`` where filled, ...);
    ``resolution`` stays text because it holds "NMR". Unnamed index columns and ``PDB_ID`` (a copy of ``PDB``) are
    dropped; Validation_HoTS' ``pdb_sequence_index``/``pdb_binding_index`` are parsed into list[int] too.
    """
    subset = choose("HoTS subset", subset, _HOTS_FILES)
    files = resolve_all([_HOTS_FILES[subset]])
    path = files[0]

    def build() -> pd.DataFrame:
        raw = pd.read_csv(path, sep="\t")
        raw = raw.loc[:, [c for c in raw.columns if not str(c).startswith("Unnamed")]]
        if "PDB_ID" in raw.columns and "PDB" in raw.columns and raw["PDB_ID"].equals(raw["PDB"]):
            raw = raw.drop(columns="PDB_ID")
        require_columns(raw, ["Protein_ID", "SMILES", "Sequence", "binding_index", "binding_region"], path)
        df = raw.rename(columns={c: _HOTS_RENAME.get(c, c.lower()) for c in raw.columns})
        for column in _HOTS_INT_LISTS:
            if column in df.columns:
                df[column] = object_column(
                    [int(v) for v in _literal_list(t, path, i, column)] for i, t in enumerate(df[column])
                )
        df["binding_region"] = object_column(
            [tuple(int(x) for x in w) for w in _literal_list(t, path, i, "binding_region")]
            for i, t in enumerate(df["binding_region"])
        )
        for i, (idx, seq) in enumerate(zip(df["binding_index"], df["sequence"], strict=True)):
            if idx and (min(idx) < 0 or max(idx) >= len(seq)):
                raise DataError(f"{path}: row {i}: binding_index outside 0..len(Sequence)-1")
        df = df[_HOTS_FIRST + [c for c in df.columns if c not in _HOTS_FIRST]]
        df.attrs.update({"dataset": f"hots/{subset}", "license": "NON-COMMERCIAL (CC-BY-NC-SA-4.0 notice)"})
        return df

    return memo(("hots", subset), files, build, list_columns=[*_HOTS_INT_LISTS, "binding_region"])


_BP = "binding_sites/bindpredict"
_BP_CLASSES = ("metal", "nuclear", "small")


def _residue_labels(path: Path, lengths: dict[str, int]) -> dict[str, list[int]]:
    """``id<TAB>1-based positions`` lines -> {id: sorted 0-based positions}, for ids in ``lengths`` only."""
    out: dict[str, list[int]] = {}
    for number, line in enumerate(read_lines(path), start=1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise DataError(f"{path}:{number}: expected 'id<TAB>positions', got {line[:60]!r}")
        protein, positions = parts[0].strip(), parts[1]
        if protein not in lengths:
            continue
        if protein in out:
            raise DataError(f"{path}:{number}: protein {protein} listed twice")
        try:
            zero_based = sorted({int(p) - 1 for p in positions.split(",") if p.strip()})
        except ValueError:
            raise DataError(f"{path}:{number}: non-integer residue position") from None
        if zero_based and (zero_based[0] < 0 or zero_based[-1] >= lengths[protein]):
            raise DataError(f"{path}:{number}: position outside 1..{lengths[protein]} for {protein}")
        out[protein] = zero_based
    return out


def load_bindpredict(subset: str = "development") -> pd.DataFrame:
    """bindEmbed21 per-residue binding labels, one row per protein (1,314 development / 46 independent).

    Columns: ``protein_id`` (UniProt), ``sequence``, ``split`` ("fold1".."fold5" = DevSet1014 CV folds from
    ids_split1..5.txt, "test" = TestSet300 from uniprot_test.txt; "independent" for TestSetNew46), and ``metal``,
    ``nuclear``, ``small``: sorted list[int] of 0-based residue positions (the label files are 1-based). A protein
    absent from a label file has no residue of that class and gets []. Rows follow the FASTA order.
    """
    subset = choose("bindpredict subset", subset, ("development", "independent"))
    if subset == "development":
        names = ["development_set/all.fasta"]
        names += [f"development_set/ids_split{i}.txt" for i in range(1, 6)] + [
            "development_set/uniprot_test.txt"
        ]
        names += [f"development_set/binding_residues_2.5_{c}.txt" for c in _BP_CLASSES]
        split_names = [f"fold{i}" for i in range(1, 6)] + ["test"]
    else:
        names = ["independent_set/indep_set.fasta", "independent_set/indep_set.txt"]
        names += [f"independent_set/binding_residues_{c}.txt" for c in _BP_CLASSES]
        split_names = ["independent"]
    files = resolve_all(f"{_BP}/{n}" for n in names)

    def build() -> pd.DataFrame:
        sequences = read_fasta(files[0])
        id_files = files[1 : 1 + len(split_names)]
        label_files = files[1 + len(split_names) :]
        split_of: dict[str, str] = {}
        for name, path in zip(split_names, id_files, strict=True):
            for protein in read_lines(path):
                if protein in split_of:
                    raise DataError(f"{path}: {protein} is also in split {split_of[protein]}")
                if protein not in sequences:
                    raise DataError(f"{path}: {protein} has no sequence in {files[0].name}")
                split_of[protein] = name
        unassigned = [p for p in sequences if p not in split_of]
        if unassigned:
            raise DataError(f"{files[0]}: {len(unassigned)} proteins in no split list, e.g. {unassigned[0]}")
        lengths = {p: len(s) for p, s in sequences.items()}
        labels = [_residue_labels(path, lengths) for path in label_files]
        df = pd.DataFrame(
            {
                "protein_id": pd.Series(list(sequences), dtype="str"),
                "sequence": pd.Series(list(sequences.values()), dtype="str"),
                "split": pd.Series([split_of[p] for p in sequences], dtype="str"),
            }
        )
        for cls, found in zip(_BP_CLASSES, labels, strict=True):
            df[cls] = object_column(list(found.get(p, [])) for p in sequences)
        df.attrs.update({"dataset": f"bindpredict/{subset}", "label_order": list(_BP_CLASSES)})
        return df

    return memo(("bindpredict", subset), files, build, list_columns=list(_BP_CLASSES))


def load_kinase_active_sites() -> pd.DataFrame:
    """Kinase-domain sequences with their 35 active-site residues (497 domains of 484 UniProt proteins).

    Columns: ``protein_id`` (UniProt; 13 proteins have two kinase domains, so ids repeat), ``aligned_sequence``
    (upstream ``aligned_protein_seq``: active-site residues upper-case, the rest lower-case; it has no gap
    characters), ``active_site`` (the 35-character string; '-' marks an alignment column this kinase lacks), and
    ``active_site_positions``: 0-based indices of the upper-case letters in ``aligned_sequence``, in order. They
    pair one-to-one with the non-'-' characters of ``active_site`` (checked on load), so a kinase with gaps has
    fewer than 35 positions, and one row whose active site is all '-' has [].
    """
    files = resolve_all(["binding_sites/kinase_activesite_alignment.smi"])
    path = files[0]

    def build() -> pd.DataFrame:
        raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        require_columns(raw, ["aligned_protein_seq", "active_site_seq", "protein_id"], path)
        positions = []
        for i, (aligned, site) in enumerate(
            zip(raw["aligned_protein_seq"], raw["active_site_seq"], strict=True)
        ):
            found = [k for k, c in enumerate(aligned) if c.isupper()]
            if "".join(aligned[k] for k in found) != site.replace("-", ""):
                raise DataError(f"{path}: row {i}: upper-case residues do not spell the active site {site!r}")
            positions.append(found)
        df = pd.DataFrame(
            {
                "protein_id": raw["protein_id"].astype("str"),
                "aligned_sequence": raw["aligned_protein_seq"].astype("str"),
                "active_site": raw["active_site_seq"].astype("str"),
                "active_site_positions": object_column(positions),
            }
        )
        df.attrs["dataset"] = "kinase_activesite"
        return df

    return memo(("kinase_active_sites",), files, build, list_columns=["active_site_positions"])
