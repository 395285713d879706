"""Build a demo study, write its HTML report and take a full-page screenshot of it.

The screenshot (``docs/figures/report.png`` by default) is taken by Debian's Chromium
(``apt-get install chromium``) driven headless by the ``playwright`` package, as the
browser tests do; Playwright's own browser download is not used.

Run:  python scripts/report_screenshot.py [--out docs/figures/report.png] [--trials 400]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import hyperpilot as hp
from hyperpilot.analysis import report

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DRAWN = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
         ".filter(d => d.querySelector('svg.main-svg')).length")
"""JavaScript: how many figures plotly has drawn."""

SPACE = hp.Space({
    "learning_rate": hp.Float(1e-4, 1.0, log=True),
    "depth": hp.Int(2, 12),
    "width": hp.Int(16, 512, log=True),
    "dropout": hp.Float(0.0, 0.6),
    "optimizer": hp.Categorical(["sgd", "adam", "rmsprop"]),
    "momentum": hp.Float(0.0, 0.99, active_if={"optimizer": "sgd"}),
    "weight_decay": hp.Float(1e-6, 1e-2, log=True),
    "batch_size": hp.Ordinal([16, 32, 64, 128, 256]),
})


def objective(config: dict[str, Any]) -> float:
    """A made-up validation error in which a high learning rate with a deep network diverges.

    About half of its variance is the learning rate's, a fifth the depth's, a tenth their
    interaction's, less the optimizer's and the dropout's.
    """
    u = (math.log10(config["learning_rate"]) + 4.0) / 4.0  # 0 to 1
    depth = (config["depth"] - 7) / 5  # -1 to 1
    if u > 0.9 and depth > 0.5:
        raise FloatingPointError("loss diverged (nan) at epoch 3")
    error = 0.10 + 0.6 * (u - 0.55) ** 2 + 0.095 * abs(depth) + 0.116 * (u - 0.55) * depth
    error += {"sgd": 0.047, "adam": 0.0, "rmsprop": 0.0235}[config["optimizer"]]
    return error + 0.02 * (config["dropout"] - 0.2) ** 2


def demo_study(n_trials: int, seed: int = 0) -> hp.Study:
    """A random-search study of :func:`objective` in memory (a few trials fail)."""
    study = hp.create_study(space=SPACE, name="demo", storage="memory", optimizer="random",
                            seed=seed)
    study.optimize(objective, n_trials=n_trials, show_progress=False,
                   max_consecutive_failures=None)
    return study


def screenshot(page_path: Path, out: Path, width: int = 1280) -> int:
    """Open *page_path* in headless Chromium, wait for every figure, save a full-page PNG.

    Returns the number of figures drawn; raises when the page logged an error.
    """
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(page_path.resolve().as_uri())
            expected = int(page.locator('meta[name="hyperpilot-figures"]').get_attribute(
                "content") or 0)
            page.wait_for_function(f"{DRAWN} >= {expected}", timeout=60_000)
            drawn = int(page.evaluate(DRAWN))
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    if errors:
        raise RuntimeError(f"the page logged errors: {errors[:3]}")
    _shrink(out)
    return drawn


def _shrink(path: Path) -> None:
    """Store the PNG with a palette of 256 colours: a third of the size.

    Pillow comes with matplotlib; without it the PNG stays as Chromium wrote it.
    """
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    """Write the report of a demo study and its screenshot; 1 without Chromium."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "report.png")
    parser.add_argument("--trials", type=int, default=400)
    args = parser.parse_args(argv)
    logging.getLogger("hyperpilot").setLevel(logging.ERROR)  # the demo fails on purpose
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    study = demo_study(args.trials)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        written = report(study, Path(folder) / "report.html", title="hyperpilot report: demo",
                         progress=lambda line: print(line, file=sys.stderr))
        print(f"report: {written.figures} figures, {written.size / 1e6:.1f} MB in "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        drawn = screenshot(written.path, args.out)
    print(f"wrote {args.out} ({drawn} figures drawn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
