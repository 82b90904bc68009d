"""Producing: compose and send one message, templated load, file import,
and the words for every way a send can fail.

Data flow: the UI builds a ComposedMessage (``message.py``), a LoadSpec
(``jobs.py``) or ImportOptions, and calls ProduceService (``service.py``).
``settings.py`` holds the producer settings (with the schemas keys and
values are written with, ``encoding.py``), ``history.py`` the messages sent
this session, ``errors.py`` and ``explain.py`` what went wrong and how to say it.
"""

from kview.core.produce.encoding import MessageEncoders, SchemaChoice, SchemaMismatch, SchemaUsed
from kview.core.produce.errors import InvalidJSON, InvalidMessage, ProduceError, validate_json
from kview.core.produce.explain import explain_error
from kview.core.produce.history import HistoryEntry, SendHistory
from kview.core.produce.jobs import (
    CATCH_UP_SECONDS,
    DEFAULT_WINDOW,
    JobState,
    LoadProgress,
    LoadSpec,
    ProduceJob,
    RecordRefused,
    stop_producer,
)
from kview.core.produce.message import (
    ComposedMessage,
    Headers,
    SendResult,
    ValueFormat,
    format_header_rows,
    parse_header_rows,
)
from kview.core.produce.service import ProduceService
from kview.core.produce.settings import ACKS, COMPRESSIONS, ProducerSettings

__all__ = [
    "ACKS",
    "CATCH_UP_SECONDS",
    "COMPRESSIONS",
    "DEFAULT_WINDOW",
    "ComposedMessage",
    "Headers",
    "HistoryEntry",
    "InvalidJSON",
    "InvalidMessage",
    "JobState",
    "LoadProgress",
    "LoadSpec",
    "MessageEncoders",
    "ProduceError",
    "ProduceJob",
    "ProduceService",
    "ProducerSettings",
    "RecordRefused",
    "SchemaChoice",
    "SchemaMismatch",
    "SchemaUsed",
    "SendHistory",
    "SendResult",
    "ValueFormat",
    "explain_error",
    "format_header_rows",
    "parse_header_rows",
    "stop_producer",
    "validate_json",
]
