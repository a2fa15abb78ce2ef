"""Seed repeats and cross-validation collect every run and never test on the validation fold."""

from __future__ import annotations

import numpy as np
import pytest

from drugloop.errors import InputError
from drugloop.evaluate.protocols import collect, cross_validate, fold_indices, repeat_over_seeds


def test_repeat_over_seeds_collects_in_order() -> None:
    out = repeat_over_seeds(lambda s: {"mse": s / 10, "ci": 1 - s / 10}, [0, 1, 2])
    assert out == {"mse": [0.0, 0.1, 0.2], "ci": [1.0, 0.9, 0.8]}
    with pytest.raises(InputError, match="repeat"):
        repeat_over_seeds(lambda s: {"a": 1.0}, [1, 1])
    with pytest.raises(InputError, match="at least one seed"):
        repeat_over_seeds(lambda s: {"a": 1.0}, [])


def test_collect_rejects_inconsistent_runs() -> None:
    with pytest.raises(InputError, match="same metrics"):
        collect([{"a": 1.0}, {"b": 2.0}])


def test_fold_indices_partition_rows() -> None:
    folds = np.array([0, 1, 2, 0, 1, 2, -1, 0])
    seen_test = []
    for train, val, test in fold_indices(folds):
        assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
        assert 6 not in set(train) | set(val) | set(test)  # unused rows stay out
        assert len(train) + len(val) + len(test) == 7
        seen_test.extend(test)
    assert sorted(seen_test) == [0, 1, 2, 3, 4, 5, 7]  # every used row is tested exactly once
    _, val, _ = fold_indices(folds, val="none")[0]
    assert val.size == 0
    with pytest.raises(InputError, match="at least 3 folds"):
        fold_indices(np.array([0, 1, 0, 1]))


def test_cross_validate_passes_indices() -> None:
    folds = np.repeat(np.arange(4), 5)
    out = cross_validate(lambda tr, va, te: {"n_train": len(tr), "n_test": len(te)}, folds)
    assert out == {"n_train": [10.0] * 4, "n_test": [5.0] * 4}
