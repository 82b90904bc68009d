"""kview find's pure parts: Kafka's key partitioner, the byte-level scan of
record batches (against a model that decodes every record), the bounds of a
window, the progress figures."""

from __future__ import annotations

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from hypothesis import given
from hypothesis import strategies as st

from kview.core.errors import InputError
from kview.core.find.batches import MANY, Needle, records_through, scan_batches
from kview.core.find.partitioner import murmur2, partition_for_key, to_positive
from kview.core.find.scan import FindProgress
from kview.core.find.window import Bound, parse_bound

# Kafka's own values: org.apache.kafka.common.utils.Utils.murmur2 and
# toPositive, called from a Java program against kafka-clients-4.4.0.jar
# (the keys' UTF-8 bytes), printed and copied here.
KAFKA_MURMUR2 = [
    ("", 275646681),
    ("a", -1563381124),
    ("ab", 316155434),
    ("abc", 479470107),
    ("abcd", -1323649548),
    ("order-1", 1221710326),
    ("order-42", 501153024),
    ("customer-0007", -1868512110),
    ("kview", -205834944),
    ("héllo wörld", 439213890),
    ("the quick brown fox jumps over the lazy dog", -890066680),
]


@pytest.mark.parametrize(("key", "expected"), KAFKA_MURMUR2)
def test_murmur2_is_kafkas(key, expected):
    assert murmur2(key.encode()) == expected


def test_partition_clears_the_sign_bit_not_abs():
    # Kafka's toPositive(-1563381124) is 584102524 (abs would give 1563381124).
    assert to_positive(-1563381124) == 584102524
    assert partition_for_key(b"a", 7) == 584102524 % 7
    assert partition_for_key(b"a", 7) != abs(-1563381124) % 7
    with pytest.raises(ValueError):
        partition_for_key(b"a", 0)


# -- batches --------------------------------------------------------------------------


def batch(base: int, records: list[tuple[bytes | None, bytes | None]], codec: int = 0, *, step: int = 1) -> bytes:
    """A record batch as a producer writes it, at ``base`` (offsets ``step`` apart,
    as compaction leaves them)."""
    builder = DefaultRecordBatchBuilder(2, codec, 0, -1, -1, -1, 1 << 30)
    for i, (key, value) in enumerate(records):
        builder.append(i * step, 1_000 + i, key, value, [("h", b"header-text")])
    data = bytearray(builder.build())
    data[0:8] = base.to_bytes(8, "big")
    return bytes(data)


