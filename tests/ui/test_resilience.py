"""Connection lifecycle with the real app on real Kafka: no broker at start,
and a broker lost and restarted during a session."""

from __future__ import annotations

import asyncio

from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.config import ClusterProfile, Config
from kview.local.cluster import DevCluster, free_port


def _profile(bootstrap: str) -> ClusterProfile:
    # Short timeouts so the test sees the outage and the recovery quickly.
    return ClusterProfile(
        name="local", bootstrap=tuple(bootstrap.split(",")), refresh_interval=0.5, request_timeout_ms=3000
    )


async def test_no_broker_at_start_then_cluster_comes_up():
    port = free_port()
    app = make_app(Config(), _profile(f"127.0.0.1:{port}"))
    cluster = DevCluster(1, ports=[port])
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.connection.status == "unreachable")
            assert "unreachable" in screen_text(app, flat=True)
            await asyncio.to_thread(cluster.start)
            # Backoff is capped, so the app finds the cluster on its own.
            await wait_for(pilot, lambda: app.connection.connected and app.snapshot is not None, timeout=60)
            await pilot.pause(0.3)
            text = screen_text(app, flat=True)
            assert "connected" in text and f"127.0.0.1:{port}" in text
    finally:
        await asyncio.to_thread(cluster.stop)


async def test_broker_lost_and_back(kafka):
    kafka.run_tool("kafka-topics", "--create", "--if-not-exists", "--topic", "resilience", "--partitions", "2")
    app = make_app(Config(), _profile(kafka.bootstrap))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic("resilience"))
            await asyncio.to_thread(kafka.stop_broker, 1)
            await wait_for(pilot, lambda: app.connection.status == "unreachable", timeout=60)
            await pilot.pause(1.2)
            text = screen_text(app, flat=True)
            # Last data stays on screen, marked stale with its age.
            assert "unreachable" in text and "STALE" in text
            assert app.snapshot is not None and app.snapshot.metadata.topic("resilience")
            # Keys still work during the outage.
            await pilot.press("question_mark")
            await pilot.pause(0.2)
            assert "kview keys" in screen_text(app, flat=True)
            await pilot.press("escape")
            await asyncio.to_thread(kafka.start_broker, 1)
            await wait_for(pilot, lambda: app.connection.connected, timeout=90)
            await pilot.pause(0.5)
            assert "STALE" not in screen_text(app, flat=True)
    finally:
        if not kafka.broker(1).running:
            await asyncio.to_thread(kafka.start_broker, 1)
        await asyncio.to_thread(kafka.wait_ready, 90)
