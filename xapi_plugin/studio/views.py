"""The course staff page in Studio: settings in force, problems, the LRS's status, statement counts, a form.

Reached at ``/xapi/course/<course key>/`` in Studio (also mounted in the LMS). Only users with Studio
write access to the course (asked through the platform adapter) see it; anonymous users are sent
to log in, everyone else gets 403. Plain HTML, no JavaScript.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

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
from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import (
    ActorMode,
    BeaconInterval,
    ConnectionCoverage,
    ConnectionStatus,
    OutboxState,
    StatementFamily,
)
from xapi_plugin.routing import destinations, routing_settings
from xapi_plugin.studio import advanced_settings as studio_settings
from xapi_plugin.studio import team_connections as team
from xapi_plugin.studio.course_settings import CHOSEN_FIELDS, get_course_settings

log = logging.getLogger(__name__)

#: How many days of statements the page counts unless ``?days=`` says otherwise.
DEFAULT_DAYS = 7
MAX_DAYS = 90


class CourseXapiForm(forms.Form):
    """The same settings as the Advanced Settings ``xapi`` entry, validated by the same function."""

    enabled = forms.BooleanField(required=False, label="Send xAPI statements for this course")
    # A select of the usable names, checked by validate_xapi_entry (whose refusal lists only those).
    lrs = forms.CharField(
        required=False,
        label="LRS",
        widget=forms.Select,
        help_text="Set up by your operators; only those your course may use are listed.",
    )
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
    send_problem_statements = forms.BooleanField(
        required=False, label="Problem statements (answers, hints, shown answers)"
    )
    send_navigation_statements = forms.BooleanField(
        required=False, label="Navigation statements (moves between units and pages)"
    )

    def __init__(self, *args, connection_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.connection_names = connection_names
        self.fields["lrs"].widget.choices = [("", "(none)")] + [(name, name) for name in connection_names]

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
            **{name: getattr(current, name) for name in CHOSEN_FIELDS},
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


_REASONS = {
    "course": "Chosen for this course",
    ConnectionCoverage.ORGANISATIONS: "Set by your operators for every course of your organisation",
    ConnectionCoverage.SITE: "Set by your operators for every course of the site",
}


def _receiving_connections(course_key: str, current) -> list[dict]:
    """Every LRS the course's statements go to (its own and the operators'), with name and status only.

    Never an endpoint or a credential: course staff see what operators want them to see.
    """
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    settings = routing_settings(course_key, current)
    found: dict[int, dict] = {}
    for family, label in StatementFamily.CHOICES:
        for destination in destinations(course_key, family, settings):
            entry = found.setdefault(
                destination.connection_id,
                {"reason": _REASONS.get(destination.reason, ""), "families": [], "actor_mode": destination.actor_mode},
            )
            entry["families"].append(label)
    own_id = current.connection_id if current else None
    if own_id is not None and own_id not in found:
        note = "Nothing is sent to it now" + (": xAPI is off for this course." if not current.enabled else ".")
        found[own_id] = {"reason": _REASONS["course"], "families": [], "actor_mode": None, "note": note}
    rows = LRSConnection.objects.filter(pk__in=found).only(
        "name", "enabled", "status", "status_changed_at", "last_success_at", "last_failure_at"
    )
    by_id = {row.pk: row for row in rows}
    shown = []
    for connection_id, entry in found.items():
        connection = by_id.get(connection_id)
        if connection is None:
            continue
        mode = entry["actor_mode"] or (current.actor_mode if current else ActorMode.ACCOUNT)
        shown.append(
            {
                "name": connection.name,
                "own": connection_id == own_id,
                "reason": entry["reason"],
                "families": ", ".join(entry["families"]),
                "note": entry.get("note", ""),
                "actor_mode": dict(ActorMode.CHOICES).get(mode, ""),
                "enabled": connection.enabled,
                "status": connection.get_status_display(),
                "is_error": connection.status in ConnectionStatus.ERRORS,
                "is_ok": connection.status == ConnectionStatus.OK,
                "status_changed_at": connection.status_changed_at,
                "last_success_at": connection.last_success_at,
                "last_failure_at": connection.last_failure_at,
            }
        )
    return shown


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


@require_http_methods(["GET", "POST"])
def course_settings_page(request: HttpRequest, course_key: str, video_errors=None, status=None) -> HttpResponse:
    """Show the course's xAPI settings and status; on POST, save the form."""
    course_key = _course_key_or_404(course_key)
    denied = _check_access(request, course_key)
    if denied is not None:
        return denied

    names = studio_settings.connection_names(course_key)
    if request.method == "POST":
        form = CourseXapiForm(request.POST, connection_names=names)
        if form.is_valid():
            studio_settings.apply_course_values(course_key, form.validated_values)
            return redirect(reverse("xapi_plugin:course_settings", args=[course_key]) + "?saved=1")
        return _render_page(request, course_key, form=form, status=400)
    return _render_page(request, course_key, video_errors=video_errors, status=status or 200)


