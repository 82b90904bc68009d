"""Kafka's own Java clients as group members, for the demo and the tests:
the console share consumer (a share group, KIP-932) and the console consumer
on the KIP-848 protocol (``group.protocol=consumer``), which aiokafka cannot
speak.  Each is a JVM subprocess from the cluster's jars, in its own process
group; the command line names the cluster's directory, so the cluster's
reaper kills them too if the process that started them dies."""

from __future__ import annotations

import os
import signal
import subprocess

from kview.local.cluster import DevCluster

STOP_TIMEOUT = 20.0
"""Seconds a member gets to leave its group after SIGTERM before SIGKILL."""


class GroupMembers:
    """JVM group members started against ``cluster``; ``stop()`` ends them all."""

    def __init__(self, cluster: DevCluster) -> None:
        self.cluster = cluster
        self.processes: list[subprocess.Popen] = []

    def _start(self, tool: str, *args: str) -> subprocess.Popen:
        command = self.cluster.tool_command(tool, "--bootstrap-server", self.cluster.bootstrap, *args)
        if self.cluster.directory is not None:
            # For the reaper, which kills what names the cluster's directory.
            command.insert(1, f"-Dkview.devcluster={self.cluster.directory}")
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def share_consumer(self, topic: str, group: str) -> subprocess.Popen:
        """A member of share group ``group`` reading ``topic`` (acknowledges every record)."""
        return self._start("kafka-console-share-consumer", "--topic", topic, "--group", group)

    def consumer_848(self, topic: str, group: str) -> subprocess.Popen:
        """A member of consumer group ``group`` on the KIP-848 protocol."""
        return self._start(
            "kafka-console-consumer",
            "--topic",
            topic,
            "--group",
            group,
            "--consumer-property",
            "group.protocol=consumer",
        )

    @staticmethod
    def stop_one(process: subprocess.Popen) -> None:
        """SIGTERM (the member leaves its group), SIGKILL after STOP_TIMEOUT."""
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            self.stop_one(process)
        self.processes.clear()
