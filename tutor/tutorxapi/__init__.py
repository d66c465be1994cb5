"""tutor-contrib-xapi: the Tutor plugin (``tutor plugins enable xapi``) for openedx-xapi-plugin.

``plugin`` registers config values, template patches and the init task with Tutor's hooks;
``patches/`` holds the patch bodies (one file per patch name) and ``templates/`` the init task.
"""

from tutorxapi.__about__ import __version__

__all__ = ["__version__"]
