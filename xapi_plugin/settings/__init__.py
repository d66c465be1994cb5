"""Settings injected into the LMS and Studio by the plugin framework (``plugin_settings``)."""
