"""Every IRI the plugin writes into statements: verbs, activity types, extensions, categories.

Sources: xAPI 1.0.3, the ADL xAPI Video Profile (https://w3id.org/xapi/video), cmi5, the
TinCan registry. Nothing else in the code spells an IRI out.
"""

# Verbs.
VERB_REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
VERB_UNREGISTERED = "http://id.tincanapi.com/verb/unregistered"
VERB_PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_FAILED = "http://adlnet.gov/expapi/verbs/failed"
VERB_EARNED = "http://id.tincanapi.com/verb/earned"
VERB_INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
VERB_PLAYED = "https://w3id.org/xapi/video/verbs/played"
VERB_PAUSED = "https://w3id.org/xapi/video/verbs/paused"
VERB_SEEKED = "https://w3id.org/xapi/video/verbs/seeked"
VERB_INTERACTED = "http://adlnet.gov/expapi/verbs/interacted"
VERB_TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"

# Human-readable verb names (en-US, as the profiles' templates write them).
VERB_DISPLAY = {
    VERB_REGISTERED: "registered",
    VERB_UNREGISTERED: "unregistered",
    VERB_PROGRESSED: "progressed",
    VERB_COMPLETED: "completed",
    VERB_PASSED: "passed",
    VERB_FAILED: "failed",
    VERB_EARNED: "earned",
    VERB_INITIALIZED: "initialized",
    VERB_PLAYED: "played",
    VERB_PAUSED: "paused",
    VERB_SEEKED: "seeked",
    VERB_INTERACTED: "interacted",
    VERB_TERMINATED: "terminated",
}

# Activity types.
ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_MODULE = "http://adlnet.gov/expapi/activities/module"
ACTIVITY_CERTIFICATE = "https://w3id.org/xapi/openbadges/activity-types/certificate"  # noqa: E501  (registry term)
ACTIVITY_VIDEO = "https://w3id.org/xapi/video/activity-type/video"
# A learning path (a series of courses): the TinCan registry's "collection-simple", a collection of
# activities tracked as a whole. Not ADL's "course", so a query by type never mixes paths and courses.
ACTIVITY_LEARNING_PATH = "http://id.tincanapi.com/activitytype/collection-simple"
# Type of the Video Profile's own activity in context.contextActivities.category.
ACTIVITY_PROFILE = "http://adlnet.gov/expapi/activities/profile"

# Categories (context.contextActivities.category).
CATEGORY_VIDEO_PROFILE = "https://w3id.org/xapi/video"

# Result extensions.
EXT_CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
EXT_VIDEO_TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
EXT_VIDEO_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
EXT_VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"
EXT_VIDEO_PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"

# Context extensions.
EXT_VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
EXT_VIDEO_COMPLETION_THRESHOLD = "https://w3id.org/xapi/video/extensions/completion-threshold"
EXT_VIDEO_SESSION_ID = "https://w3id.org/xapi/video/extensions/session-id"
# The IRI the profile's closed-captioning template names (its concept is ".../cc-subtitle-enabled").
EXT_VIDEO_CC_ENABLED = "https://w3id.org/xapi/video/extensions/cc-enabled"
EXT_VIDEO_CC_SUBTITLE_LANG = "https://w3id.org/xapi/video/extensions/cc-subtitle-lang"
EXT_VIDEO_SPEED = "https://w3id.org/xapi/video/extensions/speed"

# A learning path's activity IRI is <LMS root>/learning-path/<path key> (path-v1:org+number+run+group).
IRI_PATH_LEARNING_PATH = "/learning-path/"

# The plugin's own extensions live under the LMS root URL; these are their paths.
# (An extension IRI must be absolute, so builders join them with the root URL.)
EXT_PATH_SOURCE_EVENT_ID = "/xapi/extensions/source-event-id"
EXT_PATH_LETTER_GRADE = "/xapi/extensions/letter-grade"
EXT_PATH_CERTIFICATE_MODE = "/xapi/extensions/certificate-mode"
EXT_PATH_ENROLLMENT_MODE = "/xapi/extensions/enrollment-mode"
# Learning path progress: how many of the path's courses (steps) are complete, and how many there are.
EXT_PATH_LEARNING_PATH_STEPS_COMPLETED = "/xapi/extensions/learning-path/steps-completed"
EXT_PATH_LEARNING_PATH_STEPS_TOTAL = "/xapi/extensions/learning-path/steps-total"

PLATFORM = "Open edX"
