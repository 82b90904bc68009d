"""The cluster and the producer processes of the transaction tests
(``tests/integration/test_transactions_hanging.py``,
``tests/ui/test_transactions_pane.py``): import ``txn_kafka`` (a fixture,
one cluster per test module) and ``killed_producer``.

The cluster is a one-broker KRaft cluster of its own: a transaction only
hangs when its coordinator does not know of the partition, which a Kafka 4
broker prevents unless ``transaction.partition.verification.enable`` is
false; and so that a killed producer's transaction stays open past its
(2 s) timeout, the coordinator's sweep of timed-out transactions is pushed
out to an hour.  The shared ``kafka`` fixture keeps Kafka's defaults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kview.local.cluster import DevCluster

PRODUCER = Path(__file__).parent / "integration" / "txn_producer_process.py"
TIMEOUT_MS = 2000
"""The killed producers' transaction.timeout.ms."""
CONFIG = {
    "transaction.partition.verification.enable": "false",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "3600000",
}


@pytest.fixture(scope="module")
def txn_kafka() -> DevCluster:
    with DevCluster(1, extra_config=CONFIG) as cluster:
        yield cluster


def killed_producer(kafka: DevCluster, topic: str, partition: int, txn_id: str, mode: str, count: int = 3) -> dict:
    """Run a transactional producer process (``txn_producer_process.py``),
    let it write ``count`` records in a transaction, then ``kill -9`` it;
    what it printed (offsets, producer id and epoch)."""
    argv = [sys.executable, str(PRODUCER), kafka.bootstrap, topic, str(partition), txn_id, str(count)]
    proc = subprocess.Popen([*argv, str(TIMEOUT_MS), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        written = json.loads(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return written
