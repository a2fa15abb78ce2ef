"""The loop's surrogate: a bootstrap ensemble of gradient-boosted trees on fingerprints, and acquisition functions.

Features are a folded Morgan count fingerprint (radius 2, 2,048 bins) plus a few whole-molecule descriptors
(logP, TPSA, weight, ring and element counts, Bertz complexity), because objectives mix substructure and property
terms. Each ensemble member is a LightGBM regressor on a bootstrap resample; the spread across members is the
uncertainty used by UCB and expected improvement. Refitting on thousands of molecules takes about a second on one
core, so the loop can refit every cycle.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from rdkit import Chem, rdBase
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors
from scipy.stats import norm

from drugloop.errors import InputError

__all__ = [
    "ACQUISITIONS",
    "FingerprintEnsemble",
    "TanimotoGP",
    "tanimoto_matrix",
    "acquire",
    "featurize",
    "featurize_mols",
]

N_BITS = 2048
_DESCRIPTOR_NAMES = (
    "logp",
    "mr",
    "tpsa",
    "mw",
    "heavy",
    "rings",
    "arom_rings",
    "hbd",
    "hba",
    "rotb",
    "frac_csp3",
    *(f"n_{el}" for el in ("C", "H", "N", "O", "F", "S", "Cl", "Br", "P")),
)
_ELEMENTS = ("C", "H", "N", "O", "F", "S", "Cl", "Br", "P")
ACQUISITIONS = ("ucb", "ei", "greedy", "random")
_GEN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=N_BITS)
_FORMULA = re.compile(r"([A-Z][a-z]?)(\d*)")


def _descriptors(mol: Chem.Mol) -> list[float]:
    """Whole-molecule descriptors, all computed in RDKit's C++ layer (this runs on every candidate)."""
    logp, mr = rdMolDescriptors.CalcCrippenDescriptors(mol)
    counts: dict[str, int] = {}
    for element, n in _FORMULA.findall(rdMolDescriptors.CalcMolFormula(mol)):
        counts[element] = counts.get(element, 0) + (int(n) if n else 1)
    return [
        logp,
        mr,
        rdMolDescriptors.CalcTPSA(mol),
        rdMolDescriptors.CalcExactMolWt(mol),
        mol.GetNumHeavyAtoms(),
        rdMolDescriptors.CalcNumRings(mol),
        rdMolDescriptors.CalcNumAromaticRings(mol),
        rdMolDescriptors.CalcNumHBD(mol),
        rdMolDescriptors.CalcNumHBA(mol),
        rdMolDescriptors.CalcNumRotatableBonds(mol),
        rdMolDescriptors.CalcFractionCSP3(mol),
        *(counts.get(el, 0) for el in _ELEMENTS),
    ]


def featurize(smiles: Sequence[str]) -> sp.csr_matrix:
    """Sparse feature rows (Morgan counts, then descriptors); an invalid SMILES gets an all-zero row."""
    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(s) if s else None for s in smiles]
    return featurize_mols(mols)


