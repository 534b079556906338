from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from audit.models import ActorType, AuditEvent
from audit.services import Actor, audit_reasons_erase, audit_record, audit_retention_batch
from cases.audit_events import (
    CASE,
    CASE_CREATED,
    CASE_ERASED,
    CASE_HASH_WITHDRAWN,
    CASE_NOTE_ADDED,
    CASE_VIEWED,
    CASE_WITHDRAWN,
)
from cases.codes import case_number_generate, case_reference_generate, pin_generate
from cases.models import NOTE_MAX_CHARS, Case, CaseHash, CaseNote
from matching.models import BankHash
from matching.services import bank_hash_case_ref_drop, bank_hash_case_ref_set, bank_hash_upsert
from ncii_site.errors import DomainError, ReasonRequired

# A fixed hash to check wrong case numbers against, so "no such case" costs the same time
# as "wrong PIN".
_DUMMY_PIN_HASH = make_password("00000000")


@dataclass(frozen=True)
class HashInput:
    signal_type: str
    value: str
    quality: int | None


class CaseAccessDenied(DomainError):
    """Unknown case number or wrong PIN: deliberately indistinguishable."""

    code = "case_access_denied"
    status = 403


class NoteInvalid(DomainError, ValueError):
    """An empty or over-long note; nothing was written."""

    code = "invalid_note"
    status = 400


class WithdrawRefused(DomainError):
    """Already withdrawn (the hash from the case, or the whole case); nothing was written."""

    code = "already_withdrawn"


class EraseRefused(DomainError):
    """Only a withdrawn case that still holds data can be erased; nothing was written."""

    code = "erase_refused"


@transaction.atomic(durable=True)
def case_create(*, hashes: list[HashInput], source: str = Case.Source.SELF, actor: Actor) -> tuple[Case, str]:
    """Create a case protecting ``hashes`` (validated, de-duplicated). Returns the case and
    its PIN, which is not stored and cannot be recovered."""
    pin = pin_generate()
    case = Case.objects.create(
        number=case_number_generate(),
        reference=case_reference_generate(),
        pin_hash=make_password(pin),
        source=source,
    )
    _bank_hashes_lock(hashes)
    for item in sorted(hashes, key=lambda h: (h.signal_type, h.value)):
        bank_hash, _ = bank_hash_upsert(
            signal_type=item.signal_type, value=item.value, quality=item.quality, source=BankHash.Source.CASE
        )
        CaseHash.objects.create(case=case, bank_hash=bank_hash)
        bank_hash_case_ref_set(bank_hash, reference=case.reference, status=BankHash.Status.ACTIVE)
        bank_hash.save()
    audit_record(
        actor=actor,
        action=CASE_CREATED,
        object_type=CASE,
        object_id=case.pk,
        after={"reference": case.reference, "hashes": len(hashes), "source": source},
    )
    return case, pin


def _bank_hashes_lock(hashes: list[HashInput]) -> None:
    """Lock the hashes already banked in id order, as withdrawals do, and create the rest in
    value order, so cases sharing hashes can be created and withdrawn at once without
    deadlocking."""
    existing = BankHash.objects.filter(value__in=[h.value for h in hashes]).order_by("pk")
    list(existing.select_for_update().values_list("pk", flat=True))


@sensitive_variables("pin")  # kept out of error reports
def case_authenticate(*, number: str, pin: str) -> Case:
    """Callers outside tests go through ``cases.pin_guard.case_authenticate_guarded``."""
    case = Case.objects.filter(number=number).first()
    ok = check_password(pin, case.pin_hash if case else _DUMMY_PIN_HASH)
    if case is None or not ok:
        raise CaseAccessDenied(gettext("No case matches that case number and PIN."))
    return case


@transaction.atomic(durable=True)
def case_withdraw(*, case_id: int, actor: Actor, reason: str = "") -> Case:
    """Withdraw a case, by the person or by staff on their behalf (staff give a reason). Each
    of its hashes that no other active case protects (and that no other source contributed)
    goes out to partners as Withdrawn. Withdrawing a withdrawn case changes nothing."""
    if actor.type == ActorType.USER:
        reason = _reason_require(reason)
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status == Case.Status.WITHDRAWN:
        return case
    case.status, case.withdrawn_at = Case.Status.WITHDRAWN, timezone.now()
    case.save(update_fields=["status", "withdrawn_at"])
    links = case.hash_links.filter(withdrawn_at__isnull=True)  # a withdrawn link already says so
    bank_ids = list(links.values_list("bank_hash_id", flat=True))
    for bank_hash in BankHash.objects.select_for_update().filter(pk__in=bank_ids).order_by("pk"):
        bank_hash_case_ref_set(bank_hash, reference=case.reference, status=BankHash.Status.WITHDRAWN)
        bank_hash.save(update_fields=["case_refs", "status", "modified_at"])
    audit_record(
        actor=actor,
        action=CASE_WITHDRAWN,
        object_type=CASE,
        object_id=case.pk,
        reason=reason,
        before={"status": "active"},
        after={"status": "withdrawn"},
    )
    return case


