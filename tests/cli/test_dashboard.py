"""``hyperpilot dashboard``: address, token on non-loopback binds, hosts, errors."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.cli import _dashboard
from hyperpilot.cli._dashboard import is_loopback
from hyperpilot.cli._main import main

pytest.importorskip("uvicorn")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Capture what would be served, and on which socket, instead of serving it."""
    seen: dict[str, Any] = {}

    def serve(app: Any, sock: socket.socket) -> None:
        seen.update(app=app, address=sock.getsockname())

    monkeypatch.setattr(_dashboard, "serve", serve)
    return seen


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    study = hp.create_study(name="s", storage=url, space={"x": hp.Float(0.0, 1.0)},
                            optimizer="random")
    study.optimize(lambda c: c["x"], n_trials=2, show_progress=False)
    study.storage.close()
    return url


def test_loopback_by_default_without_a_token(url: str, served: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--storage", url, "--port", "0"]) == 0
    out = capsys.readouterr().out
    host, port = served["address"]
    assert host == "127.0.0.1" and f"http://127.0.0.1:{port}/" in out and "token" not in out
    assert served["app"].state.token is None


def test_a_loopback_dashboard_refuses_other_host_names(url: str,
                                                       served: dict[str, Any]) -> None:
    from starlette.testclient import TestClient

    assert main(["dashboard", "--storage", url, "--port", "0"]) == 0
    with TestClient(served["app"], base_url="http://127.0.0.1:8080") as client:
        assert client.get("/api/studies").status_code == 200
        assert client.get("/api/studies", headers={"Host": "localhost:8080"}).status_code == 200
        assert client.get("/api/studies", headers={"Host": "[::1]:8080"}).status_code == 200
        rebound = client.get("/api/studies", headers={"Host": "evil.example:8080"})
        assert rebound.status_code == 400 and "evil.example" in rebound.text
        refused = client.post("/api/studies/s/steer", json={"action": "pause"},
                              headers={"Host": "evil.example"})
        assert refused.status_code == 400
    study = hp.load_study("s", url)
    assert study.events() == []
    study.storage.close()


def test_another_address_prints_a_generated_token_for_writes(
        url: str, served: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--storage", url, "--host", "0.0.0.0", "--port", "0"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"writes need the token (\S+)", out)
    assert found and served["app"].state.token == found.group(1)
    assert len(found.group(1)) >= 24 and f"#token={found.group(1)}" in out


def test_a_given_token_is_used(url: str, served: dict[str, Any]) -> None:
    assert main(["dashboard", "--storage", url, "--host", "0.0.0.0", "--port", "0",
                 "--token", "abc"]) == 0
    assert served["app"].state.token == "abc"


def test_a_port_in_use_is_one_line(url: str, served: dict[str, Any],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        code = main(["dashboard", "--storage", url, "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "cannot listen on 127.0.0.1:" in err
    assert served == {}


def test_a_missing_storage_file_is_one_line(tmp_path: Path, served: dict[str, Any],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dashboard", "--storage", f"sqlite:///{tmp_path / 'none.db'}"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "does not exist" in err
    assert not (tmp_path / "none.db").exists() and served == {}


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.1.2.3", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_package_and_the_parser_load_no_web_stack() -> None:
    code = ("import sys, hyperpilot, hyperpilot.cli._main as m; m.build_parser(); "
            "print(sorted(n for n in sys.modules if n.split('.')[0] in "
            "('starlette', 'uvicorn', 'plotly') or n.startswith('hyperpilot.dashboard')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_the_command_serves_until_interrupted(url: str) -> None:
    import json
    import signal
    import urllib.request

    command = [str(Path(sys.executable).parent / "hyperpilot"), "dashboard", "--storage", url,
               "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        with urllib.request.urlopen(found.group(1) + "api/studies", timeout=10) as response:
            assert [s["name"] for s in json.load(response)] == ["s"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) in (0, 130)
