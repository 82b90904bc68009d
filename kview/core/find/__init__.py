"""kview find: searching a topic's window of offsets, with an exact account
per partition.  ``partitioner`` (Kafka's default partitioner for keys),
``window`` (offsets from times or offsets, per partition; shared with copy),
``batches`` (the byte-level scan of fetched record batches) and ``scan``
(the concurrent reader: Finder, FindQuery, FindResult)."""
