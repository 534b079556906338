"""Errors in the OpenAPI schema. Every operation documents the API's one error shape
(``{"error", "detail"}``) for the statuses its view can answer whatever it does: 400 for any
request, 401/403 behind partner keys, 404 behind a path parameter, 413/415 with a body, 429
behind a throttle. A view adds its own refusals with ``error_responses`` in ``extend_schema``."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "The request is malformed or fails validation.",
    401: "Credentials are missing, unknown or revoked.",
    403: "Refused: a suspended partner, or a wrong case number or PIN.",
    404: "No such resource, or not yours.",
    409: "Conflict with the current state; retry later or reload.",
    413: "The request body is too large.",
    415: "The Content-Type, or the image format, is not accepted.",
    422: "Well-formed, but refused by a business rule.",
    429: "Too many requests: wait the Retry-After header's seconds.",
}


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A stable code, such as invalid, partner_suspended or throttled.")
    detail = serializers.CharField(help_text="What was wrong, for people.")

    class Meta:
        ref_name = "Error"


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class HubAutoSchema(AutoSchema):
    # Extends the response bodies rather than get_response_serializers, which @extend_schema
    # overrides in the class it makes for each decorated view.
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        for code, response in error_responses(*self._view_error_codes()).items():
            bodies.setdefault(str(code), self._get_response_for_code(response, str(code), direction=direction))
        return dict(sorted(bodies.items()))

    def _view_error_codes(self) -> list[int]:
        codes = [400]
        if self.view.authentication_classes:
            codes += [401, 403]
        if "{" in self.path:
            codes.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            codes += [413, 415]
        if self.view.throttle_classes:
            codes.append(429)
        return codes
