"""The JSON file format of ``kafka-reassign-partitions``:
``{"version": 1, "partitions": [{"topic": ..., "partition": ..., "replicas":
[...], "log_dirs": [...]}]}``, read and written so that plans move between
kview and Kafka's tool (``--execute``/``--verify`` read it; ``--generate``
and ``--execute`` print it).  Errors name the entry at fault."""

from __future__ import annotations

from collections.abc import Mapping

from kview.core.reassign.models import Replicas, TopicPartition


def assignments_to_json(assignments: Mapping[TopicPartition, Replicas]) -> str:
    """The file's text for ``assignments`` (partitions sorted; log_dirs 'any')."""
    raise NotImplementedError


def assignments_from_json(text: str, source: str = "plan file") -> dict[TopicPartition, Replicas]:
    """The assignments a file holds; raises PlanError naming ``source`` and the
    entry at fault (not JSON, wrong version, a field missing or of the wrong
    type, a partition twice).  Log dirs other than 'any' are refused: kview
    does not move replicas between a broker's dirs."""
    raise NotImplementedError


def read_plan_file(path: str) -> dict[TopicPartition, Replicas]:
    """``assignments_from_json`` of a file ('-' for stdin); PlanError when unreadable."""
    raise NotImplementedError


def write_plan_file(path: str, assignments: Mapping[TopicPartition, Replicas]) -> None:
    """Write ``assignments_to_json`` to ``path`` ('-' for stdout)."""
    raise NotImplementedError
