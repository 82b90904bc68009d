"""The tail's filter language: what each form matches, where malformed input
is reported, that nothing but FilterError ever escapes, that the raw-bytes
pre-check never changes an answer, and the incremental FilterView."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.errors import KViewError
from kview.core.filters import JSON_CACHE, FilterError, FilterView, JsonCache, parse_filter
from kview.core.ring import Ring, make_record


def rec(offset, key=None, value=None, headers=()):
    return make_record("t", 0, offset, 0, 0, key, value, headers)


RECORDS = [
    rec(
        0,
        b"order-1",
        json.dumps(
            {
                "user": {"id": 42, "name": "alice"},
                "status": "FAILED",
                "amount": 150.5,
                "items": [{"sku": "A1"}, {"sku": "B2"}],
                "ok": False,
            }
        ).encode(),
        [("trace", b"1"), ("source", b"web")],
    ),
    rec(1, None, json.dumps({"user": {"id": "42", "name": "Bob"}, "status": "OK", "amount": 50}).encode()),
    rec(2, b"order-3", b"plain text Hello World", [("trace", b"2"), ("empty", None)]),
    rec(3, b"order-4", None),  # tombstone
    rec(4, b"\xff\xfe", b"\x00\xffbinary"),
    rec(5, None, json.dumps({"status": "TIMEOUT", "amount": 100, "user": None}).encode()),
    rec(6, b"k", '{"name": "\u00e9mile", "status": "FA\\u0049LED"}'.encode()),
]


def matching(expression):
    predicate = parse_filter(expression)
    return [r.offset for r in RECORDS if predicate(r)]


@pytest.mark.parametrize(
    "expression, offsets",
    [
        ("", [0, 1, 2, 3, 4, 5, 6]),
        ("   ", [0, 1, 2, 3, 4, 5, 6]),
        # plain text: key or value, smart case
        ("order", [0, 2, 3]),
        ("hello", [2]),
        ("Hello", [2]),
        ("HELLO", []),
        ('"text Hello"', [2]),
        ("plain world", [2]),  # side by side: and
        ("binary", [4]),
        # regexes
        ("/hel+o/i", [2]),
        ("/hel+o/", []),
        ("re:W.rld", [2]),
        ("/order-[13]/", [0, 2]),
        # scopes
        ("key:order", [0, 2, 3]),
        ("value:order", []),
        ("key:/-4$/", [3]),
        ("value:re:(plain|nothing)", [2]),
        ("header:trace", [0, 2]),
        ("header:trace=1", [0]),
        ('header:source="web"', [0]),
        ("header:trace~^[12]$", [0, 2]),
        ("header:empty", [2]),
        ("headers:web", [0]),
        ("headers:/^trace=2$/", [2]),
        # JSON predicates
        (".user.id == 42", [0]),
        ('.user.id == "42"', [1]),
        ('.status in ["FAILED", "TIMEOUT"]', [0, 5, 6]),
        (".status not in [OK, FAILED]", [5]),
        (".amount > 100", [0]),
        (".amount >= 100", [0, 5]),
        (".amount < 100", [1]),
        ('.user.name ~ "^a"', [0]),
        (".user.name ~ /^b/i", [1]),
        (".name ~ ^é", [6]),
        (".items[1].sku == B2", [0]),
        (".items[-1].sku == B2", [0]),
        ('.["status"] == OK', [1]),
        (".ok == false", [0]),
        (".user == null", [5]),
        (".user", [0, 1, 5]),
        (".status != OK", [0, 5, 6]),
        (".", [0, 1, 5, 6]),
        ('.status == "FAILED"', [0, 6]),  # 6 spells it with an escape
        # combinations
        ("not .status == OK", [0, 2, 3, 4, 5, 6]),
        ("(.amount > 100 or .amount < 60) and not key:order", [1]),
        (".amount > 100 || header:trace=2", [0, 2]),
        ("key:order && ! hello", [0, 3]),
        ('key:order && !"hello"', [0, 3]),
        ("!hello", []),  # '!' glued to a word is part of the word: a search for "!hello"
        ("not not order", [0, 2, 3]),
        ("NOT order AND NOT binary", [1, 5, 6]),
    ],
)
def test_what_matches(expression, offsets):
    assert matching(expression) == offsets


@pytest.mark.parametrize(
    "expression, column, words",
    [
        ("(", 2, "never closed"),
        ("(order", 7, "close '('"),
        (")", 1, "without a matching"),
        ("order )", 7, "without a matching"),
        ("order and", 10, "search term was expected"),
        ("and order", 1, "needs a search term"),
        (".a ==", 4, "needs a value"),
        (".a in 5", 7, "needs a list"),
        (".a > true", 6, "number or a text"),
        ("/abc", 1, "closing '/'"),
        ("/a(/", 1, "invalid regular expression"),
        ("re:(", 4, "invalid regular expression"),
        ("/x/q", 4, "unknown regex flag"),
        ('"abc', 1, "never closed"),
        ("key:", 5, "right after the colon"),
        ("header:", 8, "header name"),
        (".a[", 4, "inside '[ ]'"),
        (".a[x]", 4, "inside '[ ]'"),
        (".a..b", 4, "field name"),
        (".a[0", 5, "close '['"),
        ("()", 2, "empty parentheses"),
        (".a == [1,", 10, "never closed"),
        (".a == [1 2]", 10, "',' or ']'"),
        ("(" * 70 + "x" + ")" * 70, 65, "nested"),
    ],
)
def test_malformed_expressions_name_the_column(expression, column, words):
    with pytest.raises(FilterError) as caught:
        parse_filter(expression)
    error = caught.value
    assert isinstance(error, KViewError)
    assert error.column == column, str(error)
    assert words in error.problem
    assert f"column {column}" in str(error)


def test_long_chains_do_not_recurse_per_term():
    predicate = parse_filter(" ".join(["order"] * 3000))
    assert predicate(RECORDS[0]) and not predicate(RECORDS[1])
    predicate = parse_filter(" or ".join(["nomatch"] * 3000 + ["hello"]))
    assert predicate(RECORDS[2])


def test_json_is_parsed_once_per_value():
    cache = JSON_CACHE
    cache.clear()
    value = json.dumps({"a": 1, "b": 2, "c": [3]}).encode()
    record = rec(9, None, value)
    predicate = parse_filter(".a == 1 and .b == 2 and .c[0] == 3")
    misses = cache.misses
    assert predicate(record) and predicate(record)
    assert cache.misses == misses + 1


def test_json_cache_is_bounded():
    cache = JsonCache(max_entries=3, max_bytes=1000, max_value=100)
    for i in range(10):
        assert cache.get(b'{"i": %d}' % i) == {"i": i}
    assert len(cache) == 3
    big = b'{"s": "' + b"x" * 200 + b'"}'
    assert cache.get(big) == {"s": "x" * 200} and len(cache) == 3  # too big to keep
    assert cache.get(None) is cache.get(b"not json")  # both NOT_JSON


# -- hypothesis ------------------------------------------------------------------------

FILTER_ALPHABET = st.sampled_from(
    list("abcAB01 .:=!<>~()[]\",/\\'re-_*+?{}|&^$") + ["and", "or", "not", "in", "key:", "header:", "re:", "é"]
)
arbitrary_records = st.builds(
    rec,
    st.integers(0, 10),
    st.one_of(st.none(), st.binary(max_size=20)),
    st.one_of(st.none(), st.binary(max_size=60), st.text(max_size=30).map(str.encode)),
    st.lists(st.tuples(st.text(max_size=5), st.one_of(st.none(), st.binary(max_size=5))), max_size=3).map(tuple),
)


def _check_never_raises_other(text, records):
    try:
        predicate = parse_filter(text)
    except FilterError as error:
        assert 1 <= error.column <= len(text) + 1
        return
    for record in records:
        assert predicate(record) in (True, False)


@given(text=st.text(max_size=40), records=st.lists(arbitrary_records, max_size=3))
def test_arbitrary_text_raises_only_filter_error(text, records):
    _check_never_raises_other(text, records)


@given(parts=st.lists(FILTER_ALPHABET, max_size=25), records=st.lists(arbitrary_records, max_size=3))
def test_filter_shaped_text_raises_only_filter_error(parts, records):
    _check_never_raises_other("".join(parts), records + RECORDS)


json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["FAILED", "OK", "é", 'a"b', "x\\y"])
)
docs = st.dictionaries(
    st.sampled_from(["status", 'st"at', "user", "é"]),
    st.one_of(json_leaf, st.dictionaries(st.sampled_from(["id", "status"]), json_leaf, max_size=2)),
    max_size=3,
)


def reference(doc, path, op, literal):
    """The JSON predicate evaluated the slow obvious way."""
    field = doc
    for step in path:
        if not isinstance(field, dict) or step not in field:
            return False
        field = field[step]

    def same(a, b):
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b)

    if op == "==":
        return same(field, literal)
    if op == "in":
        return any(same(field, x) for x in literal)
    if op == "exists":
        return True
    raise AssertionError(op)


@given(
    doc=docs,
    ensure_ascii=st.booleans(),
    path=st.sampled_from([("status",), ("user", "status"), ("é",), ('st"at',), ("user", "id")]),
    op=st.sampled_from(["==", "in", "exists"]),
    literal=st.sampled_from(["FAILED", "OK", "é", 'a"b', "x\\y"]),
)
def test_raw_bytes_precheck_never_changes_the_answer(doc, ensure_ascii, path, op, literal):
    # The predicate skips json.loads when the raw bytes prove a miss; whatever
    # the document's spelling (escapes or not), the answer must be the real one.
    value = json.dumps(doc, ensure_ascii=ensure_ascii).encode()

    def quoted(text):
        return json.dumps(text, ensure_ascii=False)

    path_text = "".join("." + quoted(step) for step in path)
    if op == "==":
        expression, wanted = f"{path_text} == {quoted(literal)}", literal
    elif op == "in":
        expression, wanted = f'{path_text} in [{quoted(literal)}, "zz"]', [literal, "zz"]
    else:
        expression, wanted = path_text, None
    JSON_CACHE.clear()
    assert parse_filter(expression)(rec(0, None, value)) == reference(doc, path, op, wanted)


# -- FilterView ------------------------------------------------------------------------


def test_select_gives_sequence_numbers_of_matches():
    assert parse_filter("order").select(RECORDS, 100) == [100, 102, 103]
    assert parse_filter("nothing-like-this").select(RECORDS, 0) == []
    assert parse_filter(".amount > 100").select(RECORDS, 10) == [10]  # no batch form: per record


small_bytes = st.binary(max_size=10).map(
    lambda b: bytes(c % 4 for c in b).translate(bytes.maketrans(b"\x00\x01\x02\x03", b"aA\x00b"))
)


@given(
    records=st.lists(
        st.builds(lambda k, v: rec(0, k, v), st.one_of(st.none(), small_bytes), st.one_of(st.none(), small_bytes)),
        max_size=15,
    ),
    expression=st.sampled_from(["a", "A", "aa", "ab", "Ab", "bA", "key:a", "value:A", "value:aa", "key:ba"]),
    first=st.integers(0, 1000),
)
def test_batch_select_agrees_with_the_predicate(records, expression, first):
    # Plain-text filters search a whole batch joined together; the answer must
    # be the per-record one, whatever NULs, cases and repeats the records hold.
    f = parse_filter(expression)
    assert f._select is not None
    assert f.select(records, first) == [first + i for i, r in enumerate(records) if f(r)]


def test_filter_view_tracks_the_ring_incrementally():
    ring = Ring(6)
    view = FilterView(ring, parse_filter("even"))
    ring.extend([rec(i, None, b"even" if i % 2 == 0 else b"odd") for i in range(5)])
    assert view.update() == 3
    assert len(view) == 3 and view.seqs() == [0, 2, 4]
    assert view.seq_at(1) == 2 and view.index_of(4) == 2 and view.index_of(3) is None
    ring.extend([rec(i, None, b"even" if i % 2 == 0 else b"odd") for i in range(5, 10)])
    assert view.update(limit=2) == 1 and not view.caught_up  # only seqs 5, 6 scanned
    assert view.update() == 1 and view.caught_up
    # Seqs 0..3 fell out of the ring (capacity 6): their matches are gone too.
    assert view.seqs() == [4, 6, 8] and len(view) == 3
    assert view.seqs(1, 2) == [6]
    with pytest.raises(IndexError):
        view.seq_at(3)


def test_filter_view_without_filter_is_the_ring():
    ring = Ring(4)
    view = FilterView(ring, parse_filter("  "))
    ring.extend([rec(i) for i in range(6)])
    assert not view.active and view.update() == 0
    assert len(view) == 4 and view.seqs() == [2, 3, 4, 5] and view.seq_at(0) == 2
    assert view.index_of(5) == 3 and view.index_of(1) is None


def test_filter_view_reset_rescans_what_is_kept():
    ring = Ring(10)
    ring.extend([rec(i, None, b"a" if i < 3 else b"b") for i in range(6)])
    view = FilterView(ring, parse_filter("a"))
    view.update()
    assert view.seqs() == [0, 1, 2]
    view.reset(parse_filter("b"))
    assert len(view) == 0
    view.update()
    assert view.seqs() == [3, 4, 5]
    ring.clear()
    view.reset(view.filter)
    view.update()
    assert len(view) == 0


@given(
    capacity=st.integers(1, 8),
    batches=st.lists(st.lists(st.booleans(), max_size=12), max_size=12),
    limits=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=4),
)
def test_filter_view_agrees_with_a_full_rescan(capacity, batches, limits):
    ring = Ring(capacity)
    view = FilterView(ring, parse_filter("yes"))
    seq = 0
    for i, batch in enumerate(batches):
        ring.extend([rec(seq + j, None, b"yes" if hit else b"no") for j, hit in enumerate(batch)])
        seq += len(batch)
        view.update(limits[i % len(limits)])
    while not view.caught_up:
        view.update(3)
    expected = [s for s, r in ring.iter_range() if r.value == b"yes"]
    assert view.seqs() == expected and len(view) == len(expected)
