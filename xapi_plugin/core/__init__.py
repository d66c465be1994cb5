"""The foundation every other package stands on; it imports no other package of the plugin.

Each module here is public:

* ``conf``: ``get_setting(name)`` (a setting with the plugin's default), ``lms_root_url()``;
* ``constants``: every enum-like value and the defaults of every ``XAPI_*`` setting, in one place;
* ``metrics``: process-wide counters (``increment``, ``read_counters``) for ``xapi_status``;
* ``validators``: checks of course values entered by people (course keys, video thresholds);
* ``snapshot``: ``configuration_snapshot()``, a scope in which cached configuration is read once
  (a worker's batch), and ``remembered(key, read)`` for the readers;
* ``lazy``: the lazy re-export helper the packages' ``__init__`` modules use.
"""
