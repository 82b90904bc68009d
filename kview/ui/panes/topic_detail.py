"""Topic detail: one topic's partitions (leader, replicas with the ones out of
the ISR marked, watermarks, messages, size, rate), its configs with their
source (non-defaults marked), the consumer groups that have offsets on it
with their lag, and, when the profile has a schema registry, the subjects
bound to the topic (``<topic>-key``, ``<topic>-value``: latest version, id,
type) and the schema ids its tails met (``ClusterServices.schemas_seen``),
on one line.  The topic keys of the topics pane work here too; enter on a
group opens it; ``esc`` goes back."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from kview.core.errors import describe_exception
from kview.core.format import human_bytes, human_count, human_rate
from kview.core.groups import GroupService, GroupsSnapshot
from kview.core.schemas.errors import RegistryError
from kview.core.schemas.models import SubjectVersion
from kview.core.topics import PartitionRow, TopicDetail
from kview.ui.messages import OpenGroup
from kview.ui.panes.base import updated_at
from kview.ui.panes.detail_pane import DetailPane
from kview.ui.panes.topics import TopicOperations, operation_bindings
from kview.ui.themes import theme_style
from kview.ui.widgets.config_table import ConfigTable
from kview.ui.widgets.diff_table import Column, DiffTable, key_of
from kview.ui.widgets.elastic_table import ElasticDiffTable

log = logging.getLogger(__name__)

PARTITION_COLUMNS = (
    Column("partition", "Part", 4, 0, numeric=True),
    Column("leader", "Leader", 6, 0, numeric=True),
    Column("replicas", "Replicas", 8, 1),
    Column("isr", "ISR", 8, 2),
    Column("offline", "Offline", 8, 4),
    Column("low", "Low", 10, 1, numeric=True),
    Column("high", "High", 10, 1, numeric=True),
    Column("messages", "Messages", 11, 1, numeric=True),
    Column("size", "Size", 10, 3, numeric=True),
    Column("rate", "Msg/s", 8, 2, numeric=True),
)
"""Replicas marked ``*`` (in the under-replicated colour) are out of the ISR."""

GROUP_COLUMNS = (
    Column("group", "Consumer group", 24, 0),
    Column("state", "State", 12, 2),
    Column("members", "Members", 7, 3, numeric=True),
    Column("partitions", "Parts", 5, 1, numeric=True),
    Column("lag", "Lag on topic", 12, 0, numeric=True),
)


@dataclass(frozen=True)
class GroupOnTopic:
    """One consumer group's offsets on this topic."""

    name: str
    state: str
    members: int
    partitions: int
    """Partitions of this topic the group has committed offsets on or is assigned."""
    lag: int | None
    """Sum of the lags of the committed partitions (None: none committed)."""


def groups_on_topic(snapshot: GroupsSnapshot, topic: str) -> list[GroupOnTopic]:
    """The groups with rows on ``topic``, biggest lag first (pure)."""
    out = []
    for group in snapshot.groups:
        rows = [r for r in group.partitions if r.topic == topic]
        if not rows:
            continue
        lags = [r.lag for r in rows if r.lag is not None]
        out.append(
            GroupOnTopic(
                name=group.name,
                state=group.state,
                members=group.member_count,
                partitions=len(rows),
                lag=sum(max(0, lag) for lag in lags) if lags else None,
            )
        )
    out.sort(key=lambda g: (-(g.lag or 0), g.name))
    return out


def replica_text(
    replicas: tuple[int, ...], isr: tuple[int, ...], offline: tuple[int, ...], out_style: Style, offline_style: Style
) -> Text | str:
    """``1,2*,3``: replicas out of the ISR get a ``*`` in the under-replicated
    colour (offline ones in the stop colour)."""
    if all(r in isr for r in replicas):
        return ",".join(str(r) for r in replicas)
    text = Text()
    for i, replica in enumerate(replicas):
        if i:
            text.append(",")
        if replica in isr:
            text.append(str(replica))
        else:
            text.append(f"{replica}*", style=offline_style if replica in offline else out_style)
    return text


