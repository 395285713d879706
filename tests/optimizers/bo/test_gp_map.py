"""MAP fitting of the GP hyperparameters: likelihood, priors and their gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from hyperpilot.optimizers.bo._gp_map import (
    MapObjective,
    lengthscale_mode,
    log_prior,
    prior_mode,
)
from hyperpilot.optimizers.bo._kernels import (
    column_kinds,
    matern52,
    mismatches,
    pairwise_gradient_sum,
    prepare_inputs,
)


def _objective(prior="dim_scaled", learned=True, seed=0, n=14):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.random(n), rng.random(n), (rng.integers(0, 3, n) + 0.5) / 3,
                         rng.random(n)])
    X[:4, 1] = np.nan
    X[n - 1, 2] = np.nan
    card = np.array([0, 0, 3, 0])
    numeric, categorical = column_kinds(card)
    Xn, codes = prepare_inputs(X, numeric, categorical, card, -0.5)
    y = rng.standard_normal(n)
    return MapObjective(Xn, mismatches(codes, codes), numeric, categorical, y,
                        prior=prior, learned_noise=learned, noise_floor=1e-6)


@pytest.mark.parametrize("prior", ["dim_scaled", "optuna"])
@pytest.mark.parametrize("learned", [True, False])
def test_log_posterior_gradient_matches_finite_differences(prior, learned):
    obj = _objective(prior, learned)
    rng = np.random.default_rng(1)
    u = np.concatenate([rng.normal(-0.5, 0.4, 4), [0.3], [-3.0] if learned else []])
    f, grad = obj(u)
    fd = approx_fprime(u, lambda v: obj(v)[0], 1e-6)
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-4)
    _, lml_grad = obj.log_marginal_likelihood(u)
    fd_lml = approx_fprime(u, lambda v: obj.log_marginal_likelihood(v)[0], 1e-6)
    np.testing.assert_allclose(lml_grad, fd_lml, rtol=1e-4, atol=1e-4)
    assert obj.best_f <= f


def test_log_marginal_likelihood_matches_the_gaussian_density():
    obj = _objective(n=6)
    u = np.array([-1.0, -0.5, 0.2, -0.8, 0.1, -2.0])
    lml, _ = obj.log_marginal_likelihood(u)
    ell, s, v = np.exp(u[:4]), math.exp(u[4]), math.exp(u[5])
    Z = obj.Xn / ell[obj.numeric]
    r = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
    H = np.exp(-np.tensordot(0.5 / ell[obj.categorical] ** 2, obj.mismatch, axes=1))
    K = s * matern52(r**2)[0] * H + v * np.eye(6)
    sign, logdet = np.linalg.slogdet(K)
    ref = -0.5 * obj.y @ np.linalg.solve(K, obj.y) - 0.5 * logdet - 3 * math.log(2 * math.pi)
    assert sign > 0
    assert lml == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("prior", ["dim_scaled", "optuna"])
def test_prior_gradient_and_mode(prior):
    dim = 5
    u = np.random.default_rng(0).normal(size=dim + 2)
    _, grad = log_prior(u, dim, prior, True)
    fd = approx_fprime(u, lambda v: log_prior(v, dim, prior, True)[0], 1e-7)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)
    mode = prior_mode(dim, prior, True, 1e-6)
    _, grad_at_mode = log_prior(mode, dim, prior, True)
    np.testing.assert_allclose(grad_at_mode, 0.0, atol=1e-12)


def test_dimension_scaled_mode():
    # the mode of LogNormal(sqrt(2) + ln(D)/2, sqrt(3)) is 0.205 sqrt(D)
    for dim in (2, 10, 20):
        assert lengthscale_mode("dim_scaled", dim) == pytest.approx(
            math.exp(math.sqrt(2) - 3) * math.sqrt(dim))
    assert lengthscale_mode("optuna", 20) == 1.0
    assert lengthscale_mode("dim_scaled", 10) == pytest.approx(0.648, abs=1e-3)


def test_pairwise_gradient_sum_matches_the_explicit_sum():
    rng = np.random.default_rng(0)
    Z = rng.random((7, 3))
    M = rng.random((7, 7))
    M = M + M.T
    ref = np.einsum("ij,ijd->d", M, (Z[:, None, :] - Z[None, :, :]) ** 2)
    np.testing.assert_allclose(pairwise_gradient_sum(Z, M), ref, rtol=1e-12)


def test_prepare_inputs_imputes_inactive_entries():
    X = np.array([[0.1, 0.9, np.nan], [np.nan, 0.1, 0.5], [1.0, np.nan, 0.2]])
    card = np.array([0, 2, 0])
    numeric, categorical = column_kinds(card)
    Xn, codes = prepare_inputs(X, numeric, categorical, card, -0.5)
    np.testing.assert_array_equal(Xn, [[0.1, -0.5], [-0.5, 0.5], [1.0, 0.2]])
    np.testing.assert_array_equal(codes[:, 0], [1, 0, -1])
