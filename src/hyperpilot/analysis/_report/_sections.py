"""The report's sections: what each is, and the registry that orders them.

A :class:`ReportSection` is a key, a title, a function and the fewest complete trials it
needs. The report runs the registry's sections in order, per study (``scope="study"``)
and then, with several studies, the ones over all of them (``scope="studies"``). A
section that does not apply to a study (``applies``: the Pareto front of a study with one
objective) is left out; one the study has too few trials for is listed as not shown, with
the counts; one that raises shows its one-line reason; none of them stops the report.

Adding a view is one line in :data:`REPORT_SECTIONS`. A view that lives in a module of
its own is best added through :func:`lazy_view` (or :func:`lazy_studies_view`), which
imports the module only when the section runs: a report still works when the module is
missing (the section then says so).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hyperpilot.analysis._data import AnalysisError
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._report._compare import comparison
from hyperpilot.analysis._report._content import ReportContext, trust_blocks
from hyperpilot.analysis._report._extra import (
    contour_section,
    hypershap_section,
    partial_dependence_section,
)
from hyperpilot.analysis._report._study import (
    ablation_section,
    agreement_section,
    fanova_section,
    lpi_section,
    overview,
    ped_anova_section,
    summary,
)

_KEY = re.compile(r"[a-z][a-z0-9_-]*")


@dataclass(frozen=True)
class ReportSection:
    """One section of the report.

    Attributes:
        key: a short name (lower case, digits, ``-``, ``_``) to choose it by and to link to.
        title: its heading.
        build: ``build(context)`` for a study's section, ``build(contexts)`` (a list, one
            per study) for a section over several; returns text, tables, plotly figures,
            blocks or a list of these (see ``_content``).
        min_trials: the fewest complete trials the study needs (fewer: skipped, saying so).
        scope: ``"study"`` (once per study) or ``"studies"`` (once, only when the report
            has at least two studies).
        about: how to read it, one or two sentences under the title.
        applies: for a study's section, whether it belongs in the study's part at all
            (:func:`multi_objective`, :func:`single_objective`, :func:`with_budgets`);
            where it does not, it is left out without a word. ``None``: everywhere.

    """

    key: str
    title: str
    build: Callable[[Any], Any]
    min_trials: int = 0
    scope: Literal["study", "studies"] = "study"
    about: str = ""
    applies: Callable[[ReportContext], bool] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise AnalysisError(f"report section: key must be lower-case letters, digits, "
                                f"'-' or '_' starting with a letter, got {self.key!r}")
        if self.scope not in ("study", "studies"):
            raise AnalysisError(f"report section {self.key!r}: scope must be 'study' or "
                                f"'studies', got {self.scope!r}")
        if isinstance(self.min_trials, bool) or not isinstance(self.min_trials, int) or (
                self.min_trials < 0):
            raise AnalysisError(f"report section {self.key!r}: min_trials must be a whole "
                                f"number >= 0, got {self.min_trials!r}")
        if not callable(self.build):
            raise AnalysisError(f"report section {self.key!r}: build must be callable, got "
                                f"{self.build!r}")
        if self.applies is not None and not callable(self.applies):
            raise AnalysisError(f"report section {self.key!r}: applies must be callable or "
                                f"None, got {self.applies!r}")


def multi_objective(context: ReportContext) -> bool:
    """Whether the study has several objectives."""
    return len(context.study.objectives) > 1


def single_objective(context: ReportContext) -> bool:
    """Whether the study has one objective."""
    return len(context.study.objectives) == 1


def with_budgets(context: ReportContext) -> bool:
    """Whether the study's complete trials ran at two budgets or more."""
    budgets = {t.budget for t in context.trials if t.state.value == "complete"}
    return len(budgets - {None}) > 1


def _function(module: str, function: str) -> Callable[..., Any]:
    found: Callable[..., Any] = getattr(
        importlib.import_module(f"hyperpilot.analysis.{module}"), function)
    return found


def lazy_view(module: str, function: str, *, table: str | None = None,
              **arguments: Any) -> Callable[[ReportContext], Any]:
    """A study's section that calls ``hyperpilot.analysis.<module>.<function>(study, ...)``.

    The module is imported when the section runs. The function that receives the study
    gets the report's ``objective``, ``seed`` and ``n_bootstrap`` when it takes them by
    name, and *arguments* (which take precedence). Without *table*, that is *function*
    itself. With *table* (the name of the module's function that computes the table a
    ``plot_*`` function draws), the table is computed first, the section shows its trust
    line and warnings (when it has the trust columns), then ``function(table)``.
    """

    def build(context: ReportContext) -> Any:
        target = _function(module, table or function)
        result = target(context.study, **{**context.arguments_for(target), **arguments})
        if table is None:
            return result
        return [*trust_blocks(result), _function(module, function)(result)]

    build.__qualname__ = f"lazy_view({module!r}, {function!r})"
    return build


