"""Durations on the metrics page: one unit per figure, chosen by its size."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hub import metrics
from moderation.models import ReviewItem
from ncii_site.templatetags.durations import duration_text
from tests.factories import BankHashFactory, UserFactory
from tests.staff_helpers import signed_in


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        ((0.5,), "30 minutes"),
        ((1 / 60,), "1 minute"),
        ((2.5, 3.7), "2.5 / 3.7 hours"),
        ((0.25, 3.0), "0.2 / 3 hours"),  # a pair shares the larger one's unit
        ((47.0,), "47 hours"),
        ((960.0,), "40 days"),
        ((None,), "—"),
        ((None, 5.0), "— / 5 hours"),
    ],
)
def test_a_duration_is_written_in_the_one_unit_its_size_needs(hours, text):
    assert duration_text(*hours) == text


def test_the_metrics_page_writes_each_figure_in_one_unit(db):
    now = timezone.now()
    for opened, decided in ((now - timedelta(hours=3), now - timedelta(hours=1)), (now - timedelta(hours=5), now)):
        made = ReviewItem.objects.create(bank_hash=BankHashFactory(), state="confirmed")
        ReviewItem.objects.filter(pk=made.pk).update(opened_at=opened, decided_at=decided)
    pending = ReviewItem.objects.create(bank_hash=BankHashFactory(), state="pending")
    ReviewItem.objects.filter(pk=pending.pk).update(opened_at=now - timedelta(days=3))
    metrics.metrics_cache_clear()
    page = signed_in(UserFactory(role="admin")).get(reverse("metrics")).content.decode()
    metrics.metrics_cache_clear()
    assert re.search(r"<strong>\d+(\.\d)? / \d+(\.\d)? hours</strong>time to decision", page)
    assert "pending, oldest 3 days" in page and "(oldest 3 days)" in page
    assert not re.search(r"\d h\b", page)  # no second spelling of the unit beside the word
