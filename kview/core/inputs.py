"""What users type for positions in a log: offsets, partitions, counts and
points in time.  One grammar for the tail's start and jump forms, the reset
form and the headless ``--from``, so the same text means the same everywhere.

Every parser returns a value Kafka can encode (offsets fit an int64,
partitions an int32, times fall between 1970 and 9999-12-30) or raises
:class:`InputError` with a sentence for the user: never Python's own
``ValueError``/``OverflowError`` text, and never a value that would fail later
inside a request encoder."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from kview.core.errors import InputError

MAX_OFFSET = 2**63 - 1
"""Offsets are int64 in Kafka's protocol."""
MAX_PARTITION = 2**31 - 1
"""Partition ids are int32."""
MAX_RANGE = 100_000
"""Partitions one range may name; more than any topic holds (Kafka's default
limit is far lower), and small enough that expanding it costs nothing."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)
"""A day short of the calendar's end, so converting to any local time zone
cannot overflow."""

_RELATIVE = re.compile(
    r"(?:now\s*)?-\s*(\d{1,12}(?:\.\d{1,6})?)\s*([smhdw])|(\d{1,12}(?:\.\d{1,6})?)\s*([smhdw])\s+ago",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

WHEN_FORMS = "2024-05-01 12:00 (local), 2024-05-01T12:00:00+02:00, 12:30 (today), -15m, 2h ago or epoch milliseconds"


def is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts '²' and '٣', which
    ``int()`` then refuses."""
    return text.isascii() and text.isdigit()


def parse_offset(text: str, what: str = "offset") -> int:
    """A non-negative offset that fits Kafka's int64."""
    value = text.strip()
    if not is_number(value):
        raise InputError(
            f"'{value}' is not an {what}: type a whole number, 0 or more" if value else f"type an {what}, e.g. 1234"
        )
    number = int(value)
    if number > MAX_OFFSET:
        raise InputError(f"{what} {value} is beyond the largest Kafka offset ({MAX_OFFSET})")
    return number


def parse_count(text: str, what: str = "number of records") -> int:
    """A positive count (of records per partition, for example)."""
    value = text.strip()
    if not is_number(value) or int(value) == 0:
        raise InputError(f"'{value}' is not a {what}: type a whole number, 1 or more")
    return min(int(value), MAX_OFFSET)


def parse_shift(text: str) -> int:
    """A signed number of records to move by (negative goes back)."""
    value = text.strip()
    sign, digits = (value[0], value[1:]) if value[:1] in ("+", "-") else ("", value)
    if not is_number(digits):
        raise InputError("N must be a whole number (negative goes back)")
    number = int(digits)
    if number > MAX_OFFSET:
        raise InputError(f"shifting by {value} goes beyond any Kafka offset")
    return -number if sign == "-" else number


def parse_partition(text: str, partitions: int | None = None) -> int | None:
    """None for every partition (empty, ``all`` or ``*``), else one partition
    that exists when the topic's partition count is given."""
    value = text.strip().lower()
    if value in ("", "all", "*"):
        return None
    if not is_number(value) or int(value) > MAX_PARTITION:
        raise InputError(f"partition '{value}' is not a partition number (leave it empty for all partitions)")
    partition = int(value)
    if partitions is not None and partition >= partitions:
        raise InputError(f"the topic has {partitions} partition(s): 0 to {partitions - 1}")
    return partition


def parse_partitions(text: str, count: int | None = None) -> tuple[int, ...]:
    """``"0,2,4-6"`` -> (0, 2, 4, 5, 6).  With ``count``, every partition must
    exist (0 .. count-1)."""
    chosen: set[int] = set()
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        match = re.fullmatch(r"(\d{1,10})\s*(?:-\s*(\d{1,10}))?", token, re.ASCII)
        if not match:
            raise InputError(f"'{token}' is not a partition number or a range like 4-6")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise InputError(f"the range '{token}' goes backwards")
        # Checked before expanding the range: '0-9999999999' must not build a
        # set of ten billion numbers.
        limit = count if count is not None else MAX_PARTITION + 1
        if high >= limit:
            first_missing = max(low, limit)
            shown = f"{first_missing}" if first_missing == high else f"{first_missing}-{high}"
            raise InputError(
                f"the topic has partitions 0-{limit - 1} only (no {shown})"
                if count is not None
                else f"{high} is not a partition number"
            )
        if high - low >= MAX_RANGE:
            raise InputError(f"the range '{token}' names more than {MAX_RANGE:,} partitions")
        chosen.update(range(low, high + 1))
    if not chosen:
        raise InputError("give the partitions, e.g. 0,2,4-6")
    return tuple(sorted(chosen))


