"""xapi_plugin: learner activity in Open edX as xAPI statements, delivered reliably to each course's LRS."""

__version__ = "0.1.0"
