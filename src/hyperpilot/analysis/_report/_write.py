"""The report: run the sections over the studies, say how it goes, write one HTML file."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisError,
    ObjectiveArg,
    TooFewTrialsError,
    _check_objective,
)
from hyperpilot.analysis._report._content import (
    ReportContext,
    ReportOptions,
    SectionResult,
    as_blocks,
    reason,
)
from hyperpilot.analysis._report._html import StudyPart, anchor, render_page
from hyperpilot.analysis._report._sections import ReportSection, select_sections
from hyperpilot.exceptions import HyperpilotError
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

logger = logging.getLogger("hyperpilot")


class ReportPathError(HyperpilotError, OSError):
    """The report cannot be written where it was asked to go."""


@dataclass(frozen=True)
class ReportResult:
    """What :func:`report` wrote.

    Attributes:
        path: the HTML file.
        sections: every section as it ran, study by study, then those over all studies.
        figures: how many plotly figures the page holds.
        seconds: how long the whole report took.
        size: the file's size in bytes.

    """

    path: Path
    sections: tuple[SectionResult, ...]
    figures: int
    seconds: float
    size: int

    def count(self, status: str) -> int:
        """How many sections ended with *status* (``"ok"``, ``"skipped"``, ``"failed"``)."""
        return sum(s.status == status for s in self.sections)


def _check_path(path: str | os.PathLike[str]) -> Path:
    """*path* as a Path, once it is known that a file can be written there.

    Raises:
        ReportPathError: for a folder, a missing folder, or a folder that refuses files.

    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise ReportPathError(f"report: cannot write {str(target)!r}: it is a folder")
    folder = target.parent
    if not folder.is_dir():
        raise ReportPathError(f"report: cannot write {str(target)!r}: the folder "
                              f"{str(folder)!r} does not exist")
    try:  # the file is written at the end; find out now rather than after the work
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".hyperpilot-report-"):
            pass
    except OSError as exc:
        raise ReportPathError(f"report: cannot write {str(target)!r}: "
                              f"{exc.strerror or exc}") from None
    if target.exists() and not os.access(target, os.W_OK):
        raise ReportPathError(f"report: cannot write {str(target)!r}: permission denied")
    return target


def _check_studies(studies: Study | Sequence[Study], objective: ObjectiveArg,
                   options: ReportOptions) -> list[ReportContext]:
    from hyperpilot.study._study import Study

    listed = [studies] if isinstance(studies, Study) else list(studies)
    if not listed:
        raise AnalysisError("report: no study given")
    contexts = []
    for study in listed:
        if not isinstance(study, Study):
            raise AnalysisError(f"report: expected studies, got {type(study).__name__}")
        if objective is not None:
            _check_objective(study, objective, f"report of study {study.name!r}")
        context = ReportContext(study, options)
        if not context.trials:
            raise TooFewTrialsError(f"report: study {study.name!r} has no trials; there is "
                                    "nothing to report")
        contexts.append(context)
    return contexts


def _skip_reason(section: ReportSection, context: ReportContext) -> str:
    if context.n_complete >= section.min_trials:
        return ""
    others: dict[str, int] = {}
    for trial in context.trials:
        if trial.state != TrialState.COMPLETE:
            others[trial.state.value] = others.get(trial.state.value, 0) + 1
    states = ", ".join(f"{n} {s}" for s, n in sorted(others.items()))
    needed = ("a complete trial" if section.min_trials == 1
              else f"at least {section.min_trials} complete trials")
    return (f"needs {needed}, the study has {context.n_complete}"
            + (f" ({states})" if states else ""))


