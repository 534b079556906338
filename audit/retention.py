"""One retention batch, the same for every kind of data: lock at most ``limit`` rows past
their period, erase them, and record the batch (ids and counts, never the erased content) in
the same transaction. Each app says which rows and how they are erased; an eraser may return
more facts for the batch's event (say, the seqs of audit events whose reason text it erased)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from audit.services import audit_retention_batch


def retention_batch(
    *,
    due: QuerySet[Any],
    erase: Callable[[QuerySet[Any]], object],
    kind: str,
    object_type: str,
    cutoff: datetime,
    limit: int,
) -> int:
    with transaction.atomic():
        ids = list(due.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:limit])
        if ids:
            extra = erase(due.model.objects.filter(pk__in=ids))
            more = extra if isinstance(extra, dict) else {}
            audit_retention_batch(kind=kind, object_type=object_type, ids=ids, cutoff=cutoff, **more)
    return len(ids)


def retention_delete(*, due: QuerySet[Any], kind: str, object_type: str, cutoff: datetime, limit: int) -> int:
    """A retention batch that deletes its rows outright."""
    return retention_batch(
        due=due, erase=lambda rows: rows.delete(), kind=kind, object_type=object_type, cutoff=cutoff, limit=limit
    )
