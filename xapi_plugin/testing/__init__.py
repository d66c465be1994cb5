"""Public helpers for tests and the demo: a stand-in platform and a local LRS."""
