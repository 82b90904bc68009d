"""Topics pane: every topic with partitions, replication, messages, size, rate
and under-replicated partitions, refreshed live; filter, sort and the topic
operations (create, delete, add partitions, edit configs, delete records).

A refresh fetches every topic once (TopicService.topics); showing or hiding
internal topics, filtering and sorting work on the rows in memory, so a
keystroke never waits on the network, even with thousands of topics: the
table holds every row, sorted, and a keystroke only changes its filter (no
row is rebuilt or re-formatted; cells are formatted when drawn).  The
filter line, the sort keys and the status line's frame come from
``ListPane``.  The operations (shared with the topic detail through
``TopicOperations``) open a form that validates before sending and shows
Kafka's refusal in words."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from kview.core.errors import KafkaRequestError
from kview.core.format import human_bytes, human_count, human_rate
from kview.core.topics import TopicService, TopicsSnapshot, TopicSummary
from kview.ui.messages import OpenTopic, ProduceTo, TailTopic
from kview.ui.panes.base import Pane
from kview.ui.panes.list_pane import ListPane, list_bindings
from kview.ui.screens.add_partitions import AddPartitionsScreen
from kview.ui.screens.create_topic import CreateTopicScreen
from kview.ui.screens.delete_records import DeleteRecordsScreen
from kview.ui.screens.edit_configs import EditConfigsScreen
from kview.ui.themes import theme_style
from kview.ui.widgets.diff_table import Column
from kview.ui.widgets.fast_table import FastRow, FastTable

log = logging.getLogger(__name__)

# -- the filter ------------------------------------------------------------------------------


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


class TopicOperations(Pane):
    """The topic keys of the topics pane and the topic detail.

    The pane says which topic the keys apply to (``operation_topic``); every
    write is refused at once on a read-only cluster, before any form opens."""

    def operation_topic(self) -> str | None:
        """The topic the keys act on, or None (nothing selected)."""
        raise NotImplementedError

    @property
    def topic_service(self) -> TopicService:
        # Shared with the topic detail (the app's services): rates come from
        # the previous sample, whoever took it.
        return self.kview.services.topics

    def _target(self, action: str | None = None) -> str | None:
        """The topic the key acts on; None when there is none or the cluster
        is read-only for ``action`` (both said)."""
        return self.operation_target(action, self.operation_topic(), "Select a topic first.")

    async def _topic_metadata(self, topic: str):
        """The topic's metadata now, for a form; Kafka's UNKNOWN_TOPIC_OR_PARTITION
        (3) when it has no partitions (deleted since the list was drawn)."""
        info = (await self.topic_service.client.metadata([topic])).topic(topic)
        if info is None or not info.partitions:
            raise KafkaRequestError(3, subject=topic)
        return info

    def _broker_count(self) -> int:
        snapshot = self.kview.snapshot
        if snapshot is not None:
            return len(snapshot.metadata.brokers)
        topics = getattr(self, "topics_snapshot", None)
        return topics.broker_count if topics is not None else 1

    def _known_topics(self) -> list[str]:
        topics = getattr(self, "topics_snapshot", None)
        if topics is not None:
            return [t.name for t in topics.topics]
        snapshot = self.kview.snapshot
        return [t.name for t in snapshot.metadata.topics] if snapshot is not None else []

    # -- the actions ---------------------------------------------------------------------

    def action_create_topic(self) -> None:
        if self.refuse_if_read_only("create topic"):
            return
        service = self.topic_service
        self.open_form(
            CreateTopicScreen(
                broker_count=self._broker_count(),
                existing=self._known_topics(),
                create=lambda name, partitions, rf, configs: service.create_topic(name, partitions, rf, configs),
            ),
            lambda spec: (
                spec.name,
                f"Created topic '{spec.name}' ({spec.partitions} partition(s), "
                f"replication factor {spec.replication_factor})",
                "Done",
            ),
        )

    def action_delete_topic(self) -> None:
        topic = self._target("delete topic")
        if topic is None:
            return
        service = self.topic_service
        self.confirm_delete(
            "topic",
            topic,
            f"Delete topic '{topic}'?",
            "Every partition and every record of the topic is deleted; its producers and "
            "consumers will fail. This cannot be undone.",
            lambda: service.delete_topic(topic),
        )

    def action_add_partitions(self) -> None:
        topic = self._target("add partitions")
        if topic is None:
            return
        service = self.topic_service

        async def fetch() -> int:
            return (await self._topic_metadata(topic)).partition_count

        self.fetch_then(
            "add partitions",
            fetch,
            lambda current: self.open_form(
                AddPartitionsScreen(topic, current, lambda total: service.add_partitions(topic, total)),
                lambda total: (topic, f"'{topic}' now has {total} partitions", "Done"),
            ),
        )

    def action_edit_configs(self) -> None:
        topic = self._target("alter topic configs")
        if topic is None:
            return
        service = self.topic_service
        self.fetch_then(
            "edit configs",
            lambda: service.topic_configs(topic),
            lambda configs: self.open_form(
                EditConfigsScreen(topic, configs, lambda changes: service.alter_configs(topic, changes)),
                lambda changes: (
                    topic,
                    "\n".join(str(c) for c in changes) or "nothing changed",
                    f"Configs of '{topic}' changed",
                ),
                timeout=6,
            ),
        )

    def action_delete_records(self) -> None:
        topic = self._target("delete records")
        if topic is None:
            return
        service = self.topic_service

        async def fetch():
            info = await self._topic_metadata(topic)
            marks = await service.client.watermarks(info.partitions)
            return {partition: mark for (_, partition), mark in marks.items()}

        async def delete(offsets):
            if offsets is None:
                return await service.truncate_topic(topic)
            return await service.delete_records(topic, offsets)

        def done(lows) -> tuple[str, str, str]:
            shown = ", ".join(f"{p}: {low}" for p, low in sorted(lows.items())[:8])
            more = " ..." if len(lows) > 8 else ""
            return topic, f"new start offsets: {shown}{more}", f"Deleted records of '{topic}'"

        self.fetch_then(
            "delete records",
            fetch,
            lambda marks: self.open_form(DeleteRecordsScreen(topic, marks, delete), done, timeout=6),
        )

    def action_tail(self) -> None:
        topic = self._target()
        if topic is not None:
            self.post_message(TailTopic(topic, self.tail_partition()))

    def tail_partition(self) -> int | None:
        """The partition to tail (None: all)."""
        return None

    def action_produce(self) -> None:
        topic = self._target()
        if topic is not None:
            self.post_message(ProduceTo(topic))

    def action_find(self) -> None:
        topic = self._target()
        if topic is not None:
            from kview.ui.screens.find import FindScreen

            services = self.kview.services
            self.app.push_screen(FindScreen(services.client, topic, registry=getattr(services, "registry", None)))


OPERATION_BINDINGS = [
    Binding("c", "create_topic", "Create topic", id="{pane}.create"),
    Binding("d", "delete_topic", "Delete topic", id="{pane}.delete"),
    Binding("plus", "add_partitions", "Add partitions", id="{pane}.add_partitions", key_display="+"),
    Binding("e", "edit_configs", "Edit configs", id="{pane}.edit_configs"),
    Binding("x", "delete_records", "Delete records (truncate)", id="{pane}.delete_records"),
    Binding("t", "tail", "Tail topic", id="{pane}.tail"),
    Binding("p", "produce", "Produce to topic", id="{pane}.produce"),
    Binding("f", "find", "Find records (key, filter, time window)", id="{pane}.find"),
]


def operation_bindings(pane_id: str, *, show: tuple[str, ...] = ()) -> list[Binding]:
    """The operation keys with ids of ``pane_id`` (``topics.create`` ...)."""
    out = []
    for binding in OPERATION_BINDINGS:
        out.append(
            Binding(
                binding.key,
                binding.action,
                binding.description,
                show=binding.action in show,
                key_display=binding.key_display,
                id=(binding.id or "").format(pane=pane_id),
            )
        )
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


class TopicsPane(TopicOperations, ListPane):
    pane_id = "topics"
    title = "Topics"
    COLUMNS = COLUMNS
    noun = "topics"
    filter_hint = "filter topics by name (esc clears)"
    loading_text = "loading topics ..."

    BINDINGS = list_bindings(
        "topics",
        "Open topic",
        extra=[Binding("i", "toggle_internal", "Show/hide internal topics", id="topics.internal", show=False)],
        operations=operation_bindings("topics", show=("create_topic", "delete_topic")),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.show_internal = False
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

    def make_table(self) -> FastTable:
        return FastTable(COLUMNS, elastic=(("name", 100),))

    @property
    def topics_snapshot(self) -> TopicsSnapshot | None:
        return self.listing

    @property
    def refresh_interval(self) -> float:
        """The profile's interval, stretched on big clusters to twice what
        the last refresh took: a 5,000-topic refresh costs seconds, much of
        it on the event loop the keyboard shares, and must not take most of
        it (refreshes start an interval apart, so at most half the time)."""
        took = self._refresh_seconds or 0.0
        return max(self.kview.profile.refresh_interval, 2 * took)

    # -- data --------------------------------------------------------------------------

    async def fetch(self) -> TopicsSnapshot:
        since = time.monotonic()
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
                return await service.topics(include_internal=True, metadata=metadata, since=since)
        return await service.topics(include_internal=True)

    def show(self, data: TopicsSnapshot) -> None:
        self._internal = frozenset(t.name for t in data.topics if t.internal)
        self._names = [(t.name, t.name.lower()) for t in data.topics]
        self._totals = (
            len(self._internal),
            sum(t.under_replicated for t in data.topics),
            sum(t.offline for t in data.topics),
        )
        super().show(data)
        if not data.outline and data.partition_count > OUTLINE_ABOVE:
            freeze_heap_once()

    def theme_changed(self, _theme: str) -> None:
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
            (
                topic.name,
                topic.partitions,
                topic.replication_factor,
                topic.messages,
                topic.size,
                topic.rate,
                topic.under_replicated,
                topic.offline,
                topic.replicated_size,
            ),
        )
        self._row_cache[topic.name] = (topic, row)
        return row

    def _cells(self, topic: TopicSummary) -> tuple[str | Text, ...]:
        """The formatted cells of a row (called by the table only for rows drawn)."""
        if self._styles is None:
            self._styles = (
                theme_style(self.app, "under-replicated", bold=True),
                theme_style(self.app, "status-stop", bold=True),
            )
        urp_style, offline_style = self._styles
        name: str | Text = topic.name
        if topic.error:
            name = Text(f"{topic.name} ({topic.error})", style=offline_style)
        urp = Text(str(topic.under_replicated), style=urp_style) if topic.under_replicated else "0"
        offline = Text(str(topic.offline), style=offline_style) if topic.offline else "0"
        return (
            name,
            human_count(topic.partitions),
            str(topic.replication_factor),
            human_count(topic.messages),
            human_bytes(topic.size),
            human_rate(topic.rate, unit=""),
            urp,
            offline,
            human_bytes(topic.replicated_size),
        )

    def visible_topics(self) -> list[TopicSummary]:
        """The topics the table shows: internal ones only when toggled on,
        and only those matching the filter."""
        if self.topics_snapshot is None:
            return []
        matches = name_matches(self.filter_text)
        return [t for t in self.topics_snapshot.topics if (self.show_internal or not t.internal) and matches(t.name)]

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
        self.update_status(table.row_count)

    def apply_filter(self) -> None:
        """Show the rows that pass the filter text and the internal toggle: a
        pass over the names, nothing rebuilt (what a keystroke costs)."""
        if self.topics_snapshot is None:
            return
        table = self.table
        table.set_filter(self._row_filter())
        self.update_status(table.row_count)

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

    # -- the status line: the partitions in trouble, the refresh's problems, what is hidden

    def total_rows(self) -> int:
        internal = self._totals[0]
        snapshot = self.topics_snapshot
        return 0 if snapshot is None else len(snapshot.topics) - (0 if self.show_internal else internal)

    def status_notes(self) -> list[str]:
        internal, urp, offline = self._totals
        notes = []
        if offline:
            notes.append(f"{offline} offline partition(s)")
        if urp:
            notes.append(f"{urp} under-replicated")
        snapshot = self.topics_snapshot
        if snapshot is not None:
            notes.extend(snapshot.problems)
            if snapshot.outline:
                notes.append("messages and sizes loading ...")
        if internal and not self.show_internal:
            notes.append(f"{internal} internal hidden (i)")
        return notes

    def problems(self) -> list[str]:
        return [] if self.topics_snapshot is None else list(self.topics_snapshot.problems)

    def status_tail(self) -> list[str]:
        outline = self.topics_snapshot is not None and self.topics_snapshot.outline
        return [] if outline else super().status_tail()

    # -- selection -----------------------------------------------------------------------

    def operation_topic(self) -> str | None:
        return self.table.selected_key()

    def open_message(self, key: str) -> Message:
        return OpenTopic(key)

    def action_toggle_internal(self) -> None:
        self.show_internal = not self.show_internal
        self.apply_filter()
        self.notify("internal topics shown" if self.show_internal else "internal topics hidden", timeout=2)
