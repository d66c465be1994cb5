"""Database tables of the plugin: LRS connections, course settings, the outbox, viewing state.

Each model carries Open edX PII annotations; ``make pii_check`` (code-annotations, run by ``make test``)
and ``tests/privacy/test_pii_annotations.py`` enforce them.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from xapi_plugin.connections import decrypt_secret, encrypt_secret, url_origin, validate_endpoint
from xapi_plugin.core.constants import (
    ActorMode,
    AuthType,
    BeaconInterval,
    ConnectionCoverage,
    ConnectionStatus,
    OutboxState,
)
from xapi_plugin.core.validators import (
    validate_course_key,
    validate_learning_path_key,
    validate_single_line,
    validate_video_end_percent,
    validate_video_end_seconds,
)


class LRSConnection(models.Model):
    """
    A Learning Record Store that courses send statements to, defined by an operator (Django admin)
    or, where operators allow it, by a course team in Studio (``course_team_course``).

    Secrets (the key, the secret or token) are stored encrypted and are only decrypted by the
    delivery client when it builds a request.

    .. no_pii: Holds LRS credentials (encrypted), a contact address and the user id of the staff member
       who added it in Studio; no learner data.
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

    # Who may use it (routing, issue #17). A course may choose the connection when it is open to
    # all courses, or the course's organisation or key is listed.
    available_to_all = models.BooleanField(
        default=False, help_text="Every course of the site may choose this connection."
    )
    scope_organisations = models.TextField(
        blank=True,
        default="",
        help_text="Organisations whose courses may choose it (and, for organisation-wide connections, "
        "whose courses all send to it), one per line, e.g. edX.",
    )
    scope_courses = models.TextField(blank=True, default="", help_text="Course keys that may choose it, one per line.")
    coverage = models.CharField(
        max_length=16,
        choices=ConnectionCoverage.CHOICES,
        default=ConnectionCoverage.CHOSEN,
        help_text="Organisation- or site-wide: those courses send to it too, whatever their own choice.",
    )
    # For organisation- and site-wide connections: what they receive and how learners are named.
    actor_mode = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=[("", "The course's choice"), *ActorMode.CHOICES],
        help_text="How learners are identified in what this LRS receives.",
    )
    send_course_statements = models.BooleanField(
        default=True, help_text="Organisation/site-wide only: course statements (enrolment, progress, grades...)."
    )
    send_video_statements = models.BooleanField(default=True, help_text="Organisation/site-wide only: video.")
    send_other_statements = models.BooleanField(
        default=True, help_text="Organisation/site-wide only: statements other plugins send through the API."
    )

    # Added by a course team in Studio (#19): that course (its scope), who and when (``created``).
    course_team_course = models.CharField(
        max_length=255, blank=True, default="", editable=False, help_text="Added in Studio by this course's team."
    )
    created_by_user_id = models.IntegerField(null=True, blank=True, editable=False)

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

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Where the stored secret may be sent: clean() refuses a new host unless the secret is entered again.
        # Read from the loaded values (an attribute of a deferred field would load it: from_db again).
        loaded = dict(zip(field_names, values, strict=False))
        instance._loaded_origins = tuple(
            url_origin(loaded[name]) if name in loaded else None for name in ("endpoint", "token_url")
        )
        return instance

    def clean(self):
        from django.core.exceptions import ValidationError  # noqa: PLC0415

        try:
            validate_single_line(self.name)  # the name goes into alert email subjects
        except ValidationError as error:
            raise ValidationError({"name": error.messages}) from None
        loaded = getattr(self, "_loaded_origins", None)
        if loaded is None or getattr(self, "_secret_entered", False) or not self.secret_encrypted:
            return
        moved = [
            label
            for label, before, now in (
                ("endpoint", loaded[0], url_origin(self.endpoint)),
                ("token URL", loaded[1], url_origin(self.token_url)),
            )
            if before is not None and now != before and now != ("", None)
        ]
        if moved:
            raise ValidationError(
                {
                    "secret": f"The {' and '.join(moved)} now points to another host: enter the secret again "
                    "(the stored one is only ever sent to the host it was entered for)."
                }
            )

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
        self._secret_entered = True

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
        from xapi_plugin.routing import may_use  # noqa: PLC0415

        if self.connection_id is not None and self.course_key and not may_use(self.connection, self.course_key):
            raise ValidationError(
                {
                    "connection": f'The connection "{self.connection.name}" is not open to this course: add the '
                    "course or its organisation to the connection's scope first."
                }
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
    source = models.CharField(
        max_length=64, blank=True, default="", db_index=True, help_text="course, video, or the plugin that sent it."
    )
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
    watched_wall_time = models.FloatField(
        default=0.0, help_text="Seconds of server time spent playing; completion needs enough of it."
    )
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


class LearningPathConnection(models.Model):
    """
    An operator's choice of LRS for one learning path's statements, instead of its courses' LRSs.

    Without a row, a path's statements go to every connection of the path's courses that sends
    course statements (``xapi_plugin.paths.connections_for_path``).

    .. no_pii: Learning path configuration only.
    """

    path_key = models.CharField(
        max_length=255,
        unique=True,
        validators=[validate_learning_path_key],
        help_text="The learning path's key, e.g. path-v1:OpenedX+DemoX+2026+G1.",
    )
    connection = models.ForeignKey(LRSConnection, on_delete=models.PROTECT, related_name="learning_paths")
    actor_mode = models.CharField(
        max_length=16,
        choices=ActorMode.CHOICES,
        default=ActorMode.ACCOUNT,
        help_text="How learners are identified in this path's statements.",
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "learning path LRS connection"
        ordering = ["path_key"]

    def __str__(self) -> str:
        return self.path_key


class LearnerPathState(models.Model):
    """
    What the plugin last reported about one learner in one learning path, so it reports changes only.

    .. pii: A learner's enrolment, progress, completion and grade in a learning path, keyed by user id.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    user_id = models.IntegerField(db_index=True)
    path_key = models.CharField(max_length=255)
    enrolled = models.BooleanField(null=True, blank=True, help_text="Last enrolment statement: registered or not.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Last progress sent, in % of steps completed.")
    completed = models.BooleanField(default=False, help_text="The path's completed statement was sent (once).")
    passing = models.BooleanField(null=True, blank=True, help_text="Last passed/failed sent.")
    grade = models.FloatField(null=True, blank=True, help_text="Weighted grade of the last passed/failed (0..1).")
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "path_key"], name="xapi_pathstate_user_path")]


class LearnerCourseGrade(models.Model):
    """
    A learner's latest grade in a course that is a step of some learning path (the path grade needs every step's).

    .. pii: A learner's grade in a course, keyed by user id.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    user_id = models.IntegerField(db_index=True)
    course_key = models.CharField(max_length=255)
    percent = models.FloatField(help_text="0..1, from PERSISTENT_GRADE_SUMMARY_CHANGED.")
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "course_key"], name="xapi_coursegrade_user_course")]