def control_batch(base: int) -> bytes:
    data = bytearray(batch(base, [(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00")]))
    data[22] |= 0x20  # attributes: a control batch (a transaction marker)
    return bytes(data)


def test_batches_without_the_needle_are_counted_not_decoded():
    data = batch(0, [(b"k", b"alpha")] * 5) + batch(5, [(b"k", b"beta")] * 5) + batch(10, [(b"k", b"gamma")] * 5)
    scan = scan_batches(data, "t", 0, 0, 15, Needle(b"beta"))
    assert scan.records == 15
    assert scan.decoded_batches == 1
    assert [r.offset for r in scan.candidates] == [5, 6, 7, 8, 9]
    assert scan.done and scan.next_offset == 15


def test_a_needle_only_in_headers_or_across_records_is_no_candidate():
    data = batch(0, [(b"ab", b"cd"), (b"ef", b"gh")])
    for needle in (b"header-text", b"cdef", b"dh"):
        scan = scan_batches(data, "t", 0, 0, 2, Needle(needle))
        assert scan.candidates == [], needle
        assert scan.records == 2


def test_window_edges_inside_batches_count_exactly():
    data = batch(100, [(None, b"x%d" % i) for i in range(10)]) + batch(110, [(None, b"y")] * 10)
    scan = scan_batches(data, "t", 3, 104, 113, None)
    assert [r.offset for r in scan.candidates] == list(range(104, 113))
    assert scan.records == 9
    assert scan.done and scan.next_offset == 113
    assert {r.partition for r in scan.candidates} == {3}


def test_control_batches_hold_no_records():
    data = batch(0, [(b"k", b"v")] * 3) + control_batch(3) + batch(4, [(b"k", b"v")] * 2)
    scan = scan_batches(data, "t", 0, 0, 6, None)
    assert [r.offset for r in scan.candidates] == [0, 1, 2, 4, 5]
    assert scan.records == 5
    assert scan.next_offset == 6


def test_a_batch_cut_short_is_left_for_the_next_fetch():
    first = batch(0, [(b"k", b"needle")] * 4)
    second = batch(4, [(b"k", b"needle")] * 4)
    scan = scan_batches(first + second[:-7], "t", 0, 0, 8, Needle(b"needle"))
    assert scan.records == 4 and scan.next_offset == 4 and not scan.done
    assert [r.offset for r in scan.candidates] == [0, 1, 2, 3]


def test_compacted_offsets_and_compressed_batches():
    data = batch(0, [(b"k%d" % i, b"v%d" % i) for i in range(5)], codec=1, step=3)  # gzip, offsets 0,3,..,12
    scan = scan_batches(data, "t", 0, 0, 13, Needle(b"v3"))
    assert scan.records == 5
    assert [(r.offset, r.value) for r in scan.candidates] == [(9, b"v3")]
    assert scan.next_offset == 13


def test_records_through_a_cut_counts_up_to_the_match():
    data = batch(0, [(b"k", b"a")] * 5) + batch(5, [(b"k", b"a"), (b"k", b"b"), (b"k", b"a"), (b"k", b"b")])
    scan = scan_batches(data, "t", 0, 2, 9, Needle(b"b"))
    assert [r.offset for r in scan.candidates] == [6, 8]
    assert records_through(scan, data, 2, 6) == 5  # offsets 2..6
    assert records_through(scan, data, 2, 8) == 7


VALUES = st.one_of(st.none(), st.binary(max_size=12).map(lambda b: bytes(c % 4 + 97 for c in b)))


@given(
    records=st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 20), min_size=1, max_size=6),
    codec=st.sampled_from([0, 1]),
    needle=st.binary(min_size=1, max_size=3).map(lambda b: bytes(c % 4 + 97 for c in b)),
    fold=st.booleans(),
    upper=st.booleans(),
    window=st.tuples(st.integers(0, 70), st.integers(0, 70)),
)
def test_scan_finds_every_record_a_full_decode_would(records, cuts, codec, needle, fold, upper, window):
    check_scan(records, cuts, codec, needle, fold, upper, window)


@given(
    records=st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 20), min_size=1, max_size=6),
    needle=st.binary(min_size=1, max_size=2).map(lambda b: bytes(c % 4 + 97 for c in b)),
    fold=st.booleans(),
    window=st.tuples(st.integers(0, 70), st.integers(0, 70)),
)
def test_batches_with_many_occurrences_find_the_same(records, cuts, needle, fold, window):
    """With MANY at 1, nearly every batch has more occurrences than are counted
    down: each record is tested with ``in`` and nothing is cut short."""
    import kview.core.find.batches as batches

    saved = batches.MANY
    batches.MANY = 1
    try:
        check_scan(records, cuts, 0, needle, fold, True, window)
    finally:
        batches.MANY = saved


def batches_of(records, cuts, codec):
    """The records cut into batches of the sizes ``cuts`` gives in turn; and each
    offset's timestamp (``batch`` stamps them by their place in their batch)."""
    data, at, i, stamps = b"", 0, 0, {}
    while at < len(records):
        size = cuts[i % len(cuts)]
        data += batch(at, records[at : at + size], codec)
        stamps.update({at + j: 1_000 + j for j in range(len(records[at : at + size]))})
        at += size
        i += 1
    return data, stamps


