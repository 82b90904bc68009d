"""Topics pane: every topic with partitions, replication, messages, size, rate
and under-replicated partitions, refreshed live; filter, sort and the topic
operations (create, delete, add partitions, edit configs, delete records).

A refresh fetches every topic once (TopicService.topics); showing or hiding
internal topics, filtering and sorting work on the rows in memory, so a
keystroke never waits on the network, even with thousands of topics: the
table holds every row, sorted, and a keystroke only changes its filter (no
row is rebuilt or re-formatted; cells are formatted when drawn).  The
operations (shared with the topic detail through ``TopicOperations``) open a
form that validates before sending and shows Kafka's refusal in words."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError

from kview.core.topics import TopicService, TopicsSnapshot, TopicSummary
from kview.core.format import human_bytes, human_count, human_rate
from kview.ui.messages import OpenTopic, ProduceTo, TailTopic
from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.screens.add_partitions import AddPartitionsScreen
from kview.ui.screens.confirm import ConfirmScreen
from kview.ui.screens.create_topic import CreateTopicScreen
from kview.ui.screens.delete_records import DeleteRecordsScreen
from kview.ui.screens.edit_configs import EditConfigsScreen
from kview.ui.widgets.diff_table import Column
from kview.ui.widgets.fast_table import FastRow, FastTable
from kview.ui.widgets.filter_bar import FilterBar

log = logging.getLogger(__name__)

# -- shared helpers ---------------------------------------------------------------------


def theme_style(app, variable: str, *, bold: bool = False) -> Style:
    """A Rich style in the colour of a theme variable (``under-replicated``,
    ``status-stop`` ...); plain when the theme does not define it."""
    value = app.theme_variables.get(variable)
    try:
        colour = Color.parse(value).rich_color if value else None
    except ColorParseError:
        colour = None
    return Style(color=colour, bold=bold)


def name_matches(text: str) -> Callable[[str], bool]:
    """The topics filter: every word of ``text`` is in the name.  Smart case:
    case-insensitive unless the text has a capital letter."""
    words = text.split()
    if not words:
        return lambda name: True
    if any(c.isupper() for c in text):
        if len(words) == 1:
            word = words[0]
            return lambda name: word in name
        return lambda name: all(w in name for w in words)
    if len(words) == 1:
        # One word is what one types nearly always: keep it cheap on 5,000 names.
        lowered = words[0].lower()
        return lambda name: lowered in name.lower()
    many = [w.lower() for w in words]
    return lambda name: all(w in name.lower() for w in many)


# -- operations shared with the topic detail -------------------------------------------------


class TopicOperations:
    """The topic keys of the topics pane and the topic detail (a Pane mixin).

    The pane says which topic the keys apply to (``operation_topic``); every
    write is refused at once on a read-only cluster, before any form opens."""

    def operation_topic(self) -> str | None:
        """The topic the keys act on, or None (nothing selected)."""
        raise NotImplementedError

    def after_topic_change(self, topic: str, deleted: bool = False) -> None:
        """An operation changed ``topic``: refresh (and select it)."""
        self.poll_now()  # type: ignore[attr-defined]

    @property
    def topic_service(self) -> TopicService:
        # Shared with the topic detail (the app's services): rates come from
        # the previous sample, whoever took it.
        return self.kview.services.topics  # type: ignore[attr-defined]

    def _topic_or_hint(self) -> str | None:
        topic = self.operation_topic()
        if topic is None:
            self.notify("Select a topic first.", severity="warning", timeout=4)  # type: ignore[attr-defined]
        return topic

    def _fetch_then(self, what: str, fetch, then) -> None:
        """Fetch what a form needs in a worker, then open it (errors in words)."""
        pane: Pane = self  # type: ignore[assignment]

        async def runner() -> None:
            try:
                data = await fetch()
            except Exception as exc:
                from kview.core.errors import describe_exception

                pane.notify(describe_exception(exc), title=f"Cannot {what}", severity="error", timeout=8)
                return
            then(data)

        pane.run_worker(runner(), group=f"fetch-{pane.pane_id}", exclusive=True, exit_on_error=False)

    def _broker_count(self) -> int:
        snapshot = self.kview.snapshot  # type: ignore[attr-defined]
        if snapshot is not None:
            return len(snapshot.metadata.brokers)
        topics = getattr(self, "topics_snapshot", None)
        return topics.broker_count if topics is not None else 1

    def _known_topics(self) -> list[str]:
        topics = getattr(self, "topics_snapshot", None)
        if topics is not None:
            return [t.name for t in topics.topics]
        snapshot = self.kview.snapshot  # type: ignore[attr-defined]
        return [t.name for t in snapshot.metadata.topics] if snapshot is not None else []

    # -- the actions ---------------------------------------------------------------------

    def action_create_topic(self) -> None:
        pane: Pane = self  # type: ignore[assignment]
        if pane.refuse_if_read_only("create topic"):
            return
        service = self.topic_service

        def done(spec) -> None:
            if spec is not None:
                pane.notify(f"Created topic '{spec.name}' ({spec.partitions} partition(s), "
                            f"replication factor {spec.replication_factor})", title="Done", timeout=5)
                self.after_topic_change(spec.name)

        pane.app.push_screen(CreateTopicScreen(
            broker_count=self._broker_count(), existing=self._known_topics(),
            create=lambda name, partitions, rf, configs: service.create_topic(name, partitions, rf, configs),
        ), done)

    def action_delete_topic(self) -> None:
        pane: Pane = self  # type: ignore[assignment]
        if pane.refuse_if_read_only("delete topic"):
            return
        topic = self._topic_or_hint()
        if topic is None:
            return
        service = self.topic_service

        def confirmed(yes: bool | None) -> None:
            if yes:
                pane.run_operation(f"Deleted topic '{topic}'", lambda: service.delete_topic(topic),
                                   lambda _: self._deleted(topic))

        pane.app.push_screen(ConfirmScreen(
            f"Delete topic '{topic}'?",
            "Every partition and every record of the topic is deleted; its producers and "
            "consumers will fail. This cannot be undone.",
            require_text=topic, confirm_label="Delete topic",
        ), confirmed)

    def _deleted(self, topic: str) -> None:
        self.notify(f"Deleted topic '{topic}'", title="Done", timeout=5)  # type: ignore[attr-defined]
        self.after_topic_change(topic, deleted=True)

    def action_add_partitions(self) -> None:
        pane: Pane = self  # type: ignore[assignment]
        if pane.refuse_if_read_only("add partitions"):
            return
        topic = self._topic_or_hint()
        if topic is None:
            return
        service = self.topic_service

        async def fetch() -> int:
            metadata = await service.client.metadata([topic])
            info = metadata.topic(topic)
            if info is None or not info.partitions:
                from kview.core.errors import KafkaRequestError

                raise KafkaRequestError(3, subject=topic)
            return info.partition_count

        def done(total) -> None:
            if total is not None:
                pane.notify(f"'{topic}' now has {total} partitions", title="Done", timeout=5)
                self.after_topic_change(topic)

        self._fetch_then("add partitions", fetch, lambda current: pane.app.push_screen(
            AddPartitionsScreen(topic, current, lambda total: service.add_partitions(topic, total)), done))

    def action_edit_configs(self) -> None:
        pane: Pane = self  # type: ignore[assignment]
        if pane.refuse_if_read_only("alter topic configs"):
            return
        topic = self._topic_or_hint()
        if topic is None:
            return
        service = self.topic_service

        def done(changes) -> None:
            if changes is not None:
                pane.notify("\n".join(str(c) for c in changes) or "nothing changed",
                            title=f"Configs of '{topic}' changed", timeout=6)
                self.after_topic_change(topic)

        self._fetch_then("edit configs", lambda: service.topic_configs(topic), lambda configs: pane.app.push_screen(
            EditConfigsScreen(topic, configs, lambda changes: service.alter_configs(topic, changes)), done))

    def action_delete_records(self) -> None:
        pane: Pane = self  # type: ignore[assignment]
        if pane.refuse_if_read_only("delete records"):
            return
        topic = self._topic_or_hint()
        if topic is None:
            return
        service = self.topic_service

        async def fetch():
            metadata = await service.client.metadata([topic])
            info = metadata.topic(topic)
            if info is None or not info.partitions:
                from kview.core.errors import KafkaRequestError

                raise KafkaRequestError(3, subject=topic)
            marks = await service.client.watermarks(info.partitions)
            return {partition: mark for (_, partition), mark in marks.items()}

        async def delete(offsets):
            if offsets is None:
                return await service.truncate_topic(topic)
            return await service.delete_records(topic, offsets)

        def done(lows) -> None:
            if lows is not None:
                shown = ", ".join(f"{p}: {low}" for p, low in sorted(lows.items())[:8])
                more = " ..." if len(lows) > 8 else ""
                pane.notify(f"new start offsets: {shown}{more}", title=f"Deleted records of '{topic}'",
                            timeout=6)
                self.after_topic_change(topic)

        self._fetch_then("delete records", fetch, lambda marks: pane.app.push_screen(
            DeleteRecordsScreen(topic, marks, delete), done))

    def action_tail(self) -> None:
        topic = self._topic_or_hint()
        if topic is not None:
            self.post_message(TailTopic(topic, self.tail_partition()))  # type: ignore[attr-defined]

    def tail_partition(self) -> int | None:
        """The partition to tail (None: all)."""
        return None

    def action_produce(self) -> None:
        topic = self._topic_or_hint()
        if topic is not None:
            self.post_message(ProduceTo(topic))  # type: ignore[attr-defined]


OPERATION_BINDINGS = [
    Binding("c", "create_topic", "Create topic", id="{pane}.create"),
    Binding("d", "delete_topic", "Delete topic", id="{pane}.delete"),
    Binding("plus", "add_partitions", "Add partitions", id="{pane}.add_partitions", key_display="+"),
    Binding("e", "edit_configs", "Edit configs", id="{pane}.edit_configs"),
    Binding("x", "delete_records", "Delete records (truncate)", id="{pane}.delete_records"),
    Binding("t", "tail", "Tail topic", id="{pane}.tail"),
    Binding("p", "produce", "Produce to topic", id="{pane}.produce"),
]


def operation_bindings(pane_id: str, *, show: tuple[str, ...] = ()) -> list[Binding]:
    """The operation keys with ids of ``pane_id`` (``topics.create`` ...)."""
    out = []
    for binding in OPERATION_BINDINGS:
        out.append(Binding(binding.key, binding.action, binding.description,
                           show=binding.action in show, key_display=binding.key_display,
                           id=(binding.id or "").format(pane=pane_id)))
    return out


# -- the topics table -----------------------------------------------------------------------

COLUMNS = (
    Column("name", "Topic", 30, 0),
    Column("partitions", "Parts", 5, 2, numeric=True),
    Column("rf", "RF", 2, 4, numeric=True),
    Column("messages", "Messages", 11, 1, numeric=True),
    Column("size", "Size", 10, 3, numeric=True),
    Column("rate", "Msg/s", 8, 2, numeric=True),
    Column("urp", "URP", 3, 1, numeric=True),
    Column("offline", "Offl", 4, 5, numeric=True),
    Column("replicated", "All replicas", 12, 6, numeric=True),
)
"""URP: under-replicated partitions; Size: the leaders' bytes on disk; All
replicas: every replica's bytes."""

