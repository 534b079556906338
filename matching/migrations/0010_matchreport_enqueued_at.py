from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0009_partners_move_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchreport",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
