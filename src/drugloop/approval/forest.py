"""An exact random forest (the CART algorithm of scikit-learn's ``RandomForestClassifier`` defaults), compiled
with numba, so that the paper's 1,000-repeat x 1,000-tree protocol fits in minutes instead of hours.

Why hand-written: the reproduction needs 6,000 forests of 1,000 fully grown trees. scikit-learn takes
16.7 CPU-s per forest here (about 14 h for the protocol), and LightGBM's ``boosting="rf"`` is slower still and
a different model (histogram bins, no bootstrap). This module keeps the model and changes the bookkeeping:

- each feature is sorted once per forest; a node's rows stay sorted along every continuous feature by stable,
  branch-free partitioning into a second buffer (the "presort" strategy), never re-sorted;
- features with few distinct values (counts, flags) keep no sorted list: their cuts are searched on per-value
  weights counted from the node's rows, so splits need not partition them;
- on one feature no tree is grown at all: the leaves of a fully grown one-feature tree are known in advance
  (:func:`_forest_1d`);
- children that are leaves are not partitioned; bootstraps are shared by the feature groups of a repeat.

What is the same as scikit-learn (``criterion="gini"``, ``max_features="sqrt"``, ``bootstrap=True``, no depth
or leaf-size limits):

- each tree sees a bootstrap sample, as row counts used as weights; rows drawn zero times are out-of-bag;
- features are drawn at random without replacement at each node until ``max_features`` non-constant ones
  were searched (constant means max - min <= 1e-7, as scikit-learn's ``FEATURE_THRESHOLD``);
- the split maximises the weighted Gini decrease over every position between two distinct values (gap
  > 1e-7), threshold at the midpoint of the two float32 values (the lower value if the midpoint rounds up);
- a node is a leaf when it is pure or holds fewer than two distinct rows; a leaf predicts its weighted
  fraction of class 1, and the forest averages its trees.

What differs: the random numbers (NumPy's generator for the bootstrap, numba's for the features), and so
which of several equally good splits is taken. Forests therefore differ from scikit-learn's by sampling noise
only: over the 132 approval repeats both ran, the mean AUROC of every feature group is within 0.0006 of
scikit-learn's (``benchmarks/results/approval/reproduction.json``, ``paired_with_sklearn``).
``tests/test_approval_forest.py`` checks one-feature forests against scikit-learn's trees, tree for tree, every
split of random trees against a brute-force Gini optimum, the out-of-bag bookkeeping, and agreement with
scikit-learn's forest.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit
from numpy.typing import NDArray

#: scikit-learn's tolerance below which two feature values count as equal (``_splitter.pyx``).
FEATURE_THRESHOLD = 1e-7


def sqrt_features(n_features: int) -> int:
    """scikit-learn's ``max_features="sqrt"``."""
    return max(1, int(np.sqrt(n_features)))


