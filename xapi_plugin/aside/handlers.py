"""``strict_json_handler``: XBlock's ``json_handler``, hardened for bodies anyone can send.

XBlock's own decorator lets ``json.loads`` raise ``RecursionError`` on deeply nested JSON (a 500
in the LMS) and accepts numbers no report has (a 400-digit integer, ``1e400``, ``NaN``) that
later code must then survive. Here the body is capped, nesting past json's limit is an "Invalid
JSON" 400, and numbers are refused at decoding: integers of more than 15 digits, and floats
that are not finite. Per-field bounds stay with the handler (``parse_report``).
"""

import functools
import json

from webob import Response
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError

MAX_BODY_BYTES = 16 * 1024
_MAX_INT_DIGITS = 15


class _RefusedNumber(ValueError):
    """A number no report can hold; its message is the 400's."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _RefusedNumber(f"Numbers must have at most {_MAX_INT_DIGITS} digits (got one of {len(text)}).")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _RefusedNumber("Numbers must be finite (got one too large for a float).")
    return value


def _refuse_constant(name: str):
    raise _RefusedNumber(f"{name} is not a number a report can hold.")


def decode_body(body: bytes):
    """The JSON value of a request body; raise JsonHandlerError(400) for anything else."""
    if len(body) > MAX_BODY_BYTES:
        raise JsonHandlerError(400, "The request body is too large.")
    try:
        return json.loads(
            body.decode("utf-8"), parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except _RefusedNumber as refused:
        raise JsonHandlerError(400, str(refused)) from None
    except (ValueError, RecursionError):
        raise JsonHandlerError(400, "Invalid JSON") from None


def strict_json_handler(func):
    """Like ``XBlock.json_handler`` (POST only, JSON in and out, JsonHandlerError as its status), see above."""

    @XBlock.handler
    @functools.wraps(func)
    def wrapper(self, request, suffix=""):
        if request.method != "POST":
            return JsonHandlerError(405, "Method must be POST").get_response(allow=["POST"])
        try:
            data = decode_body(request.body)
            response = func(self, data, suffix)
        except JsonHandlerError as error:
            return error.get_response()
        if isinstance(response, Response):
            return response
        return Response(json.dumps(response), content_type="application/json", charset="utf8")

    return wrapper
