# Create or update the LRS connection to the Ralph of tutor-contrib-aspects, from the settings the
# plugin rendered (TUTOR_XAPI_ASPECTS_RALPH: nothing secret on this job's command line). Nothing
# happens without that setting. Run twice, it changes nothing; new Ralph credentials are taken.
from django.conf import settings

ralph = getattr(settings, "TUTOR_XAPI_ASPECTS_RALPH", None)
if not ralph:
    print("xapi: no connection to Aspects' Ralph wanted (XAPI_ASPECTS_RALPH is off)")
else:
    from xapi_plugin.core.constants import AuthType
    from xapi_plugin.models import LRSConnection

    connection = LRSConnection.objects.filter(name=ralph["name"]).first()
    created = connection is None
    if created:
        connection = LRSConnection(name=ralph["name"])
    wanted = {"endpoint": ralph["endpoint"], "auth_type": AuthType.BASIC, "contact_email": ralph["contact_email"]}
    changed = created or any(getattr(connection, field) != value for field, value in wanted.items())
    for field, value in wanted.items():
        setattr(connection, field, value)
    try:
        same_credentials = connection.key == ralph["key"] and connection.secret == ralph["secret"]
    except Exception:  # stored with a key no longer configured: store them again
        same_credentials = False
    if not same_credentials:
        connection.key = ralph["key"]
        connection.secret = ralph["secret"]
        changed = True
    # The ralph container is reached over plain http inside Tutor's network: that endpoint is
    # trusted without XAPI_ALLOW_INSECURE_ENDPOINTS; everything else is validated as in admin.
    connection.full_clean(exclude=["endpoint"] if ralph.get("internal") else None)
    if changed:
        connection.save()
    state = "created" if created else ("updated" if changed else "already up to date")
    print(f"xapi: LRS connection '{connection.name}' to {connection.endpoint} {state}")
