"""Statement samples kept in the docs: rendered from what the code sends, checked (or rewritten) by tests.

A page holds each sample block between two marker comments (``<!-- samples: NAME -->`` ...
``<!-- /samples: NAME -->``). Tests render the block from real statements and call
:func:`page_shows` (``XAPI_WRITE_SAMPLES=1`` rewrites the block first, after a deliberate change).
"""

import json
import os
from collections.abc import Iterable
from pathlib import Path


def details_block(begin: str, end: str, heading: str, samples: Iterable[tuple[str, str]], statements) -> str:
    """A block of collapsible JSON samples, one per ``(verb, source)`` and statement, between the markers."""
    parts = [begin, heading]
    for (verb, source), statement in zip(samples, statements, strict=True):
        body = json.dumps(statement, indent=1, ensure_ascii=False)
        parts.append(f"<details><summary>{verb} from {source}</summary>\n\n```json\n{body}\n```\n\n</details>")
    parts.append(end)
    return "\n\n".join(parts)


def page_shows(page: Path, begin: str, end: str, expected: str) -> bool:
    """True when ``page`` holds ``expected``; with ``XAPI_WRITE_SAMPLES`` set, put it there first
    (replacing the block between the markers, or appending it when the page has none)."""
    text = page.read_text()
    if os.environ.get("XAPI_WRITE_SAMPLES"):
        if begin in text:
            start, stop = text.index(begin), text.index(end) + len(end)
            text = text[:start] + expected + text[stop:]
        else:
            text = text.rstrip("\n") + "\n\n" + expected + "\n"
        page.write_text(text)
    return expected in page.read_text()
