"""Kernel pieces of the Gaussian process: input preparation, Matérn-5/2 and Hamming factors.

The GP kernel is

    k(x, x') = s · M52(r) · exp(-Σ_c θ_c · [x_c ≠ x'_c]),   r² = Σ_d (x_d - x'_d)² / l_d²,

with ``d`` over the numeric (continuous, integer, ordinal) columns and ``c`` over the
categorical ones, θ_c = 1 / (2 l_c²). With that parametrisation a change of category costs
about as much correlation as moving a numeric column across its whole range at the same
lengthscale, so one lengthscale prior serves both kinds of column.

**Inactive entries** (NaN in the encoding) are imputed before the kernel sees them: numeric
columns take a fixed value outside [0, 1] (``inactive_value``, -0.5 by default), categorical
columns an extra category (code -1). Two inactive entries are then equal (distance 0), and an
active entry is always at least 0.5 (numeric) or one category change away from an inactive
one, so the GP can learn that activating a branch changes the objective. An inactive entry
is constant, so its gradient is zero.

The hot functions write into caller-owned buffers (``out=``): fresh arrays of a few hundred
kilobytes cost page faults that, measured, dominate the arithmetic at n ≈ 100-200.
"""

from __future__ import annotations

import math

import numpy as np

SQRT5 = math.sqrt(5.0)


def column_kinds(cardinalities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the indices of the numeric columns and of the categorical columns."""
    card = np.asarray(cardinalities, dtype=int)
    return np.flatnonzero(card <= 0), np.flatnonzero(card > 0)


def prepare_inputs(
    X: np.ndarray,
    numeric: np.ndarray,
    categorical: np.ndarray,
    cardinalities: np.ndarray,
    inactive_value: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Split encoded rows into imputed numeric values and integer category codes.

    Returns ``(Xn, codes)``: ``Xn`` (n, numeric columns) with NaN replaced by
    ``inactive_value``; ``codes`` (n, categorical columns) with the category index
    ``floor(u · k)`` clipped to ``[0, k - 1]`` and -1 for inactive entries.
    """
    Xn = X[:, numeric]
    Xn = np.where(np.isnan(Xn), inactive_value, Xn)
    if categorical.size == 0:
        return Xn, np.zeros((X.shape[0], 0), dtype=np.int64)
    U = X[:, categorical]
    k = np.asarray(cardinalities, dtype=float)[categorical]
    inactive = np.isnan(U)
    raw = np.floor(np.where(inactive, 0.0, U) * k)
    codes = np.clip(raw, 0.0, k - 1.0).astype(np.int64)
    codes[inactive] = -1
    return Xn, codes


def squared_distances(
    Z1: np.ndarray, Z2: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Pairwise squared Euclidean distances of scaled rows (clipped at zero)."""
    if out is None:
        out = np.empty((Z1.shape[0], Z2.shape[0]))
    if Z1.shape[1] == 0:
        out.fill(0.0)
        return out
    np.matmul(Z1, Z2.T, out=out)
    out *= -2.0
    out += np.einsum("ij,ij->i", Z1, Z1)[:, None]
    out += np.einsum("ij,ij->i", Z2, Z2)[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def matern52_inplace(r2: np.ndarray, g: np.ndarray, scratch: np.ndarray) -> None:
    """Turn squared scaled distances ``r2`` into the Matérn-5/2 correlation, in place.

    On return ``r2`` holds ``m = (1 + √5 r + 5 r² / 3) e^{-√5 r}`` and ``g`` holds
    ``(5/3)(1 + √5 r) e^{-√5 r}``, so that ``∂m/∂(r²) = -g / 2``; ``g`` is finite at
    ``r = 0``, which keeps every gradient built from it free of 0/0. ``scratch`` is
    overwritten. All three arrays have the same shape.
    """
    np.sqrt(r2, out=g)
    g *= SQRT5
    np.negative(g, out=scratch)
    np.exp(scratch, out=scratch)
    g += 1.0
    r2 *= 5.0 / 3.0
    r2 += g
    r2 *= scratch
    g *= scratch
    g *= 5.0 / 3.0


def matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Allocating version of :func:`matern52_inplace`: returns ``(m, g)``."""
    m = np.array(r2, dtype=float)
    g = np.empty_like(m)
    matern52_inplace(m, g, np.empty_like(m))
    return m, g


def mismatches(codes1: np.ndarray, codes2: np.ndarray) -> np.ndarray:
    """Per categorical column, whether the categories differ: shape (c, n1, n2), float."""
    out: np.ndarray = (codes1.T[:, :, None] != codes2.T[:, None, :]).astype(float)
    return out


def hamming_factor(
    codes1: np.ndarray,
    codes2: np.ndarray,
    theta: np.ndarray,
    out: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """``exp(-Σ_c θ_c [code1_c ≠ code2_c])`` for every pair of rows, shape (n1, n2)."""
    shape = (codes1.shape[0], codes2.shape[0])
    out = np.empty(shape) if out is None else out
    if theta.size == 0:
        out.fill(1.0)
        return out
    scratch = np.empty(shape) if scratch is None else scratch
    out.fill(0.0)
    for c in range(theta.size):
        np.not_equal(codes1[:, c, None], codes2[None, :, c], out=scratch)
        scratch *= -float(theta[c])
        out += scratch
    np.exp(out, out=out)
    return out


def pairwise_gradient_sum(Z: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``Σ_ij M_ij (z_id - z_jd)²`` for every column d of Z, with M symmetric (n, n).

    Computed as ``2 Σ_i z_id² m_i - 2 Σ_i z_id (M Z)_id`` with ``m = M 1``: one matrix
    product instead of an (n, n, d) array of differences.
    """
    m = M.sum(axis=1)
    MZ = M @ Z
    out: np.ndarray = 2.0 * (m @ (Z * Z) - np.einsum("id,id->d", Z, MZ))
    return out
