"""The guard in front of the PIN. Per case number and per client, a few wrong PINs are free;
after that each wrong PIN locks that number (and that client) for a time that doubles, up
to a cap. Counters live in Django's cache (Redis in production, so every web process
shares them). Cache keys hold keyed digests, never a case number or PIN, and nothing here
logs either. The API and the victim's pages both go through ``case_authenticate_guarded``."""

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from cases.codes import PIN_DIGITS, case_number_normalise, pin_is_well_formed
from cases.models import Case
from cases.services import CaseAccessDenied, case_authenticate
from ncii_site.errors import DomainError

logger = logging.getLogger(__name__)

_PREFIX = "ncii:pin-guard"
_MAX_DOUBLINGS = 32  # the cap is reached long before; keeps 2**n small


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


def pin_attempt_check(*, case_number: str, client_ip: str) -> None:
    """Raise PinLocked if this (normalised) case number or this client is locked."""
    keys = [f"{key}:until" for key in _counter_keys(case_number=case_number, client_ip=client_ip)]
    until = max(cache.get_many(keys).values(), default=0.0)
    wait = until - _now()
    if wait > 0:
        raise PinLocked(retry_after=math.ceil(wait))


def _failure_count_add(key: str) -> int:
    window = settings.NCII_PIN_FAILURE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)  # atomic, so concurrent guesses each count
    except ValueError:  # expired between add and incr
        count = 1
        cache.set(key, count, timeout=window)
    cache.touch(key, timeout=window)
    return count


def pin_lock_seconds(failures: int) -> int:
    """How long the ``failures``-th wrong PIN in a row locks its case number or client."""
    over = failures - settings.NCII_PIN_FREE_FAILURES
    if over < 0:
        return 0
    base, cap = settings.NCII_PIN_LOCK_BASE_SECONDS, settings.NCII_PIN_LOCK_MAX_SECONDS
    return int(min(base * 2 ** min(over, _MAX_DOUBLINGS), cap))


def pin_attempt_record_failure(*, case_number: str, client_ip: str) -> None:
    for key in _counter_keys(case_number=case_number, client_ip=client_ip):
        lock = pin_lock_seconds(_failure_count_add(key))
        if lock:
            cache.set(f"{key}:until", _now() + lock, timeout=lock + 1)
            logger.warning("Wrong PINs: %s %s locked for %d s", key.split(":")[2], key[-8:], lock)


def pin_attempt_record_success(*, case_number: str) -> None:
    """The right PIN clears that case number's count only: never the client's (or one case
    of your own would reset your guesses at others), never another case number's."""
    key = _case_key(case_number)
    cache.delete_many([key, f"{key}:until"])


@sensitive_variables("pin")
def case_authenticate_guarded(*, case_number: str, pin: str, client_ip: str) -> Case:
    """The case for a case number (as typed) and PIN, behind the guard. Raises PinFormatInvalid,
    PinLocked, or CaseAccessDenied (the same for an unknown case and a wrong PIN)."""
    number, pin = case_number_normalise(case_number), pin.strip()
    if not pin_is_well_formed(pin):
        raise PinFormatInvalid(
            gettext("A PIN is exactly %(digits)d digits (0-9), as it was given to you.") % {"digits": PIN_DIGITS}
        )
    pin_attempt_check(case_number=number, client_ip=client_ip)
    try:
        case = case_authenticate(number=number, pin=pin)
    except CaseAccessDenied:
        pin_attempt_record_failure(case_number=number, client_ip=client_ip)
        raise
    pin_attempt_record_success(case_number=number)
    return case
