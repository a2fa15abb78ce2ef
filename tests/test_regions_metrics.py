"""Region IoU / AP / top-n and per-residue metrics against hand-computed cases; the identity filter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drugloop.errors import InputError
from drugloop.evaluate.regions import (
    average_precision,
    best_threshold,
    interval_iou,
    iou_matrix,
    match_regions,
    mcc,
    regions_from_mask,
    regions_from_residues,
    residue_metrics,
    top_n_success,
)


def test_interval_iou_hand_cases() -> None:
    assert interval_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert interval_iou((0, 10), (0, 10)) == 1.0
    assert interval_iou((0, 10), (10, 20)) == 0.0  # half-open: touching is not overlapping
    assert interval_iou((0, 20), (5, 10)) == pytest.approx(5 / 20)
    assert interval_iou((3, 3), (3, 3)) == 0.0
    m = iou_matrix([(0, 10), (20, 30)], [(5, 15), (20, 30), (100, 110)])
    np.testing.assert_allclose(m, [[1 / 3, 0, 0], [0, 1, 0]])
    with pytest.raises(InputError):
        interval_iou((10, 0), (0, 5))


def test_average_precision_hand_computed() -> None:
    # sample A: one true region, found. Sample B: two true regions; ranked hits TP, FP, TP.
    trues = [[(0, 10)], [(20, 30), (50, 60)]]
    preds = [[(0, 10, 0.9)], [(22, 30, 0.8), (70, 80, 0.7), (50, 58, 0.6)]]
    # pooled ranking: TP(.9) TP(.8) FP(.7) TP(.6): precision 1, 1, 2/3, 3/4 at recall 1/3, 2/3, 2/3, 1
    # all-point interpolation: 1/3*1 + 1/3*1 + 1/3*0.75
    assert average_precision(preds, trues, 0.5) == pytest.approx(11 / 12)
    # top-n: A keeps 1 (hit); B keeps its 2 best: (22,30) hit, (70,80) miss -> 2 of 3 true regions
    assert top_n_success(preds, trues, 0.5) == pytest.approx(2 / 3)
    # at IoU 0.9 only the exact (0,10) is a hit: TP, FP, FP, FP -> AP = 1/3
    assert average_precision(preds, trues, 0.9) == pytest.approx(1 / 3)


def test_ap_duplicates_and_ranking() -> None:
    trues = [[(0, 10)]]
    # two predictions on the same true region: the second is a false positive (one-to-one matching)
    assert match_regions([(0, 10, 0.5), (1, 10, 0.9)], trues[0]) == [True, False]
    # a confident false positive ranked first halves the precision at full recall
    assert average_precision([[(50, 60, 0.9), (0, 10, 0.1)]], trues) == pytest.approx(0.5)
    # a sample with true regions but no prediction still counts in the recall denominator
    assert average_precision([[(0, 10, 0.9)], []], [[(0, 10)], [(5, 9)]]) == pytest.approx(0.5)
    assert average_precision([[]], [[(0, 10)]]) == 0.0
    assert math.isnan(average_precision([[(0, 1, 1.0)]], [[]]))
    with pytest.raises(InputError):
        average_precision([[]], [[], []])


def test_regions_from_residues_reproduces_hots_rule() -> None:
    # HoTS BR_test_dataset_1 row 0 (P00378): these binding residues give exactly its six regions
    idx = [
        6,
        7,
        8,
        9,
        14,
        15,
        16,
        17,
        18,
        19,
        20,
        21,
        22,
        23,
        29,
        33,
        51,
        52,
        53,
        54,
        55,
        56,
        58,
        74,
        75,
        76,
        77,
        78,
        89,
        90,
        91,
        92,
        114,
        115,
        116,
        117,
        118,
        119,
        120,
        122,
        144,
        145,
        146,
    ]
    assert regions_from_residues(idx, 189) == [(1, 38), (46, 63), (69, 83), (84, 97), (109, 127), (139, 151)]
    assert regions_from_residues([0, 187], 189) == [(0, 5), (182, 189)]  # clipped at both ends
    assert regions_from_mask([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]
    with pytest.raises(InputError):
        regions_from_residues([200], 189)


def test_residue_metrics_hand_computed() -> None:
    y = [np.array([1, 1, 0, 0]), np.array([0, 1])]
    s = [np.array([0.9, 0.4, 0.6, 0.1]), np.array([0.2, 0.8])]
    m = residue_metrics(y, s, threshold=0.5)
    # predicted positive: 0.9(T) 0.6(F) 0.8(T); tp=2 fp=1 fn=1 tn=2
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["mcc"] == pytest.approx((2 * 2 - 1 * 1) / math.sqrt(3 * 3 * 3 * 3))
    # AUROC: positives .9 .4 .8 vs negatives .6 .1 .2 -> 8 of 9 pairs ordered
    assert m["auroc"] == pytest.approx(8 / 9)
    assert mcc([0, 0], [0, 0]) == 0.0
    with pytest.raises(InputError):
        residue_metrics([np.array([1, 0])], [np.array([0.5])])
    t = best_threshold([np.array([0, 0, 1, 1] * 50)], [np.array([0.1, 0.2, 0.7, 0.9] * 50)])
    assert 0.2 < t <= 0.7


def test_identity_filter_removes_a_test_twin() -> None:
    from drugloop.binding.identity import filter_by_identity, max_identity, pairwise_identity

    rng = np.random.default_rng(0)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    test_protein = "".join(rng.choice(aa, 300))
    twin = list(test_protein)
    for i in rng.choice(300, 15, replace=False):  # 95% identical
        twin[i] = "W" if twin[i] != "W" else "A"
    twin = "".join(twin)
    fragment = test_protein[40:240]  # a domain of the test protein: identical over the shorter sequence
    distant = "".join(rng.choice(aa, 280))
    homolog = list(test_protein)
    for i in rng.choice(300, 150, replace=False):  # ~50% identical
        homolog[i] = rng.choice(aa)
    homolog = "".join(homolog)
    assert pairwise_identity(test_protein, twin) == pytest.approx(0.95, abs=0.01)
    assert pairwise_identity(test_protein, distant) < 0.4
    train = [distant, twin, test_protein, fragment, homolog]
    keep, ident = filter_by_identity(train, [test_protein, "".join(rng.choice(aa, 200))], threshold=0.9)
    assert keep.tolist() == [True, False, False, False, True]
    best, which = max_identity([homolog, distant], [test_protein])
    assert 0.45 < best[0] < 0.9 and which[0] == 0
    assert best[1] < 0.4


def test_sibling_ceiling_hand_case():
    import pandas as pd

    from drugloop.binding.region_data import sibling_ceiling

    df = pd.DataFrame(
        {
            "sequence": ["AAA", "AAA", "AAA", "CCC"],
            "binding_region": [[[0, 10]], [[0, 10]], [[20, 30]], [[5, 9]]],
        }
    )
    out = sibling_ceiling(df)
    # complexes 1 and 2 are predicted by a sibling that has [0, 10]; complex 3 is not; CCC has no sibling
    assert out["n_complexes"] == 3
    assert out["top_n@0.5"] == 2 / 3
    # pooled ranking: complex 3's wrong [0, 10] (score 1) first, then two hits among four at score 0.5: AP = 1/3
    assert out["ap@0.5"] == pytest.approx(1 / 3)
