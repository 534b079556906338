from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('matching', '0004_bank_clusters'),
    ]

    operations = [
        migrations.AddField(
            model_name='matchreport',
            name='decision_note',
            field=models.TextField(blank=True),
        ),
    ]
