"""One error shape for every API: ``{"error": code, "detail": text}`` with a 4xx status."""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ncii_site.errors import DomainError


class ApiError(exceptions.APIException):
    """A refusal of the request's form raised by an API view itself (a bad parameter, an
    unknown id); business rules raise ``DomainError`` from services instead."""

    def __init__(self, *, code: str, detail: str, status_code: int = 400, retry_after: int | None = None) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code
        self.wait = retry_after  # DRF's handler turns ``wait`` into a Retry-After header


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else f"{prefix}{key}"
            out.extend(_flatten(value, f"{name}." if name else ""))
        return out
    if isinstance(detail, list):
        out = []
        for i, value in enumerate(detail):
            out.extend(_flatten(value, f"{prefix}{i}." if isinstance(value, dict | list) else prefix))
        return out
    return [f"{prefix.rstrip('.')}: {detail}" if prefix else str(detail)]


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
}


API_PREFIXES = ("/api/", "/v1/")  # paths answered in JSON, errors included


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(error_body(exc.code, str(exc)), status=exc.status, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("too_large", "The request body is too large."), status=413)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code = exc.error_code
    elif isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    else:
        code = _CODES.get(response.status_code, "error")
    detail = "; ".join(_flatten(exc.detail)) if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = error_body(code, detail)
    return response


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a typo is an error instead of a silent default."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def json_error(code: str, detail: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status_code)


class StrictCharField(serializers.CharField):
    """A JSON string, not a number or boolean coerced into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: not a string, float or boolean."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
