"""A fault-injecting HTTP proxy in front of a real LRS, for tests and benchmarks (127.0.0.1 only).

By default it forwards every request to the LRS unchanged (credentials are replaced by the
LRS's own, since the local LRS accepts any). Faults are switched on by setting attributes:

* ``fail_status = 500`` (or 429, 401, 403, 404...): answer ``/statements`` with that status;
  ``retry_after`` adds a ``Retry-After`` header; ``fail_count`` limits how many requests fail.
* ``bad_ids = {"<statement id>"}``: answer 400 to any batch containing one of them.
* ``go_down()`` / ``come_up()``: refuse connections (and drop open ones), then accept again.
* ``request_delay`` / ``response_delay``: wait before forwarding / after forwarding, before answering.
* OAuth 2: ``token_path`` (``/oauth/token``) issues tokens for ``client_id``/``client_secret``;
  with ``require_token = True`` statements need a current token (else 401);
  ``revoke_tokens()`` expires every issued token; ``refuse_tokens = True`` makes the token URL
  answer 401.

Every request is written to ``log`` (method, path, statement ids, answered status).
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from xapi_plugin.testing.local_lrs import free_port


@dataclass
class ProxiedRequest:
    """One request the proxy saw."""

    method: str
    path: str
    statement_ids: list[str] = field(default_factory=list)
    status: int | None = None
    forwarded: bool = False
    at: float = field(default_factory=time.monotonic)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    """Forwards to ``upstream_base`` (e.g. ``http://127.0.0.1:PORT``) with faults on demand."""

    token_path = "/oauth/token"

    def __init__(self, upstream_base: str, upstream_auth: tuple[str, str], port: int | None = None):
        self.upstream_base = upstream_base.rstrip("/")
        self.upstream_auth = upstream_auth
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.log: list[ProxiedRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._upstream = requests.Session()
        self.reset()

    @classmethod
    def for_lrs(cls, lrs) -> "FaultProxy":
        """A proxy in front of a :class:`~xapi_plugin.testing.local_lrs.LocalLRS`."""
        return cls(f"http://127.0.0.1:{lrs.port}", lrs.auth)

    # --- fault switches ---------------------------------------------------------------------

    def reset(self) -> None:
        """Back to plain forwarding (the log is kept)."""
        self.fail_status: int | None = None
        self.fail_count: int | None = None
        self.retry_after: str | None = None
        self.bad_ids: set[str] = set()
        self.request_delay = 0.0
        self.response_delay = 0.0
        self.down = False
        self.client_id = "client-id"
        self.client_secret = "client-secret"
        self.token_lifetime = 3600
        self.require_token = False
        self.refuse_tokens = False
        self._tokens: set[str] = set()
        self._token_serial = 0

    def revoke_tokens(self) -> None:
        with self.lock:
            self._tokens.clear()

    @property
    def tokens_issued(self) -> int:
        return self._token_serial

    def go_down(self) -> None:
        """Stop listening: new connections are refused, open ones are dropped."""
        self.down = True
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def come_up(self) -> None:
        self.down = False
        self._listen()

    # --- life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint through the proxy (same path as the local LRS's)."""
        return self.base_url + "/xAPI"

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path

    def start(self) -> "FaultProxy":
        self._listen()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._upstream.close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _listen(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                self._server = _Server(("127.0.0.1", self.port), _handler_for(self))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # --- what was seen ----------------------------------------------------------------------

    def statement_posts(self) -> list[ProxiedRequest]:
        with self.lock:
            return [r for r in self.log if r.method == "POST" and r.path.endswith("/statements")]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # --- request handling (called from handler threads) -------------------------------------

    def _issue_token(self, handler, body: bytes) -> None:
        form = parse_qs(body.decode("utf-8", "replace"))
        credentials = _basic_credentials(handler.headers.get("Authorization", ""))
        if self.refuse_tokens or credentials != (self.client_id, self.client_secret):
            handler.answer(401, {"error": "invalid_client"})
            return
        if form.get("grant_type") != ["client_credentials"]:
            handler.answer(400, {"error": "unsupported_grant_type"})
            return
        with self.lock:
            self._token_serial += 1
            token = f"token-{self._token_serial}"
            self._tokens.add(token)
        handler.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime})

    def _fault_for(self, record: ProxiedRequest, handler) -> tuple[int, dict, dict] | None:
        """The faulty answer to give instead of forwarding, if any: (status, body, headers)."""
        if self.require_token and not record.path.endswith("/about"):  # /about needs no credentials
            authorization = handler.headers.get("Authorization", "")
            token = authorization[7:] if authorization.startswith("Bearer ") else ""
            with self.lock:
                valid = token in self._tokens
            if not valid:
                return 401, {"message": "Unauthorised"}, {}
        if record.path.endswith("/statements") and self.fail_status:
            with self.lock:
                active = self.fail_count is None or self.fail_count > 0
                if active and self.fail_count is not None:
                    self.fail_count -= 1
            if active:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return self.fail_status, {"message": f"injected {self.fail_status}"}, headers
        bad = self.bad_ids.intersection(record.statement_ids)
        if bad:
            return 400, {"message": f"injected: statement {sorted(bad)[0]} is invalid"}, {}
        return None

    def _forward(self, handler, method: str, body: bytes) -> tuple[int, bytes, dict]:
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() not in ("host", "authorization", "content-length", "connection")
        }
        answer = self._upstream.request(
            method,
            self.upstream_base + handler.path,
            data=body or None,
            headers=headers,
            auth=self.upstream_auth,
            timeout=60,
            allow_redirects=False,
        )
        keep = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "x-experience-api-version")}
        return answer.status_code, answer.content, keep


def _basic_credentials(header: str) -> tuple[str, str] | None:
    import base64  # noqa: PLC0415

    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _statement_ids(body: bytes) -> list[str]:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    return [item["id"] for item in items if isinstance(item, dict) and "id" in item]


def _handler_for(proxy: FaultProxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def answer(self, status: int, body, headers: dict | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if not any(name.lower() == "content-type" for name in headers or {}):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if proxy.down:
                self._drop()
                return
            path = urlsplit(self.path).path
            record = ProxiedRequest(method, path, _statement_ids(body) if method in ("POST", "PUT") else [])
            with proxy.lock:
                proxy.log.append(record)
            if method == "POST" and path == proxy.token_path:
                proxy._issue_token(self, body)
                record.status = self._status_sent
                return
            if proxy.request_delay:
                time.sleep(proxy.request_delay)
            fault = proxy._fault_for(record, self)
            if fault:
                status, payload, headers = fault
                record.status = status
                self.answer(status, payload, headers)
                return
            try:
                status, payload, headers = proxy._forward(self, method, body)
            except requests.RequestException:
                record.status = 502
                self.answer(502, {"message": "the LRS behind the proxy did not answer"})
                return
            record.forwarded = True
            if proxy.response_delay:
                time.sleep(proxy.response_delay)
            if proxy.down:
                self._drop()
                return
            record.status = status
            self.answer(status, payload, headers)

        def send_response(self, code, message=None):
            self._status_sent = code
            super().send_response(code, message)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_PUT(self):
            self._handle("PUT")

    return Handler
