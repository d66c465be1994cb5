"""Constants shared across the plugin: one place for choices, states and setting names."""

PROJECT_LMS = "lms.djangoapp"
PROJECT_CMS = "cms.djangoapp"


class AuthType:
    """How the plugin authenticates to an LRS."""

    BASIC = "basic"
    BEARER = "bearer"
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials"

    CHOICES = [
        (BASIC, "HTTP Basic (key and secret)"),
        (BEARER, "OAuth 2 bearer token (fixed)"),
        (OAUTH_CLIENT_CREDENTIALS, "OAuth 2 client credentials"),
    ]


class ConnectionStatus:
    """What the last exchange with an LRS said about it."""

    UNUSED = ""
    OK = "OK"
    CANT_CONNECT = "CANT_CONNECT"
    SERVER_ERROR = "SERVER_ERROR"
    AUTH_ERROR = "AUTH_ERROR"

    ERRORS = (CANT_CONNECT, SERVER_ERROR, AUTH_ERROR)
    CHOICES = [
        (UNUSED, "Not used yet"),
        (OK, "OK"),
        (CANT_CONNECT, "Can't connect"),
        (SERVER_ERROR, "Server error"),
        (AUTH_ERROR, "Authentication error"),
    ]


class OutboxState:
    """Life cycle of one statement in the outbox."""

    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    HELD = "held"
    EXPIRED = "expired"

    CHOICES = [
        (PENDING, "Pending"),
        (DELIVERED, "Delivered"),
        (REJECTED, "Rejected by the LRS"),
        (HELD, "Held (connection needs attention)"),
        (EXPIRED, "Expired (retry window passed)"),
    ]


class ActorMode:
    """How a learner is identified in statements."""

    EMAIL = "email"
    ACCOUNT = "account"

    CHOICES = [
        (EMAIL, "Email address (mbox), account when the email is missing or invalid"),
        (ACCOUNT, "LMS account (no personal data)"),
    ]


class ConnectionCoverage:
    """Which courses send to an LRS connection without choosing it (set by operators)."""

    CHOSEN = "chosen"
    ORGANISATIONS = "organisations"
    SITE = "site"

    CHOICES = [
        (CHOSEN, "Only the courses that choose it"),
        (ORGANISATIONS, "Every course of its organisations, whatever the course chose"),
        (SITE, "Every course of the site, whatever the course chose"),
    ]
    WIDE = (ORGANISATIONS, SITE)


class StatementFamily:
    """What kind of statement a row is, for routing (operators choose families per wide connection)."""

    COURSE = "course"
    VIDEO = "video"
    #: Statements other plugins send through ``xapi_plugin.api``.
    OTHER = "other"

    CHOICES = [(COURSE, "Course statements"), (VIDEO, "Video statements"), (OTHER, "Other plugins' statements")]


class BeaconInterval:
    """How often video progress is reported."""

    QUARTERS = "quarters"
    ONE_PERCENT = "one_percent"

    CHOICES = [
        (QUARTERS, "At 25, 50, 75 and 100 %"),
        (ONE_PERCENT, "Every 1 % (between 1 s and 30 s apart)"),
    ]


# Settings the plugin reads, with their defaults. settings/common.py applies them; the README
# documents each one. Keep this the only list.
SETTING_DEFAULTS = {
    # Where IRIs (activity ids, account homePage) are rooted. Falls back to LMS_ROOT_URL.
    "XAPI_LMS_ROOT_URL": None,
    # Platform adapter implementation (dotted path). The default talks to edx-platform.
    "XAPI_PLATFORM_BACKEND": "xapi_plugin.platform.EdxPlatformBackend",
    # Fernet keys for LRS secrets, newest first. Empty: one key derived from SECRET_KEY.
    "XAPI_ENCRYPTION_KEYS": [],
    # Allow http:// endpoints on hosts other than loopback.
    "XAPI_ALLOW_INSECURE_ENDPOINTS": False,
    # Delivery.
    "XAPI_BATCH_SIZE": 100,
    "XAPI_RETRY_WINDOW": 5 * 24 * 3600,  # seconds
    "XAPI_RETRY_BASE_DELAY": 30,  # seconds, first backoff step
    "XAPI_RETRY_MAX_DELAY": 6 * 3600,  # seconds, longest backoff step
    "XAPI_HTTP_CONNECT_TIMEOUT": 5.0,  # seconds
    "XAPI_HTTP_READ_TIMEOUT": 30.0,  # seconds
    "XAPI_CELERY_QUEUE": None,  # None: Celery's default queue
    "XAPI_SWEEP_INTERVAL": 60,  # seconds between periodic sweeps
    # Alerts.
    "XAPI_ALERT_FROM_EMAIL": None,  # None: DEFAULT_FROM_EMAIL
    "XAPI_ALERT_ADMIN_EMAILS": [],
    "XAPI_ALERT_REMINDER_INTERVAL": 24 * 3600,  # seconds
    # Failed attempts in a row before CANT_CONNECT / SERVER_ERROR is emailed (a lone 429 or 502
    # that the next attempt gets through is not news). AUTH_ERROR is emailed at once.
    "XAPI_ALERT_AFTER_FAILURES": 2,
    # Data retention.
    "XAPI_DELIVERED_RETENTION": 14 * 24 * 3600,  # seconds
    "XAPI_VIEWING_STATE_RETENTION": 180 * 24 * 3600,  # seconds
    # Secret salt of the opaque account ids sent in actor mode "account" (and as the email
    # fallback). Set it once to a long random string; changing it changes every learner's id.
    "XAPI_ACTOR_ID_SALT": "",
    # Course teams' own LRS connections from Studio (#19): off by default; a list of organisations
    # limits it to their courses; the organisation scope lets a team's LRS serve its whole organisation.
    "XAPI_COURSE_TEAM_CONNECTIONS": False,
    "XAPI_COURSE_TEAM_CONNECTION_ORGS": [],
    "XAPI_COURSE_TEAM_CONNECTION_ORG_SCOPE": False,
    # Tests only: let course teams' endpoints be on loopback (127.0.0.1), http included.
    "XAPI_COURSE_TEAM_ALLOW_LOOPBACK": False,
    # Video intake: "worker" (the request stores the observation, a Celery worker folds it into the
    # viewing state and writes the statements) or "inline" (the request folds it at once).
    "XAPI_VIDEO_INTAKE": "worker",
    # Course signals and the other tracking families (completion, problems, navigation): "worker"
    # (the request stores the event, a Celery worker reports it) or "inline" (reported in the request).
    "XAPI_EVENT_INTAKE": "worker",
    # Folded intake rows are kept this long (fold latency in xapi_status), then purged.
    "XAPI_INTAKE_RETENTION": 24 * 3600,  # seconds
    # Course settings cache lifetime (entries are also dropped on every change).
    "XAPI_SETTINGS_CACHE_TIMEOUT": 300,  # seconds
}
