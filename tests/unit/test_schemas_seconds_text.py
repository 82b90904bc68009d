"""The decoders' text of whole seconds since the epoch (Avro timestamps,
Protobuf Timestamps) against datetime's own isoformat, over the whole range
datetime covers, at its edges and past them."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kview.core.schemas.avro import seconds_text

EPOCH = dt.datetime(1970, 1, 1)
FIRST = -62135596800  # 0001-01-01T00:00:00
LAST = 253402300799  # 9999-12-31T23:59:59


def test_matches_datetime_isoformat_everywhere():
    rnd = random.Random(11)
    edges = [FIRST, LAST, 0, -1, 1, 59, 60, 3599, 3600, 86399, 86400, -86400, -86401, 951782400, 4107542400]
    for seconds in edges + [rnd.randint(FIRST, LAST) for _ in range(20000)]:
        assert seconds_text(seconds) == (EPOCH + dt.timedelta(seconds=seconds)).isoformat(), seconds


@pytest.mark.parametrize("seconds", [FIRST - 1, LAST + 1, 10**15])
def test_out_of_range_fails_as_datetime_does(seconds):
    with pytest.raises(OverflowError):
        EPOCH + dt.timedelta(seconds=seconds)
    with pytest.raises(OverflowError):
        seconds_text(seconds)
