"""Version of tutor-contrib-xapi: always the openedx-xapi-plugin release it installs (a test checks)."""

__version__ = "0.1.0"
