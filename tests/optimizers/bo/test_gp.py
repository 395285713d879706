"""The Gaussian-process surrogate: posterior, gradients, numerics, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._gp import GaussianProcess, GPHyperparameters
from hyperpilot.optimizers.bo._gp_map import cholesky_with_jitter


def _matern52(r: np.ndarray) -> np.ndarray:
    return (1 + math.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-math.sqrt(5) * r)


def _direct_kernel(A, B, ell, card, s, inactive=-0.5):
    """Textbook kernel, written independently of the package (explicit pairwise loops)."""
    K = np.empty((len(A), len(B)))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            r2, ham = 0.0, 0.0
            for d in range(len(ell)):
                if card[d] == 0:
                    xa = inactive if np.isnan(a[d]) else a[d]
                    xb = inactive if np.isnan(b[d]) else b[d]
                    r2 += (xa - xb) ** 2 / ell[d] ** 2
                else:
                    ca = -1 if np.isnan(a[d]) else int(a[d] * card[d])
                    cb = -1 if np.isnan(b[d]) else int(b[d] * card[d])
                    ham += (ca != cb) / (2 * ell[d] ** 2)
            K[i, j] = s * _matern52(np.sqrt(r2)) * np.exp(-ham)
    return K


def _mixed_data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.random(n), rng.random(n), (rng.integers(0, 3, n) + 0.5) / 3])
    X[:3, 1] = np.nan
    X[4, 2] = np.nan
    y = np.sin(4 * X[:, 0]) + np.nan_to_num(X[:, 1], nan=0.7) + 0.3 * (X[:, 2] > 0.5)
    return X, y, np.array([0, 0, 3])


@pytest.mark.parametrize("normalize_y", [True, False])
def test_posterior_matches_direct_computation(normalize_y):
    X, y, card = _mixed_data(5)
    ell, s, v = (0.3, 0.5, 0.8), 1.7, 0.01
    gp = GaussianProcess(
        hyperparameters=GPHyperparameters(ell, s, v), normalize_y=normalize_y
    ).fit(X, y, card)
    Xs = np.array([[0.2, 0.4, 0.5], [0.9, np.nan, 1 / 6], [X[0, 0], np.nan, X[0, 2]]])

    mu, sd = (y.mean(), y.std()) if normalize_y else (0.0, 1.0)
    ys = (y - mu) / sd
    K = _direct_kernel(X, X, ell, card, s) + v * np.eye(len(X))
    Ks = _direct_kernel(Xs, X, ell, card, s)
    Kinv = np.linalg.inv(K)
    mean_ref = mu + sd * Ks @ Kinv @ ys
    var_ref = sd**2 * (s - np.einsum("ij,jk,ik->i", Ks, Kinv, Ks))

    mean, var = gp.predict(Xs)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(var, var_ref, rtol=1e-8, atol=1e-10)
    assert gp.fitted_hyperparameters == GPHyperparameters(ell, s, v)


def test_predict_grad_matches_finite_differences():
    X, y, card = _mixed_data(15, seed=1)
    gp = GaussianProcess().fit(X, y, card)
    rng = np.random.default_rng(2)
    Xs = np.column_stack([rng.random(6), rng.random(6), (rng.integers(0, 3, 6) + 0.5) / 3])
    Xs[0, 1] = np.nan
    mean, var, dmean, dvar = gp.predict_grad(Xs)
    m2, v2 = gp.predict(Xs)
    np.testing.assert_allclose(mean, m2, rtol=1e-12)
    np.testing.assert_allclose(var, v2, rtol=1e-12)
    h = 1e-6
    for d in (0, 1):
        E = np.zeros_like(Xs)
        E[:, d] = h
        mp, vp = gp.predict(Xs + E)
        mm, vm = gp.predict(Xs - E)
        active = ~np.isnan(Xs[:, d])
        np.testing.assert_allclose(dmean[active, d], ((mp - mm) / (2 * h))[active],
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dvar[active, d], ((vp - vm) / (2 * h))[active],
                                   rtol=1e-5, atol=1e-6)
    assert np.all(dmean[:, 2] == 0) and np.all(dvar[:, 2] == 0)  # categorical
    assert dmean[0, 1] == 0 and dvar[0, 1] == 0  # inactive


def test_predict_grad_at_a_training_point_is_finite():
    X, y, card = _mixed_data(10)
    gp = GaussianProcess().fit(X, y, card)
    _, var, dmean, dvar = gp.predict_grad(X[5:7])
    assert np.all(np.isfinite(dmean)) and np.all(np.isfinite(dvar)) and np.all(var > 0)


def test_fits_a_smooth_function_and_is_unsure_away_from_data():
    f = lambda x: np.sin(6 * x) + 0.5 * x  # noqa: E731
    X = np.linspace(0, 0.6, 12)[:, None]
    gp = GaussianProcess().fit(X, f(X[:, 0]), np.array([0]))
    test = np.linspace(0.02, 0.58, 29)[:, None]
    mean, _ = gp.predict(test)
    assert np.sqrt(np.mean((mean - f(test[:, 0])) ** 2)) < 0.02
    _, var_data = gp.predict(X)
    _, var_far = gp.predict(np.array([[0.8], [1.0]]))
    assert var_far[0] < var_far[1]
    assert var_far[0] > 100 * var_data.max()


def test_categorical_effect_and_inactive_branch_are_learned():
    rng = np.random.default_rng(3)
    n = 40
    cat = rng.integers(0, 3, n)
    x = rng.random(n)
    active = rng.random(n) < 0.5
    X = np.column_stack([x, (cat + 0.5) / 3, np.where(active, rng.random(n), np.nan)])
    y = x + np.array([0.0, 1.0, 2.0])[cat] + np.where(active, 3.0, 0.0)
    gp = GaussianProcess().fit(X, y, np.array([0, 3, 0]))
    probe = np.array([[0.5, 1 / 6, np.nan], [0.5, 0.5, np.nan], [0.5, 5 / 6, np.nan],
                      [0.5, 1 / 6, 0.5]])
    mean, var = gp.predict(probe)
    assert np.all(np.isfinite(mean)) and np.all(var > 0)
    np.testing.assert_allclose(mean, [0.5, 1.5, 2.5, 3.5], atol=0.25)


def test_lengthscale_priors_and_deterministic_noise():
    X, y, card = _mixed_data(20)
    det = GaussianProcess(noise="deterministic").fit(X, y, card)
    assert det.fitted_hyperparameters.noise_variance == pytest.approx(1e-6)
    optuna_like = GaussianProcess(lengthscale_prior="optuna").fit(X, y, card)
    assert optuna_like.fitted_hyperparameters.noise_variance >= 1e-6
    assert optuna_like.fitted_hyperparameters != det.fitted_hyperparameters


def test_cholesky_jitter_escalation():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    w = np.array([1.0, 1.0, 0.5, 0.3, 0.1, -3e-7])  # slightly indefinite
    K = (Q * w) @ Q.T
    L, jitter = cholesky_with_jitter(K)
    assert 1e-7 <= jitter <= 1e-5
    np.testing.assert_allclose(L @ L.T, K + jitter * np.mean(np.diag(K)) * np.eye(6),
                               atol=1e-12)
    L0, j0 = cholesky_with_jitter(np.eye(3))
    assert j0 == 0.0 and np.allclose(L0, np.eye(3))
    with pytest.raises(OptimizerError, match="not positive definite"):
        cholesky_with_jitter((Q * np.array([1, 1, 1, 1, 1, -0.5])) @ Q.T)
    with pytest.raises(OptimizerError, match="non-finite"):
        cholesky_with_jitter(np.array([[1.0, np.nan], [np.nan, 1.0]]))


def test_duplicate_points_without_noise_use_jitter():
    X = np.array([[0.2], [0.2], [0.7]])
    gp = GaussianProcess(hyperparameters=GPHyperparameters((0.3,), 1.0, 0.0))
    gp.fit(X, np.array([1.0, 1.0, 0.0]), np.array([0]))
    assert gp.fit_info["jitter"] > 0
    mean, _ = gp.predict(X)
    np.testing.assert_allclose(mean, [1.0, 1.0, 0.0], atol=1e-3)


def test_one_point_and_constant_y_do_not_crash():
    gp = GaussianProcess()
    gp.fit(np.array([[0.3, 0.4]]), np.array([2.0]), np.array([0, 0]))
    mean, var = gp.predict(np.array([[0.3, 0.4], [0.9, 0.1]]))
    assert np.allclose(mean, 2.0) and np.all(var > 0)
    gp.fit(np.random.default_rng(0).random((6, 2)), np.full(6, 5.0), np.array([0, 0]))
    mean, _ = gp.predict(np.array([[0.5, 0.5]]))
    assert mean[0] == pytest.approx(5.0)


def test_joint_samples_follow_the_posterior():
    X, y, card = _mixed_data(8)
    gp = GaussianProcess().fit(X, y, card)
    probe = np.array([[0.1, 0.2, 0.5], [0.12, 0.2, 0.5], [0.9, np.nan, 1 / 6]])
    draws = gp.sample(probe, 4000, np.random.default_rng(0))
    assert draws.shape == (4000, 3)
    mean, var = gp.predict(probe)
    np.testing.assert_allclose(draws.mean(0), mean, atol=4 * np.sqrt(var.max() / 4000))
    np.testing.assert_allclose(draws.var(0), var, rtol=0.1)
    corr = np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]
    assert corr > 0.9  # nearby points move together
    again = gp.sample(probe, 4000, np.random.default_rng(0))
    np.testing.assert_array_equal(draws, again)


def test_refits_are_deterministic_and_restart_periodically():
    rng = np.random.default_rng(4)
    X = rng.random((30, 3))
    y = np.sum((X - 0.4) ** 2, axis=1)
    runs = []
    for _ in range(2):
        gp = GaussianProcess(restart_every=5)
        starts = []
        for n in range(10, 21):
            gp.fit(X[:n], y[:n], np.zeros(3))
            starts.append(gp.fit_info["starts"])
        runs.append((gp.predict(X[20:])[0], gp.fitted_hyperparameters))
        assert starts[4] == 2 and starts[9] == 2  # the 5th and 10th fit
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    # the warm-started optimum is as good as a cold fit's
    cold = GaussianProcess().fit(X[:20], y[:20], np.zeros(3))
    assert gp.fit_info["neg_log_posterior"] <= cold.fit_info["neg_log_posterior"] + 1e-2


def test_settings_are_validated_and_described():
    with pytest.raises(OptimizerError, match="lengthscale_prior"):
        GaussianProcess(lengthscale_prior="flat")  # type: ignore[arg-type]
    with pytest.raises(OptimizerError, match="inactive_value"):
        GaussianProcess(inactive_value=0.5)
    with pytest.raises(OptimizerError, match="noise"):
        GaussianProcess(noise="none")  # type: ignore[arg-type]
    with pytest.raises(OptimizerError, match="lengthscales"):
        GaussianProcess(hyperparameters=GPHyperparameters((1.0,), 1.0, 0.0)).fit(
            np.zeros((2, 2)), np.zeros(2), np.zeros(2))
    with pytest.raises(OptimizerError, match="GPHyperparameters"):
        GPHyperparameters((0.0,), 1.0, 0.0)
    with pytest.raises(OptimizerError, match="before fit"):
        GaussianProcess().predict(np.zeros((1, 2)))
    config = GaussianProcess(noise="deterministic", gtol=1e-3).to_config()
    assert config["name"] == "GaussianProcess"
    assert config["noise"] == "deterministic" and config["gtol"] == 1e-3
    assert GaussianProcess.supports_grad


@pytest.mark.parametrize("card", [np.array([3, 2]), np.zeros(0, dtype=int)], ids=["categorical", "no-columns"])
def test_only_categorical_or_no_columns(card):
    rng = np.random.default_rng(0)
    n = 12
    X = np.column_stack([(rng.integers(0, k, n) + 0.5) / k for k in card]) if card.size else np.zeros((n, 0))
    y = rng.standard_normal(n)
    gp = GaussianProcess().fit(X, y, card)
    mean, var, dmean, dvar = gp.predict_grad(X[:3])
    assert np.all(np.isfinite(mean)) and np.all(var > 0)
    assert dmean.shape == X[:3].shape and np.all(dmean == 0) and np.all(dvar == 0)
