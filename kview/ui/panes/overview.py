"""Overview pane: brokers, controller, topic and partition counts, health.

It draws the app's cluster snapshot (refreshed by the app's connection
monitor), so it never waits on the network itself."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from kview.core.format import human_count, human_duration
from kview.core.models import ClusterSnapshot
from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.state import ConnectionState


class OverviewPane(Pane):
    pane_id = "overview"
    title = "Overview"
    polls = False
    _drawn: ClusterSnapshot | None = None
    """The snapshot on screen (a hidden overview draws none)."""
    COLUMNS = (
        ("id", "Broker"),
        ("address", "Host:port"),
        ("rack", "Rack"),
        ("controller", "Ctrl"),
        ("leaders", "Leaders"),
        ("replicas", "Replicas"),
    )
    """The broker table's (key, label) columns."""

    DEFAULT_CSS = """
    OverviewPane #overview-stats { height: 3; padding: 0 1; border-bottom: solid $panel-lighten-2; }
    OverviewPane .stat { width: 1fr; height: 2; }
    OverviewPane .stat.-bad { color: $text-error; text-style: bold; }
    OverviewPane #overview-brokers { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="overview-stats"):
            for key, label in (
                ("brokers", "Brokers"),
                ("controller", "Controller"),
                ("topics", "Topics"),
                ("partitions", "Partitions"),
                ("urp", "Under-repl"),
                ("offline", "Offline"),
                ("messages", "Messages"),
            ):
                yield Static(f"{label}\n-", id=f"stat-{key}", classes="stat")
        table: DataTable = DataTable(id="overview-brokers", cursor_type="row", zebra_stripes=True)
        self._add_columns(table, {})
        yield table
        yield PaneStatus("waiting for the cluster ...", id="overview-status")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.kview, "snapshot", self._draw_snapshot)
        self.watch(self.kview, "connection", self._draw_connection)
        self.set_interval(1.0, self._tick_age)

    def on_show(self) -> None:
        super().on_show()
        # Snapshots that came while another pane was shown were not drawn.
        self._draw_snapshot(self.kview.snapshot)
        self._tick_age()

    def _stat(self, key: str, label: str, value: str, bad: bool = False) -> None:
        widget = self.query_one(f"#stat-{key}", Static)
        widget.update(f"{label}\n{value}")
        widget.set_class(bad, "-bad")

    def _draw_snapshot(self, snapshot: ClusterSnapshot | None) -> None:
        # Hidden (another pane is shown), drawing would only cost the keys
        # pressed there: on_show draws the latest snapshot.
        if snapshot is None or snapshot is self._drawn or not self.display:
            return
        self._drawn = snapshot
        meta = snapshot.metadata
        user_topics = [t for t in meta.topics if not t.internal]
        self._stat("brokers", "Brokers", str(len(meta.brokers)))
        self._stat("controller", "Controller", "-" if meta.controller_id is None else str(meta.controller_id))
        self._stat("topics", "Topics", f"{len(user_topics)}+{len(meta.topics) - len(user_topics)}i")
        self._stat("partitions", "Partitions", human_count(meta.partition_count))
        self._stat("urp", "Under-repl", str(meta.under_replicated_count), meta.under_replicated_count > 0)
        self._stat("offline", "Offline", str(meta.offline_count), meta.offline_count > 0)
        self._stat("messages", "Messages", human_count(snapshot.total_messages))
        # Counted once per metadata, in the backend's worker thread.
        leaders, replicas = meta.broker_counts
        table = self.query_one(DataTable)
        rows = {
            str(b.node_id): (
                str(b.node_id),
                b.address,
                b.rack or "-",
                "●" if b.node_id == meta.controller_id else "",
                human_count(leaders.get(b.node_id, 0)),
                human_count(replicas.get(b.node_id, 0)),
            )
            for b in meta.brokers
        }
        widths = {
            key: max((len(row[i]) for row in rows.values()), default=0) for i, (key, _label) in enumerate(self.COLUMNS)
        }
        with self.app.batch_update():
            if any(widths[key] > self._widths.get(key, 0) for key in widths):
                # Columns sized here, not by DataTable's measuring on idle: a
                # row drawn before that measuring kept its narrow cells.
                table.clear(columns=True)
                self._add_columns(table, widths)
            for key, row in rows.items():
                if key in table.rows:
                    for (column, _label), value in zip(self.COLUMNS, row, strict=True):
                        if table.get_cell(key, column) != value:
                            table.update_cell(key, column, value)
                else:
                    table.add_row(*row, key=key)
            for stale in [k for k in table.rows if k.value not in rows]:
                table.remove_row(stale)
        self._tick_age()

    def _add_columns(self, table: DataTable, widths: dict[str, int]) -> None:
        self._widths = {key: max(widths.get(key, 0), len(label)) for key, label in self.COLUMNS}
        for key, label in self.COLUMNS:
            table.add_column(label, key=key, width=self._widths[key])

    def _draw_connection(self, state: ConnectionState) -> None:
        self._tick_age()

    def _tick_age(self) -> None:
        if not self.display:
            return
        snapshot = self.kview.snapshot
        state = self.kview.connection
        status = self.query_one("#overview-status", PaneStatus)
        if snapshot is None:
            text = state.error or "connecting ..."
            status.set_class(state.status == "unreachable", "-error")
        else:
            age = human_duration(time.time() - snapshot.taken_at)
            cluster = snapshot.metadata.cluster_id or "?"
            if state.connected:
                # How fresh first: the id (22 characters) is what 80 columns may cut.
                text = f"updated {age} ago · cluster {cluster}"
                status.remove_class("-error")
            else:
                text = f"STALE ({age} old) · {state.error or 'disconnected'}"
                status.add_class("-error")
        status.update(text)
