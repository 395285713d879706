"""Acquisition functions: closed forms, stability, gradients, schedules and SAWEI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._acquisition import (
    EI,
    LCB,
    PI,
    AcquisitionProgress,
    EIPISwitch,
    LogEI,
    LogPI,
    ThompsonSampling,
    default_beta,
    log_h,
)
from hyperpilot.optimizers.bo._gp import GaussianProcess
from hyperpilot.optimizers.bo._sawei import (
    SAWEI,
    moving_iqm,
    regret_bound_terms,
    ubr_converged,
)
from hyperpilot.optimizers.bo._surrogate import Surrogate


class MeanStd(Surrogate):
    """A stand-in surrogate whose mean is X[:, 0] and whose std is X[:, 1]."""

    supports_grad = True

    def _fit(self, X, y, cardinalities):
        pass

    def _predict(self, X):
        return X[:, 0].copy(), X[:, 1] ** 2

    def predict_grad(self, X):
        X = self._check_X(X)
        dmean = np.zeros_like(X)
        dmean[:, 0] = 1.0
        dvar = np.zeros_like(X)
        dvar[:, 1] = 2 * X[:, 1]
        return X[:, 0].copy(), X[:, 1] ** 2, dmean, dvar


def _stub():
    return MeanStd().fit(np.zeros((1, 2)), np.zeros(1), np.zeros(2))


def _rows(mean, std):
    return np.column_stack([np.atleast_1d(mean), np.atleast_1d(std)]).astype(float)


@pytest.fixture(scope="module")
def gp():
    rng = np.random.default_rng(0)
    X = rng.random((15, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1] ** 2
    return GaussianProcess().fit(X, y, np.zeros(2)), X, y


def test_ei_closed_form_on_hand_values():
    s = _stub()
    assert EI().evaluate(_rows(0.0, 1.0), s, 0.0)[0] == pytest.approx(1 / math.sqrt(2 * math.pi))
    mean, std, best = 1.0, 2.0, 0.0
    z = (best - mean) / std
    ref = std * (z * norm.cdf(z) + norm.pdf(z))
    assert EI().evaluate(_rows(mean, std), s, best)[0] == pytest.approx(ref, rel=1e-12)
    # xi shifts the target
    z = (best - 0.3 - mean) / std
    ref_xi = std * (z * norm.cdf(z) + norm.pdf(z))
    assert EI(xi=0.3).evaluate(_rows(mean, std), s, best)[0] == pytest.approx(ref_xi)


def test_ei_matches_monte_carlo():
    rng = np.random.default_rng(0)
    s = _stub()
    for mean, std, best in [(0.5, 0.7, 0.2), (-1.0, 0.3, -0.8), (2.0, 1.5, 0.0)]:
        f = mean + std * rng.standard_normal(400_000)
        improvement = np.maximum(best - f, 0.0)
        mc, se = improvement.mean(), improvement.std() / math.sqrt(f.size)
        assert EI().evaluate(_rows(mean, std), s, best)[0] == pytest.approx(mc, abs=4 * se)


def test_log_ei_equals_log_of_ei_and_stays_finite_far_out():
    s = _stub()
    rows = _rows(np.linspace(-3, 3, 13), np.linspace(0.1, 2, 13))
    np.testing.assert_allclose(LogEI().evaluate(rows, s, 0.0),
                               np.log(EI().evaluate(rows, s, 0.0)), rtol=1e-10)
    # z from -5 down to -1e12: EI underflows, LogEI stays finite and decreasing
    z = -np.logspace(np.log10(5), 12, 60)
    values = LogEI().evaluate(_rows(-z, np.ones_like(z)), s, 0.0)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)
    assert EI().evaluate(_rows(40.0, 1.0), s, 0.0)[0] == 0.0
    # at z = -40, log(EI) = log(phi(z)) - 2 log|z| + log(1 - 3/z^2 + 15/z^4 ...)
    expected = norm.logpdf(40.0) - 2 * math.log(40.0) + math.log1p(-3 / 1600 + 15 / 40**4)
    assert LogEI().evaluate(_rows(40.0, 1.0), s, 0.0)[0] == pytest.approx(expected, rel=1e-9)


def test_log_h_is_continuous_across_its_branches():
    for z0 in (-1.0, -1e4):
        eps = 1e-9 * abs(z0)
        left, right = log_h(np.array([z0 - eps, z0 + eps]))
        assert left[0] == pytest.approx(left[1], rel=1e-7)
        assert right[0] == pytest.approx(right[1], rel=1e-6)
    z = np.array([-40.0, -1e3, -1e6, -1e12])
    value, deriv = log_h(z)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(deriv))
    np.testing.assert_allclose(deriv, -z - 2 / z, rtol=1e-5)


def test_pi_and_log_pi():
    s = _stub()
    rows = _rows([0.0, 1.0, 50.0], [1.0, 0.5, 1.0])
    z = (0.2 - rows[:, 0]) / rows[:, 1]
    np.testing.assert_allclose(PI().evaluate(rows, s, 0.2), norm.cdf(z))
    np.testing.assert_allclose(LogPI().evaluate(rows, s, 0.2), norm.logcdf(z), rtol=1e-12)
    values, grads = LogPI().evaluate_with_grad(rows, s, 0.2)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))


def test_lcb_value_and_schedule():
    s = _stub()
    rows = _rows([1.0, 2.0], [0.5, 2.0])
    np.testing.assert_allclose(LCB(beta=4.0).evaluate(rows, s, 0.0), [-1.0 + 1.0, -2.0 + 4.0])
    lcb = LCB(beta=None)
    lcb.update(AcquisitionProgress(n_observations=10, dim=3))
    assert lcb.current_beta == pytest.approx(2 * math.log(3 * 100)) == default_beta(3, 10)
    with pytest.raises(OptimizerError, match="beta"):
        LCB(beta=-1.0)


ANALYTIC = [EI(), EI(xi=0.1), LogEI(), PI(), LogPI(), LCB(), LCB(beta=None), SAWEI(alpha=0.8),
            SAWEI(alpha=0.2)]


@pytest.mark.parametrize("acq", ANALYTIC, ids=repr)
def test_gradients_through_a_fitted_gp_match_finite_differences(acq, gp):
    model, _, y = gp
    rng = np.random.default_rng(5)
    probe = rng.random((8, 2))
    best = float(y.min())
    values, grads = acq.evaluate_with_grad(probe, model, best)
    np.testing.assert_allclose(values, acq.evaluate(probe, model, best), rtol=1e-12)
    h = 1e-6
    for d in range(2):
        E = np.zeros_like(probe)
        E[:, d] = h
        fd = (acq.evaluate(probe + E, model, best) - acq.evaluate(probe - E, model, best)) / (2 * h)
        np.testing.assert_allclose(grads[:, d], fd, rtol=1e-4, atol=1e-6 * max(1, np.abs(fd).max()))


@pytest.mark.parametrize("acq", [EI(), LogEI(), PI(), LogPI(), LCB(), SAWEI(alpha=0.7)], ids=repr)
def test_chain_rule_on_a_known_posterior(acq):
    s = _stub()
    rows = _rows([0.3, -0.2, 4.0], [0.5, 1.2, 0.1])
    _, grads = acq.evaluate_with_grad(rows, s, 0.1)
    h = 1e-6
    for d in range(2):
        E = np.zeros_like(rows)
        E[:, d] = h
        fd = (acq.evaluate(rows + E, s, 0.1) - acq.evaluate(rows - E, s, 0.1)) / (2 * h)
        np.testing.assert_allclose(grads[:, d], fd, rtol=1e-5, atol=1e-9)


def test_log_ei_gradient_is_finite_at_z_minus_40():
    s = _stub()
    values, grads = LogEI().evaluate_with_grad(_rows([40.0, 1e6], [1.0, 1.0]), s, 0.0)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))
    # d log h / dz ~ -z - 2/z = 40.05 at z = -40; dz/dmean = -1, d logEI / dsigma = 1 - z g
    assert grads[0, 0] == pytest.approx(-40.05, rel=1e-5)
    assert grads[0, 1] == pytest.approx(1 + 40 * 40.05, rel=1e-5)


def test_ei_pi_switch_follows_the_budget(gp):
    model, X, y = gp
    acq = EIPISwitch()
    probe = X[:4] + 0.01
    best = float(y.min())
    for step, phase in [(0, "ei"), (9, "ei"), (10, "pi"), (39, "pi")]:
        acq.update(AcquisitionProgress(n_bo_steps=step, n_bo_budget=40))
        assert acq.phase == phase
        ref = (LogEI() if phase == "ei" else LogPI()).evaluate(probe, model, best)
        np.testing.assert_allclose(acq.evaluate(probe, model, best), ref)
        np.testing.assert_allclose(acq.evaluate_with_grad(probe, model, best)[0], ref)
    acq.update(AcquisitionProgress(n_bo_steps=1000, n_bo_budget=None))
    assert acq.phase == "ei"
    with pytest.raises(OptimizerError, match="switch_at"):
        EIPISwitch(switch_at=2.0)


def test_thompson_sampling_is_seeded_and_has_no_gradient(gp):
    model, _, _ = gp
    probe = np.random.default_rng(1).random((50, 2))
    a = ThompsonSampling(seed=3).evaluate(probe, model, 0.0)
    b = ThompsonSampling(seed=3).evaluate(probe, model, 0.0)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50,)
    ts = ThompsonSampling(seed=3)
    draws = np.array([ts.evaluate(probe[:3], model, 0.0) for _ in range(300)])
    mean, var = model.predict(probe[:3])
    np.testing.assert_allclose(draws.mean(0), -mean, atol=5 * np.sqrt(var.max() / 300))
    with pytest.raises(OptimizerError, match="no gradients"):
        ts.evaluate_with_grad(probe, model, 0.0)


def test_sawei_at_half_is_half_ei():
    s = _stub()
    rows = _rows([0.3, -0.2, 4.0], [0.5, 1.2, 0.1])
    np.testing.assert_allclose(SAWEI().evaluate(rows, s, 0.1), 0.5 * EI().evaluate(rows, s, 0.1))


def test_moving_iqm_and_convergence_signal():
    values = np.array([3.0, 1.0, 1.0, 1.0, 100.0, 1.0, 1.0])
    smooth = moving_iqm(values, 5)
    assert smooth[0] == 3.0  # padded with the first value
    assert smooth[5] == pytest.approx(1.0)  # the outlier is trimmed
    falling = 10.0 * np.exp(-0.5 * np.arange(30))
    assert not ubr_converged(falling[:7])  # never within the first window
    assert not ubr_converged(np.linspace(10, 1, 12))  # steady descent
    assert ubr_converged(falling)  # flattened


def _progress(step, ubr, *, exploring):
    # exploring: the last point had a large sigma*phi(z) and a small Phi(z)
    mean, var = (1.0, 4.0) if exploring else (-3.0, 0.01)
    return AcquisitionProgress(n_bo_steps=step, n_observations=10 + step, dim=2,
                               last_mean=mean, last_var=var, last_best=0.0,
                               ucb_min=ubr, lcb_min=0.0)


@pytest.mark.parametrize("exploring", [True, False])
def test_sawei_moves_alpha_against_the_current_attitude(exploring):
    sawei = SAWEI()
    ubr = np.concatenate([10 * np.exp(-0.7 * np.arange(12)), np.full(8, 0.01)])
    alphas = []
    for step, value in enumerate(ubr):
        sawei.update(_progress(step, float(value), exploring=exploring))
        alphas.append(sawei.current_alpha)
    assert alphas[:7] == [0.5] * 7  # nothing within the first window
    assert all(h["adjusted"] == 0 for h in sawei.history[:7])
    if exploring:
        assert alphas[-1] > 0.5 and np.all(np.diff(alphas) >= 0)
    else:
        assert alphas[-1] < 0.5 and np.all(np.diff(alphas) <= 0)
    assert 0.0 <= alphas[-1] <= 1.0
    assert sawei.to_config()["alpha"] == 0.5  # the constructor argument is kept


def test_sawei_update_is_idempotent_per_step_and_needs_bounds():
    sawei = SAWEI()
    for step in range(20):
        sawei.update(_progress(step, 1.0, exploring=True))
        sawei.update(_progress(step, 1.0, exploring=True))
    assert len(sawei.history) == 20
    quiet = SAWEI()
    quiet.update(AcquisitionProgress(n_bo_steps=0))
    assert quiet.history == [] and quiet.current_alpha == 0.5


def test_regret_bounds_from_the_gp(gp):
    model, X, y = gp
    sawei = SAWEI()
    candidates = np.random.default_rng(2).random((256, 2))
    ucb_min, lcb_min = sawei.regret_bounds(model, X, y, candidates)
    assert ucb_min > lcb_min
    beta = sawei.regret_beta(2, len(y))
    ref_ucb, ref_lcb = regret_bound_terms(model, X, y, candidates, beta=beta, top_p=0.5)
    assert (ucb_min, lcb_min) == (ref_ucb, ref_lcb)
    mean, var = model.predict(X[np.argsort(y)[:8]])
    assert ucb_min == pytest.approx(np.min(mean + np.sqrt(beta * var)))


def test_progress_is_validated_and_every_acquisition_describes_itself():
    with pytest.raises(OptimizerError, match="n_bo_steps"):
        AcquisitionProgress(n_bo_steps=-1)
    with pytest.raises(OptimizerError, match="last_var"):
        AcquisitionProgress(last_var=-1.0)
    with pytest.raises(OptimizerError, match="SAWEI"):
        SAWEI(alpha=1.5)
    with pytest.raises(OptimizerError, match="best"):
        EI().evaluate(_rows(0.0, 1.0), _stub(), float("nan"))
    for acq in [*ANALYTIC, EIPISwitch(switch_at=0.5), ThompsonSampling(seed=1)]:
        config = acq.to_config()
        assert config["name"] == type(acq).__name__
        assert type(acq)(**{k: v for k, v in config.items() if k != "name"}).to_config() == config
