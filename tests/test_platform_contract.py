"""docs/platform-contract.md lists every touchpoint the stand-in platform produces."""

import inspect
from pathlib import Path

from xapi_plugin.platform.contract import PlatformBackend
from xapi_plugin.testing.standin_platform import StandInPlatformBackend

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "platform-contract.md").read_text(encoding="utf-8")


def _methods(cls) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_every_stand_in_backend_method_is_on_the_page():
    missing = sorted(name for name in _methods(StandInPlatformBackend) if f"`{name}(" not in PAGE)
    assert not missing, f"stand-in methods not in docs/platform-contract.md: {missing}"


def test_the_stand_in_implements_the_whole_contract():
    assert _methods(PlatformBackend) <= _methods(StandInPlatformBackend)


def test_every_signal_the_plugin_connects_is_on_the_page():
    from xapi_plugin.apps import CMS_RECEIVERS, LMS_RECEIVERS  # noqa: PLC0415

    names = {spec["signal_path"].rsplit(".", 1)[-1] for spec in LMS_RECEIVERS + CMS_RECEIVERS}
    assert sorted(name for name in names if f"`{name}`" not in PAGE) == []


def test_every_tracking_event_the_plugin_routes_is_on_the_page():
    from xapi_plugin.intake.tracking import TRACKING_ROUTES  # noqa: PLC0415

    families = ("edx.video.closed_captions.", "edx.video.language_menu.")
    mobile = {name for name in TRACKING_ROUTES if name.startswith("edx.video.") and not name.startswith(families)}
    listed = [name for name in TRACKING_ROUTES if name not in mobile and not name.startswith(families)]
    assert sorted(name for name in listed if f"`{name}`" not in PAGE) == []
