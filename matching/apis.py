from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.auth import IsActivePartner, PartnerBearerAuthentication, PartnerRateThrottle
from matching.intake import IdempotencyMismatch, NoBankMatch, report_ingest
from matching.models import MatchReport
from matching.selectors import bank_matches_many, report_get_for_partner
from matching.signals import HashFormatError, SignalType, hash_normalise
from ncii_site.api import ApiError, StrictCharField, StrictSerializer

SIGNAL_TYPES = [s.value for s in SignalType]


class PartnerApi(APIView):
    authentication_classes = [PartnerBearerAuthentication]
    permission_classes = [IsActivePartner]
    throttle_classes = [PartnerRateThrottle]


def report_out(report: MatchReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "status": report.status,
        "signalType": report.signal_type,
        "hashValue": report.hash_value,
        "contentId": report.content_id,
        "distance": report.distance,
        "bankHash": {
            "signalType": report.bank_hash.signal_type,
            "hashValue": report.bank_hash.value,
            "hashStatus": report.bank_hash.status,
        },
        "outcome": report.outcome,
        "receivedAt": report.received_at.isoformat(),
        "decidedAt": report.decided_at.isoformat() if report.decided_at else None,
    }


class MatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=MatchReport.Status.values)
    signalType = serializers.ChoiceField(choices=SIGNAL_TYPES)  # noqa: N815
    hashValue = serializers.CharField()  # noqa: N815
    contentId = serializers.CharField()  # noqa: N815
    distance = serializers.IntegerField()
    bankHash = inline_serializer(  # noqa: N815
        "BankHashRef",
        {
            "signalType": serializers.CharField(),
            "hashValue": serializers.CharField(),
            "hashStatus": serializers.CharField(),
        },
    )
    outcome = serializers.ChoiceField(choices=MatchReport.Outcome.values)
    receivedAt = serializers.DateTimeField()  # noqa: N815
    decidedAt = serializers.DateTimeField(allow_null=True)  # noqa: N815


class MatchCreateApi(PartnerApi):
    @extend_schema_serializer(component_name="MatchReportInput")
    class Input(StrictSerializer):
        signalType = serializers.ChoiceField(choices=SIGNAL_TYPES)  # noqa: N815
        hashValue = StrictCharField(max_length=64)  # noqa: N815
        contentId = StrictCharField(max_length=255)  # noqa: N815
        context = StrictCharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="match_report",
        request=Input,
        responses={202: MatchOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        summary="Report content that matched a bank hash",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > 255:
            raise ApiError(code="invalid", detail="Idempotency-Key is at most 255 characters.")
        try:
            report, _ = report_ingest(
                partner=request.user.partner,
                signal_type=data.validated_data["signalType"],
                hash_value=data.validated_data["hashValue"],
                content_id=data.validated_data["contentId"],
                context=data.validated_data.get("context", ""),
                idempotency_key=key,
            )
        except HashFormatError as exc:
            raise ApiError(code="invalid_hash", detail=str(exc)) from None
        except NoBankMatch as exc:
            raise ApiError(code="no_bank_match", detail=str(exc), status_code=422) from None
        except IdempotencyMismatch as exc:
            raise ApiError(code="idempotency_mismatch", detail=str(exc), status_code=422) from None
        return Response(report_out(report), status=status.HTTP_202_ACCEPTED)


class MatchDetailApi(PartnerApi):
    @extend_schema(operation_id="match_get", responses={200: MatchOutput}, summary="A report of yours and its outcome")
    def get(self, request: Request, report_id: int) -> Response:
        report = report_get_for_partner(partner=request.user.partner, report_id=report_id)
        if report is None:
            raise ApiError(code="not_found", detail="No such report of yours.", status_code=404)
        return Response(report_out(report))


LOOKUP_MATCH = inline_serializer(
    "LookupMatch",
    {
        "hashValue": serializers.CharField(),
        "distance": serializers.IntegerField(),
        "hashStatus": serializers.CharField(),
    },
)
LOOKUP_OUT = inline_serializer(
    "LookupOut",
    {
        "results": inline_serializer(
            "LookupResult", {"hashValue": serializers.CharField(), "matches": LOOKUP_MATCH}, many=True
        )
    },
)


class LookupApi(PartnerApi):
    class Input(StrictSerializer):
        class Meta:
            ref_name = "LookupInput"

        signalType = serializers.ChoiceField(choices=SIGNAL_TYPES)  # noqa: N815
        hashes = serializers.ListField(
            child=StrictCharField(max_length=64), min_length=1, max_length=settings.NCII_LOOKUP_MAX_HASHES
        )

    @extend_schema(
        operation_id="hash_lookup", request=Input, responses={200: LOOKUP_OUT},
        summary="Which active bank hashes match these hashes (PDQ within 31, MD5 exact)",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        signal_type, raw = data.validated_data["signalType"], data.validated_data["hashes"]
        try:
            values = [hash_normalise(signal_type, v) for v in raw]
        except HashFormatError as exc:
            raise ApiError(code="invalid_hash", detail=str(exc)) from None
        matches = bank_matches_many(signal_type=signal_type, values=values)
        results = [
            {
                "hashValue": given,
                "matches": [
                    {"hashValue": m.bank_hash.value, "distance": m.distance, "hashStatus": m.bank_hash.status}
                    for m in found
                ],
            }
            for given, found in zip(raw, matches, strict=True)
        ]
        return Response({"results": results})
