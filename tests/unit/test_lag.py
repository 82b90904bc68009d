"""The lag rules on synthetic timelines: status for every case, rates, catch-up,
time-lag interpolation and the tracker's bookkeeping."""

from __future__ import annotations

import pytest

from kview.core.lag import (
    GroupStatus,
    LagTracker,
    OffsetTimeline,
    TimeLag,
    catch_up_seconds,
    classify,
    estimate_time_lag,
    exact_time_lag,
    lag_growing,
    max_time_lag,
    partition_lag,
    rate,
    retention_breached,
    total_lag,
)

TP = ("t", 0)


def feed(tracker: LagTracker, points, *, group="g", members=1, tp=TP):
    """points: (time, committed or None, log_end)."""
    for at, committed, end in points:
        tracker.observe_log_end(at, {tp: end})
        tracker.observe_group(group, at, {} if committed is None else {tp: committed}, {tp: end}, members)


# -- small pure functions -----------------------------------------------------------------


def test_partition_lag_keeps_negative_and_unknown():
    assert partition_lag(5, 12) == 7
    assert partition_lag(15, 12) == -3
    assert partition_lag(None, 12) is None
    assert partition_lag(3, None) is None


def test_total_lag_ignores_negative_and_missing():
    committed = {("t", 0): 5, ("t", 1): 20, ("t", 2): 1}
    log_end = {("t", 0): 10, ("t", 1): 12}
    assert total_lag(committed, log_end) == 5


def test_retention_breach():
    assert retention_breached(3, 10)
    assert not retention_breached(10, 10)
    assert not retention_breached(None, 10)
    assert not retention_breached(3, None)


def test_rate_counts_forward_movement_only():
    assert rate({TP: 110, ("t", 1): 0}, {TP: 100, ("t", 1): 50}, 5.0) == pytest.approx(2.0)
    assert rate({TP: 110}, {}, 5.0) == 0.0
    assert rate({TP: 110}, {TP: 100}, 0.0) is None


def test_catch_up():
    assert catch_up_seconds(0, None, None) == 0.0
    assert catch_up_seconds(100, 30.0, 10.0) == pytest.approx(5.0)
    assert catch_up_seconds(100, 10.0, 10.0) is None  # never at these rates
    assert catch_up_seconds(100, None, 1.0) is None
    assert catch_up_seconds(100, 4.0, None) == pytest.approx(25.0)


def test_exact_time_lag_never_negative():
    assert exact_time_lag(10_000, 12.5) == TimeLag(2.5, exact=True)
    assert exact_time_lag(20_000, 12.5).seconds == 0.0
    assert exact_time_lag(10_000, 12.5, at_least=True).at_least


def test_max_time_lag_prefers_bounds_on_ties():
    a, b = TimeLag(0.0, exact=True), TimeLag(0.0, exact=False, at_least=True)
    assert max_time_lag([a, b]) is b
    assert max_time_lag([TimeLag(3, True), None, TimeLag(5, False)]) == TimeLag(5, False)
    assert max_time_lag([None]) is None


def test_lag_growing_needs_three_points_and_a_positive_trend():
    assert not lag_growing([(0, 1), (1, 5)])
    assert lag_growing([(0, 1), (1, 3), (2, 6)])
    assert not lag_growing([(0, 5), (1, 9), (2, 5)])  # ends where it began
    # a saw-tooth of commits that ends higher but trends down is not growth
    assert not lag_growing([(0, 50), (1, 80), (2, 10), (3, 40), (4, 5), (5, 51)])


# -- classify: every status --------------------------------------------------------------


def test_classify_every_status():
    flat = [(0, 10), (10, 10), (20, 10)]
    growing = [(0, 10), (10, 20), (20, 30)]
    assert classify(flat, members=1, idle_seconds=5, window_seconds=30) is GroupStatus.OK
    assert classify(growing, members=1, idle_seconds=5, window_seconds=30) is GroupStatus.WARN
    assert classify(flat, members=2, idle_seconds=31, window_seconds=30) is GroupStatus.STALL
    assert classify(flat, members=0, idle_seconds=31, window_seconds=30) is GroupStatus.STOP
    assert classify(flat, members=0, idle_seconds=5, window_seconds=30) is GroupStatus.EMPTY
    # no lag: never stalled or stopped, however long nothing moved
    zero = [(0, 0), (10, 0), (20, 0)]
    assert classify(zero, members=1, idle_seconds=999, window_seconds=30) is GroupStatus.OK
    assert classify(zero, members=0, idle_seconds=999, window_seconds=30) is GroupStatus.EMPTY


