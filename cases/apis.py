from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from audit.services import Actor
from cases.codes import PIN_DIGITS
from cases.models import Case
from cases.pin_guard import case_authenticate_guarded
from cases.selectors import case_protected_hash_count
from cases.services import HashInput, case_create, case_withdraw
from matching.degenerate import DegenerateHash
from matching.schema import HashValueField
from matching.services import hash_input_validate
from matching.signal_types import SignalType
from matching.video import video_input_validate
from ncii_site.api import ApiError, StrictCharField, StrictIntegerField, StrictSerializer
from ncii_site.cache_fallback import throttle_cache
from ncii_site.errors import DomainError
from ncii_site.http import client_ip
from ncii_site.openapi import error_responses
from ncii_site.roles import WORK_CASE


class CaseCreateThrottle(AnonRateThrottle):
    scope = "case_create"
    cache = throttle_cache  # fails open to per-process counts with the shared cache down


class CasePinThrottle(AnonRateThrottle):
    scope = "case_pin"
    cache = throttle_cache  # fails open; the PIN guard behind it fails closed


class PublicApi(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []


class HashIn(StrictSerializer):
    signalType = serializers.ChoiceField(choices=[s.value for s in SignalType])  # noqa: N815
    hashValue = HashValueField()  # noqa: N815
    quality = StrictIntegerField(min_value=0, max_value=100, required=False, allow_null=True)


def _hashes_validate(raw: list[dict[str, Any]]) -> list[HashInput]:
    """Every hash checked; all degenerate ones are named together (nothing is written)."""
    out, seen, degenerate = [], set(), []
    for i, item in enumerate(raw):
        video = None
        try:
            if item["signalType"] == SignalType.VPDQ:
                video = video_input_validate(item["hashValue"])
                value, quality = video.key, None
            else:
                value, quality = hash_input_validate(
                    signal_type=item["signalType"], value=item["hashValue"], quality=item.get("quality")
                )
        except DegenerateHash as exc:  # all of them are named together
            degenerate.append(f"hashes.{i}: {exc}")
            continue
        except DomainError as exc:  # says which hash
            raise DomainError(f"hashes.{i}: {exc}", code=exc.code, status=exc.status) from None
        if (item["signalType"], value) in seen:
            raise ApiError(code="duplicate_hash", detail=f"hashes.{i}: " + gettext("the same hash is listed twice."))
        seen.add((item["signalType"], value))
        out.append(HashInput(item["signalType"], value, quality, video))
    if degenerate:
        raise DegenerateHash(" ".join(degenerate), reason="degenerate")
    return out


class CaseCreateApi(PublicApi):
    throttle_classes = [CaseCreateThrottle]

    @extend_schema_serializer(component_name="CaseCreateInput")
    class Input(StrictSerializer):
        class Meta:
            ref_name = "CaseCreateInput"

        hashes = HashIn(many=True, allow_empty=False)

        def validate_hashes(self, value: list[Any]) -> list[Any]:
            if len(value) > settings.NCII_MAX_HASHES_PER_CASE:
                limit = settings.NCII_MAX_HASHES_PER_CASE
                raise serializers.ValidationError(gettext("At most %(limit)d hashes per case.") % {"limit": limit})
            return value

    @extend_schema(
        operation_id="case_create",
        request=Input,
        responses={
            201: inline_serializer(
                "CaseCreated", {"caseNumber": serializers.CharField(), "pin": serializers.CharField()}
            )
        },
        summary="Create a case from hashes computed on the person's device",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        hashes = _hashes_validate(data.validated_data["hashes"])
        case, pin = case_create(hashes=hashes, actor=Actor.public())
        return Response({"caseNumber": case.number, "pin": pin}, status=status.HTTP_201_CREATED)


class CanWorkCase(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.has_perm(WORK_CASE))


class AssistedCaseCreateApi(APIView):
    """A caseworker creates a case with the person present, hashing on the caseworker's device
    (the dashboard's assisted case page). Session sign-in, so CSRF is enforced."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated, CanWorkCase]

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        data = CaseCreateApi.Input(data=request.data)
        data.is_valid(raise_exception=True)
        hashes = _hashes_validate(data.validated_data["hashes"])
        case, pin = case_create(
            hashes=hashes, source=Case.Source.HELPLINE, actor=Actor.user(cast(User, request.user))
        )  # IsAuthenticated
        return Response({"caseNumber": case.number, "pin": pin}, status=status.HTTP_201_CREATED)


class CaseAccessInput(StrictSerializer):
    caseNumber = StrictCharField(max_length=40)  # noqa: N815
    # Any string: its format is checked by the PIN guard, which answers invalid_pin_format.
    pin = StrictCharField(allow_blank=True)


@sensitive_variables()  # the PIN is in here: keep every local out of error reports
def _case_from(request: Request) -> Case:
    data = CaseAccessInput(data=request.data)
    data.is_valid(raise_exception=True)
    return case_authenticate_guarded(
        case_number=data.validated_data["caseNumber"],
        pin=data.validated_data["pin"],
        client_ip=client_ip(request),
    )


def case_status_out(case: Case) -> dict[str, Any]:
    return {
        "caseNumber": case.number,
        "status": case.status,
        "createdAt": case.created_at.isoformat(),
        "hashCount": case_protected_hash_count(case=case),
    }


CASE_STATUS = inline_serializer(
    "CaseStatus",
    {
        "caseNumber": serializers.CharField(),
        "status": serializers.CharField(),
        "createdAt": serializers.DateTimeField(),
        "hashCount": serializers.IntegerField(),
    },
)


PIN_GUARD_DOC = (
    f"A PIN is exactly {PIN_DIGITS} digits (else 400 invalid_pin_format). A wrong PIN and an unknown "
    f"case number get the same 403 case_access_denied. After {settings.NCII_PIN_FREE_FAILURES} wrong "
    "PINs for a case number, or from one client, further tries are refused for a time that doubles "
    "(429 too_many_attempts, with Retry-After)."
)


class CaseStatusApi(PublicApi):
    throttle_classes = [CasePinThrottle]

    @extend_schema(
        operation_id="case_status",
        request=CaseAccessInput,
        responses={200: CASE_STATUS, **error_responses(403)},
        description=PIN_GUARD_DOC,
    )
    def post(self, request: Request) -> Response:
        return Response(case_status_out(_case_from(request)))


class CaseWithdrawApi(PublicApi):
    throttle_classes = [CasePinThrottle]

    @extend_schema(
        operation_id="case_withdraw",
        request=CaseAccessInput,
        responses={200: CASE_STATUS, **error_responses(403)},
        description=PIN_GUARD_DOC,
    )
    def post(self, request: Request) -> Response:
        case = _case_from(request)
        case = case_withdraw(case_id=case.pk, actor=Actor.public(), reason="withdrawn by the person")
        return Response(case_status_out(case))
