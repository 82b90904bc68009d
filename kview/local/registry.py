"""A real Confluent-compatible schema registry on a loopback port, for the
demo and the tests: Apicurio Registry (a Quarkus application) built from
Maven Central.

Apicurio publishes its application as a library jar only, so a small wrapper
project (written here) has Quarkus's Maven plugin package it into a runnable
``*-runner.jar`` with its ``lib/``.  The result is cached next to the Kafka
jars (the same cache root as :func:`kview.local.cluster.cache_dir`), built
into a temporary directory and renamed into place at the end, so a second run
builds nothing and an interrupted build leaves nothing half-made.

The registry keeps its data in memory; each :class:`DevRegistry` is a fresh,
empty one.  Like the Kafka brokers it is watched by kview's reaper: if the
process that started it dies without stopping it, the reaper kills it and
removes its directory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from kview.local.cluster import DevClusterError, MissingTool, cache_dir, free_port

APICURIO_VERSION = "2.4.2.Final"
QUARKUS_VERSION = "2.16.4.Final"
"""The Quarkus release Apicurio 2.4.2 is built on; its Maven plugin packages the app."""

API_PATH = "/apis/ccompat/v7"
"""Where the Confluent-compatible API is served."""

STARTED_DIRECTORIES: list[Path] = []
"""Every registry directory this process created, so a test session can check
at its end that no registry it started is still running."""

# Why each piece is there:
# - the BOM pins the versions of the app's ~300 dependencies as Apicurio
#   released them;
# - org.everit.json.schema is published only outside Maven Central; the same
#   code is on Central as com.github.erosb:everit-json-schema;
# - the config-index version the BOM names has no deployment module on
#   Central; 0.1.10.Final's runtime jar is byte-identical and has one;
# - there are no sources, so compiling is skipped (a JRE is enough).
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kview.devregistry</groupId>
  <artifactId>registry</artifactId>
  <version>1</version>
  <packaging>jar</packaging>
  <properties>
    <maven.main.skip>true</maven.main.skip>
    <maven.test.skip>true</maven.test.skip>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.apicurio</groupId>
        <artifactId>apicurio-common-app-components-config-index</artifactId>
        <version>0.1.10.Final</version>
      </dependency>
      <dependency>
        <groupId>io.apicurio</groupId>
        <artifactId>apicurio-registry</artifactId>
        <version>{apicurio}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId>
      <artifactId>apicurio-registry-app</artifactId>
      <version>{apicurio}</version>
      <exclusions>
        <exclusion>
          <groupId>com.github.everit-org.json-schema</groupId>
          <artifactId>org.everit.json.schema</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>com.github.erosb</groupId>
      <artifactId>everit-json-schema</artifactId>
      <version>1.14.2</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>{quarkus}</version>
        <extensions>true</extensions>
        <executions>
          <execution>
            <goals><goal>build</goal></goals>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
"""

# The app jar carries no class index, so Quarkus is told to index it; the
# runner jar with a plain lib/ directory is what is cached.
_PROPERTIES = """quarkus.index-dependency.registryapp.group-id=io.apicurio
quarkus.index-dependency.registryapp.artifact-id=apicurio-registry-app
quarkus.package.type=legacy-jar
"""

_RUNNER = "registry-runner.jar"


class RegistryError(DevClusterError):
    """The local schema registry could not be built, started or stopped."""


def registry_home() -> Path:
    """Where the built registry lives: ``apicurio-registry-<version>`` beside
    the Kafka jars (``$KVIEW_KAFKA_CACHE`` or the user cache dir)."""
    return cache_dir().parent / f"apicurio-registry-{APICURIO_VERSION}"


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise MissingTool(
            f"'{tool}' was not found on PATH. kview's local schema registry (Apicurio Registry "
            f"{APICURIO_VERSION}) is built with Maven and runs on Java 17+: install them, "
            f"e.g. `apt-get install {package}`."
        )
    return path


def check_java() -> str:
    """The java executable, or MissingTool saying what to install."""
    java = _require("java", "openjdk-17-jre-headless maven")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    for token in out.replace('"', " ").split():
        if token[:1].isdigit():
            if int(token.split(".")[0]) < 17:
                raise MissingTool(
                    f"Java {token} found; the local schema registry needs Java 17 or newer "
                    "(e.g. `apt-get install openjdk-17-jre-headless`)."
                )
            break
    return java


def _built(home: Path) -> bool:
    return (home / "complete").exists() and (home / _RUNNER).is_file() and (home / "lib").is_dir()


