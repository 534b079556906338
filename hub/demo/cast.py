"""The demo's people and partners: staff of every role, three reporting partners and a fourth
that comes and goes, their keys through a year (a revocation, a rotation in its overlap) and
their exchange usage."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from audit.services import Actor
from hub.demo.clock import DemoClock, Step
from moderation.models import StaffProfile
from moderation.wellbeing_services import moderator_blur_off_allow, moderator_settings_update
from ncii_site.roles import Role, user_role_assign
from partners.models import Partner, PartnerKey, PartnerUsage
from partners.services import IssuedKeys, key_issue, key_revoke, key_rotate, partner_create, partner_set_status
from partners.usage import usage_record

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - demo data only, refused outside local databases
SYSTEM = Actor.system("seed_demo")


@dataclass(frozen=True)
class StaffMember:
    login: str
    role: str
    partner: str | None
    try_this: str


STAFF = [
    StaffMember("moderator", Role.MODERATOR, None, "the review queue: n opens the next item, r reveals its image"),
    StaffMember("senior", Role.SENIOR_MODERATOR, None, "the escalated queue, reopening a decision, metrics"),
    StaffMember("photoshare_mod", Role.MODERATOR, "photoshare", "the queue as PhotoShare's own moderator sees it"),
    StaffMember("caseworker", Role.CASEWORKER, None, "find case {case}, the disputed hashes"),
    StaffMember("childsafety", Role.CHILD_SAFETY, None, "items marked as possibly showing a minor"),
    StaffMember("admin", Role.ADMIN, None, "partners, their keys and usage; metrics; staff accounts at /admin/"),
]
PARTNERS = [
    ("photoshare", "PhotoShare"),
    ("cliphub", "ClipHub"),
    ("chatspace", "ChatSpace"),
    ("forumnet", "ForumNet"),
]
REPORTING = ["photoshare", "cliphub", "chatspace"]


@dataclass
class Cast:
    partners: dict[str, Partner]
    staff: dict[str, User]
    keys: IssuedKeys  # photoshare's, printed once at the end


def cast_create() -> Cast:
    """Partners (with their first keys) and staff, at the start of the year."""
    partners, issued = {}, {}
    for name, display in PARTNERS:
        partners[name], issued[name] = partner_create(name=name, display_name=display, actor=SYSTEM)
    staff = {member.login: _staff_create(member, partners) for member in STAFF}
    return Cast(partners=partners, staff=staff, keys=issued["photoshare"])


def _staff_create(member: StaffMember, partners: dict[str, Partner]) -> User:
    """An account with its role. The admin is an admin-role user like any other (staff, to
    reach the Django admin its role grants, but no superuser)."""
    user = get_user_model().objects.create_user(member.login, f"{member.login}@hub.example", DEMO_PASSWORD)
    user_role_assign(user=user, role=member.role)
    if member.role == Role.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if member.partner:
        StaffProfile.objects.create(user=user, partner=partners[member.partner])
    return get_user_model().objects.get(pk=user.pk)


def wellbeing_schedule(clock: DemoClock, cast: Cast, start: datetime) -> None:
    moderator, senior, admin = cast.staff["moderator"], cast.staff["senior"], cast.staff["admin"]
    clock.at(
        start + timedelta(days=2),
        lambda: moderator_settings_update(
            moderator=moderator, blur_radius=20, reblur_seconds=8, break_after_reveals=15, break_after_minutes=45
        ),
    )
    clock.at(
        start + timedelta(days=3),
        lambda: moderator_blur_off_allow(actor=Actor.user(admin), user=senior, allowed=True),
    )


def partner_admin_schedule(clock: DemoClock, cast: Cast, start: datetime, now: datetime) -> None:
    """ForumNet suspended, reinstated and suspended again; a ChatSpace key revoked after a leak
    and replaced; ClipHub's API key rotated three hours ago, the old one still in its overlap."""
    admin, forumnet = Actor.user(cast.staff["admin"]), cast.partners["forumnet"].pk
    for weeks, status, reason in [
        (12, Partner.Status.SUSPENDED, "Stopped answering abuse reports for a month."),
        (16, Partner.Status.ACTIVE, "Trust and safety contact restored; reports answered again."),
        (46, Partner.Status.SUSPENDED, "The platform is closing down."),
    ]:
        clock.at(start + timedelta(weeks=weeks), _status_step(forumnet, status, admin, reason))
    chatspace = cast.partners["chatspace"]
    clock.at(start + timedelta(weeks=30), lambda: _key_replace(chatspace, PartnerKey.Kind.FETCH, admin))
    cliphub_api = PartnerKey.objects.get(partner=cast.partners["cliphub"], kind=PartnerKey.Kind.API)
    clock.at(now - timedelta(hours=3), lambda: key_rotate(key_id=cliphub_api.pk, actor=admin, overlap_seconds=86400))


def _status_step(partner_id: int, status: str, actor: Actor, reason: str) -> Step:
    return lambda: partner_set_status(partner_id=partner_id, status=status, actor=actor, reason=reason)


def _key_replace(partner: Partner, kind: str, actor: Actor) -> None:
    old = PartnerKey.objects.get(partner=partner, kind=kind, revoked_at__isnull=True)
    key_revoke(key_id=old.pk, actor=actor, reason="Posted by mistake in a public support ticket.")
    key_issue(partner=partner, kind=kind, actor=actor)


def usage_backfill_demo(cast: Cast, rng: random.Random, *, start: datetime, now: datetime) -> None:
    """Demo-only: a year of daily exchange counters written at once (counters are statistics,
    not changes, so they have no audit events), then today's calls counted as the exchange
    counts them, which also sets each partner's last fetch time."""
    rows = []
    for offset in range((now.date() - start.date()).days):
        day = start.date() + timedelta(days=offset)
        rows += [_usage_row(cast.partners[name], day, PartnerUsage.Kind.FETCH, rng) for name in REPORTING]
        rows.append(_usage_row(cast.partners["chatspace"], day, PartnerUsage.Kind.FEEDBACK, rng))
        if day.weekday() == 0:
            rows.append(_usage_row(cast.partners["cliphub"], day, PartnerUsage.Kind.SUBMIT, rng))
    PartnerUsage.objects.bulk_create(rows)
    for name in REPORTING:
        usage_record(partner=cast.partners[name], kind=PartnerUsage.Kind.FETCH, records=rng.randint(0, 40))


def _usage_row(partner: Partner, day: date, kind: str, rng: random.Random) -> PartnerUsage:
    """FetchHashes about every quarter of an hour; a few feedback calls a day; one weekly submit."""
    count = {"fetch": rng.randint(80, 100), "feedback": rng.randint(3, 25)}.get(kind, 1)
    return PartnerUsage(partner=partner, day=day, kind=kind, calls=count, records=count * rng.randint(0, 12))
