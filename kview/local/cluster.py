"""Real Apache Kafka (KRaft mode) on loopback ports, for the demo and the tests.

The jars come from Maven Central through ``mvn`` and are cached under the
platformdirs user cache directory (``KVIEW_KAFKA_CACHE`` overrides it), one
directory per Kafka version, so a second run downloads nothing.  The version is
``KVIEW_KAFKA_VERSION`` (default :data:`DEFAULT_KAFKA_VERSION`); what differs
between the versions kview is tested on (:data:`TESTED_VERSIONS`) is handled
here: 3.x logs through reload4j (log4j 1.x ``log4j.properties``), 4.x through
log4j2, and some tools' main classes moved between the two.  Every broker runs
in combined mode (``process.roles=broker,controller``) with a static voter set.

A small reaper process watches the process that started the cluster; if that
process dies without stopping the cluster (``kill -9``, a crashed test run),
the reaper kills the brokers and removes the temporary directory, so nothing is
left behind.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DEFAULT_KAFKA_VERSION = "4.4.0"
"""The newest Kafka whose ``kafka_2.13`` and ``kafka-tools`` Maven Central
serves and on which the whole suite passes."""

TESTED_VERSIONS: tuple[str, ...] = ("3.9.1", "4.4.0")
"""The versions the compatibility run (tests/compat) starts besides the
default: the last 3.x line, which production clusters run for years, and the
newest 4.x.  ``make jars`` fetches these and the default."""

_VERSION_PATTERN = re.compile(r"\d+\.\d+\.\d+")


def _env_version() -> str:
    return os.environ.get("KVIEW_KAFKA_VERSION", "").strip() or DEFAULT_KAFKA_VERSION


KAFKA_VERSION = _env_version()
"""The version this process runs unless told otherwise: ``KVIEW_KAFKA_VERSION``
or the default (checked when a cluster starts or jars are fetched)."""


def _log4j2(version: str) -> bool:
    """Kafka 4.0 moved from reload4j (log4j 1.x config) to log4j2."""
    return int(version.split(".")[0]) >= 4


LOG4J_VERSION = "2.25.4"

TOOLS: dict[str, tuple[str, ...]] = {
    "kafka-topics": ("org.apache.kafka.tools.TopicCommand",),
    "kafka-consumer-groups": ("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",),
    "kafka-get-offsets": ("org.apache.kafka.tools.GetOffsetShell",),
    "kafka-console-consumer": ("org.apache.kafka.tools.consumer.ConsoleConsumer",),
    "kafka-console-producer": ("org.apache.kafka.tools.ConsoleProducer", "kafka.tools.ConsoleProducer"),
    "kafka-metadata-quorum": ("org.apache.kafka.tools.MetadataQuorumCommand",),
    "kafka-log-dirs": ("org.apache.kafka.tools.LogDirsCommand",),
    "kafka-configs": ("org.apache.kafka.tools.ConfigCommand", "kafka.admin.ConfigCommand"),
    "kafka-acls": ("org.apache.kafka.tools.AclCommand", "kafka.admin.AclCommand"),
    "kafka-delete-records": ("org.apache.kafka.tools.DeleteRecordsCommand",),
    "kafka-storage": ("kafka.tools.StorageTool", "org.apache.kafka.tools.StorageTool"),
    "kafka-producer-perf-test": ("org.apache.kafka.tools.ProducerPerformance",),
    "kafka-transactions": ("org.apache.kafka.tools.TransactionsCommand",),
    "kafka-broker-api-versions": (
        "org.apache.kafka.tools.BrokerApiVersionsCommand",
        "kafka.admin.BrokerApiVersionsCommand",
    ),
    "kafka-reassign-partitions": (
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        "kafka.admin.ReassignPartitionsCommand",
    ),
    "kafka-leader-election": ("org.apache.kafka.tools.LeaderElectionCommand", "kafka.admin.LeaderElectionCommand"),
    "kafka-features": ("org.apache.kafka.tools.FeatureCommand",),
    "kafka-share-groups": ("org.apache.kafka.tools.consumer.group.ShareGroupCommand",),
    "kafka-console-share-consumer": ("org.apache.kafka.tools.consumer.ConsoleShareConsumer",),
    "kafka-streams-groups": ("org.apache.kafka.tools.streams.StreamsGroupCommand",),
}
"""Kafka's shell scripts, by the main classes each one has run: tools moved
from the Scala ``kafka.*`` packages to ``org.apache.kafka.tools`` over the
3.x and 4.x releases (ConsoleProducer after 3.9, ConfigCommand in 4.4), so the
class is the first of these that the version's jars hold."""

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kview.devcluster</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{kafka}</version></dependency>
{binding}  </dependencies>
</project>
"""

_LOG4J2_BINDING = """\
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>{log4j}</version></dependency>
"""

_LOG4J2 = """status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = FILE
"""

_TOOL_LOG4J2 = """status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = error
rootLogger.appenderRef.err.ref = ERR
"""

# The same two configurations for Kafka 3.x's reload4j (log4j 1.x syntax).
_LOG4J1 = """log4j.rootLogger={level}, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={log_file}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n
"""

_TOOL_LOG4J1 = """log4j.rootLogger=ERROR, ERR
log4j.appender.ERR=org.apache.log4j.ConsoleAppender
log4j.appender.ERR.Target=System.err
log4j.appender.ERR.layout=org.apache.log4j.PatternLayout
log4j.appender.ERR.layout.ConversionPattern=%p %m%n
"""


def _log_config_flag(version: str, path: Path) -> str:
    """The JVM flag that points the version's logging library at ``path``."""
    if _log4j2(version):
        return f"-Dlog4j2.configurationFile={path}"
    return f"-Dlog4j.configuration=file:{path}"


