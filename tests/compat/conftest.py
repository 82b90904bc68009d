"""The compatibility run's clusters: one single-broker KRaft cluster per Kafka
version in ``TESTED_VERSIONS`` (the last 3.x line and the newest 4.x), each
started once per session by kview's harness and driven by that version's own
CLI tools.

The fixture is parametrized at session scope, so pytest runs every test of one
version before starting the next version's cluster (and stops the first); under
pytest-xdist the root conftest puts each version's tests in one group, so each
cluster starts on one worker only."""

from __future__ import annotations

import pytest

from kview.local.cluster import TESTED_VERSIONS, DevCluster


@pytest.fixture(scope="session", params=TESTED_VERSIONS, ids=lambda v: f"kafka-{v}")
def versioned_kafka(request) -> DevCluster:
    """A single-broker cluster of one tested Kafka version."""
    with DevCluster(1, version=request.param) as cluster:
        yield cluster
