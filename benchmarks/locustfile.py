"""The load benchmark's users (run by benchmarks/load_bench.py, which starts the stack and
writes the JSON that LOAD_BENCH_CONFIG names: keys, banked hashes, cases and PINs, a staff
session cookie). Each request is named by its endpoint; answers of 5xx are counted apart."""

import base64
import json
import os
import random
import secrets
from pathlib import Path

from locust import HttpUser, between, constant_pacing, events, task

CONFIG = json.loads(Path(os.environ["LOAD_BENCH_CONFIG"]).read_text())
SERVER_ERRORS: dict[str, int] = {}
IMAGES = [(h, base64.b64decode(jpeg)) for h, jpeg in CONFIG["photos"]]
BOMBS = [(name, base64.b64decode(data), status) for name, data, status in CONFIG["bombs"]]


@events.request.add_listener
def _count_5xx(name: str, response, **_: object) -> None:  # type: ignore[no-untyped-def]
    if response is not None and getattr(response, "status_code", 0) >= 500:
        SERVER_ERRORS[name] = SERVER_ERRORS.get(name, 0) + 1


@events.quitting.add_listener
def _write_5xx(environment, **_: object) -> None:  # type: ignore[no-untyped-def]
    Path(CONFIG["errors_path"]).write_text(json.dumps(SERVER_ERRORS))


def _photo_like_pdq() -> str:
    """A random PDQ hash with 128 of its 256 bits set, as a real photo's has (a uniformly random
    one is often far enough from 128 for the bank's degenerate-hash rule to refuse it)."""
    bits = [1] * 128 + [0] * 128
    random.shuffle(bits)
    return f"{int(''.join(map(str, bits)), 2):064x}"


def _expect(response, *statuses: int) -> None:  # type: ignore[no-untyped-def]
    if response.status_code in statuses:
        response.success()
    elif response.status_code == 0:  # no answer at all: say what the connection did
        response.failure(f"no response: {type(response.error).__name__}: {response.error}"[:200])
    else:
        response.failure(f"HTTP {response.status_code}")


class Partner(HttpUser):
    """A partner platform: pages the feed, looks hashes up, reports matches with and without images."""

    weight = 4
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.bearer = {"Authorization": f"Bearer {CONFIG['api_key']}"}
        self.exchange = {
            "Ocp-Apim-Subscription-Key": CONFIG["subscription_key"],
            "x-functions-key": CONFIG["fetch_key"],
        }

    @task(3)
    def fetch_hashes(self) -> None:
        params = {"startTimestamp": random.choice(CONFIG["fetch_starts"]), "pageSize": 500}
        with self.client.get(
            "/v1/FetchHashes", params=params, headers=self.exchange, name="GET /v1/FetchHashes", catch_response=True
        ) as r:
            _expect(r, 200)

    @task(3)
    def lookup(self) -> None:
        hashes = random.sample(CONFIG["bank"], 20) + [secrets.token_hex(32) for _ in range(30)]
        body = {"signalType": "ImagePDQ", "hashes": hashes}
        with self.client.post(
            "/api/v1/lookup", json=body, headers=self.bearer, name="POST /api/v1/lookup", catch_response=True
        ) as r:
            _expect(r, 200)

    @task(3)
    def report(self) -> None:
        body = {"signalType": "ImagePDQ", "hashValue": random.choice(CONFIG["bank"]), "contentId": secrets.token_hex(4)}
        with self.client.post(
            "/api/v1/matches", json=body, headers=self.bearer, name="POST /api/v1/matches", catch_response=True
        ) as r:
            _expect(r, 202)

    @task(1)
    def report_with_image(self) -> None:
        hash_value, jpeg = random.choice(IMAGES)
        fields = {"signalType": "ImagePDQ", "hashValue": hash_value, "contentId": secrets.token_hex(4)}
        with self.client.post(
            "/api/v1/matches",
            data=fields,
            files={"image": ("photo.jpg", jpeg)},
            headers=self.bearer,
            name="POST /api/v1/matches (image)",
            catch_response=True,
        ) as r:
            _expect(r, 202)


class Victim(HttpUser):
    """People protecting images and checking their cases."""

    weight = 3
    wait_time = between(0.5, 2.0)

    @task(2)
    def create_case(self) -> None:
        hashes = [{"signalType": "ImagePDQ", "hashValue": _photo_like_pdq(), "quality": 90}]
        with self.client.post(
            "/api/v1/cases", json={"hashes": hashes}, name="POST /api/v1/cases", catch_response=True
        ) as r:
            _expect(r, 201)

    @task(3)
    def pin_check(self) -> None:
        number, pin = random.choice(CONFIG["cases"])
        body = {"caseNumber": number, "pin": pin}
        with self.client.post(
            "/api/v1/cases/status", json=body, name="POST /api/v1/cases/status", catch_response=True
        ) as r:
            _expect(r, 200)

    @task(3)
    def check_page(self) -> None:
        with self.client.get("/cases/check/", name="GET /cases/check/", catch_response=True) as r:
            _expect(r, 200)

    @task(1)
    def home(self) -> None:
        with self.client.get("/", name="GET /", catch_response=True) as r:
            _expect(r, 200)


class Staff(HttpUser):
    """Moderators and admins on the dashboard."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", CONFIG["session"])

    @task(3)
    def queue(self) -> None:
        with self.client.get("/dashboard/", name="GET /dashboard/", catch_response=True) as r:
            _expect(r, 200)

    @task(1)
    def metrics(self) -> None:
        with self.client.get("/dashboard/metrics/", name="GET /dashboard/metrics/", catch_response=True) as r:
            _expect(r, 200)


class Attacker(HttpUser):
    """Issue 10 §1: decompression bombs (34-byte WebP, PNG and GIF at 9400 x 9400, and hostile
    files under the caps), back to back. Each must be answered 202 or 4xx."""

    fixed_count = 3
    wait_time = constant_pacing(0)

    def on_start(self) -> None:
        self.bearer = {"Authorization": f"Bearer {CONFIG['attacker_key']}"}

    @task
    def bomb(self) -> None:
        name, data, status = random.choice(BOMBS)
        fields = {"signalType": "ImagePDQ", "hashValue": CONFIG["bank"][0], "contentId": name}
        with self.client.post(
            "/api/v1/matches",
            data=fields,
            files={"image": (name, data)},
            headers=self.bearer,
            name=f"attack {name}",
            catch_response=True,
        ) as r:
            _expect(r, status)


class Probe(HttpUser):
    """The victims' page every 200 ms, as a person would see it during an attack."""

    fixed_count = 1
    wait_time = constant_pacing(0.2)

    @task
    def probe(self) -> None:
        with self.client.get("/cases/check/", name="probe GET /cases/check/", catch_response=True) as r:
            _expect(r, 200)
