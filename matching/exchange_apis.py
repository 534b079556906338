"""The StopNCII-compatible exchange at /v1/, wire-compatible with Meta's threatexchange
client: no trailing slashes, no CSRF, JSON bodies on every response."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.auth import IsActivePartner, PartnerRateThrottle, StopNCIIKeyAuthentication
from matching.exchange import BadPageToken, fetch_page
from matching.models import PartnerKey
from ncii_site.api import ApiError


class ExchangeApi(APIView):
    authentication_classes = [StopNCIIKeyAuthentication]
    permission_classes = [IsActivePartner]
    throttle_classes = [PartnerRateThrottle]


# The last second a datetime can hold (9999-12-31T23:59:59Z); later starts cannot be queried.
MAX_TIMESTAMP = 253_402_300_799


def _int_param(request: Request, name: str, default: int | None, maximum: int = 10**15) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise ApiError(code="invalid", detail=f"{name} is required.")
        return default
    # isdigit() alone also accepts digits int() refuses, such as "²".
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise ApiError(code="invalid", detail=f"{name} must be a non-negative integer.")
    if int(raw) > maximum:
        raise ApiError(code="invalid", detail=f"{name} must be at most {maximum}.")
    return int(raw)


class FetchHashesApi(ExchangeApi):
    function_key_kind = PartnerKey.Kind.FETCH

    @extend_schema(
        operation_id="stopncii_fetch_hashes",
        parameters=[
            OpenApiParameter("startTimestamp", int, required=True),
            OpenApiParameter("pageSize", int, required=False),
            OpenApiParameter("nextPageToken", str, required=False),
        ],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request) -> Response:
        start = _int_param(request, "startTimestamp", None, MAX_TIMESTAMP)
        size = _int_param(request, "pageSize", 800)
        if size < 1:
            raise ApiError(code="invalid", detail="pageSize must be at least 1.")
        size = min(size, settings.NCII_EXCHANGE_MAX_PAGE_SIZE)
        try:
            page = fetch_page(start=start, page_size=size, token=request.query_params.get("nextPageToken") or None)
        except BadPageToken as exc:
            raise ApiError(code="invalid_page_token", detail=str(exc)) from None
        return Response(
            {
                "count": len(page.records),
                "nextPageToken": page.next_token,
                "nextSetTimestamp": page.next_set_timestamp,
                "hasMoreRecords": page.next_token is not None,
                "hashRecords": page.records,
            }
        )
