"""The authorization matrix: every URL the resolver serves, for every kind of caller, GET and
POST -> the status that caller gets. A URL with no row fails test_every_url_is_in_the_matrix;
adding one is a line per method in MATRIX (columns below; a row's failure prints the actual
row, to check status by status and paste).

Callers: anonymous; staff of each role, signed in with both factors; a moderator scoped to
partner "own", asking for own's objects and for partner "foreign"'s; own's API keys (Bearer,
and the StopNCII pair on /v1/), for own's objects and foreign's; a suspended partner's keys.
Objects: a review item of each partner with a report and its review image, and one case.
POSTs carry an empty form (pages) or an empty JSON object (APIs): a permitted caller then
gets the page's own answer to bad input, a refused one its refusal."""

from dataclasses import dataclass

import pytest
from django.test import Client

from audit.services import Actor
from cases.services import HashInput, case_create
from matching.crypto import image_encrypt
from matching.models import ReviewImage
from moderation.minor_services import item_mark_possible_minor
from moderation.models import QaReview
from partners.services import IssuedKeys, partner_set_status
from tests.factories import PartnerFactory, UserFactory, item_open, partner_with_keys, random_pdq
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in
from tests.url_routes import Route, routes

pytestmark = pytest.mark.django_db

COLUMNS = (
    "anonymous",
    "moderator",
    "senior",
    "caseworker",
    "admin",
    "scoped_own",
    "scoped_foreign",
    "key_own",
    "key_foreign",
    "suspended",
    "child_safety",
)
METHODS = ("GET", "POST")

