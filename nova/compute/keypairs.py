"""Key pairs: storage, fingerprints and generation, independent of HTTP.

Key pairs belong to a USER, not a project: the same user id sees the same
key pairs from every project, as upstream. Functions that touch the store
take a session (``db.reader()``/``db.writer()``); key generation is CPU
work and runs outside any transaction (see ``generate``).

``cryptography`` is imported by the functions that use it, on the first
key pair request: loading the app stays light, and its SSH module's import
of bcrypt stays out of processes that never see a key pair.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import threading
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.compute import quotas
from nova.db.models import KeyPair

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

TYPE_SSH = "ssh"
TYPE_X509 = "x509"
GENERATED_COMMENT = "Generated-by-Nova"
RSA_BITS = 2048
# [quota] key_pairs' default, the limit when no configuration is given.
MAX_PER_USER = 100
MAX_PUBLIC_KEY_BYTES = 65535

# Generation is ~50 ms of CPU (the GIL is released meanwhile): at most this
# many run at once in a process, so a burst of them cannot take every core
# from the other requests a threaded worker serves.
_GENERATORS = threading.BoundedSemaphore(2)

# Microsoft's User Principal Name, in the WinRM client certificate.
_UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def invalid(reason: str) -> exception.Invalid:
    return exception.Invalid(f"Keypair data is invalid: {reason}")


def not_found(name: str, user_id: str) -> exception.NotFound:
    return exception.NotFound(f"Keypair {name} not found for user {user_id}")


def _colon_hex(digest):
    text = digest.hex()
    return ":".join(text[i:i + 2] for i in range(0, len(text), 2))


# -- fingerprints -------------------------------------------------------------

def _check_size(public_key):
    if len(public_key) > MAX_PUBLIC_KEY_BYTES:  # cheap first look
        raise _too_long()
    try:
        size = len(public_key.encode("utf-8"))
    except UnicodeEncodeError:
        return  # the parsers below reject it with upstream's message
    if size > MAX_PUBLIC_KEY_BYTES:
        raise _too_long()


def _too_long():
    return invalid(f"the public key is longer than {MAX_PUBLIC_KEY_BYTES} "
                   f"bytes")


def _encode(public_key):
    """UTF-8 bytes of a key the store can hold (no NUL: PostgreSQL)."""
    if "\x00" in public_key:
        raise ValueError("the key contains a NUL character")
    return public_key.encode("utf-8")


def ssh_fingerprint(public_key: str) -> str:
    """MD5 colon-hex of the key blob, after checking it is an SSH key."""
    from cryptography.hazmat.primitives import serialization

    _check_size(public_key)
    try:
        serialization.load_ssh_public_key(_encode(public_key))
        blob = base64.b64decode(public_key.split(" ")[1])
    except Exception:  # noqa: BLE001 - any failure means an invalid key
        raise invalid("failed to generate fingerprint") from None
    return _colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())


def x509_fingerprint(pem: str) -> str:
    """SHA-1 colon-hex of the DER certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    _check_size(pem)
    try:
        cert = x509.load_pem_x509_certificate(_encode(pem))
        digest = cert.fingerprint(hashes.SHA1())  # noqa: S303 - upstream's
    except Exception as exc:  # noqa: BLE001
        raise invalid(f"failed to generate X509 fingerprint. Error "
                      f"message: {exc}") from None
    return _colon_hex(digest)


def fingerprint(public_key: str, key_type: str) -> str:
    if key_type == TYPE_X509:
        return x509_fingerprint(public_key)
    return ssh_fingerprint(public_key)


# -- generation ---------------------------------------------------------------

def _generate_ssh():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode("ascii")
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode("ascii")
    public = f"{public} {GENERATED_COMMENT}"
    return private, public, ssh_fingerprint(public)


def _der_utf8_string(text):
    data = text.encode("utf-8")
    size = len(data)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return b"\x0c" + length + data


