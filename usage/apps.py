from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "Usage and pricing"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from usage import signals
        from usage.models import ModelPrice

        post_save.connect(signals.price_changed, sender=ModelPrice, dispatch_uid="usage-ModelPrice-save")
        post_delete.connect(signals.price_changed, sender=ModelPrice, dispatch_uid="usage-ModelPrice-delete")
        # On Lambda, stdout is already shipped to CloudWatch; elsewhere ship only when a group is configured.
        if settings.CLOUDWATCH_LOG_GROUP and not settings.RUNNING_ON_LAMBDA:
            from usage.cloudwatch import cloudwatch_attach

            cloudwatch_attach(
                logger_name="sbc.events",
                log_group=settings.CLOUDWATCH_LOG_GROUP,
                log_stream=settings.CLOUDWATCH_LOG_STREAM,
                region=settings.AWS_REGION,
                send_interval=settings.CLOUDWATCH_SEND_INTERVAL,
            )
