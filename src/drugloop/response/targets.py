"""Which GDSC drugs hit which genes, from the evidence shipped with the data (the GDSC response table has none).

The TGSA copy of GDSC (:func:`drugloop.data.loaders.response.load_gdsc`, 170 drugs) names drugs and gives their
PubChem CID and SMILES but no targets. Two shipped sources link them to genes:

``gdsc_annotation``
    GDSC's own drug annotation (``Targets`` column of the 2019 GDSC drug list that DeepCDR ships,
    :func:`~drugloop.data.loaders.response.load_deepcdr_drugs`). A TGSA drug is matched to it by PubChem CID, else
    by name or synonym (case and punctuation ignored); 70 of the 170 drugs match (the TGSA screen is a later
    release than the 2019 list). GDSC writes targets in its own vocabulary (``ABL``, ``BCR-ABL``, ``MEK1``,
    ``PI3Kalpha``, ``VEGFR2``); :data:`GDSC_ALIASES` turns those into HGNC symbols, families into all members
    (``ABL`` -> ABL1, ABL2). Mechanism words ("DNA crosslinker", "Proteasome") name no gene and are dropped, and so
    do a few vague ones ("Ephrins", "TRCB").
``davis_kd``
    Measured binding in DAVIS (Kd, 68 kinase inhibitors x 442 kinase constructs). A TGSA drug is the same molecule
    as a DAVIS ligand when the PubChem CIDs or the InChIKey skeletons (first block) agree: 19 drugs. A gene counts as
    hit when the drug's best Kd over the gene's constructs (mutants and phospho forms included) is at most 100 nM
    (pKd >= 7) **and** within 10-fold of the drug's strongest Kd on any kinase, so that promiscuous inhibitors
    (staurosporine binds 228 genes at pKd >= 7) count only for their primary targets. DAVIS kinase names become
    HGNC symbols through :data:`DAVIS_ALIASES` (``MEK1`` -> MAP2K1, ``p38-alpha`` -> MAPK14).

Not used: the STITCH links in ``drug_approval/`` (only 36 of the 170 drugs are there by CID, none of the ABL
inhibitors, and STITCH mixes text mining into its scores) and the organoid study's ``drug_drugTarget.txt``
(apparently DrugBank-derived: it lists carriers and metabolising enzymes as targets, e.g. erlotinib -> NR1I2,
cisplatin -> TF, A2M).
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

DAVIS_MIN_PKD = 7.0  # Kd <= 100 nM
DAVIS_WINDOW = 1.0  # within 10-fold of the drug's strongest Kd

#: GDSC target vocabulary -> HGNC symbols (tokens that already are HGNC symbols need no entry).
GDSC_ALIASES: dict[str, tuple[str, ...]] = {
    "ABL": ("ABL1", "ABL2"),
    "BCR-ABL": ("ABL1",),
    "ADCK4": ("COQ8B",),
    "ALK4": ("ACVR1B",),
    "ALK5": ("TGFBR1",),
    "ANGIOPOIETIN-1 RECEPTOR": ("TEK",),
    "BCL-W": ("BCL2L2",),
    "BCL-XL": ("BCL2L1",),
    "BET": ("BRD2", "BRD3", "BRD4", "BRDT"),
    "CAMK2": ("CAMK2A", "CAMK2B", "CAMK2D", "CAMK2G"),
    "DNAPK": ("PRKDC",),
    "ERK1": ("MAPK3",),
    "ERK2": ("MAPK1",),
    "ERK5": ("MAPK7",),
    "FAK": ("PTK2",),
    "FAK2": ("PTK2B",),
    "FXR": ("NR1H4",),
    "G9A AND GLP METHYLTRANSFERASES": ("EHMT2", "EHMT1"),
    "HDAC1-10": tuple(f"HDAC{i}" for i in range(1, 11)),
    "HSP90": ("HSP90AA1", "HSP90AB1"),
    "IKK": ("CHUK", "IKBKB"),
    "IKK1": ("CHUK",),
    "IKK2": ("IKBKB",),
    "IKKB": ("IKBKB",),
    "IR": ("INSR",),
    "JNK": ("MAPK8", "MAPK9", "MAPK10"),
    "JNK1": ("MAPK8",),
    "JNK2": ("MAPK9",),
    "JNK3": ("MAPK10",),
    "KSP": ("KIF11",),
    "LOK": ("STK10",),
    "LXR": ("NR1H3", "NR1H2"),
    "MEK1": ("MAP2K1",),
    "MEK2": ("MAP2K2",),
    "MEK5": ("MAP2K5",),
    "MPS1": ("TTK",),
    "MTORC1": ("MTOR",),
    "MTORC2": ("MTOR",),
    "N-MYRISTOYLTRANSFERASE 1/2": ("NMT1", "NMT2"),
    "NAE": ("NAE1", "UBA3"),
    "PB1": ("PBRM1",),
    "PDGFR": ("PDGFRA", "PDGFRB"),
    "PI3K (CLASS 1)": ("PIK3CA", "PIK3CB", "PIK3CD", "PIK3CG"),
    "PI3KALPHA": ("PIK3CA",),
    "PI3KBETA": ("PIK3CB",),
    "PI3KDELTA": ("PIK3CD",),
    "PI3KGAMMA": ("PIK3CG",),
    "PKC": ("PRKCA", "PRKCB", "PRKCG"),
    "PKCB": ("PRKCB",),
    "PPARDELTA": ("PPARD",),
    "PPARGAMMA": ("PPARG",),
    "PROCASPASE-3": ("CASP3",),
    "PROCASPASE-7": ("CASP7",),
    "RAF": ("ARAF", "BRAF", "RAF1"),
    "RAR": ("RARA", "RARB", "RARG"),
    "RNA HELICASE A": ("DHX9",),
    "ROCK": ("ROCK1", "ROCK2"),
    "RON": ("MST1R",),
    "RSK": ("RPS6KA1", "RPS6KA2", "RPS6KA3"),
    "RSK2": ("RPS6KA3",),
    "S6K1": ("RPS6KB1",),
    "TAK": ("MAP3K7",),
    "TAK1": ("MAP3K7",),
    "TIE2": ("TEK",),
    "TNKS1": ("TNKS",),
    "TOP2": ("TOP2A", "TOP2B"),
    "VEGFR": ("FLT1", "KDR", "FLT4"),
    "VEGFR1": ("FLT1",),
    "VEGFR2": ("KDR",),
    "VEGFR3": ("FLT4",),
    "C-FGR": ("FGR",),
    "P38": ("MAPK14", "MAPK11", "MAPK12", "MAPK13"),
    "P38ALPHA": ("MAPK14",),
    "P38BETA": ("MAPK11",),
}

#: DAVIS kinase names that are not HGNC symbols -> HGNC symbols (DAVIS also uses ERK1, MEK1, VEGFR2, ... above).
DAVIS_ALIASES: dict[str, tuple[str, ...]] = {
    "ADCK3": ("COQ8A",),
    "AMPK-ALPHA1": ("PRKAA1",),
    "AMPK-ALPHA2": ("PRKAA2",),
    "ARK5": ("NUAK1",),
    "ASK1": ("MAP3K5",),
    "ASK2": ("MAP3K6",),
    "BIKE": ("BMP2K",),
    "BRK": ("PTK6",),
    "CDK4-CYCLIND1": ("CDK4",),
    "CDK4-CYCLIND3": ("CDK4",),
    "CTK": ("MATK",),
    "DCAMKL1": ("DCLK1",),
    "DCAMKL2": ("DCLK2",),
    "DCAMKL3": ("DCLK3",),
    "DLK": ("MAP3K12",),
    "ERK3": ("MAPK6",),
    "ERK4": ("MAPK4",),
    "ERK8": ("MAPK15",),
    "GCN2": ("EIF2AK4",),
    "HPK1": ("MAP4K1",),
    "IKK-ALPHA": ("CHUK",),
    "IKK-BETA": ("IKBKB",),
    "IKK-EPSILON": ("IKBKE",),
    "LKB1": ("STK11",),
    "LZK": ("MAP3K13",),
    "MEK3": ("MAP2K3",),
    "MEK4": ("MAP2K4",),
    "MEK6": ("MAP2K6",),
    "MINK": ("MINK1",),
    "MKK7": ("MAP2K7",),
    "MLK1": ("MAP3K9",),
    "MLK2": ("MAP3K10",),
    "MLK3": ("MAP3K11",),
    "MST1": ("STK4",),  # the DAVIS kinase, not HGNC MST1 (macrophage stimulating 1)
    "MST2": ("STK3",),
    "MST3": ("STK24",),
    "MST4": ("STK26",),
    "P38-ALPHA": ("MAPK14",),
    "P38-BETA": ("MAPK11",),
    "P38-DELTA": ("MAPK13",),
    "P38-GAMMA": ("MAPK12",),
    "PKAC-ALPHA": ("PRKACA",),
    "PKAC-BETA": ("PRKACB",),
    "PRKR": ("EIF2AK2",),
    "PYK2": ("PTK2B",),
    "QSK": ("SIK3",),
    "RSK1": ("RPS6KA1",),
    "RSK3": ("RPS6KA2",),
    "RSK4": ("RPS6KA6",),
    "SIK": ("SIK1",),
    "SNARK": ("NUAK2",),
    "TRKA": ("NTRK1",),
    "TRKB": ("NTRK2",),
    "TRKC": ("NTRK3",),
    "YES": ("YES1",),
    "YSK1": ("STK25",),
    "ZAK": ("MAP3K20",),
}
#: Both vocabularies, for names of campaign targets and DAVIS constructs (GDSC tokens use GDSC_ALIASES only).
ALIASES: dict[str, tuple[str, ...]] = {**GDSC_ALIASES, **DAVIS_ALIASES}

COLUMNS = ["drug_name", "gene", "source", "evidence"]
_PAREN = re.compile(r"\(([^()]*)\)")
_DAVIS_MUTATION = re.compile(r"\(.*\)$")


def davis_gene(target_id: str) -> str:
    """DAVIS construct -> kinase name: drop the phospho ``p`` and the mutation or domain in brackets.

    ``ABL1p``, ``ABL1(T315I)`` and ``ABL1(F317L)p`` all give ``ABL1``; ``p38-alpha`` stays as it is.
    """
    base = str(target_id).strip()
    if base.endswith("p") and (base[:-1].endswith(")") or base[:-1].isupper()):
        base = base[:-1]
    return _DAVIS_MUTATION.sub("", base)


def gene_symbols(name: str) -> tuple[str, ...]:
    """A gene or kinase name as HGNC symbols: aliases (GDSC and DAVIS names) resolved, anything else upper-cased.

    ``ABL1`` -> (ABL1,), ``ABL1(T315I)p`` -> (ABL1,), ``MEK1`` -> (MAP2K1,), ``p38-alpha`` -> (MAPK14,).
    """
    key = davis_gene(name).upper()
    return ALIASES.get(key, (key,)) if key else ()


def _key(text: object) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


@functools.cache
def _approved_symbols() -> frozenset[str]:
    from drugloop.data.loaders.networks import load_gene_symbols

    symbols = load_gene_symbols()["symbol"]
    return frozenset(s.upper() for s in symbols if "~" not in s)


def gdsc_target_symbols(text: object, approved: frozenset[str] | None = None) -> list[str]:
    """A GDSC ``Targets`` cell (comma-separated, GDSC's names) -> HGNC symbols, in order, without repeats.

    A token is taken as it is when it is an approved HGNC symbol (case-insensitive: ``mTOR`` -> MTOR), through
    :data:`GDSC_ALIASES` otherwise; a mutant in brackets is dropped (``ABL(T315I)`` -> ABL1, ABL2) and a symbol in
    brackets or after a slash is used when the rest is prose (``PDK1 (PDPK1)`` -> PDPK1, ``VEGFR3/FLT4`` -> FLT4).
    """
    approved = _approved_symbols() if approved is None else approved
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    out: list[str] = []
    for raw in str(text).split(","):
        token = raw.strip().upper()
        if not token:
            continue
        candidates = [token, _PAREN.sub("", token).strip(), *_PAREN.findall(token), *token.split("/")]
        for cand in candidates:
            cand = cand.strip()
            genes = GDSC_ALIASES.get(cand) or ((cand,) if cand in approved else ())
            if genes:
                out.extend(g for g in genes if g not in out)
                break
    return out


def _inchikey_skeleton(smiles: object) -> str | None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(str(smiles)) if isinstance(smiles, str) and smiles else None
    return Chem.MolToInchiKey(mol).split("-")[0] if mol is not None else None


def _gdsc_drugs() -> pd.DataFrame:
    """TGSA GDSC drugs: drug_name, cid (str), smiles."""
    from drugloop.data.loaders._common import resolve_all

    path = resolve_all(["gdsc/drug_smiles.csv"])[0]
    drugs = pd.read_csv(path, dtype={"CID": "str"}, keep_default_na=False)
    return pd.DataFrame(
        {
            "drug_name": drugs["drug_name"].astype(str),
            "cid": drugs["CID"].str.strip(),
            "smiles": drugs["CanonicalSMILES"].astype(str),
        }
    )


def annotation_links() -> pd.DataFrame:
    """``gdsc_annotation`` links: TGSA drugs matched to GDSC's 2019 drug list, targets as HGNC symbols."""
    from drugloop.data.loaders.response import load_deepcdr_drugs

    ours = _gdsc_drugs()
    listed = load_deepcdr_drugs()
    by_cid: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    by_synonym: dict[str, list[int]] = {}
    for i, row in enumerate(listed.itertuples(index=False)):
        if row.pubchem_cid:
            by_cid.setdefault(str(row.pubchem_cid), []).append(i)
        by_name.setdefault(_key(row.drug_name), []).append(i)
        for syn in str(row.synonyms or "").split(","):
            if _key(syn):
                by_synonym.setdefault(_key(syn), []).append(i)
    records = []
    for drug in ours.itertuples(index=False):
        tries = (
            ("PubChem CID", by_cid.get(drug.cid)),
            ("name", by_name.get(_key(drug.drug_name))),
            ("synonym", by_synonym.get(_key(drug.drug_name))),
        )
        how, hits = next(((h, i) for h, i in tries if i), ("", None))
        if not hits:
            continue
        for i in hits:  # a drug screened under two GDSC ids: the union of both annotations
            row = listed.iloc[i]
            for gene in gdsc_target_symbols(row["targets"]):
                records.append(
                    {
                        "drug_name": drug.drug_name,
                        "gene": gene,
                        "source": "gdsc_annotation",
                        "evidence": f"GDSC drug {row['drug_id']} ({how} match) targets: {row['targets']}",
                    }
                )
    return pd.DataFrame.from_records(records, columns=COLUMNS).drop_duplicates(["drug_name", "gene"])


def davis_links(min_pkd: float = DAVIS_MIN_PKD, window: float = DAVIS_WINDOW) -> pd.DataFrame:
    """``davis_kd`` links: genes a TGSA drug binds at pKd >= ``min_pkd`` within ``window`` log units of its best."""
    from drugloop.data.loaders import load_davis

    ours = _gdsc_drugs()
    davis = load_davis()
    ligands = davis.drop_duplicates("drug_id")[["drug_id", "smiles"]]
    skeleton = {
        _inchikey_skeleton(s): str(d) for d, s in zip(ligands["drug_id"], ligands["smiles"], strict=True)
    }
    skeleton.pop(None, None)
    cids = set(ligands["drug_id"].astype(str))
    same: dict[str, str] = {}
    for drug in ours.itertuples(index=False):
        match = drug.cid if drug.cid in cids else skeleton.get(_inchikey_skeleton(drug.smiles))
        if match:
            same[match] = drug.drug_name
    hit = davis[davis["drug_id"].astype(str).isin(same)].copy()
    hit["gene"] = hit["target_id"].map(lambda t: gene_symbols(t)[0])
    best_gene = hit.sort_values("affinity", ascending=False).drop_duplicates(["drug_id", "gene"])
    best_drug = hit.groupby("drug_id")["affinity"].transform("max")
    top = best_gene.assign(best=best_drug.loc[best_gene.index])
    top = top[(top["affinity"] >= min_pkd) & (top["affinity"] >= top["best"] - window)]
    records = [
        {
            "drug_name": same[str(r.drug_id)],
            "gene": r.gene,
            "source": "davis_kd",
            "evidence": f"DAVIS {r.target_id} Kd {10 ** (9 - r.affinity):.3g} nM (PubChem {r.drug_id})",
        }
        for r in top.sort_values(["drug_id", "affinity"], ascending=[True, False]).itertuples()
    ]
    return pd.DataFrame.from_records(records, columns=COLUMNS)


@functools.cache
def _all_links() -> pd.DataFrame:
    return pd.concat([annotation_links(), davis_links()], ignore_index=True)


def gdsc_drug_targets() -> pd.DataFrame:
    """Every (GDSC drug, target gene) link from both sources: ``drug_name, gene, source, evidence``."""
    return _all_links().copy()


def drugs_for_target(gene: str) -> pd.DataFrame:
    """The GDSC drugs (TGSA names) that hit ``gene``, one row each: ``drug_name, smiles, sources, evidence``.

    Empty when no source links a GDSC drug to the gene, i.e. the gene is not a cancer drug target *in the response
    data* (it may still be one elsewhere). Rows are sorted by the number of sources, then by name.
    """
    links = _all_links()
    mine = links[links["gene"].isin(gene_symbols(gene))]
    smiles = dict(zip(*_gdsc_drugs()[["drug_name", "smiles"]].to_numpy().T, strict=True))
    rows = [
        {
            "drug_name": name,
            "smiles": smiles.get(name, ""),
            "sources": ", ".join(sorted(set(g["source"]))),
            "evidence": "; ".join(g["evidence"]),
        }
        for name, g in mine.groupby("drug_name", sort=True)
    ]
    out = pd.DataFrame.from_records(rows, columns=["drug_name", "smiles", "sources", "evidence"])
    if out.empty:
        return out
    order = out["sources"].str.count(",").rank(method="first", ascending=False)
    return out.assign(_o=order).sort_values(["_o", "drug_name"]).drop(columns="_o").reset_index(drop=True)
