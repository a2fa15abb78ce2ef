"""A graph genetic algorithm: crossover and mutation directly on RDKit molecular graphs.

Written for drugloop from the idea in Jensen (Chem Sci 2019, "A graph-based genetic algorithm and generative
model/Monte Carlo tree search for the exploration of chemical space"): parents are chosen with probability
proportional to their score; crossover cuts each parent at an acyclic bond (or through a ring, at two bonds) and
joins a fragment of one to a fragment of the other; mutation edits the graph (append, insert, delete or change an
atom, change a bond order, open or close a ring). Offspring that RDKit cannot sanitise are dropped.

``GraphGA`` implements the :class:`drugloop.design.base.Generator` protocol: the loop scores what it proposes
and calls ``update`` with the scores, which keeps the best ``population_size`` molecules as the mating pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rdkit import Chem, rdBase

__all__ = ["GraphGA", "crossover", "mutate"]

# elements an edit may introduce, with how often (roughly the heavy-atom mix of drug-like molecules)
_ELEMENTS = ("C", "N", "O", "F", "S", "Cl", "Br")
_ELEMENT_P = np.array([0.55, 0.17, 0.15, 0.05, 0.04, 0.03, 0.01])
_VALENCE = {"C": 4, "N": 3, "O": 2, "F": 1, "S": 2, "Cl": 1, "Br": 1}
_MAX_HEAVY = 60


def _finish(rw: Chem.RWMol) -> Chem.Mol | None:
    """Sanitise an edited graph; None when it is not a valid molecule (or is fragmented / too large)."""
    try:
        mol = rw.GetMol()
        mol.UpdatePropertyCache(strict=True)
        Chem.SanitizeMol(mol)
    except Exception:
        return None
    if mol.GetNumAtoms() == 0 or mol.GetNumAtoms() > _MAX_HEAVY:
        return None
    if len(Chem.GetMolFrags(mol)) != 1:
        return None
    if any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms()):
        return None  # an edit left an atom short of hydrogens: not a molecule anyone would make
    return mol


def _kekule_rw(mol: Chem.Mol) -> Chem.RWMol:
    rw = Chem.RWMol(mol)
    Chem.Kekulize(rw, clearAromaticFlags=True)
    for atom in rw.GetAtoms():  # let RDKit recompute hydrogens after an edit instead of keeping stale counts
        if atom.GetAtomicNum() == 6 and not atom.GetFormalCharge():
            atom.SetNoImplicit(False)
            atom.SetNumExplicitHs(0)
    return rw


def _free_valence(atom: Chem.Atom) -> int:
    return int(atom.GetTotalNumHs())


def _pick_element(rng: np.random.Generator) -> str:
    return str(rng.choice(_ELEMENTS, p=_ELEMENT_P))


# --- mutations ----------------------------------------------------------------------------------------------


def _append_atom(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    sites = [a.GetIdx() for a in rw.GetAtoms() if _free_valence(a) > 0]
    if not sites:
        return False
    i = int(rng.choice(sites))
    element = _pick_element(rng)
    order = 1
    room = min(_free_valence(rw.GetAtomWithIdx(i)), _VALENCE[element])
    if room >= 2 and rng.random() < 0.15:
        order = 2 if room == 2 or rng.random() < 0.8 else 3
    j = rw.AddAtom(Chem.Atom(element))
    rw.AddBond(i, j, {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}[order])
    return True


def _insert_atom(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    bonds = [b for b in rw.GetBonds() if b.GetBondType() == Chem.BondType.SINGLE]
    if not bonds:
        return False
    bond = bonds[int(rng.integers(len(bonds)))]
    a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
    element = str(rng.choice(("C", "N", "O", "S"), p=(0.6, 0.2, 0.15, 0.05)))
    rw.RemoveBond(a, b)
    j = rw.AddAtom(Chem.Atom(element))
    rw.AddBond(a, j, Chem.BondType.SINGLE)
    rw.AddBond(j, b, Chem.BondType.SINGLE)
    return True


def _delete_atom(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    candidates = [a for a in rw.GetAtoms() if a.GetDegree() in (1, 2)]
    if not candidates or rw.GetNumAtoms() < 3:
        return False
    atom = candidates[int(rng.integers(len(candidates)))]
    neighbours = [n.GetIdx() for n in atom.GetNeighbors()]
    idx = atom.GetIdx()
    if len(neighbours) == 2:  # bridge the gap so the molecule stays in one piece
        if rw.GetBondBetweenAtoms(*neighbours) is not None:
            return False
        rw.AddBond(neighbours[0], neighbours[1], Chem.BondType.SINGLE)
    rw.RemoveAtom(idx)
    return True


def _change_atom(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    atom = rw.GetAtomWithIdx(int(rng.integers(rw.GetNumAtoms())))
    element = _pick_element(rng)
    if element == atom.GetSymbol():
        return False
    atom.SetAtomicNum(Chem.GetPeriodicTable().GetAtomicNumber(element))
    atom.SetFormalCharge(0)
    atom.SetNoImplicit(False)
    atom.SetNumExplicitHs(0)
    return True


def _change_bond_order(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    bonds = list(rw.GetBonds())
    if not bonds:
        return False
    bond = bonds[int(rng.integers(len(bonds)))]
    a, b = bond.GetBeginAtom(), bond.GetEndAtom()
    current = {Chem.BondType.SINGLE: 1, Chem.BondType.DOUBLE: 2, Chem.BondType.TRIPLE: 3}.get(
        bond.GetBondType()
    )
    if current is None:
        return False
    room = min(_free_valence(a), _free_valence(b))
    options = [o for o in (1, 2, 3) if o != current and o - current <= room]
    if bond.IsInRing():
        options = [o for o in options if o < 3]
    if not options:
        return False
    order = int(rng.choice(options))
    bond.SetBondType({1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}[order])
    return True


def _close_ring(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    """Bond two atoms 4 or 5 bonds apart (making a 5- or 6-membered ring)."""
    dist = Chem.GetDistanceMatrix(rw)
    free = [a.GetIdx() for a in rw.GetAtoms() if _free_valence(a) > 0]
    pairs = [(i, j) for i in free for j in free if i < j and dist[i, j] in (4, 5)]
    if not pairs:
        return False
    i, j = pairs[int(rng.integers(len(pairs)))]
    rw.AddBond(i, j, Chem.BondType.SINGLE)
    return True


def _open_ring(rw: Chem.RWMol, rng: np.random.Generator) -> bool:
    bonds = [b for b in rw.GetBonds() if b.IsInRing()]
    if not bonds:
        return False
    bond = bonds[int(rng.integers(len(bonds)))]
    rw.RemoveBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
    return True


_MUTATIONS: tuple[tuple[Callable[[Chem.RWMol, np.random.Generator], bool], float], ...] = (
    (_append_atom, 0.20),
    (_insert_atom, 0.15),
    (_delete_atom, 0.15),
    (_change_atom, 0.20),
    (_change_bond_order, 0.15),
    (_close_ring, 0.08),
    (_open_ring, 0.07),
)
_MUTATION_P = np.array([p for _, p in _MUTATIONS]) / sum(p for _, p in _MUTATIONS)


def mutate(mol: Chem.Mol, rng: np.random.Generator, tries: int = 8) -> Chem.Mol | None:
    """One random graph edit that yields a valid, connected molecule; None after ``tries`` failures."""
    with rdBase.BlockLogs():
        for _ in range(tries):
            rw = _kekule_rw(mol)
            op = _MUTATIONS[int(rng.choice(len(_MUTATIONS), p=_MUTATION_P))][0]
            try:
                if not op(rw, rng):
                    continue
            except Exception:
                continue
            out = _finish(rw)
            if out is not None:
                return out
    return None


# --- crossover ----------------------------------------------------------------------------------------------


class _Parent:
    """A mating-pool member prepared once: its Kekulé form and the bonds a crossover may cut."""

    __slots__ = ("acyclic", "kekule", "rings")

    def __init__(self, mol: Chem.Mol) -> None:
        self.kekule = _kekule_rw(mol).GetMol()
        single = Chem.BondType.SINGLE
        self.acyclic = [
            b.GetIdx() for b in self.kekule.GetBonds() if not b.IsInRing() and b.GetBondType() == single
        ]
        self.rings = [r for r in self.kekule.GetRingInfo().BondRings() if len(r) >= 5]


def _cut_acyclic(parent: _Parent, rng: np.random.Generator) -> Chem.Mol | None:
    """Cut one acyclic single bond; return one side with its dummy atom mapped 1."""
    if not parent.acyclic:
        return None
    bond = parent.acyclic[int(rng.integers(len(parent.acyclic)))]
    cut = Chem.FragmentOnBonds(parent.kekule, [bond], addDummies=True, dummyLabels=[(1, 1)])
    frags = Chem.GetMolFrags(cut, asMols=True, sanitizeFrags=False)
    frag = Chem.Mol(frags[int(rng.integers(len(frags)))])
    for atom in frag.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetAtomMapNum(1)
            atom.SetIsotope(0)
    return frag


def _cut_ring(parent: _Parent, rng: np.random.Generator) -> Chem.Mol | None:
    """Cut a ring at two non-adjacent single bonds; return one half with dummies mapped 1 and 2 (or None)."""
    if not parent.rings:
        return None
    mol = parent.kekule
    ring = parent.rings[int(rng.integers(len(parent.rings)))]
    n = len(ring)
    for _ in range(4):
        i, j = sorted(int(x) for x in rng.choice(n, size=2, replace=False))
        if j - i < 2 or (i == 0 and j == n - 1):
            continue
        b1, b2 = mol.GetBondWithIdx(ring[i]), mol.GetBondWithIdx(ring[j])
        if b1.GetBondType() != Chem.BondType.SINGLE or b2.GetBondType() != Chem.BondType.SINGLE:
            continue
        cut = Chem.FragmentOnBonds(mol, [ring[i], ring[j]], addDummies=True, dummyLabels=[(1, 1), (2, 2)])
        frags = Chem.GetMolFrags(cut, asMols=True, sanitizeFrags=False)
        if len(frags) != 2:
            continue  # a fused ring: cutting two of its bonds does not split the molecule
        frag = Chem.Mol(frags[int(rng.integers(2))])
        dummies = [a for a in frag.GetAtoms() if a.GetAtomicNum() == 0]
        if sorted(a.GetIsotope() for a in dummies) != [1, 2]:
            continue
        for atom in dummies:
            atom.SetAtomMapNum(atom.GetIsotope())
            atom.SetIsotope(0)
        return frag
    return None


def crossover(
    a: Chem.Mol | _Parent, b: Chem.Mol | _Parent, rng: np.random.Generator, tries: int = 6
) -> Chem.Mol | None:
    """Join a fragment of ``a`` to a fragment of ``b`` (ring or acyclic cut, chosen at random); None on failure."""
    pa = a if isinstance(a, _Parent) else _Parent(a)
    pb = b if isinstance(b, _Parent) else _Parent(b)
    with rdBase.BlockLogs():
        for _ in range(tries):
            try:
                if rng.random() < 0.5:
                    fa, fb = _cut_ring(pa, rng), _cut_ring(pb, rng)
                else:
                    fa, fb = _cut_acyclic(pa, rng), _cut_acyclic(pb, rng)
                if fa is None or fb is None:
                    continue
                joined = Chem.molzip(fa, fb)
            except Exception:
                continue
            out = _finish(Chem.RWMol(joined))
            if out is not None:
                return out
    return None


# --- the generator ------------------------------------------------------------------------------------------


class GraphGA:
    """Graph GA as a generator: the mating pool is the best ``population_size`` molecules scored so far.

    ``seed_smiles`` (e.g. a random ZINC250k sample) is proposed first while nothing has been scored; after that,
    each proposal is a crossover of two score-weighted parents followed, with ``mutation_rate``, by a mutation.
    """

    name = "graph_ga"

    def __init__(
        self,
        seed_smiles: Sequence[str] = (),
        *,
        population_size: int = 120,
        mutation_rate: float = 0.067,
    ) -> None:
        self.population_size = int(population_size)
        self.mutation_rate = float(mutation_rate)
        self._seed = list(seed_smiles)
        self._pool: dict[str, float] = {}
        self._parents: dict[str, _Parent | None] = {}

    @property
    def population(self) -> list[tuple[str, float]]:
        return sorted(self._pool.items(), key=lambda kv: (-kv[1], kv[0]))

    def update(self, smiles: Sequence[str], scores: Sequence[float]) -> None:
        for s, v in zip(smiles, scores, strict=True):
            if v is None or not np.isfinite(v):
                continue
            self._pool[s] = max(float(v), self._pool.get(s, float("-inf")))
        if len(self._pool) > self.population_size:
            keep = self.population[: self.population_size]
            self._pool = dict(keep)
        self._parents = {s: p for s, p in self._parents.items() if s in self._pool}

    def _parent(self, smiles: str) -> _Parent | None:
        if smiles not in self._parents:
            with rdBase.BlockLogs():
                mol = Chem.MolFromSmiles(smiles)
                try:
                    self._parents[smiles] = _Parent(mol) if mol is not None else None
                except Exception:
                    self._parents[smiles] = None
        return self._parents[smiles]

    def propose(self, n: int, rng: np.random.Generator) -> list[str]:
        if len(self._pool) < 2:
            if not self._seed:
                return []
            idx = rng.choice(len(self._seed), size=min(n, len(self._seed)), replace=False)
            return [self._seed[int(i)] for i in idx]
        smiles = [s for s, _ in self.population]
        weights = np.array([max(v, 0.0) for _, v in self.population]) + 1e-6
        weights = weights / weights.sum()
        out: list[str] = []
        attempts = 0
        while len(out) < n and attempts < 4 * n:
            attempts += 1
            i, j = rng.choice(len(smiles), size=2, replace=True, p=weights)
            a, b = self._parent(smiles[int(i)]), self._parent(smiles[int(j)])
            if a is None or b is None:
                continue
            child = crossover(a, b, rng)
            if child is None:
                continue
            if rng.random() < self.mutation_rate:
                child = mutate(child, rng)
                if child is None:
                    continue
            try:
                out.append(Chem.MolToSmiles(child))
            except Exception:
                continue
        return out
