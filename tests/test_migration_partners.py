"""The partner models moved from ``matching`` to ``partners`` without losing a row: from the
schema before the move, with a row in every table of the hub's apps, to the current one."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("matching", "0008_merge_20261126_0324"),
    ("moderation", "0005_merge_20261126_0324"),
    ("partners", None),
]
APPS = ("matching", "cases", "moderation", "audit", "accounts")
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    MigrationExecutor(connection).migrate(targets)
    applied = MigrationExecutor(connection)  # reloaded: it knows what is applied now
    return applied._create_project_state(with_applied_migrations=True).apps


def _latest() -> list[tuple[str, str | None]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _value(field: models.Field, made: dict[Any, Any]) -> Any:
    if field.is_relation:
        return made.get(field.related_model)
    if field.choices:
        return field.choices[0][0]
    samples = {
        models.DateTimeField: NOW,
        models.DateField: NOW.date(),
        models.BooleanField: False,
        models.JSONField: {},
        models.BinaryField: b"x",
        models.PositiveSmallIntegerField: 1,
        models.PositiveBigIntegerField: 1,
        models.PositiveIntegerField: 1,
        models.BigIntegerField: 1,
        models.IntegerField: 1,
    }
    for kind, sample in samples.items():
        if isinstance(field, kind):
            return sample
    return "ab" * (min(field.max_length or 64, 64) // 2)


def _fill(apps: Any) -> dict[str, int]:
    """One row in every table of the hub's apps, parents first; returns each table's count."""
    pending = [m for m in apps.get_models() if m._meta.app_label in APPS and not m._meta.auto_created]
    made: dict[Any, Any] = {apps.get_model("auth", "User"): apps.get_model("auth", "User").objects.create(username="u")}
    while pending:
        ready = [m for m in pending if all(f.related_model in made or f.null or f.related_model is m for f in _fks(m))]
        assert ready, f"no model can be filled first among {pending}"
        for model in ready:
            fields = {f.name: _value(f, made) for f in model._meta.concrete_fields if not f.primary_key}
            made[model] = model.objects.create(**{k: v for k, v in fields.items() if v is not None})
            pending.remove(model)
    return {m._meta.db_table: m.objects.count() for m in made if m._meta.app_label in APPS}


def _fks(model: Any) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def test_moving_the_partner_models_keeps_every_row_and_link() -> None:
    latest = _latest()
    try:
        old = _migrate(BEFORE)
        counts = _fill(old)
        assert counts["matching_partner"] == 1 and counts["matching_matchreport"] == 1
        new = _migrate(latest)
        for table, count in counts.items():
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our own table names
                assert cursor.fetchone()[0] == count, table
        report = new.get_model("matching", "MatchReport").objects.select_related("partner").get()
        assert report.partner._meta.app_label == "partners"
        assert new.get_model("partners", "PartnerKey").objects.get().partner_id == report.partner_id
        staff = new.get_model("moderation", "StaffProfile").objects.select_related("partner").get()
        assert staff.partner.name == report.partner.name
        permission = new.get_model("auth", "Permission").objects.get(codename="manage_partner")
        assert permission.content_type.app_label == "partners"
    finally:
        _migrate(latest)
