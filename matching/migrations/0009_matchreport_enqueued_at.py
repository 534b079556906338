from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0008_merge_20261126_0324"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchreport",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
