"""The JSON file format of ``kafka-reassign-partitions``:
``{"version": 1, "partitions": [{"topic": ..., "partition": ..., "replicas":
[...], "log_dirs": [...]}]}``, read and written so that plans move between
kview and Kafka's tool (``--execute``/``--verify`` read it; ``--generate``
and ``--execute`` print it).  Errors name the entry at fault."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from kview.core.reassign.models import Replicas, TopicPartition
from kview.core.reassign.planner import PlanError

ANY_LOG_DIR = "any"
"""Kafka's word for 'whichever log dir the broker picks'."""


def assignments_to_json(assignments: Mapping[TopicPartition, Replicas]) -> str:
    """The file's text for ``assignments`` (partitions sorted; log_dirs 'any'),
    laid out as Kafka's tool prints it: one line."""
    partitions = [
        {
            "topic": topic,
            "partition": partition,
            "replicas": list(assignments[(topic, partition)]),
            "log_dirs": [ANY_LOG_DIR] * len(assignments[(topic, partition)]),
        }
        for topic, partition in sorted(assignments)
    ]
    return json.dumps({"version": 1, "partitions": partitions}, separators=(",", ":"))


def _entry_name(index: int, entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("topic"), str) and isinstance(entry.get("partition"), int):
        return f"entry {index + 1} ({entry['topic']}-{entry['partition']})"
    return f"entry {index + 1}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def assignments_from_json(text: str, source: str = "plan file") -> dict[TopicPartition, Replicas]:
    """The assignments a file holds; raises PlanError naming ``source`` and the
    entry at fault (not JSON, wrong version, a field missing or of the wrong
    type, a partition twice).  Log dirs are checked but not used: kview moves
    replicas between brokers, not between a broker's dirs, so each broker
    keeps (or picks) the dir it likes; Kafka's tool prints the current dirs
    in the rollback it prints, and that file must read back."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"{source}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise PlanError(f'{source}: expected an object with "version" and "partitions"')
    version = data.get("version", 1)
    if version != 1:
        raise PlanError(f"{source}: version {version!r} is not supported (kafka-reassign-partitions writes 1)")
    partitions = data.get("partitions")
    if not isinstance(partitions, list):
        raise PlanError(f'{source}: "partitions" must be a list')
    assignments: dict[TopicPartition, Replicas] = {}
    for index, entry in enumerate(partitions):
        where = f"{source}: {_entry_name(index, entry)}"
        if not isinstance(entry, dict):
            raise PlanError(f"{where}: expected an object")
        topic, partition, replicas = entry.get("topic"), entry.get("partition"), entry.get("replicas")
        if not isinstance(topic, str) or not topic:
            raise PlanError(f'{where}: "topic" must be a non-empty string')
        if not isinstance(partition, int) or isinstance(partition, bool) or partition < 0:
            raise PlanError(f'{where}: "partition" must be a whole number, 0 or more')
        if not isinstance(replicas, list) or not replicas or not all(_is_int(r) and r >= 0 for r in replicas):
            raise PlanError(f'{where}: "replicas" must be a non-empty list of broker ids')
        if len(set(replicas)) != len(replicas):
            raise PlanError(f"{where}: a broker is named twice in {replicas}")
        log_dirs = entry.get("log_dirs")
        if log_dirs is not None:
            if (
                not isinstance(log_dirs, list)
                or len(log_dirs) != len(replicas)
                or not all(isinstance(d, str) for d in log_dirs)
            ):
                raise PlanError(f'{where}: "log_dirs" must list one dir (a string) per replica')
        key = (topic, partition)
        if key in assignments:
            raise PlanError(f"{where}: the partition is listed twice")
        assignments[key] = tuple(replicas)
    if not assignments:
        raise PlanError(f"{source}: no partitions")
    return assignments


def read_plan_file(path: str) -> dict[TopicPartition, Replicas]:
    """``assignments_from_json`` of a file ('-' for stdin); PlanError when unreadable."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlanError(f"cannot read plan file {path}: {reason}") from None
    return assignments_from_json(text, source="stdin" if path == "-" else path)


def write_plan_file(path: str, assignments: Mapping[TopicPartition, Replicas]) -> None:
    """Write ``assignments_to_json`` to ``path`` ('-' for stdout)."""
    text = assignments_to_json(assignments) + "\n"
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise PlanError(f"cannot write plan file {path}: {exc.strerror or exc}") from None
