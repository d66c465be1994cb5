"""Database tables of the plugin: LRS connections, course settings, the outbox, viewing state.

Each model carries Open edX PII annotations; ``make pii_check`` (code-annotations, run by ``make test``)
and ``tests/privacy/test_pii_annotations.py`` enforce them.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from xapi_plugin.connections import decrypt_secret, encrypt_secret, validate_endpoint
from xapi_plugin.core.constants import (
    ActorMode,
    AuthType,
    BeaconInterval,
    ConnectionStatus,
    OutboxState,
)
from xapi_plugin.core.validators import (
    validate_course_key,
    validate_video_end_percent,
    validate_video_end_seconds,
)


class LRSConnection(models.Model):
    """
    A Learning Record Store that courses send statements to, defined by an operator.

    Secrets (the key, the secret or token) are stored encrypted and are only decrypted by the
    delivery client when it builds a request.

    .. no_pii: Holds LRS credentials (encrypted) and an operator's contact address, no learner data.
    """

    name = models.CharField(max_length=100, unique=True, help_text="Shown to course staff in Studio.")
    endpoint = models.CharField(
        max_length=500,
        validators=[validate_endpoint],
        help_text="The LRS's xAPI base URL; statements are posted to <endpoint>/statements.",
    )
    auth_type = models.CharField(max_length=32, choices=AuthType.CHOICES, default=AuthType.BASIC)
    # Encrypted with xapi_plugin.connections.crypto; use the key/secret properties.
    key_encrypted = models.TextField(blank=True, default="", editable=False)
    secret_encrypted = models.TextField(blank=True, default="", editable=False)
    token_url = models.CharField(
        max_length=500,
        blank=True,
        default="",
        validators=[validate_endpoint],
        help_text="OAuth 2 client credentials only: where the token is fetched.",
    )
    scope = models.CharField(max_length=255, blank=True, default="", help_text="OAuth 2 scope, if the LRS needs one.")
    contact_email = models.EmailField(help_text="Who is told by email when this LRS fails and recovers.")
    enabled = models.BooleanField(default=True, help_text="Off: statements are kept and not sent.")

    status = models.CharField(
        max_length=16, choices=ConnectionStatus.CHOICES, default=ConnectionStatus.UNUSED, blank=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_success_detail = models.CharField(max_length=500, blank=True, default="")
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_detail = models.CharField(max_length=500, blank=True, default="")

    # Delivery bookkeeping: while failing, nothing is sent before retry_at except one probe.
    retry_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    alerted_status = models.CharField(max_length=16, blank=True, default="")
    last_alert_at = models.DateTimeField(null=True, blank=True)

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "LRS connection"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The LRS key (HTTP Basic user) or OAuth client id, decrypted."""
        return decrypt_secret(self.key_encrypted)

    @key.setter
    def key(self, value: str) -> None:
        self.key_encrypted = encrypt_secret(value or "")

    @property
    def secret(self) -> str:
        """The LRS secret, bearer token or OAuth client secret, decrypted."""
        return decrypt_secret(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt_secret(value or "")

    def missing_credentials(self) -> list[str]:
        """Names of the credentials this connection's auth type needs and does not have."""
        missing = []
        if self.auth_type in (AuthType.BASIC, AuthType.OAUTH_CLIENT_CREDENTIALS) and not self.key_encrypted:
            missing.append("key" if self.auth_type == AuthType.BASIC else "client id")
        if not self.secret_encrypted:
            missing.append({AuthType.BEARER: "token"}.get(self.auth_type, "secret"))
        if self.auth_type == AuthType.OAUTH_CLIENT_CREDENTIALS and not self.token_url:
            missing.append("token URL")
        return missing


class CourseSettings(models.Model):
    """
    Whether and how one course sends xAPI statements; read through ``xapi_plugin.studio.get_course_settings``
    (its cache is invalidated by ``studio.course_settings`` on every save and delete).

    .. no_pii: Course configuration only.
    """

    SOURCE_ADMIN = "admin"
    SOURCE_STUDIO = "studio"

    course_key = models.CharField(max_length=255, unique=True, validators=[validate_course_key])
    enabled = models.BooleanField(default=False)
    connection = models.ForeignKey(
        LRSConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    actor_mode = models.CharField(max_length=16, choices=ActorMode.CHOICES, default=ActorMode.EMAIL)
    video_end_percent = models.PositiveSmallIntegerField(
        default=100,
        validators=[validate_video_end_percent, MinValueValidator(1), MaxValueValidator(100)],
        help_text="A video counts as completed when this percentage of it was watched (1-100).",
    )
    video_end_seconds = models.PositiveIntegerField(
        default=0,
        validators=[validate_video_end_seconds],
        help_text="...or when it was watched to within this many seconds of its end (0: off).",
    )
    beacon_interval = models.CharField(max_length=16, choices=BeaconInterval.CHOICES, default=BeaconInterval.QUARTERS)
    send_course_statements = models.BooleanField(
        default=True, help_text="Enrolment, progress, completion, grades, passing, certificates."
    )
    send_video_statements = models.BooleanField(default=True, help_text="Video Profile statements.")
    send_problem_statements = models.BooleanField(
        default=True, help_text="Problem submissions (one per question), hints and shown answers."
    )
    send_navigation_statements = models.BooleanField(
        default=True, help_text="Moves between units and pages of the course (what Aspects counts as visits)."
    )
    source = models.CharField(max_length=16, default=SOURCE_ADMIN, editable=False)
    studio_error = models.TextField(
        blank=True, default="", help_text="Why the last settings from Studio were refused, if they were."
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "course xAPI settings"
        verbose_name_plural = "course xAPI settings"
        ordering = ["course_key"]

    def __str__(self) -> str:
        return self.course_key

    def clean(self):
        from django.core.exceptions import ValidationError  # noqa: PLC0415

        if self.enabled and self.connection_id is None:
            raise ValidationError(
                {"connection": "Choose the LRS connection this course sends to before enabling xAPI."}
            )


class LearnerCourseAgent(models.Model):
    """
    The xAPI agent and registration a learner keeps in one course, fixed at their first statement.

    .. pii: The agent JSON may hold the learner's email address (actor mode "email").
    .. pii_types: email_address
    .. pii_retirement: local_api
    """

    user_id = models.IntegerField(db_index=True)
    course_key = models.CharField(max_length=255)
    agent_json = models.TextField()
    registration = models.UUIDField(default=uuid.uuid4)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "course_key"], name="xapi_agent_user_course")]


