"""Django admin for operators: LRS connections, course settings, learning path connections, the outbox."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from xapi_plugin.core.constants import AuthType, ConnectionCoverage, OutboxState
from xapi_plugin.models import CourseSettings, LearningPathConnection, LRSConnection, OutboxStatement
from xapi_plugin.routing import courses_losing_access, record_lost_access

_KEEP_HINT = "Leave blank to keep the stored value. Stored encrypted; never shown again."


class LRSConnectionForm(forms.ModelForm):
    """Takes the key and secret write-only: they are never rendered back into the page."""

    key = forms.CharField(
        required=False,
        label="Key / client id",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="HTTP Basic key, or OAuth 2 client id. " + _KEEP_HINT,
    )
    secret = forms.CharField(
        required=False,
        label="Secret / token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="HTTP Basic secret, OAuth 2 bearer token, or OAuth 2 client secret. " + _KEEP_HINT,
    )

    class Meta:
        model = LRSConnection
        fields = [
            "name", "endpoint", "auth_type", "key", "secret", "token_url", "scope", "contact_email", "enabled",
            # Routing (#17): who may use it, who sends to it anyway, what and how.
            "available_to_all", "scope_organisations", "scope_courses", "coverage", "actor_mode",
            "send_course_statements", "send_video_statements", "send_other_statements",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "coverage" in self.fields:
            self.fields["coverage"].required = False  # left out: only the courses that choose it

    def clean_coverage(self):
        return self.cleaned_data.get("coverage") or ConnectionCoverage.CHOSEN

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if cleaned.get("secret"):
            # Entered again: the model's clean (which runs next) lets the endpoint move to another host.
            instance._secret_entered = True
        auth_type = cleaned.get("auth_type")
        has_key = bool(cleaned.get("key")) or bool(instance.pk and instance.key_encrypted)
        has_secret = bool(cleaned.get("secret")) or bool(instance.pk and instance.secret_encrypted)
        if auth_type == AuthType.BASIC:
            if not has_key:
                self.add_error("key", "HTTP Basic needs the LRS key: enter the key your LRS issued.")
            if not has_secret:
                self.add_error("secret", "HTTP Basic needs the LRS secret: enter the secret that goes with the key.")
        elif auth_type == AuthType.BEARER:
            if not has_secret:
                self.add_error("secret", "A bearer connection needs the token: paste the token your LRS issued.")
        elif auth_type == AuthType.OAUTH_CLIENT_CREDENTIALS:
            if not has_key:
                self.add_error("key", "OAuth 2 client credentials need the client id.")
            if not has_secret:
                self.add_error("secret", "OAuth 2 client credentials need the client secret.")
            if not cleaned.get("token_url"):
                self.add_error("token_url", "OAuth 2 client credentials need the token URL the token is fetched from.")
        if (
            cleaned.get("coverage") == ConnectionCoverage.ORGANISATIONS
            and not (cleaned.get("scope_organisations") or "").strip()
        ):
            self.add_error(
                "scope_organisations",
                "An organisation-wide connection needs its organisations: list them here, one per line.",
            )
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        if self.cleaned_data.get("key"):
            instance.key = self.cleaned_data["key"]
        if self.cleaned_data.get("secret"):
            instance.secret = self.cleaned_data["secret"]
        if commit:
            instance.save()
        return instance


class AddedInStudioFilter(admin.SimpleListFilter):
    """Connections course teams added in Studio (#19) apart from the operators' own."""

    title = "added by"
    parameter_name = "added_by"

    def lookups(self, request, model_admin):
        return [("studio", "a course team in Studio"), ("operators", "operators")]

    def queryset(self, request, queryset):
        if self.value() == "studio":
            return queryset.exclude(course_team_course="")
        if self.value() == "operators":
            return queryset.filter(course_team_course="")
        return queryset


@admin.register(LRSConnection)
class LRSConnectionAdmin(admin.ModelAdmin):
    """Operators define LRSs here and watch their status. Secrets are write-only."""

    form = LRSConnectionForm
    list_display = [
        "name", "endpoint", "auth_type", "enabled", "scope_summary", "courses_using_count", "added_by", "status",
        "last_success_at", "last_failure_at",
    ]  # fmt: skip
    list_filter = ["enabled", "status", "auth_type", "coverage", "available_to_all", AddedInStudioFilter]
    search_fields = ["name", "endpoint"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "last_success_at",
        "last_success_detail",
        "last_failure_at",
        "last_failure_detail",
        "credentials_stored",
        "courses_using",
        "course_team_course",
        "created_by_user_id",
        "created",
    ]
    fieldsets = [
        (None, {"fields": ["name", "endpoint", "enabled", "contact_email"]}),
        ("Added in Studio", {"fields": ["course_team_course", "created_by_user_id", "created"]}),
        (
            "Who uses it",
            {
                "fields": ["available_to_all", "scope_organisations", "scope_courses", "coverage", "courses_using"],
                "description": "Course staff can choose this connection only for the courses allowed here. "
                "Organisation- or site-wide: every course of those organisations (or of the site) also sends "
                "to it, whatever the course chose.",
            },
        ),
        (
            "What it receives",
            {"fields": ["actor_mode", "send_course_statements", "send_video_statements", "send_other_statements"]},
        ),
        ("Authentication", {"fields": ["auth_type", "credentials_stored", "key", "secret", "token_url", "scope"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "status_changed_at",
                    "last_success_at",
                    "last_success_detail",
                    "last_failure_at",
                    "last_failure_detail",
                    "consecutive_failures",
                    "failing_since",
                    "retry_at",
                ]
            },
        ),
    ]
    actions = ["test_connection"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "consecutive_failures", "failing_since", "retry_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # A narrower scope: the courses left outside stop sending to it; say which.
            lost = courses_losing_access(obj)
            if lost:
                record_lost_access(obj, lost)
                shown = ", ".join(lost[:20]) + (f" and {len(lost) - 20} more" if len(lost) > 20 else "")
                self.message_user(
                    request,
                    f"{len(lost)} course(s) chose {obj.name} but its scope no longer allows them, so they no "
                    f"longer send to it (their Studio page says so): {shown}.",
                    messages.WARNING,
                )
        if change and obj.consecutive_failures:
            # The operator may have fixed what failed: probe at once instead of after the backoff.
            _probe_soon(obj)

    # Both actions talk to the LRS with the stored credentials: change permission, not view.
    @admin.action(
        description="Test connection (GET /about if the LRS has it, an authenticated GET /statements)",
        permissions=["change"],
    )
    def test_connection(self, request, queryset):
        from xapi_plugin.delivery import LRSClient, check_passed, check_summary  # noqa: PLC0415

        for connection in queryset:
            checks = LRSClient(connection).check()
            passed = check_passed(checks)
            summary = check_summary(checks)
            level = messages.SUCCESS if passed else messages.ERROR
            self.message_user(request, f"{connection.name}: {summary}", level)
            if passed and connection.consecutive_failures:
                _probe_soon(connection)

    @admin.display(description="Added by")
    def added_by(self, obj: LRSConnection) -> str:
        if not obj.course_team_course:
            return "operators"
        return f"team of {obj.course_team_course} (user {obj.created_by_user_id}), {obj.created:%Y-%m-%d}"

    @admin.display(description="Scope")
    def scope_summary(self, obj: LRSConnection) -> str:
        parts = []
        if obj.coverage != ConnectionCoverage.CHOSEN:
            parts.append(obj.get_coverage_display())
        if obj.available_to_all:
            parts.append("any course may choose it")
        organisations = [line.strip() for line in obj.scope_organisations.splitlines() if line.strip()]
        courses = [line.strip() for line in obj.scope_courses.splitlines() if line.strip()]
        if organisations:
            parts.append("organisations: " + ", ".join(organisations))
        if courses:
            parts.append(f"{len(courses)} course(s)")
        return "; ".join(parts) or "no course (not in use)"

    @admin.display(description="Courses choosing it")
    def courses_using_count(self, obj: LRSConnection) -> int:
        return obj.courses.count()

    @admin.display(description="Courses that chose it")
    def courses_using(self, obj: LRSConnection) -> str:
        if not obj.pk:
            return "none yet"
        keys = list(obj.courses.order_by("course_key").values_list("course_key", flat=True)[:101])
        if not keys:
            return "none"
        more = f" (and more: {obj.courses.count() - 100} not shown)" if len(keys) > 100 else ""
        return ", ".join(keys[:100]) + more

    @admin.display(description="Credentials stored")
    def credentials_stored(self, obj: LRSConnection) -> str:
        if not obj.pk:
            return "none yet"
        parts = [label for label, value in (("key", obj.key_encrypted), ("secret", obj.secret_encrypted)) if value]
        return ", ".join(parts) or "none"


@admin.register(CourseSettings)
class CourseSettingsAdmin(admin.ModelAdmin):
    """Per-course settings; course staff usually set these from Studio instead."""

    list_display = ["course_key", "enabled", "connection", "actor_mode", "video_end_percent", "source", "modified"]
    list_filter = ["enabled", "connection", "actor_mode", "source"]
    search_fields = ["course_key"]
    readonly_fields = ["source", "studio_error", "modified"]


def _probe_soon(connection: LRSConnection) -> None:
    """Let a failing connection's next probe happen now and queue delivery for it."""
    from xapi_plugin.delivery import schedule_delivery  # noqa: PLC0415

    LRSConnection.objects.filter(pk=connection.pk, consecutive_failures__gt=0).update(retry_at=timezone.now())
    try:
        schedule_delivery(connection.pk)
    except Exception:  # noqa: BLE001 - the periodic sweep queues it anyway
        pass


class OutboxStateFilter(admin.SimpleListFilter):
    """Filter by state, showing how many rows each state has (within the other filters)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        counts = dict(OutboxStatement.objects.values_list("state").annotate(n=Count("id")).order_by())
        return [(value, f"{label} ({counts.get(value, 0)})") for value, label in OutboxState.CHOICES]

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(OutboxStatement)
class OutboxStatementAdmin(admin.ModelAdmin):
    """The delivery outbox: what waits, what the LRS answered; rejected and expired rows can be retried."""

    list_display = [
        "statement_id",
        "connection",
        "course_key",
        "verb",
        "source",
        "state",
        "attempts",
        "created",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "short_answer",
    ]
    list_filter = [OutboxStateFilter, "connection", "source", "course_key", "verb"]
    search_fields = ["=statement_id", "course_key"]
    list_select_related = ["connection"]
    date_hierarchy = "created"
    readonly_fields = [
        "connection",
        "course_key",
        "user_id",
        "statement_id",
        "verb",
        "source",
        "state",
        "attempts",
        "next_attempt_at",
        "created",
        "delivered_at",
        "last_status_code",
        "last_answer",
        "payload",
    ]
    actions = ["retry_statements"]

    def has_add_permission(self, request):
        return False  # rows come from producers only

    @admin.display(description="LRS answer")
    def short_answer(self, obj: OutboxStatement) -> str:
        return obj.last_answer if len(obj.last_answer) <= 80 else obj.last_answer[:79] + "…"

    @admin.action(
        description="Retry selected rejected, expired or held statements (sends the stored bytes again)",
        permissions=["change"],
    )
    def retry_statements(self, request, queryset):
        from xapi_plugin.delivery import schedule_delivery  # noqa: PLC0415

        retryable = queryset.filter(state__in=[OutboxState.REJECTED, OutboxState.EXPIRED, OutboxState.HELD])
        connection_ids = set(retryable.values_list("connection_id", flat=True))
        count = retryable.update(state=OutboxState.PENDING, next_attempt_at=timezone.now(), attempts=0)
        for connection_id in connection_ids:
            try:
                schedule_delivery(connection_id)
            except Exception:  # noqa: BLE001 - the periodic sweep queues it anyway
                pass
        skipped = queryset.count() - count
        note = f"; {skipped} pending or delivered rows left alone" if skipped else ""
        self.message_user(request, f"{count} statements queued for delivery again{note}.", messages.SUCCESS)


@admin.register(LearningPathConnection)
class LearningPathConnectionAdmin(admin.ModelAdmin):
    """An operator's LRS for one learning path; without a row its statements go to its courses' LRSs."""

    list_display = ["path_key", "connection", "actor_mode", "modified"]
    search_fields = ["path_key"]
