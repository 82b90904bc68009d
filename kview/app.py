"""The Textual application: ``make_app(config, ...)`` is the one place panes are
wired, used by the CLI, the tests and the screenshot script alike."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import ContentSwitcher

from kview.core.config import ClusterProfile, Config
from kview.core.errors import KViewError, describe_exception
from kview.core.models import ClusterSnapshot
from kview.core.schedule import delay_until_next
from kview.core.services import ClusterServices
from kview.ui.commands import KViewCommands
from kview.ui.messages import OpenGroup, OpenTopic, ProduceTo, TailTopic
from kview.ui.panes.base import Pane
from kview.ui.state import ConnectionState
from kview.ui.themes import DEFAULT_THEME, load_themes, remember_theme, remembered_theme
from kview.ui.widgets.cluster_header import ClusterHeader
from kview.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    # Imported when the first connection is made, after the first frame:
    # aiokafka (and ssl, socket) cost more than the rest of the first paint.
    from kview.core.cluster import ClusterClient
    from kview.ui.panes.schemas import OpenSubject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaneSpec:
    """A pane the app can switch to: built on first visit from ``module:cls``."""

    pane_id: str
    title: str
    key: str
    module: str
    cls: str

    def load(self) -> type[Pane]:
        return getattr(importlib.import_module(self.module), self.cls)


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("overview", "Overview", "1", "kview.ui.panes.overview", "OverviewPane"),
    PaneSpec("topics", "Topics", "2", "kview.ui.panes.topics", "TopicsPane"),
    PaneSpec("brokers", "Brokers", "3", "kview.ui.panes.brokers", "BrokersPane"),
    PaneSpec("groups", "Groups", "4", "kview.ui.panes.groups", "GroupsPane"),
    PaneSpec("tail", "Tail", "5", "kview.ui.panes.tail", "TailPane"),
    PaneSpec("producer", "Producer", "6", "kview.ui.panes.producer", "ProducerPane"),
    PaneSpec("schemas", "Schemas", "7", "kview.ui.panes.schemas", "SchemasPane"),
    PaneSpec("access", "Access", "8", "kview.ui.panes.access", "AccessPane"),
    PaneSpec("transactions", "Transactions", "9", "kview.ui.panes.transactions", "TransactionsPane"),
)
"""Every pane, in key order.  Add a pane here and nowhere else."""

DETAIL_PANES: tuple[PaneSpec, ...] = (
    PaneSpec("topic-detail", "Topic detail", "", "kview.ui.panes.topic_detail", "TopicDetailPane"),
    PaneSpec("group-detail", "Group detail", "", "kview.ui.panes.group_detail", "GroupDetailPane"),
    PaneSpec("schema-detail", "Subject detail", "", "kview.ui.panes.schema_detail", "SchemaDetailPane"),
)
"""Panes shown in place of another (enter on a topic or a group), without a
key of their own: listed here for the help and the palette."""

BackendFactory = Callable[[ClusterProfile], "ClusterClient"]
ServicesFactory = Callable[["ClusterClient"], ClusterServices]


def default_backend(profile: ClusterProfile) -> ClusterClient:
    """kview's cluster client for ``profile`` (imports aiokafka on first use)."""
    from kview.core.cluster import ClusterClient

    return ClusterClient(profile)


MAX_RETRY_DELAY = 30.0


