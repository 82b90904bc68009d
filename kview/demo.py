"""``kview demo``: a real local Kafka with live traffic, then the UI on it.
Quitting the UI stops the traffic and the cluster."""

from __future__ import annotations

import sys

from kview.core.config import ClusterProfile, Config
from kview.core.demo import DemoTraffic
from kview.core.devcluster import DevCluster, DevClusterError


def run_demo(brokers: int = 1, rate: float = 50.0, debug: bool = False) -> int:
    from kview.app import make_app
    from kview.core.logs import setup_logging

    log_path = setup_logging(debug)
    print(f"kview demo: starting a {brokers}-broker Apache Kafka cluster (logs: {log_path}) ...",
          file=sys.stderr)
    try:
        cluster = DevCluster(brokers)
        cluster.start()
    except DevClusterError as exc:
        print(f"kview demo: {exc}", file=sys.stderr)
        return 1
    traffic = None
    try:
        traffic = DemoTraffic(cluster.bootstrap, rate=rate, replication=min(brokers, 3))
        traffic.start()
        profile = ClusterProfile(name="demo", bootstrap=tuple(cluster.bootstrap.split(",")),
                                 refresh_interval=2.0)
        config = Config(clusters={"demo": profile}, default_cluster="demo")
        make_app(config, profile).run()
    finally:
        if traffic is not None:
            traffic.stop()
        cluster.stop()
    return 0
