"""Talking to one LRS: a pooled HTTP session, authentication, and what each answer means.

``classify_response``, ``parse_retry_after`` and ``scrub_secrets`` are pure; :class:`LRSClient`
does the HTTP. Secrets are read from the connection only here, when a request is built, and never
logged; every LRS answer is scrubbed of the credentials that were sent before anything keeps it
(some LRSs echo the request, ``Authorization`` header included, in their error bodies).

Every request has a total deadline (connect + read timeout; the claim lease is twice that), not
only per-read timeouts: an LRS sending one byte every half second would otherwise hold a POST
open for minutes and let the lease lapse. At most ``MAX_BODY_BYTES`` of an answer are read.
"""

import base64
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from urllib.parse import quote, quote_plus

import requests
import urllib3
from requests.adapters import HTTPAdapter

from xapi_plugin.connections import SecretDecryptionError
from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import AuthType, ConnectionStatus

log = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"
_DETAIL_LIMIT = 4000  # characters of an LRS answer kept (last_answer); the connection keeps 500
MAX_BODY_BYTES = 64 * 1024  # bytes of an answer read at most; the rest is never downloaded
REDACTED = "[redacted]"
_MIN_SCRUB_LENGTH = 6  # shorter values alone are not hunted for (a key "k" would eat every k)
_CHECK_DETAIL_LIMIT = 500  # characters of an answer shown in the admin's Test connection message
_TOKEN_EARLY_REFRESH = 30  # seconds: refresh a cached OAuth token this long before it expires


UNDECRYPTABLE_DETAIL = (
    "the stored key/secret cannot be decrypted with any key in XAPI_ENCRYPTION_KEYS: put the key they were "
    "stored with back in that setting (then run xapi_rotate_keys), or enter the key and secret again in admin"
)


class Outcome(Enum):
    """What a sender does after an LRS answer (see the reference's answer table)."""

    DELIVERED = "delivered"  # 2xx
    CONFLICT = "conflict"  # 409: the id exists; a single statement counts as delivered
    BAD_REQUEST = "bad_request"  # 400, 413, 422: split the batch, keep the bad ones
    HOLD = "hold"  # 401 after a refresh, 403, 404, redirects, other 4xx: the connection needs attention
    RETRY = "retry"  # 429, 5xx, timeouts, refused connections: back off and retry


@dataclass(frozen=True)
class Answer:
    """An LRS answer reduced to what delivery needs."""

    outcome: Outcome
    status: str  # the ConnectionStatus this answer implies
    status_code: int | None = None
    detail: str = ""
    retry_after: float | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DELIVERED


class TokenError(Exception):
    """The OAuth token URL refused or failed; carries the answer to record."""

    def __init__(self, answer: Answer):
        super().__init__(answer.detail)
        self.answer = answer


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _secret_forms(value: str) -> set[str]:
    """The ways a credential can appear in an answer: as sent, URL-encoded, JSON-escaped."""
    escaped = json.dumps(value)[1:-1]
    return {value, quote(value, safe=""), quote_plus(value, safe=""), escaped, escaped.replace("/", "\\/")}


def scrub_secrets(text: str, secrets) -> str:
    """``text`` with every credential in ``secrets`` (and its encoded forms) replaced by ``[redacted]``."""
    if not text:
        return ""
    forms = {form for value in secrets if value and len(value) >= _MIN_SCRUB_LENGTH for form in _secret_forms(value)}
    if not forms:
        return text
    pattern = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.sub(pattern, REDACTED, text, flags=re.IGNORECASE)


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def classify_response(status_code: int, body: str = "", headers: dict | None = None, secrets=()) -> Answer:
    """Map an HTTP answer from ``POST /statements`` to what delivery does next (pure).

    ``secrets`` are the credentials the request carried: they are scrubbed from the body (and
    a redirect's ``Location``) before anything is kept. 401 and 403 keep no body at all.
    """
    headers = headers or {}
    body = _short(scrub_secrets(body, secrets))
    if 200 <= status_code < 300:
        return Answer(Outcome.DELIVERED, ConnectionStatus.OK, status_code, body)
    if status_code == 409:
        return Answer(Outcome.CONFLICT, ConnectionStatus.OK, status_code, body)
    if status_code in (400, 413, 422):
        return Answer(Outcome.BAD_REQUEST, ConnectionStatus.OK, status_code, body)
    if status_code == 429 or status_code >= 500:
        retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
        return Answer(
            Outcome.RETRY, ConnectionStatus.SERVER_ERROR, status_code, f"HTTP {status_code}: {body}", retry_after
        )
    if status_code in (401, 403):
        hint = "check the key and secret (or token) of this connection"
        if status_code == 403:
            hint = "the credentials are valid but may not write statements: check their permissions on the LRS"
        # No body: an answer to rejected credentials is where an LRS is most likely to echo them.
        return Answer(Outcome.HOLD, ConnectionStatus.AUTH_ERROR, status_code, f"HTTP {status_code}: {hint}.")
    if status_code == 404:
        return Answer(
            Outcome.HOLD,
            ConnectionStatus.CANT_CONNECT,
            status_code,
            f"HTTP 404: no xAPI statements resource there, check the endpoint URL. {body}",
        )
    if 300 <= status_code < 400:
        location = scrub_secrets(headers.get("Location") or headers.get("location") or "?", secrets)[:300]
        return Answer(
            Outcome.HOLD,
            ConnectionStatus.CANT_CONNECT,
            status_code,
            f"HTTP {status_code}: the LRS redirects to {location}; update the endpoint URL.",
        )
    return Answer(Outcome.HOLD, ConnectionStatus.SERVER_ERROR, status_code, f"unexpected HTTP {status_code}: {body}")


