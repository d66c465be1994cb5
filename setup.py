"""Packaging for openedx-xapi-plugin."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "xapi_plugin" / "__init__.py").read_text()).group(1)

setup(
    name="openedx-xapi-plugin",
    version=VERSION,
    description="Open edX plugin: learner activity as xAPI statements, delivered reliably to each course's LRS",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0",
    packages=find_packages(include=["xapi_plugin", "xapi_plugin.*"]),
    include_package_data=True,
    package_data={"xapi_plugin": ["templates/**/*", "testing/*.js", "aside/static/**/*", "aside/templates/**/*"]},
    python_requires=">=3.12",
    install_requires=[
        "Django>=4.2,<6",
        "openedx-events>=11.1",
        "openedx-filters>=1.6",  # the statement-queued filter other plugins hook into
        "edx-django-utils>=7",
        "edx-opaque-keys>=2.5",
        "event-tracking>=3",
        "XBlock>=5",
        "celery>=5.3",
        "requests>=2.31",
        "cryptography>=42",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-django>=4.8",
            "ddt>=1.7",
            "redis>=5",
            "PyMySQL>=1.1",  # raw connections in tests; the ORM's fallback driver
            # The C driver edx-platform uses (Django's MySQL backend); the test host prefers it.
            # Builds against libmariadb-dev (scripts/install-system-deps test).
            "mysqlclient>=2.2",
            # Independent xAPI validator (pydantic models). Ralph's server (its cli and lrs extras)
            # pins click<8.2.1, which would hold Celery back at 5.6: xapi_plugin.testing.ralph_lrs
            # installs it into a venv of its own (make ralph).
            "ralph-malph==5.1.0",
            "requests>=2.31",
            "selenium>=4.20",
            "ruff>=0.6",
            "code-annotations>=1.8",  # Open edX PII annotation check (make pii_check)
            "tutor>=22,<23",  # tests/tutor render the Tutor plugin (tutor/) with the real Tutor
            "kubernetes<37",  # Tutor's dependency; 37 needs python-dateutil>=3, celery pins 2.9
            "build>=1",  # tests/packaging build both wheels
            "learning-paths-plugin>=0.5",  # real Learning Paths models for tests/paths (issue 18)
            # The real platform pieces the stand-in LMS runs (the platform installs them itself).
            "edx-completion>=5,<6",  # BlockCompletion, submit_completion, its tracking event
            "django-waffle>=4",  # the switch completion.enable_completion_tracking
            "xblocks-contrib>=1.0,<1.1",  # the real VideoBlock and its player, the capa ProblemBlock
            "setuptools<81",  # xblocks-contrib imports fs (pyfilesystem2), which needs pkg_resources
            "chdb>=3",  # in-process ClickHouse: statements read the way Aspects reads them
        ],
        # The demo's learning path, and real block completion.
        "demo": ["redis>=5", "sqlalchemy>=2", "learning-paths-plugin>=0.5", "edx-completion>=5,<6", "django-waffle>=4"],
    },
    entry_points={
        "lms.djangoapp": ["xapi_plugin = xapi_plugin.apps:XapiPluginConfig"],
        "cms.djangoapp": ["xapi_plugin = xapi_plugin.apps:XapiPluginConfig"],
        "console_scripts": ["xapi-demo = xapi_plugin.demo.cli:main"],
        # Video blocks only (should_apply_to_block); operators enable asides in XBlockAsidesConfig.
        "xblock_asides.v1": ["xapi_video = xapi_plugin.aside.video_aside:VideoXapiAside"],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3.12",
    ],
)