@dataclass(frozen=True)
class SchemaRow:
    """A subject bound to the topic, or a schema id its tails met."""

    key: str
    subject: str | None
    role: str
    """``key``, ``value`` (a bound subject) or ``seen`` (an id met in the tail)."""
    version: int | None
    schema_id: int
    type: str


@dataclass(frozen=True)
class TopicSchemas:
    rows: tuple[SchemaRow, ...]
    error: str | None = None


def seen_rows(seen: dict[int, Any]) -> list[SchemaRow]:
    """The ids the tails met (id -> decoder.SchemaInfo), by id."""
    rows = []
    for schema_id, info in sorted(seen.items()):
        rows.append(
            SchemaRow(
                f"id:{schema_id}",
                getattr(info, "subject", None),
                "seen",
                getattr(info, "version", None),
                int(schema_id),
                str(getattr(info, "type", "") or "-"),
            )
        )
    return rows


def schemas_text(topic: str, schemas: TopicSchemas) -> Text:
    """``Schemas: value orders-value v2 id 3 Avro · key ... · seen in the tail: id 3
    (orders-value v2)``: the bound subjects, then the ids the tails met."""
    from kview.ui.panes.schemas import type_name

    text = Text("Schemas: ", style="bold")
    if schemas.error:
        text.append(schemas.error)
        return text
    bound = [r for r in schemas.rows if r.role != "seen"]
    seen = [r for r in schemas.rows if r.role == "seen"]
    parts = [f"{r.role} {r.subject} v{r.version} id {r.schema_id} {type_name(r.type)}" for r in bound]
    if not bound:
        parts.append(f"no subject {topic}-key or {topic}-value")
    if seen:
        ids = [f"id {r.schema_id}" + (f" ({r.subject} v{r.version})" if r.subject and r.version else "") for r in seen]
        parts.append("seen in the tail: " + ", ".join(ids))
    else:
        parts.append("no id seen in the tail")
    text.append(" · ".join(parts))
    return text


@dataclass(frozen=True)
class DetailData:
    detail: TopicDetail
    groups: list[GroupOnTopic] | None
    groups_error: str | None
    schemas: TopicSchemas | None = None
    """None: no registry configured and no schema id seen."""


