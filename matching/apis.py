from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.intake import report_ingest
from matching.lookup import lookup_answer, video_lookup_answer
from matching.models import MatchReport
from matching.partner_sandbox import sandbox_lookup, sandbox_report_get, sandbox_report_ingest, sandbox_report_out
from matching.schema import HashValueField, ReviewImageField
from matching.selectors import report_get_for_partner, report_keyframe_checks
from matching.signal_types import SignalType, hash_normalise
from matching.video import video_input_validate
from ncii_site.api import ApiError, StrictCharField, StrictSerializer
from ncii_site.json_parser import StrictJSONParser
from ncii_site.openapi import error_responses
from partners.auth import (
    IsActivePartner,
    PartnerBearerAuthentication,
    PartnerRateThrottle,
    request_partner,
    request_sandbox,
)

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
            "bankHashId": str(report.bank_hash.public_id),
            "signalType": report.bank_hash.signal_type,
            "hashValue": report.bank_hash.value,
            "hashStatus": report.bank_hash.status,
        },
        "outcome": report.outcome,
        "receivedAt": report.received_at.isoformat(),
        "decidedAt": report.decided_at.isoformat() if report.decided_at else None,
        "hasImage": report.image_sent,
        "imageRefused": report.image_refused or None,
        **_verification(report),
        **({"decisionNote": report.decision_note} if report.decision_note else {}),
        **_video_figures(report),
    }


def _video_figures(report: MatchReport) -> dict[str, Any]:
    if report.signal_type != SignalType.VPDQ or report.video_query_pct is None:
        return {}
    figures = {"queryMatchPercent": report.video_query_pct, "targetMatchPercent": report.video_target_pct}
    checks = report_keyframe_checks(report=report) if report.status == MatchReport.Status.PROCESSED else []
    limit = settings.NCII_PDQ_MATCH_DISTANCE
    keyframes = [{"keyframe": p, "claimDistance": d, "hashMismatch": d > limit} for p, d in checks]
    return figures | ({"keyframes": keyframes} if keyframes else {})


def _verification(report: MatchReport) -> dict[str, Any]:
    """Null until the worker has checked the claim against the image (and with no image)."""
    verified = report.status == MatchReport.Status.PROCESSED and bool(report.content_pdq)
    return {
        "claimDistance": report.claim_distance if verified else None,
        "hashMismatch": report.hash_mismatch if verified else None,
        "lowQuality": report.low_quality if verified else None,
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
            "bankHashId": serializers.UUIDField(),
            "signalType": serializers.CharField(),
            "hashValue": serializers.CharField(),
            "hashStatus": serializers.CharField(),
        },
    )
    outcome = serializers.ChoiceField(choices=MatchReport.Outcome.values)
    receivedAt = serializers.DateTimeField()  # noqa: N815
    decidedAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    hasImage = serializers.BooleanField(help_text="a review image was received")  # noqa: N815
    imageRefused = serializers.CharField(  # noqa: N815
        allow_null=True, help_text="why the worker could not decode your image ('code: sentence'), else null"
    )
    claimDistance = serializers.IntegerField(  # noqa: N815
        allow_null=True,
        help_text="your hash (VideoPDQ: its nearest frame) vs the PDQ the hub recomputed from the image",
    )
    hashMismatch = serializers.BooleanField(  # noqa: N815
        allow_null=True, help_text="claimDistance > 31: your hash does not fit the image"
    )
    lowQuality = serializers.BooleanField(  # noqa: N815
        allow_null=True, help_text="the image's recomputed PDQ quality is below the threshold"
    )
    decisionNote = serializers.CharField(  # noqa: N815
        required=False, help_text="present only when the moderator shared a note on the outcome with you"
    )
    sandbox = serializers.BooleanField(required=False, help_text="present (true) on a sandbox key's reports")
    queryMatchPercent = serializers.FloatField(  # noqa: N815
        required=False, help_text="VideoPDQ: share of your video's kept frames that matched the bank video"
    )
    targetMatchPercent = serializers.FloatField(  # noqa: N815
        required=False, help_text="VideoPDQ: share of the bank video's kept frames that matched yours"
    )
    keyframes = serializers.ListField(
        child=inline_serializer(
            "KeyframeCheck",
            {
                "keyframe": serializers.IntegerField(help_text="its place in what you sent (`image` is 0)"),
                "claimDistance": serializers.IntegerField(help_text="to the nearest frame of your vPDQ"),
                "hashMismatch": serializers.BooleanField(help_text="claimDistance > 31"),
            },
        ),
        required=False,
        help_text="VideoPDQ, once processed: each decoded keyframe checked against the frames you claimed",
    )