def parse_offsets(text: str) -> int | dict[int, int]:
    """``1234`` (every partition) or ``0:10,1:25`` / ``p0=10`` (per partition)."""
    value = text.strip()
    if not value:
        raise InputError("type an offset, e.g. 1234, or per partition 0:10,1:25")
    if is_number(value):
        return parse_offset(value)
    pairs: dict[int, int] = {}
    for item in value.split(","):
        body = item.strip().lstrip("pP")
        partition, sep, offset = body.partition(":")
        if not sep:
            partition, sep, offset = body.partition("=")
        partition, offset = partition.strip(), offset.strip()
        if not (sep and is_number(partition) and is_number(offset)):
            raise InputError(f"'{item.strip()}' is not an offset: use 1234 or partition:offset pairs like 0:10,1:25")
        if int(partition) > MAX_PARTITION:
            raise InputError(f"{partition} is not a partition number")
        pairs[int(partition)] = parse_offset(offset)
    return pairs


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time from what a user types: ISO 8601 (``2024-05-01 12:00``,
    ``...T12:00:00Z``), a time today (``12:30``, ``12:30:15``), relative to now
    (``-15m``, ``2h ago``, ``now-1d``), or epoch seconds (9 to 11 digits) or
    milliseconds (12 or more).  Naive results mean local time.  The result
    lies between 1970 and 9999: Kafka's timestamps are milliseconds since 1970."""
    value = text.strip()
    now = now or datetime.now()
    if not value:
        raise InputError(f"type a date and time: {WHEN_FORMS}")
    if value.lower() == "now":
        return now
    relative = _RELATIVE.fullmatch(value)
    if relative:
        amount = float(relative.group(1) or relative.group(3))
        unit = _UNITS[(relative.group(2) or relative.group(4)).lower()]
        try:
            when = now - timedelta(**{unit: amount})
        except OverflowError:
            raise InputError(f"'{value}' reaches back before 1970") from None
        return _within_kafka_time(when, value)
    if is_number(value):
        if len(value) < 9:
            raise InputError(f"'{value}' is not a time: epoch times have 9 or more digits; use {WHEN_FORMS}")
        number = int(value)
        seconds = number // 1000 if len(value) >= 12 else number
        if seconds > (_LATEST - _EPOCH).total_seconds():
            raise InputError(f"'{value}' is after 9999-12-30")
        try:
            # Whole seconds plus a timedelta: exact, where number / 1000 as a
            # float could land a millisecond off.
            if len(value) >= 12:
                return datetime.fromtimestamp(number // 1000) + timedelta(milliseconds=number % 1000)
            return datetime.fromtimestamp(number)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"'{value}' is too far from today to be a Kafka timestamp") from None
    clock = _CLOCK.fullmatch(value)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InputError(f"'{value}' is not a time of day (00:00 to 23:59:59)")
        return now.replace(hour=hour, minute=minute, second=second, microsecond=0)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"'{value}' is not a date and time: use {WHEN_FORMS}") from None
    return _within_kafka_time(when, value)


def epoch_ms(when: datetime) -> int:
    """Milliseconds since the epoch for a time from :func:`parse_when`
    (naive meaning local time), the unit of Kafka's timestamps."""
    try:
        aware = when if when.tzinfo is not None else when.astimezone()
        # Integer arithmetic on timedeltas: when.timestamp() * 1000 is a float
        # and can come out a millisecond short.
        return (aware - _EPOCH) // timedelta(milliseconds=1)
    except (OverflowError, OSError, ValueError):
        raise InputError(f"{when} cannot be expressed as a Kafka timestamp") from None


def _within_kafka_time(when: datetime, typed: str) -> datetime:
    try:
        # astimezone() and comparing aware times both shift by the UTC offset,
        # which overflows at the edges of the calendar (year 1, year 9999).
        aware = when if when.tzinfo is not None else when.astimezone()
        too_early, too_late = aware < _EPOCH, aware > _LATEST
    except (OverflowError, OSError, ValueError):
        raise InputError(f"'{typed}' is too far from today to be a Kafka timestamp") from None
    if too_early:
        raise InputError(f"'{typed}' is before 1970: Kafka timestamps start at 1970-01-01")
    if too_late:
        raise InputError(f"'{typed}' is after 9999-12-30")
    return when
