"""A structural check of xAPI 1.0.3 statements from other plugins. Pure: a dict in, problems out.

It checks what an LRS would refuse (required properties, identifiers, IRIs, UUIDs, language maps,
timestamps, score ranges, properties only the LRS may set) so that a bad statement is refused
where its sender can see why, not days later by the LRS. It is not a full schema.
"""

import re
import uuid
from datetime import datetime

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)  # noqa: E501
_LRS_ONLY = ("stored", "authority")
_TOP_LEVEL = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
              "version", "attachments"}  # fmt: skip


def is_uuid(value) -> bool:
    """True for a hyphenated UUID string."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _timestamp_ok(value) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _language_map(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict) or not value:
        problems.append(f'{where} must be a language map such as {{"en-US": "..."}}.')
        return
    for tag, text in value.items():
        if not isinstance(tag, str) or not _LANGUAGE_TAG.match(tag) or not isinstance(text, str):
            problems.append(f"{where} has {tag!r}: keys must be language tags (en-US) and values strings.")


def _iri(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, str) or not _IRI.match(value):
        problems.append(f"{where} must be an absolute IRI such as https://example.com/..., not {value!r:.60}.")


def _agent(value, where: str, problems: list[str], *, group_allowed: bool = True) -> None:
    if not isinstance(value, dict):
        problems.append(f"{where} must be an Agent or Group object.")
        return
    kind = value.get("objectType", "Agent")
    identifiers = [key for key in ("mbox", "mbox_sha1sum", "openid", "account") if key in value]
    if kind == "Group" and group_allowed:
        members = value.get("member", [])
        if not isinstance(members, list):
            problems.append(f"{where}.member must be a list of Agents.")
        else:
            for index, member in enumerate(members):
                _agent(member, f"{where}.member[{index}]", problems, group_allowed=False)
        if not identifiers and not members:
            problems.append(f"{where}: an anonymous Group needs members.")
    elif kind != "Agent":
        problems.append(f"{where}.objectType must be Agent{' or Group' if group_allowed else ''}, not {kind!r}.")
        return
    elif len(identifiers) != 1:
        problems.append(f"{where} must have exactly one of mbox, mbox_sha1sum, openid, account.")
    if len(identifiers) > 1:
        return
    if "mbox" in value and not (isinstance(value["mbox"], str) and _MBOX.match(value["mbox"])):
        problems.append(f"{where}.mbox must be mailto:<email address>.")
    if "mbox_sha1sum" in value and not (isinstance(value["mbox_sha1sum"], str) and _SHA1.match(value["mbox_sha1sum"])):
        problems.append(f"{where}.mbox_sha1sum must be 40 hex digits.")
    if "openid" in value:
        _iri(value["openid"], f"{where}.openid", problems)
    if "account" in value:
        account = value["account"]
        if not isinstance(account, dict) or not isinstance(account.get("name"), str) or not account.get("name"):
            problems.append(f"{where}.account needs a name and a homePage.")
        else:
            _iri(account.get("homePage"), f"{where}.account.homePage", problems)
    if "name" in value and not isinstance(value["name"], str):
        problems.append(f"{where}.name must be a string.")


def _activity(value, where: str, problems: list[str]) -> None:
    _iri(value.get("id"), f"{where}.id", problems)
    definition = value.get("definition")
    if definition is None:
        return
    if not isinstance(definition, dict):
        problems.append(f"{where}.definition must be an object.")
        return
    for key in ("name", "description"):
        if key in definition:
            _language_map(definition[key], f"{where}.definition.{key}", problems)
    if "type" in definition:
        _iri(definition["type"], f"{where}.definition.type", problems)


def _object(value, where: str, problems: list[str], *, sub_allowed: bool = True) -> None:
    if not isinstance(value, dict):
        problems.append(f"{where} is required and must be an object.")
        return
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        _activity(value, where, problems)
    elif kind in ("Agent", "Group"):
        _agent(value, where, problems)
    elif kind == "StatementRef":
        if not is_uuid(value.get("id")):
            problems.append(f"{where}.id must be the UUID of the statement referred to.")
    elif kind == "SubStatement" and sub_allowed:
        for key in ("id", "stored", "version", "authority"):
            if key in value:
                problems.append(f"{where}: a SubStatement must not have {key!r}.")
        _core(value, where, problems, sub_allowed=False)
    else:
        problems.append(f"{where}.objectType {kind!r} is not allowed here.")


def _result(value, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append("result must be an object.")
        return
    score = value.get("score")
    if score is not None:
        if not isinstance(score, dict):
            problems.append("result.score must be an object.")
        else:
            scaled = score.get("scaled")
            if scaled is not None and (not isinstance(scaled, int | float) or not -1 <= scaled <= 1):
                problems.append("result.score.scaled must be a number from -1 to 1.")
            low, high, raw = score.get("min"), score.get("max"), score.get("raw")
            if low is not None and high is not None and low > high:
                problems.append("result.score.min must not be greater than result.score.max.")
            if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
                problems.append("result.score.raw must lie between result.score.min and max.")
    for key in ("success", "completion"):
        if key in value and not isinstance(value[key], bool):
            problems.append(f"result.{key} must be true or false.")
    if "duration" in value and not (isinstance(value["duration"], str) and _DURATION.match(value["duration"])):
        problems.append("result.duration must be an ISO 8601 duration such as PT1M30S.")


def _context(value, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append("context must be an object.")
        return
    if "registration" in value and not is_uuid(value["registration"]):
        problems.append("context.registration must be a UUID.")
    if "language" in value and not (isinstance(value["language"], str) and _LANGUAGE_TAG.match(value["language"])):
        problems.append("context.language must be a language tag such as en-US.")
    activities = value.get("contextActivities")
    if activities is not None:
        if not isinstance(activities, dict):
            problems.append("context.contextActivities must be an object.")
            return
        for kind, items in activities.items():
            if kind not in ("parent", "grouping", "category", "other"):
                problems.append(f"context.contextActivities.{kind} is not an xAPI context activity type.")
                continue
            for index, item in enumerate(items if isinstance(items, list) else [items]):
                if not isinstance(item, dict):
                    problems.append(f"context.contextActivities.{kind}[{index}] must be an Activity object.")
                else:
                    _activity(item, f"context.contextActivities.{kind}[{index}]", problems)


def _core(statement: dict, where: str, problems: list[str], *, sub_allowed: bool = True) -> None:
    prefix = f"{where}." if where else ""
    if "actor" not in statement:
        problems.append(f"{prefix}actor is required.")
    else:
        _agent(statement["actor"], f"{prefix}actor", problems)
    verb = statement.get("verb")
    if not isinstance(verb, dict):
        problems.append(f"{prefix}verb is required and must be an object with an id.")
    else:
        _iri(verb.get("id"), f"{prefix}verb.id", problems)
        if "display" in verb:
            _language_map(verb["display"], f"{prefix}verb.display", problems)
    _object(statement.get("object"), f"{prefix}object", problems, sub_allowed=sub_allowed)
    if "result" in statement:
        _result(statement["result"], problems)
    if "context" in statement:
        _context(statement["context"], problems)
    if "timestamp" in statement and not _timestamp_ok(statement["timestamp"]):
        problems.append(f"{prefix}timestamp must be an ISO 8601 date and time with a time zone.")


def statement_problems(statement) -> list[str]:
    """Why ``statement`` is not a valid xAPI 1.0.3 statement to queue (empty when it is)."""
    if not isinstance(statement, dict):
        return ["A statement must be a JSON object (a dict)."]
    problems: list[str] = []
    for key in sorted(set(statement) - _TOP_LEVEL):
        problems.append(f"{key!r} is not an xAPI statement property.")
    for key in _LRS_ONLY:
        if key in statement:
            problems.append(f"{key!r} is set by the LRS: leave it out.")
    if "id" in statement and not is_uuid(statement["id"]):
        problems.append("id must be a UUID (or leave it out and one is assigned).")
    version = statement.get("version", "1.0.3")
    if not (isinstance(version, str) and version.startswith("1.0")):
        problems.append("version must be 1.0.x (or leave it out).")
    _core(statement, "", problems)
    return problems
