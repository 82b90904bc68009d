"""Operations on replicas and leaders: leader balance, leader elections,
reassignment plans (by intent, and in ``kafka-reassign-partitions``' JSON
format), their execution under a replication throttle, progress and cancel.

``models`` holds the data; ``leaders``, ``planner``, ``plan_file``,
``throttle`` and ``progress`` are pure functions over metadata and log dirs;
``service.ReassignService`` is what talks to the cluster.
"""
