"""Kafka's default partitioner for keyed records, so a key search reads only
the partition the key was written to.

The Java producer (BuiltInPartitioner.partitionForKey, and the
DefaultPartitioner before it) sends a record with a non-null key to
``toPositive(murmur2(keyBytes)) % numPartitions``: the 32-bit MurmurHash2 of
the serialized key with Kafka's seed, its sign bit cleared (not ``abs``).
librdkafka's ``murmur2_random`` partitioner and the Java client agree; other
partitioners (librdkafka's default ``consistent_random`` is CRC32) put keys
elsewhere, which is what ``--all-partitions`` is for.
"""

from __future__ import annotations

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` of ``data`` as a signed 32-bit int (Java's value)."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - (length & 3)
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest = length & 3
    if rest == 3:
        h ^= data[whole + 2] << 16
    if rest >= 2:
        h ^= data[whole + 1] << 8
    if rest >= 1:
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def to_positive(value: int) -> int:
    """Kafka's ``Utils.toPositive``: the sign bit cleared (``abs`` would differ)."""
    return value & 0x7FFFFFFF


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a record with ``key``."""
    if partitions <= 0:
        raise ValueError("a topic has at least one partition")
    return to_positive(murmur2(key)) % partitions
