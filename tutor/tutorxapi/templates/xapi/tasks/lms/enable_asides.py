# Turn XBlock asides on in the LMS (the video aside sends live playback beacons), once:
# XBlockAsidesConfig is a configuration model, a new row is the new configuration.
from lms.djangoapps.lms_xblock.models import XBlockAsidesConfig

current_asides = XBlockAsidesConfig.current()
if current_asides.enabled:
    print("xapi: XBlock asides already enabled")
else:
    XBlockAsidesConfig.objects.create(enabled=True, disabled_blocks=current_asides.disabled_blocks)
    print("xapi: XBlock asides enabled")