def bootstrap_counts(n_rows: int, n_trees: int, seed: int) -> NDArray[np.int32]:
    """How often each tree draws each row (``n_trees x n_rows``), n draws with replacement per tree."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_rows, size=(n_trees, n_rows))
    offset = np.arange(n_trees)[:, None] * n_rows
    counts = np.bincount((draws + offset).ravel(), minlength=n_trees * n_rows)
    return counts.reshape(n_trees, n_rows).astype(np.int32)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _threshold(lower, upper):
    """scikit-learn's cut between two neighbouring float32 values: their midpoint, or ``lower`` if the midpoint
    rounds up to ``upper`` (or overflows)."""
    t = np.float64(lower) / 2.0 + np.float64(upper) / 2.0
    if t == np.float64(upper) or np.isinf(t):
        t = np.float64(lower)
    return t


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _split_score(lpos, ltot, wpos, wtot):
    """(num, den) of a cut's Gini score. For two classes, maximising scikit-learn's Gini proxy
    lpos^2 / ltot + rpos^2 / rtot is maximising (lpos * wtot - wpos * ltot)^2 / (ltot * rtot); cuts are compared
    as num_a * den_b > num_b * den_a, without dividing in the hot loops."""
    diff = lpos * wtot - wpos * ltot
    return diff * diff, ltot * (wtot - ltot)


@njit(cache=True, nogil=True, error_model="numpy", inline="always", fastmath={"contract"})
def _scan(xv_all, xo, w, wy, rows, ro, s, e, wpos, wtot, best_num, best_den):
    """Best cut of the node rows ``rows[ro + s : ro + e]``, sorted along the feature whose values start at
    ``xv_all[xo]``, if it beats ``best_num / best_den``: (num, den, position, left positives, left weight,
    threshold); position -1 if none. Flat arrays with offsets: a view per call costs more than a small node.

    Cuts are scored by :func:`_split_score`. (Skipping cuts inside one-class runs, the boundary-point rule, was
    tried: its checks cost more than the cuts they save.)
    """
    best_pos = -1
    best_lpos = 0.0
    best_ltot = 0.0
    best_thr = 0.0
    lpos = 0.0
    ltot = 0.0
    rn = rows[ro + s]
    xn = xv_all[xo + rn]
    for k in range(s, e - 1):
        r = rn
        lpos += wy[r]
        ltot += w[r]
        xv = xn
        rn = rows[ro + k + 1]
        xn = xv_all[xo + rn]
        if xn <= xv + FEATURE_THRESHOLD:
            continue
        num, den = _split_score(lpos, ltot, wpos, wtot)
        if num * best_den > best_num * den:
            best_num = num
            best_den = den
            best_pos = k + 1
            best_lpos = lpos
            best_ltot = ltot
            best_thr = _threshold(xv, xn)
    return best_num, best_den, best_pos, best_lpos, best_ltot, best_thr


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _partition(rows, src, dst, mark, s, e, split):
    """Stable partition of ``rows[src + s : src + e]`` into ``rows[dst + ...]``: rows marked left from ``s``, the
    others from ``split``. Branch-free, as left/right is a coin flip to the CPU."""
    a = dst + s
    z = dst + split
    for k in range(src + s, src + e):
        r = rows[k]
        g = mark[r]
        rows[a if g else z] = r
        a += g
        z += 1 - g


@njit(cache=True, nogil=True, error_model="numpy", inline="always", fastmath={"contract"})
def _scan_counts(hw, hwy, uval, n_values, wpos, wtot, best_num, best_den):
    """The same search as :func:`_scan` over a feature's per-value weights (``hw``, ``hwy``, by value rank):
    every cut between two values present in the node. Returns (num, den, last left rank, left positives,
    left weight, threshold); rank -1 if nothing beats ``best_num / best_den``."""
    best_q = -1
    best_lpos = 0.0
    best_ltot = 0.0
    best_thr = 0.0
    lpos = 0.0
    ltot = 0.0
    prev = -1
    for q in range(n_values):
        if hw[q] <= 0.0:
            continue
        if prev >= 0:
            num, den = _split_score(lpos, ltot, wpos, wtot)
            if num * best_den > best_num * den:
                best_num = num
                best_den = den
                best_q = prev
                best_lpos = lpos
                best_ltot = ltot
                best_thr = _threshold(uval[prev], uval[q])
        lpos += hwy[q]
        ltot += hw[q]
        prev = q
    return best_num, best_den, best_q, best_lpos, best_ltot, best_thr


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _count_values(rows, start, stop, codes, n_values, w, wy, hw, hwy):
    """Weights and weighted positives per value code of ``rows[start:stop]``; True if only one value occurs."""
    if n_values == 2:  # flags: two running sums, not two buckets updated in turn through memory
        w1 = 0.0
        wy1 = 0.0
        wall = 0.0
        wyall = 0.0
        for k in range(start, stop):
            r = rows[k]
            g = codes[r]
            w1 += g * w[r]
            wy1 += g * wy[r]
            wall += w[r]
            wyall += wy[r]
        hw[0] = wall - w1
        hwy[0] = wyall - wy1
        hw[1] = w1
        hwy[1] = wy1
        return w1 <= 0.0 or w1 >= wall
    for q in range(n_values):
        hw[q] = 0.0
        hwy[q] = 0.0
    lo = n_values
    hi = -1
    for k in range(start, stop):
        r = rows[k]
        q = codes[r]
        hw[q] += w[r]
        hwy[q] += wy[r]
        lo = min(lo, q)
        hi = max(hi, q)
    return lo == hi


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _push(stack, stats, top, s, e, node, buffer, wpos, wtot):
    """Put a node on the growth stack at ``top``: its rows [s, e), id, list buffer and weights; returns ``top``."""
    stack[top, 0] = s
    stack[top, 1] = e
    stack[top, 2] = node
    stack[top, 3] = buffer
    stats[top, 0] = wpos
    stats[top, 1] = wtot
    return top


@njit(cache=True, nogil=True, error_model="numpy")
def _grow(xt, w, wy, codes, uval, n_values, order, m, max_features, tree, work, mark, feats, hw, hwy):  # noqa: C901
    """Grow one tree on the ``m`` in-bag rows.

    Features come in two kinds. A *sorted* feature (``n_values[f] == 0``, the continuous ones) keeps, for each
    node, the node's rows sorted along it: ``order`` holds two buffers, a node at depth d finds them in buffer
    d % 2 at positions [s, e), and a split writes both children into the other buffer in one stable pass (the
    "presort" strategy; no sorting after the first). A *counted* feature (few distinct values, e.g. ring or
    donor counts and the rule-of-five flags) keeps no list: its cuts are searched on per-value weights counted
    from the node's rows, kept in the extra list ``p`` (the node's rows in any order), so splits need not
    partition it. Features found constant in a node are not searched below it (scikit-learn's splitter also
    remembers them), and constant features do not count towards ``max_features``, as in scikit-learn.
    Fills ``tree`` (feature, threshold, left, right, value per node) and returns the node count.
    """
    feat, thr, left, right, value = tree
    stack, stats, active = work
    p = xt.shape[0]
    n = xt.shape[1]
    q1 = p + 1
    xflat = xt.reshape(p * n)
    flat = order.reshape(2 * q1 * n)  # buffer b, list f starts at (b * (p + 1) + f) * n; list p: the rows
    has_counted = False
    for f in range(p):
        has_counted = has_counted or n_values[f] > 0
    n_nodes = 1
    top = 0
    wtot = 0.0
    wpos = 0.0
    carrier = p if has_counted else 0  # any list holds the root's rows
    for k in range(m):
        r = flat[carrier * n + k]
        wtot += w[r]
        wpos += wy[r]
    _push(stack, stats, 0, 0, m, 0, 0, wpos, wtot)
    for f in range(p):
        active[0, f] = 1
    while top >= 0:
        s = stack[top, 0]
        e = stack[top, 1]
        node = stack[top, 2]
        b = stack[top, 3]
        wpos = stats[top, 0]
        wtot = stats[top, 1]
        slot = top
        top -= 1
        value[node] = wpos / wtot
        feat[node] = -1
        if e - s < 2 or wpos <= 0.0 or wpos >= wtot:
            continue
        pa = 0
        for f in range(p):
            if active[slot, f] == 0:
                continue
            if n_values[f] == 0:
                ro = (b * q1 + f) * n
                if xflat[f * n + flat[ro + e - 1]] <= xflat[f * n + flat[ro + s]] + FEATURE_THRESHOLD:
                    active[slot, f] = 0
                    continue
            feats[pa] = f
            pa += 1
        best_num = -1.0
        best_den = 1.0
        best_f = -1
        best_pos = -1
        best_q = -1
        best_thr = 0.0
        best_lpos = 0.0
        best_ltot = 0.0
        rows_at = (b * q1 + p) * n
        i = 0
        visited = 0
        while i < pa and visited < max_features:
            j = i + np.random.randint(0, pa - i)  # noqa: NPY002 (numba: the compiled, seeded RNG)
            f = feats[j]
            feats[j] = feats[i]
            feats[i] = f
            i += 1
            nv = n_values[f]
            if nv == 0:
                visited += 1
                res = _scan(xflat, f * n, w, wy, flat, (b * q1 + f) * n, s, e, wpos, wtot, best_num, best_den)
                if res[2] >= 0:
                    best_num, best_den, best_pos, best_lpos, best_ltot, best_thr = res
                    best_f = f
                continue
            if _count_values(flat, rows_at + s, rows_at + e, codes[f], nv, w, wy, hw, hwy):
                # constant here: not a draw (as in scikit-learn), and never searched below
                active[slot, f] = 0
                continue
            visited += 1
            res = _scan_counts(hw, hwy, uval[f], nv, wpos, wtot, best_num, best_den)
            if res[2] >= 0:
                best_num, best_den, best_q, best_lpos, best_ltot, best_thr = res
                best_f = f
                best_pos = -1
        if best_f < 0:
            continue
        c = 1 - b
        if n_values[best_f] == 0:
            ro = (b * q1 + best_f) * n
            for k in range(ro + s, ro + best_pos):
                mark[flat[k]] = 1
            for k in range(ro + best_pos, ro + e):
                mark[flat[k]] = 0
        else:
            nl = 0
            for k in range(rows_at + s, rows_at + e):
                r = flat[k]
                g = codes[best_f, r] <= best_q
                mark[r] = g
                nl += g
            best_pos = s + nl
        rtot = wtot - best_ltot
        rpos = wpos - best_lpos
        left_leaf = best_pos - s < 2 or best_lpos <= 0.0 or best_lpos >= best_ltot
        right_leaf = e - best_pos < 2 or rpos <= 0.0 or rpos >= rtot
        if not (left_leaf and right_leaf):  # children that are leaves need no lists
            for f in range(q1):
                if f < p and (active[slot, f] == 0 or n_values[f] > 0):
                    continue
                if f == p and not has_counted:  # the row list serves counted features only
                    continue
                src = (b * q1 + f) * n
                dst = (c * q1 + f) * n
                if f == best_f:  # already in left-then-right order
                    for k in range(s, e):
                        flat[dst + k] = flat[src + k]
                else:
                    _partition(flat, src, dst, mark, s, e, best_pos)
        lid = n_nodes
        rid = n_nodes + 1
        n_nodes += 2
        feat[node] = best_f
        thr[node] = best_thr
        left[node] = lid
        right[node] = rid
        # the children take this slot (right) and the next (left), both starting from this node's active set
        for f in range(p):
            active[slot + 1, f] = active[slot, f]
        top = _push(stack, stats, top + 1, best_pos, e, rid, c, rpos, rtot)
        top = _push(stack, stats, top + 1, s, best_pos, lid, c, best_lpos, best_ltot)
    return n_nodes


@njit(cache=True, nogil=True, error_model="numpy")
def _leaf_value(xrow, feat, thr, left, right, value):
    node = 0
    while feat[node] >= 0:
        node = left[node] if np.float64(xrow[feat[node]]) <= thr[node] else right[node]
    return value[node]


@njit(cache=True, nogil=True, error_model="numpy")
def _add_predictions(xe, n_nodes, tree, walk, out):
    """``out[i] +=`` the leaf value of row ``i`` of ``xe``, for all rows at once and without branches.

    Why: a walk down a tree is a chain of loads with a coin-flip branch at every node, which costs more than
    the growing on this data. Here leaves point to themselves, every row takes exactly max-depth steps, and the
    rows advance side by side, so the CPU overlaps them and never mispredicts.
    """
    feat, thr, left, right, value = tree
    depth, child, fx, tx, pos = walk
    max_depth = 0
    depth[0] = 0
    for node in range(n_nodes):  # children always have larger ids than their parent
        if feat[node] >= 0:
            d = depth[node] + 1
            depth[left[node]] = d
            depth[right[node]] = d
            max_depth = max(max_depth, d)
            child[2 * node] = left[node]
            child[2 * node + 1] = right[node]
            fx[node] = feat[node]
            tx[node] = thr[node]
        else:
            child[2 * node] = node
            child[2 * node + 1] = node
            fx[node] = 0
            tx[node] = np.inf
    n = xe.shape[0]
    for i in range(n):
        pos[i] = 0
    for _ in range(max_depth):
        for i in range(n):
            node = pos[i]
            go_left = np.float64(xe[i, fx[node]]) <= tx[node]
            pos[i] = child[2 * node + 1 - go_left]
    for i in range(n):
        out[i] += value[pos[i]]


@njit(cache=True, nogil=True, error_model="numpy")
def _workspace(n, p, row_dtype, max_values):
    size = 2 * n + 1
    tree = (
        np.empty(size, np.int32),
        np.empty(size, np.float64),
        np.empty(size, np.int32),
        np.empty(size, np.int32),
        np.empty(size, np.float64),
    )
    work = (np.empty((size, 4), np.int64), np.empty((size, 2), np.float64), np.empty((size, p), np.uint8))
    scratch = (
        np.zeros(n, np.uint8),
        np.empty(p, np.int64),
        np.empty(max(max_values, 1), np.float64),
        np.empty(max(max_values, 1), np.float64),
    )
    return tree, work, scratch, np.empty((2, p + 1, n), row_dtype)


@njit(cache=True, nogil=True, error_model="numpy")
def _in_bag(sorted_rows, n_values, w, order):
    """The in-bag rows into buffer 0: sorted along each sorted feature, and in row order in list ``p`` when a
    feature is counted; returns how many rows are in bag."""
    p, n = sorted_rows.shape
    m = 0
    for f in range(p):
        if n_values[f] > 0:
            continue
        m = 0
        for k in range(n):  # branch-free: about 1 row in 3 is out of bag, at random
            r = sorted_rows[f, k]
            order[0, f, m] = r
            m += w[r] > 0
    if n_values.max() > 0:  # the row list, for counted features
        m = 0
        for r in range(n):
            order[0, p, m] = r
            m += w[r] > 0
    return m


@njit(cache=True, nogil=True, error_model="numpy")
def _grow_one(x, y, w, max_features, seed, sorted_rows, codes, uval, n_values):
    """One tree, for tests and inspection: (feature, threshold, left, right, value), trimmed."""
    n, p = x.shape
    tree, work, scratch, order = _workspace(n, p, sorted_rows.dtype, uval.shape[1])
    mark, feats, hw, hwy = scratch
    np.random.seed(seed)  # noqa: NPY002 (numba seeds its own compiled RNG)
    m = _in_bag(sorted_rows, n_values, w, order)
    wy = w * y
    xt = np.ascontiguousarray(x.T)
    k = _grow(xt, w, wy, codes, uval, n_values, order, m, max_features, tree, work, mark, feats, hw, hwy)
    return tree[0][:k].copy(), tree[1][:k].copy(), tree[2][:k].copy(), tree[3][:k].copy(), tree[4][:k].copy()


@njit(cache=True, nogil=True, error_model="numpy")
def _forest(x, y, counts, x_eval, max_features, seeds, sorted_rows, codes, uval, n_values, want_oob):
    n, p = x.shape
    n_trees = counts.shape[0]
    tree, work, scratch, order = _workspace(n, p, sorted_rows.dtype, uval.shape[1])
    mark, feats, hw, hwy = scratch
    feat, thr, left, right, value = tree
    w = np.empty(n, np.float64)
    wy = np.empty(n, np.float64)
    pred = np.zeros(x_eval.shape[0])
    oob_sum = np.zeros(n)
    oob_n = np.zeros(n)
    xt = np.ascontiguousarray(x.T)  # feature-major: a node scan reads one feature's values
    size = 2 * n + 1
    walk = (
        np.empty(size, np.int64),
        np.empty(2 * size, np.int64),
        np.empty(size, np.int64),
        np.empty(size, np.float64),
        np.empty(x_eval.shape[0], np.int64),
    )
    for t in range(n_trees):
        np.random.seed(seeds[t])  # noqa: NPY002 (numba seeds its own compiled RNG, per tree)
        for r in range(n):
            w[r] = counts[t, r]
            wy[r] = counts[t, r] * y[r]
        m = _in_bag(sorted_rows, n_values, w, order)
        k = _grow(xt, w, wy, codes, uval, n_values, order, m, max_features, tree, work, mark, feats, hw, hwy)
        _add_predictions(x_eval, k, tree, walk, pred)
        for r in range(n if want_oob else 0):
            if w[r] == 0:
                oob_sum[r] += _leaf_value(x[r], feat, thr, left, right, value)
                oob_n[r] += 1
    return pred / n_trees, oob_sum, oob_n


@njit(cache=True, nogil=True, error_model="numpy")
def _leaf_1d(v, first, last, run, run_value, n_groups):
    """Leaf value of a one-feature tree for value ``v``: groups are the in-bag values (first/last row of each
    tie run), cut between neighbouring groups at scikit-learn's midpoint threshold."""
    lo = 0
    hi = n_groups
    while lo < hi:  # g = number of groups whose first value is <= v
        mid = (lo + hi) // 2
        if first[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    g = lo - 1
    if g < 0:
        return run_value[run[0]]
    if g == n_groups - 1 or run[g] == run[g + 1]:
        return run_value[run[g]]
    return run_value[run[g]] if v <= _threshold(last[g], first[g + 1]) else run_value[run[g + 1]]


@njit(cache=True, nogil=True, error_model="numpy")
def _forest_1d(x, y, counts, x_eval, sorted_rows, want_oob):  # noqa: C901
    """The same forest for ONE feature, without growing trees.

    On one feature a fully grown tree splits until every leaf is pure or holds one value (within
    FEATURE_THRESHOLD), and a Gini-optimal cut never falls inside a run of values that all hold one class alone
    (boundary points; any cut there would leave two leaves of equal value). So the leaves are known in advance:
    maximal runs of neighbouring in-bag values that are pure with the same label, and each mixed value alone;
    every cut between runs sits at scikit-learn's midpoint of the two neighbouring in-bag values. One pass over
    the sorted in-bag rows per tree replaces the whole tree growth.
    """
    n = x.shape[0]
    n_trees = counts.shape[0]
    first = np.empty(n, np.float64)
    last = np.empty(n, np.float64)
    gpos = np.empty(n, np.float64)
    gtot = np.empty(n, np.float64)
    run = np.empty(n, np.int64)
    run_pos = np.empty(n, np.float64)
    run_tot = np.empty(n, np.float64)
    run_value = np.empty(n, np.float64)
    pred = np.zeros(x_eval.shape[0])
    oob_sum = np.zeros(n)
    oob_n = np.zeros(n)
    for t in range(n_trees):
        g = -1
        prev = 0.0
        for k in range(n):
            r = sorted_rows[k]
            c = counts[t, r]
            if c <= 0:
                continue
            v = np.float64(x[r])
            if g < 0 or v > prev + FEATURE_THRESHOLD:
                g += 1
                first[g] = v
                gpos[g] = 0.0
                gtot[g] = 0.0
            last[g] = v
            prev = v
            gpos[g] += c * y[r]
            gtot[g] += c
        n_groups = g + 1
        # runs: neighbouring groups merge while both are pure with the same label
        nr = -1
        prev_kind = -1
        for g in range(n_groups):
            kind = 0 if gpos[g] <= 0.0 else (1 if gpos[g] >= gtot[g] else 2)
            if nr < 0 or kind == 2 or kind != prev_kind:
                nr += 1
                run_pos[nr] = 0.0
                run_tot[nr] = 0.0
            run[g] = nr
            run_pos[nr] += gpos[g]
            run_tot[nr] += gtot[g]
            prev_kind = kind
        for q in range(nr + 1):
            run_value[q] = run_pos[q] / run_tot[q]
        for i in range(x_eval.shape[0]):
            pred[i] += _leaf_1d(np.float64(x_eval[i]), first, last, run, run_value, n_groups)
        if want_oob:
            for r in range(n):
                if counts[t, r] == 0:
                    oob_sum[r] += _leaf_1d(np.float64(x[r]), first, last, run, run_value, n_groups)
                    oob_n[r] += 1
    return pred / n_trees, oob_sum, oob_n


#: A feature with at most this many distinct values (all further apart than FEATURE_THRESHOLD) is searched on
#: per-value counts instead of a sorted list (see :func:`_grow`).
MAX_COUNTED_VALUES = 64


def _prepared(x_train, y_train, max_counted_values: int = MAX_COUNTED_VALUES):
    """Checked float32 features, float 0/1 labels, each feature's row order, and the counted-feature tables:
    value codes (rank of each row's value), the distinct values, and how many (0 for sorted features)."""
    x = np.ascontiguousarray(np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1))
    y = np.asarray(y_train, dtype=np.float64).reshape(-1)
    if len(y) != len(x):
        raise ValueError(f"{len(x)} rows but {len(y)} labels")
    if not np.isfinite(x).all():
        raise ValueError("features must be finite (impute missing values first)")
    if set(np.unique(y).tolist()) - {0.0, 1.0}:
        raise ValueError("labels must be 0/1")
    n, p = x.shape
    if not 0 <= max_counted_values <= 255:
        raise ValueError("max_counted_values must be in 0..255 (value codes are uint8)")
    # row numbers as uint16 when they fit: half the memory traffic in the partition loop
    row_dtype = np.uint16 if n < 2**16 else np.int64
    sorted_rows = np.ascontiguousarray(np.argsort(x, axis=0, kind="stable").T.astype(row_dtype))
    n_values = np.zeros(p, dtype=np.int64)
    codes = np.zeros((p, n), dtype=np.uint8)
    uval = np.zeros((p, max(1, max_counted_values)), dtype=np.float64)
    for f in range(p):
        values, inverse = np.unique(x[:, f], return_inverse=True)
        gaps_ok = len(values) < 2 or bool((np.diff(values.astype(np.float64)) > FEATURE_THRESHOLD).all())
        if 1 < len(values) <= max_counted_values and gaps_ok:
            n_values[f] = len(values)
            codes[f] = inverse.reshape(-1)
            uval[f, : len(values)] = values
    return x, y, sorted_rows, codes, uval, n_values


