"""Brokers pane: every broker (address, rack, controller, leaders vs
preferred leaders, replica counts, log-dir size and disk use), the KRaft
metadata quorum (leader, epoch, voters and observers with their lag), and the
configs of the selected broker with the non-default ones marked.

The partitions not led by their preferred replica are counted on the status
line and listed by ``l``; the replica and leader operations (preferred or
unclean election, reassignment plans and those in progress) open from here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from kview.core.brokers import BrokerService, BrokersSnapshot, BrokerSummary, ConfigEntry, QuorumInfo
from kview.core.errors import describe_exception
from kview.core.format import human_bytes, human_count, human_duration
from kview.core.models import ClusterMetadata
from kview.core.reassign.leaders import leader_balance
from kview.core.reassign.models import ApplyResult, ElectionReport, LeaderBalance, ReassignmentPlan, TopicPartition
from kview.core.reassign.service import ReassignService
from kview.ui.panes.base import FilteredPane, PaneStatus, updated_at
from kview.ui.themes import theme_style
from kview.ui.widgets.config_table import ConfigTable
from kview.ui.widgets.diff_table import Column, DiffTable
from kview.ui.widgets.elastic_table import ElasticDiffTable
from kview.ui.widgets.filter_bar import FilterBar

BROKER_COLUMNS = (
    Column("id", "ID", 4, 0, numeric=True),
    Column("address", "Host:port", 16, 0),
    Column("rack", "Rack", 8, 4),
    Column("controller", "Ctrl", 4, 1),
    Column("state", "State", 7, 1),
    Column("leaders", "Lead", 6, 1, numeric=True),  # "10,000" whole
    Column("preferred", "Pref", 6, 1, numeric=True),
    Column("replicas", "Replicas", 8, 2, numeric=True),
    Column("logs", "Log size", 10, 2, numeric=True),
    Column("disk", "Disk", 4, 3, numeric=True),
    Column("volume", "Volume", 10, 3, numeric=True),
)
"""Lead: partitions led; Pref: partitions whose preferred replica (the first
of the assignment) is the broker; Log size: bytes of the broker's Kafka logs;
Disk: the share of the log dirs' volumes in use (by anything); Volume: their
size.  At 80 columns Disk and Volume give way to the leader balance."""

QUORUM_COLUMNS = (
    Column("node", "Node", 5, 0, numeric=True),
    Column("role", "Role", 9, 0),
    Column("leo", "Log end offset", 14, 1, numeric=True),
    Column("lag", "Lag", 8, 0, numeric=True),
    Column("fetch", "Last fetch", 10, 2, numeric=True),
    Column("caught", "Caught up", 10, 3, numeric=True),
    Column("endpoints", "Endpoints", 30, 4),
)

CONTROLLER_MARK = "●"


def disk_text(broker: BrokerSummary) -> str:
    """``43%``: the share of the log dirs' volumes in use."""
    fraction = broker.used_fraction
    return "-" if fraction is None else f"{fraction:.0%}"


def balance_text(balance: LeaderBalance) -> str:
    """The status line's word on leader balance: how many partitions are led
    by another replica than their preferred one (``l`` lists them)."""
    off = balance.not_preferred_count
    if not off:
        return "every leader preferred"
    return f"{human_count(off)} not on preferred leader (l)"


def ago(timestamp_ms: int | None, now: float) -> str:
    return "-" if timestamp_ms is None else f"{human_duration(max(0.0, now - timestamp_ms / 1000))} ago"


