"""OpenAPI descriptions of the partner authentication schemes and of hash values."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

HASH_PATTERN = r"^\s*([0-9a-fA-F]{32}|[0-9a-fA-F]{64})\s*$"
HEX_MAX = 64
HEX_HASH = {"type": "string", "pattern": HASH_PATTERN}
VIDEO_PDQ = {
    "type": "string",
    "description": "VideoPDQ: python-threatexchange's vPDQ serialisation, a JSON array of \"<64 hex PDQ>,"
    '<quality 0-100>,<seconds>" strings, one per frame sampled once a second, sent as its JSON text.',
}
VIDEO_PDQ_ARRAY = {"type": "array", "items": {"type": "string"}, "description": "VideoPDQ frames as a JSON array"}


@extend_schema_field(
    {
        "anyOf": [HEX_HASH, VIDEO_PDQ, VIDEO_PDQ_ARRAY],
        "description": "Hex digits: 64 for ImagePDQ, 32 for VideoMD5 (any case); for VideoPDQ the vPDQ frames.",
    }
)
class HashValueField(serializers.Field):
    """A hash value as partners send it: a string, or for VideoPDQ also an array of frame
    strings. Its format is checked by ``hash_normalise`` (or ``video_input_validate``), which
    answer ``invalid_hash``; only the schema says what it looks like."""

    default_error_messages = {
        "invalid": "A hash value is a string (or, for VideoPDQ, an array of strings).",
        "max_length": "Ensure this field has no more than 64 characters.",
        "blank": "This field may not be blank.",
    }

    def to_internal_value(self, data: Any) -> str | list[Any]:
        if isinstance(data, list) and all(isinstance(f, str) for f in data):
            return data
        if not isinstance(data, str):
            self.fail("invalid")
        if not data.strip():
            self.fail("blank")
        if len(data) > HEX_MAX and not data.lstrip().startswith("["):  # only a vPDQ's JSON text is longer
            self.fail("max_length")
        return data

    def to_representation(self, value: Any) -> Any:
        return value
