"""The Tutor plugin ``xapi``: config values, template patches, services and the init task.

Tutor imports this module through the ``tutor.plugin.v1`` entry point when the plugin is enabled.
Everything it adds is declared with Tutor's hooks; patch bodies live in ``patches/`` (one file per
patch name, rendered with Tutor's config) and the init task in ``templates/xapi/tasks/``.
"""

from __future__ import annotations

from importlib import resources

from tutor import hooks
from tutorxapi.__about__ import __version__

PACKAGE_FILES = resources.files("tutorxapi")

# Values an operator may change with `tutor config save --set NAME=VALUE`. The names map to the
# plugin's settings of the same name (documented in the plugin's settings table), except where
# a comment says otherwise.
CONFIG_DEFAULTS: list[tuple[str, object]] = [
    ("XAPI_VERSION", __version__),
    # What the openedx image installs; pinned to this plugin's release. Point it at a fork or a
    # git URL to try an unreleased version.
    ("XAPI_PIP_REQUIREMENT", "openedx-xapi-plugin=={{ XAPI_VERSION }}"),
    # Older encryption keys, still accepted for decryption (key rotation: see docs/tutor.md).
    ("XAPI_ENCRYPTION_KEYS_PREVIOUS", []),
    ("XAPI_ALERT_ADMIN_EMAILS", []),
    ("XAPI_ALERT_FROM_EMAIL", ""),  # empty: the platform's DEFAULT_FROM_EMAIL
    ("XAPI_CELERY_QUEUE", ""),  # empty: the LMS's default queue; set: a worker for it is added
    ("XAPI_DELIVERED_RETENTION", 14 * 24 * 3600),  # seconds
    ("XAPI_VIEWING_STATE_RETENTION", 180 * 24 * 3600),  # seconds
    # Beat: how often each periodic task runs, in seconds, and whether this plugin runs beat
    # (Tutor runs no Celery beat of its own).
    ("XAPI_SWEEP_INTERVAL", 60),
    ("XAPI_PURGE_INTERVAL", 3600),
    ("XAPI_IDLE_VIDEO_SESSIONS_INTERVAL", 300),
    ("XAPI_RUN_BEAT", True),
    # Platform features the init task turns on (false: leave them as the operator set them).
    ("XAPI_ENABLE_COMPLETION_TRACKING", True),
    ("XAPI_ENABLE_XBLOCK_ASIDES", True),
    # Send everything to the Ralph LRS of tutor-contrib-aspects as well.
    ("XAPI_ASPECTS_RALPH", False),
    ("XAPI_ASPECTS_RALPH_CONNECTION_NAME", "Aspects Ralph"),
    (
        "XAPI_ASPECTS_RALPH_ENDPOINT",
        "{% if RUN_RALPH is defined and RUN_RALPH %}http://ralph:{{ RALPH_PORT }}/xAPI/"
        "{% elif RALPH_HOST is defined %}{% if RALPH_RUN_HTTPS %}https{% else %}http{% endif %}"
        "://{{ RALPH_HOST }}/xAPI/{% endif %}",
    ),
]

# Secrets generated once per site and kept in config.yml, like Tutor's own passwords.
CONFIG_UNIQUE: list[tuple[str, object]] = [
    ("XAPI_ENCRYPTION_KEY", "{{ 48|random_string }}"),
    ("XAPI_ACTOR_ID_SALT", "{{ 48|random_string }}"),
]

hooks.Filters.CONFIG_DEFAULTS.add_items(CONFIG_DEFAULTS)
hooks.Filters.CONFIG_UNIQUE.add_items(CONFIG_UNIQUE)


def python_literal(value: object) -> str:
    """A config value written as Python source in the rendered settings files."""
    return repr(value)


def python_list(value: object) -> str:
    """A config value that should be a list (a lone string from ``--set`` becomes a list of one)."""
    if value in (None, ""):
        return "[]"
    return repr([value] if isinstance(value, str) else list(value))


hooks.Filters.ENV_TEMPLATE_FILTERS.add_items([("xapi_py", python_literal), ("xapi_py_list", python_list)])

# One patch per file in patches/, named after the file.
for patch_file in sorted(PACKAGE_FILES.joinpath("patches").iterdir(), key=lambda f: f.name):
    if patch_file.is_file() and not patch_file.name.startswith("."):
        hooks.Filters.ENV_PATCHES.add_item((patch_file.name, patch_file.read_text(encoding="utf-8")))


def init_task_script() -> str:
    """The LMS init task: the shell script with its Python snippets put in place of their markers."""
    tasks = PACKAGE_FILES.joinpath("templates", "xapi", "tasks", "lms")
    script = tasks.joinpath("init.sh").read_text(encoding="utf-8")
    for snippet in ("enable_asides.py", "aspects_connection.py"):
        script = script.replace(f"#XAPI_SNIPPET {snippet}\n", tasks.joinpath(snippet).read_text(encoding="utf-8"))
    return script


hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", init_task_script()))
