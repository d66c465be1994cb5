"""An LRS that misbehaves on purpose, on 127.0.0.1: it echoes requests, trickles, or floods.

For security and robustness tests of the delivery client (real sockets, no mocks):

* ``mode = "echo"`` (default): answers ``status`` with a body that repeats every request header
  (``Authorization`` included) and the start of the request body, as some LRSs do in errors.
  ``GET /about`` always answers 200 with a version list, so "Test connection" gets past it.
* ``mode = "trickle"``: sends the status line and headers one byte every ``trickle_interval``
  seconds (a read timeout never fires), for at most ``trickle_limit`` seconds.
* ``mode = "flood"``: answers ``status`` with ``flood_bytes`` of body, as fast as it can.
* ``token_path`` (``/oauth/token``) issues ``issued_token`` for any client credentials.

Each connection is served by its own daemon thread; ``requests_seen`` counts requests, and
``open_seconds`` keeps how long each connection stayed open (what a deadline must bound).
"""

import json
import socket
import threading
import time

from xapi_plugin.testing.local_lrs import free_port


class HostileLRS:
    """A misbehaving HTTP server; ``start()`` / ``stop()`` or use it as a context manager."""

    token_path = "/oauth/token"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mode = "echo"
        self.status = 500
        self.trickle_interval = 0.5
        self.trickle_limit = 30.0
        self.flood_bytes = 20 * 1024 * 1024
        self.issued_token = "issued-oauth-token-7f3a9c2e5b"
        self.requests_seen = 0
        self.open_seconds: list[float] = []
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xapi"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.token_path}"

    def start(self) -> "HostileLRS":
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True, name="hostile-lrs").start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "HostileLRS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        opened = time.monotonic()
        client.settimeout(5)
        try:
            with client:
                reader = client.makefile("rb")
                while not self._stopping.is_set():
                    request = _read_request(reader)
                    if request is None:
                        return
                    with self._lock:
                        self.requests_seen += 1
                    if not self._answer(client, *request):
                        return
        except OSError:
            pass
        finally:
            with self._lock:
                self.open_seconds.append(time.monotonic() - opened)

    def _answer(self, client: socket.socket, method: str, path: str, headers: list[tuple[str, str]], body: bytes):
        """Write one answer; False when the connection must end."""
        if path.split("?")[0].endswith("/about"):
            _send(client, 200, json.dumps({"version": ["1.0.3"]}).encode(), "application/json")
            return True
        if path.split("?")[0] == self.token_path:
            token = json.dumps({"access_token": self.issued_token, "token_type": "Bearer", "expires_in": 3600})
            _send(client, 200, token.encode(), "application/json")
            return True
        if self.mode == "trickle":
            head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000 + b"\r\n"
            deadline = time.monotonic() + self.trickle_limit
            for byte in head:
                if self._stopping.is_set() or time.monotonic() > deadline:
                    break
                client.sendall(bytes([byte]))
                time.sleep(self.trickle_interval)
            return False
        if self.mode == "flood":
            chunk = b"x" * 65536
            client.sendall(
                f"HTTP/1.1 {self.status} Error\r\nContent-Length: {self.flood_bytes}\r\n"
                "Content-Type: text/plain\r\n\r\n".encode()
            )
            sent = 0
            while sent < self.flood_bytes and not self._stopping.is_set():
                client.sendall(chunk[: self.flood_bytes - sent])
                sent += len(chunk)
            return True
        echoed = "".join(f"{name}: {value}\n" for name, value in headers)
        answer = f"error: your request was\n{method} {path}\n{echoed}\n{body[:300].decode('utf-8', 'replace')}"
        _send(client, self.status, answer.encode(), "text/plain")
        return True


def _read_request(reader) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    line = reader.readline(65536)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    headers = []
    while True:
        header = reader.readline(65536)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    length = next((int(value) for name, value in headers if name.lower() == "content-length"), 0)
    body = reader.read(min(length, 10 * 1024 * 1024)) if length else b""
    return parts[0], parts[1], headers, body


def _send(client: socket.socket, status: int, body: bytes, content_type: str) -> None:
    head = f"HTTP/1.1 {status} Answer\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    client.sendall(head.encode() + body)
