"""Configuration: YAML cluster profiles under the platformdirs user config dir.

``KVIEW_CONFIG`` points at another file.  A missing file is fine (kview then
knows no profiles and needs ``--bootstrap``); a malformed one raises
ConfigError naming the file, the line and the field.  Secrets may be written as
``${ENV_VAR}`` references, or read from a file with ``password_file``; kview
never writes the config back.

Example::

    default_cluster: local
    theme: kview-dark
    clusters:
      local:
        bootstrap: localhost:9092
        read_only: false
        refresh_interval: 2
      prod:
        bootstrap: [kafka1:9093, kafka2:9093]
        read_only: true
        security:
          protocol: SASL_SSL
          sasl_mechanism: SCRAM-SHA-512
          username: ops
          password: ${KAFKA_PASSWORD}
          ca_file: /etc/kafka/ca.pem
        schema_registry:
          url: [https://registry1:8081, https://registry2:8081]
          username: ops
          password_file: ~/.config/kview/registry-password
          ca_file: /etc/kafka/ca.pem
          timeout: 10

``schema_registry`` may also be just a URL (``schema_registry: http://localhost:8081``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kview.core.errors import ConfigError

if TYPE_CHECKING:
    import yaml
else:
    yaml = None  # PyYAML, imported by the first parse: ``kview --help`` reads no YAML

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    """Escape control characters (a key or value may hold a newline) so that
    every ConfigError stays one line."""
    return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))


@dataclass(frozen=True)
class SecuritySettings:
    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    key_password: Secret | None = None
    check_hostname: bool = True

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True)
class RegistrySettings:
    """A profile's schema registry: URL(s) (tried in order, the next when one
    is unreachable), basic auth or a bearer token, TLS (CA file, client
    certificate), and the bound of one request in seconds."""

    urls: tuple[str, ...]
    username: str | None = None
    password: Secret | None = None
    token: Secret | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    key_password: Secret | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class ProducerDefaults:
    acks: str = "all"
    idempotence: bool = True
    compression: str = "none"
    linger_ms: int = 5
    batch_size: int = 16384


@dataclass(frozen=True)
class ClusterProfile:
    name: str
    bootstrap: tuple[str, ...]
    client_id: str = "kview"
    read_only: bool = False
    refresh_interval: float = 2.0
    request_timeout_ms: int = 15000
    security: SecuritySettings = field(default_factory=SecuritySettings)
    producer: ProducerDefaults = field(default_factory=ProducerDefaults)
    schema_registry: RegistrySettings | None = None

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(self.bootstrap)


@dataclass(frozen=True)
class Config:
    clusters: dict[str, ClusterProfile] = field(default_factory=dict)
    default_cluster: str | None = None
    theme: str = "kview-dark"
    keys: dict[str, str] = field(default_factory=dict)
    ring_capacity: int = 100_000
    path: Path | None = None

    def profile(self, name: str | None = None) -> ClusterProfile:
        """The named profile, else the default, else the only one."""
        wanted = name or self.default_cluster
        if wanted is None:
            if len(self.clusters) == 1:
                return next(iter(self.clusters.values()))
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(
                f"no cluster chosen: pass --cluster NAME or --bootstrap HOST:PORT (or set default_cluster{where})"
            )
        if wanted not in self.clusters:
            known = ", ".join(sorted(self.clusters)) or "none configured"
            raise ConfigError(f"unknown cluster '{wanted}' (known: {known})")
        return self.clusters[wanted]

    def with_profile(self, profile: ClusterProfile, *, make_default: bool = True) -> Config:
        clusters = dict(self.clusters)
        clusters[profile.name] = profile
        return replace(
            self,
            clusters=clusters,
            default_cluster=profile.name if make_default else self.default_cluster,
        )


def config_path() -> Path:
    """``$KVIEW_CONFIG`` or ``<user config dir>/kview/config.yaml``."""
    override = os.environ.get("KVIEW_CONFIG")
    if override:
        return Path(override).expanduser()
    return user_config_dir() / "config.yaml"


def user_config_dir() -> Path:
    """kview's directory under platformdirs' user config dir (imported here,
    on first use: ``kview --help`` needs no path)."""
    import platformdirs

    return platformdirs.user_config_path("kview")


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file; a missing file gives an empty Config."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | str = "<config>") -> Config:
    """Validate YAML text into a Config; errors name file, line and field."""
    path = Path(path)
    _import_yaml()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(_one_line(f"{path}{line}: {problem}")) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ConfigError(_one_line(f"{path}: nested too deeply")) from None
    return _Validator(path).config(root)


def _import_yaml() -> None:
    global yaml
    if yaml is None:
        import yaml as module

        yaml = module


def resolve_secret(value: str, where: str) -> Secret:
    """Expand ``${VAR}`` references; a missing variable is a ConfigError."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(_one_line(f"{where}: environment variable {name} is not set"))
        return os.environ[name]

    return Secret(_ENV_REF.sub(expand, value))