def featurize_mols(mols: Sequence[Chem.Mol | None]) -> sp.csr_matrix:
    """As :func:`featurize`, from parsed molecules (the loop has parsed them already)."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    with rdBase.BlockLogs():
        for mol in mols:
            if mol is not None:
                counts = _GEN.GetCountFingerprint(mol).GetNonzeroElements()
                for key in sorted(counts):
                    indices.append(int(key))
                    data.append(float(counts[key]))
                for j, value in enumerate(_descriptors(mol)):
                    indices.append(N_BITS + j)
                    data.append(float(value))
            indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
        shape=(len(mols), N_BITS + len(_DESCRIPTOR_NAMES)),
    )


class FingerprintEnsemble:
    """``n_models`` LightGBM regressors on bootstrap resamples; ``predict`` returns (mean, std) over members."""

    def __init__(
        self,
        n_models: int = 4,
        *,
        n_estimators: int = 120,
        learning_rate: float = 0.08,
        num_leaves: int = 31,
        max_train: int = 4000,
        seed: int = 0,
    ) -> None:
        if n_models < 1:
            raise InputError("the surrogate needs at least one model")
        self.n_models = n_models
        self.params = {
            "n_estimators": n_estimators,
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_child_samples": 5,
            "subsample": 1.0,
            "colsample_bytree": 0.5,
            "n_jobs": 1,
            "verbose": -1,
        }
        self.max_train = max_train
        self.seed = seed
        self.models: list[object] = []
        self._fits = 0

    @property
    def fitted(self) -> bool:
        return bool(self.models)

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> FingerprintEnsemble:
        """Fit on features ``x`` and targets ``y``; above ``max_train`` rows keep the best half and a random rest."""
        import lightgbm as lgb

        y = np.asarray(y, dtype=float)
        if x.shape[0] != len(y):
            raise InputError("features and targets differ in length")
        rng = np.random.default_rng(self.seed * 1_000_003 + self._fits)
        self._fits += 1
        idx = np.arange(len(y))
        if (
            len(y) > self.max_train
        ):  # what matters for acquisition is the top: keep it all, subsample the rest
            order = np.argsort(-y, kind="stable")
            top = order[: self.max_train // 2]
            rest = rng.choice(order[self.max_train // 2 :], size=self.max_train - len(top), replace=False)
            idx = np.concatenate([top, rest])
        self.models = []
        for m in range(self.n_models):
            boot = rng.choice(idx, size=len(idx), replace=True) if self.n_models > 1 else idx
            model = lgb.LGBMRegressor(random_state=int(rng.integers(2**31 - 1)) + m, **self.params)
            model.fit(x[boot], y[boot])
            self.models.append(model)
        return self

    def predict(self, x: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        if not self.models:
            raise InputError("the surrogate has not been fitted")
        preds = np.stack([m.predict(x) for m in self.models])  # type: ignore[attr-defined]
        return preds.mean(axis=0), preds.std(axis=0)


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity between rows of two 0/1 matrices (molecules x bits)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 1.0)


class TanimotoGP:
    """Gaussian-process regression with the Tanimoto kernel on fingerprint bits (Ralaivola et al. 2005).

    Targets are standardised; ``noise`` is the noise variance in those units. Exact and cheap for the few
    hundred to few thousand points of a design cycle; ``predict`` returns (mean, standard deviation).
    """

    def __init__(self, noise: float = 0.1) -> None:
        if not noise > 0:
            raise InputError("the GP noise variance must be positive")
        self.noise = noise
        self._x: np.ndarray | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> TanimotoGP:
        self._x = np.asarray(x, dtype=np.float32)
        return self.fit_kernel(tanimoto_matrix(self._x, self._x), y)

    def fit_kernel(self, k_train: np.ndarray, y: np.ndarray) -> TanimotoGP:
        """Fit from a precomputed train x train kernel (e.g. slices of a library's full Tanimoto matrix)."""
        y = np.asarray(y, dtype=float)
        self._mu = float(y.mean())
        self._sd = float(y.std()) or 1.0
        k = np.array(k_train, dtype=float)
        k[np.diag_indices_from(k)] += self.noise
        self._chol = np.linalg.cholesky(k)
        z = (y - self._mu) / self._sd
        self._alpha = np.linalg.solve(self._chol.T, np.linalg.solve(self._chol, z))
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._x is None:
            raise InputError("the GP has not been fitted")
        return self.predict_kernel(tanimoto_matrix(np.asarray(x, dtype=np.float32), self._x))

    def predict_kernel(self, k_cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predict from a precomputed candidates x train kernel (unit prior variance)."""
        if not hasattr(self, "_alpha"):
            raise InputError("the GP has not been fitted")
        ks = np.asarray(k_cross, dtype=float)
        mean = ks @ self._alpha
        v = np.linalg.solve(self._chol, ks.T)
        var = np.maximum(1.0 - (v * v).sum(axis=0), 1e-12)
        return mean * self._sd + self._mu, np.sqrt(var) * self._sd


def acquire(
    mean: np.ndarray,
    std: np.ndarray,
    k: int,
    *,
    kind: str = "ucb",
    beta: float = 1.0,
    best: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Indices of the ``k`` candidates with the highest acquisition value (UCB, EI, greedy mean, or random)."""
    if kind not in ACQUISITIONS:
        raise InputError(f"unknown acquisition {kind!r}; choose from {', '.join(ACQUISITIONS)}")
    n = len(mean)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=int)
    if kind == "random":
        rng = rng or np.random.default_rng(0)
        return rng.choice(n, size=k, replace=False)
    if kind == "greedy":
        value = np.asarray(mean, dtype=float)
    elif kind == "ucb":
        value = np.asarray(mean) + beta * np.asarray(std)
    else:
        sd = np.maximum(np.asarray(std, dtype=float), 1e-9)
        z = (np.asarray(mean) - best) / sd
        value = (np.asarray(mean) - best) * norm.cdf(z) + sd * norm.pdf(z)
    order = np.lexsort((np.arange(n), -value))  # ties broken by position: deterministic
    return order[:k]


def expected_improvement(mean: float, std: float, best: float) -> float:
    """EI of one Gaussian prediction over ``best`` (for tests and docs)."""
    if std <= 0:
        return max(mean - best, 0.0)
    z = (mean - best) / std
    return (mean - best) * norm.cdf(z) + std * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