# -- tracker on synthetic histories ------------------------------------------------------


def test_tracker_ok_when_consumer_keeps_up():
    tracker = LagTracker(window=30, rate_window=10)
    # produced 10/s, committed right behind
    feed(tracker, [(t, 10 * t - 5, 10 * t) for t in range(1, 41)])
    health = tracker.evaluate("g")
    assert health.status is GroupStatus.OK
    assert health.lag == 5
    assert health.consumption_rate == pytest.approx(10.0)
    assert health.production_rate == pytest.approx(10.0)
    assert health.catch_up_seconds is None  # net rate 0: not catching up
    assert health.idle_seconds == 0


def test_tracker_warn_when_lag_grows_while_offsets_advance():
    tracker = LagTracker(window=30, rate_window=10)
    feed(tracker, [(t, 5 * t, 10 * t) for t in range(1, 41)])  # consumes half the rate
    health = tracker.evaluate("g")
    assert health.status is GroupStatus.WARN
    assert health.consumption_rate == pytest.approx(5.0)
    assert health.production_rate == pytest.approx(10.0)
    assert health.catch_up_seconds is None


def test_tracker_catching_up():
    tracker = LagTracker(window=30, rate_window=10)
    # backlog of 1000 shrinking: consume 30/s, produce 10/s
    feed(tracker, [(t, 30 * t, 1000 + 10 * t) for t in range(0, 21)])
    health = tracker.evaluate("g")
    assert health.status is GroupStatus.OK
    assert health.lag == 1000 + 200 - 600
    assert health.catch_up_seconds == pytest.approx(600 / 20)


def test_tracker_stall_then_stop_when_members_leave():
    tracker = LagTracker(window=10)
    # consuming until t=5, then the committed offset freezes at 50 while producing
    feed(tracker, [(t, 10 * t, 10 * t + 3) for t in range(0, 6)])
    feed(tracker, [(t, 50, 10 * t + 3) for t in range(6, 14)])
    health = tracker.evaluate("g")
    assert health.idle_seconds == 8  # last change seen at t=5
    assert health.status is GroupStatus.WARN  # lag grows, not yet a full window idle
    feed(tracker, [(t, 50, 10 * t + 3) for t in range(14, 17)])
    assert tracker.evaluate("g").status is GroupStatus.STALL  # idle 11 > 10, members present
    feed(tracker, [(17, 50, 173)], members=0)
    assert tracker.evaluate("g").status is GroupStatus.STOP


def test_tracker_empty_then_stop():
    tracker = LagTracker(window=10)
    feed(tracker, [(0, 100, 100), (1, 110, 120)], members=0)
    assert tracker.evaluate("g").status is GroupStatus.EMPTY  # just changed
    feed(tracker, [(t, 110, 120) for t in range(2, 11)], members=0)
    assert tracker.evaluate("g").status is GroupStatus.EMPTY  # idle exactly 10: not longer
    feed(tracker, [(12, 110, 120)], members=0)
    assert tracker.evaluate("g").status is GroupStatus.STOP  # idle 11 > 10 with lag 10
    # caught up (someone committed the end): EMPTY again
    feed(tracker, [(13, 120, 120)], members=0)
    assert tracker.evaluate("g").status is GroupStatus.EMPTY


def test_tracker_idle_counts_from_first_sight():
    tracker = LagTracker(window=10)
    feed(tracker, [(t, 5, 50) for t in range(100, 112)], members=3)
    health = tracker.evaluate("g")
    assert health.idle_seconds == 11
    assert health.status is GroupStatus.STALL


def test_tracker_reset_backwards_is_not_consumption():
    tracker = LagTracker(window=30, rate_window=5)
    feed(tracker, [(0, 100, 200), (5, 0, 200)], members=0)
    assert tracker.evaluate("g").consumption_rate == 0.0


def test_tracker_history_is_bounded_and_sparkline_ordered():
    tracker = LagTracker(window=10, history=20, rate_window=5)
    feed(tracker, [(t, t, 2 * t) for t in range(0, 100)])
    samples = tracker.samples("g")
    assert samples[0].at >= 100 - 1 - 20 - 1  # one sample older than the horizon is kept
    history = tracker.evaluate("g").lag_history
    assert [h[0] for h in history] == sorted(h[0] for h in history)
    assert history[-1] == (99, 99)
    assert all(at >= 99 - 20 for at, _ in history)


