"""The one place numbers become text: counts, byte sizes, rates and durations,
for the panes and the headless tables alike (plain functions over numbers;
no textual or rich, so the headless commands use them without the UI).

One rule throughout: a value is rounded half away from zero to the last digit
shown (its exact value: 1.25 KiB shows as 1.3 KiB), and the unit is chosen
for the ROUNDED value, so a value just under a unit boundary carries over
into the next unit (59.6 s is '1m00s', never '59s' or '60s'; 1023.96 B is
'1.0 KiB', never '1024 B').  The sign is kept and goes in front of the
magnitude's text ('-2.0 KiB'); a value that rounds to zero has none.
Unknown (None) and non-finite values are '-'."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

UNKNOWN = "-"

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_RATE_STEPS = ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "G"))
_LETTER = {1: "s", 60: "m", 3600: "h", 86400: "d"}
_DURATIONS = (
    # (seconds in the last unit shown, seconds in the first, the form's upper bound)
    (1, 1, 60),  # 45s
    (1, 60, 3600),  # 3m05s
    (60, 3600, 86400),  # 2h10m
    (3600, 86400, None),  # 3d04h
)


def _round(value: float, digits: int = 0) -> Decimal:
    """``value`` (not negative) rounded half up to ``digits`` decimals, from
    its exact binary value (Decimal(float) is exact)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _signed(negative: bool, magnitude: Decimal, text: str) -> str:
    return f"-{text}" if negative and magnitude != 0 else text


def human_count(value: int | float | None) -> str:
    """12345 -> '12,345'; 2.25 -> '2.3'; None -> '-'.  Whole numbers show
    whole, others with one decimal."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    shown = _round(abs(value), 1)
    return _signed(value < 0, shown, f"{shown:,.1f}")


def human_bytes(value: int | float | None) -> str:
    """Binary units: '512 B', '1.5 KiB', '-2.0 KiB', '3.2 GiB'; whole bytes
    below 1 KiB, one decimal above."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    size = abs(float(value))
    for power, unit in enumerate(_BYTE_UNITS):
        digits = 0 if power == 0 else 1
        shown = _round(size / 1024**power, digits)
        if shown < 1024 or unit == _BYTE_UNITS[-1]:
            return _signed(value < 0, shown, f"{shown:.{digits}f} {unit}")
    raise AssertionError("unreachable")  # pragma: no cover


def quota_value(key: str, value: float) -> str:
    """A client quota as ``key=value``: the exact number as one would type it
    (whole numbers without a fraction: 2097152, not 2.09715e+06), and for a
    byte rate its size too: 'producer_byte_rate=2097152 (2.0 MiB/s)'."""
    number = str(int(value)) if math.isfinite(value) and float(value).is_integer() else repr(float(value))
    text = f"{key}={number}"
    return f"{text} ({human_bytes(value)}/s)" if key.endswith("_byte_rate") else text


def human_rate(value: float | None, unit: str = "/s") -> str:
    """Per-second rates: '12.3/s' below 100, '1,234/s' below 10,000, then
    '12.3k/s', '4.5M/s', '1.2G/s'.  ``unit`` follows the number ('' where a
    column's header says it)."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    rate = abs(float(value))
    shown = _round(rate, 1)
    if shown < 100:
        return _signed(value < 0, shown, f"{shown:.1f}{unit}")
    shown = _round(rate)
    if shown < 10_000:
        return _signed(value < 0, shown, f"{shown:,.0f}{unit}")
    # The first step whose rounded figure stays below 1000 (a rounded 999.96k
    # carries over to 1.0M; G has no bound).
    for step, suffix in _RATE_STEPS:
        shown = _round(rate / step, 1)
        if shown < 1000 or suffix == _RATE_STEPS[-1][1]:
            return _signed(value < 0, shown, f"{shown:,.1f}{suffix}{unit}")
    raise AssertionError("unreachable")  # pragma: no cover


def human_duration(seconds: float | None) -> str:
    """Seconds as the two largest units: '45s', '3m05s', '2h10m', '3d04h';
    rounded to the last unit shown (3630 s is '1h01m')."""
    if seconds is None or not math.isfinite(seconds):
        return UNKNOWN
    size = abs(float(seconds))
    for last, first, bound in _DURATIONS:
        units = int(_round(size / last))
        total = units * last
        if bound is not None and total >= bound:
            continue
        if first == last:
            text = f"{units}s"
        else:
            high, low = divmod(total, first)
            text = f"{high}{_LETTER[first]}{low // last:02d}{_LETTER[last]}"
        return f"-{text}" if seconds < 0 and units else text
    raise AssertionError("unreachable")  # pragma: no cover
