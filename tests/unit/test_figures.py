"""The Figures page's pure rules: the months a range covers, their edges in the club's zone,
and medians read from histograms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from loyalty.figures import Months, median, months

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_by_default_the_last_twelve_months_up_to_this_one_in_the_clubs_zone() -> None:
    assert months(None, None, NOW, ROME) == Months(date(2025, 12, 1), date(2026, 11, 1))
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already January in Rome
    assert months("", "", new_year, ROME) == Months(date(2026, 2, 1), date(2027, 1, 1))


def test_a_range_asked_for_is_kept_put_in_order_and_cut_to_five_years() -> None:
    assert months("2026-02", "2026-04", NOW, ROME).labels() == ["2026-02", "2026-03", "2026-04"]
    assert months("2026-04", "2026-02", NOW, ROME) == Months(date(2026, 2, 1), date(2026, 4, 1))
    assert months("2026-13", "nonsense", NOW, ROME) == months(None, None, NOW, ROME)
    long = months("2000-01", "2026-11", NOW, ROME)
    assert len(long.labels()) == 60 and long.last == date(2026, 11, 1)


def test_edges_are_midnight_on_the_first_in_the_clubs_zone_across_summer_time() -> None:
    edges = [e.astimezone(UTC) for e in Months(date(2026, 3, 1), date(2026, 4, 1)).edges(ROME)]
    assert edges == [
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 31, 22, tzinfo=UTC),  # summer time began on the 29th
        datetime(2026, 4, 30, 22, tzinfo=UTC),
    ]


def test_a_median_from_a_histogram() -> None:
    assert median([]) is None
    assert median([(10, 1)]) == 10
    assert median([(25, 1), (5, 1)]) == 15
    assert median([(1, 2), (9, 1)]) == 1
    assert median([(1, 2), (3, 2), (100, 0)]) == 2
