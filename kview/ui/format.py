"""Number and time formatting shared by panes (plain functions, no widgets)."""

from __future__ import annotations


def human_count(value: int | float | None) -> str:
    """12345 -> '12,345'; None -> '-'."""
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def human_rate(value: float | None, unit: str = "/s") -> str:
    if value is None:
        return "-"
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M{unit}"
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f}k{unit}"
    return f"{value:,.1f}{unit}"


def human_duration(seconds: float | None) -> str:
    """Seconds -> '45s', '3m05s', '2h10m', '3d04h'; None -> '-'."""
    if seconds is None:
        return "-"
    negative = seconds < 0
    s = int(abs(seconds))
    if s < 60:
        text = f"{s}s"
    elif s < 3600:
        text = f"{s // 60}m{s % 60:02d}s"
    elif s < 86400:
        text = f"{s // 3600}h{(s % 3600) // 60:02d}m"
    else:
        text = f"{s // 86400}d{(s % 86400) // 3600:02d}h"
    return f"-{text}" if negative else text