class VideoIntake(models.Model):
    """
    One player observation as the learner's request received it, until a worker folds it into the
    viewing state (``xapi_plugin.video.intake``): the request path's only write for a video event.

    ``source_id`` is unique, so an event carried by both intake paths, or replayed, is stored once.
    Folded rows are kept for ``XAPI_INTAKE_RETENTION`` (fold latency figures), then purged.

    .. pii: A learner's player actions (video, media time, page key), keyed by user id.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    id = models.BigAutoField(primary_key=True)
    user_id = models.IntegerField()
    course_key = models.CharField(max_length=255)
    video_key = models.CharField(max_length=255)
    source_id = models.CharField(max_length=64, unique=True)
    event_at = models.DateTimeField(help_text="When the player action happened (server clock).")
    received_at = models.DateTimeField(help_text="When the request stored it.")
    observation = models.TextField(help_text="The normalised observation, as JSON.")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A worker's lease on this row.")
    folded_at = models.DateTimeField(null=True, blank=True, help_text="Empty: not folded into the viewing state yet.")

    class Meta:
        verbose_name = "video intake observation"
        indexes = [
            models.Index(fields=["user_id", "video_key", "folded_at"], name="xapi_intake_key_pending"),
            models.Index(fields=["folded_at", "received_at"], name="xapi_intake_pending"),
        ]


class EventIntake(models.Model):
    """
    One course signal or tracking event (enrolment, grade, passing, certificate, block completion,
    problem, navigation) as the learner's request received it, until a worker reports it
    (``xapi_plugin.intake.event_intake``): the request path's only write for these events.

    ``kind`` names the report that reads ``payload`` (``intake.event_intake.REPORTERS``). Rows of
    one learner and course are reported in event order. ``source_id`` (the signal's metadata id,
    or the tracking event's fingerprint) is unique, so an event carried twice is stored once.
    A report that fails is retried (``attempts``, backing off) and, after the last attempt, kept
    with ``outcome = "failed"`` and the error's type. Folded rows are kept for
    ``XAPI_INTAKE_RETENTION``, then purged.

    .. pii: A learner's activity in a course (enrolment, grades, answers, pages), keyed by user id;
       enrolment, passing and certificate rows may hold the learner's email (email actor mode).
    .. pii_types: email_address, other
    .. pii_retirement: local_api
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32, help_text="Which report reads the payload.")
    user_id = models.IntegerField()
    course_key = models.CharField(max_length=255)
    source_id = models.CharField(max_length=64, unique=True)
    event_at = models.DateTimeField(help_text="When the event happened (the platform's clock).")
    received_at = models.DateTimeField(help_text="When the request stored it.")
    payload = models.TextField(help_text="What the report needs of the event, as JSON.")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A worker's lease on this row.")
    folded_at = models.DateTimeField(null=True, blank=True, help_text="Empty: not reported yet.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed reports of this row so far.")
    outcome = models.CharField(max_length=16, blank=True, help_text="reported, skipped or failed.")
    error = models.CharField(max_length=120, blank=True, help_text="The last failure's type (never its text).")

    class Meta:
        verbose_name = "event intake row"
        indexes = [
            models.Index(fields=["user_id", "course_key", "folded_at"], name="xapi_evintake_key_pending"),
            models.Index(fields=["folded_at", "received_at"], name="xapi_evintake_pending"),
        ]
