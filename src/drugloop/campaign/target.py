"""Turn what a user types for a target (a DAVIS name, a UniProt id, a gene symbol or a FASTA file) into one protein.

The shipped binding sets name their targets differently (DAVIS by kinase name with mutation and phosphorylation
suffixes, KIBA by UniProt accession), so the campaign matches across them by exact sequence where it can and says
which names it matched. Unknown names end in one error with the closest names from the data.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from drugloop.errors import InputError

_MUTATION = re.compile(r"\(.*\)$")


@dataclass
class Target:
    """One protein for a campaign, with where it came from and the shipped data that names it."""

    name: str
    sequence: str
    gene: str | None
    source: str
    davis_ids: list[str] = field(default_factory=list)
    kiba_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["length"] = len(self.sequence)
        return out


def gene_of(davis_name: str) -> str:
    """DAVIS kinase name → gene-like symbol: drop the mutation in brackets and the trailing 'p' (phospho)."""
    base = _MUTATION.sub("", davis_name)
    if base.endswith("p") and base[:-1].isupper():
        base = base[:-1]
    return base


def _binding_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    from drugloop.data.loaders import load_davis, load_kiba

    return load_davis(), load_kiba()


def _targets(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("target_id")[["target_id", "sequence"]].reset_index(drop=True)


def resolve_target(spec: str) -> Target:
    """Resolve ``spec``: a FASTA path, a DAVIS target name, a KIBA UniProt id, or a gene symbol (case-insensitive)."""
    from drugloop.bio.fasta import read_fasta
    from drugloop.bio.protein import validate_sequence

    spec = spec.strip()
    if not spec:
        raise InputError("the target is empty: give a name (e.g. ABL1), a UniProt id or a FASTA file")
    davis, kiba = _binding_tables()
    d_targets, k_targets = _targets(davis), _targets(kiba)
    path = Path(spec)
    if path.suffix.lower() in {".fasta", ".fa", ".faa"} or path.is_file():
        if not path.is_file():
            raise InputError(f"no FASTA file at {path}")
        records = read_fasta(path)
        if not records:
            raise InputError(f"{path} holds no sequence")
        name, sequence = records[0].id, "".join(records[0].sequence.split())
        problem = validate_sequence(sequence)
        if problem:
            raise InputError(f"{path}: sequence {name!r} is not a protein sequence: {problem}")
        target = Target(name=str(name), sequence=str(sequence).upper(), gene=None, source=f"FASTA {path}")
    else:
        target = _by_name(spec, d_targets, k_targets)
    _link_by_sequence(target, d_targets, k_targets)
    return target


def _by_name(spec: str, d_targets: pd.DataFrame, k_targets: pd.DataFrame) -> Target:
    upper = spec.upper()
    for row in d_targets.itertuples(index=False):
        if row.target_id.upper() == upper:
            return Target(
                name=row.target_id, sequence=row.sequence, gene=gene_of(row.target_id), source="DAVIS"
            )
    for row in k_targets.itertuples(index=False):
        if row.target_id.upper() == upper:
            return Target(name=row.target_id, sequence=row.sequence, gene=None, source="KIBA (UniProt)")
    genes = {gene_of(t): t for t in d_targets["target_id"] if gene_of(t) == _MUTATION.sub("", t)}
    for gene, davis_id in genes.items():
        if gene.upper() == upper:
            seq = d_targets.loc[d_targets["target_id"] == davis_id, "sequence"].iloc[0]
            return Target(name=davis_id, sequence=seq, gene=gene, source="DAVIS")
    names = list(d_targets["target_id"]) + list(k_targets["target_id"])
    close = difflib.get_close_matches(spec, names, n=5, cutoff=0.5)
    close += [n for n in names if upper in n.upper() and n not in close][: 5 - len(close)]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `drugloop data info davis` lists the names"
    raise InputError(f"unknown target {spec!r}: not a DAVIS target, KIBA UniProt id or FASTA file{hint}")


def _link_by_sequence(target: Target, d_targets: pd.DataFrame, k_targets: pd.DataFrame) -> None:
    """Record every shipped target id with exactly this sequence, so known ligands come from both sets."""
    target.davis_ids = sorted(d_targets.loc[d_targets["sequence"] == target.sequence, "target_id"])
    target.kiba_ids = sorted(k_targets.loc[k_targets["sequence"] == target.sequence, "target_id"])
    if target.gene is None and target.davis_ids:
        target.gene = gene_of(target.davis_ids[0])


def pubchem_drug_names() -> dict[str, str]:
    """PubChem CID -> drug name, from the shipped tables that name their CIDs (GDSC drug list, approval drug info).

    DAVIS knows its ligands only by CID; a chemist reading a report wants "Imatinib". Where the two tables disagree
    the GDSC name wins (it is the one the cell-line step uses).
    """
    from drugloop.data.loaders import load_deepcdr_drugs, load_drug_approval

    names: dict[str, str] = {}
    info = load_drug_approval("drug_info")
    cids = info["stitch_id"].astype(str).str.replace(r"^CID[sm]?", "", regex=True).str.lstrip("0")
    for cid, name in zip(cids, info["drug_name"].astype(str), strict=True):
        if cid and name:
            names[cid] = name
    gdsc = load_deepcdr_drugs()
    for cid, name in zip(gdsc["pubchem_cid"], gdsc["drug_name"].astype(str), strict=True):
        cid = str(cid).strip()
        if cid.isdigit() and name:
            names[cid] = name
    return names


def known_ligands(target: Target) -> pd.DataFrame:
    """Measured compounds for the target in DAVIS (pKd) and KIBA (KIBA score), strongest first per set.

    ``name`` is the drug's name where a shipped table names its PubChem CID (DAVIS ligands), else empty.
    """
    davis, kiba = _binding_tables()
    parts = []
    if target.davis_ids:
        d = davis[davis["target_id"].isin(target.davis_ids)].assign(dataset="davis", unit="pKd")
        parts.append(d)
    if target.kiba_ids:
        k = kiba[kiba["target_id"].isin(target.kiba_ids)].assign(dataset="kiba", unit="KIBA score")
        parts.append(k)
    columns = ["dataset", "drug_id", "name", "target_id", "smiles", "affinity", "unit"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    names = pubchem_drug_names() if target.davis_ids else {}
    out["name"] = out["drug_id"].astype(str).map(names).fillna("")
    return out[columns].sort_values(["dataset", "affinity"], ascending=[True, False]).reset_index(drop=True)
