"""Measure how each LRS we test against answers the cases that matter to delivery; print a Markdown table.

Starts Learning Locker's statement service (npm ``xapi-statements``) and Ralph 5.1 (filesystem
backend) on 127.0.0.1, sends each case to both, and reads back what got stored. Used to write
docs/operators.md ("LRSs we test against and how each answer is treated"):

    .venv/bin/python scripts/lrs_answers.py
"""

import json
import uuid

import requests

from xapi_plugin.testing.local_lrs import LocalLRS
from xapi_plugin.testing.ralph_lrs import RalphLRS

HEADERS = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}


def statement(statement_id=None, *, verb="completed", bad=False, no_ifi=False) -> dict:
    body = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.com"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": "http://lms.example.com/course/demo"},
        "timestamp": "2026-05-01T12:00:00.000Z",
    }
    if bad:
        body["actor"] = {"objectType": "Agent", "mbox": "not-an-email"}
    if no_ifi:
        body["actor"] = {"objectType": "Agent", "name": "nobody"}
    return body


def post(lrs, body, headers=HEADERS) -> requests.Response:
    return requests.post(
        f"{lrs.endpoint}/statements", data=json.dumps(body), auth=lrs.auth, headers=headers, timeout=30
    )


def stored(lrs, ids) -> int:
    found = [s["id"] for s in lrs.all_statements()]
    return sum(found.count(i) for i in set(ids))


def short(answer: requests.Response) -> str:
    text = " ".join(answer.text.split())
    return f"{answer.status_code} `{text[:70]}`" if answer.status_code >= 300 else str(answer.status_code)


def measure(lrs) -> dict:
    rows = {}
    same = statement()
    answer = post(lrs, [same, same])
    rows["same statement twice in one batch"] = f"{short(answer)}; stored {stored(lrs, [same['id']])}"
    first, second = statement(), statement(verb="passed")
    second["id"] = first["id"]
    answer = post(lrs, [first, second])
    rows["two statements, one id, in one batch"] = f"{short(answer)}; stored {stored(lrs, [first['id']])}"
    again = statement()
    post(lrs, [again])
    answer = post(lrs, [again])
    rows["identical resend (new request)"] = f"{short(answer)}; stored {stored(lrs, [again['id']])}"
    changed = dict(again, verb={"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}})
    answer = post(lrs, [changed])
    rows["same id, other content (new request)"] = short(answer)
    answer = post(lrs, [statement(bad=True)])
    rows["invalid statement (mbox without mailto:)"] = short(answer)
    answer = post(lrs, [statement(no_ifi=True)])
    rows["invalid statement (actor without an identifier)"] = short(answer)
    good = [statement() for _ in range(3)]
    answer = post(lrs, [*good[:2], statement(no_ifi=True), good[2]])
    rows["batch of 4 with 1 actor without identifier"] = (
        f"{short(answer)}; valid ones stored {stored(lrs, [g['id'] for g in good])}"
    )
    good = [statement() for _ in range(3)]
    answer = post(lrs, [*good[:2], statement(bad=True), good[2]])
    rows["batch of 4 with 1 invalid"] = f"{short(answer)}; valid ones stored {stored(lrs, [g['id'] for g in good])}"
    lone = statement()
    answer = post(lrs, [lone], headers={"Content-Type": "application/json"})
    rows["no X-Experience-API-Version header"] = f"{short(answer)}; stored {stored(lrs, [lone['id']])}"
    answer = requests.get(f"{lrs.endpoint}/about", timeout=10)
    rows["GET /about"] = short(answer)
    answer = requests.get(f"{lrs.endpoint}/statements", params={"limit": 1}, auth=lrs.auth, headers=HEADERS, timeout=10)
    rows["GET /statements?limit=1 (credentials)"] = short(answer)
    answer = requests.get(f"{lrs.endpoint}/statements", params={"limit": 1}, headers=HEADERS, timeout=10)
    rows["GET /statements?limit=1 (no credentials)"] = short(answer)
    return rows


def main() -> None:
    with LocalLRS() as learning_locker, RalphLRS() as ralph:
        results = {
            "Learning Locker statement service 5.0.1": measure(learning_locker),
            "Ralph 5.1.0 (fs)": measure(ralph),
        }
    names = list(results)
    print("| case | " + " | ".join(names) + " |")
    print("| --- | " + " | ".join("---" for _ in names) + " |")
    for case in results[names[0]]:
        print(f"| {case} | " + " | ".join(results[name][case] for name in names) + " |")


if __name__ == "__main__":
    main()
