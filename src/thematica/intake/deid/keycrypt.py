"""Encrypting the de-identification key (identifier -> placeholder) with a passphrase.

The passphrase is stretched with Argon2id (argon2-cffi) into one master key, from which
separate subkeys are drawn for AES-GCM encryption of the terms, for the keyed hash that lets
the service find a term again without decrypting every row, and for a verifier that tells a
wrong passphrase apart before anything is written. ``cryptography`` and ``argon2`` are
imported only here, when a key is actually encrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from thematica.core.errors import InputError

SALT_BYTES = 16
NONCE_BYTES = 12
# Argon2id at OWASP's first recommended setting (19 MiB, 2 passes): ~50 ms a derivation
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_AAD = b"thematica deid key v1"
_VERIFY_TEXT = b"thematica deid key verifier"
WRONG_PASSPHRASE = "wrong passphrase for the de-identification key"


def new_salt() -> str:
    """A fresh random salt (base64), stored with the project's key settings."""
    return base64.b64encode(os.urandom(SALT_BYTES)).decode("ascii")


def plain_hash(normalised: str) -> str:
    """SHA-256 hex of a normalised term, the lookup hash of a key kept unencrypted."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError(f"the de-identification key's {what} is not valid base64") from None


class KeyCipher:
    """Encrypts, decrypts and hashes key terms under one passphrase and salt."""

    def __init__(self, passphrase: str, salt: str) -> None:
        if not passphrase:
            raise InputError("the passphrase for the de-identification key is empty")
        salt_bytes = _b64(salt, "salt")
        if len(salt_bytes) < 8:
            raise InputError("the de-identification key's salt is too short")
        from argon2.low_level import Type, hash_secret_raw

        master = hash_secret_raw(
            secret=passphrase.encode("utf-8"),
            salt=salt_bytes,
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_KIB,
            parallelism=ARGON2_PARALLELISM,
            hash_len=32,
            type=Type.ID,
        )
        self._enc_key = _subkey(master, b"encrypt")
        self._hash_key = _subkey(master, b"term hash")
        self._verify_key = _subkey(master, b"verify")

    def encrypt(self, plain: str) -> str:
        """base64(nonce + AES-GCM ciphertext); a fresh nonce every time."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._enc_key).encrypt(nonce, plain.encode("utf-8"), _AAD)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plain term; a wrong passphrase (or a damaged token) is a one-line InputError."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = _b64(token, "encrypted term")
        if len(raw) <= NONCE_BYTES:
            raise InputError(WRONG_PASSPHRASE)
        try:
            plain = AESGCM(self._enc_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD)
        except InvalidTag:
            raise InputError(WRONG_PASSPHRASE) from None
        return plain.decode("utf-8")

    def term_hash(self, normalised: str) -> str:
        """HMAC-SHA256 hex of a normalised term: equal terms meet without decrypting."""
        return hmac.new(self._hash_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()

    def verifier(self) -> str:
        """A value stored once so that ``check`` can refuse a wrong passphrase early."""
        return hmac.new(self._verify_key, _VERIFY_TEXT, hashlib.sha256).hexdigest()

    def check(self, verifier: str) -> None:
        """InputError when this passphrase did not make ``verifier``."""
        given = verifier.strip().lower().encode("utf-8")
        if not hmac.compare_digest(self.verifier().encode("ascii"), given):
            raise InputError(WRONG_PASSPHRASE)


def _subkey(master: bytes, label: bytes) -> bytes:
    return hmac.new(master, b"thematica deid " + label, hashlib.sha256).digest()