def assert_built_whole(candidates, records, stamps):
    """Each candidate carries what the consumer would give for its record."""
    for r in candidates:
        key, value = records[r.offset]
        assert (r.topic, r.partition, r.key, r.value) == ("t", 0, key, value)
        assert r.timestamp == stamps[r.offset] and r.timestamp_type == 0
        assert r.serialized_key_size == (-1 if key is None else len(key))
        assert r.serialized_value_size == (-1 if value is None else len(value))
        assert tuple(r.headers) == (("h", b"header-text"),)


@given(
    records=st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 20), min_size=1, max_size=6),
    codec=st.sampled_from([0, 1]),
    window=st.tuples(st.integers(0, 70), st.integers(0, 70)),
)
def test_without_a_needle_every_record_of_the_window_is_a_candidate(records, cuts, codec, window):
    data, stamps = batches_of(records, cuts, codec)
    start, end = min(window), max(window)
    scan = scan_batches(data, "t", 0, start, end, None)
    in_window = [o for o in range(len(records)) if start <= o < end]
    assert scan.records == len(in_window)
    assert [r.offset for r in scan.candidates] == in_window
    assert_built_whole(scan.candidates, records, stamps)


def check_scan(records, cuts, codec, needle, fold, upper, window):
    if upper:  # some upper case in the data, which a folded needle must see through
        records = [(k.upper() if k else k, v) for k, v in records]
    data, stamps = batches_of(records, cuts, codec)
    start, end = min(window), max(window)
    scan = scan_batches(data, "t", 0, start, end, Needle(needle, fold))

    def holds(part):
        return part is not None and needle in (part.lower() if fold else part)

    in_window = [o for o in range(len(records)) if start <= o < end]
    wanted = [o for o in in_window if holds(records[o][0]) or holds(records[o][1])]
    assert scan.records == len(in_window)
    got = [r.offset for r in scan.candidates]
    assert got == wanted  # only records holding the needle are built, and every one of them
    assert_built_whole(scan.candidates, records, stamps)
    if end < len(records) or start < end == len(records):
        assert scan.done and scan.next_offset == end
    else:  # the window runs past the data: read to its end, not done
        assert not scan.done and scan.next_offset == max(start, len(records))


def test_many_occurrences_test_every_record():
    values = [(None, b"aaaa")] * (MANY + 10)
    scan = scan_batches(batch(0, values), "t", 0, 0, len(values), Needle(b"aa"))
    assert len(scan.candidates) == len(values)


# -- bounds and progress ------------------------------------------------------------


def test_bounds():
    default = Bound.latest()
    assert parse_bound(None, default) == default
    assert parse_bound("earliest", default) == Bound.earliest()
    assert parse_bound("1234", default) == Bound.offset(1234)
    assert parse_bound("1700000000000", default).kind == "offset"  # digits are an offset
    at = parse_bound("2026-01-02T03:04:05Z", default)
    assert at == Bound.time(1767323045000)
    with pytest.raises(InputError, match="--from"):
        parse_bound("yesterdayish", default, "--from")


def test_progress_rate_and_eta():
    progress = FindProgress(scanned=250, total=1000, records=250, matched=3, elapsed=2.0)
    assert progress.rate == 125.0
    assert progress.eta == 6.0
    assert progress.fraction == 0.25
    assert FindProgress(0, 1000, 0, 0, 0.0).eta is None


def test_the_headless_arguments_copy_cores_figures():
    """kview.headless.args imports nothing (``kview --help`` stays fast), so it
    repeats these; they must stay equal."""
    from kview.core.codecs import FORMATS
    from kview.core.find.scan import KEPT_MATCHES
    from kview.core.schemas.decoder import DECODINGS
    from kview.headless import args

    assert args.KEPT_MATCHES == KEPT_MATCHES
    assert args.DECODINGS == DECODINGS
    assert args.FORMATS == FORMATS
