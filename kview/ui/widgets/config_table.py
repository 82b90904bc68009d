"""A table of configs (a topic's or a broker's): value, where it comes from,
the default behind it, and a mark on every value that is not Kafka's own
default.  Used by the topic detail and the brokers pane."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from kview.core.brokers import ConfigEntry
from kview.ui.widgets.diff_table import Column
from kview.ui.widgets.elastic_table import ElasticDiffTable

SOURCE_LABELS = {
    "DYNAMIC_TOPIC_CONFIG": "topic",
    "DYNAMIC_BROKER_CONFIG": "broker (dynamic)",
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "cluster (dynamic)",
    "STATIC_BROKER_CONFIG": "broker (static)",
    "DEFAULT_CONFIG": "Kafka default",
    "DYNAMIC_BROKER_LOGGER_CONFIG": "broker logger",
    "DYNAMIC_CLIENT_METRICS_CONFIG": "client metrics",
    "DYNAMIC_GROUP_CONFIG": "group",
}

NON_DEFAULT_MARK = "●"

CONFIG_COLUMNS = (
    Column("mark", " ", 1, 0),
    Column("name", "Config", 28, 0),
    Column("value", "Value", 16, 0),
    Column("source", "Source", 20, 1),
    Column("default", "Default behind it", 24, 2),
)


def source_label(source: str | None) -> str:
    """Kafka's ConfigSource name in words."""
    if source is None:
        return "-"
    return SOURCE_LABELS.get(source, source.lower().replace("_", " "))


def value_text(entry: ConfigEntry) -> str:
    if entry.value is None:
        return "(sensitive)" if entry.sensitive else "(none)"
    return entry.value


def config_rows(entries: Iterable[ConfigEntry], *, non_default_only: bool = False, text: str = ""):
    """DiffTable rows: values that are set somewhere first, then the rest, by name."""
    needle = text.strip().lower()
    chosen = [
        e for e in entries if (not non_default_only or e.non_default) and (not needle or needle in e.name.lower())
    ]
    chosen.sort(key=lambda e: (not e.non_default, e.name))
    rows = []
    for entry in chosen:
        marked = entry.non_default
        name = Text(entry.name, style="bold") if marked else entry.name
        fallback = "-" if entry.fallback is None else entry.fallback
        if entry.fallback_source:
            fallback = f"{fallback} ({source_label(entry.fallback_source)})"
        rows.append(
            (
                entry.name,
                (NON_DEFAULT_MARK if marked else "", name, value_text(entry), source_label(entry.source), fallback),
                (marked, entry.name, entry.value, entry.source, entry.fallback),
            )
        )
    return rows


class ConfigTable(ElasticDiffTable):
    """Configs with their source; ``●`` and bold mark the non-default ones.
    The value, the name, then the value again take the width left over."""

    def __init__(self, **kwargs) -> None:
        super().__init__(CONFIG_COLUMNS, elastic=(("value", 32), ("name", 44), ("value", 60)), **kwargs)

    def show_configs(self, entries: Iterable[ConfigEntry], *, non_default_only: bool = False, text: str = "") -> int:
        """Show ``entries``; returns how many rows are shown."""
        rows = config_rows(entries, non_default_only=non_default_only, text=text)
        self.set_rows(rows)
        return len(rows)
