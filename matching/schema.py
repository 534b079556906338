"""OpenAPI descriptions of the partner authentication schemes and of hash values."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class PartnerBearerScheme(OpenApiAuthenticationExtension):
    target_class = "matching.auth.PartnerBearerAuthentication"
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "description": "The partner's hub API key."}


class StopNCIIScheme(OpenApiAuthenticationExtension):
    target_class = "matching.auth.StopNCIIKeyAuthentication"
    name = ["StopNCIISubscriptionKey", "StopNCIIFunctionKey"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        return [{"StopNCIISubscriptionKey": [], "StopNCIIFunctionKey": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"},
            {"type": "apiKey", "in": "header", "name": "x-functions-key"},
        ]