class MatchCreateApi(PartnerApi):
    parser_classes = [StrictJSONParser, MultiPartParser]

    @extend_schema_serializer(component_name="MatchReportInput")
    class Input(StrictSerializer):
        signalType = serializers.ChoiceField(choices=SIGNAL_TYPES)  # noqa: N815
        hashValue = HashValueField()  # noqa: N815
        contentId = StrictCharField(max_length=255)  # noqa: N815
        # A declared field: DRF's metaclass moves it off the class, so it hides no `context`.
        context = StrictCharField(max_length=2000, required=False, allow_blank=True)  # type: ignore[assignment]
        image = ReviewImageField(required=False)
        keyframes = serializers.ListField(
            child=ReviewImageField(),
            required=False,
            help_text="VideoPDQ only: review images of the video's keyframes, base64 "
            "(`image`, if sent, is the first; at most NCII_REVIEW_KEYFRAMES_MAX in all)",
        )

    @extend_schema(
        operation_id="match_report",
        request={"application/json": Input, "multipart/form-data": Input},
        responses={202: MatchOutput, **error_responses(409, 422)},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        summary="Report content that matched a bank hash",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > 255:
            raise ApiError(code="invalid", detail="Idempotency-Key is at most 255 characters.")
        fields = data.validated_data
        if request_sandbox(request):
            value = _hash_key(fields["signalType"], fields["hashValue"])
            sandboxed = sandbox_report_ingest(
                partner=request_partner(request),
                signal_type=fields["signalType"],
                value=value,
                content_id=fields["contentId"],
            )
            return Response(sandbox_report_out(sandboxed), status=status.HTTP_202_ACCEPTED)
        report, _ = report_ingest(
            partner=request_partner(request),
            signal_type=fields["signalType"],
            hash_value=fields["hashValue"],
            content_id=fields["contentId"],
            context=fields.get("context", ""),
            image=fields.get("image"),
            keyframes=fields.get("keyframes"),
            idempotency_key=key,
        )
        return Response(report_out(report), status=status.HTTP_202_ACCEPTED)


def _hash_key(signal_type: str, raw: Any) -> str:
    """A normalised hash; a VideoPDQ checked and given as its key (the sandbox bank holds no
    videos, so it matches nothing there)."""
    return video_input_validate(raw).key if signal_type == SignalType.VPDQ else hash_normalise(signal_type, raw)


class MatchDetailApi(PartnerApi):
    @extend_schema(operation_id="match_get", responses={200: MatchOutput}, summary="A report of yours and its outcome")
    def get(self, request: Request, report_id: int) -> Response:
        if request_sandbox(request):
            sandboxed = sandbox_report_get(partner=request_partner(request), report_id=report_id)
            if sandboxed is None:
                raise ApiError(code="not_found", detail="No such sandbox report of yours.", status_code=404)
            return Response(sandbox_report_out(sandboxed))
        report = report_get_for_partner(partner=request_partner(request), report_id=report_id)
        if report is None:
            raise ApiError(code="not_found", detail="No such report of yours.", status_code=404)
        return Response(report_out(report))


LOOKUP_MATCH = inline_serializer(
    "LookupMatch",
    {
        "bankHashId": serializers.UUIDField(help_text="opaque and stable: ignore this hash on your side by it"),
        "hashValue": serializers.CharField(),
        "distance": serializers.IntegerField(),
        "hashStatus": serializers.CharField(),
        "quarantined": serializers.BooleanField(help_text="a flood of reports: do not act on it automatically"),
        "verdicts": inline_serializer(
            "LookupVerdicts", {"blocked": serializers.IntegerField(), "notBlocked": serializers.IntegerField()}
        ),
        "hubVerdict": serializers.ChoiceField(choices=["Blocked", "NotBlocked"], allow_null=True),
        "hubConfirmed": serializers.BooleanField(help_text="the hub's moderators confirmed it"),
        "queryMatchPercent": serializers.FloatField(
            required=False, help_text="VideoPDQ: share of your video's kept frames that matched this bank video"
        ),
        "targetMatchPercent": serializers.FloatField(
            required=False, help_text="VideoPDQ: share of the bank video's kept frames that matched yours"
        ),
    },
    many=True,
)
LOOKUP_OUT = inline_serializer(
    "LookupOut",
    {
        "results": inline_serializer(
            "LookupResult",
            {
                "hashValue": HashValueField(help_text="as you sent it"),
                "knownBenign": serializers.BooleanField(help_text="on the hub's negative bank: matches nothing"),
                "matches": LOOKUP_MATCH,
            },
            many=True,
        )
    },
)


class LookupApi(PartnerApi):
    class Input(StrictSerializer):
        class Meta:
            ref_name = "LookupInput"

        signalType = serializers.ChoiceField(choices=SIGNAL_TYPES)  # noqa: N815
        hashes = serializers.ListField(child=HashValueField(), min_length=1, max_length=settings.NCII_LOOKUP_MAX_HASHES)

    @extend_schema(
        operation_id="hash_lookup",
        request=Input,
        responses={200: LOOKUP_OUT},
        summary="Which active bank hashes match these hashes (PDQ within your threshold, at most 31; MD5 exact)",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        signal_type, raw = data.validated_data["signalType"], data.validated_data["hashes"]
        if signal_type == SignalType.VPDQ and not request_sandbox(request):
            return Response({"results": video_lookup_answer(raw=raw)})
        values = [_hash_key(signal_type, v) for v in raw]
        partner = request_partner(request)
        answer = sandbox_lookup if request_sandbox(request) else lookup_answer
        results = answer(partner=partner, signal_type=signal_type, values=values, given=raw)
        return Response({"results": results})
