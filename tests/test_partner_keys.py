"""Partner key rotation and revocation, and suspending a partner: the services, their audit
events, and what the real authentication path then accepts (a bearer key asking for a
report that does not exist gets 404 when accepted, 401 when refused)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from partners.audit_events import KEY_ISSUED, KEY_REVOKED, KEY_ROTATED, PARTNER, PARTNER_STATUS_CHANGED
from partners.models import Partner, PartnerKey
from partners.services import (
    KeyRefused,
    ReasonRequired,
    StatusRefused,
    key_issue,
    key_revoke,
    key_rotate,
    partner_set_status,
)
from tests.api_helpers import FETCH, bearer
from tests.factories import UserFactory, partner_with_keys

pytestmark = pytest.mark.django_db

ADMIN = Actor.system("test-admin")


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")


def api_status(client, plaintext: str) -> int:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/matches/999", **bearer(plaintext)).status_code


def fetch_status(client, subscription: str, function: str) -> int:  # type: ignore[no-untyped-def]
    headers = {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": subscription, "HTTP_X_FUNCTIONS_KEY": function}
    return client.get(FETCH, {"startTimestamp": "0"}, **headers).status_code


def key_of(partner: Partner, kind: str) -> PartnerKey:
    return PartnerKey.objects.get(partner=partner, kind=kind)


def clock_at(monkeypatch, moment):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("seq")


# --- rotation -------------------------------------------------------------------------------


def test_rotation_keeps_the_old_key_working_until_the_overlap_ends(client, acme, monkeypatch):
    partner, keys = acme
    old = key_of(partner, PartnerKey.Kind.API)
    new = key_rotate(key_id=old.pk, actor=ADMIN, overlap_seconds=3600)

    assert (new.key.kind, new.key.partner_id) == (PartnerKey.Kind.API, partner.pk)
    assert api_status(client, keys.api_key) == 404
    assert api_status(client, new.plaintext) == 404

    clock_at(monkeypatch, timezone.now() + timedelta(seconds=3601))
    assert api_status(client, keys.api_key) == 401
    assert api_status(client, new.plaintext) == 404


def test_rotation_writes_one_audit_event_with_ids_and_prefixes_never_the_key(acme):
    partner, _ = acme
    old = key_of(partner, PartnerKey.Kind.API)
    new = key_rotate(key_id=old.pk, actor=ADMIN, overlap_seconds=60)

    event = last_event(KEY_ROTATED)
    assert (event.object_type, event.object_id) == (PARTNER, str(partner.pk))
    assert event.actor_label == "test-admin"
    assert event.before == {"kind": "api", "key_id": old.pk, "prefix": old.prefix}
    assert event.after["key_id"] == new.key.pk and event.after["prefix"] == new.plaintext[:12]
    assert event.after["overlap_seconds"] == 60
    old.refresh_from_db()
    assert event.after["old_expires_at"] == old.expires_at.isoformat()
    assert new.plaintext not in str(event.after) and new.key.digest not in str(event.after)
    assert PartnerKey.objects.filter(digest=new.key.digest).count() == 1  # the digest, not the plaintext


def test_rotation_with_no_overlap_stops_the_old_key_at_once(client, acme):
    partner, keys = acme
    new = key_rotate(key_id=key_of(partner, PartnerKey.Kind.API).pk, actor=ADMIN, overlap_seconds=0)

    assert api_status(client, keys.api_key) == 401
    assert api_status(client, new.plaintext) == 404


def test_rotating_a_stopncii_function_key_keeps_the_exchange_working(client, acme, monkeypatch):
    partner, keys = acme
    fetch_key = keys.function_keys["FetchHashes"]
    new = key_rotate(key_id=key_of(partner, PartnerKey.Kind.FETCH).pk, actor=ADMIN, overlap_seconds=600)

    assert new.key.kind == PartnerKey.Kind.FETCH
    assert fetch_status(client, keys.subscription_key, fetch_key) == 200
    assert fetch_status(client, keys.subscription_key, new.plaintext) == 200
    clock_at(monkeypatch, timezone.now() + timedelta(seconds=601))
    assert fetch_status(client, keys.subscription_key, fetch_key) == 401
    assert fetch_status(client, keys.subscription_key, new.plaintext) == 200


def test_a_key_rotates_once_and_a_revoked_key_not_at_all(acme):
    partner, _ = acme
    api_key = key_of(partner, PartnerKey.Kind.API)
    key_rotate(key_id=api_key.pk, actor=ADMIN, overlap_seconds=60)
    with pytest.raises(KeyRefused):
        key_rotate(key_id=api_key.pk, actor=ADMIN, overlap_seconds=60)
    feedback_key = key_of(partner, PartnerKey.Kind.FEEDBACK)
    key_revoke(key_id=feedback_key.pk, actor=ADMIN, reason="leaked")
    with pytest.raises(KeyRefused):
        key_rotate(key_id=feedback_key.pk, actor=ADMIN, overlap_seconds=60)
    assert AuditEvent.objects.filter(action=KEY_ROTATED).count() == 1
    assert PartnerKey.objects.filter(partner=partner).count() == 6


# --- revocation and issue ---------------------------------------------------------------------


def test_revocation_refuses_the_key_at_once_and_is_audited_with_its_reason(client, acme):
    partner, keys = acme
    key = key_of(partner, PartnerKey.Kind.API)
    assert api_status(client, keys.api_key) == 404

    key_revoke(key_id=key.pk, actor=ADMIN, reason="posted in a public repo")

    assert api_status(client, keys.api_key) == 401
    event = last_event(KEY_REVOKED)
    assert event.reason == "posted in a public repo"
    assert event.before == {"kind": "api", "key_id": key.pk, "prefix": key.prefix}
    assert keys.api_key not in str(event.before) + str(event.after)


def test_revocation_needs_a_reason_and_happens_once(acme):
    partner, _ = acme
    key = key_of(partner, PartnerKey.Kind.API)
    with pytest.raises(ReasonRequired):
        key_revoke(key_id=key.pk, actor=ADMIN, reason="  ")
    key_revoke(key_id=key.pk, actor=ADMIN, reason="leaked")
    with pytest.raises(KeyRefused):
        key_revoke(key_id=key.pk, actor=ADMIN, reason="again")
    assert AuditEvent.objects.filter(action=KEY_REVOKED).count() == 1


def test_revoking_a_key_in_its_overlap_stops_it_before_the_overlap_ends(client, acme):
    partner, keys = acme
    old = key_of(partner, PartnerKey.Kind.API)
    key_rotate(key_id=old.pk, actor=ADMIN, overlap_seconds=3600)
    key_revoke(key_id=old.pk, actor=ADMIN, reason="the old one leaked")
    assert api_status(client, keys.api_key) == 401


def test_issuing_an_extra_key_is_audited_by_id_and_prefix(client, acme):
    partner, _ = acme
    plaintext = key_issue(partner=partner, kind=PartnerKey.Kind.API, actor=ADMIN)
    key = PartnerKey.objects.get(prefix=plaintext[:12])

    assert api_status(client, plaintext) == 404
    assert last_event(KEY_ISSUED).after == {"kind": "api", "key_id": key.pk, "prefix": key.prefix}
    with pytest.raises(KeyRefused):
        key_issue(partner=partner, kind="root", actor=ADMIN)


# --- suspension -----------------------------------------------------------------------------


def test_suspension_refuses_the_next_request_and_reinstatement_restores_it(client, acme):
    partner, keys = acme
    admin = Actor.user(UserFactory(role="admin"))
    assert api_status(client, keys.api_key) == 404

    partner_set_status(partner_id=partner.pk, status="suspended", actor=admin, reason="scraping the bank")
    assert api_status(client, keys.api_key) == 403
    assert fetch_status(client, keys.subscription_key, keys.function_keys["FetchHashes"]) == 403

    partner_set_status(partner_id=partner.pk, status="active", actor=admin, reason="contract renewed")
    assert api_status(client, keys.api_key) == 404
    events = AuditEvent.objects.filter(action=PARTNER_STATUS_CHANGED).order_by("seq")
    assert [(e.before, e.after, e.reason) for e in events] == [
        ({"status": "active"}, {"status": "suspended"}, "scraping the bank"),
        ({"status": "suspended"}, {"status": "active"}, "contract renewed"),
    ]
    assert {e.actor_user_id for e in events} == {admin.user_id}


def test_status_changes_need_a_reason_and_a_real_transition(acme):
    partner, _ = acme
    with pytest.raises(ReasonRequired):
        partner_set_status(partner_id=partner.pk, status="suspended", actor=ADMIN, reason="")
    with pytest.raises(StatusRefused):
        partner_set_status(partner_id=partner.pk, status="active", actor=ADMIN, reason="already is")
    with pytest.raises(StatusRefused):
        partner_set_status(partner_id=partner.pk, status="deleted", actor=ADMIN, reason="no such status")
    assert not AuditEvent.objects.filter(action=PARTNER_STATUS_CHANGED).exists()
