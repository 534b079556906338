"""OpenAPI descriptions of the partner authentication schemes and of hash values."""

from typing import Any

from drf_spectacular.utils import extend_schema_field

from ncii_site.api import StrictCharField

HASH_PATTERN = r"^\s*([0-9a-fA-F]{32}|[0-9a-fA-F]{64})\s*$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": HASH_PATTERN,
        "description": "Hex digits: 64 for ImagePDQ, 32 for VideoMD5 (any case).",
    }
)
class HashValueField(StrictCharField):
    """A hash value as partners send it; its format is checked by ``hash_normalise``, which
    answers ``invalid_hash``. Only the schema says what it looks like."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)
