"""The pure parts of the groups UI: lag resampling, sparkline and chart
drawing, the reset form's parsing, and the text of time lags, catch-up and
assignments.  No Kafka, no running app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kview.core.groups import GroupSummary, ResetRow
from kview.core.lag import GroupStatus, TimeLag
from kview.ui.panes.group_detail import assignment_text
from kview.ui.panes.groups import catch_up_text, group_matches, time_lag_text
from kview.ui.screens.reset_offsets import (
    build_spec,
    lag_totals,
    parse_datetime,
    parse_partitions,
    parse_reset_value,
)
from kview.ui.widgets.lag_chart import BLOCKS, LagChart, lag_sparkline, resample


def summary(**changes) -> GroupSummary:
    base = dict(
        name="g",
        state="Stable",
        protocol_type="consumer",
        assignor="range",
        members=(),
        topics=("t",),
        partition_count=1,
        uncommitted_partitions=0,
        status=GroupStatus.OK,
        total_lag=0,
        retention_breach=False,
        consumption_rate=None,
        production_rate=None,
        catch_up_seconds=None,
        time_lag=None,
        idle_seconds=0.0,
        lag_history=(),
    )
    base.update(changes)
    return GroupSummary(**base)


# -- resampling and drawing ------------------------------------------------------------------


def test_resample_holds_each_sample_until_the_next():
    # Samples at 0 and 5 over 10 s in 10 slots: the first value holds until 5.
    values = resample([(0.0, 10), (5.0, 20)], 10, 0.0, 10.0)
    assert values == [10, 10, 10, 10, 10, 20, 20, 20, 20, 20]


def test_resample_keeps_the_largest_in_a_slot_and_none_before_the_first():
    values = resample([(4.0, 3), (4.5, 9), (4.9, 1)], 5, 0.0, 10.0)
    # Slot 2 ([4, 6)) holds three samples: the spike (9) is drawn, then the
    # last value (1) carries on.
    assert values == [None, None, 9, 1, 1]


def test_resample_uses_the_sample_before_the_window():
    assert resample([(-100.0, 7), (8.0, 2)], 4, 0.0, 10.0) == [7, 7, 7, 2]


def test_sparkline_is_a_trend_between_smallest_and_largest():
    points = [(float(t), 1000 + 10 * t) for t in range(11)]
    line = lag_sparkline(points, 11, now=10.0, span=300)
    assert len(line) == 11
    assert line[0] == BLOCKS[1] and line[-1] == BLOCKS[8]
    assert list(line) == sorted(line, key=BLOCKS.index)  # never goes down


def test_sparkline_of_a_flat_lag():
    zero = lag_sparkline([(0.0, 0), (10.0, 0)], 5, now=10.0)
    assert zero == BLOCKS[1] * 5
    flat = lag_sparkline([(0.0, 42), (10.0, 42)], 5, now=10.0)
    assert flat == BLOCKS[4] * 5
    assert lag_sparkline([], 5, now=10.0) == ""


def test_sparkline_covers_only_the_span():
    # An old spike outside the last 60 s is not drawn.
    points = [(0.0, 1000), (200.0, 5), (230.0, 10), (260.0, 5)]
    line = lag_sparkline(points, 6, now=260.0, span=60)
    assert BLOCKS[8] in line and len(line) == 6
    assert line.count(BLOCKS[8]) <= 2


def test_chart_scales_from_zero_with_labels():
    chart = LagChart(span=600)
    chart.set_history([(0.0, 0), (50.0, 400), (100.0, 800)], now=100.0)
    lines = [line.plain for line in chart.render_lines_for(30, 5)]
    assert len(lines) == 5
    assert lines[0].strip().startswith("800 ┤")
    assert lines[3].strip().startswith("0 ┤")
    assert "now" in lines[4] and "-1m40s" in lines[4]
    plot = [line[len("800 ┤") :] for line in lines[:4]]
    # The last column reaches the top; the first (lag 0) is only the baseline.
    assert plot[0][-1] == BLOCKS[8]
    assert plot[3][0] == BLOCKS[1] and all(row[0] == " " for row in plot[:3])
    # Half the largest lag fills half the rows.
    middle = [row[len(row) // 2 + 1] for row in plot]
    assert middle[0] == " " and middle[2] == BLOCKS[8] and middle[3] == BLOCKS[8]


def test_chart_without_samples_says_so():
    chart = LagChart()
    assert "no lag samples yet" in chart.render_lines_for(60, 5)[0].plain


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lag", "text"),
    [
        (None, "-"),
        (TimeLag(0.0, exact=True), "0s"),
        (TimeLag(75.0, exact=True), "1m15s"),
        (TimeLag(75.0, exact=False), "~1m15s"),
        (TimeLag(0.3, exact=False), "~<1s"),
        (TimeLag(3600.0, exact=False, at_least=True), "≥~1h00m"),
        (TimeLag(30.0, exact=True, at_least=True), "≥30s"),
    ],
)
def test_time_lag_text(lag, text):
    assert time_lag_text(lag) == text


def test_catch_up_text():
    assert catch_up_text(summary(total_lag=0)) == "0s"
    assert catch_up_text(summary(total_lag=10, consumption_rate=None)) == "…"
    assert catch_up_text(summary(total_lag=10, consumption_rate=5.0, catch_up_seconds=None)) == "never"
    assert catch_up_text(summary(total_lag=10, consumption_rate=5.0, catch_up_seconds=130.0)) == "2m10s"


def test_assignment_text_folds_runs():
    assert assignment_text((("b", 1), ("a", 2), ("a", 0), ("a", 1), ("a", 5))) == "a:0-2,5 b:1"
    assert assignment_text(()) == "-"


def test_filter_matches_name_or_topic_with_smart_case():
    g = summary(name="Billing-v2", topics=("orders", "payments"))
    assert group_matches("bill")(g) and group_matches("pay")(g) and group_matches("bill orders")(g)
    assert not group_matches("bill refunds")(g)
    assert group_matches("Billing")(g) and not group_matches("BILLING")(g)


# -- the reset form --------------------------------------------------------------------------


def test_parse_partitions():
    assert parse_partitions("0, 2,4-6") == ((0, 2, 4, 5, 6), None)
    assert parse_partitions("3,3,1") == ((1, 3), None)
    assert parse_partitions("")[1] == "give the partitions, e.g. 0,2,4-6"
    assert "goes backwards" in parse_partitions("5-2")[1]
    assert "not a partition number" in parse_partitions("x")[1]
    assert parse_partitions("0-3", count=3)[1] == "the topic has partitions 0-2 only (no 3)"


def test_parse_reset_values():
    assert parse_reset_value("earliest", "anything") == (None, None)
    assert parse_reset_value("offset", "120") == (120, None)
    assert "whole number" in parse_reset_value("offset", "-1")[1]
    assert parse_reset_value("shift", "-25") == (-25, None)
    assert parse_reset_value("shift", "+5") == (5, None)
    assert "whole number" in parse_reset_value("shift", "1.5")[1]
    assert parse_reset_value("datetime", "1714557600000") == (1714557600000, None)
    assert "not a date and time" in parse_reset_value("datetime", "yesterday")[1]


def test_parse_datetime_forms():
    assert parse_datetime("2024-05-01 12:00") == datetime(2024, 5, 1, 12, 0)
    assert parse_datetime("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    now = datetime(2024, 5, 1, 12, 0)
    assert parse_datetime("-2h", now) == datetime(2024, 5, 1, 10, 0)
    assert parse_datetime("-30m", now) == datetime(2024, 5, 1, 11, 30)
    assert parse_datetime("-1d", now) == datetime(2024, 4, 30, 12, 0)


def test_build_spec_from_fields():
    counts = {"orders": 6}
    spec, problems = build_spec("shift", "-3", "partitions", "orders", "0,2-3", counts)
    assert problems == {}
    assert (spec.kind, spec.value, spec.topic, spec.partitions) == ("shift", -3, "orders", (0, 2, 3))
    spec, problems = build_spec("latest", "", "all", "orders", "", counts)
    assert problems == {} and spec.topic is None and spec.partitions is None
    spec, problems = build_spec("offset", "x", "topic", None, "", counts)
    assert spec is None and set(problems) == {"value", "topic"}
    spec, problems = build_spec("earliest", "", "partitions", "orders", "7", counts)
    assert spec is None and "0-5 only" in problems["partitions"]


def test_lag_totals_of_a_preview():
    rows = [ResetRow("t", 0, 5, 0, 0, 10), ResetRow("t", 1, None, 3, 0, 8), ResetRow("t", 2, 12, 10, 0, 10)]
    # Lag now: 5 (p0) + nothing (p1, no commit) + 0 (p2 past the end); after: 10 + 5 + 0.
    assert lag_totals(rows) == (5, 15)
