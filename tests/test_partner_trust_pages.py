"""The admin pages of issue 14: a partner's threshold, its webhooks page (secret shown once,
deliveries listed, a replay) and the negative bank page."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.models import NegativeHash
from partners.webhook_models import WebhookDelivery, WebhookEndpoint
from tests.factories import BankHashFactory, UserFactory, flip_bits, partner_with_keys, random_pdq
from tests.staff_helpers import signed_in
from tests.webhook_receiver import receiver_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    return signed_in(UserFactory(username="root", role="admin"))


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")[0]


def test_an_admin_sets_a_partner_threshold(admin, acme):
    url = reverse("partners:detail", args=[acme.pk])
    assert "within <strong>31</strong> bits" in admin.get(url).content.decode()
    response = admin.post(url, {"action": "threshold", "max_distance": "12"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.max_distance == 12
    assert admin.post(url, {"action": "threshold", "max_distance": "32"}).status_code == 400
    acme.refresh_from_db()
    assert acme.max_distance == 12


def test_registering_an_endpoint_shows_its_secret_once(admin, acme, settings):
    url = reverse("partners:webhooks", args=[acme.pk])
    body = {"action": "create", "url": "https://hooks.acme.example/ncii", "events": ["hash.withdrawn"]}
    response = admin.post(url, body)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = response.context["new"].plaintext
    assert secret in response.content.decode()
    page = admin.get(url).content.decode()
    assert "hooks.acme.example" in page and secret not in page
    assert AuditEvent.objects.filter(action="webhook.created").count() == 1


def test_a_refused_address_is_a_clear_400_and_nothing_is_written(admin, acme):
    url = reverse("partners:webhooks", args=[acme.pk])
    response = admin.post(url, {"action": "create", "url": "http://hooks.acme.example/", "events": ["hash.withdrawn"]})
    assert response.status_code == 400 and "https" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_an_admin_replays_one(admin, acme, settings, django_capture_on_commit_callbacks):
    settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK, settings.NCII_WEBHOOK_ALLOWED_NETWORKS = True, ["127.0.0.0/8"]
    receiver = receiver_start()
    try:
        url = reverse("partners:webhooks", args=[acme.pk])
        admin.post(url, {"action": "create", "url": receiver.url, "events": ["hash.withdrawn"]})
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
        with django_capture_on_commit_callbacks(execute=True):
            case_withdraw(case_id=case.pk, actor=Actor.public())
        delivery = WebhookDelivery.objects.get()
        assert "Delivered" in admin.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(url, {"action": "replay", "delivery": str(delivery.pk)})
        assert response.status_code == 302
        assert len(receiver.wait_for(2)) == 2
    finally:
        receiver.close()


def test_the_negative_bank_page_adds_an_entry_and_lists_what_it_covers(admin):
    base = random_pdq()
    covered = BankHashFactory(value=flip_bits(base, 4))
    url = reverse("moderation:negative-bank")
    response = admin.post(url, {"signal_type": "ImagePDQ", "value": base, "reason": "a blank frame"})
    assert response.status_code == 200
    assert covered.value in response.content.decode()
    assert NegativeHash.objects.get().added_by == "root"
    bad = admin.post(url, {"signal_type": "ImagePDQ", "value": "zz" * 32, "reason": "x"})
    assert bad.status_code == 400 and NegativeHash.objects.count() == 1


def test_an_admin_issues_sandbox_keys_shown_once(admin, acme):
    from partners.models import PartnerKey

    response = admin.post(reverse("partners:detail", args=[acme.pk]), {"action": "sandbox"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "Sandbox keys for" in response.content.decode()
    assert PartnerKey.objects.filter(partner=acme, sandbox=True).count() == 5
    assert "Sandbox" in admin.get(reverse("partners:detail", args=[acme.pk])).content.decode()


@pytest.mark.parametrize("action", ["rotate", "disable", "replay"])
@pytest.mark.parametrize("raw", ["0", "-1", "²", str(2**63), "abc", ""])
def test_bad_ids_on_the_webhooks_page_are_a_4xx(admin, acme, action, raw):
    field = "delivery" if action == "replay" else "endpoint"
    response = admin.post(reverse("partners:webhooks", args=[acme.pk]), {"action": action, field: raw, "reason": "r"})
    assert response.status_code in (400, 404)


def test_another_partners_endpoint_or_delivery_is_not_found(admin, acme):
    other = partner_with_keys("other")[0]
    from audit.services import Actor as _Actor
    from partners.webhooks import webhook_endpoint_create

    new = webhook_endpoint_create(
        partner=other, url="https://h.example/x", events=["hash.withdrawn"], actor=_Actor.system()
    )
    url = reverse("partners:webhooks", args=[acme.pk])
    assert admin.post(url, {"action": "rotate", "endpoint": str(new.secret.endpoint_id)}).status_code == 404
    assert admin.post(url, {"action": "replay", "delivery": "1"}).status_code == 404
