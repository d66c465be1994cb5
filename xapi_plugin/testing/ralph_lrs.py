"""A real Ralph LRS (``ralph-malph[cli,lrs]`` 5.1) on 127.0.0.1 for tests and the demo.

Ralph is the LRS Open edX's analytics stack (Aspects) runs. Its server is installed from PyPI
into a venv of its own (``XAPI_RALPH_DIR``, default ``~/.cache/xapi-plugin/ralph``; ``make
ralph``): its ``cli`` extra pins ``click<8.2.1``, which in the plugin's venv would hold Celery
back at 5.6. Only its filesystem backend works without a database server, and Ralph 5.1's has
defects a launcher has to work around (``shared/real-components.md``):

* after the first stored statement every further write answers 500: the backend creates its
  file with the operation type ``create``, which refuses an existing file. The server here
  (``serve_ralph.py``) runs with the backend's ``default_operation_type`` set to ``append``.
* ``ralph runserver`` starts uvicorn with auto-reload (three processes watching the folder):
  here one uvicorn process, no reload, bound to 127.0.0.1.
* Ralph reads a ``.env`` in its working directory: it runs from a fresh directory of its own,
  which also holds its statements file, history and users (``ralph auth ... -w``).

Answers worth knowing (measured in docs/operators.md): no ``/xAPI/about`` (404); a batch with
one statement it refuses is refused whole; 422 where the specification says 400.
Stop it and its data are gone.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from xapi_plugin.testing.local_lrs import XAPI_HEADERS, LRSProcess, free_port

RALPH_REQUIREMENTS = ["ralph-malph[cli,lrs]==5.1.0", "requests>=2.31"]  # the extras miss requests
_SERVER = Path(__file__).with_name("serve_ralph.py")


def ralph_venv_dir() -> Path:
    """Where Ralph's own venv lives (made on first use)."""
    return Path(os.environ.get("XAPI_RALPH_DIR") or Path.home() / ".cache" / "xapi-plugin" / "ralph")


def ensure_ralph_installed() -> Path:
    """Make Ralph's venv and install Ralph's server into it unless it is there; return its Python."""
    target = ralph_venv_dir()
    python = target / "bin" / "python"
    marker = target / "installed.txt"
    wanted = "\n".join(RALPH_REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True, timeout=300)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *RALPH_REQUIREMENTS],
        check=True,
        timeout=1200,
    )
    marker.write_text(wanted)
    return python


class RalphLRS(LRSProcess):
    """One Ralph server process; ``start()``, then ``endpoint`` and ``auth``; ``stop()`` ends it (data gone)."""

    name = "Ralph"
    key = "ralph-user"
    secret = "ralph-secret"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._python: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.key, self.secret)

    def _env(self) -> dict:
        home = Path(self._workdir.name)
        return dict(
            os.environ,
            RALPH_APP_DIR=str(home / "app"),
            RALPH_AUTH_FILE=str(home / "auth.json"),
            RALPH_HISTORY_FILE=str(home / "history.json"),
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(home / "statements"),
            RALPH_SENTRY_DSN="",
        )

    def add_user(self, username: str, password: str) -> None:
        """A user allowed everything (scope ``all``), written to this server's users file."""
        subprocess.run(
            [
                str(self._python.with_name("ralph")),
                "auth",
                "-u",
                username,
                "-p",
                password,
                "-s",
                "all",
                "-M",
                f"mailto:{username}@example.com",
                "-w",
            ],  # fmt: skip
            cwd=self._workdir.name,
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, timeout: float = 60.0) -> "RalphLRS":
        self._python = ensure_ralph_installed()
        self._workdir = tempfile.TemporaryDirectory(prefix="xapi-ralph-")
        home = Path(self._workdir.name)
        for folder in ("app", "statements"):
            (home / folder).mkdir()
        self.add_user(self.key, self.secret)
        self.process = subprocess.Popen(
            [str(self._python), str(_SERVER), "127.0.0.1", str(self.port)],
            cwd=home,
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self._wait_until_ready(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout)

    def post(self, statements: list[dict]) -> requests.Response:
        """POST a batch as it is (for tests of Ralph's answers)."""
        return requests.post(
            f"{self.endpoint}/statements", json=statements, auth=self.auth, headers=XAPI_HEADERS, timeout=30
        )
