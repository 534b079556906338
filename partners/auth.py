"""Partner authentication: bearer keys for /api/v1/, StopNCII headers for /v1/."""

from dataclasses import dataclass

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from ncii_site.api import ApiError
from ncii_site.cache_fallback import throttle_cache
from partners.models import Partner, PartnerKey
from partners.selectors import partner_key_find


@dataclass(frozen=True)
class PartnerPrincipal:
    """What ``request.user`` is for a partner's API call."""

    partner: Partner
    sandbox: bool = False  # a sandbox key: the APIs answer from the sandbox bank (matching.partner_sandbox)
    is_authenticated: bool = True
    is_staff: bool = False


class PartnerBearerAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <API key>'.")
        key = partner_key_find(plaintext=token.strip(), kinds={PartnerKey.Kind.API})
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return PartnerPrincipal(key.partner, sandbox=key.sandbox), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="ncii-hub"'


class StopNCIIKeyAuthentication(authentication.BaseAuthentication):
    """``Ocp-Apim-Subscription-Key`` plus the ``x-functions-key`` of the called endpoint; both
    must belong to the same partner. Views set ``function_key_kind``."""

    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerKey] | None:
        subscription = request.META.get("HTTP_OCP_APIM_SUBSCRIPTION_KEY", "")
        function = request.META.get("HTTP_X_FUNCTIONS_KEY", "")
        if not subscription or not function:
            raise exceptions.NotAuthenticated("Send Ocp-Apim-Subscription-Key and x-functions-key.")
        kind = getattr(request.parser_context["view"], "function_key_kind", "")
        sub_key = partner_key_find(plaintext=subscription, kinds={PartnerKey.Kind.SUBSCRIPTION})
        fn_key = partner_key_find(plaintext=function, kinds={kind})
        if sub_key is None or fn_key is None or sub_key.partner_id != fn_key.partner_id:
            raise exceptions.AuthenticationFailed("Unknown or revoked key for this endpoint.")
        if sub_key.sandbox != fn_key.sandbox:
            raise exceptions.AuthenticationFailed("Use sandbox keys together, or real keys together.")
        return PartnerPrincipal(sub_key.partner, sandbox=sub_key.sandbox), fn_key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="ncii-hub"'


class IsActivePartner(permissions.BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        principal = request.user
        if not isinstance(principal, PartnerPrincipal):
            raise exceptions.NotAuthenticated("Partner credentials are required.")
        if not principal.partner.is_active:
            raise ApiError(code="partner_suspended", detail="This partner account is suspended.", status_code=403)
        return True


class PartnerRateThrottle(throttling.SimpleRateThrottle):
    scope = "partner"
    cache = throttle_cache  # fails open to per-process counts with the shared cache down

    def get_cache_key(self, request: Request, view: object) -> str | None:
        principal = request.user
        if not isinstance(principal, PartnerPrincipal):
            return None
        return self.cache_format % {"scope": self.scope, "ident": principal.partner.pk}


def request_partner(request: Request) -> Partner:
    """The partner a partner-authenticated API call comes from."""
    if not isinstance(request.user, PartnerPrincipal):
        raise exceptions.NotAuthenticated("Partner credentials are required.")
    return request.user.partner


def request_sandbox(request: Request) -> bool:
    """Whether a partner-authenticated call came with a sandbox key."""
    return isinstance(request.user, PartnerPrincipal) and request.user.sandbox
