"""Scale benchmark for the topics pane: 5,000 topics / 20,000 partitions.

Starts a DevCluster, creates the topics in batched CreateTopics requests, then
measures and prints how long one full topics refresh takes in the backend
(Metadata + ListOffsets per leader + DescribeLogDirs per broker + building the
rows), cold and warm, and one brokers-pane refresh.

    python bench/topics_scale.py [--topics 5000] [--partitions 20000]
                                 [--brokers 1] [--bootstrap HOST:PORT] [--keep]

``--bootstrap`` measures an existing cluster (topics named ``scale-*`` are
created only if missing); ``--keep`` leaves the cluster running afterwards
(Ctrl-C to stop) so UI measurements can be repeated against it.

Figures for the UI (first paint of the topics pane, a filter keystroke, one
full refresh) come from ``ui_measurements(bootstrap)`` below: the real app,
headless.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka.protocol.admin import CreateTopicsRequest  # noqa: E402

from kview.core.brokers import BrokerService  # noqa: E402
from kview.core.cluster import ClusterClient  # noqa: E402
from kview.core.config import adhoc_profile  # noqa: E402
from kview.core.devcluster import DevCluster  # noqa: E402
from kview.core.errors import KafkaRequestError  # noqa: E402
from kview.core.topics import TopicService  # noqa: E402

PREFIX = "scale-"
TOPICS_PER_REQUEST = 250
"""KRaft caps one request at 10,000 metadata records; 250 topics x 4
partitions is about 1,250, leaving room for bigger partition counts."""

FDS_PER_BROKER_BASE = 1_000
"""Open files a broker needs besides one per partition (jars, sockets, logs)."""


# -- UI figures ----------------------------------------------------------------------
# ``ui_measurements`` is called with the bootstrap of the populated cluster,
# after the backend figures, and returns {label: seconds}; each is printed.


async def ui_measurements(bootstrap: str) -> dict[str, float]:
    """UI figures against ``bootstrap``: the real app, headless at 160x50.

    * first paint: from pressing ``2`` (topics pane) right after the app
      starts until every topic is in the table and the screen has been drawn;
    * filter keystroke: one key typed into the filter (``/``) until the table
      is re-drawn; "apply" is the pane's own share (filter + sort + diff, no
      network), "key to screen" adds Textual's key handling and repaint;
    * full refresh: one ``collect()`` (the network) and one ``show()`` (rows
      rebuilt and diffed) of the pane, as every refresh interval does."""
    from kview.app import make_app
    from kview.core.config import Config
    from kview.ui.panes.topics import TopicsPane

    figures: dict[str, float] = {}
    app = make_app(Config(), adhoc_profile(bootstrap))
    async with app.run_test(size=(160, 50)) as pilot:
        started = time.perf_counter()
        await pilot.press("2")
        pane = app.query_one(TopicsPane)
        while pane.topics_snapshot is None or pane.table.row_count < len(pane.visible_topics()) \
                or not pane.table.row_count:
            await asyncio.sleep(0.01)
        await pilot.pause()  # one screen refresh
        figures[f"first paint ({pane.table.row_count:,} rows)"] = time.perf_counter() - started
        figures["  of which the pane's first refresh (network)"] = pane._refresh_seconds or 0.0

        # Keystrokes: narrowing (fewer rows) and widening (back to all rows).
        await pilot.press("slash")
        bar = pane.query_one("#topics-filter")
        for before, key, after, label in ((PREFIX, "0", PREFIX + "0", "narrow"),
                                          (PREFIX + "0", "0", PREFIX + "00", "narrow"),
                                          (PREFIX + "00", "backspace", PREFIX + "0", "widen"),
                                          (PREFIX[:1], "backspace", "", "widen to all")):
            pane.filter_text = before
            pane.render_rows()
            applied = time.perf_counter()
            pane.filter_text = after
            pane.render_rows()
            apply = time.perf_counter() - applied
            # The same change by a real key, through the filter line.
            bar.value = before
            await pilot.pause()
            pressed = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            assert pane.filter_text == after, (pane.filter_text, after)
            shown = f"'{after}' ({label}, {pane.table.row_count:,} rows)"
            figures[f"filter keystroke {shown}: apply"] = apply
            figures[f"filter keystroke {shown}: key to screen"] = time.perf_counter() - pressed
        await pilot.press("escape")

        # On another pane the topics pane does not poll, so this refresh
        # shares the loop only with the app's own cluster snapshot.
        await pilot.press("1")
        await asyncio.sleep(pane.refresh_interval)
        started = time.perf_counter()
        data = await pane.collect()
        figures["full refresh: collect (network)"] = time.perf_counter() - started
        await pilot.press("2")
        started = time.perf_counter()
        pane.show(data)
        figures["full refresh: show (rows rebuilt and diffed)"] = time.perf_counter() - started
        await pilot.pause()
        figures["full refresh: show + repaint"] = time.perf_counter() - started
        figures["refresh interval at this size"] = pane.refresh_interval
    return figures


# -- backend figures ----------------------------------------------------------------


async def measure_backend(bootstrap: str) -> list[tuple[str, str]]:
    """Time topics refreshes (cold, warm, warm) and one brokers refresh."""
    client = ClusterClient(adhoc_profile(bootstrap))
    started = time.perf_counter()
    await client.start()
    # The machine's load says how far wall-clock figures are from an idle box.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        ("load average (1, 5, 15 min)", f"{load} on {os.cpu_count()} CPUs"),
        ("connect (bootstrap + api versions)", f"{time.perf_counter() - started:.3f} s"),
    ]
    try:
        service = TopicService(client)
        for label in ("topics refresh 1 (cold connections)", "topics refresh 2", "topics refresh 3"):
            started, cpu = time.perf_counter(), time.process_time()
            snapshot = await service.topics()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            steps = dict(snapshot.timings)
            build = steps["total"] - steps["metadata"] - steps["offsets+log dirs"]
            lines.append((
                label,
                f"{elapsed:.3f} s  (kview CPU {cpu:.3f}; metadata {steps['metadata']:.3f}, offsets+log dirs "
                f"{steps['offsets+log dirs']:.3f}, rows {build:.3f}; {len(snapshot.topics)} topics, "
                f"{snapshot.partition_count} partitions"
                + (f"; problems: {snapshot.problems}" if snapshot.problems else "") + ")",
            ))
        rated = sum(1 for t in snapshot.topics if t.rate is not None)
        lines.append(("topics with a rate after refresh 3", str(rated)))
        started = time.perf_counter()
        brokers = await BrokerService(client).brokers()
        lines.append((
            "brokers refresh",
            f"{time.perf_counter() - started:.3f} s  ({len(brokers.brokers)} brokers, "
            f"{sum(b.replicas for b in brokers.brokers)} replicas)",
        ))
    finally:
        await client.close()
    return lines


# -- populating the cluster -----------------------------------------------------------


async def populate(bootstrap: str, topics: int, partitions: int) -> float:
    """Create ``scale-NNNNN`` topics (RF 1) in batched CreateTopics requests and
    wait until every partition has a leader.  Returns the seconds it took."""
    client = ClusterClient(adhoc_profile(bootstrap))
    await client.start()
    started = time.perf_counter()
    try:
        # Spread the partitions evenly: the first (partitions % topics) topics get one more.
        base, extra = divmod(partitions, topics)
        specs = [
            (f"{PREFIX}{i:05d}", base + (1 if i < extra else 0), 1, [], [])
            for i in range(topics)
        ]
        existing = {t.name for t in (await client.metadata()).topics}
        pending = [s for s in specs if s[0] not in existing]
        for start in range(0, len(pending), TOPICS_PER_REQUEST):
            batch = pending[start:start + TOPICS_PER_REQUEST]
            response = await client.send_controller(CreateTopicsRequest(batch, 120_000, False), "create topics")
            for name, code, *message in response.topic_errors:
                if code and code != 36:  # 36: already exists (a rerun)
                    raise KafkaRequestError(code, message[0] if message else None, subject=name)
            print(f"  created {min(start + TOPICS_PER_REQUEST, len(pending))}/{len(pending)} topics", flush=True)
        # Settled means every broker has caught up, not just the one that
        # answers Metadata: all partitions have leaders that answer ListOffsets
        # and a size in DescribeLogDirs.
        service = TopicService(client)
        while True:
            snapshot = await service.topics()
            ours = [t for t in snapshot.topics if t.name.startswith(PREFIX)]
            settled = sum(t.partitions for t in ours if t.size is not None and not t.offline)
            if len(ours) == topics and settled == partitions and not snapshot.problems:
                break
            print(f"  waiting for the brokers to settle: {len(ours)} topics, {settled}/{partitions} "
                  f"partitions ready{'; ' + '; '.join(snapshot.problems) if snapshot.problems else ''}", flush=True)
            await asyncio.sleep(3)
    finally:
        await client.close()
    return time.perf_counter() - started


def brokers_needed(requested: int, partitions: int) -> tuple[int, int]:
    """Brokers to start so each stays under this process's open-file limit
    (brokers inherit it, and Kafka keeps each partition's log file open)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 30
    brokers = requested
    while partitions / brokers + FDS_PER_BROKER_BASE > limit:
        brokers += 1
    return brokers, limit


async def run(args: argparse.Namespace) -> None:
    print(f"kview topics scale bench: {args.topics} topics / {args.partitions} partitions")
    cluster = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        brokers, limit = brokers_needed(args.brokers, args.partitions)
        if brokers != args.brokers:
            print(
                f"NOTE: {args.brokers} broker(s) would need more than {limit} open files each "
                f"(the hard limit here; a broker keeps one per partition): using {brokers} brokers."
            )
        print(f"starting a {brokers}-broker DevCluster ...", flush=True)
        started = time.perf_counter()
        cluster = DevCluster(brokers, heap=args.heap, log_level="WARN")
        cluster.start(timeout=180)
        bootstrap = cluster.bootstrap
        print(f"  up in {time.perf_counter() - started:.1f} s at {bootstrap}")
    try:
        print("creating topics ...", flush=True)
        took = await populate(bootstrap, args.topics, args.partitions)
        print(f"  done in {took:.1f} s")
        print("\nbackend figures:")
        for label, value in await measure_backend(bootstrap):
            print(f"  {label:<40} {value}")
        print("\nUI figures:")
        ui = await ui_measurements(bootstrap)
        if not ui:
            print("  (none)")
        for label, seconds in ui.items():
            print(f"  {label:<40} {seconds:.3f} s")
        if args.keep and cluster is not None:
            print(f"\ncluster kept running at {bootstrap}; Ctrl-C to stop", flush=True)
            while True:
                await asyncio.sleep(3600)
    finally:
        if cluster is not None:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=5_000)
    parser.add_argument("--partitions", type=int, default=20_000)
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--heap", default="1g", help="broker heap (default 1g)")
    parser.add_argument("--bootstrap", help="measure an existing cluster instead of starting one")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running afterwards")
    args = parser.parse_args(argv)
    if args.partitions < args.topics:
        parser.error("every topic needs at least one partition")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
