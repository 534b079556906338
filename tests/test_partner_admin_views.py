"""The partner administration pages: who may use them, creating a partner, keys shown once
and never again, rotation, revocation and suspension through the forms, and query counts."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from partners.audit_events import KEY_ISSUED, KEY_REVOKED, KEY_ROTATED, PARTNER_CREATED, PARTNER_STATUS_CHANGED
from partners.models import Partner, PartnerKey
from tests.api_helpers import bearer
from tests.factories import UserFactory, partner_with_keys
from tests.staff_helpers import HTMX, query_count, signed_in

pytestmark = pytest.mark.django_db

LIST, NEW = reverse("partners:list"), reverse("partners:new")


@pytest.fixture
def admin_user():  # type: ignore[no-untyped-def]
    return UserFactory(username="root", role="admin")


@pytest.fixture
def admin(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")


def detail(partner: Partner) -> str:
    return reverse("partners:detail", args=[partner.pk])


def api_status(client, plaintext: str) -> int:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/matches/999", **bearer(plaintext)).status_code


def shown_keys(response) -> list[str]:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    return [part.split('"', 1)[0] for part in page.split('value="ncii_')[1:]]


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "caseworker", None])
def test_only_admins_may_use_the_partner_pages(role, acme):
    client = signed_in(UserFactory(role=role))
    partner, _ = acme
    for url in (LIST, NEW, detail(partner)):
        assert client.get(url).status_code == 403
    assert client.post(detail(partner), {"action": "status", "status": "suspended", "reason": "x"}).status_code == 403
    assert Partner.objects.get(pk=partner.pk).is_active


def test_anonymous_visitors_are_sent_to_sign_in(client, acme):
    for url in (LIST, NEW, detail(acme[0])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_admins_see_the_nav_entry_and_land_on_the_partner_list(admin):
    home = admin.get("/", follow=True)
    assert home.redirect_chain[-1][0] == LIST
    assert f'href="{LIST}"' in home.content.decode()


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_each_partner_in_a_fixed_number_of_queries(admin, acme):
    page = admin.get(LIST).content.decode()
    assert f'<a href="{detail(acme[0])}">acme</a>' in page
    few = query_count(lambda: admin.get(LIST))
    for _ in range(5):
        partner_with_keys()
    assert query_count(lambda: admin.get(LIST)) == few
    fragment = admin.get(LIST, **HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="partner-list"')


# --- creating a partner ---------------------------------------------------------------------


def test_creating_a_partner_shows_its_five_keys_once_and_never_caches_them(client, admin, admin_user):
    response = admin.post(NEW, {"name": "picshare", "display_name": "PicShare"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    keys = ["ncii_" + k for k in shown_keys(response)]
    assert len(keys) == 5
    partner = Partner.objects.get(name="picshare")
    assert PartnerKey.objects.filter(partner=partner).count() == 5
    api_key = next(k for k in keys if PartnerKey.objects.get(prefix=k[:12]).kind == "api")
    assert api_status(client, api_key) == 404

    later = admin.get(detail(partner)).content.decode()
    assert not any(key in later for key in keys)
    stored = " ".join(str(e.after) + str(e.before) for e in AuditEvent.objects.all())
    assert not any(key in stored for key in keys)
    created = AuditEvent.objects.get(action=PARTNER_CREATED)
    assert (created.actor_user, created.after["name"]) == (admin_user, "picshare")


def test_a_bad_or_taken_name_is_refused_with_the_form_again(admin, acme):
    for name in ("Has Spaces", "acme", ""):
        response = admin.post(NEW, {"name": name})
        assert response.status_code == 400
        assert "ncii_" not in response.content.decode()
    assert Partner.objects.count() == 1


# --- keys on the partner page ---------------------------------------------------------------


def test_the_partner_page_lists_keys_by_prefix_with_usage_and_audit(admin, acme):
    partner, keys = acme
    page = admin.get(detail(partner)).content.decode()
    assert keys.api_key[:12] in page and keys.api_key not in page
    assert "Match reports sent" in page and KEY_ISSUED in page


def test_the_partner_page_costs_the_same_queries_with_more_keys_and_events(admin, acme):
    partner, _ = acme
    few = query_count(lambda: admin.get(detail(partner)))
    for _ in range(4):
        admin.post(detail(partner), {"action": "issue", "kind": "api"})
    assert query_count(lambda: admin.get(detail(partner))) == few


def test_issuing_a_key_shows_it_once(client, admin, acme):
    partner, _ = acme
    response = admin.post(detail(partner), {"action": "issue", "kind": "fn:FetchHashes"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    [key] = shown_keys(response)
    assert PartnerKey.objects.get(prefix=("ncii_" + key)[:12]).kind == "fn:FetchHashes"
    assert ("ncii_" + key) not in admin.get(detail(partner)).content.decode()


def test_rotating_shows_the_new_key_once_and_the_old_keeps_working(client, admin, acme):
    partner, keys = acme
    old = PartnerKey.objects.get(partner=partner, kind="api")
    response = admin.post(detail(partner), {"action": "rotate", "key": old.pk, "overlap": 3600})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    [new] = shown_keys(response)
    assert "keeps working until" in response.content.decode()
    assert api_status(client, keys.api_key) == 404 and api_status(client, "ncii_" + new) == 404
    event = AuditEvent.objects.get(action=KEY_ROTATED)
    assert event.before["key_id"] == old.pk and event.after["overlap_seconds"] == 3600

    again = admin.post(detail(partner), {"action": "rotate", "key": old.pk, "overlap": 3600})
    assert again.status_code == 409 and not shown_keys(again)


def test_rotating_without_overlap_stops_the_old_key(client, admin, acme):
    partner, keys = acme
    old = PartnerKey.objects.get(partner=partner, kind="api")
    response = admin.post(detail(partner), {"action": "rotate", "key": old.pk, "overlap": 0})
    assert "has stopped working" in response.content.decode()
    assert api_status(client, keys.api_key) == 401


def test_an_overlap_not_offered_is_refused(admin, acme):
    partner, _ = acme
    old = PartnerKey.objects.get(partner=partner, kind="api")
    assert admin.post(detail(partner), {"action": "rotate", "key": old.pk, "overlap": 999}).status_code == 400
    assert not AuditEvent.objects.filter(action=KEY_ROTATED).exists()


def test_revoking_needs_a_reason_and_then_refuses_the_key(client, admin, acme):
    partner, keys = acme
    key = PartnerKey.objects.get(partner=partner, kind="api")
    assert admin.post(detail(partner), {"action": "revoke", "key": key.pk, "reason": " "}).status_code == 400
    assert api_status(client, keys.api_key) == 404

    response = admin.post(detail(partner), {"action": "revoke", "key": key.pk, "reason": "leaked"}, follow=True)
    assert "is revoked" in response.content.decode()
    assert api_status(client, keys.api_key) == 401
    assert AuditEvent.objects.get(action=KEY_REVOKED).reason == "leaked"


def test_another_partners_key_is_not_found_here(admin, acme):
    partner, _ = acme
    other_key = PartnerKey.objects.filter(partner=partner_with_keys("other")[0]).first()
    response = admin.post(detail(partner), {"action": "revoke", "key": other_key.pk, "reason": "x"})
    assert response.status_code == 404
    assert PartnerKey.objects.get(pk=other_key.pk).revoked_at is None


def test_unknown_actions_and_partners(admin, acme):
    assert admin.post(detail(acme[0]), {"action": "delete"}).status_code == 400
    assert admin.get(reverse("partners:detail", args=[acme[0].pk + 99])).status_code == 404


# --- suspension ------------------------------------------------------------------------------


def test_suspending_and_reinstating_from_the_page(client, admin, acme, admin_user):
    partner, keys = acme
    assert admin.post(detail(partner), {"action": "status", "status": "suspended", "reason": ""}).status_code == 400
    assert api_status(client, keys.api_key) == 404

    admin.post(detail(partner), {"action": "status", "status": "suspended", "reason": "scraping"})
    assert api_status(client, keys.api_key) == 403
    page = admin.get(detail(partner)).content.decode()
    assert "Reinstate" in page

    stale = admin.post(detail(partner), {"action": "status", "status": "suspended", "reason": "twice"})
    assert stale.status_code == 409
    admin.post(detail(partner), {"action": "status", "status": "active", "reason": "sorted"})
    assert api_status(client, keys.api_key) == 404
    events = AuditEvent.objects.filter(action=PARTNER_STATUS_CHANGED).order_by("seq")
    assert [(e.after["status"], e.reason, e.actor_user) for e in events] == [
        ("suspended", "scraping", admin_user),
        ("active", "sorted", admin_user),
    ]