def _run(section: ReportSection, argument: object, study: str | None) -> SectionResult:
    """One section, its failure turned into a one-line reason."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            blocks = as_blocks(section.build(argument))
    except Exception as exc:
        logger.debug("report section %r failed", section.key, exc_info=True)
        return SectionResult(section.key, section.title, section.about, study, "failed",
                             reason(exc), seconds=time.perf_counter() - start)
    return SectionResult(section.key, section.title, section.about, study, "ok",
                         blocks=tuple(blocks), seconds=time.perf_counter() - start)


def report(
    studies: Study | Sequence[Study],
    path: str | os.PathLike[str],
    *,
    sections: Sequence[str | ReportSection] | None = None,
    objective: str | Mapping[str, float] | None = None,
    n_bootstrap: int = 10,
    seed: int = 0,
    title: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Write a self-contained HTML report of one or more studies to *path*.

    For each study: a summary in words, an overview (trials by state, the best value and
    configuration, failures grouped by error), and the importances (fANOVA main effects and
    pairs, PED-ANOVA, local importance, the ablation path, the methods' agreement), each
    with its trust layer. With several studies, a comparison follows. The page holds
    plotly.js once and loads nothing from elsewhere, so it opens offline.

    Args:
        studies: a study or several.
        path: the HTML file to write (its folder must exist).
        sections: the sections to show, by key or as :class:`ReportSection` objects
            (default: every one of ``REPORT_SECTIONS``).
        objective: the objective the importances explain, or weights; default: the only
            objective, or the first of several.
        n_bootstrap: bootstrap resamples behind the importances' intervals (0: none).
        seed: the seed of the explanation forests and the resamples.
        title: the page's title (default: names the studies).
        progress: called with one line as each section ends (``print`` will do).

    Returns:
        What was written: the path, each section's outcome, the number of figures.

    Raises:
        AnalysisError: for no study, an unknown section or objective, a bad setting.
        TooFewTrialsError: for a study without trials.
        ReportPathError: when *path* cannot be written (checked before any work).

    """
    start = time.perf_counter()
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
        raise AnalysisError(f"report: n_bootstrap must be a whole number >= 0, got "
                            f"{n_bootstrap!r}")
    chosen = select_sections(sections)
    options = ReportOptions(objective=objective, n_bootstrap=n_bootstrap, seed=seed)
    contexts = _check_studies(studies, objective, options)
    target = _check_path(path)
    per_study = [s for s in chosen if s.scope == "study"]
    overall_sections = [s for s in chosen if s.scope == "studies"] if len(contexts) > 1 else []
    wanted = [[s for s in per_study if s.applies is None or s.applies(c)] for c in contexts]
    total = sum(map(len, wanted)) + len(overall_sections)
    done = 0

    def tell(result: SectionResult) -> None:
        nonlocal done
        done += 1
        if progress is None:
            return
        where = f"{result.study}: " if result.study is not None else ""
        state = (f"{result.seconds:.1f} s" if result.status == "ok"
                 else f"{result.status} ({result.reason})")
        progress(f"report [{done}/{total}] {where}{result.key}: {state}")

    parts = []
    for index, (context, sections_here) in enumerate(zip(contexts, wanted, strict=True)):
        results = []
        for section in sections_here:
            why = _skip_reason(section, context)
            result = (SectionResult(section.key, section.title, section.about,
                                    context.study.name, "skipped", why) if why
                      else _run(section, context, context.study.name))
            tell(result)
            results.append(result)
        parts.append(StudyPart(f"study-{index + 1}-{anchor(context.study.name)}",
                               f"Study {context.study.name!r}", results))
    overall = []
    for section in overall_sections:
        result = _run(section, contexts, None)
        tell(result)
        overall.append(result)
    names = [c.study.name for c in contexts]
    from hyperpilot import __version__

    page, figures = render_page(
        title or f"hyperpilot report: {', '.join(names)}",
        f"{len(contexts)} stud{'ies' if len(contexts) != 1 else 'y'} from "
        f"{contexts[0].study.where()}; written {time.strftime('%Y-%m-%d %H:%M')}",
        parts, overall,
        f"Written by hyperpilot {__version__}. Importances: seed {seed}, {n_bootstrap} "
        "bootstrap resamples per interval.")
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportPathError(f"report: cannot write {str(target)!r}: "
                              f"{exc.strerror or exc}") from None
    every = tuple(r for part in parts for r in part.results) + tuple(overall)
    return ReportResult(path=target, sections=every, figures=figures,
                        seconds=time.perf_counter() - start, size=len(page.encode("utf-8")))