def ensure_registry(*, quiet: bool = False) -> Path:
    """Build the registry once; return its runner jar.

    Builds are serialised by a lock file, so two test workers starting at once
    build it once; the second finds it built."""
    home = registry_home()
    if _built(home):
        return home / _RUNNER
    check_java()
    mvn = _require("mvn", "maven")
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _built(home):
            return home / _RUNNER
        staging = Path(tempfile.mkdtemp(prefix=f"{home.name}.build-", dir=home.parent))
        try:
            project = staging / "project"
            (project / "src" / "main" / "resources").mkdir(parents=True)
            (project / "pom.xml").write_text(_POM.format(apicurio=APICURIO_VERSION, quarkus=QUARKUS_VERSION))
            (project / "src" / "main" / "resources" / "application.properties").write_text(_PROPERTIES)
            if not quiet:
                print(
                    f"kview: building Apicurio Registry {APICURIO_VERSION} with Maven (once; about a minute) ...",
                    file=sys.stderr,
                )
            result = subprocess.run([mvn, "-B", "-q", "package"], cwd=project, capture_output=True, text=True)
            runner = project / "target" / "registry-1-runner.jar"
            if result.returncode != 0 or not runner.is_file():
                tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
                raise RegistryError(f"Maven could not build Apicurio Registry {APICURIO_VERSION}:\n{tail}")
            done = staging / "registry"
            done.mkdir()
            runner.rename(done / _RUNNER)
            (project / "target" / "lib").rename(done / "lib")
            (done / "complete").write_text(APICURIO_VERSION + "\n")
            if home.exists():  # a half-made directory from an older kview
                shutil.rmtree(home)
            done.rename(home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return home / _RUNNER


def _get_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


class DevRegistry:
    """One Apicurio Registry process on a free loopback port, empty, with its
    data in memory.  Use as a context manager, or call start() and stop().

    :attr:`url` is the base of its Confluent-compatible API, what a profile's
    ``schema_registry.urls`` takes."""

    def __init__(self, *, heap: str = "192m") -> None:
        self.heap = heap
        self.port: int | None = None
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None
        self._reaper: subprocess.Popen | None = None

    def __enter__(self) -> DevRegistry:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/apis/ccompat/v7``."""
        if self.port is None:
            raise RegistryError("the registry is not started")
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log_file(self) -> Path | None:
        return None if self.directory is None else self.directory / "registry.log"

    def start(self, timeout: float = 120.0) -> None:
        """Build if needed, start the registry and wait until its API answers
        (at most ``timeout`` seconds; RegistryError with its log's last lines
        otherwise)."""
        runner = ensure_registry()
        java = check_java()
        self.directory = Path(tempfile.mkdtemp(prefix="kview-registry-"))
        STARTED_DIRECTORIES.append(self.directory)
        self._start_reaper()
        try:
            self.port = free_port()
            log = open(self.directory / "registry.log", "ab")
            self.process = subprocess.Popen(
                [
                    java,
                    f"-Xmx{self.heap}",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    # The directory is on the command line, so the reaper
                    # finds the process; Quarkus's temporary files go there too.
                    f"-Djava.io.tmpdir={self.directory}",
                    "-Dquarkus.http.host=127.0.0.1",
                    f"-Dquarkus.http.port={self.port}",
                    "-Dquarkus.log.level=WARN",
                    "-jar",
                    str(runner),
                ],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self._wait_ready(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the registry (SIGTERM, SIGKILL after 20 s) and remove its directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        if self._reaper is not None:
            self._reaper.terminate()
            self._reaper.wait(timeout=5)
            self._reaper = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _start_reaper(self) -> None:
        assert self.directory is not None
        self._reaper = subprocess.Popen(
            [sys.executable, "-m", "kview.local.reaper", str(os.getpid()), str(self.directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _wait_ready(self, deadline: float) -> None:
        probe = f"{self.url}/subjects"
        while True:
            status = _get_status(probe)
            if status == 200:
                return
            if self.process is None or self.process.poll() is not None:
                raise RegistryError("the schema registry exited during start-up; last log lines:\n" + self.log_tail())
            if time.monotonic() > deadline:
                raise RegistryError(
                    f"the schema registry did not answer {probe} in time (last status: {status}); "
                    "last log lines:\n" + self.log_tail()
                )
            time.sleep(0.2)

    def log_tail(self, lines: int = 20) -> str:
        path = self.log_file
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    """``python -m kview.local.registry fetch|run``: build the registry once
    (printing where it is), or run one and print its URL until Ctrl-C."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "fetch"
    try:
        if command == "fetch":
            print(ensure_registry().parent)
            return 0
        if command == "run":
            # SIGTERM ends it like Ctrl-C: the registry is stopped on the way out
            # (whenever it comes: the with block stops it, the except ends it quietly).
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                with DevRegistry() as registry:
                    print(registry.url, flush=True)
                    while True:
                        time.sleep(3600)
            except KeyboardInterrupt:
                pass
            return 0
    except DevClusterError as exc:
        print(f"kview: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m kview.local.registry fetch | run", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
