from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from matching.hamming import hamming_distance
from matching.index import bank_index
from matching.keys import key_digest
from matching.models import BankHash, HashFeedback, MatchReport, Partner, PartnerKey, PartnerUsage
from matching.signals import SignalType

USAGE_DAYS = 30  # the "recent" window of partner usage figures


@dataclass(frozen=True)
class BankMatch:
    bank_hash: BankHash
    distance: int


def bank_matches_many(*, signal_type: str, values: list[str], radius: int | None = None) -> list[list[BankMatch]]:
    """For each normalised hash, the active bank hashes matching it: PDQ within ``radius``
    (default: the contract's 31), MD5 exactly. Nearest first, ties by id; one query a batch."""
    active = BankHash.objects.filter(signal_type=signal_type, status=BankHash.Status.ACTIVE)
    if signal_type == SignalType.MD5:
        rows = {row.value: row for row in active.filter(value__in=set(values))}
        return [[BankMatch(rows[v], 0)] if v in rows else [] for v in values]
    limit = settings.NCII_PDQ_MATCH_DISTANCE if radius is None else radius
    candidates = bank_index.candidates_many(values, limit)
    by_pk = active.in_bulk({pk for ids in candidates for pk in ids})
    results = []
    for value, ids in zip(values, candidates, strict=True):
        found = [BankMatch(by_pk[pk], hamming_distance(by_pk[pk].value, value)) for pk in ids if pk in by_pk]
        found = [m for m in found if m.distance <= limit]
        results.append(sorted(found, key=lambda m: (m.distance, m.bank_hash.pk)))
    return results


def bank_matches(*, signal_type: str, value: str, radius: int | None = None) -> list[BankMatch]:
    return bank_matches_many(signal_type=signal_type, values=[value], radius=radius)[0]


def bank_cluster_members(*, bank_hash: BankHash) -> list[BankMatch]:
    """The other hashes in this hash's near-duplicate cluster, nearest first."""
    root = bank_hash.cluster_id or bank_hash.pk
    members = BankHash.objects.filter(Q(cluster_id=root) | Q(pk=root)).exclude(pk=bank_hash.pk)
    found = [BankMatch(m, hamming_distance(m.value, bank_hash.value)) for m in members]
    return sorted(found, key=lambda m: (m.distance, m.bank_hash.pk))


def bank_match_best(*, signal_type: str, value: str) -> BankMatch | None:
    """The nearest active bank hash, for intake. A miss is checked again against a freshly
    refreshed index: the process's index may lag by NCII_INDEX_REFRESH_SECONDS, and refusing
    a report of a hash banked a moment ago would be wrong. (A hit is already checked against
    the database.)"""
    matches = bank_matches(signal_type=signal_type, value=value)
    if not matches and signal_type == SignalType.PDQ:
        bank_index.refresh(force=True)
        matches = bank_matches(signal_type=signal_type, value=value)
    return matches[0] if matches else None


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


def report_get_for_partner(*, partner: Partner, report_id: int) -> MatchReport | None:
    return MatchReport.objects.select_related("bank_hash").filter(partner=partner, pk=report_id).first()


def feedback_list(*, bank_hash: BankHash) -> list[HashFeedback]:
    return list(bank_hash.feedback.select_related("partner").order_by("updated_at", "id"))


def feedback_source_name(feedback: HashFeedback) -> str:
    return feedback.partner.display_name if feedback.partner else settings.NCII_HUB_NAME


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
    """{period: {measure: count}} of the partner's match reports, in one aggregate query."""
    outcome = MatchReport.Outcome
    verified = Q(status=MatchReport.Status.PROCESSED) & ~Q(content_pdq="")
    conditions = {
        "reports": Q(),
        "confirmed": Q(outcome=outcome.CONFIRMED),
        "dismissed": Q(outcome=outcome.DISMISSED),
        "verified": verified,
        "mismatched": verified & Q(hash_mismatch=True),
    }
    recent = Q(received_at__gte=since)
    counts = MatchReport.objects.filter(partner=partner).aggregate(
        **{f"total_{name}": Count("pk", filter=cond) for name, cond in conditions.items()},
        **{f"recent_{name}": Count("pk", filter=cond & recent) for name, cond in conditions.items()},
    )
    return {period: {name: counts[f"{period}_{name}"] for name in conditions} for period in PERIODS}