def lazy_studies_view(module: str, function: str,
                      **arguments: Any) -> Callable[[Sequence[ReportContext]], Any]:
    """Like :func:`lazy_view` for a function of a list of studies (``function(studies)``)."""

    def build(contexts: Sequence[ReportContext]) -> Any:
        return _function(module, function)([c.study for c in contexts], **arguments)

    build.__qualname__ = f"lazy_studies_view({module!r}, {function!r})"
    return build


_FOREST = "The explanation forest's prediction"
_S = ReportSection

REPORT_SECTIONS: tuple[ReportSection, ...] = (
    _S("summary", "Summary", summary, about="In words, from the numbers below; a ranking "
       "only when the surrogate's fit allows one."),
    _S("overview", "Overview", overview),
    _S("history", "History", lazy_view("_history", "plot_history", table="history",
                                       objective=None), 1),
    _S("timeline", "Timeline", lazy_view("_timeline", "plot_timeline", table="timeline"), 0,
       about="When each trial ran, by worker and state."),
    _S("fanova", "fANOVA: main effects and interactions", fanova_section, MIN_TRIALS,
       about="Each bar is a share of the forest's variance over the whole space, with its "
             "spread over trees; a pair's share is the interaction beyond both main effects."),
    _S("hypershap", "HyperSHAP: what the best configuration owes to each hyperparameter",
       hypershap_section, MIN_TRIALS, about="Shapley values and pair interactions of the "
       "predicted gain from the default to the best configuration (the ablation game)."),
    _S("ped-anova", "PED-ANOVA: what the top trials have in common", ped_anova_section,
       MIN_TRIALS, about="No model: where the top 10% of the trials lie compared with all "
                         "of them, per hyperparameter."),
    _S("lpi", "Local importance around the best trial", lpi_section, MIN_TRIALS,
       about="Each hyperparameter moved alone over its range, the others at the best "
             "trial's values."),
    _S("ablation", "Ablation path: from the default to the best configuration",
       ablation_section, MIN_TRIALS, about="Greedily, the change to the best trial's value "
       "that the forest predicts best, until the best configuration is reached."),
    _S("agreement", "Agreement between the methods", agreement_section, MIN_TRIALS,
       about="fANOVA looks at the whole space, PED-ANOVA at the top trials, local importance "
             "around the best one: alike rankings are robust."),
    _S("pdp", "Partial dependence", partial_dependence_section, MIN_TRIALS,
       about=f"{_FOREST} as the two most important hyperparameters (and the pair that "
             "interacts most) vary, averaged over the others."),
    _S("slices", "Slices", lazy_view("_slices", "plot_slices", table="slices"), 1,
       about="Every trial's value against each hyperparameter."),
    _S("contour", "Contour of the pair that interacts most", contour_section, MIN_TRIALS,
       about=f"{_FOREST} over two hyperparameters, the others at the best trial's values."),
    _S("parallel", "Parallel coordinates", lazy_view("_parallel", "plot_parallel_coordinates",
                                                     table="parallel_coordinates"), 2),
    _S("footprint", "Footprint", lazy_view("_footprint", "plot_footprint", table="footprint"),
       3, about="Where the trials lie in the space, projected on its two main axes."),
    _S("refine", "A refined search space", lazy_view("_refine", "plot_refined_space",
                                                     table="refine"), MIN_TRIALS),
    _S("pareto", "Pareto front", lazy_view("_front", "plot_pareto_front", table="pareto_front"),
       1, applies=multi_objective),
    _S("hypervolume", "Hypervolume", lazy_view("_front", "plot_hypervolume_history",
                                               table="hypervolume_history"), 1,
       applies=multi_objective),
    _S("mo-importance", "Importance for each objective", lazy_view(
        "_mo", "plot_mo_importance", table="mo_importance", n_bootstrap=0), MIN_TRIALS,
       applies=multi_objective),  # one forest per objective and weighting: no resamples
    _S("budget-correlation", "Correlation between budgets", lazy_view(
        "_timeline", "plot_budget_correlation", table="budget_correlation"), 2,
       applies=with_budgets),
    _S("comparison", "Comparison of the studies", comparison, scope="studies",
       about="Best values and configurations side by side, and how fast each study got "
             "there."),
    _S("edf", "Distribution of the values", lazy_studies_view("_history", "plot_edf"),
       scope="studies", about="For each study, the share of its trials at or below a value."),
)
"""The default sections, in the order the report shows them."""


def select_sections(chosen: Sequence[str | ReportSection] | None) -> list[ReportSection]:
    """The sections to run: all registered ones, or those named (keys) or given.

    Raises:
        AnalysisError: for an unknown key or a key given twice.

    """
    if chosen is None:
        return list(REPORT_SECTIONS)
    known = {s.key: s for s in REPORT_SECTIONS}
    out: list[ReportSection] = []
    for item in chosen:
        if isinstance(item, ReportSection):
            section = item
        elif item in known:
            section = known[item]
        else:
            raise AnalysisError(f"report: unknown section {item!r}; the sections are "
                                f"{', '.join(known)}")
        if any(s.key == section.key for s in out):
            raise AnalysisError(f"report: section {section.key!r} is given twice")
        out.append(section)
    return out
