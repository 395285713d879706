"""``hyperpilot dashboard``: serve the web dashboard over a storage.

The dashboard package (Starlette, uvicorn, plotly) loads only when the command runs. It
binds the loopback by default; any other address makes writes need a token, generated
here and printed with the address (reads stay open).
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import socket
from typing import Any

from hyperpilot.cli._common import (
    CommandError,
    add_storage_argument,
    open_existing_storage,
    storage_url,
    whole_number,
)
from hyperpilot.exceptions import require
from hyperpilot.storage._url import display_url

DESCRIPTION = """\
Serve the dashboard: the studies of a storage, each study's overview (best
configuration, progress, failures, search space with the priors in force), its trials
(paged, sorted and filtered on the server), each trial in full with why it was
proposed, and the events timeline; pages follow running studies live. From the pages
you can set and clear priors, pause, resume and stop, exclude and include trials, and
queue configurations, each stored as an event with origin 'dashboard'.

It listens on 127.0.0.1 unless --host names another address; then every write needs
the token printed at start (given with --token, or generated), while reads stay open.
"""

EPILOG = """\
examples:
  hyperpilot dashboard
  hyperpilot dashboard --storage sqlite:///runs.db --port 8080
  hyperpilot dashboard --host 0.0.0.0            # prints a token for writes
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``dashboard`` command to *subparsers*."""
    parser = subparsers.add_parser(
        "dashboard", help="serve the web dashboard: watch, explore and steer studies",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_storage_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                        help="address to listen on (default: %(default)s, this machine only)")
    parser.add_argument("--port", type=whole_number(0), default=8080, metavar="N",
                        help="port to listen on, 0 for any free one (default: %(default)s)")
    parser.add_argument("--token", metavar="TOKEN",
                        help="the token writes must carry (default: none on the loopback, "
                             "a generated one on any other address)")
    parser.set_defaults(handler=dashboard_command)


def is_loopback(host: str) -> bool:
    """Whether *host* names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on *host*:*port* (port 0: any free one).

    Raises:
        CommandError: one line when the address cannot be taken (in use, not ours).

    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"cannot listen on {host}:{port}: {reason} "
                           "(pass another --port or --host)") from None
    return sock


def serve(app: Any, sock: socket.socket) -> None:
    """Serve *app* with uvicorn on the listening *sock* until interrupted."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def dashboard_command(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted."""
    require("starlette", "dashboard")
    require("uvicorn", "dashboard")
    require("plotly", "dashboard")
    from hyperpilot.dashboard._app import create_app

    storage = open_existing_storage(args.storage)
    try:
        loopback = is_loopback(args.host)
        token = args.token
        if token is None and not loopback:
            token = secrets.token_urlsafe(24)
        app = create_app(storage, token=token, allowed_hosts=(
            {*LOOPBACK_NAMES, args.host} if loopback else None))
        sock = listen(args.host, args.port)
        port = sock.getsockname()[1]
        shown = f"[{args.host}]" if ":" in args.host else args.host
        address = f"http://{shown}:{port}/"
        print(f"hyperpilot dashboard: {display_url(storage_url(args.storage))} at {address}",
              flush=True)
        if token is not None:
            print(f"writes need the token {token} (open {address}#token={token} to steer)",
                  flush=True)
        try:
            serve(app, sock)
        finally:
            sock.close()
    finally:
        storage.close()
    return 0
