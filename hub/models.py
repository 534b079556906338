"""The metrics page's daily rollup (hub.rollups): counts per UTC day, series and key,
rebuilt by beat so the page reads a few thousand rows instead of scanning every table."""

from django.db import models


class MetricsDay(models.Model):
    day = models.DateField()
    series = models.CharField(max_length=32)
    key = models.CharField(max_length=150, blank=True)  # a partner id, a state, a moderator, a bucket
    count = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "day", "key"], name="metricsday_one_per_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.series} {self.key}: {self.count}"
