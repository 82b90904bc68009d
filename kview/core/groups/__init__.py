"""Consumer groups: listing, the batched lag refresh, a group's detail with
exact time lags, reset planning and the group operations.

Data flow: ``GroupService`` (``service.py``) finds each group's coordinator
(``coordinator.py``), asks the coordinators what they know
(``collect.py``: descriptions and committed offsets, batched), reads what
lies in the lag with the ``RecordReader`` (``readable.py``, driven by
``readable_lag.py``) and turns it all into the shared data model
(``models.py``) in ``summary.py``.  ``reset.py`` plans offset resets,
``errors.py`` names Kafka's error codes.
"""

from kview.core.groups.errors import group_error
from kview.core.groups.models import (
    CONSUMER_PROTOCOLS,
    GroupDetail,
    GroupListing,
    GroupPartitionLag,
    GroupsSnapshot,
    GroupSummary,
    MemberInfo,
    TopicPartition,
)
from kview.core.groups.readable import Readable
from kview.core.groups.readable_lag import REFRESH_GAP, REFRESH_PARTITIONS, sum_readable
from kview.core.groups.reset import RESET_KINDS, ResetRow, ResetSpec, plan_reset
from kview.core.groups.service import GroupService
from kview.core.groups.summary import build_rows

__all__ = [
    "CONSUMER_PROTOCOLS",
    "REFRESH_GAP",
    "REFRESH_PARTITIONS",
    "RESET_KINDS",
    "GroupDetail",
    "GroupListing",
    "GroupPartitionLag",
    "GroupService",
    "GroupSummary",
    "GroupsSnapshot",
    "MemberInfo",
    "Readable",
    "ResetRow",
    "ResetSpec",
    "TopicPartition",
    "build_rows",
    "group_error",
    "plan_reset",
    "sum_readable",
]
