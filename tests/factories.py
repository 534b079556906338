import secrets
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from audit.services import Actor
from matching.models import BankHash, MatchReport
from moderation.models import ReviewItem, StaffProfile
from ncii_site.roles import user_role_assign
from partners.models import Partner
from partners.services import IssuedKeys, partner_create

PASSWORD = "correct-horse-battery"


def random_pdq() -> str:
    """A random PDQ hash shaped like a real picture's: exactly 128 of its 256 bits set
    (the bank refuses unbalanced ones, see matching.degenerate)."""
    bits = secrets.SystemRandom().sample(range(256), 128)
    return format(sum(1 << b for b in bits), "064x")


def flip_bits(hex_value: str, count: int) -> str:
    """The same hash with its lowest ``count`` bits flipped: at distance exactly ``count``."""
    return format(int(hex_value, 16) ^ ((1 << count) - 1), "064x")


def _role_assign(user: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
    if extracted:
        user_role_assign(user=user, role=extracted)


def _partner_join(user: User, create: bool, extracted: Partner | None, **kwargs: Any) -> None:
    if extracted is not None:
        StaffProfile.objects.create(user=user, partner=extracted)
    user.save()


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@hub.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    role = factory.post_generation(_role_assign)
    partner = factory.post_generation(_partner_join)


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    """A partner without keys; use ``partner_with_keys`` when the test calls the API."""

    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"partner{n}")
    display_name = factory.LazyAttribute(lambda p: p.name.title())


def partner_with_keys(name: str | None = None) -> tuple[Partner, IssuedKeys]:
    name = name or f"partner-{secrets.token_hex(4)}"
    return partner_create(name=name, actor=Actor.system("test"))


class BankHashFactory(factory.django.DjangoModelFactory[BankHash]):
    class Meta:
        model = BankHash

    signal_type = "ImagePDQ"
    value = factory.LazyFunction(random_pdq)
    quality = 90
    modified_at = factory.LazyFunction(timezone.now)


def report_for(partner: Partner, bank_hash: BankHash, *, content_id: str = "c-1", distance: int = 0) -> MatchReport:
    """A received report (not yet triaged), written directly for tests of the worker."""
    return MatchReport.objects.create(
        partner=partner,
        bank_hash=bank_hash,
        signal_type=bank_hash.signal_type,
        hash_value=bank_hash.value,
        distance=distance,
        content_id=content_id,
    )


def item_open(*partners: Partner, bank_hash: BankHash | None = None) -> ReviewItem:
    """A pending review item holding one triaged report from each partner."""
    from moderation.triage import report_triage

    bank_hash = bank_hash or BankHashFactory.create()
    item = None
    for i, partner in enumerate(partners):
        item = report_triage(report_id=report_for(partner, bank_hash, content_id=f"c-{i}").pk)
    assert item is not None, "item_open needs at least one partner"
    item.refresh_from_db()
    return item


def video_frames(count: int, *, quality: int = 90) -> list[str]:
    """A vPDQ value's frames as python-threatexchange writes them, one a second, each a
    real-looking PDQ hash."""
    return [f"{random_pdq()},{quality},{float(second):.3}" for second in range(count)]


def frames_near(frames: list[str], distance: int) -> list[str]:
    """The same frames, each hash ``distance`` bits away (a re-encoded copy of the video),
    still about half its bits set as a real picture's (not refused as degenerate)."""
    out = []
    for frame in frames:
        pdq, quality, seconds = frame.split(",")
        out.append(f"{flip_balanced(pdq, distance)},{quality},{seconds}")
    return out


def flip_balanced(hex_value: str, count: int) -> str:
    """``count`` bits flipped, half of them set bits and half unset ones (lowest first)."""
    value = int(hex_value, 16)
    ones = [b for b in range(256) if value >> b & 1][: count // 2]
    zeros = [b for b in range(256) if not value >> b & 1][: count - count // 2]
    return format(value ^ sum(1 << b for b in ones + zeros), "064x")
