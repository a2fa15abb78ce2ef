"""Deterministic train/val/test splits and k-folds for drug-target pair tables, random and cold.

Random splits let a model memorise drugs and targets it will see again at test time; cold splits measure
what users need: predictions for unseen drugs, unseen targets, or unseen chemotypes (DESIGN.md "Honest
evaluation"). Every split is a pure function of the table and the seed.

Kinds
-----
``random``       rows shuffled and cut by ``fractions`` (of rows).
``cold_drug``    drugs partitioned by ``fractions`` (of drugs); every pair follows its drug, so no
                 test drug appears in train or val.
``cold_target``  the same for targets.
``cold_both``    drugs and targets partitioned independently, each by ``fractions``. A pair is in a part
                 only when its drug and its target are both in that part; *mixed pairs are discarded*
                 (labelled ``"unused"``). With fractions (0.8, 0.1, 0.1) roughly 0.8² = 64 % of pairs
                 are train and 1 % each val and test; see :func:`describe_split`.
``scaffold``     rows grouped by the Bemis-Murcko scaffold of their SMILES, groups kept whole. Groups are
                 ordered as in chemprop's *balanced* scaffold split: groups larger than half the val or
                 test size first, then the rest, each block shuffled by the seed; each group then goes to
                 train if it fits, else val if it fits, else test. Sizes count rows (pairs), as chemprop.
                 Acyclic molecules share the empty scaffold ``""``; an unparsable SMILES is its own group
                 (one group per distinct string, so all pairs of that drug stay together).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from drugloop.errors import InputError

__all__ = ["PARTS", "SPLIT_KINDS", "describe_split", "kfold", "scaffold_groups", "split_pairs"]

SplitKind = Literal["random", "cold_drug", "cold_target", "cold_both", "scaffold"]
SPLIT_KINDS: tuple[str, ...] = ("random", "cold_drug", "cold_target", "cold_both", "scaffold")
PARTS: tuple[str, str, str] = ("train", "val", "test")
UNUSED = "unused"
UNUSED_FOLD = -1


# --------------------------------------------------------------------------- validation


def _check_kind(kind: str) -> None:
    if kind not in SPLIT_KINDS:
        raise InputError(f"unknown split kind {kind!r}; valid kinds: {', '.join(SPLIT_KINDS)}")


def _check_fractions(fractions: Sequence[float]) -> NDArray[np.float64]:
    try:
        f = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"fractions must be three numbers (train, val, test), got {fractions!r}") from None
    if f.shape != (3,):
        raise InputError(f"fractions must be three numbers (train, val, test), got {fractions!r}")
    if not np.isfinite(f).all() or (f < 0).any():
        raise InputError(f"fractions must be non-negative, got {list(fractions)}")
    if abs(f.sum() - 1.0) > 1e-6:
        raise InputError(f"fractions must sum to 1, got {list(fractions)} (sum {f.sum():g})")
    return f


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _column(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    if col not in df.columns:
        raise InputError(
            f"split needs a {role} column {col!r}; the table has {list(df.columns)} "
            f"(pass {role}_col= to name another)"
        )
    values = df[col]
    if values.isna().any():
        rows = list(df.index[values.isna().to_numpy()][:5])
        raise InputError(f"column {col!r} has missing values (rows {rows}); splits need a value in every row")
    return values


def _entity_codes(values: pd.Series) -> tuple[NDArray[np.intp], int]:
    """Integer code per row for its entity, with codes in sorted order of the ids (row-order free)."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.intp), len(uniques)


# --------------------------------------------------------------------------- allocation helpers


def _allocate(n: int, fractions: NDArray[np.float64]) -> NDArray[np.int64]:
    """Split n items into counts per part by largest remainder; a part with a positive fraction gets at
    least one item when there are enough items, so a small table never yields an empty test set."""
    raw = fractions * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:rest]] += 1
    wanted = fractions > 0
    if n >= int(wanted.sum()):
        for i in np.flatnonzero(wanted & (counts == 0)):
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[i] += 1
    return counts


def _partition_entities(n_entities: int, fractions: NDArray[np.float64], rng: np.random.Generator) -> NDArray:
    """Part index (0 train, 1 val, 2 test) for each of n entities: shuffle, then cut by counts."""
    counts = _allocate(n_entities, fractions)
    parts = np.repeat(np.arange(3), counts)
    out = np.empty(n_entities, dtype=np.int64)
    out[rng.permutation(n_entities)] = parts
    return out


