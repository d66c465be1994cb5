"""The README and docs/ stay true to the code: the opening commands, CI's command, every setting,
every scheduled task, and links that lead somewhere."""

import re
from pathlib import Path

from xapi_plugin.core.constants import SETTING_DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def _pages() -> dict[Path, str]:
    pages = {ROOT / "README.md": README, ROOT / "CONTRIBUTING.md": (ROOT / "CONTRIBUTING.md").read_text()}
    pages.update({path: path.read_text() for path in sorted(DOCS.glob("*.md"))})
    return pages


def test_readme_opens_with_the_demo_and_test_commands_that_ci_runs():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("```bash") < README.index("## ")  # before any section
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), "CI must run the README's test command as it is"


def test_readme_is_short_and_links_into_docs():
    assert len(README.splitlines()) <= 260
    for page in ("operators", "settings", "course-staff", "statements", "video", "privacy", "benchmarks", "design"):
        assert f"(docs/{page}.md)" in README, f"the README should link docs/{page}.md"


def test_every_relative_link_leads_to_a_file():
    broken = []
    for path, text in _pages().items():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_setting_is_in_the_settings_page():
    table = (DOCS / "settings.md").read_text()
    missing = [name for name in SETTING_DEFAULTS if f"| `{name}` |" not in table]
    assert not missing, f"add these to docs/settings.md: {missing}"


def test_every_task_the_docs_schedule_is_found_by_a_worker():
    """A worker discovers ``<app>.tasks`` modules only: each beat entry's task must be registered from there."""
    from celery import Celery  # noqa: PLC0415

    scheduled = set()
    for text in _pages().values():
        scheduled |= set(re.findall(r'"task": "([\w.]+)"', text))
    assert {
        "xapi_plugin.delivery.tasks.sweep",
        "xapi_plugin.privacy.tasks.purge_expired_data",
        "xapi_plugin.video.tasks.close_idle_sessions",
    } <= scheduled
    worker_app = Celery("docs-check", set_as_current=False)
    worker_app.autodiscover_tasks(["xapi_plugin"], force=True)
    worker_app.loader.import_default_modules()
    missing = scheduled - set(worker_app.tasks)
    assert not missing, f"the docs schedule tasks no worker knows: {missing}"
