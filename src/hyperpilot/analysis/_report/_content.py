"""What a report section is given and what it returns.

A section's function takes a :class:`ReportContext` (sections over several studies: a
list of them) and returns *content*: a string (one paragraph), a pandas table, a plotly
figure, one of the blocks below, ``None`` (nothing), or a list of these. A table that
carries the trust columns (``cv_r2``, ``spearman``, ``n_trials``; every importance table
does) brings its trust line and its warnings with it: :func:`as_blocks` puts them before
the table, and the page shows warnings at the top of their section.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pandas as pd

from hyperpilot.analysis._data import ObjectiveArg
from hyperpilot.analysis._trust import CAUTION_R2, TRUST_R2
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

T = TypeVar("T")


@dataclass(frozen=True)
class Text:
    """A paragraph; ``style="summary"`` marks the generated summary, ``"note"`` an aside."""

    text: str
    style: Literal["plain", "summary", "note"] = "plain"


@dataclass(frozen=True)
class Alert:
    """A warning, shown at the top of its section (``"danger"``: do not trust the numbers)."""

    text: str
    level: Literal["caution", "danger"] = "caution"


@dataclass(frozen=True, eq=False)
class Table:
    """A table, shown with at most *max_rows* rows (and a count of the rest)."""

    frame: pd.DataFrame
    caption: str = ""
    max_rows: int = 25


@dataclass(frozen=True, eq=False)
class Figure:
    """A plotly figure."""

    figure: Any


@dataclass(frozen=True)
class TrustRow:
    """The explanation forest's fit on the trials of one budget (NaN: no budgets)."""

    budget: float
    cv_r2: float
    spearman: float
    n_trials: int

    @property
    def verdict(self) -> Literal["trustworthy", "rough", "not to be trusted"]:
        """How far importances built on this fit can be believed (see ``_trust``)."""
        if math.isnan(self.cv_r2) or self.cv_r2 < TRUST_R2:
            return "not to be trusted"
        return "rough" if self.cv_r2 < CAUTION_R2 else "trustworthy"


@dataclass(frozen=True)
class Trust:
    """The trust line of an importance table: the surrogate's fit per budget."""

    rows: tuple[TrustRow, ...]


Block = Text | Alert | Table | Figure | Trust
"""The pieces a section is made of."""

AnalysisName = Literal["fanova", "ped_anova", "lpi", "ablation", "agreement"]
"""The analyses :meth:`ReportContext.analysis` computes."""


def _budgets(frame: pd.DataFrame) -> list[tuple[float, pd.DataFrame]]:
    """The table's rows per budget (one group with NaN when it has no budget column)."""
    if "budget" not in frame.columns:
        return [(math.nan, frame)]
    out = []
    for budget in pd.unique(frame["budget"]):
        value = float(budget)
        rows = frame[frame["budget"].isna()] if math.isnan(value) else frame[
            frame["budget"] == value]
        out.append((value, rows))
    return out


def trust_blocks(frame: pd.DataFrame) -> list[Block]:
    """The trust line and the warnings of a table with the trust columns (else nothing)."""
    if frame.empty or not {"cv_r2", "spearman", "n_trials"} <= set(frame.columns):
        return []
    rows: list[TrustRow] = []
    alerts: list[Block] = []
    for budget, part in _budgets(frame):
        first = part.iloc[0]
        row = TrustRow(budget=budget, cv_r2=float(first["cv_r2"]),
                       spearman=float(first["spearman"]), n_trials=int(first["n_trials"]))
        rows.append(row)
        warning = str(first["warning"]) if "warning" in part.columns else ""
        if warning and warning != "nan":
            where = "" if math.isnan(budget) else f"budget {budget:g}: "
            level: Literal["caution", "danger"] = (
                "danger" if row.verdict == "not to be trusted" else "caution")
            alerts.append(Alert(where + warning, level))
    return [*alerts, Trust(tuple(rows))]


def as_blocks(content: Any) -> list[Block]:
    """Turn what a section returned into blocks (see the module).

    Raises:
        TypeError: for anything that is not text, a table, a figure, a block or a list.

    """
    if content is None:
        return []
    if isinstance(content, (Text, Alert, Table, Figure, Trust)):
        return [content]
    if isinstance(content, str):
        return [Text(content)]
    if isinstance(content, pd.DataFrame):
        return [*trust_blocks(content), Table(content)]
    if hasattr(content, "to_plotly_json"):
        return [Figure(content)]
    if isinstance(content, (list, tuple)):
        return [block for item in content for block in as_blocks(item)]
    raise TypeError(f"a report section returned a {type(content).__name__}; expected text, "
                    "a table, a plotly figure, a block or a list of them")