class KViewApp(App[None]):
    """kview: one cluster at a time, panes switched by single keys."""

    TITLE = "kview"
    CSS_PATH = Path(__file__).parent / "ui" / "kview.tcss"
    COMMANDS = App.COMMANDS | {KViewCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        *(Binding(spec.key, f"show_pane('{spec.pane_id}')", spec.title, id=f"pane.{spec.pane_id}") for spec in PANES),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon", "jump", "Go to pane or topic", id="app.jump"),
        Binding("ctrl+r", "refresh", "Refresh now", id="app.refresh"),
        Binding("escape", "back", "Back", id="app.back", show=False),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette", show=False),
    ]

    snapshot: reactive[ClusterSnapshot | None] = reactive(None, always_update=True, init=False)
    connection: reactive[ConnectionState] = reactive(ConnectionState, always_update=True, init=False)

    def __init__(
        self,
        config: Config,
        profile: ClusterProfile,
        backend_factory: BackendFactory = default_backend,
        *,
        start_pane: str = "overview",
        services_factory: ServicesFactory = ClusterServices,
    ) -> None:
        super().__init__()
        self.config = config
        self.profile = profile
        self.backend_factory = backend_factory
        self._backend: ClusterClient | None = None  # made on first use, after the first frame
        self.active_pane_id = start_pane
        self._monitor_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._theme_problems = self._register_themes()
        self._back_stack: list[str] = []
        self.services_factory = services_factory
        self._services: ClusterServices | None = None  # of this connection, made on first use

    def _register_themes(self) -> list[str]:
        """Register every theme file; choose the remembered or configured one."""
        loaded = load_themes()
        for theme in loaded.themes:
            self.register_theme(theme)
        problems = list(loaded.problems)
        wanted = remembered_theme() or self.config.theme
        if wanted not in self.available_themes:
            problems.append(f"theme '{wanted}' is not available; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        return problems

    def watch_theme(self, name: str) -> None:
        if self.is_running:
            remember_theme(name)

    @property
    def backend(self) -> ClusterClient:
        """The client of the current cluster (made on first use)."""
        if self._backend is None:
            self._backend = self.backend_factory(self.profile)
        return self._backend

    @backend.setter
    def backend(self, client: ClusterClient) -> None:
        self._backend = client

    def status_colour(self, status: str) -> str:
        """The theme's colour for a status name (ok, warn, stall, stop, ...)."""
        return self.theme_variables.get(f"status-{status.lower()}") or self.theme_variables.get("foreground", "")

    # -- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ClusterHeader(id="header")
        yield ContentSwitcher(id="panes")
        yield KeyFooter(
            essentials=(("app.help", "Help"), ("app.jump", "Go"), ("app.palette", "Commands"), ("app.quit", "Quit")),
            group=tuple(f"pane.{spec.pane_id}" for spec in PANES),
            group_label="Panes",
            id="footer",
        )

    async def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        for problem in self._theme_problems:
            self.notify(problem, title="Theme", severity="warning", timeout=8)
        self._header.set_state(cluster_name=self.profile.name, read_only=self.profile.read_only)
        await self.show_pane(self.active_pane_id)
        # Connecting imports aiokafka: after the first frame is on the screen.
        self.call_after_refresh(self._start_monitor)

    @property
    def _header(self) -> ClusterHeader:
        return self.query_one(ClusterHeader)

    # -- panes ---------------------------------------------------------------------

    def pane_spec(self, pane_id: str) -> PaneSpec:
        for spec in PANES:
            if spec.pane_id == pane_id:
                return spec
        raise KeyError(pane_id)

    async def show_pane(self, pane_id: str) -> Pane:
        """Switch to a pane, building it on first visit."""
        spec = self.pane_spec(pane_id)
        main_ids = {s.pane_id for s in PANES}
        leaving_detail = self.active_pane_id != pane_id and self.active_pane_id not in main_ids
        if leaving_detail:
            self._back_stack.clear()  # left by a pane key: esc has nothing to go back to
        switcher = self.query_one("#panes", ContentSwitcher)
        panes = switcher.query_children(f"#pane-{pane_id}")
        if panes:
            pane = panes.first(Pane)
        else:
            pane = spec.load()()
            await switcher.mount(pane)
        self.active_pane_id = pane_id
        switcher.current = pane.id
        self._header.set_state(pane_title=spec.title)
        pane.focus_default()
        if leaving_detail:
            # Detail panes (a group's, a topic opened from it) are out of reach now.
            for old in [c for c in switcher.children if isinstance(c, Pane) and c.pane_id not in main_ids]:
                await old.remove()
        return pane

    async def action_show_pane(self, pane_id: str) -> None:
        await self.show_pane(pane_id)

    async def show_detail(self, pane: Pane) -> None:
        """Show a detail pane (topic detail, group detail) in place of the
        current pane; ``esc`` goes back to where the user came from."""
        switcher = self.query_one("#panes", ContentSwitcher)
        for old in switcher.query_children(f"#{pane.id}"):
            await old.remove()
        await switcher.mount(pane)
        if self.active_pane_id != pane.pane_id:
            self._back_stack.append(self.active_pane_id)
        self.active_pane_id = pane.pane_id
        switcher.current = pane.id
        self._header.set_state(pane_title=pane.title)
        pane.focus_default()

    def action_jump(self) -> None:
        from kview.ui.screens.jump import JumpScreen

        topics = [t.name for t in self.snapshot.metadata.topics] if self.snapshot else []
        panes = [spec.title.lower() for spec in PANES]
        self.push_screen(JumpScreen(panes + topics), self._jump_to)

    async def _jump_to(self, target: str | None) -> None:
        if not target:
            return
        wanted = target.lower()
        for spec in PANES:
            if wanted in (spec.pane_id, spec.title.lower(), spec.key):
                await self.show_pane(spec.pane_id)
                return
        if self.snapshot is not None and self.snapshot.metadata.topic(target) is not None:
            self.post_message(OpenTopic(target))
            return
        self.notify(f"No pane or topic named {target!r}", severity="warning")

    async def action_back(self) -> None:
        """Leave a detail pane for the pane it was opened from."""
        if not self._back_stack:
            return
        detail_id = self.active_pane_id
        switcher = self.query_one("#panes", ContentSwitcher)
        while self._back_stack:
            previous = self._back_stack.pop()
            if any(spec.pane_id == previous for spec in PANES):
                await self.show_pane(previous)
                break
            # A detail pane this one was opened from (a topic from a group's
            # detail): still mounted below it, unless replaced since.
            below = switcher.query_children(f"#pane-{previous}")
            if below:
                self._switch_to(below.first(Pane))
                break
        for old in switcher.query_children(f"#pane-{detail_id}"):
            await old.remove()

    def _switch_to(self, pane: Pane) -> None:
        """Show a mounted pane: the switcher, the header's title, the focus."""
        self.active_pane_id = pane.pane_id
        self.query_one("#panes", ContentSwitcher).current = pane.id
        self._header.set_state(pane_title=pane.title)
        pane.focus_default()

    def active_pane(self) -> Pane | None:
        switcher = self.query_one("#panes", ContentSwitcher)
        found = switcher.query_children(f"#pane-{self.active_pane_id}")
        return found.first(Pane) if found else None

    async def run_pane_action(self, pane_id: str | None, action: str) -> None:
        """Run a pane's action from the palette: switch there first."""
        if pane_id is None:
            await self.run_action(action)
            return
        pane = await self.show_pane(pane_id)
        await self.run_action(action, pane)

    async def run_detail_action(self, spec: PaneSpec, action: str) -> None:
        """Run a detail pane's action from the palette: on that pane, if shown."""
        pane = self.active_pane()
        if pane is None or pane.pane_id != spec.pane_id:
            self.notify(
                f"{spec.title} is not open: open it with enter in its list first.", severity="warning", timeout=4
            )
            return
        await self.run_action(action, pane)

    async def on_produce_to(self, message: ProduceTo) -> None:
        """Another pane asked to produce to a topic: open the producer on it."""
        pane = await self.show_pane("producer")
        pane.set_topic(message.topic)  # type: ignore[attr-defined]

    async def on_open_topic(self, message: OpenTopic) -> None:
        """A pane (or the jump list) asked for one topic's detail."""
        from kview.ui.panes.topic_detail import TopicDetailPane

        await self.show_detail(TopicDetailPane(message.topic))

    async def on_tail_topic(self, message: TailTopic) -> None:
        """A pane asked to tail a topic (or one partition of it)."""
        pane = await self.show_pane("tail")
        pane.start_tail(message.topic, message.partition)  # type: ignore[attr-defined]

    async def on_open_group(self, message: OpenGroup) -> None:
        """A pane asked for one consumer group's detail."""
        from kview.ui.panes.group_detail import GroupDetailPane

        await self.show_detail(GroupDetailPane(message.group))

    async def on_open_subject(self, message: OpenSubject) -> None:
        """A pane asked for one schema registry subject's detail."""
        from kview.ui.panes.schema_detail import SchemaDetailPane

        await self.show_detail(SchemaDetailPane(message.subject))

    @property
    def services(self) -> ClusterServices:
        """The services of this connection, the one place every pane gets
        them from (shared ones keep history across refreshes and panes).
        New ones come with a new backend."""
        services = self._services
        if services is None or services.client is not self.backend:
            services = self._services = self.services_factory(self.backend)
        return services

    # -- cluster connection ----------------------------------------------------------

    def _start_monitor(self) -> None:
        if self._monitor_task is not None:
            self._monitor_task.cancel()
        self._monitor_task = asyncio.create_task(self._monitor(self.backend), name="cluster-monitor")

    async def _monitor(self, backend: ClusterClient) -> None:
        """Refresh the cluster snapshot; back off (1 s doubling to 30 s) while the
        cluster cannot be reached.  The UI never waits on this."""
        delay = 1.0
        while backend is self.backend:
            started = time.perf_counter()
            try:
                snapshot = await self.services.snapshot()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                message = describe_exception(exc)
                if not isinstance(exc, KViewError):
                    log.exception("cluster refresh failed")
                log.warning("cluster %s unreachable: %s", self.profile.name, message)
                self._set_connection(
                    ConnectionState(
                        status="unreachable",
                        error=message,
                        last_ok=self.connection.last_ok,
                        retry_in=delay,
                    )
                )
                wait, delay = delay, min(delay * 2, MAX_RETRY_DELAY)
            else:
                if backend is not self.backend:
                    return
                delay = 1.0
                self.snapshot = snapshot
                self._header.set_state(snapshot=snapshot)
                self._set_connection(ConnectionState(status="connected", last_ok=snapshot.taken_at))
                # Snapshots start an interval apart (kview.core.schedule), not
                # an interval after the last one ended.  A snapshot of 20,000
                # partitions costs real time (on small clusters milliseconds):
                # the interval stretches so at most a quarter of the time goes on it.
                now = time.perf_counter()
                interval = max(self.profile.refresh_interval, 4 * (now - started))
                wait = delay_until_next(started, now, interval)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    def _set_connection(self, state: ConnectionState) -> None:
        previous = self.connection
        self.connection = state
        self._header.set_state(connection=state)
        if previous.status != state.status and state.status == "unreachable":
            self.notify(
                state.error or "cluster unreachable", title="Cannot reach the cluster", severity="error", timeout=8
            )

    def action_refresh(self) -> None:
        self._wake.set()
        pane = self.active_pane()
        if pane is not None and pane.polls:
            pane.poll_now()

    async def switch_cluster(self, name: str) -> None:
        """Connect to another configured cluster without restarting."""
        try:
            profile = self.config.profile(name)
        except KViewError as exc:
            self.notify(str(exc), severity="error")
            return
        old = self.backend
        old_services, self._services = self._services, None
        self.profile = profile
        self.backend = self.backend_factory(profile)
        self.snapshot = None
        self.connection = ConnectionState()
        self._header.set_state(
            cluster_name=profile.name, read_only=profile.read_only, snapshot=None, connection=self.connection
        )
        switcher = self.query_one("#panes", ContentSwitcher)
        await switcher.remove_children()
        await self.show_pane("overview")
        self._start_monitor()
        if old_services is not None:
            await old_services.close()
        await old.close()
        self.notify(f"Connected to {profile.name} ({profile.bootstrap_servers})")

    async def on_unmount(self) -> None:
        if self._monitor_task is not None:
            self._monitor_task.cancel()
        if self._services is not None:
            await self._services.close()
        if self._backend is not None:
            await self._backend.close()

    # -- help and palette ------------------------------------------------------------

    def binding_sections(self) -> list[tuple[str, list[Binding]]]:
        """(section title, bindings) for the app and every pane."""
        from kview.ui.screens.help import binding_rows

        sections = [("Global", binding_rows(self.BINDINGS))]
        for spec in (*PANES, *DETAIL_PANES):
            bindings = binding_rows(spec.load().BINDINGS)
            if bindings:
                sections.append((spec.title, bindings))
        return sections

    def action_help(self) -> None:
        from kview.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.binding_sections(), dict(self._keymap)))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """Every action of the app and its panes, every pane and every cluster."""
        from kview.ui.screens.help import binding_rows

        commands: list[tuple[str, str, Callable[[], Any]]] = []
        for binding in binding_rows(self.BINDINGS):
            if binding.action == "command_palette":
                continue
            commands.append(
                (
                    binding.description,
                    f"key {binding.key}",
                    partial(self.call_later, self.run_pane_action, None, binding.action),
                )
            )
        for spec in PANES:
            for binding in binding_rows(spec.load().BINDINGS):
                commands.append(
                    (
                        f"{spec.title}: {binding.description}",
                        f"key {binding.key} in {spec.title}",
                        partial(self.call_later, self.run_pane_action, spec.pane_id, binding.action),
                    )
                )
        for spec in DETAIL_PANES:
            for binding in binding_rows(spec.load().BINDINGS):
                commands.append(
                    (
                        f"{spec.title}: {binding.description}",
                        f"key {binding.key} in {spec.title}",
                        partial(self.call_later, self.run_detail_action, spec, binding.action),
                    )
                )
        for name, profile in sorted(self.config.clusters.items()):
            commands.append(
                (
                    f"Switch cluster: {name}",
                    profile.bootstrap_servers,
                    partial(self.call_later, self.switch_cluster, name),
                )
            )
        return commands


def make_app(
    config: Config,
    profile: ClusterProfile | None = None,
    backend_factory: BackendFactory = default_backend,
    **kwargs: Any,
) -> KViewApp:
    """Build the app for ``profile`` (default: the config's default cluster)."""
    return KViewApp(config, profile or config.profile(), backend_factory, **kwargs)
