"""The Django user admin, saying what offboarding does to keys before it happens.

Deactivating or deleting a user revokes the keys of the identity the user manages (`tokens.signals`). The user's
change page and the delete confirmation say how many active keys will stop; re-activating the user later does not
bring them back. Registered from `tokens.admin`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from tokens.models import Identity
from tokens.selectors import tokens_live


def keys_that_stop(user) -> str:
    """'N active keys of identity X will stop working', or '' when the user manages no identity with live keys."""
    identity = Identity.objects.filter(user_id=user.pk).first()
    count = tokens_live().filter(identity=identity).count() if identity else 0
    if identity is None or not count:
        return ""
    return f"{count} active key{'' if count == 1 else 's'} of identity {identity.name} will stop working"


class OffboardingUserAdmin(UserAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        stopping = keys_that_stop(user) if user is not None and user.is_active else ""
        if stopping:
            messages.warning(
                request,
                f"{stopping} if this user is deactivated or deleted: they are revoked at once, and re-activating "
                "the user later does not bring them back.",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        stopping = keys_that_stop(obj) if change and "is_active" in form.changed_data and not obj.is_active else ""
        super().save_model(request, obj, form, change)
        if stopping:
            messages.warning(
                request,
                f"User deactivated: {stopping.replace('will stop working', 'were revoked')}. Re-activating the user "
                "does not bring them back; the user can create new keys.",
            )

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            stopping = keys_that_stop(user)
            if stopping:
                deleted.append(f"{stopping} (revoked; the identity and its usage history are kept)")
        return deleted, counts, perms_needed, protected


def register() -> None:
    user_model = get_user_model()
    if admin.site.is_registered(user_model):
        admin.site.unregister(user_model)
    admin.site.register(user_model, OffboardingUserAdmin)