@dataclass(frozen=True)
class ReportOptions:
    """Settings every section of one report shares.

    Attributes:
        objective: the objective the importances explain (a name or weights); ``None``:
            the study's only objective, or the first of several.
        n_bootstrap: bootstrap resamples behind the importances' intervals (0: none).
        seed: the seed of the explanation forests and the resamples.

    """

    objective: ObjectiveArg = None
    n_bootstrap: int = 10
    seed: int = 0


@dataclass(eq=False)
class ReportContext:
    """What a study's sections are given: the study, the options, and a shared memo.

    Results computed through :meth:`memo` (and :meth:`analysis`) are computed once per
    report, so the summary, the importance sections and the comparison share them; an
    exception is remembered too and raised again to every section that asks.
    """

    study: Study
    options: ReportOptions = field(default_factory=ReportOptions)
    _memo: dict[Hashable, tuple[bool, Any]] = field(default_factory=dict, repr=False)

    @property
    def trials(self) -> list[Trial]:
        """Every trial of the study, read once for the whole report."""
        return self.memo("trials", self.study.get_trials)

    @property
    def n_complete(self) -> int:
        """How many trials completed."""
        return sum(t.state == TrialState.COMPLETE for t in self.trials)

    @property
    def objective(self) -> ObjectiveArg:
        """The objective to explain: the option, else the first of several, else ``None``."""
        if self.options.objective is not None or len(self.study.objectives) == 1:
            return self.options.objective
        return self.study.objectives[0].name

    @property
    def objective_note(self) -> str:
        """A sentence when the importances explain one of several objectives, else ``""``."""
        names = [o.name for o in self.study.objectives]
        if len(names) == 1:
            return ""
        chosen = self.objective
        what = repr(chosen) if isinstance(chosen, str) else "the weighted sum " + " + ".join(
            f"{w:g} {n}" for n, w in dict(chosen or {}).items())
        first = " (the first)" if self.options.objective is None else ""
        return (f"The study has {len(names)} objectives ({', '.join(names)}); the importances "
                f"explain {what}{first}. Choose another with objective=.")

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per report under *key* (exceptions included)."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except Exception as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        result: T = value
        return result

    def analysis(self, name: AnalysisName) -> pd.DataFrame:
        """The table of one analysis with the report's options, computed once."""
        from hyperpilot.analysis._ablation import ablation
        from hyperpilot.analysis._agreement import agreement
        from hyperpilot.analysis._fanova import fanova
        from hyperpilot.analysis._lpi import lpi
        from hyperpilot.analysis._ped_anova import ped_anova

        options = self.options
        common: dict[str, Any] = {"objective": self.objective, "seed": options.seed}
        functions: dict[str, Callable[[], pd.DataFrame]] = {
            "fanova": lambda: fanova(self.study, n_bootstrap=options.n_bootstrap, **common),
            "ped_anova": lambda: ped_anova(self.study, n_bootstrap=options.n_bootstrap,
                                           **common),
            "lpi": lambda: lpi(self.study, n_bootstrap=options.n_bootstrap, **common),
            "ablation": lambda: ablation(self.study, n_bootstrap=options.n_bootstrap, **common),
            "agreement": lambda: agreement(self.study, **common),
        }
        return self.memo(("analysis", name), functions[name])

    def arguments_for(self, function: Callable[..., Any]) -> dict[str, Any]:
        """The report's options that *function* takes by name (objective, seed, n_bootstrap)."""
        import inspect

        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            return {}
        given = {"objective": self.objective, "seed": self.options.seed,
                 "n_bootstrap": self.options.n_bootstrap}
        return {k: v for k, v in given.items()
                if k in parameters and not (k == "objective" and v is None)}


@dataclass(frozen=True, eq=False)
class SectionResult:
    """One section as it ran: its blocks, or why there are none.

    Attributes:
        key: the section's key.
        title: its title.
        about: how to read it (one or two sentences).
        study: the study's name (``None`` for a section over several studies).
        status: ``"ok"``, ``"skipped"`` (too few trials) or ``"failed"``.
        reason: for a skipped or failed section, one line saying why.
        blocks: what it shows.
        seconds: how long it took.

    """

    key: str
    title: str
    about: str
    study: str | None
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    blocks: Sequence[Block] = ()
    seconds: float = 0.0

    @property
    def n_figures(self) -> int:
        """How many plotly figures it shows."""
        return sum(isinstance(b, Figure) for b in self.blocks)


def reason(exc: BaseException) -> str:
    """Why a section failed, in one line.

    The message's first line, after the error's type unless hyperpilot raised it on purpose.
    """
    from hyperpilot.exceptions import HyperpilotError

    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(exc, HyperpilotError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
