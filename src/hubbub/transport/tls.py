"""TLS for the IRC listener: certificates, and TLS done over memory BIOs.

The standard `ssl` module cannot accept a client certificate that no CA
signed, and self-signed client certificates are how IRC users prove who they
are (SASL EXTERNAL, NickServ CERT). So TLS runs through pyOpenSSL with memory
BIOs: `TlsProtocol` takes the socket's bytes, and hands the decrypted stream
to an ordinary `Session` through `TlsTransport`, which looks to it like any
other transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

from hubbub.transport.linger import Lingering

logger = logging.getLogger(__name__)

READ_BYTES = 65536


# Certificates


def create_self_signed(cert_file: Path, key_file: Path, server_name: str) -> None:
    """Write a new self-signed certificate (EC P-256, ten years) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(server_name),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def certificate_files(
    cert_file: Path | None, key_file: Path | None, data_dir: Path, server_name: str
) -> tuple[Path, Path]:
    """The certificate and key to use, making a self-signed pair when none is
    set. A certificate without a key file holds its key too (one PEM file)."""
    if cert_file is not None:
        return cert_file, key_file or cert_file
    cert, key = data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"
    if not cert.is_file() or not key.is_file():
        create_self_signed(cert, key, server_name)
        logger.warning(
            "= created a self-signed TLS certificate at %s; clients must accept it "
            "(set [tls] cert_file and key_file for a real one)",
            cert,
        )
    return cert, key


def _accept_any_client_certificate(*_: Any) -> bool:
    # Client certificates are identities checked by fingerprint, not by CA.
    return True


class CertificateError(Exception):
    """The certificate or key cannot be used: the message says which and why."""


def make_context(cert_file: Path, key_file: Path) -> SSL.Context:
    """A server context: TLS 1.2+, our certificate, client certificates welcome.

    Raises:
        CertificateError: a file cannot be read, is not PEM, or the key is not
            the certificate's.
    """
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    mismatch = f"the key in {key_file} is not the certificate's in {cert_file}"
    for path, use, what in (
        (cert_file, context.use_certificate_chain_file, "certificate"),
        (key_file, context.use_privatekey_file, "private key"),
    ):
        try:
            path.read_bytes()  # OpenSSL would only say "system library"
            use(str(path))
        except OSError as error:
            raise CertificateError(f"cannot read {path}: {error.strerror}") from None
        except SSL.Error as error:
            # OpenSSL checks a key against the certificate as it loads it.
            if "key values mismatch" in str(error):
                raise CertificateError(mismatch) from None
            raise CertificateError(
                f"{path} holds no PEM {what} that TLS can use"
            ) from None
    try:
        context.check_privatekey()
    except SSL.Error:
        raise CertificateError(mismatch) from None
    context.set_verify(SSL.VERIFY_PEER, _accept_any_client_certificate)
    return context


def fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint IRC uses for certfp: lowercase hex, no colons."""
    return certificate.fingerprint(hashes.SHA256()).hex()


# TLS over memory BIOs


class TlsTransport(asyncio.Transport):
    """What the inner protocol sees: a transport that encrypts what it writes."""

    def __init__(self, outer: TlsProtocol) -> None:
        super().__init__()
        self._outer = outer

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt and send."""
        self._outer.send_plaintext(bytes(data))

    def get_write_buffer_size(self) -> int:
        """Bytes the socket has not taken yet."""
        raw = self._outer.raw
        return raw.get_write_buffer_size() if raw is not None else 0

    def is_closing(self) -> bool:
        """Has close() been called or the socket gone?"""
        raw = self._outer.raw
        return raw is None or raw.is_closing() or self._outer.closing

    def close(self) -> None:
        """Send close_notify, then close the socket once written (lingering)."""
        self._outer.close()

    def can_write_eof(self) -> bool:
        """No half-close here: `close` ends the TLS stream, and lingers."""
        return False

    def abort(self) -> None:
        """Drop the connection now."""
        if self._outer.raw is not None:
            self._outer.raw.abort()

    def pause_reading(self) -> None:
        """Stop reading from the socket."""
        if self._outer.raw is not None:
            self._outer.raw.pause_reading()

    def resume_reading(self) -> None:
        """Read from the socket again."""
        if self._outer.raw is not None:
            self._outer.raw.resume_reading()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """peername and the like from the socket; `certfp` from TLS."""
        if name == "certfp":
            return self._outer.certfp
        if name == "tls":
            return True
        raw = self._outer.raw
        return raw.get_extra_info(name, default) if raw is not None else default


