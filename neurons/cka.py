"""Linear CKA (Kornblith et al. 2019) with the unbiased HSIC estimator (Song et al. 2012).

Definition: docs/interpretation.md, "How a layer sees the digits", CKA. For representations X and
Y of the same n digits, `K = X Xᵀ`, `L = Y Yᵀ`, `CKA = HSIC₁(K, L) / sqrt(HSIC₁(K, K) HSIC₁(L, L))`.
`HSIC₁` is computed as the inner product of the U-centred Gram matrices (Székely & Rizzo 2014),
divided by n(n − 3), which equals Song et al.'s formula. Features are centred first (CKA does not
change, the float32 matrices lose less).

Invariants the tests check: CKA(X, XQ) = 1 for orthogonal Q, CKA(X, aX) = 1, CKA of independent
noise ≈ 0, and a case computed by hand from Song et al.'s formula.
CKA needs many more digits than neurons: every figure states the number of digits used.
"""
from __future__ import annotations

import functools

import numpy as np

MAX_DIGITS = 1000
SUBSET_SEED = 0
MIN_DIGITS = 4  # the estimator divides by n − 3
# Bound on the float32 Gram matrices held at once by `cka_matrix` (200 MB: 100 snapshots of 1,000 digits).
MAX_GRAM_BYTES = 256 * 2 ** 20


def digit_subset(count: int) -> np.ndarray:
    """Probe indices CKA uses: all of them up to MAX_DIGITS, else a fixed random subset (seed 0), sorted."""
    if count <= MAX_DIGITS:
        return np.arange(count)
    return np.sort(np.random.default_rng(SUBSET_SEED).choice(count, MAX_DIGITS, replace=False))


def u_centred_gram(features: np.ndarray, dtype=np.float64) -> np.ndarray:
    """The U-centred linear Gram matrix of `features` (n × p), n ≥ 4: zero diagonal."""
    features = np.asarray(features, dtype)
    count = len(features)
    if count < MIN_DIGITS:
        raise ValueError(f"CKA needs at least {MIN_DIGITS} digits, got {count}")
    features = features - features.mean(axis=0)
    gram = features @ features.T
    np.fill_diagonal(gram, 0)
    means = gram.sum(axis=0, dtype=np.float64) / (count - 2)
    means -= means.sum() / (2 * (count - 1))
    gram -= means[:, None].astype(dtype)
    gram -= means[None, :].astype(dtype)
    np.fill_diagonal(gram, 0)
    return gram


def _upper(gram: np.ndarray) -> np.ndarray:
    """The entries above the diagonal: a U-centred Gram matrix is symmetric with a zero diagonal,
    so its inner products are twice those of these vectors, and the factor cancels in CKA."""
    return gram[_upper_indices(len(gram))]


@functools.lru_cache(maxsize=4)
def _upper_indices(count: int):
    return np.triu_indices(count, k=1)


def _normalised(products: np.ndarray, norms_a: np.ndarray, norms_b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return products / np.sqrt(np.outer(norms_a, norms_b))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """CKA of two representations of the same digits (rows), in float64; NaN if either is constant."""
    if len(x) != len(y):
        raise ValueError(f"CKA compares representations of the same digits: {len(x)} rows against {len(y)}")
    a, b = _upper(u_centred_gram(x)), _upper(u_centred_gram(y))
    return float(_normalised(np.array([[a @ b]]), np.array([a @ a]), np.array([b @ b]))[0, 0])


def cka_matrix(representations, dtype=np.float32) -> np.ndarray:
    """CKA of every pair of `representations` (a sequence of n × p_i arrays over the same digits), in
    `dtype` (float32: within 1e-3 of float64). The Gram matrices are built once each; when they would
    not fit in MAX_GRAM_BYTES, in blocks (then some are built more than once)."""
    representations = list(representations)
    total = len(representations)
    if not total:
        return np.zeros((0, 0))
    count = len(representations[0])
    per_gram = count * (count - 1) // 2 * np.dtype(dtype).itemsize
    block = max(1, MAX_GRAM_BYTES // max(per_gram, 1))
    starts = list(range(0, total, block))

    def grams(start):
        return np.stack([_upper(u_centred_gram(features, dtype)) for features in representations[start:start + block]])

    products = np.zeros((total, total))
    for row_start in starts:
        rows = grams(row_start)
        for column_start in starts[starts.index(row_start):]:
            columns = rows if column_start == row_start else grams(column_start)
            values = (rows @ columns.T).astype(np.float64)
            products[row_start:row_start + len(rows), column_start:column_start + len(columns)] = values
            products[column_start:column_start + len(columns), row_start:row_start + len(rows)] = values.T
    norms = np.diag(products).copy()
    return _normalised(products, norms, norms)
