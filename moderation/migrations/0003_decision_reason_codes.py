from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0002_review_images'),
    ]

    operations = [
        # The free-text reason becomes the decision's note; what was written is kept.
        migrations.RenameField(
            model_name='reviewitem',
            old_name='decision_reason',
            new_name='decision_note',
        ),
        migrations.AddField(
            model_name='reviewitem',
            name='decision_code',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name='reviewitem',
            name='note_visibility',
            field=models.CharField(choices=[('internal', 'Internal: hub staff only'), ('partner', 'Shared with the reporting partners')], default='internal', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='reviewitem',
            constraint=models.CheckConstraint(condition=models.Q(('note_visibility__in', ['internal', 'partner'])), name='reviewitem_note_visibility_valid'),
        ),
    ]
