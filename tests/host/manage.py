#!/usr/bin/env python
"""manage.py of the stand-in host; run from the project root: python -m tests.host.manage ..."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.lms_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
