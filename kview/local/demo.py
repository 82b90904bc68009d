"""``kview demo``: a real local Kafka and schema registry with live traffic
(and, on Kafka 4, a share group and a KIP-848 group of Kafka's own clients),
then the UI on them.  Quitting the UI stops the traffic, the registry and the
cluster."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from kview.core.config import ClusterProfile, Config, RegistrySettings
from kview.local.cluster import DevCluster, DevClusterError
from kview.local.group_members import GroupMembers
from kview.local.registry import DevRegistry
from kview.local.traffic import AUDIT_STOPS_AFTER, DemoTraffic


class DemoStack(NamedTuple):
    cluster: DevCluster
    traffic: DemoTraffic
    registry: DevRegistry | None


def _start_both(cluster: DevCluster, registry: DevRegistry | None) -> None:
    """Start the registry while the cluster starts (each takes seconds, most
    of them waiting on its JVM); raise the first failure (the caller stops
    both)."""
    failure: list[BaseException] = []

    def start_registry() -> None:
        assert registry is not None
        try:
            registry.start()
        except BaseException as exc:  # handed to the starting thread
            failure.append(exc)

    thread = threading.Thread(target=start_registry, name="kview-demo-registry", daemon=True)
    if registry is not None:
        thread.start()
    try:
        cluster.start()
    finally:
        if registry is not None:
            thread.join()
    if failure:
        raise failure[0]


@contextmanager
def demo_running(
    brokers: int = 1,
    rate: float = 50.0,
    audit_stops_after: float = AUDIT_STOPS_AFTER,
    *,
    registry: bool = True,
    jvm_members: bool = True,
) -> Iterator[DemoStack]:
    """The demo without its UI: the cluster and the schema registry started
    and the traffic running while the block runs; on the way out (a quit, an
    error, Ctrl-C) the traffic stops, then the registry and the brokers, and
    their directories are removed.  Raises DevClusterError when the cluster
    or the registry cannot start.  ``registry=False`` leaves the registry and
    the schema topics out.  ``jvm_members``: on Kafka 4, Kafka's own console
    clients join a share group and a KIP-848 consumer group
    (``JVM_GROUPS``), so every group type is on show."""
    cluster = DevCluster(brokers)
    dev_registry = DevRegistry() if registry else None
    try:
        _start_both(cluster, dev_registry)
        traffic = DemoTraffic(
            cluster.bootstrap,
            rate=rate,
            replication=min(brokers, 3),
            audit_stops_after=audit_stops_after,
            registry_url=None if dev_registry is None else dev_registry.url,
            seed_access=True,
        )
        members = GroupMembers(cluster)
        try:
            traffic.start()
            if jvm_members and int(cluster.version.split(".")[0]) >= 4:
                start_jvm_groups(members)
            yield DemoStack(cluster, traffic, dev_registry)
        finally:
            members.stop()
            traffic.stop()
    finally:
        if dev_registry is not None:
            dev_registry.stop()
        cluster.stop()


JVM_GROUPS = {
    "fulfilment": "a share group: two of Kafka's console share consumers share the orders",
    "shipping": "a KIP-848 consumer group: Kafka's console consumer with group.protocol=consumer reads payments",
}


def start_jvm_groups(members: GroupMembers) -> None:
    """The demo's share group (two members) and KIP-848 group (one member)."""
    members.share_consumer("orders", "fulfilment")
    members.share_consumer("orders", "fulfilment")
    members.consumer_848("payments", "shipping")


def demo_profile(stack: DemoStack) -> ClusterProfile:
    """The profile the demo's app runs with: the cluster, and the registry
    when there is one."""
    settings = None if stack.registry is None else RegistrySettings(urls=(stack.registry.url,))
    return ClusterProfile(
        name="demo",
        bootstrap=tuple(stack.cluster.bootstrap.split(",")),
        refresh_interval=2.0,
        schema_registry=settings,
    )


def run_demo(brokers: int = 1, rate: float = 50.0, debug: bool = False) -> int:
    from kview.app import make_app
    from kview.core.logs import setup_logging

    log_path = setup_logging(debug)
    print(
        f"kview demo: starting a {brokers}-broker Apache Kafka cluster and a schema registry (logs: {log_path}) ...",
        file=sys.stderr,
    )
    try:
        with demo_running(brokers, rate) as stack:
            profile = demo_profile(stack)
            config = Config(clusters={"demo": profile}, default_cluster="demo")
            make_app(config, profile).run()
    except DevClusterError as exc:
        print(f"kview demo: {exc}", file=sys.stderr)
        return 1
    return 0
