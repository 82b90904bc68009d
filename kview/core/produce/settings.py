"""Producer settings: acks, compression, idempotence and the rest, the schema
(if any) the key and the value are written with, and the choices the
settings form offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kview.core.config import ProducerDefaults
from kview.core.produce.encoding import SchemaChoice
from kview.core.produce.errors import ProduceError

ACKS = ("0", "1", "all")
COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")


# -- settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProducerSettings:
    """Producer settings the user can change; defaults from the cluster profile."""

    acks: str = "all"
    idempotence: bool = True
    compression: str = "none"
    linger_ms: int = 5
    batch_size: int = 16384
    key_schema: SchemaChoice | None = None
    """None: the key is sent as the bytes of its text (as typed)."""
    value_schema: SchemaChoice | None = None
    """None: the value is sent as the bytes of its text (as typed)."""

    @classmethod
    def from_defaults(cls, defaults: ProducerDefaults) -> ProducerSettings:
        return cls(defaults.acks, defaults.idempotence, defaults.compression, defaults.linger_ms, defaults.batch_size)

    def problems(self) -> list[str]:
        """Every reason these settings cannot be used (empty when valid)."""
        found = []
        if self.acks not in ACKS:
            found.append(f"acks must be one of {', '.join(ACKS)}, not {self.acks!r}")
        elif self.idempotence and self.acks != "all":
            found.append(
                f"idempotence needs acks=all (with acks={self.acks} the broker cannot confirm every "
                "write exactly once): set acks to all or turn idempotence off"
            )
        if self.compression not in COMPRESSIONS:
            found.append(f"compression must be one of {', '.join(COMPRESSIONS)}, not {self.compression!r}")
        if not isinstance(self.linger_ms, int) or self.linger_ms < 0:
            found.append("linger_ms must be a whole number >= 0")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            found.append("batch_size must be a whole number >= 1")
        for field, choice in (("key", self.key_schema), ("value", self.value_schema)):
            if choice is not None:
                found += [f"{field} schema: {problem}" for problem in choice.problems()]
        return found

    @property
    def uses_schemas(self) -> bool:
        return self.key_schema is not None or self.value_schema is not None

    def validate(self) -> None:
        found = self.problems()
        if found:
            raise ProduceError("; ".join(found))

    def producer_kwargs(self) -> dict[str, Any]:
        """AIOKafkaProducer arguments for these settings (without connection
        ones; the schemas are not the producer's business)."""
        return {
            "acks": "all" if self.acks == "all" else int(self.acks),
            "enable_idempotence": self.idempotence,
            "compression_type": None if self.compression == "none" else self.compression,
            "linger_ms": self.linger_ms,
            "max_batch_size": self.batch_size,
        }
