"""Make the SVG screenshots in this directory from the real app on the demo
cluster: real Kafka, real traffic, a real schema registry, every pane, every
theme.

    .venv/bin/python screenshots/make_screenshots.py [--size 100x30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from kview.app import KViewApp, make_app
from kview.core.config import ClusterProfile, Config, RegistrySettings
from kview.local.cluster import DevCluster
from kview.local.registry import DevRegistry
from kview.local.traffic import DemoTraffic

HERE = Path(__file__).resolve().parent
DEFAULT_THEME = "kview-dark"
OTHER_THEMES = ("kview-light", "kview-high-contrast", "kview-16")

Step = Callable[[KViewApp, object], Awaitable[None]]


async def _keys(pilot, *keys: str, settle: float = 2.5) -> None:
    for key in keys:
        await pilot.press(key)
        await pilot.pause(0.2)
    await asyncio.sleep(settle)


SHOTS: list[tuple[str, tuple[str, ...]]] = [
    # (file stem, keys pressed from the overview to get there)
    ("overview", ()),
    ("topics", ("2",)),
    ("topic-detail", ("2", "2", "2", "2", "slash", *"orders", "enter", "enter")),
    ("brokers", ("3",)),
    # "4" again only waits (0.2 s a key) for the groups pane's first refresh.
    ("groups", ("4",)),
    ("group-detail", ("4", "4", "4", "4", "enter")),
    ("reset-preview", ("4", "4", "4", "4", "slash", *"audit", "enter", "r", "ctrl+s")),
    ("tail", ("5", *"orders", "enter")),
    ("tail-detail", ("5", *"orders", "enter", "5", "5", "5", "enter")),
    # The demo's Avro topic, decoded with the registry's schemas (v1 and v2 interleaved).
    ("tail-avro", ("5", *"invoices-avro", "enter")),
    ("tail-avro-detail", ("5", *"invoices-avro", "enter", "5", "5", "5", "up", "enter")),
    (
        "producer",
        (
            "6",
            *"orders",
            "tab",
            "tab",
            *"user-42",
            "tab",
            "tab",
            "enter",
            "down",
            "enter",
            "tab",
            "tab",
            *'{"id": 42, "status": "paid"}',
            "tab",
            *"source=kview",
            "ctrl+s",
        ),
    ),
    ("schemas", ("7",)),
    ("schema-diff", ("7", "7", "7", "7", "slash", *"orders-value", "enter", "enter", "f")),
    ("access", ("8", "v", "v")),  # the quotas view: the demo has no authorizer, so no ACLs
    ("transactions", ("9",)),
]
"""Each pane's shot; a pane added to the app adds a line here."""

DEMO_SUBJECTS = (
    # (subject, type, schema): registered unless already there, so the Schemas
    # pane has something of every type whatever the demo registers itself.
    ("orders-value", "AVRO", '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'),
    (
        "orders-value",
        "AVRO",
        '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}, '
        '{"name": "status", "type": "string", "default": "NEW"}]}',
    ),
    ("payments-value", "PROTOBUF", 'syntax = "proto3";\nmessage Payment {\n  string id = 1;\n  int64 cents = 2;\n}\n'),
    ("customers-value", "JSON", '{"type": "object", "properties": {"name": {"type": "string"}}}'),
)


async def seed_registry(url: str) -> None:
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.models import Schema

    client = RegistryClient(RegistrySettings(urls=(url,)))
    try:
        for subject, kind, text in DEMO_SUBJECTS:
            await client.register(subject, Schema(kind, text))
        await client.set_compatibility("orders-value", "BACKWARD")
    finally:
        await client.close()


async def shoot(
    bootstrap: str,
    size: tuple[int, int],
    themes: list[str],
    only: set[str] | None = None,
    registry_url: str | None = None,
) -> list[Path]:
    """One app per shot: drive it to the pane once, then save it in every theme
    (switching the theme repaints the same screen, so the themes show the same
    moment and the producer sends its message once)."""
    written = []
    profile = ClusterProfile(
        name="demo",
        bootstrap=tuple(bootstrap.split(",")),
        refresh_interval=1.0,
        schema_registry=RegistrySettings(urls=(registry_url,)) if registry_url else None,
    )
    if registry_url:
        await seed_registry(registry_url)
    config = Config(clusters={"demo": profile}, default_cluster="demo")
    for stem, keys in SHOTS:
        if only and stem not in only:
            continue
        app = make_app(config, profile)
        async with app.run_test(size=size) as pilot:
            app.theme = themes[0]
            await asyncio.sleep(4)  # two refreshes: rates and lag have data
            await _keys(pilot, *keys)
            for theme in themes:
                app.theme = theme
                await pilot.pause(0.3)
                name = f"{stem}.svg" if theme == DEFAULT_THEME else f"{stem}-{theme.removeprefix('kview-')}.svg"
                app.save_screenshot(filename=name, path=str(HERE))
                written.append(HERE / name)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="100x30", help="terminal size, COLSxROWS")
    parser.add_argument("--default-only", action="store_true", help="only the default theme")
    parser.add_argument(
        "--only",
        metavar="STEM",
        action="append",
        help="only this shot (repeatable): " + ", ".join(stem for stem, _ in SHOTS),
    )
    args = parser.parse_args()
    unknown = set(args.only or ()) - {stem for stem, _ in SHOTS}
    if unknown:
        parser.error(f"no such shot: {', '.join(sorted(unknown))}")
    cols, rows = (int(x) for x in args.size.split("x"))
    themes = [DEFAULT_THEME] + ([] if args.default_only else list(OTHER_THEMES))
    # The app remembers the last theme chosen: keep that (and any config) out
    # of the user's own directories.
    scratch = tempfile.mkdtemp(prefix="kview-screenshots-")
    os.environ["KVIEW_STATE_DIR"] = os.path.join(scratch, "state")
    os.environ["KVIEW_CONFIG"] = os.path.join(scratch, "config.yaml")
    os.environ["KVIEW_LOG_DIR"] = os.path.join(scratch, "logs")
    # The demo's registry too: its schema topics are tailed decoded.
    with DevCluster(1) as cluster, DevRegistry() as registry:
        traffic = DemoTraffic(cluster.bootstrap, rate=80, registry_url=registry.url, seed_access=True)
        traffic.start()
        try:
            shots = shoot(cluster.bootstrap, (cols, rows), themes, set(args.only or ()), registry.url)
            for path in asyncio.run(shots):
                print(path.relative_to(HERE.parent))
        finally:
            traffic.stop()
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
