"""Run Ralph 5.1's LRS API (filesystem backend) on one uvicorn process: ``python serve_ralph.py HOST PORT``.

Run by the Python of Ralph's own venv (``xapi_plugin.testing.ralph_lrs``), not imported by the
plugin. The filesystem backend creates its statements file with the operation type
``create``, which refuses an existing file, so every write after the first answers 500:
here the backend appends instead. No auto-reload (``ralph runserver`` starts three processes).
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

if __name__ == "__main__":
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), reload=False, workers=1, log_level="warning")
