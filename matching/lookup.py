"""The answer to ``POST /api/v1/lookup``: per input hash, the active bank hashes within the
partner's own threshold, each with what a partner needs to weigh it: its opaque id (to
ignore it on the partner's side), how many partners said Blocked and NotBlocked, the hub
moderators' verdict, and whether it is quarantined. A hash the negative bank covers matches
nothing."""

from collections import defaultdict
from typing import Any

from matching.degenerate import DegenerateHash
from matching.intake import partner_radius
from matching.models import HashFeedback
from matching.negative_bank import negative_covered
from matching.selectors import BankMatch, bank_matches_many
from matching.signal_types import HashFormatError, SignalType
from matching.video import VideoBankMatch, video_input_validate, video_matches
from partners.models import Partner


def bank_verdicts(bank_hash_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Per bank hash: partners' Blocked / NotBlocked counts and the hub's own verdict. One query."""
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"blocked": 0, "notBlocked": 0, "hub": None})
    rows = HashFeedback.objects.filter(bank_hash_id__in=bank_hash_ids).values_list(
        "bank_hash_id", "partner_id", "value"
    )
    for bank_hash_id, partner_id, value in rows:
        verdict = out[bank_hash_id]
        if partner_id is None:
            verdict["hub"] = value
        elif value == HashFeedback.Value.BLOCKED:
            verdict["blocked"] += 1
        elif value == HashFeedback.Value.NOT_BLOCKED:
            verdict["notBlocked"] += 1
    return out


def _match_out(match: BankMatch, verdict: dict[str, Any]) -> dict[str, Any]:
    bank_hash = match.bank_hash
    hub = verdict["hub"]
    return {
        "bankHashId": str(bank_hash.public_id),
        "hashValue": bank_hash.value,
        "distance": match.distance,
        "hashStatus": bank_hash.status,
        "quarantined": bank_hash.quarantined_at is not None,
        "verdicts": {"blocked": verdict["blocked"], "notBlocked": verdict["notBlocked"]},
        "hubVerdict": hub if hub in (HashFeedback.Value.BLOCKED, HashFeedback.Value.NOT_BLOCKED) else None,
        "hubConfirmed": hub == HashFeedback.Value.BLOCKED,
    }


def lookup_answer(*, partner: Partner, signal_type: str, values: list[str], given: list[str]) -> list[dict[str, Any]]:
    benign = negative_covered(signal_type=signal_type, values=values)
    found = bank_matches_many(signal_type=signal_type, values=values, radius=partner_radius(partner))
    found = [[] if covered else matches for matches, covered in zip(found, benign, strict=True)]
    verdicts = bank_verdicts({m.bank_hash.pk for matches in found for m in matches})
    return [
        {
            "hashValue": raw,
            "knownBenign": covered,
            "matches": [_match_out(m, verdicts[m.bank_hash.pk]) for m in matches],
        }
        for raw, matches, covered in zip(given, found, benign, strict=True)
    ]


def _video_match_out(match: VideoBankMatch, verdict: dict[str, Any]) -> dict[str, Any]:
    out = _match_out(BankMatch(match.bank_hash, 0), verdict)
    return {**out, "queryMatchPercent": round(match.query_pct, 2), "targetMatchPercent": round(match.target_pct, 2)}


def video_lookup_answer(*, raw: list[Any]) -> list[dict[str, Any]]:
    """``lookup_answer`` for VideoPDQ values: per video, the bank videos it matches at the
    hub's thresholds, each with its share of query and bank frames that matched. A value
    is named by its position when malformed (nothing is answered)."""
    videos = []
    for i, value in enumerate(raw):
        try:
            videos.append(video_input_validate(value))
        except DegenerateHash as exc:
            raise DegenerateHash(f"hashes.{i}: {exc}", reason=exc.reason) from None
        except HashFormatError as exc:
            raise HashFormatError(f"hashes.{i}: {exc}") from None
    benign = negative_covered(signal_type=SignalType.VPDQ, values=[v.key for v in videos])
    found = [[] if covered else video_matches(v) for v, covered in zip(videos, benign, strict=True)]
    verdicts = bank_verdicts({m.bank_hash.pk for matches in found for m in matches})
    return [
        {
            "hashValue": given,
            "knownBenign": covered,
            "matches": [_video_match_out(m, verdicts[m.bank_hash.pk]) for m in matches],
        }
        for given, matches, covered in zip(raw, found, benign, strict=True)
    ]
