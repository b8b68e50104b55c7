"""IRC over TLS: real handshakes (trustme certificates), client certificates, reload."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509

from hubbub.app import App, run_app
from hubbub.transport.tls import (
    CertificateError,
    certificate_files,
    create_self_signed,
    fingerprint,
    make_context,
)
from tests.fakes import make_config


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


@pytest.fixture
async def tls_app(tmp_path: Path, ca: trustme.CA) -> AsyncIterator[App]:
    """A server whose TLS listener has a certificate from `ca` for localhost."""
    server_cert = ca.issue_cert("localhost", "127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    server_cert.private_key_pem.write_to_path(str(key))
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    tls = {"port": 0, "cert_file": str(cert), "key_file": str(key)}
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path, tls=tls)
    async with run_app(config) as app:
        yield app


async def _read_until(reader: asyncio.StreamReader, fragment: str) -> list[str]:
    lines: list[str] = []
    while True:
        line = (await asyncio.wait_for(reader.readline(), 5)).decode().rstrip("\r\n")
        assert line, f"connection closed before {fragment!r}: {lines}"
        lines.append(line)
        if fragment in line:
            return lines


async def test_a_client_registers_and_chats_over_tls(
    tls_app: App, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    reader, writer = await asyncio.open_connection(
        "localhost", tls_app.ports["tls"], ssl=context
    )
    writer.write(b"NICK secure\r\nUSER secure 0 * :Secure\r\nWHOIS secure\r\n")
    lines = await _read_until(reader, " 318 ")
    assert any(" 001 secure " in line for line in lines)
    assert any(
        " 671 secure secure :is using a secure connection" in line for line in lines
    )
    writer.close()


async def test_an_untrusted_certificate_fails_verification(tls_app: App) -> None:
    context = ssl.create_default_context()  # does not trust the test CA
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.open_connection("localhost", tls_app.ports["tls"], ssl=context)


async def test_sasl_external_logs_in_with_a_client_certificate(
    tls_app: App, ca: trustme.CA, tmp_path: Path
) -> None:
    # A self-signed client certificate: no CA vouches for it, its fingerprint does.
    client_cert, client_key = tmp_path / "client.pem", tmp_path / "client.key"
    create_self_signed(client_cert, client_key, "alice")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    context.load_cert_chain(str(client_cert), str(client_key))
    certfp = fingerprint(x509.load_pem_x509_certificate(client_cert.read_bytes()))

    reader, writer = await asyncio.open_connection(
        "localhost", tls_app.ports["tls"], ssl=context
    )
    writer.write(
        b"NICK alice\r\nUSER alice 0 * :Alice\r\nNS REGISTER hunter2hunter2\r\n"
    )
    writer.write(b"NS CERT ADD\r\nQUIT\r\n")
    lines = await _read_until(reader, "ERROR")
    assert any(f"Certificate {certfp} added" in line for line in lines), lines
    writer.close()

    reader, writer = await asyncio.open_connection(
        "localhost", tls_app.ports["tls"], ssl=context
    )
    writer.write(b"CAP REQ :sasl\r\nNICK alice\r\nUSER alice 0 * :Alice\r\n")
    writer.write(b"AUTHENTICATE EXTERNAL\r\n")
    await _read_until(reader, "AUTHENTICATE +")
    writer.write(b"AUTHENTICATE +\r\n")
    lines = await _read_until(reader, " 903 ")
    assert any(" 900 alice " in line for line in lines)
    writer.write(b"CAP END\r\n")
    await _read_until(reader, " 001 alice ")
    writer.close()


async def test_sasl_external_without_a_certificate_fails(
    tls_app: App, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    reader, writer = await asyncio.open_connection(
        "localhost", tls_app.ports["tls"], ssl=context
    )
    writer.write(
        b"CAP REQ :sasl\r\nNICK bob\r\nUSER bob 0 * :Bob\r\nAUTHENTICATE EXTERNAL\r\n"
    )
    writer.write(b"AUTHENTICATE " + base64.b64encode(b"bob") + b"\r\n")
    lines = await _read_until(reader, " 904 ")
    assert lines[-1].endswith("SASL authentication failed")
    writer.close()


async def test_reload_swaps_the_certificate_for_new_connections(
    tls_app: App, ca: trustme.CA, tmp_path: Path
) -> None:
    other = trustme.CA()
    replacement = other.issue_cert("localhost", "127.0.0.1")
    replacement.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    replacement.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    assert tls_app.reload_tls()
    context = ssl.create_default_context()
    other.configure_trust(context)
    reader, writer = await asyncio.open_connection(
        "localhost", tls_app.ports["tls"], ssl=context
    )
    writer.write(b"PING :reloaded\r\n")
    assert "reloaded" in (await _read_until(reader, "reloaded"))[-1]
    writer.close()


async def test_reload_keeps_the_old_certificate_when_the_new_one_is_broken(
    tls_app: App, tmp_path: Path
) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    assert not tls_app.reload_tls()


def test_a_self_signed_certificate_is_made_when_none_is_configured(
    tmp_path: Path,
) -> None:
    cert, key = certificate_files(None, None, tmp_path, "irc.example")
    assert cert == tmp_path / "tls" / "cert.pem"
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    # A second start reuses it.
    before = cert.read_bytes()
    certificate_files(None, None, tmp_path, "irc.example")
    assert cert.read_bytes() == before


def test_a_certificate_file_may_hold_its_key(tmp_path: Path, ca: trustme.CA) -> None:
    issued = ca.issue_cert("localhost")
    both = tmp_path / "both.pem"
    both.write_bytes(issued.cert_chain_pems[0].bytes() + issued.private_key_pem.bytes())
    cert, key = certificate_files(both, None, tmp_path, "irc.example")
    assert (cert, key) == (both, both)
    make_context(cert, key)  # loads, and the key matches
    assert not (tmp_path / "tls").exists()  # no self-signed pair made


@pytest.mark.parametrize(
    ("cert", "key", "message"),
    [
        ("missing.pem", "key.pem", "cannot read {dir}/missing.pem: No such file"),
        ("junk.pem", "key.pem", "{dir}/junk.pem holds no PEM certificate"),
        ("cert.pem", "junk.pem", "{dir}/junk.pem holds no PEM private key"),
        (
            "cert.pem",
            "other.pem",
            "the key in {dir}/other.pem is not the certificate's",
        ),
    ],
)
def test_unusable_certificate_files_are_named(
    tmp_path: Path, ca: trustme.CA, cert: str, key: str, message: str
) -> None:
    issued, other = ca.issue_cert("localhost"), ca.issue_cert("localhost")
    issued.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    issued.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    other.private_key_pem.write_to_path(str(tmp_path / "other.pem"))
    (tmp_path / "junk.pem").write_text("not PEM at all\n")
    with pytest.raises(CertificateError) as refused:
        make_context(tmp_path / cert, tmp_path / key)
    assert str(refused.value).startswith(message.format(dir=tmp_path))
