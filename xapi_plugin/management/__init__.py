"""Operators' tools: the ``xapi_*`` management commands (``management/commands/``), each a thin
shell over another package's public API (status, flush, replay, purge, key rotation, actor lookup,
course settings sync)."""
