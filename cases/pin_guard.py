"""The guard in front of the PIN. Per case number and per client, a few wrong PINs are free;
after that each wrong PIN locks that number (and that client) for a time that doubles, up
to a cap. Counters live in Django's cache (Redis in production, so every web process
shares them). Cache keys hold keyed digests, never a case number or PIN, and nothing here
logs either. The API and the victim's pages both go through ``case_authenticate_guarded``.

An attempt is **reserved before the PIN is checked** (an atomic increment of both counters),
so concurrent guesses cannot all pass the check while the first ones are still hashing: the
first ``NCII_PIN_FREE_FAILURES - 1`` reservations go ahead, and past them only the holder
of a per-counter turn (an atomic ``add``) may try, one at a time, each wrong PIN then setting
the next lock. A wrong PIN keeps its reservation as the failure; a right one gives it back.

With the cache unreachable the guard fails **closed**: ``PinGuardUnavailable`` (a 503 with
Retry-After), never unlimited guessing."""

import contextlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from cases.codes import PIN_DIGITS, case_number_normalise, pin_is_well_formed
from cases.models import Case
from cases.services import CaseAccessDenied, case_authenticate
from ncii_site.cache_fallback import CACHE_ERRORS
from ncii_site.errors import DomainError

logger = logging.getLogger(__name__)

_PREFIX = "ncii:pin-guard"
_MAX_DOUBLINGS = 32  # the cap is reached long before; keeps 2**n small
_TURN_SECONDS = 60  # a turn outlives any PIN check; a crashed holder's turn expires


class PinFormatInvalid(DomainError, ValueError):
    """The PIN is not 8 digits: refused before the database or the counters are touched."""

    code = "invalid_pin_format"
    status = 400


class PinLocked(DomainError):
    """Too many wrong PINs for this case number or from this client; try again later."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, *, retry_after: int) -> None:
        message = gettext("Too many wrong attempts. Try again in %(seconds)d seconds.") % {"seconds": retry_after}
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class PinGuardUnavailable(DomainError):
    """The guard's counters cannot be reached: no PIN is checked until they can (fails closed)."""

    code = "unavailable"
    status = 503

    def __init__(self, *, retry_after: int) -> None:
        message = gettext("Case look-ups are paused for a moment. Please try again shortly.")
        super().__init__(message, retry_after=retry_after)


def _now() -> float:
    return time.time()