class OutboxStatement(models.Model):
    """
    One statement on its way to an LRS: the exact bytes to send and what happened so far.

    .. pii: The payload names the learner (email in actor mode "email", or an opaque account id).
    .. pii_types: email_address, other
    .. pii_retirement: local_api
    """

    connection = models.ForeignKey(LRSConnection, on_delete=models.PROTECT, related_name="outbox")
    course_key = models.CharField(max_length=255, db_index=True)
    user_id = models.IntegerField(null=True, blank=True, db_index=True)
    statement_id = models.UUIDField()
    verb = models.CharField(max_length=64, blank=True, default="", help_text="Short verb name, for counts.")
    payload = models.TextField(help_text="The statement serialised once; retries send these bytes.")
    state = models.CharField(max_length=16, choices=OutboxState.CHOICES, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_answer = models.TextField(blank=True, default="", help_text="What the LRS said last (truncated).")

    class Meta:
        verbose_name = "outbox statement"
        constraints = [
            models.UniqueConstraint(fields=["connection", "statement_id"], name="xapi_outbox_connection_statement")
        ]
        indexes = [models.Index(fields=["connection", "state", "next_attempt_at"], name="xapi_outbox_due")]

    def __str__(self) -> str:
        return f"{self.statement_id} ({self.state})"


class VideoViewingState(models.Model):
    """
    What one learner has watched of one video in one registration: segments, sessions, completion.

    .. pii: Viewing behaviour of a learner, keyed by user id.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    user_id = models.IntegerField(db_index=True)
    course_key = models.CharField(max_length=255)
    video_key = models.CharField(max_length=255)
    registration = models.UUIDField()
    length = models.FloatField(null=True, blank=True)
    segments = models.JSONField(default=list, blank=True, help_text="Closed [start, end] pairs, chronological.")
    sessions = models.JSONField(
        default=dict,
        blank=True,
        help_text="Open viewing sessions by page key: session id, start, last event, playing segment, position.",
    )
    progress = models.FloatField(default=0.0)
    played_time = models.FloatField(default=0.0, help_text="Seconds of playback, rewatching included.")
    last_event_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_beacon = models.FloatField(null=True, blank=True, help_text="Progress reported by the last beacon.")
    last_beacon_at = models.FloatField(null=True, blank=True, help_text="played_time at the last beacon.")
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Bumped on every save, for concurrent updates.")
    modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "video_key", "registration"], name="xapi_video_user_video_registration"
            )
        ]


class VideoTrackingOverride(models.Model):
    """
    Course staff's choice for one video, set on the unit page in Studio (the video aside).

    Written when the aside is saved, so the tracking-event path can read it without an XBlock
    runtime (``xapi_plugin.video.overrides.resolve_video_settings``). Empty thresholds: the course's.

    .. no_pii: Course configuration only.
    """

    course_key = models.CharField(max_length=255, db_index=True, validators=[validate_course_key])
    video_key = models.CharField(max_length=255, unique=True, help_text="Usage key of the video block.")
    tracking_enabled = models.BooleanField(default=True, help_text="Off: no video statements for this video.")
    video_end_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[validate_video_end_percent, MinValueValidator(1), MaxValueValidator(100)]
    )
    video_end_seconds = models.PositiveIntegerField(null=True, blank=True, validators=[validate_video_end_seconds])
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "video tracking override"
        ordering = ["course_key", "video_key"]

    def __str__(self) -> str:
        return self.video_key


class LearnerCourseState(models.Model):
    """
    What the plugin last reported about one learner in one course, so it reports changes only.

    The platform repeats its signals (an enrolment sends "created" and "changed", every grade
    recalculation sends "grade changed", every certificate save sends "certificate changed", and
    block completion arrives by up to three paths); course receivers compare with this row, under
    a row lock, and send a statement only when something changed, and "completed" once.

    .. pii: A learner's enrolment state, grade, progress and completions in a course, keyed by user id.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    user_id = models.IntegerField(db_index=True)
    course_key = models.CharField(max_length=255)
    enrolled = models.BooleanField(null=True, blank=True, help_text="Last enrolment statement: registered or not.")
    grade_percent = models.FloatField(null=True, blank=True, help_text="Last grade sent (0..1).")
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passing = models.BooleanField(null=True, blank=True, help_text="Last passed/failed sent.")
    progress = models.JSONField(
        default=dict, blank=True, help_text='Last progress sent, in %: {"course": 50, "<section usage key>": 100}.'
    )
    completed = models.JSONField(
        default=list, blank=True, help_text='Milestones sent once: "course", section keys, "certificate:<mode>".'
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "course_key"], name="xapi_state_user_course")]
