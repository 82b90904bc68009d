"""Throw-away certificates for the local TLS test cluster.

Makes, at run time, a certificate authority, a broker certificate for
127.0.0.1/localhost, a broker certificate for a name that does not match (to
prove hostname checks), a client certificate with a password-protected key, and
an unrelated second CA (to prove that a wrong CA is refused).  Everything is
PEM: Python's ``ssl`` reads it as is, and Kafka 4.x reads it with
``ssl.keystore.type=PEM`` / ``ssl.truststore.type=PEM``.

Only the test harness and the demo use this module; it needs the
``cryptography`` package (a test extra), imported when certificates are made.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DevCertificates:
    """Paths of the PEM files made by :func:`make_dev_certificates`."""

    directory: Path
    ca_file: Path
    """The CA that signed the broker and client certificates."""
    other_ca_file: Path
    """A CA that signed nothing the cluster uses: trusting only it must fail."""
    server_keystore: Path
    """Broker key and certificate chain in one file, for ``ssl.keystore.location``."""
    wrong_host_keystore: Path
    """Like server_keystore, but the certificate names only ``wrong-host.invalid``."""
    client_cert_file: Path
    client_key_file: Path
    """The client's private key, encrypted with ``client_key_password``."""
    client_key_password: str


def make_dev_certificates(directory: Path, *, client_key_password: str = "kview-client-key") -> DevCertificates:
    """Write a fresh CA, broker and client certificates under ``directory``."""
    from cryptography.hazmat.primitives import serialization

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    ca_key, ca_cert = _authority("kview test CA")
    _, other_ca_cert = _authority("kview unrelated CA")
    server_key, server_cert = _leaf(
        "kview test broker", ca_key, ca_cert, dns=["localhost"], ips=["127.0.0.1"], server=True
    )
    wrong_key, wrong_cert = _leaf(
        "wrong-host.invalid", ca_key, ca_cert, dns=["wrong-host.invalid"], ips=[], server=True
    )
    client_key, client_cert = _leaf("kview-client", ca_key, ca_cert, dns=[], ips=[], server=False)

    ca_pem = _cert_pem(ca_cert)
    paths = DevCertificates(
        directory=directory,
        ca_file=directory / "ca.pem",
        other_ca_file=directory / "other-ca.pem",
        server_keystore=directory / "broker-keystore.pem",
        wrong_host_keystore=directory / "wrong-host-keystore.pem",
        client_cert_file=directory / "client.pem",
        client_key_file=directory / "client-key.pem",
        client_key_password=client_key_password,
    )
    paths.ca_file.write_bytes(ca_pem)
    paths.other_ca_file.write_bytes(_cert_pem(other_ca_cert))
    # Kafka's PEM keystore: the (unencrypted PKCS#8) key, then the chain.
    paths.server_keystore.write_bytes(_key_pem(server_key) + _cert_pem(server_cert) + ca_pem)
    paths.wrong_host_keystore.write_bytes(_key_pem(wrong_key) + _cert_pem(wrong_cert) + ca_pem)
    paths.client_cert_file.write_bytes(_cert_pem(client_cert) + ca_pem)
    paths.client_key_file.write_bytes(
        client_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(client_key_password.encode()),
        )
    )
    for path in (paths.server_keystore, paths.wrong_host_keystore, paths.client_key_file):
        path.chmod(0o600)
    return paths


# -- internals ---------------------------------------------------------------------


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    # P-256 keys are made in microseconds (RSA takes tens of milliseconds) and
    # both Java and OpenSSL accept them.
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kview tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _authority(common_name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = _new_key()
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    common_name: str, ca_key: Any, ca_cert: Any, *, dns: list[str], ips: list[str], server: bool
) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = _new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _cert_pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