def classify_exception(error: Exception) -> Answer:
    """Map a failed request (timeout, refused, TLS) to a retry."""
    if isinstance(error, DeadlineExceeded):
        detail = str(error)
    elif isinstance(error, requests.Timeout):
        detail = f"no answer within the timeout ({type(error).__name__})"
    elif isinstance(error, requests.exceptions.SSLError):
        detail = "TLS error: check the LRS certificate"
    elif isinstance(error, requests.ConnectionError):
        detail = "connection failed (refused, reset or name not resolved)"
    else:
        detail = f"request failed: {type(error).__name__}"
    return Answer(Outcome.RETRY, ConnectionStatus.CANT_CONNECT, None, detail)


class DeadlineExceeded(requests.Timeout):
    """The LRS did not finish its answer within the request's total deadline."""


_watching = threading.local()


class _Deadline:
    """Shuts down the sockets of the requests made in this thread once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._connections: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, connection) -> None:
        with self._lock:
            self._connections.append(connection)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                try:
                    # The plain socket call, also for TLS: wakes the blocked read with an EOF.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> "_Deadline":
        self._previous = getattr(_watching, "deadline", None)
        _watching.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _watching.deadline = self._previous


def _watch_connection(connection) -> None:
    deadline = getattr(_watching, "deadline", None)
    if deadline is not None:
        deadline.watch(connection)


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def request(self, *args, **kwargs):
        _watch_connection(self)
        return super().request(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def request(self, *args, **kwargs):
        _watch_connection(self)
        return super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections a :class:`_Deadline` can cut."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _read_bounded(response: requests.Response) -> None:
    """Read at most ``MAX_BODY_BYTES`` of the answer into ``response.content``; drop the rest."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(16384):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY_BYTES:
                break
    finally:
        response._content = b"".join(chunks)[:MAX_BODY_BYTES]
        response._content_consumed = True
        response.close()  # back to the pool if fully read; a truncated answer's connection is closed


@dataclass
class _Token:
    value: str
    expires_at: float


# Per-process caches, keyed by the connection's id and last change: editing a connection in admin
# drops its session and token.
_sessions: dict[tuple, requests.Session] = {}
_tokens: dict[tuple, _Token] = {}
_lock = threading.Lock()


def _cache_key(connection) -> tuple:
    return (connection.pk, connection.modified.isoformat() if connection.modified else "")


def clear_caches() -> None:
    """Forget every pooled session and cached token (tests; after a fork)."""
    with _lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()
        _tokens.clear()


