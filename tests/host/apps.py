"""The stand-in host's own app: connects plugin receivers when Django is ready, as the platform does."""

from xapi_plugin.testing.host_app import StandInHostConfig


class HostConfig(StandInHostConfig):
    name = "tests.host"
    label = "host"
    default = True
