"""Concurrency counts now live on each identity's `lease` counter row: start them from the live leases."""

from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def count_live_leases(apps, schema_editor):
    Lease = apps.get_model("usage", "ConcurrencyLease")
    Counter = apps.get_model("usage", "UsageCounter")
    Lease.objects.filter(expires_at__lte=timezone.now()).delete()
    Counter.objects.filter(period="lease").update(requests=0)
    for row in Lease.objects.values("identity_id").annotate(n=Count("id")):
        counter, _ = Counter.objects.get_or_create(identity_id=row["identity_id"], period="lease", start=EPOCH)
        counter.requests = row["n"]
        counter.save(update_fields=["requests"])


class Migration(migrations.Migration):
    dependencies = [("usage", "0002_seed_prices")]
    operations = [migrations.RunPython(count_live_leases, migrations.RunPython.noop)]
