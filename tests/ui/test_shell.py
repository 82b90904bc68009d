"""The real app, headless, on the real single-broker cluster."""

from __future__ import annotations

from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.config import Config, adhoc_profile


async def test_overview_shows_cluster(kafka):
    kafka.run_tool("kafka-topics", "--create", "--if-not-exists", "--topic", "shell-a", "--partitions", "3")
    profile = adhoc_profile(kafka.bootstrap)
    app = make_app(Config(), profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic("shell-a"))
        await pilot.pause(0.2)
        text = screen_text(app, flat=True)
        assert "connected" in text
        assert "127.0.0.1" in text
        assert "Brokers" in text


async def test_unreachable_cluster_opens_and_keeps_retrying():
    from kview.local.cluster import free_port

    port = free_port()
    app = make_app(Config(), adhoc_profile(f"127.0.0.1:{port}"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.connection.status == "unreachable")
        first_retry = app.connection.retry_in
        await wait_for(pilot, lambda: (app.connection.retry_in or 0) > first_retry, timeout=10)
        text = screen_text(app, flat=True)
        assert "unreachable" in text
        # The reason is on screen, in words, with the address that was tried.
        assert f"127.0.0.1:{port}" in text and "refused" in text
        # The app still answers keys while the cluster is away.
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert "kview keys" in screen_text(app, flat=True)


async def test_help_lists_every_binding(kafka):
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    # Tall enough that the whole help screen shows without scrolling.
    async with app.run_test(size=(120, 250)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        text = screen_text(app, flat=True)
        for _title, bindings in app.binding_sections():
            for binding in bindings:
                assert binding.description in text, binding.description


async def test_palette_switches_cluster(kafka):
    from kview.core.config import ClusterProfile
    from kview.local.cluster import free_port

    down = ClusterProfile(name="down", bootstrap=(f"127.0.0.1:{free_port()}",))
    local = ClusterProfile(name="local", bootstrap=tuple(kafka.bootstrap.split(",")))
    config = Config(clusters={"down": down, "local": local}, default_cluster="down")
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.connection.status == "unreachable")
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"switch cluster local")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection.connected and app.profile.name == "local")
        await pilot.pause(0.3)
        text = screen_text(app, flat=True)
        assert "local" in text and "connected" in text


async def test_demo_traffic_moves_the_numbers(kafka):
    from kview.local.traffic import DemoTraffic

    traffic = DemoTraffic(kafka.bootstrap, rate=100)
    traffic.start()
    try:
        app = make_app(Config(), adhoc_profile(kafka.bootstrap))
        app.profile = app.profile.__class__(**{**app.profile.__dict__, "refresh_interval": 0.5})
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic("orders"))
            first = app.snapshot.total_messages
            await wait_for(pilot, lambda: app.snapshot.total_messages > first + 20)
            # The total drawn on screen is the snapshot's (retried: traffic keeps moving it).
            await wait_for(pilot, lambda: f"{app.snapshot.total_messages:,}" in screen_text(app, flat=True))
    finally:
        traffic.stop()


async def test_every_binding_is_in_the_palette(kafka):
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(80, 24)):
        names = {name for name, _help, _callback in app.palette_commands()}
        for title, bindings in app.binding_sections():
            for binding in bindings:
                if binding.action == "command_palette":
                    continue
                wanted = binding.description if title == "Global" else f"{title}: {binding.description}"
                assert wanted in names, wanted


async def test_every_pane_at_80x24(kafka):
    from kview.app import PANES

    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        for spec in PANES:
            await pilot.press(spec.key)
            await wait_for(pilot, lambda spec=spec: app.active_pane_id == spec.pane_id, timeout=15)
            pane = app.active_pane()
            assert pane is not None and pane.display and pane.region.width == 80
            # Some panes open a form on first visit (the tail asks for a topic).
            while app.screen is not app.screen_stack[0]:
                await pilot.press("escape")
                await pilot.pause(0.2)
            if spec.pane_id == "producer":
                # Its first field has the keyboard: esc leaves it, then digits switch panes.
                await pilot.press("escape")
