"""The dashboard's ASGI app: a JSON API over one storage, and the static pages that use it.

Reads (``GET``) are open. Writes (``POST``: the steering actions, and a warm-started study
on a refined space) go through the same Python API (the steering ones through
:class:`~hyperpilot.study.Study` methods with origin ``dashboard``); they must
send ``Content-Type: application/json`` (so a foreign web page cannot post a form to a
dashboard on this machine without a CORS preflight, which this app never grants), and,
when the app has a token, the header ``X-Hyperpilot-Token``. A refused input is a 400 with
the one-line message and stores nothing.
"""

from __future__ import annotations

import contextlib
import hmac
import importlib.util
import json
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hyperpilot.dashboard import _compare, _data
from hyperpilot.dashboard._actions import BadRequest, acquisitions
from hyperpilot.dashboard._actions import steer as steer_study
from hyperpilot.dashboard._analysis import AnalysisJobs, warm_start
from hyperpilot.exceptions import HyperpilotError, StudyNotFoundError
from hyperpilot.storage._base import Storage
from hyperpilot.storage._url import get_storage
from hyperpilot.study._study import Study, load_study

STATIC = Path(__file__).parent / "static"
TOKEN_HEADER = "X-Hyperpilot-Token"

PAGES = {"studies": "studies.html", "overview": "overview.html", "trials": "trials.html",
         "trial": "trial.html", "events": "events.html", "analysis": "analysis.html",
         "compare": "compare.html"}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def plotly_js() -> Path:
    """The ``plotly.min.js`` shipped inside the installed ``plotly`` package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the plotly package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


def host_of(header: str) -> str:
    """The host name of a ``Host`` header, without its port: ``[::1]:80`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class _OnlyHosts:
    """ASGI wrapper: refuse HTTP requests whose ``Host`` is not one of *hosts* (400).

    A page on another site that makes its own name resolve to 127.0.0.1 (DNS rebinding)
    would otherwise be same-origin with a dashboard on the loopback; it still sends its
    own name as the host, and is refused.
    """

    def __init__(self, app: Any, hosts: Collection[str]) -> None:
        self.app = app
        self.hosts = {h.strip("[]").lower() for h in hosts}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = host_of(Headers(scope=scope).get("host", ""))
            if host not in self.hosts:
                response = PlainTextResponse(
                    f"this dashboard answers requests for {', '.join(sorted(self.hosts))} "
                    f"only, not {host!r}", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_KEPT_ESCAPES = re.compile("(%2[fF]|%25)")


class _EncodedSlashes:
    """ASGI wrapper: route on a path that keeps ``%2F`` and ``%25`` escaped.

    The pages put a study's name in one path segment (``encodeURIComponent``), but the
    server decodes the path before routing, so a name holding ``/`` would become two
    segments. The wrapper decodes the raw path itself, except these two escapes; the
    ``study`` converter of the routes (``{name:study}``) then decodes the name exactly.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path")
            if raw is not None:
                parts = _KEPT_ESCAPES.split(raw.decode("utf-8", "replace"))
                path = "".join(p.upper() if k % 2 else unquote(p, errors="replace")
                               for k, p in enumerate(parts))
            else:
                path = scope["path"].replace("%", "%25")
            scope = {**scope, "path": path}
        await self.app(scope, receive, send)


class _StudyName(Convertor[str]):
    """A study's name in a path: one segment, decoded (see :class:`_EncodedSlashes`)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return value.replace("%", "%25").replace("/", "%2F")


register_url_convertor("study", _StudyName())


WARM_UP_TRIALS = 1_000_000
"""The most trials (over all studies) that the app reads in the background when it starts."""


class _Studies:
    """The storage and one read-mostly :class:`Study` per name, opened on first use."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._open: dict[str, Study] = {}
        self._finished: dict[str, _data.FinishedCache] = {}

    def get(self, name: str, record_id: int | None = None) -> Study:
        """The study called *name*, opened once and kept.

        It is opened again when its id is not *record_id* (the study was deleted and
        another made under its name).
        """
        with self._lock:
            study = self._open.get(name)
            if study is None or record_id not in (None, study.id):
                study = load_study(name, self.storage)
                self._open[name] = study
                self._finished[name] = _data.FinishedCache(self.storage, study.id)
            return study

    def finished(self, name: str) -> _data.FinishedCache:
        """The study's finished trials, kept between requests (read incrementally)."""
        self.get(name)
        return self._finished[name]

    def warm_up(self, stop: threading.Event) -> None:
        """Open the studies and read their finished trials, until done or *stop* is set.

        Run in a background thread when the app starts, so that the first overview finds
        them read (at 100,000 trials the read takes about half a second); a request that
        comes meanwhile waits only for the study being read. The newest studies come
        first, up to :data:`WARM_UP_TRIALS` trials in all; the others, and a study that
        cannot be read, are left to their first overview.
        """
        try:
            summaries = self.storage.list_studies()
        except HyperpilotError:
            return
        budget = WARM_UP_TRIALS
        for summary in sorted(summaries, key=lambda s: s.record.id, reverse=True):
            if stop.is_set():
                return
            if summary.n_trials > budget:
                continue
            budget -= summary.n_trials
            try:
                self.get(summary.record.name, summary.record.id)
                self.finished(summary.record.name).load()
            except HyperpilotError:
                continue


def create_app(storage_url: str | Storage, *, token: str | None = None,
               allowed_hosts: Collection[str] | None = None,
               analysis_workers: int = 1) -> Starlette:
    """The dashboard app over the storage at *storage_url* (or a storage object).

    With *token*, every write must carry it in the ``X-Hyperpilot-Token`` header; reads
    stay open. Without, writes are open too (for a dashboard bound to the loopback). With
    *allowed_hosts*, requests naming another host in their ``Host`` header are refused
    (``hyperpilot dashboard`` passes the loopback names when it binds the loopback).
    Analysis views are computed by at most *analysis_workers* background threads. When
    the app starts, one more thread reads every study's finished trials (what the
    overview draws), so the first overview need not; requests are answered meanwhile.
    """
    storage = get_storage(storage_url) if isinstance(storage_url, str) else storage_url
    studies = _Studies(storage)
    jobs = AnalysisJobs(analysis_workers)

    async def answer(fn: Callable[[], Any]) -> Response:
        """Run *fn* in a worker thread; its result as JSON, its refusal as one line."""
        try:
            return JSONResponse(await run_in_threadpool(fn))
        except (StudyNotFoundError, LookupError) as exc:
            return JSONResponse({"error": _one_line(exc)}, status_code=404)
        except (BadRequest, ValueError, TypeError) as exc:
            return JSONResponse({"error": _one_line(exc)}, status_code=400)
        except HyperpilotError as exc:
            return JSONResponse({"error": _one_line(exc)}, status_code=500)

    async def list_studies(request: Request) -> Response:
        def run() -> list[dict[str, Any]]:
            rows = []
            for summary in storage.list_studies():
                try:
                    study = studies.get(summary.record.name, summary.record.id)
                    rows.append(_data.study_summary(study, summary))
                except HyperpilotError as exc:  # one unreadable study hides no other
                    rows.append({"name": summary.record.name, "error": _one_line(exc),
                                 "counts": {s.value: n for s, n in summary.counts.items()},
                                 "n_trials": summary.n_trials})
            return rows
        return await answer(run)

    def study_view(fn: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            name = request.path_params["name"]
            return await answer(lambda: fn(studies.get(name), request))
        return endpoint

    def trial(study: Study, request: Request) -> dict[str, Any]:
        number = request.path_params["number"]
        found = _data.trial_detail(study, number)
        if found is None:
            raise LookupError(f"study {study.name!r} has no trial {number}")
        return found

    async def write_body(request: Request) -> dict[str, Any] | Response:
        """A write's JSON object, or the refusal: no token (401), not JSON (415, 400)."""
        if token is not None and not hmac.compare_digest(
                request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
            return JSONResponse({"error": f"this dashboard needs its token for writes: send "
                                          f"it in the {TOKEN_HEADER} header"}, status_code=401)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "writes must be sent as application/json"},
                                status_code=415)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "the request body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the request body must be a JSON object"},
                                status_code=400)
        return body

    async def steer(request: Request) -> Response:
        body = await write_body(request)
        if isinstance(body, Response):
            return body
        name = request.path_params["name"]
        return await answer(lambda: steer_study(studies.get(name), body))

    async def start_warm(request: Request) -> Response:
        body = await write_body(request)
        if isinstance(body, Response):
            return body
        name = request.path_params["name"]
        return await answer(lambda: warm_start(studies.get(name), body, jobs))

    def page(file: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return FileResponse(STATIC / file, headers={"Cache-Control": "no-cache"})
        return endpoint

    async def plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    times = _compare.FinishTimes()

    def compared(request: Request) -> list[Study]:
        query = request.query_params
        return [studies.get(n) for n in _compare.study_names(query.get("studies"),
                                                            query.getlist("study"))]

    async def compare(request: Request) -> Response:
        return await answer(lambda: _compare.comparison(
            [(s, studies.finished(s.name)) for s in compared(request)], times,
            request.query_params.get("objective") or None))

    async def compare_importance(request: Request) -> Response:
        return await answer(lambda: _compare.importances(
            compared(request), jobs, request.query_params.get("view") or "fanova",
            request.query_params.get("objective") or None))

    routes = [
        Route("/", page(PAGES["studies"])),
        Route("/compare", page(PAGES["compare"])),
        Route("/study/{name:study}", page(PAGES["overview"])),
        Route("/study/{name:study}/trials", page(PAGES["trials"])),
        Route("/study/{name:study}/trials/{number:int}", page(PAGES["trial"])),
        Route("/study/{name:study}/events", page(PAGES["events"])),
        Route("/study/{name:study}/analysis", page(PAGES["analysis"])),
        Route("/api/studies", list_studies),
        Route("/api/compare", compare),
        Route("/api/compare/importance", compare_importance),
        Route("/api/studies/{name:study}",
              study_view(lambda s, r: {**_data.overview(s, studies.finished(s.name)),
                                       "acquisitions": acquisitions()})),
        Route("/api/studies/{name:study}/poll", study_view(lambda s, r: _data.poll(s))),
        Route("/api/studies/{name:study}/trials",
              study_view(lambda s, r: _data.trials_page(s, r.query_params))),
        Route("/api/studies/{name:study}/trials/{number:int}", study_view(trial)),
        Route("/api/studies/{name:study}/events",
              study_view(lambda s, r: [_data.event_json(e) for e in s.events()])),
        Route("/api/studies/{name:study}/steer", steer, methods=["POST"]),
        Route("/api/studies/{name:study}/analysis", study_view(lambda s, r: jobs.views(s))),
        Route("/api/studies/{name:study}/analysis/{view}",
              study_view(lambda s, r: jobs.get(s, r.path_params["view"], r.query_params))),
        Route("/api/studies/{name:study}/warm-start", start_warm, methods=["POST"]),
        Route("/static/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    owned = isinstance(storage_url, str)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        warming = threading.Thread(target=studies.warm_up, args=(stop,), daemon=True,
                                   name="hyperpilot-dashboard-warm-up")
        warming.start()
        app.state.warming = warming
        yield
        stop.set()
        warming.join()
        jobs.close()
        if owned:
            storage.close()

    middleware = [Middleware(_EncodedSlashes)] if allowed_hosts is None else [
        Middleware(_OnlyHosts, hosts=list(allowed_hosts)), Middleware(_EncodedSlashes)]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.storage = storage
    app.state.token = token
    app.state.analysis = jobs
    return app
