from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Identities and API tokens"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save, pre_delete

        from tokens import signals
        from tokens.models import Identity, Quota

        post_save.connect(signals.quota_for_new_identity, sender=Identity, dispatch_uid="tokens-quota-default")
        post_save.connect(signals.quota_changed, sender=Quota, dispatch_uid="tokens-quota-save")
        post_delete.connect(signals.quota_changed, sender=Quota, dispatch_uid="tokens-quota-delete")
        # Offboarding: a deactivated or deleted user's keys stop (the user model by name: it may be swapped).
        post_save.connect(signals.user_deactivated, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens-offboard")
        pre_delete.connect(signals.user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens-offboard-del")
