"""Django admin for operators: LRS connections and course settings."""

from django import forms
from django.contrib import admin

from xapi_plugin.constants import AuthType
from xapi_plugin.models import CourseSettings, LRSConnection

_KEEP_HINT = "Leave blank to keep the stored value. Stored encrypted; never shown again."


class LRSConnectionForm(forms.ModelForm):
    """Takes the key and secret write-only: they are never rendered back into the page."""

    key = forms.CharField(
        required=False,
        label="Key / client id",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="HTTP Basic key, or OAuth 2 client id. " + _KEEP_HINT,
    )
    secret = forms.CharField(
        required=False,
        label="Secret / token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="HTTP Basic secret, OAuth 2 bearer token, or OAuth 2 client secret. " + _KEEP_HINT,
    )

    class Meta:
        model = LRSConnection
        fields = ["name", "endpoint", "auth_type", "key", "secret", "token_url", "scope", "contact_email", "enabled"]

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        auth_type = cleaned.get("auth_type")
        has_key = bool(cleaned.get("key")) or bool(instance.pk and instance.key_encrypted)
        has_secret = bool(cleaned.get("secret")) or bool(instance.pk and instance.secret_encrypted)
        if auth_type == AuthType.BASIC:
            if not has_key:
                self.add_error("key", "HTTP Basic needs the LRS key: enter the key your LRS issued.")
            if not has_secret:
                self.add_error("secret", "HTTP Basic needs the LRS secret: enter the secret that goes with the key.")
        elif auth_type == AuthType.BEARER:
            if not has_secret:
                self.add_error("secret", "A bearer connection needs the token: paste the token your LRS issued.")
        elif auth_type == AuthType.OAUTH_CLIENT_CREDENTIALS:
            if not has_key:
                self.add_error("key", "OAuth 2 client credentials need the client id.")
            if not has_secret:
                self.add_error("secret", "OAuth 2 client credentials need the client secret.")
            if not cleaned.get("token_url"):
                self.add_error("token_url", "OAuth 2 client credentials need the token URL the token is fetched from.")
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        if self.cleaned_data.get("key"):
            instance.key = self.cleaned_data["key"]
        if self.cleaned_data.get("secret"):
            instance.secret = self.cleaned_data["secret"]
        if commit:
            instance.save()
        return instance


@admin.register(LRSConnection)
class LRSConnectionAdmin(admin.ModelAdmin):
    """Operators define LRSs here and watch their status. Secrets are write-only."""

    form = LRSConnectionForm
    list_display = ["name", "endpoint", "auth_type", "enabled", "status", "last_success_at", "last_failure_at"]
    list_filter = ["enabled", "status", "auth_type"]
    search_fields = ["name", "endpoint"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "last_success_at",
        "last_success_detail",
        "last_failure_at",
        "last_failure_detail",
        "credentials_stored",
    ]
    fieldsets = [
        (None, {"fields": ["name", "endpoint", "enabled", "contact_email"]}),
        ("Authentication", {"fields": ["auth_type", "credentials_stored", "key", "secret", "token_url", "scope"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "status_changed_at",
                    "last_success_at",
                    "last_success_detail",
                    "last_failure_at",
                    "last_failure_detail",
                ]
            },
        ),
    ]

    @admin.display(description="Credentials stored")
    def credentials_stored(self, obj: LRSConnection) -> str:
        if not obj.pk:
            return "none yet"
        parts = [label for label, value in (("key", obj.key_encrypted), ("secret", obj.secret_encrypted)) if value]
        return ", ".join(parts) or "none"


@admin.register(CourseSettings)
class CourseSettingsAdmin(admin.ModelAdmin):
    """Per-course settings; course staff usually set these from Studio instead."""

    list_display = ["course_key", "enabled", "connection", "actor_mode", "video_end_percent", "source", "modified"]
    list_filter = ["enabled", "connection", "actor_mode", "source"]
    search_fields = ["course_key"]
    readonly_fields = ["source", "studio_error", "modified"]
