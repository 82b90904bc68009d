"""Parsers for the text that Kafka's own CLI tools print, so tests can compare
kview's numbers with theirs."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ToolPartition:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


def _ids(text: str) -> tuple[int, ...]:
    text = text.strip()
    return tuple(int(x) for x in text.split(",") if x.strip()) if text and text != "none" else ()


def parse_topics_describe(output: str) -> dict[tuple[str, int], ToolPartition]:
    """``kafka-topics --describe`` partition lines, keyed by (topic, partition)."""
    rows = {}
    for line in output.splitlines():
        fields = dict(re.findall(r"(\w+): ?([^\t]*)", line.strip()))
        if "Partition" not in fields or "Leader" not in fields:
            continue
        leader = fields["Leader"].strip()
        row = ToolPartition(
            topic=fields["Topic"].strip(),
            partition=int(fields["Partition"]),
            leader=-1 if leader in ("none", "") else int(leader),
            replicas=_ids(fields.get("Replicas", "")),
            isr=_ids(fields.get("Isr", "")),
        )
        rows[(row.topic, row.partition)] = row
    return rows


def parse_get_offsets(output: str) -> dict[tuple[str, int], int]:
    """``kafka-get-offsets`` lines ``topic:partition:offset``."""
    offsets = {}
    for line in output.splitlines():
        parts = line.strip().rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit():
            offsets[(parts[0], int(parts[1]))] = int(parts[2]) if parts[2].lstrip("-").isdigit() else -1
    return offsets


def parse_quorum_status(output: str) -> dict[str, str]:
    """``kafka-metadata-quorum describe --status`` as a field -> text mapping."""
    fields = {}
    for line in output.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def parse_api_versions_brokers(output: str) -> dict[int, tuple[str, str | None]]:
    """``kafka-broker-api-versions`` header lines: id -> (host:port, rack)."""
    brokers = {}
    for match in re.finditer(r"^(\S+) \(id: (\d+) rack: (\S+?)(?: isFenced: \w+)?\) ->", output, re.M):
        rack = None if match.group(3) == "null" else match.group(3)
        brokers[int(match.group(2))] = (match.group(1), rack)
    return brokers


def parse_transactions_table(output: str) -> list[dict[str, str]]:
    """A ``kafka-transactions`` table (list, describe, describe-producers,
    find-hanging): a tab-separated header line naming the columns, then one
    tab-separated row each (cells padded with spaces)."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        return []
    header = [cell.strip() for cell in lines[0].split("\t") if cell.strip()]
    rows = []
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split("\t")][: len(header)]
        cells += [""] * (len(header) - len(cells))
        rows.append(dict(zip(header, cells, strict=True)))
    return rows
