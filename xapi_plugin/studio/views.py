"""The course staff page in Studio: settings in force, problems, the LRS's status, statement counts, a form.

Reached at ``/xapi/course/<course key>/`` in Studio (also mounted in the LMS). Only users with Studio
write access to the course (asked through the platform adapter) see it; anonymous users are sent
to log in, everyone else gets 403. Plain HTML, no JavaScript.
"""

from datetime import timedelta

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from xapi_plugin import platform
from xapi_plugin.core.constants import ActorMode, BeaconInterval, ConnectionStatus, OutboxState
from xapi_plugin.studio import advanced_settings as studio_settings
from xapi_plugin.studio.course_settings import get_course_settings

#: How many days of statements the page counts unless ``?days=`` says otherwise.
DEFAULT_DAYS = 7
MAX_DAYS = 90


class CourseXapiForm(forms.Form):
    """The same settings as the Advanced Settings ``xapi`` entry, validated by the same function."""

    enabled = forms.BooleanField(required=False, label="Send xAPI statements for this course")
    lrs = forms.ChoiceField(required=False, label="LRS", help_text="Set up by your operators.")
    actor_mode = forms.ChoiceField(choices=ActorMode.CHOICES, label="Identify learners by")
    video_end_percent = forms.IntegerField(
        min_value=1, max_value=100, label="A video is completed at (%)", help_text="1 to 100; 100: the whole video."
    )
    video_end_seconds = forms.IntegerField(
        min_value=0,
        max_value=86400,
        label="...or within this many seconds of its end",
        help_text="0 turns this rule off.",
    )
    beacon_interval = forms.ChoiceField(choices=BeaconInterval.CHOICES, label="Video progress reports")
    send_course_statements = forms.BooleanField(
        required=False, label="Course statements (enrolment, progress, completion, grades)"
    )
    send_video_statements = forms.BooleanField(required=False, label="Video statements")

    def __init__(self, *args, connection_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.connection_names = connection_names
        self.fields["lrs"].choices = [("", "(none)")] + [(name, name) for name in connection_names]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        entry = {key: cleaned.get(key) for key in studio_settings.ENTRY_DEFAULTS}
        entry["lrs"] = entry["lrs"] or None
        checked = studio_settings.validate_xapi_entry(entry, self.connection_names)
        for key, message in checked.problems:
            self.add_error(key if key in self.fields else None, message)
        self.validated_values = checked.values
        return cleaned


def _course_key_or_404(course_key: str) -> str:
    try:
        return str(CourseKey.from_string(course_key))
    except InvalidKeyError as exc:
        raise Http404("Not a course id.") from exc


def _check_access(request: HttpRequest, course_key: str) -> HttpResponse | None:
    """A login redirect for anonymous users; PermissionDenied for users who cannot edit the course."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not platform.user_can_edit_course(request.user, course_key):
        raise PermissionDenied("Only course staff with Studio write access to this course can see this page.")
    return None


def _initial_values(course_key: str) -> dict:
    current = get_course_settings(course_key)
    initial = dict(studio_settings.ENTRY_DEFAULTS)
    if current is not None:
        initial.update(
            enabled=current.enabled,
            lrs=current.connection_name or "",
            actor_mode=current.actor_mode,
            video_end_percent=current.video_end_percent,
            video_end_seconds=current.video_end_seconds,
            beacon_interval=current.beacon_interval,
            send_course_statements=current.send_course_statements,
            send_video_statements=current.send_video_statements,
        )
    return initial


def _statement_counts(course_key: str, days: int) -> list[tuple[str, int]]:
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    since = timezone.now() - timedelta(days=days)
    rows = (
        OutboxStatement.objects.filter(course_key=course_key, created__gte=since)
        .values("state")
        .annotate(count=Count("id"))
    )
    by_state = {row["state"]: row["count"] for row in rows}
    return [(label, by_state.get(state, 0)) for state, label in OutboxState.CHOICES]


def _connection_status(connection_id: int | None) -> dict | None:
    """Name and status of the course's LRS; never its address or credentials."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    if connection_id is None:
        return None
    connection = (
        LRSConnection.objects.filter(pk=connection_id)
        .only("name", "enabled", "status", "status_changed_at", "last_success_at", "last_failure_at")
        .first()
    )
    if connection is None:
        return None
    return {
        "name": connection.name,
        "enabled": connection.enabled,
        "status": connection.get_status_display(),
        "is_error": connection.status in ConnectionStatus.ERRORS,
        "is_ok": connection.status == ConnectionStatus.OK,
        "status_changed_at": connection.status_changed_at,
        "last_success_at": connection.last_success_at,
        "last_failure_at": connection.last_failure_at,
    }


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


@require_http_methods(["GET", "POST"])
def course_settings_page(request: HttpRequest, course_key: str, video_errors=None, status=None) -> HttpResponse:
    """Show the course's xAPI settings and status; on POST, save the form."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    course_key = _course_key_or_404(course_key)
    denied = _check_access(request, course_key)
    if denied is not None:
        return denied

    names = studio_settings.connection_names()
    status = status or 200
    if request.method == "POST":
        form = CourseXapiForm(request.POST, connection_names=names)
        if form.is_valid():
            studio_settings.apply_course_values(course_key, form.validated_values)
            return redirect(reverse("xapi_plugin:course_settings", args=[course_key]) + "?saved=1")
        status = 400
    else:
        form = CourseXapiForm(initial=_initial_values(course_key), connection_names=names)

    current = get_course_settings(course_key)
    # Display-only facts the cached accessor does not carry: where the settings came from, and why
    # the last settings from Studio were refused.
    row = CourseSettings.objects.filter(course_key=course_key).only("source", "studio_error", "modified").first()
    other = platform.get_other_course_settings(course_key) or {}
    outline = platform.get_course_outline(course_key)
    days = _days(request)
    context = {
        "course_key": course_key,
        "course_name": outline.display_name if outline else course_key,
        "current": current,
        "row": row,
        "studio_error_lines": row.studio_error.splitlines() if row and row.studio_error else [],
        "has_advanced_entry": studio_settings.XAPI_ENTRY in other,
        "connection": _connection_status(current.connection_id if current else None),
        "counts": _statement_counts(course_key, days),
        "days": days,
        "form": form,
        "saved": request.GET.get("saved") == "1",
        "synced": request.GET.get("synced", ""),
        "example_entry": _example_entry(names),
        "actor_mode_label": dict(ActorMode.CHOICES).get(current.actor_mode, "") if current else "",
        "beacon_label": dict(BeaconInterval.CHOICES).get(current.beacon_interval, "") if current else "",
        "videos": _video_rows(course_key, outline),
        "video_saved": request.GET.get("video_saved", ""),
        "video_errors": video_errors or [],
    }
    return render(request, "xapi_plugin/course_settings.html", context, status=status)


def _video_rows(course_key: str, outline) -> list[dict]:
    """Each video of the course (from the outline) with its xAPI override, empty where none is set."""
    from xapi_plugin.models import VideoTrackingOverride  # noqa: PLC0415

    if outline is None:
        return []
    overrides = {row.video_key: row for row in VideoTrackingOverride.objects.filter(course_key=course_key)}
    rows = []
    for video in outline.videos:
        override = overrides.get(video.usage_key)
        rows.append(
            {
                "usage_key": video.usage_key,
                "display_name": video.display_name or video.usage_key.rsplit("@", 1)[-1],
                "tracking_enabled": override.tracking_enabled if override else True,
                "video_end_percent": override.video_end_percent if override and override.video_end_percent else "",
                "video_end_seconds": (
                    override.video_end_seconds if override and override.video_end_seconds is not None else ""
                ),
                "overridden": override is not None,
            }
        )
    return rows


@require_POST
def save_video_override(request: HttpRequest, course_key: str) -> HttpResponse:
    """Save one video's xAPI choice (tracking on/off, completion thresholds) from the course page."""
    from xapi_plugin.aside import store_override, validate_overrides  # noqa: PLC0415

    course_key = _course_key_or_404(course_key)
    denied = _check_access(request, course_key)
    if denied:
        return denied
    video_key = request.POST.get("video_key", "")
    outline = platform.get_course_outline(course_key)
    if outline is None or video_key not in {video.usage_key for video in outline.videos}:
        return course_settings_page_with_errors(request, course_key, [f"{video_key!r} is not a video of this course."])
    values, problems = validate_overrides(
        {
            "tracking_enabled": request.POST.get("tracking_enabled") == "on",
            "video_end_percent": request.POST.get("video_end_percent", ""),
            "video_end_seconds": request.POST.get("video_end_seconds", ""),
        }
    )
    if problems:
        return course_settings_page_with_errors(request, course_key, problems)
    store_override(course_key, video_key, values)
    return redirect(reverse("xapi_plugin:course_settings", args=[course_key]) + f"?video_saved={video_key}")


def course_settings_page_with_errors(request: HttpRequest, course_key: str, errors: list[str]) -> HttpResponse:
    """The course page again (GET view), with the per-video form's errors and a 400."""
    request.method = "GET"
    return course_settings_page(request, course_key, video_errors=errors, status=400)


@require_POST
def sync_from_advanced_settings(request: HttpRequest, course_key: str) -> HttpResponse:
    """The page's button: apply the Advanced Settings ``xapi`` entry now."""
    course_key = _course_key_or_404(course_key)
    denied = _check_access(request, course_key)
    if denied is not None:
        return denied
    result = studio_settings.sync_course_settings(course_key)
    return redirect(reverse("xapi_plugin:course_settings", args=[course_key]) + f"?synced={result.outcome}")


def _example_entry(names: list[str]) -> str:
    import json  # noqa: PLC0415

    example = {
        "enabled": True,
        "lrs": names[0] if names else "Name of the LRS",
        "actor_mode": ActorMode.ACCOUNT,
        "video_end_percent": 90,
        "video_end_seconds": 10,
        "beacon_interval": BeaconInterval.QUARTERS,
        "send_course_statements": True,
        "send_video_statements": True,
    }
    return json.dumps({studio_settings.XAPI_ENTRY: example}, indent=2)
