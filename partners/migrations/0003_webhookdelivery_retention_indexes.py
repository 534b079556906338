"""Retention deletes delivered deliveries by ``delivered_at`` and dropped ones by ``created_at``:
partial indexes let its hourly batches find the old rows without reading the young ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_receives_video_pdq"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status", "delivered")), fields=["delivered_at"], name="webhookdelivery_delivered"
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status", "dropped")), fields=["created_at"], name="webhookdelivery_dropped"
            ),
        ),
    ]