def test_tracker_forgets_groups():
    tracker = LagTracker()
    feed(tracker, [(0, 1, 2)], group="a")
    feed(tracker, [(0, 1, 2)], group="b")
    tracker.retain(["b"])
    assert tracker.evaluate("a") is None and tracker.evaluate("b") is not None
    tracker.forget("b")
    assert tracker.evaluate("b") is None


def test_tracker_single_sample_has_no_rates():
    tracker = LagTracker()
    feed(tracker, [(0, 1, 2)], members=0)
    health = tracker.evaluate("g")
    assert health.consumption_rate is None and health.production_rate is None
    assert health.status is GroupStatus.EMPTY


# -- time lag from the log-end timeline -----------------------------------------------------


def test_timeline_interpolates_inside_an_interval():
    tl = OffsetTimeline()
    tl.observe(100.0, 0)
    tl.observe(110.0, 10)  # records 0..9 appended during (100, 110]
    written, at_least = tl.write_time(4)
    assert not at_least
    assert written == pytest.approx(105.0)  # 5th of 10 records
    assert tl.write_time(9)[0] == pytest.approx(110.0)
    assert tl.write_time(10) is None  # not written yet


def test_timeline_uses_last_sighting_of_a_value():
    tl = OffsetTimeline()
    tl.observe(0.0, 50)
    tl.observe(10.0, 50)
    tl.observe(20.0, 50)  # idle topic: the run (0..20, 50)
    tl.observe(22.0, 52)  # 50 and 51 appended during (20, 22]
    assert len(tl.runs) == 2
    assert tl.write_time(50)[0] == pytest.approx(21.0)
    assert tl.write_time(51)[0] == pytest.approx(22.0)


def test_timeline_older_than_history_is_a_bound():
    tl = OffsetTimeline()
    tl.observe(100.0, 30)
    tl.observe(105.0, 40)
    assert tl.write_time(10) == (100.0, True)


def test_timeline_restarts_when_log_end_goes_back():
    tl = OffsetTimeline()
    tl.observe(0.0, 100)
    tl.observe(5.0, 200)
    tl.observe(10.0, 3)  # topic recreated
    assert [r.end for r in tl.runs] == [3]


def test_timeline_is_bounded():
    tl = OffsetTimeline(max_runs=5)
    for i in range(20):
        tl.observe(float(i), i)
    assert len(tl.runs) == 5 and tl.runs[0].end == 15


def test_estimate_time_lag_cases():
    tl = OffsetTimeline()
    tl.observe(100.0, 0)
    tl.observe(110.0, 10)
    assert estimate_time_lag(tl, 10, 10, 130.0) == TimeLag(0.0, exact=True)  # caught up
    assert estimate_time_lag(tl, 12, 10, 130.0) == TimeLag(0.0, exact=True)  # negative lag
    assert estimate_time_lag(tl, None, 10, 130.0) is None
    assert estimate_time_lag(None, 3, 10, 130.0) is None
    lag = estimate_time_lag(tl, 4, 10, 130.0)
    assert not lag.exact and not lag.at_least
    assert lag.seconds == pytest.approx(25.0)


def test_tracker_time_lags_per_partition():
    tracker = LagTracker(window=60)
    t0, t1 = ("t", 0), ("t", 1)
    for at, ends in [(0.0, (0, 0)), (10.0, (100, 5)), (20.0, (200, 5))]:
        tracker.observe_log_end(at, {t0: ends[0], t1: ends[1]})
    tracker.observe_group("g", 20.0, {t0: 150, t1: 5}, {t0: 200, t1: 5}, 1)
    health = tracker.evaluate("g", now=30.0)
    # offset 150 is the 51st of the records appended during (10, 20]
    assert health.time_lags[t0].seconds == pytest.approx(30.0 - 15.1)
    assert health.time_lags[t1] == TimeLag(0.0, exact=True)
    assert health.time_lag == health.time_lags[t0]


def test_tracker_drops_stale_partition_timelines():
    tracker = LagTracker(window=10, history=10, rate_window=5)
    tracker.observe_log_end(0.0, {("old", 0): 5})
    tracker.observe_log_end(100.0, {("new", 0): 5})
    assert tracker.timeline(("old", 0)) is None
    assert tracker.timeline(("new", 0)) is not None


def test_tracker_rejects_bad_settings():
    with pytest.raises(ValueError):
        LagTracker(window=0)
