"""Shared by the dashboard tests: URLs, a pending item, and a decision posted like the page does."""

from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from moderation.models import ReviewItem
from tests.factories import PartnerFactory, item_open

QUEUE = reverse("moderation:queue")
ESCALATIONS = reverse("moderation:escalations")
NEXT = reverse("moderation:next")


def item_url(item: ReviewItem) -> str:
    return reverse("moderation:item", args=[item.pk])


def set_state(item: ReviewItem, state: str) -> ReviewItem:
    ReviewItem.objects.filter(pk=item.pk).update(state=state)
    item.refresh_from_db()
    return item


def decide(client: Client, item: ReviewItem, decision: str, note: str = "checked", code: str = "other", **extra):
    data = {"decision": decision, "reason_code": code, "note": note, "version": item.version}
    return client.post(item_url(item), data, **extra)


def audit_count() -> int:
    return AuditEvent.objects.count()


def pending_item() -> ReviewItem:
    return item_open(PartnerFactory(display_name="Picshare"), PartnerFactory())
