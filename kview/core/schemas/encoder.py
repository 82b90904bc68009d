"""JSON in, framed bytes out: for the producer pane and ``kview produce``.

``await RecordEncoder.for_subject(client, subject, version)`` fetches the
subject's schema (latest or a version) and its references and compiles it;
``encoder.encode(doc)`` checks the parsed JSON ``doc`` against the schema and
returns the framed bytes (0, schema id, [Protobuf message indexes], payload),
or raises EncodeError with the field path and the reason: nothing is sent."""

from __future__ import annotations

from typing import Any

from kview.core.schemas.client import RegistryClient, VersionRef
from kview.core.schemas.models import SubjectVersion


class RecordEncoder:
    subject_version: SubjectVersion

    @classmethod
    async def for_subject(
        cls, client: RegistryClient, subject: str, version: VersionRef = "latest", *, message: str | None = None
    ) -> RecordEncoder:
        """``message``: for Protobuf, the full name of the message to write (default: the first one)."""
        raise NotImplementedError

    def encode(self, doc: Any) -> bytes:
        raise NotImplementedError

    def encode_text(self, text: str) -> bytes:
        """Parse ``text`` as JSON (EncodeError at '$' if it is not) and encode it."""
        raise NotImplementedError
