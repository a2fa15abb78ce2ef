"""Design plots: the running top-k mean they draw, and that each figure is a real PNG written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drugloop.design.plots import dmta_curves_png, learning_curve_bytes, running_top_k_mean

PNG = b"\x89PNG\r\n\x1a\n"


def test_running_top_k_mean_by_hand() -> None:
    out = running_top_k_mean(np.array([0.1, 0.5, 0.3, 0.9]), k=2)
    np.testing.assert_allclose(out, [0.1, 0.3, 0.4, 0.7])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60), st.integers(1, 12))
def test_running_top_k_mean_matches_sorting(scores: list[float], k: int) -> None:
    arr = np.array(scores)
    expected = [np.sort(arr[: i + 1])[::-1][:k].mean() for i in range(len(arr))]
    np.testing.assert_allclose(running_top_k_mean(arr, k), expected, atol=1e-9)


def test_learning_curve_and_dmta_curves_are_pngs(tmp_path: Path) -> None:
    assert learning_curve_bytes(np.random.default_rng(0).random(50)).startswith(PNG)
    curves = {
        "loop": [[(0.01, 0.0), (0.05, 0.5), (0.1, 0.6)], [(0.01, 0.1), (0.2, 0.5)]],
        "random": [[(0.01, 0.0), (0.5, 0.5)]],
    }
    path = dmta_curves_png(curves, tmp_path / "curves.png")
    assert path.read_bytes().startswith(PNG)
    assert not list(tmp_path.glob("*.tmp*"))  # atomic: no temp file left behind