class BrokersPane(FilteredPane):
    pane_id = "brokers"
    title = "Brokers"

    BINDINGS = [
        Binding("enter", "configs", "Show the selected broker's configs", id="brokers.configs"),
        Binding("n", "toggle_non_default", "Configs: only non-defaults / all", id="brokers.non_default"),
        Binding("slash", "filter", "Filter configs by name", id="brokers.filter", key_display="/"),
        Binding("l", "leaders", "List partitions not led by their preferred replica", id="brokers.leaders"),
        Binding("e", "elect", "Elect leaders (preferred or unclean)", id="brokers.elect"),
        Binding("p", "plan", "Plan a reassignment (drain, spread, RF, by hand, file)", id="brokers.plan"),
        Binding("m", "moving", "Reassignments in progress (progress, cancel)", id="brokers.moving"),
    ]

    DEFAULT_CSS = """
    BrokersPane DiffTable, BrokersPane ConfigTable { border: round $panel-lighten-2; }
    BrokersPane DiffTable:focus, BrokersPane ConfigTable:focus { border: round $primary; }
    """
    HEIGHTS = {"brokers-table": ("auto", "40%"), "brokers-quorum": ("auto", "30%"), "brokers-configs": ("1fr", None)}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.brokers_snapshot: BrokersSnapshot | None = None
        self.configs_of: int | None = None
        self.configs: tuple[ConfigEntry, ...] = ()
        self.non_default_only = True
        self.metadata: ClusterMetadata | None = None
        """The metadata the leader balance was counted from (with the brokers)."""
        self.balance: LeaderBalance | None = None

    @property
    def service(self) -> BrokerService:
        return self.kview.services.brokers

    def compose(self) -> ComposeResult:
        brokers = ElasticDiffTable(BROKER_COLUMNS, elastic=(("address", 40),), id="brokers-table")
        brokers.border_title = "Brokers"
        yield brokers
        quorum = ElasticDiffTable(
            QUORUM_COLUMNS, elastic=(("endpoints", 80),), id="brokers-quorum", zebra_stripes=False
        )
        quorum.border_title = "KRaft quorum"
        yield quorum
        configs = ConfigTable(id="brokers-configs")
        configs.border_title = "Broker configs"
        yield configs
        yield FilterBar("filter configs by name (esc clears)", id="brokers-filter")
        yield PaneStatus("loading brokers ...", id="brokers-status")

    @property
    def table(self) -> DiffTable:
        return self.query_one("#brokers-table", DiffTable)

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> tuple[BrokersSnapshot, ClusterMetadata, LeaderBalance]:
        # Sizes per dir only: one ReplicaLog per partition would be 20,000
        # objects per refresh on a big cluster, for nothing shown.  The
        # metadata asked for here joins the service's request in flight.
        data, metadata = await asyncio.gather(
            self.service.brokers(with_replicas=False), self.kview.services.client.metadata()
        )
        return data, metadata, leader_balance(metadata)

    def show(self, collected: tuple[BrokersSnapshot, ClusterMetadata, LeaderBalance]) -> None:
        data, self.metadata, self.balance = collected
        self.brokers_snapshot = data
        self._show_brokers(data)
        self._show_quorum(data)
        if self.configs_of is None or data.broker(self.configs_of) is None:
            self._load_configs()
        self._update_status(data)

    def _update_status(self, data: BrokersSnapshot) -> None:
        """Most important first (80 columns cut the end): the count and the
        brokers offline, what failed, the age; the cluster id last."""
        updated = updated_at(data.taken_at)
        down = [b.node_id for b in data.brokers if not b.online]
        parts = [f"{len(data.brokers)} broker(s)"]
        if down:
            parts[0] += f", {len(down)} offline ({', '.join(map(str, down))})"
        if self.balance is not None:
            parts.append(balance_text(self.balance))
        errors = [
            f"broker {b.node_id} log dirs: {b.log_dirs_error}" for b in data.brokers if b.online and b.log_dirs_error
        ]
        parts.extend(errors)
        if errors:
            parts.append(updated)
            parts.append(f"cluster {data.cluster_id or '?'}")
            self.show_error(" · ".join(parts))
        else:
            # The healthy line fits 80 columns whole.
            parts.append(f"cluster {data.cluster_id or '?'}")
            parts.append(updated)
            self.set_status(" · ".join(parts))

    def _show_brokers(self, data: BrokersSnapshot) -> None:
        stop = theme_style(self.app, "status-stop", bold=True)
        warn = theme_style(self.app, "status-warn", bold=True)
        balance = self.balance
        rows = []
        for b in data.brokers:
            share = balance.broker(b.node_id) if balance is not None else None
            preferred = None if balance is None else (share.preferred_leaders if share is not None else 0)
            leaders: str | Text = human_count(b.leaders)
            if preferred is not None and preferred != b.leaders:
                leaders = Text(human_count(b.leaders), style=warn, justify="right")
            state: str | Text = "online" if b.online else Text("offline", style=stop)
            if b.online and b.offline_log_dirs:
                state = Text(f"{b.offline_log_dirs} dir!", style=stop)
            rows.append(
                (
                    str(b.node_id),
                    (
                        str(b.node_id),
                        b.address,
                        b.rack or "-",
                        CONTROLLER_MARK if b.is_controller else "",
                        state,
                        leaders,
                        "-" if preferred is None else human_count(preferred),
                        human_count(b.replicas),
                        human_bytes(b.log_dir_size),
                        disk_text(b),
                        human_bytes(b.total_bytes),
                    ),
                    (
                        b.node_id,
                        b.address,
                        b.rack,
                        b.is_controller,
                        b.online,
                        b.leaders,
                        preferred,
                        b.replicas,
                        b.log_dir_size,
                        b.used_fraction,
                        b.total_bytes,
                    ),
                )
            )
        self.table.set_rows(rows)
        controller = data.controller_id
        self.table.border_title = "Brokers" + (
            f" · controller {controller} ({CONTROLLER_MARK})" if controller is not None else ""
        )

    def _show_quorum(self, data: BrokersSnapshot) -> None:
        table = self.query_one("#brokers-quorum", DiffTable)
        quorum: QuorumInfo | None = data.quorum
        if quorum is None:
            table.border_title = f"KRaft quorum: {data.quorum_error or 'unknown'}"
            table.set_rows([])
            return
        # The high watermark last: on a narrow screen the title is cut there.
        table.border_title = (
            f"KRaft quorum · leader {quorum.leader_id} · epoch {quorum.leader_epoch} · "
            f"{len(quorum.voters)} voter(s), {len(quorum.observers)} observer(s) · "
            f"high watermark {quorum.high_watermark}"
        )
        now = time.time()
        lag_style = theme_style(self.app, "status-warn", bold=True)
        rows = []
        for index, r in enumerate(quorum.replicas):
            lag: str | Text = "-" if r.lag is None else str(r.lag)
            if r.lag and r.lag > 0:
                lag = Text(str(r.lag), style=lag_style)
            role = r.status if r.status != "Observer" else "Observer"
            rows.append(
                (
                    f"{r.status}:{r.node_id}",
                    (
                        str(r.node_id),
                        role,
                        "-" if r.log_end_offset < 0 else str(r.log_end_offset),
                        lag,
                        ago(r.last_fetch_timestamp, now),
                        ago(r.last_caught_up_timestamp, now),
                        " ".join(quorum.endpoints.get(r.node_id, ())) or "-",
                    ),
                    (index, r.status, r.log_end_offset, r.lag, r.last_fetch_timestamp, r.last_caught_up_timestamp, ""),
                )
            )
        table.set_rows(rows)

    # -- configs of the selected broker ---------------------------------------------------------

    def selected_broker(self) -> int | None:
        key = self.table.selected_key()
        return int(key) if key is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "brokers-table":
            event.stop()
            broker = self.selected_broker()
            if broker is not None and broker != self.configs_of:
                self._load_configs()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "brokers-table":
            event.stop()
            self.action_configs()

    def action_configs(self) -> None:
        """Reload the selected broker's configs and move to them."""
        self._load_configs()
        self.query_one("#brokers-configs", ConfigTable).focus()

    def _load_configs(self) -> None:
        broker = self.selected_broker()
        if broker is None and self.brokers_snapshot is not None and self.brokers_snapshot.brokers:
            broker = self.brokers_snapshot.brokers[0].node_id
        if broker is None:
            return
        self.configs_of = broker
        table = self.query_one("#brokers-configs", ConfigTable)
        table.border_title = f"Configs of broker {broker}: loading ..."

        async def load() -> None:
            try:
                configs = await self.service.broker_configs(broker)
            except Exception as exc:
                if self.configs_of == broker:
                    table.border_title = f"Configs of broker {broker}: {describe_exception(exc)}"
                return
            if self.configs_of == broker:
                self.configs = configs
                self._show_configs()

        self.run_worker(load(), group="broker-configs", exclusive=True, exit_on_error=False)

    def _show_configs(self) -> None:
        table = self.query_one("#brokers-configs", ConfigTable)
        shown = table.show_configs(self.configs, non_default_only=self.non_default_only, text=self.filter_text)
        which = "not Kafka's default" if self.non_default_only else "all"
        matching = f" matching '{self.filter_text}'" if self.filter_text else ""
        table.border_title = (
            f"Configs of broker {self.configs_of}: {shown} {which}{matching} (● = not Kafka's default; n toggles)"
        )

    def action_toggle_non_default(self) -> None:
        self.non_default_only = not self.non_default_only
        self._show_configs()

    def apply_filter(self) -> None:
        self._show_configs()

    def focus_default(self) -> None:
        self.table.focus()

    # -- leader balance and the replica operations -------------------------------------------

    @property
    def reassign(self) -> ReassignService:
        return self.kview.services.reassign

    def _loaded(self) -> bool:
        if self.balance is None or self.metadata is None:
            self.notify("The brokers are still loading.", severity="warning", timeout=4)
            return False
        return True

    def action_leaders(self) -> None:
        """List the partitions not led by their preferred replica."""
        from kview.ui.screens.leaders import LeadersScreen

        if self._loaded() and self.balance is not None:
            self.app.push_screen(LeadersScreen(self.balance, self.open_election))

    def action_elect(self) -> None:
        self.open_election(())

    def open_election(self, selected: Sequence[TopicPartition]) -> None:
        """The election form (``selected``: partitions chosen in the list)."""
        from kview.ui.screens.leaders import ElectionScreen

        if self.refuse_if_read_only("elect leaders") or not self._loaded() or self.metadata is None:
            return
        form = ElectionScreen(
            elect=self.reassign.elect_leaders,
            confirm=self.ask,
            partition_counts={t.name: t.partition_count for t in self.metadata.topics},
            not_preferred=self.balance.not_preferred_count if self.balance is not None else 0,
            selected=selected,
        )

        def closed(report: ElectionReport | None) -> None:
            if report is not None:
                self.poll_now()

        self.app.push_screen(form, closed)

    def ask(self, title: str, body: str, require: str | None, answered: Callable[[bool | None], None]) -> None:
        """A confirmation (typed when ``require`` is given) on top of a form."""
        from kview.ui.screens.confirm import ConfirmScreen

        label = "Elect" if require is None else "Elect (unclean)"
        self.app.push_screen(ConfirmScreen(title, body, require_text=require, confirm_label=label), answered)

    def action_plan(self) -> None:
        """Build a reassignment plan by intent, preview it, save or apply it."""
        from kview.ui.screens.reassign_plan import PlanScreen, apply_outcome
        from kview.ui.screens.reassignments import ReassignmentsScreen

        if not self._loaded() or self.metadata is None or self.brokers_snapshot is None:
            return

        def applied(outcome: tuple[ReassignmentPlan, ApplyResult] | None) -> None:
            if outcome is None:
                return
            plan, result = outcome
            text, severity = apply_outcome(result)
            self.notify(text, title="Reassignment started" if result.started else "Nothing started", severity=severity)
            self.poll_now()
            if result.started:
                targets = {key: plan.assignments[key] for key in result.started if key in plan.assignments}
                self.app.push_screen(
                    ReassignmentsScreen(
                        self.reassign,
                        targets=targets,
                        title=f"Moving: {plan.description}",
                        read_only=self.kview.profile.read_only,
                    ),
                    lambda _closed: self.poll_now(),
                )

        self.app.push_screen(
            PlanScreen(
                self.reassign, self.metadata, broker=self.selected_broker(), read_only=self.kview.profile.read_only
            ),
            applied,
        )

    def action_moving(self) -> None:
        """Reassignments in progress on the cluster, whoever started them."""
        from kview.ui.screens.reassignments import ReassignmentsScreen

        self.app.push_screen(
            ReassignmentsScreen(self.reassign, read_only=self.kview.profile.read_only), lambda _result: self.poll_now()
        )
