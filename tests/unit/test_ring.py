"""The tail's ring buffer: sequence numbers, wrap-around, counters, and a
hypothesis model (a plain list of everything appended) it must agree with."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kview.core.ring import (
    DEFAULT_CAPACITY,
    Ring,
    header_value,
    make_record,
    record_size,
    timestamp_type_name,
)


def test_empty_ring():
    ring = Ring(4)
    assert len(ring) == 0 and not ring
    assert (ring.first, ring.next, ring.last) == (0, 0, -1)
    assert (ring.seen, ring.kept, ring.dropped, ring.cleared) == (0, 0, 0, 0)
    assert ring.range() == [] and list(ring) == []
    assert ring.get(0) is None and ring.get(0, "x") == "x"
    with pytest.raises(IndexError):
        ring[0]


def test_default_capacity_and_validation():
    assert Ring().capacity == DEFAULT_CAPACITY == 100_000
    with pytest.raises(ValueError):
        Ring(0)


def test_sequence_numbers_are_absolute():
    ring = Ring(10)
    assert ring.extend(["a", "b", "c"]) == 0
    assert ring.append("d") == 3
    assert ring.extend([]) == 4
    assert ring.extend(["e"]) == 4
    assert [ring[i] for i in range(5)] == ["a", "b", "c", "d", "e"]
    assert ring.last == 4 and ring.next == 5


def test_wrap_around_keeps_newest_and_numbers():
    ring = Ring(5)
    ring.extend([0, 1, 2])
    ring.extend([3, 4, 5])  # wraps: 0 falls out
    assert (ring.first, ring.next) == (1, 6)
    assert ring.range() == [1, 2, 3, 4, 5]
    ring.extend([6, 7, 8, 9])  # wraps again, the write straddles the end of the buffer
    assert ring.range() == [5, 6, 7, 8, 9]
    assert ring.get(4) is None and ring[5] == 5 and ring[9] == 9
    assert (ring.seen, ring.kept, ring.dropped) == (10, 5, 5)
    assert 4 not in ring and 5 in ring and 10 not in ring
    # A range across the physical end of the buffer comes back in order.
    assert ring.range(6, 9) == [6, 7, 8]
    assert list(ring.iter_range(7)) == [(7, 7), (8, 8), (9, 9)]


def test_batch_larger_than_capacity_keeps_its_tail():
    ring = Ring(4)
    ring.extend(["x"])
    first = ring.extend(list(range(10)))
    assert first == 1
    assert ring.range() == [6, 7, 8, 9]
    assert (ring.first, ring.next, ring.dropped) == (7, 11, 7)
    assert ring[7] == 6 and ring[10] == 9


def test_range_is_clipped_to_what_is_kept():
    ring = Ring(3)
    ring.extend("abcde")
    assert ring.range(-100, 100) == ["c", "d", "e"]
    assert ring.range(3) == ["d", "e"]
    assert ring.range(4, 2) == []
    assert ring.tail(2) == ["d", "e"] and ring.tail(0) == [] and ring.tail(99) == ["c", "d", "e"]


def test_clear_keeps_counting():
    ring = Ring(3)
    ring.extend("abcd")
    ring.clear()
    assert len(ring) == 0 and (ring.first, ring.next) == (4, 4)
    assert (ring.seen, ring.dropped, ring.cleared) == (4, 1, 3)
    assert ring.extend("z") == 4 and ring[4] == "z" and ring.get(3) is None


def test_non_int_index_is_a_type_error():
    ring = Ring(3)
    ring.extend("ab")
    with pytest.raises(TypeError):
        ring[0:1]  # type: ignore[index]


def test_record_helpers():
    record = make_record("t", 2, 40, 1700, 1, b"k", b"value", [("a", b"1"), ("b", None)])
    assert (record.topic, record.partition, record.offset, record.timestamp) == ("t", 2, 40, 1700)
    assert record.key == b"k" and record.value == b"value"
    assert record.headers == (("a", b"1"), ("b", None))
    assert timestamp_type_name(record) == "LogAppendTime"
    assert record_size(record) == 6
    assert header_value(record, "a") == b"1" and header_value(record, "b") is None
    assert header_value(record, "zz") is None
    tombstone = make_record("t", 0, 1, key=b"k", value=None)
    assert tombstone.value is None and record_size(tombstone) == 1


def test_make_record_equals_what_the_consumer_makes():
    # The ring holds aiokafka's own records; make_record must build the same
    # object (an export read back compares equal to the records tailed).
    from aiokafka.structs import ConsumerRecord

    consumer_made = ConsumerRecord("t", 0, 5, 17, 0, None, b"v", None, -1, 1, (("h", b"x"),))
    assert make_record("t", 0, 5, 17, 0, None, b"v", [("h", b"x")]) == consumer_made


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 12),
    batches=st.lists(st.lists(st.integers(), max_size=30), max_size=30),
)
def test_matches_a_list_model(capacity, batches):
    ring = Ring(capacity)
    model: list[int] = []
    for batch in batches:
        first = ring.extend(batch)
        assert first == len(model)
        model.extend(batch)
        kept = model[-capacity:] if model else []
        assert ring.range() == kept
        assert ring.first == len(model) - len(kept)
        assert (ring.seen, ring.kept, ring.dropped) == (len(model), len(kept), len(model) - len(kept))
        for seq in range(len(model)):
            expected = model[seq] if seq >= ring.first else None
            assert ring.get(seq) == expected


class RingMachine(RuleBasedStateMachine):
    """Random appends, clears and range reads against a list of (seq, item)."""

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 7
        self.ring = Ring(self.capacity)
        self.all: list[int] = []  # everything ever appended, by sequence number
        self.visible_from = 0  # first sequence number still in the model
        self.cleared = 0

    @rule(batch=st.lists(st.integers(0, 1000), max_size=20))
    def extend(self, batch):
        assert self.ring.extend(batch) == len(self.all)
        self.all.extend(batch)
        self.visible_from = max(self.visible_from, len(self.all) - self.capacity)

    @rule(item=st.integers())
    def append(self, item):
        assert self.ring.append(item) == len(self.all)
        self.all.append(item)
        self.visible_from = max(self.visible_from, len(self.all) - self.capacity)

    @precondition(lambda self: self.all)
    @rule()
    def clear(self):
        self.cleared += len(self.all) - self.visible_from
        self.ring.clear()
        self.visible_from = len(self.all)

    @rule(start=st.integers(-3, 60), stop=st.integers(-3, 60))
    def read_range(self, start, stop):
        lo, hi = max(start, self.visible_from), min(stop, len(self.all))
        assert self.ring.range(start, stop) == (self.all[lo:hi] if hi > lo else [])

    @invariant()
    def counters_agree(self):
        ring = self.ring
        assert ring.next == len(self.all) == ring.seen
        assert ring.first == self.visible_from
        assert ring.kept == len(self.all) - self.visible_from == len(ring)
        assert ring.cleared == self.cleared
        assert ring.seen == ring.kept + ring.dropped + ring.cleared
        assert list(ring) == self.all[self.visible_from :]


TestRingMachine = RingMachine.TestCase
TestRingMachine.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


# -- a filter view over the ring, narrowed as a filter is typed ----------------------------

_WORDS = [b"FAILED", b"failed", b"Fail", b"fa", b"ok", b"FAX", b"xfaILx"]


def test_narrows_only_when_every_match_would_match_the_old_filter():
    from kview.core.filters import parse_filter

    def narrows(new: str, old: str) -> bool:
        return parse_filter(new).narrows(parse_filter(old))

    assert narrows("FA", "F") and narrows("fa", "f") and narrows("fA", "f") and narrows("FAIL", "AI")
    assert narrows("x", "")  # everything matched before
    assert not narrows("fa", "F")  # case-insensitive now, exact before
    assert not narrows("F", "FA") and not narrows("key:FA", "FA") and not narrows("/FA/", "F")
    assert not narrows('.status == "FAILED"', "FAILED")


@settings(max_examples=150, deadline=None)
@given(
    capacity=st.sampled_from([5, 50, 400]),
    typed=st.sampled_from(
        [
            ["f", "fa", "fai", "fail"],
            ["F", "FA", "FAI", "FAILED"],
            ["f", "fA", "fAI"],
            ["F", "Fa", "fa"],
            ["fa", "f", "fai"],
            ["", "F", "FA"],
            ["key:F", "key:FA", "FA"],
        ]
    ),
    steps=st.lists(st.tuples(st.integers(1, 300), st.integers(0, 120)), max_size=4),
    data=st.data(),
)
def test_filter_view_agrees_with_a_full_rescan(capacity, typed, steps, data):
    """Whatever the order of keystrokes, partial scans and arriving batches,
    the view ends with exactly the records the filter matches."""
    from kview.core.filters import FilterView, parse_filter

    ring = Ring(capacity)
    made = [0]

    def arrive(n: int) -> None:
        values = data.draw(st.lists(st.sampled_from(_WORDS), min_size=n, max_size=n))
        keys = data.draw(st.lists(st.sampled_from([None, b"k", b"FA"]), min_size=n, max_size=n))
        ring.extend(
            [
                make_record("t", 0, made[0] + i, key=k, value=v)
                for i, (k, v) in enumerate(zip(keys, values, strict=True))
            ]
        )
        made[0] += n

    arrive(data.draw(st.integers(0, 600)))
    view = FilterView(ring)
    for text in typed:
        match = parse_filter(text)
        view.reset(match)
        for limit, newcomers in steps:
            view.update(limit)
            arrive(newcomers)
        while not view.caught_up:
            view.update(data.draw(st.integers(1, 300)))
        expected = [s for s in range(ring.first, ring.next) if match.matches_all or match(ring[s])]
        assert (view.seqs() if view.active else list(range(ring.first, ring.next))) == expected
        assert len(view) == len(expected)
