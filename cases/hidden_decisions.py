"""Review decisions a staff member may not read on the case page yet. Review items belong to
moderation, which imports cases (never the other way), so moderation adds its rule here when it
loads (moderation/apps.py): a blind second reviewer's items (moderation/qa_blind.py)."""

from collections.abc import Callable, Iterable
from dataclasses import replace

from django.contrib.auth.models import User

from cases.selectors import CaseHashRow

HiddenRule = Callable[[User, list[int]], Iterable[int]]
_rules: list[HiddenRule] = []


def hidden_decisions_rule_add(rule: HiddenRule) -> None:
    if rule not in _rules:
        _rules.append(rule)


def hidden_decision_item_ids(*, user: User, rows: list[CaseHashRow]) -> set[int]:
    """Of the rows' review items, those whose decision ``user`` may not read now."""
    item_ids = [item.pk for row in rows for item in row.review_items]
    return {pk for rule in _rules for pk in rule(user, item_ids)} if item_ids else set()


def case_hash_rows_hide(rows: list[CaseHashRow], *, hidden: set[int]) -> list[CaseHashRow]:
    """The hub's own verdict on a hash is its latest decision: left out where one is hidden."""
    return [
        replace(row, verdicts=[v for v in row.verdicts if not v.hub])
        if any(item.pk in hidden for item in row.review_items)
        else row
        for row in rows
    ]
