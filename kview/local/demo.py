"""``kview demo``: a real local Kafka with live traffic, then the UI on it.
Quitting the UI stops the traffic and the cluster."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from kview.core.config import ClusterProfile, Config
from kview.local.cluster import DevCluster, DevClusterError
from kview.local.traffic import AUDIT_STOPS_AFTER, DemoTraffic


@contextmanager
def demo_running(
    brokers: int = 1, rate: float = 50.0, audit_stops_after: float = AUDIT_STOPS_AFTER
) -> Iterator[tuple[DevCluster, DemoTraffic]]:
    """The demo without its UI: the cluster started and the traffic running
    while the block runs; on the way out (a quit, an error, Ctrl-C) the
    traffic stops, then the brokers, and the cluster's directory is removed.
    Raises DevClusterError when the cluster cannot start."""
    cluster = DevCluster(brokers)
    cluster.start()
    traffic = None
    try:
        traffic = DemoTraffic(
            cluster.bootstrap, rate=rate, replication=min(brokers, 3), audit_stops_after=audit_stops_after
        )
        traffic.start()
        yield cluster, traffic
    finally:
        if traffic is not None:
            traffic.stop()
        cluster.stop()


def run_demo(brokers: int = 1, rate: float = 50.0, debug: bool = False) -> int:
    from kview.app import make_app
    from kview.core.logs import setup_logging

    log_path = setup_logging(debug)
    print(f"kview demo: starting a {brokers}-broker Apache Kafka cluster (logs: {log_path}) ...", file=sys.stderr)
    try:
        with demo_running(brokers, rate) as (cluster, _traffic):
            profile = ClusterProfile(name="demo", bootstrap=tuple(cluster.bootstrap.split(",")), refresh_interval=2.0)
            config = Config(clusters={"demo": profile}, default_cluster="demo")
            make_app(config, profile).run()
    except DevClusterError as exc:
        print(f"kview demo: {exc}", file=sys.stderr)
        return 1
    return 0
