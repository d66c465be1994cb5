"""Real services for tests, the demo and benchmarks, started on 127.0.0.1 with bounded waits.

* :class:`RedisServer` - a throw-away Redis (Celery broker), no persistence.
* :class:`MariaDBServer` - ``mariadb-install-db`` + ``mariadbd`` in a temporary datadir, as root.
* :class:`CeleryWorker` - a Celery worker process (optionally with embedded beat), killable.
* :class:`SMTPSink` - a tiny SMTP server that keeps every message it receives.

Each has ``start()`` / ``stop()`` and works as a context manager.
"""

import email
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from email.message import Message
from pathlib import Path

from xapi_plugin.testing.local_lrs import free_port


class ServiceError(RuntimeError):
    """A service did not start; the message says what to install or check."""


def _need(binary: str, package: str) -> str:
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if not path:
        raise ServiceError(f"{binary} is missing: apt-get install -y {package} (or run scripts/install-system-deps)")
    return path


def _wait(predicate, timeout: float, what: str, process: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ServiceError(f"{what} exited at start (code {process.returncode}): {tail}")
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise ServiceError(f"{what} was not ready within {timeout} s. {tail}")


def _end(process: subprocess.Popen | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class _Service:
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class RedisServer(_Service):
    """``redis-server`` on a free port of 127.0.0.1, nothing saved to disk."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def start(self, timeout: float = 15) -> "RedisServer":
        binary = _need("redis-server", "redis-server")
        self._dir = tempfile.TemporaryDirectory(prefix="xapi-redis-")
        log = Path(self._dir.name) / "redis.log"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self._dir.name, "--logfile", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait(self.ping, timeout, "redis-server", self.process, log)
        return self

    def stop(self) -> None:
        _end(self.process)
        self.process = None
        if self._dir:
            self._dir.cleanup()
            self._dir = None


class MariaDBServer(_Service):
    """A private MariaDB server (root, no password) in a temporary datadir on a free port.

    Tuned for throw-away use: the redo log is flushed once a second rather than at every commit.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    def connect(self, database: str | None = None):
        import pymysql  # noqa: PLC0415

        return pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", password="", database=database, connect_timeout=2
        )

    def start(self, timeout: float = 60) -> "MariaDBServer":
        install = _need("mariadb-install-db", "mariadb-server")
        server = _need("mariadbd", "mariadb-server")
        self._dir = tempfile.TemporaryDirectory(prefix="xapi-mariadb-")
        datadir = Path(self._dir.name) / "data"
        log = Path(self._dir.name) / "mariadb.log"
        with open(log, "wb") as out:
            done = subprocess.run(
                [install, "--user=root", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
                 "--skip-test-db", "--skip-name-resolve"],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )  # fmt: skip
        if done.returncode:
            raise ServiceError(f"mariadb-install-db failed: {log.read_text(errors='replace')[-2000:]}")
        self.process = subprocess.Popen(
            [server, "--no-defaults", "--user=root", f"--datadir={datadir}",
             f"--socket={Path(self._dir.name) / 'mysqld.sock'}", f"--port={self.port}", "--bind-address=127.0.0.1",
             "--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=2",
             "--innodb-buffer-pool-size=128M", f"--log-error={log}", f"--pid-file={Path(self._dir.name) / 'm.pid'}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(lambda: self.connect().close() is None, timeout, "mariadbd", self.process, log)
        return self

    def create_database(self, name: str) -> None:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            connection.close()

    def stop(self) -> None:
        _end(self.process, timeout=30)
        self.process = None
        if self._dir:
            self._dir.cleanup()
            self._dir = None


class CeleryWorker(_Service):
    """One Celery worker process of ``app`` (``module:attribute`` or module), for tests and benchmarks.

    ``env`` is added to the environment (broker URL, database, settings overrides); ``beat=True``
    embeds Celery beat so periodic tasks run. ``kill()`` sends SIGKILL (no cleanup at all).
    """

    def __init__(
        self,
        app: str,
        *,
        name: str = "worker",
        env: dict | None = None,
        beat: bool = False,
        pool: str = "solo",
        concurrency: int = 1,
        queues: list[str] | None = None,
        cwd: str | None = None,
    ):
        self.app = app
        self.name = name
        self.env = env or {}
        self.beat = beat
        self.pool = pool
        self.concurrency = concurrency
        self.queues = queues
        self.cwd = cwd or os.getcwd()
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self.log_path: Path | None = None

    def start(self, timeout: float = 60) -> "CeleryWorker":
        self._dir = tempfile.TemporaryDirectory(prefix=f"xapi-celery-{self.name}-")
        self.log_path = Path(self._dir.name) / "worker.log"
        command = [
            sys.executable, "-m", "celery", "-A", self.app, "worker",
            "-n", f"{self.name}@%h", f"--pool={self.pool}", f"--concurrency={self.concurrency}",
            "--without-gossip", "--without-mingle", "--loglevel=INFO", f"--logfile={self.log_path}",
        ]  # fmt: skip
        if self.queues:
            command += ["-Q", ",".join(self.queues)]
        if self.beat:
            command += ["-B", f"--schedule={Path(self._dir.name) / 'beat-schedule'}"]
        env = dict(os.environ, **{key: str(value) for key, value in self.env.items()})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.cwd, env.get("PYTHONPATH")]))
        with open(self.log_path.with_suffix(".err"), "wb") as errors:
            self.process = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _wait(lambda: " ready." in self.log_path.read_text(errors="replace"), timeout, f"celery worker {self.name}",
              self.process, self.log_path.with_suffix(".err"))  # fmt: skip
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log_text(self) -> str:
        parts = []
        for path in (self.log_path, self.log_path and self.log_path.with_suffix(".err")):
            if path and path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def rss_kib(self) -> int:
        """Resident memory of the worker process (and its pool children), in KiB."""
        total = 0
        pids = [self.pid] + _children(self.pid)
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def kill(self) -> None:
        """SIGKILL the worker and its pool children, as a crash or the OOM killer would."""
        if self.process and self.process.poll() is None:
            for pid in _children(self.pid) + [self.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
        if self._dir:
            self._dir.cleanup()
            self._dir = None


def _children(pid: int | None) -> list[int]:
    if not pid:
        return []
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


class SMTPSink(_Service):
    """A minimal SMTP server on 127.0.0.1 that accepts every message and keeps it in ``messages``."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> "SMTPSink":
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.reply("220 sink ESMTP")
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    verb = line.decode("utf-8", "replace").strip().split(" ")[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while True:
                            chunk = self.rfile.readline(1 << 20)
                            if not chunk or chunk in (b".\r\n", b".\n"):
                                break
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        with sink._lock:
                            sink.messages.append(email.message_from_bytes(b"".join(data)))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # HELO, MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(message["Subject"]) for message in self.messages]

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
