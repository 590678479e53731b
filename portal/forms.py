"""Forms of the portal: create a key, confirm a revoke, test a connection. Every one is posted."""

from __future__ import annotations

from django import forms
from django.conf import settings

from tokens.keyformat import TOKEN_ID_RE


class KeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, label="Name", help_text="What the key is for, e.g. \u201claptop Cursor\u201d."
    )
    ttl = forms.ChoiceField(label="Expires after")

    def __init__(self, *args, ttl_choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"d": "day", "w": "week", "h": "hour", "m": "minute"}
        self.fields["ttl"].choices = [
            (t, f"{t[:-1]} {labels[t[-1]]}{'' if t[:-1] == '1' else 's'}") for t in ttl_choices
        ]
        default = settings.TOKEN_DEFAULT_TTL if settings.TOKEN_DEFAULT_TTL in ttl_choices else None
        self.fields["ttl"].initial = default or (ttl_choices[len(ttl_choices) // 2] if ttl_choices else None)


class TokenIdForm(forms.Form):
    token_id = forms.CharField(max_length=12)
    confirm = forms.BooleanField(required=False)

    def clean_token_id(self) -> str:
        value = self.cleaned_data["token_id"].strip()
        if not TOKEN_ID_RE.match(value):
            raise forms.ValidationError("Not a key id.")
        return value


class ConnectionTestForm(forms.Form):
    key = forms.CharField(max_length=200, label="API key", strip=True)
    model = forms.CharField(max_length=300, label="Model")