def _client_block(client_ip: str) -> str:
    """An IPv6 client usually holds a whole /64, so that is what counts as one client."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _counter_key(scope: str, value: str) -> str:
    return f"{_PREFIX}:{scope}:{salted_hmac(_PREFIX, value).hexdigest()[:32]}"


def _case_key(case_number: str) -> str:
    return _counter_key("case", case_number)


def _counter_keys(*, case_number: str, client_ip: str) -> list[str]:
    return [_case_key(case_number), _counter_key("client", _client_block(client_ip))]


def pin_lock_seconds(failures: int) -> int:
    """How long the ``failures``-th wrong PIN in a row locks its case number or client."""
    over = failures - settings.NCII_PIN_FREE_FAILURES
    if over < 0:
        return 0
    base, cap = settings.NCII_PIN_LOCK_BASE_SECONDS, settings.NCII_PIN_LOCK_MAX_SECONDS
    return int(min(base * 2 ** min(over, _MAX_DOUBLINGS), cap))


def _locked_for(keys: list[str]) -> float:
    until = max(cache.get_many([f"{key}:until" for key in keys]).values(), default=0.0)
    return until - _now()


def pin_attempt_check(*, case_number: str, client_ip: str) -> None:
    """Raise PinLocked if this (normalised) case number or this client is locked."""
    wait = _locked_for(_counter_keys(case_number=case_number, client_ip=client_ip))
    if wait > 0:
        raise PinLocked(retry_after=math.ceil(wait))


def _count_add(key: str) -> int:
    window = settings.NCII_PIN_FAILURE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)  # atomic, so concurrent guesses each get their own number
    except ValueError:  # expired between add and incr
        count = 1
        cache.set(key, count, timeout=window)
    cache.touch(key, timeout=window)
    return count


def _count_release(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ran out meanwhile: nothing to give back
        cache.decr(key)


@dataclass
class _Hold:
    """One counter's reservation: its number and whether it holds the counter's turn."""

    key: str
    count: int
    turn: bool = False


@dataclass
class Reservation:
    holds: list[_Hold] = field(default_factory=list)

    def give_back(self, *, keep_count_of: str | None = None) -> None:
        for hold in self.holds:
            if hold.key != keep_count_of:
                _count_release(hold.key)
            if hold.turn:
                cache.delete(f"{hold.key}:turn")


def _reserve_one(key: str) -> _Hold:
    hold = _Hold(key, _count_add(key))
    if hold.count < settings.NCII_PIN_FREE_FAILURES:
        return hold
    hold.turn = cache.add(f"{key}:turn", 1, timeout=_TURN_SECONDS)
    if hold.turn and _locked_for([key]) <= 0:
        return hold
    Reservation([hold]).give_back()  # another try holds the turn, or locked it meanwhile
    raise PinLocked(retry_after=max(math.ceil(_locked_for([key])), pin_lock_seconds(hold.count)))


def pin_attempt_reserve(*, case_number: str, client_ip: str) -> Reservation:
    """Count this try against the case number and the client before the PIN is checked, or
    raise PinLocked (having counted nothing)."""
    pin_attempt_check(case_number=case_number, client_ip=client_ip)
    reservation = Reservation()
    try:
        for key in _counter_keys(case_number=case_number, client_ip=client_ip):
            reservation.holds.append(_reserve_one(key))
    except PinLocked:
        reservation.give_back()
        raise
    return reservation


def pin_attempt_record_failure(reservation: Reservation) -> None:
    """The PIN was wrong: the reservations stay counted; past the free ones, lock."""
    for hold in reservation.holds:
        lock = pin_lock_seconds(hold.count)
        if lock:
            cache.set(f"{hold.key}:until", _now() + lock, timeout=lock + 1)
            logger.warning("Wrong PINs: %s %s locked for %d s", hold.key.split(":")[2], hold.key[-8:], lock)
        if hold.turn:
            cache.delete(f"{hold.key}:turn")


def pin_attempt_record_success(reservation: Reservation, *, case_number: str) -> None:
    """The right PIN clears that case number's count only: never the client's (or one case
    of your own would reset your guesses at others), never another case number's. The
    client's reservation is given back: a right PIN is not a wrong one."""
    key = _case_key(case_number)
    reservation.give_back(keep_count_of=key)
    cache.delete_many([key, f"{key}:until"])


@sensitive_variables("pin")
def case_authenticate_guarded(*, case_number: str, pin: str, client_ip: str) -> Case:
    """The case for a case number (as typed) and PIN, behind the guard. Raises PinFormatInvalid,
    PinLocked, PinGuardUnavailable, or CaseAccessDenied (the same for an unknown case and a
    wrong PIN)."""
    number, pin = case_number_normalise(case_number), pin.strip()
    if not pin_is_well_formed(pin):
        raise PinFormatInvalid(
            gettext("A PIN is exactly %(digits)d digits (0-9), as it was given to you.") % {"digits": PIN_DIGITS}
        )
    try:
        reservation = pin_attempt_reserve(case_number=number, client_ip=client_ip)
    except CACHE_ERRORS as exc:
        raise _unavailable(exc) from None
    try:
        case = case_authenticate(number=number, pin=pin)
    except CaseAccessDenied:
        _settle(pin_attempt_record_failure, reservation)
        raise
    except BaseException:
        _settle(Reservation.give_back, reservation)  # not a try at all (say, the database failed)
        raise
    _settle(lambda r: pin_attempt_record_success(r, case_number=number), reservation)
    return case


def _settle(record: Callable[[Reservation], None], reservation: Reservation) -> None:
    """After the check, a cache failure leaves the reservation counted (the safe side) and
    any turn to expire by itself; the answer to the check stands."""
    try:
        record(reservation)
    except CACHE_ERRORS as exc:
        logger.warning("PIN guard could not record an outcome (%s)", type(exc).__name__)


def _unavailable(exc: Exception) -> PinGuardUnavailable:
    logger.warning("PIN guard unavailable: shared cache unreachable (%s)", type(exc).__name__)
    return PinGuardUnavailable(retry_after=settings.NCII_PIN_GUARD_RETRY_AFTER_SECONDS)
