"""OpenAPI descriptions of the partner authentication schemes."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerBearerScheme(OpenApiAuthenticationExtension):
    target_class = "partners.auth.PartnerBearerAuthentication"
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "description": "The partner's hub API key."}


class StopNCIIScheme(OpenApiAuthenticationExtension):
    target_class = "partners.auth.StopNCIIKeyAuthentication"
    name = ["StopNCIISubscriptionKey", "StopNCIIFunctionKey"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        return [{"StopNCIISubscriptionKey": [], "StopNCIIFunctionKey": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"},
            {"type": "apiKey", "in": "header", "name": "x-functions-key"},
        ]