def _labels(part_idx: NDArray[np.int64], index: pd.Index) -> pd.Series:
    names = np.array([*PARTS, UNUSED], dtype=object)
    return pd.Series(names[np.where(part_idx < 0, 3, part_idx)], index=index, name="split")


# --------------------------------------------------------------------------- scaffolds


def scaffold_groups(smiles: pd.Series | Sequence[str]) -> pd.Series:
    """Bemis-Murcko scaffold SMILES (no chirality) per row; unparsable SMILES map to ``"invalid:<smiles>"``.

    Computed once per distinct SMILES, so a pair table with many rows per drug stays cheap.
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem.Scaffolds import MurckoScaffold

    s = pd.Series(smiles)
    cache: dict[str, str] = {}
    with rdBase.BlockLogs():  # invalid SMILES are expected here; they are handled, not logged
        for smi in pd.unique(s.astype(str)):
            mol = Chem.MolFromSmiles(smi) if smi else None
            if mol is None or mol.GetNumAtoms() == 0:
                cache[smi] = f"invalid:{smi}"
                continue
            try:
                cache[smi] = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
            except (ValueError, RuntimeError):
                cache[smi] = f"invalid:{smi}"
    return s.astype(str).map(cache).rename("scaffold")


def _scaffold_codes(df: pd.DataFrame, smiles_col: str) -> tuple[NDArray[np.intp], int]:
    smiles = _column(df, smiles_col, "smiles")
    return _entity_codes(scaffold_groups(smiles.reset_index(drop=True)))


def _balanced_group_order(
    sizes: NDArray[np.int64], big: float, rng: np.random.Generator, big_by_size: bool = False
) -> NDArray:
    """chemprop's balanced order: groups larger than ``big`` first, then the rest, each block shuffled.

    With ``big_by_size`` the big block is sorted largest first instead (ties in seeded order), which
    packs folds more evenly.
    """
    ids = np.arange(sizes.size)
    is_big = sizes > big
    big_ids = rng.permutation(ids[is_big])
    if big_by_size:
        big_ids = big_ids[np.argsort(-sizes[big_ids], kind="stable")]
    return np.concatenate([big_ids, rng.permutation(ids[~is_big])])


# --------------------------------------------------------------------------- public API


def split_pairs(
    df: pd.DataFrame,
    kind: SplitKind | str = "random",
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    drug_col: str = "drug_id",
    target_col: str = "target_id",
    smiles_col: str = "smiles",
) -> pd.Series:
    """Assign every row of a pair table to ``"train"``, ``"val"``, ``"test"`` (or ``"unused"`` for
    ``cold_both``), deterministically under ``seed``; returns a Series aligned to ``df.index``.

    ``fractions`` are of rows for ``random`` and ``scaffold``, of entities (drugs, targets) for the cold
    kinds; the realised pair fractions are reported by :func:`describe_split`. See the module docstring
    for each kind.
    """
    _check_kind(kind)
    f = _check_fractions(fractions)
    rng = np.random.default_rng(_check_seed(seed))
    n = len(df)
    if kind == "random":
        part = _partition_entities(n, f, rng)
    elif kind in ("cold_drug", "cold_target"):
        col, role = (drug_col, "drug") if kind == "cold_drug" else (target_col, "target")
        codes, n_ent = _entity_codes(_column(df, col, role))
        part = _partition_entities(n_ent, f, rng)[codes]
    elif kind == "cold_both":
        d_codes, n_d = _entity_codes(_column(df, drug_col, "drug"))
        t_codes, n_t = _entity_codes(_column(df, target_col, "target"))
        d_part = _partition_entities(n_d, f, rng)[d_codes]
        t_part = _partition_entities(n_t, f, rng)[t_codes]
        part = np.where(d_part == t_part, d_part, -1)
    else:  # scaffold
        codes, n_groups = _scaffold_codes(df, smiles_col)
        sizes = np.bincount(codes, minlength=n_groups).astype(np.int64)
        targets = f * n
        order = _balanced_group_order(sizes, big=min(targets[1], targets[2]) / 2, rng=rng)
        group_part = np.empty(n_groups, dtype=np.int64)
        filled = np.zeros(3, dtype=np.int64)
        for g in order:
            size = sizes[g]
            if filled[0] + size <= targets[0]:
                p = 0
            elif filled[1] + size <= targets[1]:
                p = 1
            else:
                p = 2
            group_part[g] = p
            filled[p] += size
        part = group_part[codes] if n else np.empty(0, dtype=np.int64)
    return _labels(np.asarray(part, dtype=np.int64), df.index)


def kfold(
    df: pd.DataFrame,
    k: int = 5,
    kind: SplitKind | str = "random",
    seed: int = 0,
    drug_col: str = "drug_id",
    target_col: str = "target_id",
    smiles_col: str = "smiles",
) -> pd.Series:
    """Fold id 0..k-1 per row (aligned to ``df.index``), deterministic under ``seed``.

    Cold kinds are group k-folds: each drug (``cold_drug``), target (``cold_target``) or scaffold
    (``scaffold``) lies in exactly one fold, so a test fold never shares one with training folds.
    ``random`` and cold kinds deal shuffled rows/entities round-robin (fold sizes differ by at most one
    entity). ``scaffold`` assigns groups, largest first then the rest in seeded order, to the fold with the
    fewest rows so far (sizes balanced in rows). ``cold_both`` folds drugs and targets separately; a pair
    gets a fold only when both agree, mixed pairs get ``-1`` (unused), so roughly 1/k of pairs are used.
    Feed the result to :func:`drugloop.evaluate.protocols.cross_validate`.
    """
    _check_kind(kind)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise InputError(f"k must be an integer >= 2, got {k!r}")
    k = int(k)
    rng = np.random.default_rng(_check_seed(seed))

    def deal(n_items: int, what: str) -> NDArray[np.int64]:
        if n_items < k:
            raise InputError(f"cannot make {k} folds from {n_items} {what}")
        out = np.empty(n_items, dtype=np.int64)
        out[rng.permutation(n_items)] = np.arange(n_items) % k
        return out

    if kind == "random":
        fold = deal(len(df), "rows")
    elif kind in ("cold_drug", "cold_target"):
        col, role = (drug_col, "drug") if kind == "cold_drug" else (target_col, "target")
        codes, n_ent = _entity_codes(_column(df, col, role))
        fold = deal(n_ent, f"{role}s")[codes]
    elif kind == "cold_both":
        d_codes, n_d = _entity_codes(_column(df, drug_col, "drug"))
        t_codes, n_t = _entity_codes(_column(df, target_col, "target"))
        d_fold = deal(n_d, "drugs")[d_codes]
        t_fold = deal(n_t, "targets")[t_codes]
        fold = np.where(d_fold == t_fold, d_fold, UNUSED_FOLD)
    else:  # scaffold
        codes, n_groups = _scaffold_codes(df, smiles_col)
        if n_groups < k:
            raise InputError(f"cannot make {k} folds from {n_groups} scaffolds")
        sizes = np.bincount(codes, minlength=n_groups).astype(np.int64)
        order = _balanced_group_order(sizes, big=len(df) / (2 * k), rng=rng, big_by_size=True)
        group_fold = np.empty(n_groups, dtype=np.int64)
        load = np.zeros(k, dtype=np.int64)
        for g in order:
            j = int(np.argmin(load))
            group_fold[g] = j
            load[j] += sizes[g]
        fold = group_fold[codes]
    return pd.Series(np.asarray(fold, dtype=np.int64), index=df.index, name="fold")


def describe_split(
    df: pd.DataFrame,
    assignment: pd.Series,
    drug_col: str = "drug_id",
    target_col: str = "target_id",
) -> pd.DataFrame:
    """Realised sizes per part, to report next to any benchmark and to check a cold split is cold.

    One row per part (train, val, test, unused, or fold ids), columns ``pairs``, ``pair_fraction`` and,
    when the columns exist, ``drugs``/``targets`` (distinct entities) and ``drugs_in_train``/
    ``targets_in_train`` (how many of this part's entities also occur in train: 0 for the cold side).
    """
    if len(assignment) != len(df) or not assignment.index.equals(df.index):
        raise InputError("assignment must be aligned to the table's index (as split_pairs returns it)")
    parts = pd.unique(assignment)
    order = [p for p in (*PARTS, UNUSED) if p in set(parts)] or sorted(parts)
    order += [p for p in parts if p not in order]
    train_mask = (assignment == "train").to_numpy()
    rows = []
    for part in order:
        mask = (assignment == part).to_numpy()
        row: dict[str, object] = {
            "part": part,
            "pairs": int(mask.sum()),
            "pair_fraction": float(mask.mean()) if len(df) else 0.0,
        }
        for col, label in ((drug_col, "drugs"), (target_col, "targets")):
            if col in df.columns:
                ents = set(df.loc[mask, col])
                row[label] = len(ents)
                row[f"{label}_in_train"] = len(ents & set(df.loc[train_mask, col]))
        rows.append(row)
    return pd.DataFrame(rows).set_index("part")
