"""The ``xapi-demo`` console script: a stand-in LMS with the plugin, a real LRS, simulated learners."""