class TopicDetailPane(TopicOperations, DetailPane):
    pane_id = "topic-detail"
    title = "Topic"
    parts_prefix = "detail"
    opens = "groups"

    BINDINGS = [
        Binding("enter", "open", "Open the selected consumer group", id="topic_detail.open", show=False),
        Binding("n", "toggle_non_default", "Configs: only non-defaults / all", id="topic_detail.non_default"),
        Binding("A", "acls", "ACLs of this topic (Access pane)", id="topic_detail.acls"),
        *[
            b
            for b in operation_bindings("topic_detail", show=("delete_records", "edit_configs"))
            if b.action != "create_topic"
        ],
        Binding("C", "copy_records", "Copy / redrive records", id="topic_detail.copy_records"),
    ]

    DEFAULT_CSS = """
    TopicDetailPane #detail-summary { height: 1; padding: 0 1; background: $panel; }
    TopicDetailPane #detail-schemas { padding: 0 1; }
    TopicDetailPane DiffTable, TopicDetailPane ConfigTable { border: round $panel-lighten-2; }
    TopicDetailPane DiffTable:focus, TopicDetailPane ConfigTable:focus { border: round $primary; }
    """
    HEIGHTS = {
        "detail-partitions": ("1fr", None),
        "detail-configs": ("auto", "40%"),
        "detail-groups": ("auto", "25%"),
        "detail-schemas": ("auto", "3"),
    }

    def __init__(self, topic: str, **kwargs: Any) -> None:
        super().__init__(topic, **kwargs)
        self.topic = topic
        self.detail: TopicDetail | None = None
        self.non_default_only = True
        self._groups: GroupService | None = None

    def compose_parts(self) -> ComposeResult:
        partitions = ElasticDiffTable(
            PARTITION_COLUMNS, elastic=(("replicas", 24), ("isr", 24)), id="detail-partitions"
        )
        partitions.border_title = "Partitions (* = replica out of the ISR)"
        partitions.sort_by("partition", reverse=False)
        yield partitions
        configs = ConfigTable(id="detail-configs")
        configs.border_title = "Configs"
        yield configs
        groups = ElasticDiffTable(GROUP_COLUMNS, elastic=(("group", 80),), id="detail-groups")
        groups.border_title = "Consumer groups on this topic (enter opens)"
        yield groups
        # One line (two when it wraps): the partitions keep the room at 80x24.
        schemas = Static("", id="detail-schemas")
        schemas.display = False
        yield schemas

    async def on_unmount(self) -> None:
        if self._groups is not None:
            groups, self._groups = self._groups, None
            await groups.close()

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> DetailData:
        if self._groups is None:
            self._groups = self.kview.services.new_groups()
        detail, groups, schemas = await asyncio.gather(
            self.topic_service.topic_detail(self.topic),
            self._groups.refresh(with_partitions=True),
            self._schemas(),
            return_exceptions=True,
        )
        if isinstance(detail, BaseException):
            raise detail
        if isinstance(schemas, BaseException):
            if not isinstance(schemas, Exception):
                raise schemas
            schemas = TopicSchemas((), describe_exception(schemas))
        if isinstance(groups, BaseException):
            if not isinstance(groups, Exception):
                raise groups
            return DetailData(detail, None, describe_exception(groups), schemas)
        return DetailData(detail, groups_on_topic(groups, self.topic), None, schemas)

    async def _schemas(self) -> TopicSchemas | None:
        """The subjects bound to the topic by Confluent's default naming
        (``<topic>-key``, ``<topic>-value``) and the ids its tails met."""
        services = self.kview.services
        seen = seen_rows(dict(services.schemas_seen.get(self.topic, {})))
        registry = services.registry
        if registry is None:
            return TopicSchemas(tuple(seen)) if seen else None

        async def latest(role: str) -> SchemaRow | None:
            subject = f"{self.topic}-{role}"
            try:
                found: SubjectVersion = await registry.version(subject, "latest")
            except RegistryError as exc:
                if exc.status == 404:
                    return None
                raise
            return SchemaRow(subject, subject, role, found.version, found.id, found.schema.type)

        error = None
        try:
            bound = [r for r in await asyncio.gather(latest("key"), latest("value")) if r is not None]
        except RegistryError as exc:
            bound, error = [], str(exc)
        return TopicSchemas((*bound, *seen), error)

    def show(self, data: DetailData) -> None:
        self.detail = data.detail
        self._show_summary(data.detail)
        self._show_partitions(data.detail)
        self._show_configs()
        groups = self.query_one("#detail-groups", DiffTable)
        if data.groups is None:
            groups.border_title = f"Consumer groups: {data.groups_error}"
        else:
            groups.border_title = (
                f"Consumer groups on this topic: {len(data.groups)} (enter opens)"
                if data.groups
                else "No consumer group has offsets on this topic"
            )
            groups.set_rows(
                [
                    (
                        g.name,
                        (g.name, g.state, str(g.members), str(g.partitions), human_count(g.lag)),
                        (g.name, g.state, g.members, g.partitions, g.lag),
                    )
                    for g in data.groups
                ]
            )
        self._show_schemas(data.schemas)
        # What went wrong first, the hints last: 80 columns cut the end.
        text = f"{updated_at(data.detail.taken_at)} · tab moves between tables · esc goes back"
        if data.detail.problems:
            self.show_error(f"{'; '.join(data.detail.problems)} · {text}")
        else:
            self.set_status(text)

    def _show_schemas(self, schemas: TopicSchemas | None) -> None:
        line = self.query_one("#detail-schemas", Static)
        line.display = schemas is not None
        if schemas is not None:
            line.update(schemas_text(self.topic, schemas))

    def _show_summary(self, detail: TopicDetail) -> None:
        # Problems right after the name: a narrow screen cuts the line's end.
        text = Text(detail.name + (" (internal)" if detail.internal else ""), style="bold")
        if detail.under_replicated:
            text.append(
                f" · {detail.under_replicated} under-replicated",
                style=theme_style(self.app, "under-replicated", bold=True),
            )
        offline = sum(1 for p in detail.partitions if p.offline)
        if offline:
            text.append(f" · {offline} offline", style=theme_style(self.app, "status-stop", bold=True))
        text.append(
            " · "
            + " · ".join(
                [
                    f"{len(detail.partitions)} partitions",
                    f"RF {detail.replication_factor}",
                    f"{human_count(detail.messages)} messages",
                    human_bytes(detail.size),
                    f"{human_rate(detail.rate, unit='')} msg/s",
                ]
            )
        )
        self.show_summary(text)

    def _partition_row(self, p: PartitionRow, out_style: Style, stop_style: Style):
        leader: str | Text = str(p.leader) if p.leader >= 0 else Text("none", style=stop_style)
        offline = ",".join(str(r) for r in p.offline_replicas) if p.offline_replicas else "-"
        cells = (
            str(p.partition),
            leader,
            replica_text(p.replicas, p.isr, p.offline_replicas, out_style, stop_style),
            ",".join(str(r) for r in p.isr) or "-",
            Text(offline, style=stop_style) if p.offline_replicas else offline,
            "-" if p.low is None else str(p.low),
            "-" if p.high is None else str(p.high),
            human_count(p.messages),
            human_bytes(p.size),
            human_rate(p.rate, unit=""),
        )
        raw = (p.partition, p.leader, p.replicas, p.isr, p.offline_replicas, p.low, p.high, p.messages, p.size, p.rate)
        return key_of(self.topic, p.partition), cells, raw

    def _show_partitions(self, detail: TopicDetail) -> None:
        out_style = theme_style(self.app, "under-replicated", bold=True)
        stop_style = theme_style(self.app, "status-stop", bold=True)
        table = self.query_one("#detail-partitions", DiffTable)
        table.set_rows([self._partition_row(p, out_style, stop_style) for p in detail.partitions])

    def _show_configs(self) -> None:
        if self.detail is None:
            return
        table = self.query_one("#detail-configs", ConfigTable)
        shown = table.show_configs(self.detail.configs, non_default_only=self.non_default_only)
        which = "not Kafka's default" if self.non_default_only else "all"
        table.border_title = f"Configs: {shown} {which} (● = not Kafka's default; n toggles)"

    # -- keys ----------------------------------------------------------------------------

    def operation_topic(self) -> str | None:
        return self.topic

    def tail_partition(self) -> int | None:
        table = self.query_one("#detail-partitions", DiffTable)
        key = table.selected_key() if table.has_focus else None
        return int(key.rsplit(":", 1)[1]) if key else None

    def action_toggle_non_default(self) -> None:
        self.non_default_only = not self.non_default_only
        self._show_configs()

    def open_message(self, key: str) -> Message:
        return OpenGroup(key)

    def action_acls(self) -> None:
        """The Access pane with the ACLs that apply to this topic.  Run from
        the app, not this pane: switching panes removes this one."""
        from kview.ui.panes.access import show_access_for

        app, topic = self.kview, self.subject
        app.call_later(show_access_for, app, "TOPIC", topic)

    def action_copy_records(self) -> None:
        from kview.ui.screens.copy_records import copy_dialog, copy_done

        topic = self.operation_target("copy records", self.operation_topic(), "Wait for the topic to load.")
        if topic is not None:
            self.open_form(copy_dialog(self.kview, topic), copy_done(topic), timeout=8)