class TlsProtocol(asyncio.Protocol):
    """Terminates TLS on one connection and drives an inner protocol."""

    def __init__(
        self, context: SSL.Context, inner: asyncio.Protocol, lingering: Lingering
    ) -> None:
        self._connection = SSL.Connection(context, None)
        self._connection.set_accept_state()
        self._inner = inner
        self._lingering = lingering  # how the socket ends (see `_close`)
        self._handshaken = False
        self.raw: asyncio.Transport | None = None
        self.certfp: str | None = None
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The socket is open; the TLS handshake starts with the client's hello."""
        self.raw = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        """Decrypt; finish the handshake; pass plaintext to the inner protocol."""
        self._connection.bio_write(data)
        try:
            if not self._handshaken and not self._handshake():
                return
            self._read_plaintext()
        except SSL.Error as error:
            logger.info("x TLS error from %s: %s", self._peer(), error)
            self._abort()
        finally:
            self._flush()

    def _handshake(self) -> bool:
        try:
            self._connection.do_handshake()
        except SSL.WantReadError:
            return False
        self._handshaken = True
        peer = self._connection.get_peer_certificate()
        if peer is not None:
            self.certfp = fingerprint(peer.to_cryptography())
        self._inner.connection_made(TlsTransport(self))
        return True

    def _read_plaintext(self) -> None:
        while not self.closing:
            try:
                chunk = self._connection.recv(READ_BYTES)
            except SSL.WantReadError:
                return
            except SSL.ZeroReturnError:  # the client's close_notify
                self._close(linger=False)
                return
            self._inner.data_received(chunk)

    def send_plaintext(self, data: bytes) -> None:
        """Encrypt `data` and write it to the socket."""
        if self.closing or self.raw is None or not self._handshaken:
            return
        try:
            self._connection.sendall(data)
        except SSL.Error as error:
            logger.info("x TLS error to %s: %s", self._peer(), error)
            self._abort()
            return
        self._flush()

    def _flush(self) -> None:
        raw = self.raw
        while raw is not None and not raw.is_closing():
            try:
                data = self._connection.bio_read(READ_BYTES)
            except SSL.WantReadError:
                return
            raw.write(data)

    def close(self) -> None:
        """The session has ended: say close_notify after what is queued, then
        end the socket with a lingering close."""
        self._close(linger=True)

    def _close(self, *, linger: bool) -> None:
        if self.closing:
            return
        self.closing = True
        if self._handshaken:
            with contextlib.suppress(SSL.Error):
                self._connection.shutdown()
            self._flush()
        raw = self.raw
        if raw is None:
            return
        if linger:
            # As over plain TCP (`LingeringClose`): unread bytes would make
            # closing reset the connection, and the client lose our last
            # records. The close_notify goes first, then the FIN; what the
            # client sends after (its own close_notify too) is dropped as it
            # comes, undecrypted: the TLS stream has ended.
            self._lingering.close(raw)
        else:
            raw.close()

    def _abort(self) -> None:
        self.closing = True
        if self.raw is not None:
            self.raw.abort()

    def _peer(self) -> object:
        return self.raw.get_extra_info("peername") if self.raw is not None else None

    def eof_received(self) -> bool | None:
        """The client closed its side: nothing to linger for."""
        self._close(linger=False)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket is gone: tell the inner protocol (if it ever started)."""
        self.closing = True
        if self._handshaken:
            self._inner.connection_lost(exc)


class TlsServerContext:
    """The current server context; SIGHUP swaps in a fresh one (new connections)."""

    def __init__(self, load: Callable[[], SSL.Context]) -> None:
        self._load = load
        self.context = load()

    def reload(self) -> bool:
        """Read the certificate files again; keep the old context if they are bad."""
        try:
            self.context = self._load()
        except CertificateError as error:
            logger.error(
                "! TLS certificate reload failed, keeping the old one: %s", error
            )
            return False
        logger.info("= TLS certificate reloaded")
        return True
