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

SCHEMA_VERSION = 4

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

_SCHEMA_WRITTEN = nullable(
    obj(
        {
            "id": COUNT,
            "type": {"enum": ["AVRO", "PROTOBUF", "JSON"]},
            "subject": STRING,
            "version": COUNT,
            "message": nullable(STRING),
        },
        "The registered schema it was encoded with: id, type (JSON is JSON Schema), subject, version, "
        "and for Protobuf the message written.",
    )
)

PRODUCE_ACK = obj(
    {
        "line": {"type": "integer", "minimum": 1},
        "topic": STRING,
        "partition": INT,
        "offset": nullable(COUNT),
        "timestamp": nullable(INT),
        "timestamp_type": nullable({"enum": ["CreateTime", "LogAppendTime"]}),
        "key_schema": _SCHEMA_WRITTEN,
        "value_schema": _SCHEMA_WRITTEN,
    },
    "kview produce --json: one acknowledgement per line, in input order. line: the stdin line "
    "the record came from. With acks=0 offset and timestamp are null (and partition is -1 when "
    "the partitioner chose). key_schema/value_schema: the registry schema the key/value was "
    "encoded with (--key-schema/--value-schema), null when written as given or null itself.",
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

# -- replicas and leaders (kview.headless.reassign) ------------------------------------

_IDS = array(INT)
_NULL_COUNT = nullable(COUNT)
_PLAN_FILE = obj(
    {
        "version": {"const": 1},
        "partitions": array(obj({"topic": STRING, "partition": COUNT, "replicas": _IDS, "log_dirs": array(STRING)})),
    },
    "the plan in kafka-reassign-partitions' JSON file format",
)
_PARTITION_ERROR = obj({"topic": STRING, "partition": COUNT, "error": STRING})

LEADERS = document(
    "leaders",
    {
        "partitions": COUNT,
        "offline": COUNT,
        "balanced": BOOL,
        "not_preferred_count": COUNT,
        "bytes_error": nullable(STRING),
        "brokers": array(
            obj(
                {
                    "id": INT,
                    "rack": nullable(STRING),
                    "online": BOOL,
                    "leaders": COUNT,
                    "preferred_leaders": COUNT,
                    "replicas": COUNT,
                    "bytes": _NULL_COUNT,
                }
            )
        ),
        "not_preferred": array(
            obj(
                {
                    "topic": STRING,
                    "partition": COUNT,
                    "leader": INT,
                    "preferred": INT,
                    "replicas": _IDS,
                    "isr": _IDS,
                    "preferred_in_sync": BOOL,
                }
            )
        ),
    },
    "Leaders vs preferred leaders per broker; partitions not led by their preferred replica (leader -1: none).",
)

ELECT_LEADERS = document(
    "elect-leaders",
    {
        "election": {"enum": ["preferred", "unclean"]},
        "dry_run": BOOL,
        "elected": COUNT,
        "not_needed": COUNT,
        "failed": COUNT,
        "results": array(
            obj(
                {
                    "topic": STRING,
                    "partition": COUNT,
                    "outcome": {"enum": ["elected", "not needed", "failed", "planned"]},
                    "error": nullable(STRING),
                    "leader_before": nullable(INT),
                    "leader_after": nullable(INT),
                }
            )
        ),
    },
    "Each partition's answer to a leader election ('planned' with --dry-run).",
)

_PLAN_FIELDS: dict[str, Schema] = {
    "description": STRING,
    "moves": array(
        obj(
            {
                "topic": STRING,
                "partition": COUNT,
                "current": _IDS,
                "target": _IDS,
                "adding": _IDS,
                "removing": _IDS,
                "size": _NULL_COUNT,
                "bytes_to_copy": _NULL_COUNT,
            }
        )
    ),
    "brokers": array(
        obj(
            {
                "id": INT,
                "rack": nullable(STRING),
                "online": BOOL,
                "replicas_before": COUNT,
                "replicas_after": COUNT,
                "preferred_before": COUNT,
                "preferred_after": COUNT,
                "bytes_in": COUNT,
                "bytes_out": COUNT,
            }
        )
    ),
    "bytes_to_copy": COUNT,
    "unknown_sizes": COUNT,
    "warnings": array(STRING),
    "plan": _PLAN_FILE,
    "rollback": _PLAN_FILE,
}

REASSIGN_PLAN = document("reassign-plan", _PLAN_FIELDS, "A reassignment plan and its preview.")

_PROGRESS_FIELDS: dict[str, Schema] = {
    "total": COUNT,
    "done": COUNT,
    "finished": BOOL,
    "bytes_copied": COUNT,
    "bytes_remaining": COUNT,
    "rate": nullable(NUMBER),
    "eta": nullable(NUMBER),
    "throttle_rate": _NULL_COUNT,
    "errors": array(STRING),
    "throttle_removed": nullable(BOOL),
    "partitions": array(
        obj(
            {
                "topic": STRING,
                "partition": COUNT,
                "target": _IDS,
                "replicas": _IDS,
                "adding": _IDS,
                "removing": _IDS,
                "isr": _IDS,
                "leader": INT,
                "done": BOOL,
                "size": _NULL_COUNT,
                "copied": _NULL_COUNT,
                "remaining": _NULL_COUNT,
            }
        )
    ),
}

REASSIGN_STATUS = document(
    "reassign-status", _PROGRESS_FIELDS, "Progress of the reassignments in progress, or of a plan file's partitions."
)

REASSIGN_APPLY = document(
    "reassign-apply",
    {
        **_PLAN_FIELDS,
        "dry_run": BOOL,
        "throttle": nullable(
            obj(
                {
                    "rate": COUNT,
                    "brokers": _IDS,
                    "topics": array(
                        obj(
                            {
                                "topic": STRING,
                                "leader_replicas": nullable(STRING),
                                "follower_replicas": nullable(STRING),
                            },
                            "the topic's leader/follower.replication.throttled.replicas",
                        )
                    ),
                }
            )
        ),
        "started": array(obj({"topic": STRING, "partition": COUNT})),
        "errors": array(_PARTITION_ERROR),
        "progress": nullable(obj(_PROGRESS_FIELDS)),
    },
    "A plan applied (or, with dry_run, what applying it would do); progress with --wait.",
)

REASSIGN_CANCEL = document(
    "reassign-cancel",
    {
        "dry_run": BOOL,
        "cancelled": array(obj({"topic": STRING, "partition": COUNT, "original": _IDS, "adding": _IDS})),
        "errors": array(_PARTITION_ERROR),
        "throttles_removed": nullable(BOOL),
        "notes": array(STRING),
    },
    "Reassignments cancelled (each partition back on its original replicas).",
)


ACL_BINDING = obj(
    {
        "principal": STRING,
        "host": STRING,
        "operation": STRING,
        "permission": STRING,
        "resource_type": STRING,
        "resource_name": STRING,
        "pattern_type": STRING,
    }
)

ACLS = document(
    "acls",
    {
        "filter": obj(
            {
                "principal": nullable(STRING),
                "resource_type": STRING,
                "resource_name": nullable(STRING),
                "pattern_type": STRING,
            }
        ),
        "acls": array(ACL_BINDING),
    },
    "kview acls: every ACL binding matching the filter, in Kafka's names (operation READ, "
    "permission ALLOW or DENY, resource_type TOPIC, pattern_type LITERAL or PREFIXED). "
    "filter.pattern_type MATCH lists every binding that applies to the named resource "
    "(literal, '*' and matching prefixes); ANY lists them all.",
)

SCRAM_USERS = document(
    "users",
    {
        "users": array(obj({"user": STRING, "credentials": array(obj({"mechanism": STRING, "iterations": COUNT}))})),
    },
    "kview users: the users with SCRAM credentials, each mechanism with its iteration count "
    "(the broker never tells more).",
)

CLIENT_QUOTAS = document(
    "quotas",
    {
        "type": nullable({"enum": ["user", "client-id", "ip"]}),
        "quotas": array(
            obj(
                {
                    "entity": array(obj({"type": STRING, "name": nullable(STRING), "default": BOOL})),
                    "values": array(obj({"key": STRING, "value": NUMBER})),
                }
            )
        ),
    },
    "kview quotas: every entity with client quotas (user, client-id, ip, or a user and "
    "client-id pair); name null with default true is the default entity; values: each quota key "
    "(producer_byte_rate, consumer_byte_rate, request_percentage, ...) with its value. type: the --type filter.",
)

OFFSET_RUN = obj(
    {
        "first": COUNT,
        "last": COUNT,
        "count": COUNT,
        "fate": {"enum": ["sent", "failed", "unconfirmed", "no target"]},
        "reason": nullable(STRING),
    }
)

COPY_PARTITION = obj(
    {
        "partition": COUNT,
        "from": COUNT,
        "to": COUNT,
        "scanned": COUNT,
        "matched": COUNT,
        "read_to": COUNT,
        "unread": nullable(obj({"from": COUNT, "to": COUNT})),
        "runs": array(OFFSET_RUN),
    }
)


def _copy_document(kind: str, description: str) -> Schema:
    return document(
        kind,
        {
            "dry_run": BOOL,
            "source": STRING,
            "target": nullable(STRING),
            "redrive_header": nullable(STRING),
            "ok": BOOL,
            "stopped": nullable(STRING),
            "elapsed_s": NUMBER,
            "window_offsets": COUNT,
            "scanned": COUNT,
            "matched": COUNT,
            "sent": COUNT,
            "failed": COUNT,
            "unconfirmed": COUNT,
            "no_target": COUNT,
            "targets": array(obj({"topic": STRING, "count": COUNT})),
            "missing_targets": array(STRING),
            "partitions": array(COPY_PARTITION),
        },
        description,
    )


_COPY_TEXT = (
    "from/to: the partition's window [from, to); read_to: the next offset the copy would have read "
    "(unread: [read_to, to) when it stopped early: nothing there was sent); runs: the matched records' "
    "fates as runs of source offsets (sent, failed with the reason, unconfirmed: no answer in time, "
    "no target: a redrive record without the header); a dry run lists none. ok: every record of the "
    "window read and every match sent (a dry run: read through, every target topic exists)."
)
COPY = _copy_document("copy", "kview copy: " + _COPY_TEXT)
REDRIVE = _copy_document("redrive", "kview redrive: " + _COPY_TEXT + " targets: matches per target topic.")

OFFSETS_IMPORT = document(
    "offsets",
    {
        "group": STRING,
        "applied": BOOL,
        "moves": COUNT,
        "partitions": array(
            obj(
                {
                    "topic": STRING,
                    "partition": COUNT,
                    "current": nullable(COUNT),
                    "new": COUNT,
                    "log_start": COUNT,
                    "log_end": COUNT,
                    "lag_after": INT,
                }
            )
        ),
        "missing": array(obj({"topic": STRING, "partition": COUNT})),
    },
    "kview offsets import: per partition of the file the committed offset now (current, null: none), "
    "the offset committed (new: the file's, kept between log start and log end) and the lag after; "
    "applied: false for --dry-run; missing: the file's partitions that do not exist (skipped).",
)

FIND_PARTITION = obj(
    {
        "partition": COUNT,
        "from_offset": COUNT,
        "to_offset": COUNT,
        "read_to": COUNT,
        "low": COUNT,
        "high": COUNT,
        "records": COUNT,
        "matched": COUNT,
        "skipped": COUNT,
        "complete": BOOL,
        "error": nullable(STRING),
    },
    "One partition of the window: offsets [from_offset, to_offset) were to be read; read_to is the "
    "next offset not read (to_offset when complete). records: records in the offsets read (markers "
    "and compacted records take offsets and hold none); skipped: offsets deleted by retention before "
    "they were reached. low/high: the watermarks when the window was fixed.",
)

FIND = document(
    "find",
    {
        "topic": STRING,
        "key": nullable(STRING),
        "key_partition": nullable(COUNT),
        "all_partitions": BOOL,
        "filter": nullable(STRING),
        "from": STRING,
        "to": STRING,
        "limit": nullable(COUNT),
        "limit_reached": BOOL,
        "complete": BOOL,
        "seconds": NUMBER,
        "offsets": COUNT,
        "records": COUNT,
        "matched": COUNT,
        "kept": COUNT,
        "partitions_without_leader": array(COUNT),
        "partitions": array(FIND_PARTITION),
        "matches": array(TAIL_RECORD),
    },
    "kview find: the matches (each a kview tail --json line) and the account per partition. "
    "key_partition: the partition Kafka's default partitioner gives the key. complete: every "
    "partition of the window was read to its end. matched: every match counted; kept: how many of "
    "them are in matches (the first found, at most --keep).",
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
    "leaders": LEADERS,
    "elect-leaders": ELECT_LEADERS,
    "reassign-plan": REASSIGN_PLAN,
    "reassign-apply": REASSIGN_APPLY,
    "reassign-status": REASSIGN_STATUS,
    "reassign-cancel": REASSIGN_CANCEL,
    "acls": ACLS,
    "users": SCRAM_USERS,
    "quotas": CLIENT_QUOTAS,
    "copy": COPY,
    "redrive": REDRIVE,
    "offsets": OFFSETS_IMPORT,
    "find": FIND,
}
"""Command name -> the schema of its document (of each line for tail, produce)."""

# -- kview transactions (appended: one block per command) ------------------------------

TXN_PARTITION = obj({"topic": STRING, "partition": COUNT})

TRANSACTION_ROW = obj(
    {
        "transactional_id": STRING,
        "coordinator": INT,
        "producer_id": INT,
        "producer_epoch": nullable(INT),
        "state": STRING,
        "timeout_ms": nullable(INT),
        "start_ms": nullable(INT),
        "duration_ms": nullable(INT),
        "partitions": array(TXN_PARTITION),
        "error": nullable(STRING),
    }
)

ACTIVE_PRODUCER = obj(
    {
        "producer_id": INT,
        "producer_epoch": INT,
        "coordinator_epoch": nullable(INT),
        "last_sequence": INT,
        "last_timestamp": INT,
        "txn_start_offset": nullable(INT),
    }
)

OPEN_TRANSACTION = obj(
    {
        "topic": STRING,
        "partition": COUNT,
        "producer_id": INT,
        "producer_epoch": INT,
        "coordinator_epoch": nullable(INT),
        "start_offset": INT,
        "last_timestamp": INT,
        "transactional_id": nullable(STRING),
        "status": {"enum": ["open", "overdue", "hanging"]},
        "open_ms": COUNT,
        "duration_minutes": COUNT,
        "timeout_ms": nullable(INT),
    }
)

TXN_PARTITION_ROW = obj(
    {
        "topic": STRING,
        "partition": COUNT,
        "leader": INT,
        "high_watermark": nullable(INT),
        "last_stable_offset": nullable(INT),
        "behind": nullable(COUNT),
        "status": {"enum": ["", "open", "overdue", "hanging"]},
        "producers": array(ACTIVE_PRODUCER),
        "open": array(OPEN_TRANSACTION),
    }
)

TRANSACTIONS = document(
    "transactions",
    {
        "hanging_only": BOOL,
        "max_transaction_timeout_ms": COUNT,
        "transactions": array(TRANSACTION_ROW),
        "partitions": array(TXN_PARTITION_ROW),
        "hanging": array(OPEN_TRANSACTION),
        "errors": array(STRING),
    },
    "kview transactions: every transactional id as its coordinator describes it (start_ms null: "
    "none in progress); each partition with an open transaction (--producers: with any active "
    "producer): high watermark, last stable offset, behind = their difference, active producers "
    "(describe-producers) and its open transactions; hanging: kafka-transactions find-hanging's "
    "rows.  With --hanging only 'hanging' is filled (hanging_only true).",
)

SCHEMAS["transactions"] = TRANSACTIONS