STARTED_DIRECTORIES: list[Path] = []
"""Every cluster directory this process created, so a test session can check
at its end that nothing it started is still running."""


class DevClusterError(Exception):
    """The local cluster could not be fetched, started or driven."""


class MissingTool(DevClusterError):
    """Java or Maven is not installed."""


def check_version(version: str) -> str:
    """``version`` if it is a Kafka release number kview can run (3.x or
    newer), else DevClusterError saying what is expected."""
    if not _VERSION_PATTERN.fullmatch(version) or int(version.split(".")[0]) < 3:
        raise DevClusterError(
            f"Kafka version {version!r} is not one kview can run: give a release "
            f"number 3.0.0 or newer such as {DEFAULT_KAFKA_VERSION} "
            f"(tested: {', '.join(sorted({*TESTED_VERSIONS, DEFAULT_KAFKA_VERSION}))})."
        )
    return version


def cache_dir(version: str | None = None) -> Path:
    """Where one Kafka version's jars live (``kafka-<version>``) under
    ``$KVIEW_KAFKA_CACHE`` or the user cache dir."""
    override = os.environ.get("KVIEW_KAFKA_CACHE")
    base = Path(override) if override else platformdirs.user_cache_path("kview")
    return base / f"kafka-{version or KAFKA_VERSION}"


def _archive_path(tool: str, version: str | None = None) -> Path:
    return cache_dir(version) / "class-archives" / f"{tool}.jsa"


@functools.cache
def _classes_in(libs: Path) -> frozenset[str]:
    """Every class name in the Kafka jars of ``libs`` (read once per directory)."""
    names: set[str] = set()
    for jar in libs.glob("kafka*.jar"):
        with zipfile.ZipFile(jar) as archive:
            names.update(n[: -len(".class")].replace("/", ".") for n in archive.namelist() if n.endswith(".class"))
    return frozenset(names)


def tool_class(tool: str, libs: Path) -> str:
    """The main class that runs ``tool`` with the jars in ``libs``."""
    if tool not in TOOLS:
        raise DevClusterError(f"unknown Kafka tool {tool!r}; known: {', '.join(sorted(TOOLS))}")
    present = _classes_in(libs)
    for name in TOOLS[tool]:
        if name in present:
            return name
    raise DevClusterError(f"none of {', '.join(TOOLS[tool])} is in the jars of {libs}")