def _generate_x509(user_id):
    """A WinRM client certificate for ``user_id``, as upstream makes it.

    Returns (base64 of a PKCS#12 bundle of key and certificate, the PEM
    certificate, its fingerprint).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    # X.509 limits a common name to 64 characters; the UPN has the full id.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            user_id[:64])])
    now = datetime.datetime.now(datetime.timezone.utc)
    upn = _der_utf8_string(f"{user_id}@localhost")
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.OtherName(
                x509.ObjectIdentifier(_UPN_OID), upn)]), critical=False)
            .sign(key, hashes.SHA256()))
    bundle = pkcs12.serialize_key_and_certificates(
        None, key, cert, None, serialization.NoEncryption())
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return (base64.b64encode(bundle).decode("ascii"), pem,
            x509_fingerprint(pem))


def generate(key_type: str, user_id: str) -> tuple[str, str, str]:
    """(private key, public key, fingerprint) of a new key pair.

    Call it outside any transaction: it holds no lock of the store.
    """
    with _GENERATORS:
        if key_type == TYPE_X509:
            return _generate_x509(user_id)
        return _generate_ssh()


# -- storage ------------------------------------------------------------------

def _comparable(*texts):
    """Whether the store can compare these (PostgreSQL refuses NUL)."""
    return not any("\x00" in text for text in texts)


def _by_name(user_id, name):
    return sa.select(KeyPair).where(KeyPair.user_id == user_id,
                                    KeyPair.name == name)


def conflict(name: str) -> exception.Conflict:
    return exception.Conflict(f"Key pair '{name}' already exists.")


def check_new(session: Session, user_id: str, name: str,
              quota: tuple[cfg.ConfigOpts, str, str | None] | None = None,
              for_write: bool = True) -> None:
    """409 when ``name`` is taken, 403 when the user has too many.

    ``quota``: (conf, caller's project id, caller's user id) to check the
    key_pairs quota with (nova.compute.quotas, which takes the owner's
    quota lock: create in the same transaction); without it, [quota]
    key_pairs' default is the limit. ``for_write=False``: an early look
    in a read transaction, without the lock.
    """
    if session.execute(_by_name(user_id, name).with_only_columns(
            KeyPair.id)).first() is not None:
        raise conflict(name)
    if quota is not None:
        conf, project_id, caller_id = quota
        quotas.check_key_pairs(session, conf, project_id, caller_id,
                               user_id, take_lock=for_write)
        return
    if quotas.key_pair_count(session, user_id) >= MAX_PER_USER:
        raise exception.QuotaExceeded("Quota exceeded, too many key pairs.")


def create(session: Session, *, user_id: str, name: str, key_type: str,
           public_key: str, fingerprint: str,
           quota: tuple[cfg.ConfigOpts, str, str | None] | None = None
           ) -> KeyPair:
    check_new(session, user_id, name, quota)
    keypair = KeyPair(user_id=user_id, name=name, type=key_type,
                      public_key=public_key, fingerprint=fingerprint)
    session.add(keypair)
    try:
        session.flush()
    except sa_exc.IntegrityError:
        # A concurrent create won the race for the name.
        raise conflict(name) from None
    return keypair


def get(session: Session, user_id: str, name: str) -> KeyPair:
    keypair = None
    if _comparable(user_id, name):
        keypair = session.execute(_by_name(user_id, name)).scalar()
    if keypair is None:
        raise not_found(name, user_id)
    return keypair


def list_keypairs(session: Session, user_id: str, limit: int | None = None,
                  marker: str | None = None) -> list[KeyPair]:
    """The user's key pairs by name; ``marker`` is the last name seen."""
    if not _comparable(user_id):
        return []
    query = sa.select(KeyPair).where(KeyPair.user_id == user_id)
    if marker is not None:
        row = None
        if _comparable(marker):
            row = session.execute(_by_name(user_id, marker)
                                  .with_only_columns(KeyPair.id)).first()
        if row is None:
            raise exception.Invalid(f"Marker {marker} could not be found.")
        query = query.where(KeyPair.name > marker)
    query = query.order_by(KeyPair.name.asc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def delete(session: Session, user_id: str, name: str) -> None:
    session.delete(get(session, user_id, name))
