"""Reads about partners: key look-up for authentication, the administration list and
page, and usage figures."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from partners.keys import key_digest
from partners.models import Partner, PartnerKey, PartnerUsage

USAGE_DAYS = 30  # the "recent" window of partner usage figures


def partner_key_find(*, plaintext: str, kinds: set[str]) -> PartnerKey | None:
    """The usable key with this plaintext: not revoked, and not past the end of its rotation
    overlap. One indexed query (the digest is unique)."""
    if not plaintext or len(plaintext) > 200:
        return None
    return (
        PartnerKey.objects.select_related("partner")
        .filter(_usable(timezone.now()), digest=key_digest(plaintext), kind__in=kinds)
        .first()
    )


# --- partner administration -----------------------------------------------------------------


def partner_list_admin() -> QuerySet[Partner]:
    """Partners with their usable key count and last-30-days fetches: one query a page."""
    now = timezone.now()
    usable = PartnerKey.objects.filter(_usable(now), partner=OuterRef("pk"))
    fetches = PartnerUsage.objects.filter(
        partner=OuterRef("pk"), kind=PartnerUsage.Kind.FETCH, day__gt=(now - timedelta(days=USAGE_DAYS)).date()
    )
    return Partner.objects.annotate(
        usable_keys=_subquery_count(usable), recent_fetches=_subquery_sum(fetches, "calls")
    ).order_by("name")


def _usable(now: datetime) -> Q:
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _subquery_count(rows: QuerySet) -> Coalesce:
    counted = rows.order_by().values("partner").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _subquery_sum(rows: QuerySet, field: str) -> Coalesce:
    summed = rows.order_by().values("partner").annotate(n=Sum(field)).values("n")
    return Coalesce(Subquery(summed), 0)


def partner_get(*, partner_id: int) -> Partner | None:
    return Partner.objects.filter(pk=partner_id).first()


def partner_key_get(*, partner: Partner, key_id: int) -> PartnerKey | None:
    return PartnerKey.objects.filter(partner=partner, pk=key_id).first()


@dataclass(frozen=True)
class KeyRow:
    key: PartnerKey
    state: str  # active, rotating-out, expired or revoked
    usable: bool


def partner_keys(*, partner: Partner) -> list[KeyRow]:
    """The partner's keys, usable ones first, each kind together, newest first."""
    now = timezone.now()
    rows = [KeyRow(key, _key_state(key, now), key.is_usable(now)) for key in partner.keys.order_by("kind", "-pk")]
    return sorted(rows, key=lambda row: not row.usable)


def _key_state(key: PartnerKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is None:
        return "active"
    return "rotating-out" if key.expires_at > now else "expired"


# --- partner usage --------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


@dataclass(frozen=True)
class UsageWindow:
    """A partner's exchange calls and match reports over one period; rates in percent."""

    calls: dict[str, int]
    records: dict[str, int]
    reports: int
    confirmed: int
    dismissed: int
    verified: int  # processed with a review image, so its claimed hash could be checked
    mismatched: int

    @property
    def confirm_rate(self) -> float | None:
        return _share(self.confirmed, self.confirmed + self.dismissed)

    @property
    def dismiss_rate(self) -> float | None:
        return _share(self.dismissed, self.confirmed + self.dismissed)

    @property
    def mismatch_rate(self) -> float | None:
        return _share(self.mismatched, self.verified)


@dataclass(frozen=True)
class PartnerUsageSummary:
    last_fetch_at: datetime | None
    days: int
    recent: UsageWindow
    total: UsageWindow


def partner_usage_get(*, partner: Partner) -> PartnerUsageSummary:
    """Usage over the last USAGE_DAYS days and all time: two aggregate queries."""
    since = timezone.now() - timedelta(days=USAGE_DAYS)
    counters = _usage_counters(partner=partner, since_day=since.date())
    reports = _report_counts(partner=partner, since=since)
    recent, total = (
        UsageWindow(calls=counters[period]["calls"], records=counters[period]["records"], **reports[period])
        for period in PERIODS
    )
    return PartnerUsageSummary(partner.last_fetch_at, USAGE_DAYS, recent, total)


PERIODS = ("recent", "total")


def _usage_counters(*, partner: Partner, since_day: date) -> dict[str, dict[str, dict[str, int]]]:
    """{period: {"calls" | "records": {kind: count}}} from the daily counter rows."""
    recent = Q(day__gt=since_day)
    rows = (
        PartnerUsage.objects.filter(partner=partner)
        .values("kind")
        .annotate(
            total_calls=Sum("calls"),
            total_records=Sum("records"),
            recent_calls=Sum("calls", filter=recent, default=0),
            recent_records=Sum("records", filter=recent, default=0),
        )
    )
    out = {p: {m: dict.fromkeys(PartnerUsage.Kind.values, 0) for m in ("calls", "records")} for p in PERIODS}
    for row in rows:
        for period in PERIODS:
            for measure in ("calls", "records"):
                out[period][measure][row["kind"]] = row[f"{period}_{measure}"]
    return out


def _report_counts(*, partner: Partner, since: datetime) -> dict[str, dict[str, int]]:
    """{period: {measure: count}} of the partner's match reports, in one aggregate query.
    Read through the reverse relation ``partner.reports`` (matching's reports sit above this
    app), so the outcome and status names are matching's stored values."""
    verified = Q(status="processed") & ~Q(content_pdq="")
    conditions = {
        "reports": Q(),
        "confirmed": Q(outcome="confirmed"),
        "dismissed": Q(outcome="dismissed"),
        "verified": verified,
        "mismatched": verified & Q(hash_mismatch=True),
    }
    recent = Q(received_at__gte=since)
    counts = partner.reports.aggregate(
        **{f"total_{name}": Count("pk", filter=cond) for name, cond in conditions.items()},
        **{f"recent_{name}": Count("pk", filter=cond & recent) for name, cond in conditions.items()},
    )
    return {period: {name: counts[f"{period}_{name}"] for name in conditions} for period in PERIODS}
