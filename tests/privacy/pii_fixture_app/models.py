"""One model without any PII annotation (only loaded by ``pii_fixture_settings``)."""

from django.db import models


class UnannotatedLearnerNote(models.Model):
    """Free text about a learner, and no word on whether it is personal data."""

    user_id = models.IntegerField()
    note = models.TextField()

    class Meta:
        app_label = "pii_fixture_app"