# fmt: off
# columns:                                 anon mod senior cw admin scoped:own,foreign key:own,foreign suspended child
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("accounts:2fa-setup", "GET"):           (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("accounts:2fa-setup", "POST"):          (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("accounts:2fa-recovery", "GET"):        (302, 200, 200, 200, 200, 200, 200, 302, 302, 302, 200),
    ("accounts:2fa-recovery", "POST"):       (302, 400, 400, 400, 400, 400, 400, 302, 302, 302, 400),
    ("accounts:2fa-verify", "GET"):          (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("accounts:2fa-verify", "POST"):         (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("admin:index", "GET"):                  (302, 302, 302, 302, 200, 302, 302, 302, 302, 302, 302),
    ("admin:index", "POST"):                 (302, 302, 302, 302, 200, 302, 302, 302, 302, 302, 302),
    ("api-docs", "GET"):                     (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("api-docs", "POST"):                    (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("case-create", "GET"):                  (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("case-create", "POST"):                 (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("case-status", "GET"):                  (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("case-status", "POST"):                 (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("case-withdraw", "GET"):                (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("case-withdraw", "POST"):               (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("casework:case", "GET"):                (302, 403, 403, 200, 403, 403, 403, 302, 302, 302, 403),
    ("casework:case", "POST"):               (302, 403, 403, 400, 403, 403, 403, 302, 302, 302, 403),
    ("assisted:new", "GET"):                 (302, 403, 403, 200, 403, 403, 403, 302, 302, 302, 403),
    ("assisted:new", "POST"):                (302, 403, 403, 400, 403, 403, 403, 302, 302, 302, 403),
    ("assisted:submit", "GET"):              (403, 403, 403, 405, 403, 403, 403, 403, 403, 403, 403),
    ("assisted:submit", "POST"):             (403, 403, 403, 415, 403, 403, 403, 403, 403, 403, 403),
    ("victim:check", "GET"):                 (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("victim:check", "POST"):                (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("victim:new", "GET"):                   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("victim:new", "POST"):                  (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("victim:withdraw", "GET"):              (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("victim:withdraw", "POST"):             (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("metrics", "GET"):                      (302, 403, 200, 403, 200, 403, 403, 302, 302, 302, 403),
    ("metrics", "POST"):                     (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("partners:detail", "GET"):              (302, 403, 403, 403, 200, 403, 403, 302, 302, 302, 403),
    ("partners:detail", "POST"):             (302, 403, 403, 403, 400, 403, 403, 302, 302, 302, 403),
    ("partners:list", "GET"):                (302, 403, 403, 403, 200, 403, 403, 302, 302, 302, 403),
    ("partners:list", "POST"):               (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("partners:new", "GET"):                 (302, 403, 403, 403, 200, 403, 403, 302, 302, 302, 403),
    ("partners:new", "POST"):                (302, 403, 403, 403, 400, 403, 403, 302, 302, 302, 403),
    ("moderation:bulk", "GET"):              (302, 400, 400, 403, 403, 400, 400, 302, 302, 302, 403),
    ("moderation:bulk", "POST"):             (302, 400, 400, 403, 403, 400, 400, 302, 302, 302, 403),
    ("moderation:claim-extend", "GET"):      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:claim-extend", "POST"):     (302, 302, 302, 403, 403, 302, 404, 302, 302, 302, 403),
    ("moderation:claim-release", "GET"):     (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:claim-release", "POST"):    (302, 302, 302, 403, 403, 302, 404, 302, 302, 302, 403),
    ("moderation:wellbeing", "GET"):         (302, 200, 200, 403, 403, 200, 200, 302, 302, 302, 403),
    ("moderation:wellbeing", "POST"):        (302, 400, 400, 403, 403, 400, 400, 302, 302, 302, 403),
    ("moderation:wellbeing-break", "GET"):   (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:wellbeing-break", "POST"):  (302, 302, 302, 403, 403, 302, 302, 302, 302, 302, 403),
    ("casework:disputed", "GET"):            (302, 403, 403, 200, 403, 403, 403, 302, 302, 302, 403),
    ("casework:disputed", "POST"):           (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("casework:search", "GET"):              (302, 403, 403, 200, 403, 403, 403, 302, 302, 302, 403),
    ("casework:search", "POST"):             (302, 403, 403, 200, 403, 403, 403, 302, 302, 302, 403),
    ("favicon", "GET"):                      (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("favicon", "POST"):                     (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("healthz", "GET"):                      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("healthz", "POST"):                     (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("readyz", "GET"):                       (503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503),
    ("readyz", "POST"):                      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("partners:webhooks", "GET"):            (302, 403, 403, 403, 200, 403, 403, 302, 302, 302, 403),
    ("partners:webhooks", "POST"):           (302, 403, 403, 403, 400, 403, 403, 302, 302, 302, 403),
    ("moderation:negative-bank", "GET"):     (302, 403, 403, 403, 200, 403, 403, 302, 302, 302, 403),
    ("moderation:negative-bank", "POST"):    (302, 403, 403, 403, 400, 403, 403, 302, 302, 302, 403),
    ("home", "GET"):                         (200, 302, 302, 302, 302, 302, 302, 200, 200, 200, 302),
    ("home", "POST"):                        (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("transparency", "GET"):                 (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("transparency", "POST"):                (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("transparency-csv", "GET"):             (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("transparency-csv", "POST"):            (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("javascript-catalog", "GET"):           (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("javascript-catalog", "POST"):          (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("login", "GET"):                        (200, 302, 302, 302, 302, 302, 302, 200, 200, 200, 302),
    ("login", "POST"):                       (200, 302, 302, 302, 302, 302, 302, 200, 200, 200, 302),
    ("logout", "GET"):                       (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("logout", "POST"):                      (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    ("lookup", "GET"):                       (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("lookup", "POST"):                      (401, 401, 401, 401, 401, 401, 401, 400, 400, 403, 401),
    ("match-create", "GET"):                 (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("match-create", "POST"):                (401, 401, 401, 401, 401, 401, 401, 400, 400, 403, 401),
    ("match-detail", "GET"):                 (401, 401, 401, 401, 401, 401, 401, 200, 404, 403, 401),
    ("match-detail", "POST"):                (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("moderation:escalations", "GET"):       (302, 403, 200, 403, 403, 403, 403, 302, 302, 302, 403),
    ("moderation:escalations", "POST"):      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:failed", "GET"):            (302, 200, 200, 403, 403, 200, 200, 302, 302, 302, 403),
    ("moderation:failed", "POST"):           (302, 302, 302, 403, 403, 302, 302, 302, 302, 302, 403),
    ("moderation:qa", "GET"):                (302, 200, 200, 403, 403, 200, 200, 302, 302, 302, 403),
    ("moderation:qa", "POST"):               (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:qa-item", "GET"):           (302, 200, 200, 403, 403, 200, 404, 302, 302, 302, 403),
    ("moderation:qa-item", "POST"):          (302, 400, 400, 403, 403, 400, 404, 302, 302, 302, 403),
    ("moderation:export", "GET"):            (302, 403, 200, 403, 200, 403, 403, 302, 302, 302, 403),
    ("moderation:export", "POST"):           (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:item", "GET"):              (302, 200, 200, 403, 403, 200, 404, 302, 302, 302, 200),
    ("moderation:item", "POST"):             (302, 400, 400, 403, 403, 400, 404, 302, 302, 302, 400),
    ("moderation:next", "GET"):              (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:next", "POST"):             (302, 302, 302, 403, 403, 302, 302, 302, 302, 302, 403),
    ("moderation:queue", "GET"):             (302, 200, 200, 302, 302, 200, 200, 302, 302, 302, 302),
    ("moderation:queue", "POST"):            (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:report-image", "GET"):      (302, 200, 200, 403, 403, 200, 404, 302, 302, 302, 200),
    ("moderation:report-image", "POST"):     (302, 405, 405, 405, 405, 405, 405, 302, 302, 302, 405),
    ("moderation:report-keyframe", "GET"):   (302, 200, 200, 403, 403, 200, 404, 302, 302, 302, 200),
    ("moderation:report-keyframe", "POST"):  (302, 405, 405, 405, 405, 405, 405, 302, 302, 302, 405),
    ("schema", "GET"):                       (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("schema", "POST"):                      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("stopncii-feedback", "GET"):            (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("stopncii-feedback", "POST"):           (401, 401, 401, 401, 401, 401, 401, 400, 400, 403, 401),
    ("stopncii-fetch", "GET"):               (401, 401, 401, 401, 401, 401, 401, 400, 400, 403, 401),
    ("stopncii-fetch", "POST"):              (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("stopncii-submit", "GET"):              (401, 401, 401, 401, 401, 401, 401, 405, 405, 403, 401),
    ("stopncii-submit", "POST"):             (401, 401, 401, 401, 401, 401, 401, 400, 400, 403, 401),
    ("moderation:child-safety", "GET"):      (302, 403, 403, 403, 403, 403, 403, 302, 302, 302, 200),
    ("moderation:child-safety", "POST"):     (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:item-minor", "GET"):        (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:item-minor", "POST"):       (302, 400, 400, 400, 403, 400, 400, 302, 302, 302, 403),
    ("moderation:item-minor-clear", "GET"):  (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("moderation:item-minor-clear", "POST"): (302, 403, 403, 403, 403, 403, 403, 302, 302, 302, 400),
}
# fmt: on

ROUTES = {r.key: r for r in [*routes(), Route("admin:index", "admin/")]}
FUNCTION_KEYS = {
    "stopncii-fetch": "FetchHashes",
    "stopncii-feedback": "SubmitFeedback",
    "stopncii-submit": "SubmitHashes",
}


@dataclass
class Caller:
    client: Client
    objects: dict[str, int]  # URL parameters -> the objects this caller asks for
    keys: IssuedKeys | None = None

    def status(self, route: Route, method: str) -> int:
        missing = set(route.params) - set(self.objects)
        assert not missing, f"{route.route}: no test object for {missing}; add one to the world fixture"
        path, headers = route.path(**self.objects), self._headers(route)
        if method == "GET":
            return self.client.get(path, **headers).status_code
        if path.startswith(("/api/", "/v1/")):
            return self.client.post(path, "{}", content_type="application/json", **headers).status_code
        return self.client.post(path, {}, **headers).status_code

    def _headers(self, route: Route) -> dict[str, str]:
        if self.keys is None:
            return {}
        headers = {
            "HTTP_AUTHORIZATION": f"Bearer {self.keys.api_key}",
            "HTTP_OCP_APIM_SUBSCRIPTION_KEY": self.keys.subscription_key,
        }
        if route.key in FUNCTION_KEYS:
            headers["HTTP_X_FUNCTIONS_KEY"] = self.keys.function_keys[FUNCTION_KEYS[route.key]]
        return headers


def _item_objects(partner) -> dict[str, int]:  # type: ignore[no-untyped-def]
    item = item_open(partner)
    report = item.memberships.get().report
    for position in (0, 1):  # a video report's second keyframe has a URL of its own
        ReviewImage.objects.create(
            report=report,
            position=position,
            ciphertext=image_encrypt(encode(photo_like(1, (128, 96)))),
            width=128,
            height=96,
        )
    first = UserFactory(role="moderator")  # a sampled decision of someone else's, for the QA pages
    qa = QaReview.objects.create(item=item, item_version=1, first_by=first, first_state="confirmed", first_code="other")
    return {"item_id": item.pk, "report_id": report.pk, "partner_id": partner.pk, "qa_id": qa.pk, "position": 1}


@pytest.fixture
def callers(db) -> dict[str, Caller]:
    own_partner, own_keys = partner_with_keys("own")
    suspended, suspended_keys = partner_with_keys("suspended")
    partner_set_status(partner_id=suspended.pk, status="suspended", actor=Actor.system(), reason="test")
    case, _ = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    own = _item_objects(own_partner) | {"case_id": case.pk}
    foreign = _item_objects(PartnerFactory(name="foreign")) | {"case_id": case.pk}
    roles = {"moderator": "moderator", "senior": "senior_moderator", "caseworker": "caseworker", "admin": "admin"}
    staff = {
        column: Caller(signed_in(UserFactory(role=role, is_staff=role == "admin")), own)
        for column, role in roles.items()
    }
    scoped = signed_in(UserFactory(role="moderator", partner=own_partner))
    child_safety = signed_in(UserFactory(role="child_safety"))
    minor = _item_objects(own_partner) | {"case_id": case.pk}  # the child-safety team asks for a marked item
    item_mark_possible_minor(actor=UserFactory(role="moderator"), item_id=minor["item_id"], reason="looks 15")
    no_session = Client()  # partners send their keys with each request and keep no cookies
    return {
        "anonymous": Caller(no_session, own),
        **staff,
        "scoped_own": Caller(scoped, own),
        "scoped_foreign": Caller(scoped, foreign),
        "key_own": Caller(no_session, own, own_keys),
        "key_foreign": Caller(no_session, foreign, own_keys),
        "suspended": Caller(no_session, own, suspended_keys),
        "child_safety": Caller(child_safety, minor),
    }


def _row(key: str, method: str, statuses: tuple[int, ...]) -> str:
    return f'    ("{key}", "{method}"):'.ljust(45) + f"({', '.join(str(s) for s in statuses)}),"


def test_every_url_is_in_the_matrix():
    missing = [
        f"{_row(key, m, ())}  # /{route.route}"
        for key, route in sorted(ROUTES.items())
        for m in METHODS
        if (key, m) not in MATRIX
    ]
    assert not missing, (
        "These URLs are not in the authorization matrix (tests/test_authz_matrix.py MATRIX). Add a row per "
        f"method with the status each caller must get, in the order {COLUMNS}. Pasted as below, the row's "
        "own test fails showing what each caller gets now: check every status before copying it.\n" + "\n".join(missing)
    )


def test_the_matrix_lists_only_urls_that_exist():
    assert not {key for key, _ in MATRIX} - set(ROUTES), "rows for URLs that no longer exist"


@pytest.mark.parametrize(("key", "method"), sorted(MATRIX))
def test_each_caller_gets_the_status_in_the_matrix(callers, key, method):
    actual = tuple(callers[column].status(ROUTES[key], method) for column in COLUMNS)
    expected = MATRIX[key, method]
    assert actual == expected, (
        f"\ncolumns   {COLUMNS}\nexpected  {_row(key, method, expected)}\nactual    {_row(key, method, actual)}"
    )
