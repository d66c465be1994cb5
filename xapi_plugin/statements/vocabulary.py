"""Every IRI the plugin writes into statements: verbs, activity types, extensions, categories.

Sources: xAPI 1.0.3, the ADL xAPI Video Profile (https://w3id.org/xapi/video), cmi5, the
TinCan registry, the ADL acrossx and dod-isd profiles (the terms Open edX Aspects reads, as
event-routing-backends sends them). Nothing else in the code spells an IRI out.
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
# A submitted answer was graded (Aspects reads this verb, not ``answered``, for problems).
VERB_EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
# A hint or the answer of a problem was asked for.
VERB_ASKED = "http://adlnet.gov/expapi/verbs/asked"
VERB_NAVIGATED = "https://w3id.org/xapi/dod-isd/verbs/navigated"

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
    VERB_EVALUATED: "evaluated",
    VERB_ASKED: "asked",
    VERB_NAVIGATED: "navigated",
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
# A question of a problem (an xAPI interaction activity with an ``interactionType``).
ACTIVITY_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
ACTIVITY_SOLUTION = "http://id.tincanapi.com/activitytype/solution"  # a problem's shown answer
ACTIVITY_SUPPLEMENTAL_INFO = "https://w3id.org/xapi/acrossx/extensions/supplemental-info"  # a hint (as ERB)
ACTIVITY_RESOURCE = "http://id.tincanapi.com/activitytype/resource"  # a unit navigated to or from
ACTIVITY_LINK = "http://adlnet.gov/expapi/activities/link"

# Paths of activity IRIs under the LMS root: ``<root>/course/<course key>`` (the form Aspects keys
# the course grade on: the IRI must contain "/course/" and end with the key) and
# ``<root>/xblock/<usage key>`` (Aspects takes the block id after "/xblock/").
IRI_PATH_COURSE = "/course/"
IRI_PATH_XBLOCK = "/xblock/"
# Suffixes of a problem's IRI for its hints (``/hint/<n>``) and its shown answer.
IRI_SUFFIX_HINT = "/hint/"
IRI_SUFFIX_ANSWER = "/answer"

# Categories (context.contextActivities.category).
CATEGORY_VIDEO_PROFILE = "https://w3id.org/xapi/video"

# Result extensions.
EXT_CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
EXT_VIDEO_TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
EXT_VIDEO_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
EXT_VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"
EXT_VIDEO_PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"
# "Pass" / "Fail" on a course grade: Aspects' pass/fail state (an activity-type IRI used as a key).
EXT_GRADE_CLASSIFICATION = "http://www.tincanapi.co.uk/activitytypes/grade_classification"

# Activity-definition extensions (what Aspects reads there).
# The enrolment mode (audit, verified...) on the course object of registered/unregistered.
EXT_ACROSSX_TYPE = "https://w3id.org/xapi/acrossx/extensions/type"
# The attempt number (integer) of an evaluated problem; Aspects rejects an insert when one lacks it.
EXT_ATTEMPT_ID = "http://id.tincanapi.com/extension/attempt-id"
# How many units the navigated sequence holds.
EXT_TOTAL_ITEMS = "https://w3id.org/xapi/acrossx/extensions/total-items"

# Context extensions.
EXT_VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
EXT_VIDEO_COMPLETION_THRESHOLD = "https://w3id.org/xapi/video/extensions/completion-threshold"
EXT_VIDEO_SESSION_ID = "https://w3id.org/xapi/video/extensions/session-id"
# The IRI the profile's closed-captioning template names (its concept is ".../cc-subtitle-enabled").
EXT_VIDEO_CC_ENABLED = "https://w3id.org/xapi/video/extensions/cc-enabled"
EXT_VIDEO_CC_SUBTITLE_LANG = "https://w3id.org/xapi/video/extensions/cc-subtitle-lang"
EXT_VIDEO_SPEED = "https://w3id.org/xapi/video/extensions/speed"
# Navigation: 1-based position of the unit the learner left, and where they went.
EXT_STARTING_POSITION = "http://id.tincanapi.com/extension/starting-position"
EXT_ENDING_POINT = "http://id.tincanapi.com/extension/ending-point"

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
