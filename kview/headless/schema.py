"""The JSON Schemas (draft 2020-12) of every headless command's ``--json``
output, as plain data.  They are the contract with scripts: every field is
required and no other field may appear, so a change here is a change of
``SCHEMA_VERSION`` and of the README.

Documents of status commands carry ``kind`` (the command) and
``schema_version``; ``tail`` and ``produce`` print one object per line (the
tail's lines are the format of ``kview.core.export``, so they read back with
``read_jsonl``).  Times: ``taken_at`` is seconds since the epoch (float);
Kafka timestamps are milliseconds since the epoch (int).  Sizes are bytes.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 3

Schema = dict[str, Any]

INT: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
NUMBER: Schema = {"type": "number"}
STRING: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], description: str = "") -> Schema:
    """An object with exactly these properties, all required."""
    out: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


def document(kind: str, properties: dict[str, Schema], description: str) -> Schema:
    """A top-level document: ``kind``, ``schema_version``, ``taken_at`` first."""
    schema = obj(
        {
            "kind": {"const": kind},
            "schema_version": {"const": SCHEMA_VERSION},
            "taken_at": NUMBER,
            **properties,
        },
        description,
    )
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"kview {kind} --json"
    return schema


TIME_LAG = nullable(
    obj(
        {
            "seconds": {"type": "number", "minimum": 0},
            "exact": BOOL,
            "at_least": BOOL,
        },
        "How long ago the next unread record was written. exact: read from that record's "
        "timestamp; else estimated from the log-end offsets kview watched. at_least: the true "
        "value is larger. null: unknown.",
    )
)

READABLE = nullable(
    obj(
        {
            "records": nullable(COUNT),
            "markers": nullable(COUNT),
            "aborted": nullable(COUNT),
            "pending": COUNT,
        },
        "What a read_committed consumer at the committed offset receives of the lag, read from the "
        "log (null: not read: the gap was too large or the read ran out of time). records: data "
        "records below the last stable offset (LSO) it receives (null: over the count limit, only the "
        "first record was read); markers: transaction markers (control records) there; aborted: "
        "records of aborted transactions there (null when not told apart); pending: offsets at or "
        "past the LSO (open transactions), not readable yet. lag = records + markers + aborted + pending.",
    )
)

STATUS: Schema = {"enum": ["OK", "WARN", "STALL", "STOP", "EMPTY"]}

# -- brokers -------------------------------------------------------------------------

LOG_DIR = obj(
    {
        "path": STRING,
        "error": nullable(STRING),
        "bytes": COUNT,
        "total_bytes": nullable(COUNT),
        "usable_bytes": nullable(COUNT),
        "replicas": COUNT,
    }
)

BROKER = obj(
    {
        "id": INT,
        "host": STRING,
        "port": COUNT,
        "rack": nullable(STRING),
        "controller": BOOL,
        "online": BOOL,
        "leaders": COUNT,
        "replicas": COUNT,
        "log_dir_bytes": nullable(COUNT),
        "volume_total_bytes": nullable(COUNT),
        "volume_usable_bytes": nullable(COUNT),
        "volume_used_fraction": nullable({"type": "number", "minimum": 0, "maximum": 1}),
        "log_dirs": array(LOG_DIR),
        "log_dirs_error": nullable(STRING),
    }
)

QUORUM_REPLICA = obj(
    {
        "id": INT,
        "status": {"enum": ["Leader", "Follower", "Observer"]},
        "log_end_offset": INT,
        "lag": nullable(COUNT),
        "last_fetch_timestamp": nullable(COUNT),
        "last_caught_up_timestamp": nullable(COUNT),
    }
)

QUORUM = nullable(
    obj(
        {
            "leader_id": INT,
            "leader_epoch": INT,
            "high_watermark": INT,
            "max_follower_lag": COUNT,
            "voters": array(QUORUM_REPLICA),
            "observers": array(QUORUM_REPLICA),
        }
    )
)

BROKERS = document(
    "brokers",
    {
        "cluster_id": nullable(STRING),
        "controller_id": nullable(INT),
        "brokers": array(BROKER),
        "quorum": QUORUM,
        "quorum_error": nullable(STRING),
    },
    "kview brokers: every broker, the active controller and the KRaft metadata quorum.",
)

# -- topics --------------------------------------------------------------------------

TOPIC_ROW = obj(
    {
        "name": STRING,
        "internal": BOOL,
        "partitions": COUNT,
        "replication_factor": COUNT,
        "messages": COUNT,
        "size_bytes": nullable(COUNT),
        "replicated_size_bytes": nullable(COUNT),
        "rate": nullable({"type": "number", "minimum": 0}),
        "under_replicated": COUNT,
        "offline": COUNT,
        "error": nullable(STRING),
    }
)

TOPICS = document(
    "topics",
    {
        "pattern": nullable(STRING),
        "broker_count": COUNT,
        "topics": array(TOPIC_ROW),
        "problems": array(STRING),
    },
    "kview topics: the topics table. rate (messages/s) is null on the first refresh.",
)

PARTITION_ROW = obj(
    {
        "partition": COUNT,
        "leader": nullable(INT),
        "replicas": array(INT),
        "isr": array(INT),
        "offline_replicas": array(INT),
        "under_replicated": BOOL,
        "log_start_offset": nullable(COUNT),
        "log_end_offset": nullable(COUNT),
        "messages": nullable(COUNT),
        "size_bytes": nullable(COUNT),
        "replica_sizes": array(obj({"broker": INT, "bytes": COUNT})),
        "rate": nullable({"type": "number", "minimum": 0}),
    }
)

CONFIG = obj(
    {
        "name": STRING,
        "value": nullable(STRING),
        "source": STRING,
        "default": BOOL,
        "read_only": BOOL,
        "sensitive": BOOL,
    }
)

TOPIC = document(
    "topic",
    {
        "name": STRING,
        "internal": BOOL,
        "partition_count": COUNT,
        "replication_factor": COUNT,
        "messages": COUNT,
        "size_bytes": nullable(COUNT),
        "partitions": array(PARTITION_ROW),
        "configs": array(CONFIG),
        "problems": array(STRING),
    },
    "kview topic NAME: partitions (leader null = offline) and every config with its source.",
)

# -- groups --------------------------------------------------------------------------

GROUP_TYPE: Schema = {"enum": ["classic", "consumer", "share", "streams"]}

GROUP_FIELDS: dict[str, Schema] = {
    "name": STRING,
    "state": STRING,
    "type": GROUP_TYPE,
    "protocol_type": STRING,
    "group_epoch": nullable(INT),
    "assignment_epoch": nullable(INT),
    "reconciling": nullable(BOOL),
    "assignor": STRING,
    "coordinator": nullable(INT),
    "member_count": COUNT,
    "topics": array(STRING),
    "partition_count": COUNT,
    "uncommitted_partitions": nullable(COUNT),
    "total_lag": COUNT,
    "readable_lag": COUNT,
    "readable": READABLE,
    "status": STATUS,
    "retention_breach": nullable(BOOL),
    "consumption_rate": nullable({"type": "number", "minimum": 0}),
    "production_rate": nullable({"type": "number", "minimum": 0}),
    "catch_up_seconds": nullable({"type": "number", "minimum": 0}),
    "time_lag": TIME_LAG,
    "idle_seconds": {"type": "number", "minimum": 0},
    "error": nullable(STRING),
}

GROUP_ROW = obj(GROUP_FIELDS)

GROUP_PARTITION = obj(
    {
        "topic": STRING,
        "partition": COUNT,
        "committed_offset": nullable(INT),
        "start_offset": nullable(INT),
        "log_start_offset": nullable(COUNT),
        "log_end_offset": nullable(COUNT),
        "lag": nullable(INT),
        "readable_lag": nullable(INT),
        "readable": READABLE,
        "time_lag": TIME_LAG,
        "consumer_id": nullable(STRING),
        "client_id": nullable(STRING),
        "host": nullable(STRING),
        "retention_breach": nullable(BOOL),
    }
)

TOPIC_PARTITION = obj({"topic": STRING, "partition": COUNT})

MEMBER = obj(
    {
        "member_id": STRING,
        "client_id": STRING,
        "host": STRING,
        "group_instance_id": nullable(STRING),
        "member_epoch": nullable(INT),
        "assignment": array(TOPIC_PARTITION),
        "target_assignment": nullable(array(TOPIC_PARTITION)),
        "moving_in": array(TOPIC_PARTITION),
        "moving_out": array(TOPIC_PARTITION),
        "subscribed_topics": array(STRING),
        "subscribed_topic_regex": nullable(STRING),
        "process_id": nullable(STRING),
        "active_tasks": nullable(array(STRING)),
        "standby_tasks": nullable(array(STRING)),
        "warmup_tasks": nullable(array(STRING)),
    }
)

_OBSERVED: dict[str, Schema] = {
    "window_seconds": {"type": "number", "exclusiveMinimum": 0},
    "snapshots": {"type": "integer", "minimum": 1},
}

GROUPS = document(
    "groups",
    {
        "pattern": nullable(STRING),
        "types": nullable(array(GROUP_TYPE)),
        **_OBSERVED,
        "totals": obj({"classic": COUNT, "consumer": COUNT, "share": COUNT, "streams": COUNT}),
        "groups": array(GROUP_ROW),
        "problems": array(STRING),
    },
    "kview groups: every group of every type (totals: groups of each type, before any filter). "
    "snapshots: refreshes the status and rates are based on (with 1, status is only OK or EMPTY and rates are null).",
)

GROUP = document(
    "group",
    {
        **_OBSERVED,
        **GROUP_FIELDS,
        "topology_epoch": nullable(INT),
        "subtopologies": array(obj({"id": STRING, "source_topics": array(STRING)})),
        "members": array(MEMBER),
        "partitions": array(GROUP_PARTITION),
    },
    "kview group NAME: the group, its members and one row per partition (like "
    "kafka-consumer-groups --describe); lag may be negative when a commit is past the log end.",
)

LAG = document(
    "lag",
    {
        **_OBSERVED,
        "criteria": obj(
            {
                "group": nullable(STRING),
                "min_lag": COUNT,
                "statuses": nullable(array(STATUS)),
                "types": nullable(array(GROUP_TYPE)),
            }
        ),
        "matched": COUNT,
        "groups": array(obj({**GROUP_FIELDS, "partitions": array(GROUP_PARTITION)})),
        "problems": array(STRING),
    },
    "kview lag: the groups that match (readable_lag >= min_lag and, when given, a listed status), "
    "each with its partitions whose lag is above 0. The exit code is 1 when matched > 0. "
    "problems: groups that could not be read (they never match).",
)

# -- streams -------------------------------------------------------------------------

_BYTES_ENCODING = nullable({"enum": ["utf-8", "base64"]})

TAIL_RECORD = obj(
    {
        "topic": STRING,
        "partition": COUNT,
        "offset": COUNT,
        "timestamp": INT,
        "timestamp_type": STRING,
        "key": nullable(STRING),
        "key_encoding": _BYTES_ENCODING,
        "value": nullable(STRING),
        "value_encoding": _BYTES_ENCODING,
        "headers": array(obj({"key": STRING, "value": nullable(STRING), "encoding": _BYTES_ENCODING})),
    },
    "kview tail --json: one record per line. key/value are UTF-8 text, or base64 when *_encoding "
    "says so; null is a null key or a tombstone.",
)
# Added with schema-registry decoding (new fields: compatible; present on
# every line, null when there was nothing to decode or --raw was not given).
_SCHEMA_INFO = nullable(
    obj(
        {
            "id": COUNT,
            "type": {"enum": ["AVRO", "PROTOBUF", "JSON"]},
            "subject": nullable(STRING),
            "version": nullable(COUNT),
            "message": nullable(STRING),
        },
        "The registered schema that decoded it: id, type (JSON is JSON Schema), the subject and version "
        "holding it (null when the registry did not say), and for Protobuf the message the indexes chose.",
    )
)
TAIL_RECORD["properties"].update(
    {
        "key_schema": _SCHEMA_INFO,
        "key_problem": nullable(STRING),
        "value_schema": _SCHEMA_INFO,
        "value_problem": nullable(STRING),
        "key_raw": nullable(STRING),
        "value_raw": nullable(STRING),
    }
)
TAIL_RECORD["required"] = list(TAIL_RECORD["properties"])
TAIL_RECORD["description"] += (
    " key_schema/value_schema: the registry schema that decoded the key/value (which is then its "
    "decoded value as compact JSON text), null when nothing was decoded. key_problem/value_problem: "
    "why a registry-framed key/value was not decoded (it is then its bytes as they are), else null. "
    "key_raw/value_raw: with --raw, the bytes Kafka holds (base64; null for null); without --raw, null."
)
TAIL_RECORD["$schema"] = "https://json-schema.org/draft/2020-12/schema"
TAIL_RECORD["title"] = "kview tail --json (one line)"

PRODUCE_ACK = obj(
    {
        "line": {"type": "integer", "minimum": 1},
        "topic": STRING,
        "partition": INT,
        "offset": nullable(COUNT),
        "timestamp": nullable(INT),
        "timestamp_type": nullable({"enum": ["CreateTime", "LogAppendTime"]}),
    },
    "kview produce --json: one acknowledgement per line, in input order. line: the stdin line "
    "the record came from. With acks=0 offset and timestamp are null (and partition is -1 when "
    "the partitioner chose).",
)
PRODUCE_ACK["$schema"] = "https://json-schema.org/draft/2020-12/schema"
PRODUCE_ACK["title"] = "kview produce --json (one line)"

# -- the schema registry -------------------------------------------------------------

SCHEMA_TYPE = {"enum": ["AVRO", "PROTOBUF", "JSON"]}

SUBJECT_ROW = obj(
    {
        "subject": STRING,
        "type": STRING,
        "latest_version": COUNT,
        "latest_id": COUNT,
        "versions": COUNT,
        "compatibility": nullable(STRING),
    }
)

REGISTRY_SUBJECTS = document(
    "schemas",
    {
        "registry": STRING,
        "pattern": nullable(STRING),
        "subjects": array(SUBJECT_ROW),
    },
    "kview schemas: the subjects of the schema registry (registry: its URL, without user info). "
    "type: AVRO, PROTOBUF or JSON (JSON Schema); compatibility: the subject's level, or the "
    "global one it falls back to (null when the registry says none).",
)
REGISTRY_SUBJECTS["properties"]["subjects"]["items"]["properties"]["type"] = SCHEMA_TYPE

REFERENCE = obj({"name": STRING, "subject": STRING, "version": COUNT})

REGISTRY_SUBJECT = document(
    "schema",
    {
        "registry": STRING,
        "subject": STRING,
        "version": COUNT,
        "id": COUNT,
        "type": SCHEMA_TYPE,
        "compatibility": nullable(STRING),
        "versions": array(COUNT),
        "schema": STRING,
        "references": array(REFERENCE),
    },
    "kview schema: one version of a subject (the latest unless --version). schema: the text as "
    "registered; references: the schemas it imports (name as the schema names it, the subject "
    "and version that hold it); versions: every version of the subject.",
)

SCHEMAS: dict[str, Schema] = {
    "brokers": BROKERS,
    "topics": TOPICS,
    "topic": TOPIC,
    "groups": GROUPS,
    "group": GROUP,
    "lag": LAG,
    "tail": TAIL_RECORD,
    "produce": PRODUCE_ACK,
    "schemas": REGISTRY_SUBJECTS,
    "schema": REGISTRY_SUBJECT,
}
"""Command name -> the schema of its document (of each line for tail, produce)."""
