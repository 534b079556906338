"""OpenAPI descriptions of the partner authentication schemes, of hash values and of review images."""

import base64
import binascii
from typing import Any

from django.core.files.uploadedfile import UploadedFile
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


@extend_schema_field(
    {
        "type": "string",
        "format": "binary",
        "description": "JPEG, PNG, WebP or GIF (first frame): "
        "a multipart file, or base64 in a JSON string. Only a blurred-by-default, metadata-free 512 px "
        "derivative is kept, encrypted, until the decision's grace period ends.",
    }
)
class ReviewImageField(serializers.Field):
    """A review image: a multipart file, or base64 in a JSON string. Gives the raw bytes."""

    def to_internal_value(self, data: Any) -> bytes:
        if isinstance(data, UploadedFile):
            return data.read()
        if isinstance(data, str):
            try:
                return base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError("Not valid base64.") from None
        raise serializers.ValidationError("Send the image as a multipart file or a base64 string.")

    def to_representation(self, value: Any) -> Any:
        return None
