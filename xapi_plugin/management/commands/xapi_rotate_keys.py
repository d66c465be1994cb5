"""Re-encrypt every stored LRS secret with the newest key in XAPI_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from xapi_plugin.connections import reencrypt_secret
from xapi_plugin.models import LRSConnection


class Command(BaseCommand):
    help = (
        "After putting a new key first in XAPI_ENCRYPTION_KEYS (old keys still listed), re-encrypt every "
        "LRS secret with it; the old keys can then be removed."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for connection in LRSConnection.objects.select_for_update():
                connection.key_encrypted = reencrypt_secret(connection.key_encrypted)
                connection.secret_encrypted = reencrypt_secret(connection.secret_encrypted)
                connection.save(update_fields=["key_encrypted", "secret_encrypted"])
                count += 1
        self.stdout.write(f"re-encrypted the credentials of {count} LRS connection(s)")
