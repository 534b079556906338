"""The StopNCII-compatible exchange at /v1/, wire-compatible with Meta's threatexchange
client: no trailing slashes, no CSRF, JSON bodies on every response."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.exchange_selectors import fetch_page, page_body
from matching.exchange_services import (
    FeedbackIn,
    HashRecordIn,
    exchange_feedback_submit,
    exchange_hashes_submit,
    signal_type_parse,
)
from matching.models import HashFeedback
from matching.partner_sandbox import sandbox_fetch, sandbox_hashes_known
from matching.schema import HashValueField
from ncii_site.api import ApiError, StrictCharField, StrictIntegerField, StrictSerializer
from ncii_site.openapi import error_responses
from partners.auth import (
    IsActivePartner,
    PartnerRateThrottle,
    StopNCIIKeyAuthentication,
    request_partner,
    request_sandbox,
)
from partners.models import PartnerKey, PartnerUsage
from partners.usage import usage_record, usage_record_for_read

MAX_BATCH = 1000


class FeedbackOut(serializers.Serializer):
    feedbackValue = serializers.CharField()  # noqa: N815
    tags = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, moved off the class by DRF


class HashRecordOut(serializers.Serializer):
    lastModtimestamp = serializers.IntegerField()  # noqa: N815
    signalType = serializers.ChoiceField(  # noqa: N815
        choices=["ImagePDQ", "VideoMD5", "VideoPDQ"], help_text="VideoPDQ only for partners who opted in"
    )
    hashValue = serializers.CharField()  # noqa: N815
    hashStatus = serializers.ChoiceField(choices=["Active", "Withdrawn"])  # noqa: N815
    caseNumbers = serializers.DictField(child=serializers.CharField())  # noqa: N815
    CSPFeedbacks = FeedbackOut(many=True)  # noqa: N815


class FetchHashesOut(serializers.Serializer):
    count = serializers.IntegerField()
    nextPageToken = serializers.CharField(allow_null=True)  # noqa: N815
    nextSetTimestamp = serializers.IntegerField()  # noqa: N815
    hasMoreRecords = serializers.BooleanField()  # noqa: N815
    hashRecords = HashRecordOut(many=True)  # noqa: N815


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
        responses={200: FetchHashesOut},
    )
    def get(self, request: Request) -> HttpResponse:
        start = _int_param(request, "startTimestamp", None, MAX_TIMESTAMP)
        size = _int_param(request, "pageSize", 800)
        if size < 1:
            raise ApiError(code="invalid", detail="pageSize must be at least 1.")
        size = min(size, settings.NCII_EXCHANGE_MAX_PAGE_SIZE)
        if request_sandbox(request):
            return Response(sandbox_fetch(start=start))
        partner = request_partner(request)
        token = request.query_params.get("nextPageToken") or None
        page = fetch_page(start=start, page_size=size, token=token, videos=partner.receives_video_pdq)
        usage_record_for_read(partner=partner, kind=PartnerUsage.Kind.FETCH, records=page.count)
        # The records arrive as JSON text (built by PostgreSQL): sent as they are, not re-encoded.
        return HttpResponse(page_body(page), content_type="application/json")


class FeedbackIn_(StrictSerializer):  # noqa: N801
    class Meta:
        ref_name = "StopNCIIFeedbackIn"

    feedbackValue = serializers.ChoiceField(choices=HashFeedback.Value.values)  # noqa: N815
    tags = serializers.ListField(child=StrictCharField(max_length=100), max_length=20, required=False, default=list)
    # ignored: the keys say who. A declared field, moved off the class by DRF's metaclass.
    source = StrictCharField(max_length=150, required=False, allow_blank=True)  # type: ignore[assignment]


class HashFeedbackIn(FeedbackIn_):
    class Meta:
        ref_name = "StopNCIIHashFeedbackIn"

    hashValue = HashValueField()  # noqa: N815


class SubmitFeedbackIn(StrictSerializer):
    count = StrictIntegerField(min_value=1, max_value=MAX_BATCH)
    hashFeedbacks = HashFeedbackIn(many=True, allow_empty=False, max_length=MAX_BATCH)  # type: ignore[call-arg]  # noqa: N815 (ListSerializer takes max_length)

    def validate(self, attrs: dict) -> dict:
        if attrs["count"] != len(attrs["hashFeedbacks"]):
            raise serializers.ValidationError("count does not match the number of hashFeedbacks.")
        return attrs


class HashRecordIn_(StrictSerializer):  # noqa: N801
    class Meta:
        ref_name = "StopNCIIHashRecordIn"

    lastModtimestamp = StrictIntegerField(min_value=0, required=False)  # noqa: N815
    signalType = StrictCharField(max_length=40)  # noqa: N815
    hashValue = HashValueField()  # noqa: N815
    CSPFeedbacks = FeedbackIn_(many=True, required=False, default=list, max_length=10)  # type: ignore[call-arg]  # noqa: N815 (ListSerializer takes max_length)


class SubmitHashesIn(StrictSerializer):
    count = StrictIntegerField(min_value=1, max_value=MAX_BATCH)
    hashRecords = HashRecordIn_(many=True, allow_empty=False, max_length=MAX_BATCH)  # type: ignore[call-arg]  # noqa: N815 (ListSerializer takes max_length)

    def validate(self, attrs: dict) -> dict:
        if attrs["count"] != len(attrs["hashRecords"]):
            raise serializers.ValidationError("count does not match the number of hashRecords.")
        return attrs


SUBMIT_OUT = inline_serializer("StopNCIISubmitOut", {"count": serializers.IntegerField()})


class SubmitFeedbackApi(ExchangeApi):
    function_key_kind = PartnerKey.Kind.FEEDBACK

    @extend_schema(
        operation_id="stopncii_submit_feedback",
        request=SubmitFeedbackIn,
        responses={200: SUBMIT_OUT, **error_responses(404)},
    )
    def post(self, request: Request) -> Response:
        data = SubmitFeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        raw = data.validated_data["hashFeedbacks"]
        items = [FeedbackIn(f["hashValue"], f["feedbackValue"], list(f["tags"])) for f in raw]
        if request_sandbox(request):
            return Response({"count": sandbox_hashes_known([item.hash_value for item in items])})
        count = exchange_feedback_submit(partner=request_partner(request), items=items)
        usage_record(partner=request_partner(request), kind=PartnerUsage.Kind.FEEDBACK, records=count)
        return Response({"count": count})


class SubmitHashesApi(ExchangeApi):
    function_key_kind = PartnerKey.Kind.SUBMIT

    @extend_schema(operation_id="stopncii_submit_hashes", request=SubmitHashesIn, responses={200: SUBMIT_OUT})
    def post(self, request: Request) -> Response:
        data = SubmitHashesIn(data=request.data)
        data.is_valid(raise_exception=True)
        records = [_record_in(r) for r in data.validated_data["hashRecords"]]
        if request_sandbox(request):
            return Response({"count": len(records)})  # accepted and discarded: the sandbox bank is fixed
        count = exchange_hashes_submit(partner=request_partner(request), records=records)
        usage_record(partner=request_partner(request), kind=PartnerUsage.Kind.SUBMIT, records=count)
        return Response({"count": count})


def _record_in(raw: dict) -> HashRecordIn:
    feedback = [FeedbackIn(raw["hashValue"], f["feedbackValue"], list(f["tags"])) for f in raw["CSPFeedbacks"]]
    return HashRecordIn(signal_type_parse(raw["signalType"]), raw["hashValue"], feedback)
