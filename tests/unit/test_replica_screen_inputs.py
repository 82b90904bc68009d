"""What the replica screens read from the keyboard and how they shorten
names, without Textual running: the throttle field, the hand editor's
``partition: brokers`` lines and the middle cut of long topic names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from kview.ui.screens.reassign_plan import parse_hand_lines, parse_rate
from kview.ui.widgets.fitted_table import middle_cut


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("", None),
        ("  ", None),
        ("1048576", 1_048_576),
        ("10MB", 10_000_000),
        ("10 mb/s", 10_000_000),
        ("512KiB", 524_288),
        ("1.5GiB", 1_610_612_736),
        ("20k", 20_000),
    ],
)
def test_throttle_rates(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["fast", "10 parsecs", "-5MB", "0", "0.1"])
def test_bad_throttle_rates_say_why(text):
    with pytest.raises(ValueError, match="rate|at least 1 byte"):
        parse_rate(text)


def test_hand_lines_become_assignments_in_order():
    text = "# the first broker leads\n0: 3,1,2\n\n 2 = 2, 3 \n"
    assert parse_hand_lines("t", text) == ({("t", 0): (3, 1, 2), ("t", 2): (2, 3)}, {})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 1,2", "line 1: expected 'partition: broker,broker'"),
        ("0: 1,2\n0: 2,3", "line 2: partition 0 is given twice"),
        ("1: 2,2", "line 1: partition 1 names a broker twice"),
        ("0: a,b", "line 1: expected"),
        ("", "hand: give at least one"),
    ],
)
def test_bad_hand_lines_name_the_line(text, problem):
    assignments, problems = parse_hand_lines("t", text)
    assert problem in "; ".join(f"{k}: {v}" for k, v in problems.items())


TOPIC_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
"""What Kafka allows in a topic name (one cell each)."""


@given(st.text(alphabet=TOPIC_CHARS, max_size=249), st.integers(min_value=1, max_value=60))
def test_middle_cut_fits_and_keeps_both_ends(text, width):
    cut = middle_cut(text, width)
    if cell_len(text) <= width:
        assert cut == text
        return
    assert cut.count("…") == 1 and cell_len(cut) == width
    head, _, tail = cut.partition("…")
    assert text.startswith(head) and text.endswith(tail)
    assert len(head) >= len(tail) >= (width - 1) // 2
