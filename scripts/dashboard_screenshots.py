"""Serve the dashboard over a demo study and save screenshots of its main pages.

Writes ``docs/figures/dashboard-{studies,overview,trials,trial,events,analysis,
interactions,compare}.png`` (interactions: the interaction graph and the partial dependence
of its strongest pair; compare: the demo beside its Sobol twin). The study is
the report screenshot's demo (``scripts/report_screenshot.py``: 8 hyperparameters, a few
diverged trials) in a temporary SQLite file, run by BO and steered half-way (a prior, an
exclusion, a queued configuration, a pause), so the pages show priors, why BO chose each
configuration and events; a Sobol study sits beside it. Debian's Chromium (``apt-get install
chromium``) drives the pages headless through the ``playwright`` package; Playwright's own
browser download is not used.

Run:  python scripts/dashboard_screenshots.py [--out docs/figures] [--trials 60]
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import threading
from pathlib import Path

import hyperpilot as hp
from hyperpilot.dashboard import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_screenshot import CHROMIUM, SPACE, _shrink, objective  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

PAGES = [  # (file name, path, a selector that shows the page is drawn)
    ("studies", "/", "#studies tr[data-study]"),
    ("overview", "/study/demo", "#progress svg.main-svg"),
    ("trials", "/study/demo/trials?order=value:value&limit=25", "#trials tr[data-number]"),
    ("trial", "/study/demo/trials/{best}", "#config table"),
    ("events", "/study/demo/events", "#events tr[data-kind]"),
    ("analysis", "/study/demo/analysis#fanova", "#view-fanova .figure svg.main-svg"),
    ("interactions", "/study/demo/analysis#interactions",
     "#view-interactions .pdp[data-pair] .figure svg.main-svg"),
    ("compare", "/compare?studies=demo,demo-sobol#fanova", "#importance-figure svg.main-svg"),
]


def demo(url: str, n_trials: int) -> int:
    """Create and steer the demo studies in *url*; the best trial's number."""
    study = hp.create_study(space=SPACE, name="demo", storage=url, optimizer="bo", seed=0)
    study.optimize(objective, n_trials=n_trials // 2, show_progress=False,
                   max_consecutive_failures=None)
    study.set_prior("learning_rate", 0.01, "high", origin="cli", author="ana")
    study.exclude(3, origin="dashboard", author="ana")
    study.optimize(objective, n_trials=n_trials - n_trials // 2, show_progress=False,
                   max_consecutive_failures=None)
    study.enqueue({"learning_rate": 0.02, "optimizer": "adam"}, origin="dashboard")
    study.pause(origin="dashboard")
    other = hp.create_study(space=SPACE, name="demo-sobol", storage=url, optimizer="sobol",
                            seed=1)
    other.optimize(objective, n_trials=n_trials // 2, show_progress=False,
                   max_consecutive_failures=None)
    best = study.best_trial.number
    study.storage.close()
    other.storage.close()
    return best


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; 1 without Chromium."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args(argv)
    logging.getLogger("hyperpilot").setLevel(logging.ERROR)  # the demo fails on purpose
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    import uvicorn
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        best = demo(url, args.trials)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(create_app(url), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        errors: list[str] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console",
                        lambda m: errors.append(m.text) if m.type == "error" else None)
                args.out.mkdir(parents=True, exist_ok=True)
                for name, path, ready in PAGES:
                    page.goto("about:blank")  # the analysis page twice: load it anew
                    page.goto(base + path.format(best=best))
                    page.wait_for_selector(ready, timeout=30_000)
                    page.wait_for_timeout(400)
                    out = args.out / f"dashboard-{name}.png"
                    page.screenshot(path=str(out), full_page=True)
                    _shrink(out)
                    print(f"wrote {out}")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
    if errors:
        print(f"the pages logged errors: {errors[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
