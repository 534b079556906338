"""Fewer index entries per bank hash: every import writes one in each index. The single-column
``modified_at`` index goes (``bankhash_keyset`` leads with the column and serves every query
that used it), and the ``cluster_id`` index becomes partial (most hashes have no cluster)."""

import django.db.models.deletion
from django.db import migrations, models

# Django's name for the cluster_id index of 0001 (the same on PostgreSQL and SQLite).
OLD_CLUSTER_INDEX = "matching_bankhash_cluster_id_d8dff0a9"


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_initial"),
    ]

    operations = [
        # The partial index first, so no moment is without one.
        migrations.AddIndex(
            model_name="bankhash",
            index=models.Index(
                condition=models.Q(("cluster__isnull", False)), fields=["cluster"], name="bankhash_cluster"
            ),
        ),
        # Only the index goes: an AlterField would also drop and re-add the foreign key, which
        # re-checks every row of the bank under a lock.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="bankhash",
                    name="cluster",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="matching.bankhash",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {OLD_CLUSTER_INDEX}",
                    reverse_sql=f"CREATE INDEX {OLD_CLUSTER_INDEX} ON matching_bankhash (cluster_id)",
                ),
            ],
        ),
        migrations.AlterField(
            model_name="bankhash",
            name="modified_at",
            field=models.DateTimeField(),
        ),
    ]