class _Validator:
    """Turns a composed YAML node tree into a Config, with line numbers in errors."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, field_name: str, problem: str) -> ConfigError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return ConfigError(_one_line(f"{self.path}{line}: {field_name}: {problem}"))

    def mapping(self, node: yaml.Node | None, field_name: str) -> dict[str, yaml.Node]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field_name, "expected a mapping")
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, field_name, "keys must be plain names")
            result[key_node.value] = value_node
        return result

    def check_keys(
        self, items: dict[str, yaml.Node], allowed: set[str], field_name: str, node: yaml.Node | None
    ) -> None:
        for key, value in items.items():
            if key not in allowed:
                raise self.fail(
                    value,
                    f"{field_name}.{key}" if field_name else key,
                    f"unknown field (expected one of: {', '.join(sorted(allowed))})",
                )

    def scalar(self, node: yaml.Node, field_name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, field_name, "expected a single value")
        try:
            return yaml.safe_load(yaml.serialize(node))
        except Exception:  # an explicit tag's constructor fails in many ways (!!bool maybe, !!int 0x, !foo)
            raise self.fail(node, field_name, "not a valid value") from None

    def string(self, node: yaml.Node, field_name: str) -> str:
        value = self.scalar(node, field_name)
        if value is None or isinstance(value, (dict, list)):
            raise self.fail(node, field_name, "expected text")
        return str(value)

    def boolean(self, node: yaml.Node, field_name: str) -> bool:
        value = self.scalar(node, field_name)
        if not isinstance(value, bool):
            raise self.fail(node, field_name, "expected true or false")
        return value

    def number(self, node: yaml.Node, field_name: str, *, minimum: float, integer: bool = False) -> float:
        value = self.scalar(node, field_name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, field_name, "expected a number")
        if not math.isfinite(value):
            raise self.fail(node, field_name, "expected a finite number")
        if integer and not isinstance(value, int):
            raise self.fail(node, field_name, "expected a whole number")
        if value < minimum:
            raise self.fail(node, field_name, f"must be at least {minimum:g}")
        return value

    def choice(self, node: yaml.Node, field_name: str, options: tuple[str, ...]) -> str:
        value = self.string(node, field_name)
        normalised = value.upper()
        if normalised not in options:
            raise self.fail(node, field_name, f"'{value}' is not one of {', '.join(options)}")
        return normalised

    def config(self, root: yaml.Node | None) -> Config:
        top = self.mapping(root, "(top level)")
        self.check_keys(top, {"clusters", "default_cluster", "theme", "keys", "tail"}, "", root)
        clusters: dict[str, ClusterProfile] = {}
        for name, node in self.mapping(top.get("clusters"), "clusters").items():
            clusters[name] = self.cluster(name, node)
        default = None
        if "default_cluster" in top:
            default = self.string(top["default_cluster"], "default_cluster")
            if default not in clusters:
                raise self.fail(
                    top["default_cluster"], "default_cluster", f"no cluster named '{default}' under clusters"
                )
        theme = self.string(top["theme"], "theme") if "theme" in top else "kview-dark"
        keys = {k: self.string(v, f"keys.{k}") for k, v in self.mapping(top.get("keys"), "keys").items()}
        ring_capacity = 100_000
        tail = self.mapping(top.get("tail"), "tail")
        self.check_keys(tail, {"ring_capacity"}, "tail", top.get("tail"))
        if "ring_capacity" in tail:
            ring_capacity = int(self.number(tail["ring_capacity"], "tail.ring_capacity", minimum=100, integer=True))
        return Config(
            clusters=clusters,
            default_cluster=default,
            theme=theme,
            keys=keys,
            ring_capacity=ring_capacity,
            path=self.path,
        )

    def cluster(self, name: str, node: yaml.Node) -> ClusterProfile:
        where = f"clusters.{name}"
        items = self.mapping(node, where)
        allowed = {
            "bootstrap",
            "client_id",
            "read_only",
            "refresh_interval",
            "request_timeout_ms",
            "security",
            "producer",
            "schema_registry",
        }
        self.check_keys(items, allowed, where, node)
        if "bootstrap" not in items:
            raise self.fail(node, f"{where}.bootstrap", "missing (host:port, or a list of them)")
        bootstrap = self.bootstrap(items["bootstrap"], f"{where}.bootstrap")
        profile = ClusterProfile(name=name, bootstrap=bootstrap)
        if "client_id" in items:
            profile = replace(profile, client_id=self.string(items["client_id"], f"{where}.client_id"))
        if "read_only" in items:
            profile = replace(profile, read_only=self.boolean(items["read_only"], f"{where}.read_only"))
        if "refresh_interval" in items:
            profile = replace(
                profile,
                refresh_interval=float(
                    self.number(items["refresh_interval"], f"{where}.refresh_interval", minimum=0.2)
                ),
            )
        if "request_timeout_ms" in items:
            profile = replace(
                profile,
                request_timeout_ms=int(
                    self.number(items["request_timeout_ms"], f"{where}.request_timeout_ms", minimum=100, integer=True)
                ),
            )
        if "security" in items:
            profile = replace(profile, security=self.security(items["security"], f"{where}.security"))
        if "producer" in items:
            profile = replace(profile, producer=self.producer(items["producer"], f"{where}.producer"))
        if "schema_registry" in items and not _is_null(items["schema_registry"]):
            profile = replace(
                profile, schema_registry=self.registry(items["schema_registry"], f"{where}.schema_registry")
            )
        return profile

    def bootstrap(self, node: yaml.Node, where: str) -> tuple[str, ...]:
        if isinstance(node, yaml.SequenceNode):
            servers = [self.string(item, where) for item in node.value]
        else:
            servers = [s.strip() for s in self.string(node, where).split(",")]
        servers = [s for s in servers if s]
        if not servers:
            raise self.fail(node, where, "no servers given")
        for server in servers:
            if not validate_server(server):
                raise self.fail(node, where, f"'{server}' is not host:port")
        return tuple(servers)

    def security(self, node: yaml.Node, where: str) -> SecuritySettings:
        items = self.mapping(node, where)
        allowed = {
            "protocol",
            "sasl_mechanism",
            "username",
            "password",
            "password_file",
            "ca_file",
            "cert_file",
            "key_file",
            "key_password",
            "key_password_file",
            "check_hostname",
        }
        self.check_keys(items, allowed, where, node)
        values: dict[str, Any] = {}
        if "protocol" in items:
            values["protocol"] = self.choice(items["protocol"], f"{where}.protocol", SECURITY_PROTOCOLS)
        if "sasl_mechanism" in items:
            values["sasl_mechanism"] = self.choice(items["sasl_mechanism"], f"{where}.sasl_mechanism", SASL_MECHANISMS)
        for key in ("username", "ca_file", "cert_file", "key_file"):
            if key in items:
                values[key] = (
                    os.path.expanduser(self.string(items[key], f"{where}.{key}"))
                    if key.endswith("_file")
                    else self.string(items[key], f"{where}.{key}")
                )
        for key in ("password", "key_password"):
            secret = self.secret(items, key, where)
            if secret is not None:
                values[key] = secret
        if "check_hostname" in items:
            values["check_hostname"] = self.boolean(items["check_hostname"], f"{where}.check_hostname")
        settings = SecuritySettings(**values)
        if settings.uses_sasl:
            if settings.sasl_mechanism is None:
                raise self.fail(node, f"{where}.sasl_mechanism", f"required for {settings.protocol}")
            if settings.username is None or settings.password is None:
                raise self.fail(node, where, f"{settings.protocol} needs username and password")
        elif settings.sasl_mechanism is not None:
            raise self.fail(
                items["sasl_mechanism"],
                f"{where}.sasl_mechanism",
                f"only used with SASL_PLAINTEXT or SASL_SSL, not {settings.protocol}",
            )
        return settings

    def secret(self, items: dict[str, yaml.Node], key: str, where: str) -> Secret | None:
        """``key`` (with ``${ENV}`` references expanded) or the first line of the
        file ``<key>_file`` names; None when neither is given."""
        if key in items and f"{key}_file" in items:
            raise self.fail(items[key], f"{where}.{key}", f"give either {key} or {key}_file, not both")
        if key in items:
            return resolve_secret(self.string(items[key], f"{where}.{key}"), f"{self.path}: {where}.{key}")
        if f"{key}_file" not in items:
            return None
        file_node = items[f"{key}_file"]
        secret_path = Path(os.path.expanduser(self.string(file_node, f"{where}.{key}_file")))
        try:
            return Secret(secret_path.read_text(encoding="utf-8").rstrip("\r\n"))
        except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the path
            reason = (
                "not UTF-8 text"
                if isinstance(exc, UnicodeDecodeError)
                else (getattr(exc, "strerror", None) or str(exc))
            )
            raise self.fail(file_node, f"{where}.{key}_file", f"cannot read {secret_path}: {reason}") from None

    def registry(self, node: yaml.Node, where: str) -> RegistrySettings:
        """A URL, or a mapping with ``url`` (one or a list), credentials, TLS files and ``timeout``."""
        if isinstance(node, yaml.ScalarNode):
            return RegistrySettings(urls=self.registry_urls(node, where))
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "expected a URL, or a mapping with url: and the registry's settings")
        items = self.mapping(node, where)
        allowed = {
            "url",
            "username",
            "password",
            "password_file",
            "token",
            "token_file",
            "ca_file",
            "cert_file",
            "key_file",
            "key_password",
            "key_password_file",
            "timeout",
        }
        self.check_keys(items, allowed, where, node)
        if "url" not in items:
            raise self.fail(node, f"{where}.url", "missing (the registry's URL, or a list of them)")
        values: dict[str, Any] = {"urls": self.registry_urls(items["url"], f"{where}.url")}
        if "username" in items:
            values["username"] = self.string(items["username"], f"{where}.username")
        for key in ("ca_file", "cert_file", "key_file"):
            if key in items:
                values[key] = os.path.expanduser(self.string(items[key], f"{where}.{key}"))
        for key in ("password", "token", "key_password"):
            secret = self.secret(items, key, where)
            if secret is not None:
                values[key] = secret
        if "timeout" in items:
            values["timeout"] = float(self.number(items["timeout"], f"{where}.timeout", minimum=0.1))
        has_password = "password" in values
        if has_password and "username" not in values:
            key = "password" if "password" in items else "password_file"
            raise self.fail(items[key], f"{where}.username", f"required with {key} (basic auth)")
        if "username" in values and not has_password:
            raise self.fail(items["username"], f"{where}.password", "required with username (basic auth)")
        if "token" in values and "username" in values:
            key = "token" if "token" in items else "token_file"
            raise self.fail(items[key], f"{where}.{key}", "give either a token or username and password, not both")
        if "key_file" in values and "cert_file" not in values:
            raise self.fail(items["key_file"], f"{where}.cert_file", "required with key_file (the client certificate)")
        if "key_password" in values and "cert_file" not in values:
            key = "key_password" if "key_password" in items else "key_password_file"
            raise self.fail(items[key], f"{where}.cert_file", f"required with {key} (the client certificate)")
        return RegistrySettings(**values)

    def registry_urls(self, node: yaml.Node, where: str) -> tuple[str, ...]:
        if isinstance(node, yaml.SequenceNode):
            urls = [self.string(item, where).strip() for item in node.value]
        else:
            urls = [u.strip() for u in self.string(node, where).split(",")]
        urls = [u for u in urls if u]
        if not urls:
            raise self.fail(node, where, "no URL given")
        for url in urls:
            problem = registry_url_problem(url)
            if problem:
                raise self.fail(node, where, problem)
        return tuple(urls)

    def producer(self, node: yaml.Node, where: str) -> ProducerDefaults:
        items = self.mapping(node, where)
        self.check_keys(items, {"acks", "idempotence", "compression", "linger_ms", "batch_size"}, where, node)
        values: dict[str, Any] = {}
        if "acks" in items:
            acks = self.string(items["acks"], f"{where}.acks").lower()
            if acks not in ("0", "1", "all", "-1"):
                raise self.fail(items["acks"], f"{where}.acks", "expected 0, 1 or all")
            values["acks"] = "all" if acks == "-1" else acks
        if "idempotence" in items:
            values["idempotence"] = self.boolean(items["idempotence"], f"{where}.idempotence")
        if "compression" in items:
            compression = self.string(items["compression"], f"{where}.compression").lower()
            if compression not in ("none", "gzip", "snappy", "lz4", "zstd"):
                raise self.fail(
                    items["compression"], f"{where}.compression", "expected none, gzip, snappy, lz4 or zstd"
                )
            values["compression"] = compression
        if "linger_ms" in items:
            values["linger_ms"] = int(self.number(items["linger_ms"], f"{where}.linger_ms", minimum=0, integer=True))
        if "batch_size" in items:
            values["batch_size"] = int(self.number(items["batch_size"], f"{where}.batch_size", minimum=1, integer=True))
        return ProducerDefaults(**values)


def validate_server(server: str) -> bool:
    """True for ``host:port`` with a port in 1..65535 (IPv6 hosts in brackets)."""
    host, sep, port = server.rpartition(":")
    # isdigit() alone admits other scripts' digits, which int() then accepts.
    if not sep or not host or not (port.isascii() and port.isdigit()) or len(port) > 5:
        return False
    if any(c.isspace() or not c.isprintable() for c in host):
        return False
    return 0 < int(port) < 65536


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def registry_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a registry URL (None if it can): http or https,
    with a host; shown without user info."""
    from urllib.parse import urlsplit

    shown = url
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            shown = url.replace(parts.netloc, parts.netloc.rsplit("@", 1)[1], 1)
        port = parts.port
    except ValueError:
        return f"'{shown}' is not a URL (http://host:port/...)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{shown}' is not an http:// or https:// URL with a host"
    if any(c.isspace() or not c.isprintable() for c in url):
        return f"'{shown}' holds spaces or control characters"
    if port == 0:
        return f"'{shown}' has port 0"
    return None


def adhoc_registry(url: str, base: RegistrySettings | None = None) -> RegistrySettings:
    """The registry of ``--schema-registry URL[,URL...]``: replaces the URLs of
    ``base`` (the profile's block, whose credentials and TLS files still
    apply), or stands alone."""
    urls = tuple(u.strip() for u in url.split(",") if u.strip())
    if not urls:
        raise ConfigError("--schema-registry: no URL given")
    for one in urls:
        problem = registry_url_problem(one)
        if problem:
            raise ConfigError(_one_line(f"--schema-registry: {problem}"))
    return replace(base, urls=urls) if base is not None else RegistrySettings(urls=urls)


def adhoc_profile(bootstrap: str, *, read_only: bool = False) -> ClusterProfile:
    """A profile for ``--bootstrap host:port[,host:port]``."""
    servers = tuple(s.strip() for s in bootstrap.split(",") if s.strip())
    if not servers:
        raise ConfigError("--bootstrap: no servers given")
    for server in servers:
        if not validate_server(server):
            raise ConfigError(f"--bootstrap: '{server}' is not host:port")
    return ClusterProfile(name=servers[0], bootstrap=servers, read_only=read_only)
