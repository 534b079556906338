"""The API's JSON parser: strict RFC 8259 with limits an outsider cannot push past.

DRF's parser hands the body to ``json.load``, which recurses once per nesting level: a body
of 100,000 ``[`` raised ``RecursionError`` and answered 500. This one answers every body it
cannot take with ``400 malformed_json`` and reads nothing it was not asked to: UTF-8 only
(no byte order mark, no other charset), no ``NaN``/``Infinity``, no number past 64 bits or
overflowing a float, no duplicate key in an object, no lone surrogate (it cannot be stored),
nesting at most ``NCII_JSON_MAX_DEPTH`` deep and at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes.
"""

import json
import math
import re
from collections.abc import Iterator
from typing import Any, NoReturn

from django.conf import settings
from rest_framework.parsers import JSONParser

_INT64 = 2**63
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD]")
_UTF8 = {"utf-8", "utf8"}


class Malformed(ValueError):
    """A body that is valid JSON by some reading but refused by the hub's rules."""


def _refuse(detail: str, status_code: int = 400) -> NoReturn:
    # Imported here: ncii_site.api imports DRF's views, which import this parser (the setting).
    from ncii_site.api import ApiError

    code = "malformed_json" if status_code == 400 else "too_large"
    raise ApiError(code=code, detail=detail, status_code=status_code)


def _int(text: str) -> int:
    value = int(text)  # ValueError past Python's 4,300 digits
    if not -_INT64 <= value < _INT64:
        raise Malformed("a number does not fit in 64 bits")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Malformed("a number overflows a double")
    return value


def _constant(name: str) -> NoReturn:
    raise Malformed(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise Malformed("an object has a duplicate key")
    return result


def _containers(value: dict[str, Any] | list[Any]) -> Iterator[Any]:
    children = value.values() if isinstance(value, dict) else value
    return (child for child in children if isinstance(child, dict | list))


def check_depth(value: Any, *, max_depth: int) -> None:
    """Walk the parsed value's objects and arrays without recursion: at most ``max_depth`` deep."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise Malformed(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in _containers(node))


def check_strings(value: Any) -> None:
    """Every string (and key) encodable as UTF-8: a ``\\ud800`` escape makes a lone surrogate,
    which no database column can store."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("a string holds a lone surrogate") from None
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def loads_strict(raw: bytes, *, max_depth: int) -> Any:
    """Parse ``raw`` under the rules above; raise ``Malformed`` (a ValueError) if it breaks one."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise Malformed("the body starts with a byte order mark")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, parse_int=_int, parse_float=_float, parse_constant=_constant, object_pairs_hook=_object
        )
    except RecursionError:
        raise Malformed(f"nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if raw.count(b"[") + raw.count(b"{") > max_depth:  # else it cannot be too deep
        check_depth(value, max_depth=max_depth)
    if _SURROGATE_ESCAPE.search(raw):  # a surrogate can only come from an escape
        check_strings(value)
    return value


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        charset = _charset(media_type or "")
        if charset and charset not in _UTF8:
            _refuse("JSON must be sent as UTF-8.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            _refuse(f"The request body is larger than {limit} bytes.", 413)
        try:
            return loads_strict(raw, max_depth=settings.NCII_JSON_MAX_DEPTH)
        except ValueError as exc:  # Malformed, json.JSONDecodeError, int's digit limit
            _refuse(f"The body is not acceptable JSON: {_first_line(exc)}.")


def _charset(media_type: str) -> str:
    for param in media_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