class LRSClient:
    """Sends statements to one LRS connection over a pooled session; see ``post_statements``."""

    def __init__(self, connection):
        self.connection = connection
        self.endpoint = connection.endpoint.rstrip("/")
        self.timeout = (float(get_setting("XAPI_HTTP_CONNECT_TIMEOUT")), float(get_setting("XAPI_HTTP_READ_TIMEOUT")))
        # The whole request, answer included; the claim lease (claims.lease_seconds) is twice this.
        self.deadline = sum(self.timeout)
        self._key = _cache_key(connection)
        self._sent_tokens: list[str] = []

    @property
    def session(self) -> requests.Session:
        with _lock:
            session = _sessions.get(self._key)
            if session is None:
                for stale in [key for key in _sessions if key[0] == self._key[0]]:
                    _sessions.pop(stale).close()
                session = requests.Session()
                session.mount("https://", _DeadlineAdapter(pool_connections=1, pool_maxsize=4))
                session.mount("http://", _DeadlineAdapter(pool_connections=1, pool_maxsize=4))
                # identity: a compressed answer could inflate far past MAX_BODY_BYTES while being read.
                session.headers.update({"X-Experience-API-Version": XAPI_VERSION, "Accept-Encoding": "identity"})
                _sessions[self._key] = session
            return session

    # --- sending ----------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP request within ``self.deadline``, its answer read (bounded) before returning."""
        with _Deadline(self.deadline) as deadline:
            try:
                response = self.session.request(
                    method, url, timeout=self.timeout, allow_redirects=False, stream=True, **kwargs
                )
                _read_bounded(response)
            except requests.RequestException:
                if deadline.fired:
                    raise DeadlineExceeded(
                        f"no complete answer within {self.deadline:g} s (XAPI_HTTP_CONNECT_TIMEOUT + "
                        "XAPI_HTTP_READ_TIMEOUT): the LRS is too slow"
                    ) from None
                raise
        if deadline.fired:
            raise DeadlineExceeded(f"no complete answer within {self.deadline:g} s: the LRS is too slow")
        return response

    def sent_secrets(self) -> list[str]:
        """Every credential value a request of this client may carry (to scrub from answers)."""
        values = list(self._sent_tokens)
        try:
            key, secret = self.connection.key, self.connection.secret
        except SecretDecryptionError:
            return values
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        values += [key, secret, basic, "Basic " + basic]
        with _lock:
            cached = _tokens.get(self._key)
        if cached:
            values.append(cached.value)
        return values

    # --- authentication -------------------------------------------------------------------

    def _authorization(self, refresh: bool = False) -> str:
        try:
            return self._build_authorization(refresh)
        except SecretDecryptionError:
            # A key dropped from XAPI_ENCRYPTION_KEYS too early: nothing can be sent until an operator acts.
            raise TokenError(Answer(Outcome.HOLD, ConnectionStatus.AUTH_ERROR, None, UNDECRYPTABLE_DETAIL)) from None

    def _build_authorization(self, refresh: bool) -> str:
        auth_type = self.connection.auth_type
        if auth_type == AuthType.BASIC:
            raw = f"{self.connection.key}:{self.connection.secret}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        if auth_type == AuthType.BEARER:
            return "Bearer " + self.connection.secret
        token = self._oauth_token(refresh)
        self._sent_tokens.append(token)
        return "Bearer " + token

    def _oauth_token(self, refresh: bool) -> str:
        with _lock:
            cached = _tokens.get(self._key)
        if cached and not refresh and cached.expires_at - _TOKEN_EARLY_REFRESH > time.monotonic():
            return cached.value
        data = {"grant_type": "client_credentials"}
        if self.connection.scope:
            data["scope"] = self.connection.scope
        try:
            answer = self._send(
                "POST",
                self.connection.token_url,
                data=data,
                auth=(self.connection.key, self.connection.secret),
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            base = classify_exception(error)
            raise TokenError(Answer(base.outcome, base.status, None, "token URL: " + base.detail)) from None
        if answer.status_code != 200:
            base = classify_response(answer.status_code, "", answer.headers)
            status = ConnectionStatus.AUTH_ERROR if answer.status_code in (400, 401, 403) else base.status
            outcome = Outcome.HOLD if status == ConnectionStatus.AUTH_ERROR else base.outcome
            detail = f"token URL answered HTTP {answer.status_code}: check the client id, secret and scope"
            raise TokenError(Answer(outcome, status, answer.status_code, detail, base.retry_after))
        try:
            body = answer.json()
            value = body["access_token"]
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise TokenError(
                Answer(Outcome.HOLD, ConnectionStatus.AUTH_ERROR, 200, "token URL answer has no access_token")
            ) from None
        with _lock:
            _tokens[self._key] = _Token(value, time.monotonic() + lifetime)
        return value

    # --- requests -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request with authentication; on 401 an OAuth token is refreshed once and the request repeated."""
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Authorization"] = self._authorization(refresh=attempt > 0)
            response = self._send(method, self.endpoint + path, headers=headers, **kwargs)
            if response.status_code != 401 or self.connection.auth_type != AuthType.OAUTH_CLIENT_CREDENTIALS:
                return response
            if attempt == 0:
                log.info("LRS connection %s answered 401: refreshing its OAuth token once", self.connection.pk)
        return response

    def _refused_by_public_rules(self) -> Answer | None:
        """A course team's connection (Studio, #19) is checked again before each request: its host may
        have been pointed at a private address since it was saved."""
        if not getattr(self.connection, "course_team_course", ""):
            return None
        from django.core.exceptions import ValidationError  # noqa: PLC0415

        from xapi_plugin.connections import validate_public_endpoint  # noqa: PLC0415

        try:
            validate_public_endpoint(self.connection.endpoint)
            if self.connection.auth_type == AuthType.OAUTH_CLIENT_CREDENTIALS:
                validate_public_endpoint(self.connection.token_url, what="The token URL")
        except ValidationError as error:
            return Answer(Outcome.HOLD, ConnectionStatus.CANT_CONNECT, None, " ".join(error.messages))
        return None

    def post_statements(self, payloads: list[str]) -> Answer:
        """POST the stored statement bytes as one JSON array; never raises for network or HTTP errors."""
        refused = self._refused_by_public_rules()
        if refused is not None:
            return refused
        body = ("[" + ",".join(payloads) + "]").encode("utf-8")
        try:
            response = self._request(
                "POST", "/statements", data=body, headers={"Content-Type": "application/json; charset=utf-8"}
            )
        except TokenError as error:
            return error.answer
        except requests.RequestException as error:
            return classify_exception(error)
        return classify_response(response.status_code, response.text, response.headers, self.sent_secrets())

    def check(self) -> list[tuple[str, bool, str]]:
        """The reachability check every caller uses (demo, admin, idle probe, ``xapi_status --check``).

        Reachable: ``GET /about`` answers 200, or, for an LRS without ``/about`` (Ralph 5.1
        answers 404), the authenticated ``GET /statements?limit=1`` gets an xAPI answer (200, or
        401/403: something checks credentials there). Credentials: that ``GET /statements``
        answers 200, or 403 (a write-only key, enough to send). Returns ``(check name, passed,
        detail)`` pairs for ``reachable`` and ``credentials``, or only ``reachable`` when nothing
        answered; never raises.
        """
        refused = self._refused_by_public_rules()
        if refused is not None:
            return [("reachable", False, refused.detail)]
        try:
            about = self._send("GET", self.endpoint + "/about")
        except requests.RequestException as error:
            return [("reachable", False, "GET /about: " + classify_exception(error).detail)]
        about_detail = f"GET /about: {about.status_code}"
        if about.status_code == 200:
            try:
                versions = (
                    ", ".join(about.json().get("version", []))
                    if "json" in about.headers.get("Content-Type", "")
                    else ""
                )
            except (ValueError, AttributeError, TypeError):
                versions = ""
            about_detail += f", versions {versions or 'not listed'}"
        try:
            answer = self._request("GET", "/statements", params={"limit": 1})
        except TokenError as error:
            reachable = ("reachable", about.status_code == 200, about_detail)
            return [reachable, ("credentials", False, error.answer.detail)]
        except requests.RequestException as error:
            detail = "GET /statements?limit=1: " + classify_exception(error).detail
            if about.status_code != 200:
                return [("reachable", False, f"{about_detail}; {detail}")]
            return [("reachable", True, about_detail), ("credentials", False, detail)]
        code = answer.status_code
        if about.status_code == 200:
            reachable = ("reachable", True, about_detail)
        elif code in (200, 401, 403):
            reachable = ("reachable", True, f"no /about ({about_detail}); GET /statements?limit=1: {code}")
        else:
            detail = f"{about_detail}, GET /statements?limit=1: {code}: is the endpoint right?"
            return [("reachable", False, detail)]
        if code == 200:
            credentials = ("credentials", True, "GET /statements?limit=1: 200")
        elif code == 403:
            credentials = ("credentials", True, "403 on reading: a write-only key, which is enough to send")
        else:
            refused = classify_response(code, answer.text, answer.headers, self.sent_secrets())
            credentials = ("credentials", False, refused.detail[:_CHECK_DETAIL_LIMIT])
        return [reachable, credentials]


def check_passed(checks: list[tuple[str, bool, str]]) -> bool:
    """Whether :meth:`LRSClient.check` found the LRS reachable and the credentials good."""
    return len(checks) == 2 and all(passed for _, passed, _ in checks)


def check_summary(checks: list[tuple[str, bool, str]]) -> str:
    """One line for operators: ``reachable: ok (...); credentials: FAILED (...)``."""
    return "; ".join(f"{name}: {'ok' if passed else 'FAILED'} ({detail})" for name, passed, detail in checks)