def forest_from_counts(
    x_train: NDArray[np.floating],
    y_train: NDArray[np.integer],
    x_eval: NDArray[np.floating],
    counts: NDArray[np.integer],
    max_features: int | None = None,
    seed: int = 0,
    want_oob: bool = True,
    grow_1d: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Grow one tree per row of ``counts`` (bootstrap counts, ``n_trees x n_rows``) and return
    (mean P(class 1) for ``x_eval``, out-of-bag P(class 1) per training row, NaN where never out-of-bag).

    ``max_features`` defaults to scikit-learn's ``"sqrt"``; ``seed`` drives the per-node feature draws.
    """
    x, y, sorted_rows, codes, uval, n_values = _prepared(x_train, y_train)
    xe = np.ascontiguousarray(np.asarray(x_eval, dtype=np.float32).reshape(len(x_eval), -1))
    if xe.shape[1] != x.shape[1]:
        raise ValueError(f"x_eval has {xe.shape[1]} features, x_train {x.shape[1]}")
    if not np.isfinite(xe).all():
        raise ValueError("x_eval features must be finite (impute missing values first)")
    counts = np.ascontiguousarray(counts, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[1] != len(x):
        raise ValueError("counts must be n_trees x n_rows")
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ValueError("bootstrap counts must be finite and >= 0")
    if (counts.sum(axis=1) <= 0).any():
        raise ValueError("every tree needs at least one in-bag row")
    mf = sqrt_features(x.shape[1]) if max_features is None else int(max_features)
    if not 1 <= mf <= x.shape[1]:
        raise ValueError(f"max_features must be in 1..{x.shape[1]}")
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(counts))
    if x.shape[1] == 1 and not grow_1d:
        pred, oob_sum, oob_n = _forest_1d(x[:, 0], y, counts, xe[:, 0], sorted_rows[0], want_oob)
    else:
        pred, oob_sum, oob_n = _forest(
            x, y, counts, xe, mf, seeds, sorted_rows, codes, uval, n_values, want_oob
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        oob = np.where(oob_n > 0, oob_sum / np.maximum(oob_n, 1), np.nan)
    return pred, oob


@lru_cache(maxsize=4)
def _shared_counts(n_rows: int, n_trees: int, seed: int) -> NDArray[np.float64]:
    """Bootstrap counts shared by every feature group of one repeat (scikit-learn also draws the same
    bootstraps for the same ``random_state`` and row count); read-only."""
    counts = bootstrap_counts(n_rows, n_trees, seed).astype(np.float64)
    counts.setflags(write=False)
    return counts


def random_forest(
    x_train: NDArray[np.floating],
    y_train: NDArray[np.integer],
    x_eval: NDArray[np.floating],
    seed: int,
    n_estimators: int = 1000,
    want_oob: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """scikit-learn's default ``RandomForestClassifier(n_estimators)`` on 0/1 labels:
    (P(class 1) for ``x_eval``, out-of-bag P(class 1) per training row, NaN where never out-of-bag)."""
    counts = _shared_counts(len(x_train), n_estimators, seed)
    return forest_from_counts(x_train, y_train, x_eval, counts, seed=seed + 1, want_oob=want_oob)
