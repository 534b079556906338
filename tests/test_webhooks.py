"""Signed webhooks (issue 14), against a real local receiver on 127.0.0.1."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from partners.outbound import DestinationRefused, destination_resolve
from partners.tasks import webhooks_sweep_task
from partners.webhook_delivery import backoff_seconds
from partners.webhook_models import WebhookDelivery, WebhookSecret
from partners.webhook_signing import signature_verify
from partners.webhooks import WebhookRefused, webhook_endpoint_create, webhook_replay, webhook_secret_rotate
from tests.factories import PartnerFactory, item_open, random_pdq
from tests.webhook_receiver import receiver_start

pytestmark = pytest.mark.django_db
ADMIN = Actor.system("admin-test")
ALL = ["hash.withdrawn", "hash.activated", "hash.quarantined", "report.decided"]


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.NCII_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def receiver():
    server = receiver_start()
    yield server
    server.close()


def _withdrawn_case(capture) -> str:  # type: ignore[no-untyped-def]
    value = random_pdq()
    with capture(execute=True):
        case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    with capture(execute=True):
        case_withdraw(case_id=case.pk, actor=Actor.public())
    return value


def test_a_withdrawal_reaches_a_subscribed_endpoint_signed(receiver, django_capture_on_commit_callbacks):
    partner = PartnerFactory()
    new = webhook_endpoint_create(partner=partner, url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    value = _withdrawn_case(django_capture_on_commit_callbacks)
    [got] = receiver.wait_for(1)
    body = json.loads(got.body)
    assert (got.headers["X-NCII-Event"], body["event"], body["data"]["hashValue"]) == (
        "hash.withdrawn",
        "hash.withdrawn",
        value,
    )
    assert body["data"]["hashStatus"] == "Withdrawn" and body["id"] == got.headers["X-NCII-Delivery"]
    assert signature_verify(
        header=got.headers["X-NCII-Signature"],
        timestamp=got.headers["X-NCII-Timestamp"],
        body=got.body,
        key_id=new.secret.key_id,
        secret=new.plaintext,
    )
    assert not signature_verify(
        header=got.headers["X-NCII-Signature"],
        timestamp=got.headers["X-NCII-Timestamp"],
        body=got.body + b" ",
        key_id=new.secret.key_id,
        secret=new.plaintext,
    )
    assert WebhookDelivery.objects.get().status == "delivered"


def test_an_old_timestamp_is_refused_by_the_recipe():
    assert not signature_verify(header="k=00", timestamp="1000", body=b"{}", key_id="k", secret="s", now=5000)


def test_only_subscribed_events_are_sent(receiver, django_capture_on_commit_callbacks):
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["report.decided"], actor=ADMIN)
    _withdrawn_case(django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists() and receiver.received == []


def test_a_decision_reaches_only_the_reporting_partner(receiver, senior, django_capture_on_commit_callbacks):
    from moderation.services import review_decide

    reporter, other = PartnerFactory(), PartnerFactory()
    webhook_endpoint_create(partner=reporter, url=receiver.url, events=["report.decided"], actor=ADMIN)
    webhook_endpoint_create(partner=other, url=receiver.url + "/other", events=["report.decided"], actor=ADMIN)
    item = item_open(reporter)
    with django_capture_on_commit_callbacks(execute=True):
        review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    [got] = receiver.wait_for(1)
    data = json.loads(got.body)["data"]
    assert got.path == "/hook" and data["outcome"] == "confirmed" and data["contentId"] == "c-0"


def test_a_failed_delivery_backs_off_then_the_sweeper_sends_it(receiver, django_capture_on_commit_callbacks):
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=ALL, actor=ADMIN)
    receiver.status = 503
    _withdrawn_case(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event="hash.withdrawn")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=backoff_seconds(1) - 5)
    webhooks_sweep_task()
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1  # not due yet
    receiver.status = 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    webhooks_sweep_task()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_backoff_doubles_up_to_an_hour():
    assert [backoff_seconds(n) for n in (1, 2, 3, 10, 40)] == [10, 20, 40, 3600, 3600]


def test_after_a_day_of_failures_a_delivery_is_dropped_and_audited(receiver, django_capture_on_commit_callbacks):
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    receiver.status = 500
    _withdrawn_case(django_capture_on_commit_callbacks)
    day_ago = timezone.now() - timedelta(days=1, seconds=1)
    WebhookDelivery.objects.update(created_at=day_ago, next_attempt_at=timezone.now())
    webhooks_sweep_task()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "dropped"
    assert AuditEvent.objects.filter(action="webhook.dropped").count() == 1


def test_an_admin_replays_a_delivery(receiver, django_capture_on_commit_callbacks):
    partner = PartnerFactory()
    webhook_endpoint_create(partner=partner, url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    _withdrawn_case(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_replay(delivery_id=delivery.pk, partner=partner, actor=ADMIN)
    first, again = receiver.wait_for(2)
    assert first.body == again.body and first.headers["X-NCII-Delivery"] == again.headers["X-NCII-Delivery"]
    assert AuditEvent.objects.filter(action="webhook.replayed").count() == 1


def test_rotation_signs_with_both_secrets_during_the_overlap(receiver, django_capture_on_commit_callbacks):
    old = webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    new = webhook_secret_rotate(endpoint_id=old.secret.endpoint_id, actor=ADMIN, overlap_seconds=3600)
    _withdrawn_case(django_capture_on_commit_callbacks)
    [got] = receiver.wait_for(1)
    for secret in (old, new):
        assert signature_verify(
            header=got.headers["X-NCII-Signature"],
            timestamp=got.headers["X-NCII-Timestamp"],
            body=got.body,
            key_id=secret.secret.key_id,
            secret=secret.plaintext,
        )


def test_secrets_are_stored_encrypted():
    new = webhook_endpoint_create(partner=PartnerFactory(), url="https://hooks.example/x", events=ALL, actor=ADMIN)
    stored = bytes(WebhookSecret.objects.get().ciphertext)
    assert new.plaintext.encode() not in stored and new.plaintext.startswith("whsec_")
    assert new.plaintext not in json.dumps([e.after for e in AuditEvent.objects.all()])


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example/x", "ftp://hooks.example/", "https://user:pw@hooks.example/", "https:///nohost"],
)
def test_registration_refuses_addresses_that_are_not_https(url):
    with pytest.raises(DestinationRefused):
        webhook_endpoint_create(partner=PartnerFactory(), url=url, events=ALL, actor=ADMIN)
    assert not WebhookSecret.objects.exists()


def test_plain_http_to_loopback_needs_the_debug_setting(settings, receiver):
    settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(DestinationRefused):
        webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=ALL, actor=ADMIN)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://10.1.2.3/",
        "https://192.168.0.5/",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://100.64.0.1/",
        "https://localhost/",
    ],
)
def test_private_addresses_are_refused_unless_listed(settings, url):
    settings.NCII_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(DestinationRefused):
        destination_resolve(url)


def test_a_listed_private_network_is_allowed(settings):
    settings.NCII_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert destination_resolve("https://10.1.2.3/hook").address == "10.1.2.3"


def test_a_delivery_to_a_refused_address_fails_without_a_request(
    settings, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    settings.NCII_WEBHOOK_ALLOWED_NETWORKS = []
    _withdrawn_case(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "DestinationRefused" in delivery.last_error
    assert receiver.received == []


def test_a_slow_or_huge_answer_is_cut_off(settings, receiver, django_capture_on_commit_callbacks):
    settings.NCII_WEBHOOK_MAX_RESPONSE_BYTES = 1000
    receiver.answer = b"x" * 1_000_000
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    _withdrawn_case(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get().status == "delivered"


def test_unknown_events_are_refused():
    with pytest.raises(WebhookRefused):
        webhook_endpoint_create(partner=PartnerFactory(), url="https://h.example/", events=["hash.eaten"], actor=ADMIN)


def test_a_slow_endpoint_times_out(settings, receiver, django_capture_on_commit_callbacks):
    settings.NCII_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 2.0
    webhook_endpoint_create(partner=PartnerFactory(), url=receiver.url, events=["hash.withdrawn"], actor=ADMIN)
    _withdrawn_case(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "Timeout" in delivery.last_error