def _render_page(
    request: HttpRequest,
    course_key: str,
    *,
    form: forms.Form | None = None,
    team_form: forms.Form | None = None,
    editing=None,
    notice: tuple[bool, str] | None = None,
    video_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, with the settings form and (where operators allow it) the team's own LRSs."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    names = studio_settings.connection_names(course_key)
    if form is None:
        form = CourseXapiForm(initial=_initial_values(course_key), connection_names=names)
    current = get_course_settings(course_key)
    # Display-only facts the cached accessor does not carry: where the settings came from, and why
    # the last settings from Studio were refused.
    row = CourseSettings.objects.filter(course_key=course_key).only("source", "studio_error", "modified").first()
    other = platform.get_other_course_settings(course_key) or {}
    outline = platform.get_course_outline(course_key)
    days = _days(request)
    team_allowed = team.team_connections_allowed(course_key)
    if team_allowed and team_form is None:
        team_form = team.TeamConnectionForm(course_key=course_key)
    context = {
        "course_key": course_key,
        "course_name": outline.display_name if outline else course_key,
        "current": current,
        "row": row,
        "studio_error_lines": row.studio_error.splitlines() if row and row.studio_error else [],
        "has_advanced_entry": studio_settings.XAPI_ENTRY in other,
        "connections": _receiving_connections(course_key, current),
        "counts": _statement_counts(course_key, days),
        "days": days,
        "form": form,
        "saved": request.GET.get("saved") == "1",
        "synced": request.GET.get("synced", ""),
        "example_entry": _example_entry(names),
        "actor_mode_label": dict(ActorMode.CHOICES).get(current.actor_mode, "") if current else "",
        "beacon_label": dict(BeaconInterval.CHOICES).get(current.beacon_interval, "") if current else "",
        "team_allowed": team_allowed,
        "team_org_scope": bool(get_setting("XAPI_COURSE_TEAM_CONNECTION_ORG_SCOPE")),
        "team_form": team_form if team_allowed else None,
        "team_editing": editing,
        "team_connections": _team_rows(course_key) if team_allowed else [],
        "team_notice": notice,
        "team_done": request.GET.get("lrs", ""),
        "videos": _video_rows(course_key, outline),
        "video_saved": request.GET.get("video_saved", ""),
        "video_errors": video_errors or [],
    }
    return render(request, "xapi_plugin/course_settings.html", context, status=status)


def _team_rows(course_key: str) -> list[dict]:
    """The team's own LRSs: name, authentication, contact, status; never the secrets."""
    return [
        {
            "id": connection.pk,
            "name": connection.name,
            "endpoint_host": urlsplit(connection.endpoint).hostname,
            "auth": connection.get_auth_type_display(),
            "contact_email": connection.contact_email,
            "enabled": connection.enabled,
            "status": connection.get_status_display(),
            "is_error": connection.status in ConnectionStatus.ERRORS,
        }
        for connection in team.team_connections(course_key)
    ]


def _team_access(request: HttpRequest, course_key: str):
    """(course key, None) when the user may manage the course's own LRSs; else (course key, response)."""
    course_key = _course_key_or_404(course_key)
    denied = _check_access(request, course_key)
    if denied is not None:
        return course_key, denied
    if not team.team_connections_allowed(course_key):
        raise PermissionDenied("Your operators do not let course teams add their own LRS.")
    return course_key, None


def _team_connection_or_404(course_key: str, connection_id: int):
    connection = team.team_connections(course_key).filter(pk=connection_id).first()
    if connection is None:
        raise Http404("No such LRS for this course.")
    return connection


def _back(course_key: str, done: str) -> HttpResponse:
    return redirect(reverse("xapi_plugin:course_settings", args=[course_key]) + f"?lrs={done}#team-lrs")


@require_POST
def team_connection_add(request: HttpRequest, course_key: str) -> HttpResponse:
    """Add the team's own LRS connection (scoped to the course)."""
    course_key, denied = _team_access(request, course_key)
    if denied is not None:
        return denied
    team_form = team.TeamConnectionForm(request.POST, course_key=course_key)
    if not team_form.is_valid():
        return _render_page(request, course_key, team_form=team_form, status=400)
    connection = team_form.save(user_id=request.user.pk)
    log.info("xapi: course team of %s added LRS connection %s (user %s)", course_key, connection.pk, request.user.pk)
    return _back(course_key, "added")


@require_http_methods(["GET", "POST"])
def team_connection_edit(request: HttpRequest, course_key: str, connection_id: int) -> HttpResponse:
    """Change the team's LRS; a new endpoint host needs the secret again."""
    course_key, denied = _team_access(request, course_key)
    if denied is not None:
        return denied
    connection = _team_connection_or_404(course_key, connection_id)
    if request.method == "GET":
        form = team.TeamConnectionForm(course_key=course_key, instance=connection)
        return _render_page(request, course_key, team_form=form, editing=connection)
    form = team.TeamConnectionForm(request.POST, course_key=course_key, instance=connection)
    if not form.is_valid():
        return _render_page(request, course_key, team_form=form, editing=connection, status=400)
    form.save(user_id=request.user.pk)
    return _back(course_key, "changed")


@require_POST
def team_connection_test(request: HttpRequest, course_key: str, connection_id: int) -> HttpResponse:
    """Admin's "Test connection", in plain words."""
    course_key, denied = _team_access(request, course_key)
    if denied is not None:
        return denied
    connection = _team_connection_or_404(course_key, connection_id)
    passed, words = team.test_in_plain_words(connection)
    return _render_page(request, course_key, notice=(passed, f"{connection.name}: {words}"))


@require_POST
def team_connection_remove(request: HttpRequest, course_key: str, connection_id: int) -> HttpResponse:
    """Remove the team's LRS, unless courses use it or statements still wait for it."""
    course_key, denied = _team_access(request, course_key)
    if denied is not None:
        return denied
    connection = _team_connection_or_404(course_key, connection_id)
    refusal = team.removal_refusal(connection, request.user)
    if refusal:
        return _render_page(request, course_key, notice=(False, f"{connection.name}: {refusal}"), status=409)
    team.remove(connection)
    return _back(course_key, "removed")


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
        "send_problem_statements": True,
        "send_navigation_statements": True,
    }
    return json.dumps({studio_settings.XAPI_ENTRY: example}, indent=2)
