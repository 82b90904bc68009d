"""Helpers for tests that talk to the real schema registry (the ``registry``
fixture) over its REST API directly, beside kview's own client: what a test
registers this way was not written by the code under test."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import quote

import httpx


def rest(url: str, method: str, path: str, body: dict | None = None) -> httpx.Response:
    """One request to the registry at ``url`` (its API base, e.g. ``.../apis/ccompat/v7``)."""
    return httpx.request(method, url + path, json=body, timeout=30)


def register(
    url: str, subject: str, schema: str | dict, schema_type: str = "AVRO", references: Sequence[dict] = ()
) -> int:
    """Register ``schema`` (its text, or an Avro / JSON Schema document) under
    ``subject``; its id."""
    body: dict = {"schema": schema if isinstance(schema, str) else json.dumps(schema)}
    if schema_type != "AVRO":
        body["schemaType"] = schema_type
    if references:
        body["references"] = list(references)
    answer = rest(url, "POST", f"/subjects/{quote(subject, safe='')}/versions", body)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def unique(schema: dict, name: str) -> dict:
    """``schema`` in a namespace of the test's own: the registry gives the
    same schema one id whatever the subject, and the subject a test expects
    to see is its own."""
    return dict(schema, namespace="t_" + re.sub(r"\W", "_", name))


def framed(schema_id: int, payload: bytes) -> bytes:
    """Confluent's wire format: magic 0, the id big-endian, the payload."""
    return b"\x00" + schema_id.to_bytes(4, "big") + payload
