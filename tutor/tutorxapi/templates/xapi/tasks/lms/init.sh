# tutor-contrib-xapi: the tables and the platform features openedx-xapi-plugin needs.
# Every step is safe to run again (tutor local do init --limit=xapi).
echo "xapi: migrating xapi_plugin"
./manage.py lms migrate xapi_plugin
{% if XAPI_ENABLE_COMPLETION_TRACKING %}
echo "xapi: turning on completion tracking (waffle switch completion.enable_completion_tracking)"
./manage.py lms waffle_switch --create completion.enable_completion_tracking on
{% else %}
echo "xapi: XAPI_ENABLE_COMPLETION_TRACKING is off: completion switch left as it is"
{% endif %}
{% if XAPI_ENABLE_XBLOCK_ASIDES %}
./manage.py lms shell <<'XAPI_PYTHON'
#XAPI_SNIPPET enable_asides.py
XAPI_PYTHON
{% else %}
echo "xapi: XAPI_ENABLE_XBLOCK_ASIDES is off: XBlock asides left as they are"
{% endif %}
{% if XAPI_ASPECTS_RALPH and RALPH_LMS_PASSWORD is not defined %}
echo "xapi: XAPI_ASPECTS_RALPH is on but tutor-contrib-aspects is not enabled: no Ralph connection made"
{% endif %}
./manage.py lms shell <<'XAPI_PYTHON'
#XAPI_SNIPPET aspects_connection.py
XAPI_PYTHON
