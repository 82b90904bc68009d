"""What runs real things on this machine for the demo and the tests: Apache
Kafka (KRaft) from Maven Central's jars (``cluster.py``, watched by
``reaper.py``), certificates and secured listeners (``certs.py``,
``security.py``), the demo's traffic (``traffic.py``) and ``kview demo``
itself (``demo.py``).  kview.core never imports this package; it imports core."""