SORT_LABELS = {c.key: c.label for c in COLUMNS}

OUTLINE_ABOVE = 2_000
"""Partitions above which the first refresh draws the topics from metadata
before their messages and sizes arrive."""

_heap_frozen = False


def freeze_heap_once() -> None:
    """After the first full refresh of a big cluster: tell Python's cycle
    collector to stop scanning every object alive now (``gc.freeze``): the
    app, its widgets, the modules and the first 20,000 partitions.  A full
    collection otherwise walks all of them, 0.2 to 0.5 s with the UI stopped,
    whenever enough new objects have piled up; afterwards it walks only those
    made since.  Once per process: cyclic garbage among the frozen objects is
    never reclaimed, so doing it on every refresh would leak."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


class TopicsPane(TopicOperations, Pane):
    pane_id = "topics"
    title = "Topics"

    BINDINGS = [
        Binding("enter", "open", "Open topic", id="topics.open"),
        Binding("slash", "filter", "Filter", id="topics.filter", key_display="/"),
        Binding("i", "toggle_internal", "Show/hide internal topics", id="topics.internal", show=False),
        Binding("s", "sort_next", "Sort by the next column", id="topics.sort"),
        Binding("S", "sort_reverse", "Reverse the sort order", id="topics.reverse", show=False),
        *operation_bindings("topics", show=("create_topic", "delete_topic")),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topics_snapshot: TopicsSnapshot | None = None
        self.show_internal = False
        self.filter_text = ""
        self._row_cache: dict[str, tuple[TopicSummary, FastRow]] = {}
        """Topic name -> (the summary drawn, its row): a row is rebuilt only
        when its summary changed."""
        self._internal: frozenset[str] = frozenset()
        """Names of the snapshot's internal topics (hidden unless toggled)."""
        self._names: list[tuple[str, str]] = []
        """Every topic's (name, name in lower case), for the filter."""
        self._totals = (0, 0, 0)
        """(internal topics, under-replicated and offline partitions) of the snapshot."""
        self._styles: tuple[Style, Style] | None = None
        self._refresh_seconds: float | None = None
        self._select_after_refresh: str | None = None

    def compose(self) -> ComposeResult:
        table = FastTable(COLUMNS, elastic=(("name", 100),), id="topics-table")
        table.sort_by("name", reverse=False)
        yield table
        yield FilterBar("filter topics by name (esc clears)", id="topics-filter")
        yield PaneStatus("loading topics ...", id="topics-status")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "theme", self._theme_changed, init=False)

    @property
    def refresh_interval(self) -> float:
        """The profile's interval, stretched on big clusters to twice what
        the last refresh took: a 5,000-topic refresh costs seconds, much of
        it on the event loop the keyboard shares, and must not take most of
        it (refreshes start an interval apart, so at most half the time)."""
        took = self._refresh_seconds or 0.0
        return max(self.kview.profile.refresh_interval, 2 * took)

    @property
    def table(self) -> FastTable:
        return self.query_one("#topics-table", FastTable)

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> TopicsSnapshot:
        started, since = time.perf_counter(), time.monotonic()
        service = self.topic_service
        if self.topics_snapshot is None:
            # The first refresh on a big cluster: draw the topics from metadata
            # at once, then fetch messages and sizes (seconds at 20,000
            # partitions) for the same metadata.
            metadata = await service.client.metadata()
            if metadata.partition_count > OUTLINE_ABOVE:
                outline = await service.outline(metadata, include_internal=True)
                if self.is_mounted and self.topics_snapshot is None:
                    self.show(outline)
                snapshot = await service.topics(include_internal=True, metadata=metadata, since=since)
                self._refresh_seconds = time.perf_counter() - started
                return snapshot
        snapshot = await service.topics(include_internal=True)
        self._refresh_seconds = time.perf_counter() - started
        return snapshot

    def show(self, data: TopicsSnapshot) -> None:
        self.topics_snapshot = data
        self._internal = frozenset(t.name for t in data.topics if t.internal)
        self._names = [(t.name, t.name.lower()) for t in data.topics]
        self._totals = (len(self._internal), sum(t.under_replicated for t in data.topics),
                        sum(t.offline for t in data.topics))
        self.render_rows()
        if self._select_after_refresh is not None:
            self.select_topic(self._select_after_refresh)
        if not data.outline and data.partition_count > OUTLINE_ABOVE:
            freeze_heap_once()

    def _theme_changed(self, _theme: str) -> None:
        self._styles = None
        self._row_cache.clear()
        self.render_rows()

    def _row(self, topic: TopicSummary) -> FastRow:
        """The table row of ``topic``: its sort values now, its cells when drawn."""
        cached = self._row_cache.get(topic.name)
        if cached is not None and (cached[0] is topic or cached[0] == topic):
            return cached[1]
        row = (
            topic.name,
            partial(self._cells, topic),
            (topic.name, topic.partitions, topic.replication_factor, topic.messages, topic.size,
             topic.rate, topic.under_replicated, topic.offline, topic.replicated_size),
        )
        self._row_cache[topic.name] = (topic, row)
        return row

    def _cells(self, topic: TopicSummary) -> tuple[str | Text, ...]:
        """The formatted cells of a row (called by the table only for rows drawn)."""
        if self._styles is None:
            self._styles = (theme_style(self.app, "under-replicated", bold=True),
                            theme_style(self.app, "status-stop", bold=True))
        urp_style, offline_style = self._styles
        name: str | Text = topic.name
        if topic.error:
            name = Text(f"{topic.name} ({topic.error})", style=offline_style)
        urp = Text(str(topic.under_replicated), style=urp_style) if topic.under_replicated else "0"
        offline = Text(str(topic.offline), style=offline_style) if topic.offline else "0"
        return (name, human_count(topic.partitions), str(topic.replication_factor), human_count(topic.messages),
                human_bytes(topic.size), human_rate(topic.rate, unit=""), urp, offline,
                human_bytes(topic.replicated_size))

    def visible_topics(self) -> list[TopicSummary]:
        """The topics the table shows: internal ones only when toggled on,
        and only those matching the filter."""
        if self.topics_snapshot is None:
            return []
        matches = name_matches(self.filter_text)
        return [t for t in self.topics_snapshot.topics
                if (self.show_internal or not t.internal) and matches(t.name)]

    def render_rows(self) -> None:
        """Give the table every topic's row (rows whose summary did not change
        are reused) and the filter; no network."""
        if self.topics_snapshot is None:
            return
        rows = [self._row(t) for t in self.topics_snapshot.topics]
        if len(self._row_cache) > 2 * max(len(self.topics_snapshot.topics), 100):
            # Deleted topics' rows pile up: keep only the current ones.
            current = {t.name for t in self.topics_snapshot.topics}
            self._row_cache = {n: r for n, r in self._row_cache.items() if n in current}
        table = self.table
        table.set_filter(self._row_filter())
        table.set_rows(rows)
        self._update_status(table.row_count)

    def apply_filter(self) -> None:
        """Show the rows that pass the filter text and the internal toggle: a
        pass over the names, nothing rebuilt (what a keystroke costs)."""
        if self.topics_snapshot is None:
            return
        table = self.table
        table.set_filter(self._row_filter())
        self._update_status(table.row_count)

    def _row_filter(self) -> Callable[[str], bool] | None:
        """The table's filter on topic names: the filter text, and no internal
        topic unless they are shown (None: every row).  The names that pass
        are worked out here, once, so the table's test is a set lookup."""
        hidden = self._internal if not self.show_internal else frozenset()
        words = self.filter_text.split()
        if not words:
            return (lambda name: name not in hidden) if hidden else None
        if len(words) == 1 and not any(c.isupper() for c in words[0]):
            word = words[0]  # what one types nearly always: the cheapest test
            passing = {name for name, lowered in self._names if word in lowered}
        else:
            matches = name_matches(self.filter_text)
            passing = {name for name, _ in self._names if matches(name)}
        return (passing - hidden).__contains__

    def _update_status(self, shown: int) -> None:
        """The status line, most important first (80 columns cut its end):
        the count and the filter that explains it, the partitions in trouble,
        the refresh's problems, then how the table is shown and its age."""
        snapshot = self.topics_snapshot
        if snapshot is None:
            return
        internal, urp, offline = self._totals
        total = len(snapshot.topics) - (0 if self.show_internal else internal)
        parts = [f"{human_count(shown)} of {human_count(total)} topics" if shown != total
                 else f"{human_count(total)} topics"]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}'")
        if offline:
            parts.append(f"{offline} offline partition(s)")
        if urp:
            parts.append(f"{urp} under-replicated")
        parts.extend(snapshot.problems)
        if snapshot.outline:
            parts.append("messages and sizes loading ...")
        if internal and not self.show_internal:
            parts.append(f"{internal} internal hidden (i)")
        table = self.table
        if table.sort_column:
            arrow = "↓" if table.sort_reverse else "↑"
            # (The footer names the s key; S, reverse, is in the help.)
            parts.append(f"sort {SORT_LABELS.get(table.sort_column, table.sort_column)} {arrow}")
        if not snapshot.outline:
            stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
            took = f" in {self._refresh_seconds:.2f} s" if self._refresh_seconds is not None else ""
            parts.append(f"updated {stamp}{took}")
        text = " · ".join(parts)
        if snapshot.problems:
            self.show_error(text)
        else:
            self.set_status(text)

    # -- selection -----------------------------------------------------------------------

    def operation_topic(self) -> str | None:
        return self.table.selected_key()

    def select_topic(self, name: str) -> bool:
        """Put the cursor on ``name`` if the table shows it."""
        table = self.table
        try:
            row = table.get_row_index(name)
        except Exception:  # not shown (yet, or filtered out)
            return False
        self._select_after_refresh = None
        table.move_cursor(row=row)
        return True

    def after_topic_change(self, topic: str, deleted: bool = False) -> None:
        self._select_after_refresh = None if deleted else topic
        self.poll_now()

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_fast_table_header_selected(self, event: FastTable.HeaderSelected) -> None:
        event.stop()
        self._sort(event.column_key)

    # -- actions -------------------------------------------------------------------------

    def action_open(self) -> None:
        topic = self.operation_topic()
        if topic is not None:
            self.post_message(OpenTopic(topic))

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        event.stop()
        self.filter_text = event.text
        self.apply_filter()

    def action_toggle_internal(self) -> None:
        self.show_internal = not self.show_internal
        self.apply_filter()
        self.notify("internal topics shown" if self.show_internal else "internal topics hidden", timeout=2)

    def _sort(self, column: str, reverse: bool | None = None) -> None:
        table = self.table
        if reverse is None:
            if table.sort_column == column:
                reverse = not table.sort_reverse
            else:
                # Biggest first is what one looks for in a numeric column.
                reverse = next(c.numeric for c in COLUMNS if c.key == column)
        table.sort_by(column, reverse)
        self._update_status(table.row_count)

    def action_sort_next(self) -> None:
        table = self.table
        keys: list[Hashable] = [c.key for c in table.shown_columns] or [c.key for c in COLUMNS]
        current = table.sort_column
        following = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self._sort(str(following), None if following != current else table.sort_reverse)

    def action_sort_reverse(self) -> None:
        table = self.table
        self._sort(table.sort_column or "name", not table.sort_reverse)