def _reason_require(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Give a reason for the withdrawal.")
    return reason


@transaction.atomic(durable=True)
def case_hash_withdraw(*, case_id: int, bank_hash_id: int, actor: Actor, reason: str) -> CaseHash:
    """Withdraw one hash from an active case (say, one partners dispute). Partners then see
    this case's link as Withdrawn, and the hash as Withdrawn unless something else still
    protects it. Raises CaseHash.DoesNotExist if the hash is not the case's."""
    reason = _reason_require(reason)
    case = Case.objects.select_for_update().get(pk=case_id)
    link = case.hash_links.select_for_update().get(bank_hash_id=bank_hash_id)
    if case.status != Case.Status.ACTIVE or link.withdrawn_at is not None:
        raise WithdrawRefused("That hash is already withdrawn from this case; nothing was changed.")
    link.withdrawn_at = timezone.now()
    link.save(update_fields=["withdrawn_at"])
    bank_hash = BankHash.objects.select_for_update().get(pk=bank_hash_id)
    before = {"bank_hash": bank_hash.pk, "link": "Active", "hash_status": bank_hash.status}
    bank_hash_case_ref_set(bank_hash, reference=case.reference, status=BankHash.Status.WITHDRAWN)
    bank_hash.save(update_fields=["case_refs", "status", "modified_at"])
    audit_record(
        actor=actor,
        action=CASE_HASH_WITHDRAWN,
        object_type=CASE,
        object_id=case.pk,
        reason=reason,
        before=before,
        after={"bank_hash": bank_hash.pk, "link": "Withdrawn", "hash_status": str(bank_hash.status)},
    )
    return link


@transaction.atomic(durable=True)
def case_note_add(*, case_id: int, author: User, body: str) -> CaseNote:
    body = body.strip()
    if not body or len(body) > NOTE_MAX_CHARS:
        raise NoteInvalid(f"A note is 1 to {NOTE_MAX_CHARS} characters.")
    case = Case.objects.get(pk=case_id)
    if case.erased_at is not None:  # retention would never come back for it
        raise NoteInvalid("This case's data was erased; it takes no more notes.")
    note = CaseNote.objects.create(case=case, author=author, body=body)
    audit_record(  # the note may hold sensitive details: its id and length only
        actor=Actor.user(author),
        action=CASE_NOTE_ADDED,
        object_type=CASE,
        object_id=case.pk,
        after={"note_id": note.pk, "length": len(body)},
    )
    return note


@transaction.atomic(durable=True)
def case_view_record(*, case_id: int, viewer: User) -> None:
    """Staff opened the case page: who looked, and when."""
    audit_record(actor=Actor.user(viewer), action=CASE_VIEWED, object_type=CASE, object_id=case_id)


@transaction.atomic(durable=True)
def case_erase(*, case_id: int, actor: Actor, reason: str) -> Case:
    """Erase what a withdrawn case still holds (GDPR Art. 17, or its retention period): its
    hash links, its caseworkers' notes, its number and PIN digest, and its reference on the bank
    hashes, and the reason text of the case's earlier audit events (withdrawal reasons, which may
    name the person). The bank hashes themselves stay, Withdrawn unless another case or source protects
    them, so partners keep learning to delete them. The case keeps its status, source, dates
    and opaque reference (the metrics count it); the audit event records counts and ids."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Give a reason for the erasure.")
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status != Case.Status.WITHDRAWN:
        raise EraseRefused("Only a withdrawn case can be erased; withdraw it first. Nothing was changed.")
    if case.erased_at is not None:
        raise EraseRefused("This case was already erased; nothing was changed.")
    bank_ids = sorted(case.hash_links.values_list("bank_hash_id", flat=True))
    for bank_hash in BankHash.objects.select_for_update().filter(pk__in=bank_ids).order_by("pk"):
        bank_hash_case_ref_drop(bank_hash, reference=case.reference)
        bank_hash.save(update_fields=["case_refs", "status", "modified_at"])
    note_ids = sorted(case.notes.values_list("pk", flat=True))
    case.notes.all().delete()
    case.hash_links.all().delete()
    reasons_erased = audit_reasons_erase(AuditEvent.objects.filter(object_type=CASE, object_id=str(case.pk)))
    case.number, case.pin_hash, case.erased_at = f"erased-{case.pk}", "!", timezone.now()
    case.save(update_fields=["number", "pin_hash", "erased_at"])
    audit_record(
        actor=actor,
        action=CASE_ERASED,
        object_type=CASE,
        object_id=case.pk,
        reason=reason,
        after={
            "bank_hashes": bank_ids,
            "links": len(bank_ids),
            "note_ids": note_ids,
            "notes": len(note_ids),
            "reasons_erased": reasons_erased,
        },
    )
    return case


def withdrawn_cases_erase(*, cutoff: datetime, limit: int) -> int:
    """Retention: erase cases withdrawn before ``cutoff``, each in its own transaction with its
    own event, then one event for the batch. Returns how many were due."""
    due = Case.objects.filter(status=Case.Status.WITHDRAWN, withdrawn_at__lt=cutoff, erased_at__isnull=True)
    ids = list(due.order_by("pk").values_list("pk", flat=True)[:limit])
    reason = f"retention: withdrawn before {cutoff:%Y-%m-%d %H:%M} UTC"
    erased = []
    for case_id in ids:
        try:
            case_erase(case_id=case_id, actor=Actor.system("retention"), reason=reason)
        except EraseRefused:  # a caseworker erased it meanwhile
            continue
        erased.append(case_id)
    if erased:
        with transaction.atomic():
            audit_retention_batch(kind="withdrawn_case", object_type=CASE, ids=erased, cutoff=cutoff)
    return len(ids)