def _class_archive(tool: str, libs: Path, version: str | None = None) -> str:
    """The JVM flag that loads a tool's classes from its class-data archive.

    A CLI tool's JVM spends most of its start-up loading and verifying the
    same few thousand classes; a dynamic CDS archive (recorded by the first
    ``run_tool`` of each tool, kept next to the jars) halves that CPU time,
    which adds up over the hundreds of tool runs of the test suite.  Without
    an archive, or if the JVM finds it stale, this is plain ``-Xshare:auto``.
    """
    archive = _archive_path(tool, version)
    if archive.exists() and archive.stat().st_mtime >= libs.stat().st_mtime:
        return f"-XX:SharedArchiveFile={archive}"
    return "-Xshare:auto"


def _require(tool: str, package_hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise MissingTool(
            f"'{tool}' was not found on PATH. kview's local Kafka needs Java 17+ and "
            f"Maven: install them, e.g. `apt-get install {package_hint}`."
        )
    return path


def check_java(version: str | None = None) -> str:
    """Return the java executable, or raise MissingTool saying what to install."""
    java = _require("java", "openjdk-17-jre-headless maven")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    for token in out.replace('"', " ").split():
        if token[:1].isdigit():
            major = int(token.split(".")[0])
            if major < 17:
                raise MissingTool(
                    f"Java {token} found; Kafka {version or KAFKA_VERSION} needs Java 17 or newer "
                    "(e.g. `apt-get install openjdk-17-jre-headless`)."
                )
            break
    return java


def ensure_jars(version: str | None = None, *, quiet: bool = False) -> Path:
    """Resolve one Kafka version's jars with Maven once; return the directory
    holding them."""
    version = check_version(version or KAFKA_VERSION)
    home = cache_dir(version)
    libs = home / "libs"
    marker = home / "complete"
    if marker.exists() and libs.is_dir():
        return libs
    check_java(version)
    mvn = _require("mvn", "maven")
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="jars-", dir=home))
    try:
        # 3.x brings its logging binding (slf4j-reload4j) along; 4.x leaves
        # the choice to the application, so log4j2's is added.
        binding = _LOG4J2_BINDING.format(log4j=LOG4J_VERSION) if _log4j2(version) else ""
        (staging / "pom.xml").write_text(_POM.format(kafka=version, binding=binding))
        if not quiet:
            print(f"kview: fetching Apache Kafka {version} jars with Maven ...", file=sys.stderr)
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(staging / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging / 'libs'}",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise DevClusterError(f"Maven could not fetch the Kafka {version} jars:\n{tail}")
        if libs.exists():
            shutil.rmtree(libs)
        (staging / "libs").rename(libs)
        marker.write_text(version + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return libs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _new_cluster_id() -> str:
    """A Kafka cluster id: 22 characters of URL-safe base64.  Like Kafka's own
    Uuid.randomUuid(), never one starting with '-', which command-line parsers
    would take for an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Broker:
    """One combined broker/controller node of a DevCluster."""

    node_id: int
    port: int
    controller_port: int
    directory: Path
    extra_listeners: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"


class DevCluster:
    """A 1- or 3-broker KRaft cluster of real Apache Kafka on loopback ports.

    Use as a context manager, or call start() and stop().  ``extra_config`` is
    merged into every broker's server.properties; ``extra_listeners`` maps a
    listener name to its security protocol (for TLS and SASL listeners).
    ``version`` is the Kafka release to run (default ``KVIEW_KAFKA_VERSION``
    or :data:`DEFAULT_KAFKA_VERSION`); its own CLI tools drive it.
    """

    def __init__(
        self,
        brokers: int = 1,
        *,
        extra_config: dict[str, str] | None = None,
        extra_listeners: dict[str, str] | None = None,
        heap: str = "512m",
        log_level: str = "INFO",
        ports: list[int] | None = None,
        version: str | None = None,
    ) -> None:
        if brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        self.size = brokers
        self.version = check_version(version or KAFKA_VERSION)
        if ports is not None and len(ports) != brokers:
            raise ValueError("give one PLAINTEXT port per broker")
        self.ports = ports
        """Fixed client ports (tests that start a cluster where an app already looks)."""
        self.extra_config = dict(extra_config or {})
        self.extra_listeners = dict(extra_listeners or {})
        self.format_args: list[str] = []
        """Extra ``kafka-storage format`` arguments, e.g. ``--add-scram`` credentials."""
        self.heap = heap
        self.log_level = log_level
        self.cluster_id = _new_cluster_id()
        self.directory: Path | None = None
        self.brokers: list[Broker] = []
        self._libs: Path | None = None
        self._reaper: subprocess.Popen | None = None

    # -- lifecycle -----------------------------------------------------------------

    def __enter__(self) -> DevCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def bootstrap(self) -> str:
        """Bootstrap servers of the PLAINTEXT listener, all brokers."""
        return ",".join(f"127.0.0.1:{b.port}" for b in self.brokers)

    def listener_bootstrap(self, name: str) -> str:
        return ",".join(f"127.0.0.1:{b.extra_listeners[name]}" for b in self.brokers)

    def broker(self, node_id: int) -> Broker:
        for broker in self.brokers:
            if broker.node_id == node_id:
                return broker
        raise KeyError(node_id)

    def start(self, timeout: float = 90.0) -> None:
        """Fetch jars if needed, format storage and start every broker."""
        self._libs = ensure_jars(self.version)
        check_java(self.version)
        self.directory = Path(tempfile.mkdtemp(prefix="kview-kafka-"))
        STARTED_DIRECTORIES.append(self.directory)
        self._start_reaper()
        try:
            self.brokers = [
                Broker(
                    node_id=i + 1,
                    port=self.ports[i] if self.ports else free_port(),
                    controller_port=free_port(),
                    directory=self.directory / f"broker-{i + 1}",
                    extra_listeners={name: free_port() for name in self.extra_listeners},
                )
                for i in range(self.size)
            ]
            for broker in self.brokers:
                self._write_config(broker)
                self._format(broker)
            for broker in self.brokers:
                self._launch(broker)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every broker and remove the cluster's temporary directory."""
        for broker in self.brokers:
            if broker.process is not None and broker.process.poll() is None:
                broker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for broker in self.brokers:
            self._reap(broker, deadline)
        if self._reaper is not None:
            self._reaper.terminate()
            self._reaper.wait(timeout=5)
            self._reaper = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def stop_broker(self, node_id: int, *, kill: bool = False) -> None:
        """Stop one broker (SIGTERM, or SIGKILL with kill=True); its data is kept."""
        broker = self.broker(node_id)
        if broker.process is None or broker.process.poll() is not None:
            return
        broker.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self._reap(broker, time.monotonic() + 30)

    def start_broker(self, node_id: int, timeout: float = 240.0) -> None:
        """Restart a stopped broker on the same ports and data.  After a kill
        the broker first recovers every partition log, which on a busy test
        cluster takes a while: hence the generous default timeout."""
        broker = self.broker(node_id)
        if broker.running:
            return
        self._launch(broker)
        self._wait_port(broker, time.monotonic() + timeout)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until every running broker accepts connections and the metadata
        quorum has a leader (checked with Kafka's own quorum tool)."""
        deadline = time.monotonic() + timeout
        for broker in self.brokers:
            if broker.process is not None:
                self._wait_port(broker, deadline)
        while True:
            result = self.run_tool("kafka-metadata-quorum", "describe", "--status", check=False, timeout=30)
            if result.returncode == 0 and "LeaderId:" in result.stdout:
                return
            if time.monotonic() > deadline:
                raise DevClusterError(f"quorum not ready: {result.stderr.strip()[-500:]}")
            time.sleep(0.5)

    # -- Kafka's own tools ---------------------------------------------------------

    def tool_command(self, tool: str, *args: str) -> list[str]:
        if tool not in TOOLS:
            raise DevClusterError(f"unknown Kafka tool {tool!r}; known: {', '.join(sorted(TOOLS))}")
        libs = self._libs or ensure_jars(self.version)
        if _log4j2(self.version):
            log_config, text = cache_dir(self.version) / "tools-log4j2.properties", _TOOL_LOG4J2
        else:
            log_config, text = cache_dir(self.version) / "tools-log4j.properties", _TOOL_LOG4J1
        if not log_config.exists():
            log_config.write_text(text)
        return [
            # JVM warnings (a stale class archive, say) go to stderr, never
            # into the output the tests parse.
            "java",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr",
            _class_archive(tool, libs, self.version),
            _log_config_flag(self.version, log_config),
            "-cp",
            f"{libs}/*",
            tool_class(tool, libs),
            *args,
        ]

    def run_tool(
        self,
        tool: str,
        *args: str,
        input: str | None = None,
        timeout: float = 120,
        check: bool = True,
        bootstrap: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run one of Kafka's CLI tools against this cluster.

        ``--bootstrap-server`` is added unless ``bootstrap=False`` or it is
        already among the arguments.
        """
        argv = list(args)
        if bootstrap and "--bootstrap-server" not in argv and "--bootstrap-controller" not in argv:
            argv = ["--bootstrap-server", self.bootstrap, *argv]
        command = self.tool_command(tool, *argv)
        recording = None
        if "-Xshare:auto" in command:
            # No class archive for this tool yet: this run records one.
            recording = _archive_path(tool, self.version).with_suffix(f".{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
            recording.parent.mkdir(parents=True, exist_ok=True)
            command[command.index("-Xshare:auto")] = f"-XX:ArchiveClassesAtExit={recording}"
        try:
            # Recording the archive makes this one run several times slower.
            limit = timeout if recording is None else max(timeout, 180)
            result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=limit)
            if recording is not None and recording.exists() and result.returncode == 0:
                os.replace(recording, _archive_path(tool, self.version))
        finally:
            if recording is not None:
                recording.unlink(missing_ok=True)
        if check and result.returncode != 0:
            raise DevClusterError(
                f"{tool} {' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )
        return result

    # -- internals -----------------------------------------------------------------

    def _start_reaper(self) -> None:
        assert self.directory is not None
        self._reaper = subprocess.Popen(
            [sys.executable, "-m", "kview.local.reaper", str(os.getpid()), str(self.directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _write_config(self, broker: Broker) -> None:
        broker.directory.mkdir(parents=True, exist_ok=True)
        voters = ",".join(f"{b.node_id}@127.0.0.1:{b.controller_port}" for b in self.brokers)
        rf = str(min(3, self.size))
        listeners = [f"PLAINTEXT://127.0.0.1:{broker.port}"]
        advertised = [f"PLAINTEXT://127.0.0.1:{broker.port}"]
        protocol_map = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
        for name, protocol in self.extra_listeners.items():
            port = broker.extra_listeners[name]
            listeners.append(f"{name}://127.0.0.1:{port}")
            advertised.append(f"{name}://127.0.0.1:{port}")
            protocol_map.append(f"{name}:{protocol}")
        listeners.append(f"CONTROLLER://127.0.0.1:{broker.controller_port}")
        props = {
            "process.roles": "broker,controller",
            "node.id": str(broker.node_id),
            "controller.quorum.voters": voters,
            "listeners": ",".join(listeners),
            "advertised.listeners": ",".join(advertised),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": ",".join(protocol_map),
            "log.dirs": str(broker.directory / "data"),
            "num.partitions": "1",
            "default.replication.factor": rf,
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "replica.lag.time.max.ms": "10000",
            "log.segment.bytes": str(16 * 1024 * 1024),
            "log.retention.check.interval.ms": "5000",
            "message.max.bytes": str(16 * 1024 * 1024),
            "replica.fetch.max.bytes": str(16 * 1024 * 1024),
            "auto.create.topics.enable": "false",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "socket.request.max.bytes": str(200 * 1024 * 1024),
            "controller.quorum.election.timeout.ms": "1500",
            "controller.quorum.fetch.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "6000",
        }
        if self.size > 1:
            # A rack per broker, so the rack column shows what Kafka reports
            # on the multi-broker cluster (the one-broker cluster keeps the
            # rack unset, Kafka's null).
            props["broker.rack"] = f"rack-{chr(ord('a') + (broker.node_id - 1) % 26)}"
        props.update(self.extra_config)
        (broker.directory / "server.properties").write_text("".join(f"{key}={value}\n" for key, value in props.items()))
        template = _LOG4J2 if _log4j2(self.version) else _LOG4J1
        self._log_config(broker).write_text(template.format(log_file=broker.log_file, level=self.log_level))

    def _log_config(self, broker: Broker) -> Path:
        name = "log4j2.properties" if _log4j2(self.version) else "log4j.properties"
        return broker.directory / name

    def _format(self, broker: Broker) -> None:
        result = self.run_tool(
            "kafka-storage",
            "format",
            "-t",
            self.cluster_id,
            "-c",
            str(broker.directory / "server.properties"),
            "--ignore-formatted",
            *self.format_args,
            check=False,
            bootstrap=False,
        )
        if result.returncode != 0:
            raise DevClusterError(f"formatting broker {broker.node_id} failed: {result.stdout}{result.stderr}")

    def _launch(self, broker: Broker) -> None:
        assert self._libs is not None
        out = open(broker.directory / "stdout.log", "ab")
        broker.process = subprocess.Popen(
            [
                "java",
                f"-Xmx{self.heap}",
                f"-Xms{self.heap}",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-Djava.awt.headless=true",
                _log_config_flag(self.version, self._log_config(broker)),
                f"-Dkafka.logs.dir={broker.directory}",
                "-cp",
                f"{self._libs}/*",
                "kafka.Kafka",
                str(broker.directory / "server.properties"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    def _wait_port(self, broker: Broker, deadline: float) -> None:
        while not _port_open(broker.port):
            if broker.process is None or broker.process.poll() is not None:
                raise DevClusterError(
                    f"broker {broker.node_id} exited during start-up; last log lines:\n" + self._log_tail(broker)
                )
            if time.monotonic() > deadline:
                raise DevClusterError(f"broker {broker.node_id} did not open port {broker.port}")
            time.sleep(0.2)

    def _log_tail(self, broker: Broker) -> str:
        lines: list[str] = []
        for name in ("stdout.log", "server.log"):
            path = broker.directory / name
            if path.exists():
                lines += path.read_text(errors="replace").splitlines()[-20:]
        return "\n".join(lines)

    @staticmethod
    def _reap(broker: Broker, deadline: float) -> None:
        process = broker.process
        if process is None:
            return
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        broker.process = None


def main(argv: list[str] | None = None) -> int:
    """``python -m kview.local.cluster fetch [--tested|VERSION...]|run [N]``:
    fetch jars (of ``KVIEW_KAFKA_VERSION``, of every tested version, or of the
    versions named), or run a cluster."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "fetch"
    try:
        if command == "fetch":
            versions = args[1:] or [KAFKA_VERSION]
            if versions == ["--tested"]:
                versions = sorted({KAFKA_VERSION, DEFAULT_KAFKA_VERSION, *TESTED_VERSIONS})
            for version in versions:
                print(ensure_jars(version))
            return 0
        if command == "run":
            size = int(args[1]) if len(args) > 1 else 1
            # SIGTERM ends it like Ctrl-C: the brokers are stopped and their directory removed
            # (whenever it comes: the with block stops them, the except ends it quietly).
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                with DevCluster(size) as cluster:
                    print(cluster.bootstrap, flush=True)
                    while True:
                        time.sleep(3600)
            except KeyboardInterrupt:
                pass
            return 0
    except DevClusterError as exc:
        print(f"kview: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m kview.local.cluster fetch [--tested|VERSION...] | run [BROKERS]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
