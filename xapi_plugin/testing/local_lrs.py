"""A real LRS on 127.0.0.1 for tests, benchmarks and the demo.

Runs Learning Locker's statement service (npm ``xapi-statements``) in memory, with the test
authentication mode that accepts any credentials: fine on loopback for tests, never elsewhere.
The npm package is installed once into ``XAPI_LRS_DIR`` (default ``~/.cache/xapi-plugin/lrs``).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

LRS_PACKAGE = "xapi-statements@5.0.1"
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
_LAUNCHER = Path(__file__).with_name("serve_lrs.js")


def lrs_package_dir() -> Path:
    """Where the npm package lives (installed on first use)."""
    return Path(os.environ.get("XAPI_LRS_DIR") or Path.home() / ".cache" / "xapi-plugin" / "lrs")


def ensure_lrs_installed() -> Path:
    """Install the statement service with npm unless it is already there; return its folder."""
    target = lrs_package_dir()
    if (target / "node_modules" / "xapi-statements" / "dist" / "server.js").exists():
        return target
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed to install the local LRS (Debian: apt-get install -y nodejs npm)")
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "package.json").exists():
        (target / "package.json").write_text('{"name": "xapi-plugin-local-lrs", "private": true}\n')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", LRS_PACKAGE],
        cwd=target,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return target


def fetch_statements(
    endpoint: str, auth: tuple[str, str], since: str | None = None, page_size: int = 500, max_pages: int = 10_000
) -> list[dict]:
    """Statements of any LRS (stored since ``since``, ISO 8601, if given), following ``more`` links (bounded)."""
    origin = "/".join(endpoint.split("/", 3)[:3])
    url = f"{endpoint.rstrip('/')}/statements"
    params: dict | None = {"limit": page_size, **({"since": since} if since else {})}
    found: list[dict] = []
    for _ in range(max_pages):
        answer = requests.get(url, params=params, auth=auth, headers=XAPI_HEADERS, timeout=60)
        answer.raise_for_status()
        body = answer.json()
        found.extend(body.get("statements", []))
        more = body.get("more")
        if not more:
            return found
        url, params = (more if more.startswith("http") else origin + more), None
    raise RuntimeError(f"the LRS returned more than {max_pages} pages of statements")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LRSProcess:
    """What every LRS server a test starts shares: wait until it answers, stop it, read it back.

    Subclasses set ``process`` and ``_workdir`` in ``start()``, then call :meth:`_wait_until_ready`.
    """

    name = "the LRS"
    process: subprocess.Popen | None = None
    _workdir: tempfile.TemporaryDirectory | None = None

    def _wait_until_ready(self, url: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._workdir:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def all_statements(self, page_size: int = 500) -> list[dict]:
        """Every statement the LRS holds."""
        return fetch_statements(self.endpoint, self.auth, page_size=page_size)

    def statement_ids(self) -> list[str]:
        """Ids of every stored statement, in the LRS's order (duplicates would show twice)."""
        return [statement["id"] for statement in self.all_statements()]


class LocalLRS(LRSProcess):
    """One statement service process; ``start()``, then ``endpoint``; ``stop()`` ends it (data gone)."""

    name = "the local LRS"
    key = "local-key"
    secret = "local-secret"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._workdir: tempfile.TemporaryDirectory | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.key, self.secret)

    def start(self, timeout: float = 20.0) -> "LocalLRS":
        package_dir = ensure_lrs_installed()
        self._workdir = tempfile.TemporaryDirectory(prefix="xapi-lrs-")
        env = dict(
            os.environ,
            XAPI_LRS_PACKAGE_DIR=str(package_dir),
            EXPRESS_PORT=str(self.port),
            MODELS_REPO="memory",
            STORAGE_REPO="memory",
            EVENTS_REPO="test",
            AUTH_REPO="test",
            WINSTON_CONSOLE_LEVEL="error",
            EXPRESS_MORGAN_DIRECTORY=self._workdir.name,
        )
        self.process = subprocess.Popen(
            ["node", str(_LAUNCHER)],
            cwd=self._workdir.name,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self._wait_until_ready(f"{self.endpoint}/about", timeout)
