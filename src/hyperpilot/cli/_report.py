"""``hyperpilot report``: one self-contained HTML file explaining one or more studies.

The analysis package (and plotly) load only when the command runs, so ``hyperpilot
--help`` and the other commands stay quick.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hyperpilot.cli._common import (
    UsageError,
    add_storage_argument,
    open_existing_storage,
    whole_number,
)
from hyperpilot.study._study import Study

DESCRIPTION = """\
Write one HTML file that explains the studies: per study a summary in words, an
overview (trials by state, best value and configuration, failures grouped by error),
the history, and the importances (fANOVA main effects and pairs, HyperSHAP, PED-ANOVA,
local importance, the ablation path, agreement between the methods), each with how far
to trust it; then partial dependence, slices, contour, parallel coordinates, footprint
and a refined search space (Pareto front and hypervolume with several objectives). With
several studies, a comparison follows. The file holds everything it shows (plotly.js
included): it opens offline and can be mailed. Each section prints a line on stderr as
it ends; a section that cannot be computed shows why and the rest is written.
"""

EPILOG = """\
examples:
  hyperpilot report tune_svm -o tune_svm.html
  hyperpilot report svm-bo svm-random --storage sqlite:///runs.db -o compare.html
  hyperpilot report mo-study --objective accuracy --sections summary,overview,fanova
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``report`` command to *subparsers*."""
    parser = subparsers.add_parser(
        "report", help="write a self-contained HTML report of one or more studies",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="+", metavar="STUDY", help="the studies' names")
    add_storage_argument(parser)
    parser.add_argument("-o", "--output", default="report.html", metavar="FILE",
                        help="the HTML file to write (default: %(default)s)")
    parser.add_argument("--objective", metavar="NAME",
                        help="the objective the importances explain (default: the only one, "
                             "or the first of several)")
    parser.add_argument("--sections", metavar="KEYS",
                        help="comma-separated section keys to include, in order (default: "
                             "all; an unknown key lists them)")
    parser.add_argument("--bootstrap", type=whole_number(0), default=10, metavar="N",
                        help="bootstrap resamples behind each importance interval; 0 for "
                             "none, faster (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the explanation forests (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true",
                        help="print no line per section")
    parser.set_defaults(handler=report_command)


def _sections(text: str | None) -> list[str] | None:
    from hyperpilot.analysis._report._sections import REPORT_SECTIONS

    if text is None:
        return None
    keys = [k.strip() for k in text.split(",") if k.strip()]
    known = [s.key for s in REPORT_SECTIONS]
    if not keys:
        raise UsageError(f"--sections needs at least one key; known: {', '.join(known)}")
    for key in keys:
        if key not in known:
            raise UsageError(f"--sections: unknown section {key!r}; known: {', '.join(known)}")
        if keys.count(key) > 1:
            raise UsageError(f"--sections names {key!r} twice")
    return keys


def report_command(args: argparse.Namespace) -> int:
    """Write the report and say where it is."""
    from hyperpilot.analysis._report._write import report

    repeated = sorted({n for n in args.names if args.names.count(n) > 1})
    if repeated:
        raise UsageError(f"study {repeated[0]!r} is named twice")
    sections = _sections(args.sections)
    storage = open_existing_storage(args.storage)
    studies = [Study(storage=storage, record=storage.get_study(name)) for name in args.names]
    if args.objective is not None:
        for study in studies:
            names = [o.name for o in study.objectives]
            if args.objective not in names:
                raise UsageError(f"--objective: study {study.name!r} has no objective "
                                 f"{args.objective!r}; its objectives: {', '.join(names)}")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = report(studies, args.output, sections=sections, objective=args.objective,
                    n_bootstrap=args.bootstrap, seed=args.seed,
                    progress=None if args.no_progress else progress)
    notes = [f"{result.count(s)} {s}" for s in ("skipped", "failed") if result.count(s)]
    print(f"wrote {result.path} ({len(studies)} stud{'ies' if len(studies) != 1 else 'y'}, "
          f"{len(result.sections)} sections" + (f": {', '.join(notes)}" if notes else "")
          + f"; {result.figures} figures, {result.size / 1e6:.1f} MB) in "
          f"{result.seconds:.1f} s")
    return 0
