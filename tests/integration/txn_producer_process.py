"""A transactional producer run as its own process by the transaction tests,
which kill it with ``kill -9`` in the middle of its transaction.

    python txn_producer_process.py BOOTSTRAP TOPIC PARTITION TRANSACTIONAL_ID COUNT TIMEOUT_MS MODE

It begins a transaction, writes COUNT records to the partition, prints one
JSON line (the offsets the broker gave them, its producer id and epoch) and
then waits to be killed, never ending the transaction.

MODE ``registered``: an ordinary aiokafka producer (the coordinator is told
of the partition with AddPartitionsToTxn before the write).  MODE
``unregistered``: the producer writes without telling the coordinator of the
partition (its transaction manager is made to believe the partition was
added), as a client with the race or bug behind real hanging transactions
does; a broker accepts that only with ``transaction.partition.verification
.enable=false``.  The coordinator then never writes the partition's marker:
the transaction hangs until someone aborts it.
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition


async def main(bootstrap: str, topic: str, partition: int, txn_id: str, count: int, timeout_ms: int, mode: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, transaction_timeout_ms=timeout_ms)
    await producer.start()
    await producer.begin_transaction()
    if mode == "unregistered":
        producer._txn_manager._txn_partitions.add(TopicPartition(topic, partition))
    elif mode != "registered":
        raise SystemExit(f"unknown mode {mode!r}")
    futures = [await producer.send(topic, f"{txn_id}-{i}".encode(), partition=partition) for i in range(count)]
    offsets = [(await f).offset for f in futures]
    manager = producer._txn_manager
    print(
        json.dumps({"offsets": offsets, "producer_id": manager.producer_id, "epoch": manager.producer_epoch}),
        flush=True,
    )
    await asyncio.Event().wait()  # until kill -9


if __name__ == "__main__":
    bootstrap, topic, partition, txn_id, count, timeout_ms, mode = sys.argv[1:8]
    asyncio.run(main(bootstrap, topic, int(partition), txn_id, int(count), int(timeout_ms), mode))
