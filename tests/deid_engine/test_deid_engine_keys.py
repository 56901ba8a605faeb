"""The key's encryption (keycrypt) and placeholder templates (placeholders): no model needed."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from thematica.core.errors import InputError
from thematica.intake.deid.keycrypt import KeyCipher, new_salt, plain_hash
from thematica.intake.deid.placeholders import (
    DEFAULT_TEMPLATES,
    normalise_term,
    render,
    validate_template,
)

SALT_A = base64.b64encode(b"0123456789abcdef").decode()
SALT_B = base64.b64encode(b"fedcba9876543210").decode()


@pytest.fixture(scope="module")
def cipher() -> KeyCipher:
    return KeyCipher("correct horse battery staple", SALT_A)


def test_round_trip_and_fresh_nonce(cipher: KeyCipher) -> None:
    one = cipher.encrypt("María López")
    two = cipher.encrypt("María López")
    assert one != two  # a fresh nonce every time
    assert cipher.decrypt(one) == "María López"
    assert cipher.decrypt(two) == "María López"
    # a second cipher from the same passphrase and salt reads it too
    assert KeyCipher("correct horse battery staple", SALT_A).decrypt(one) == "María López"


def test_wrong_passphrase_is_one_line(cipher: KeyCipher) -> None:
    token = cipher.encrypt("Eastside Harm Reduction")
    wrong = KeyCipher("Correct horse battery staple", SALT_A)
    with pytest.raises(InputError) as caught:
        wrong.decrypt(token)
    assert str(caught.value) == "wrong passphrase for the de-identification key"
    with pytest.raises(InputError, match="wrong passphrase"):
        wrong.check(cipher.verifier())
    cipher.check(cipher.verifier())  # the right one passes
    with pytest.raises(InputError, match="wrong passphrase"):
        cipher.check("ünïcode that is no verifier")


def test_damaged_tokens_and_bad_input(cipher: KeyCipher) -> None:
    with pytest.raises(InputError, match="not valid base64"):
        cipher.decrypt("%%%not base64%%%")
    with pytest.raises(InputError, match="wrong passphrase"):
        cipher.decrypt(base64.b64encode(b"short").decode())
    token = base64.b64decode(cipher.encrypt("Tiny"))
    flipped = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(InputError, match="wrong passphrase"):
        cipher.decrypt(base64.b64encode(flipped).decode())
    with pytest.raises(InputError, match="empty"):
        KeyCipher("", SALT_A)
    with pytest.raises(InputError, match="salt"):
        KeyCipher("pass", "not base64!")


def test_term_hashes_stable_and_distinct_per_salt(cipher: KeyCipher) -> None:
    again = KeyCipher("correct horse battery staple", SALT_A)
    other_salt = KeyCipher("correct horse battery staple", SALT_B)
    assert cipher.term_hash("maria") == again.term_hash("maria")
    assert len(cipher.term_hash("maria")) == 64
    assert cipher.term_hash("maria") != other_salt.term_hash("maria")
    assert cipher.term_hash("maria") != cipher.term_hash("marisol")
    assert cipher.verifier() == again.verifier() != other_salt.verifier()
    # the keyed hash is not the plain one
    assert cipher.term_hash("maria") != plain_hash("maria")


def test_plain_hash_and_salt() -> None:
    assert plain_hash("maria") == hashlib.sha256(b"maria").hexdigest()
    assert plain_hash("maría") == hashlib.sha256("maría".encode()).hexdigest()
    salts = {new_salt() for _ in range(5)}
    assert len(salts) == 5
    assert all(len(base64.b64decode(s)) == 16 for s in salts)


def test_default_templates_render() -> None:
    assert render(DEFAULT_TEMPLATES["PERSON"], 2) == "[person 2]"
    assert render(DEFAULT_TEMPLATES["LOCATION"], 1) == "[place 1]"
    assert render(DEFAULT_TEMPLATES["ORGANIZATION"], 3) == "[organisation 3]"
    assert render(DEFAULT_TEMPLATES["DATE_TIME"], 7) == "[date]"
    assert render("[town {n:02d}]", 4) == "[town 04]"
    assert set(DEFAULT_TEMPLATES) == {
        "PERSON",
        "LOCATION",
        "ORGANIZATION",
        "FACILITY",
        "DATE_TIME",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "STREET_ADDRESS",
        "URL",
    }
    for template in DEFAULT_TEMPLATES.values():
        assert validate_template(template) == template


def test_validate_template() -> None:
    assert validate_template("  [town {n}]  ") == "[town {n}]"
    assert validate_template("[my boss]") == "[my boss]"
    assert validate_template("{{literal}} {n}") == "{{literal}} {n}"
    for bad, words in [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 101, "101 characters"),
        ("[a\nb]", "one line"),
        ("[{name}]", "{name}"),
        ("[person {n} {x}]", "{x}"),
        ("[person {n]", "brace"),
        ("[person }", "brace"),
        ("[{n:q}]", "cannot be filled"),
        ("[{0}]", "{0}"),
    ]:
        with pytest.raises(InputError, match=re.escape(words)) as caught:
            validate_template(bad)
        assert "\n" not in str(caught.value)
    assert validate_template("x" * 100) == "x" * 100


@pytest.mark.parametrize(
    ("term", "key"),
    [
        ("Maria", "maria"),
        ("maria's", "maria"),
        ("MARIA", "maria"),
        ("Maria’s", "maria"),
        ("  Maria   Lopez  ", "maria lopez"),
        ("“Smokey”,", "smokey"),
        ("(Eastside Harm Reduction).", "eastside harm reduction"),
        ("St. Mary's", "st. mary"),
        ("James'", "james"),
        ("O'Malley", "o'malley"),
        ("Straße", "strasse"),
        ("Mari\u0301a", "mar\u00eda"),
        ("...", ""),
    ],
)
def test_normalise_term(term: str, key: str) -> None:
    assert normalise_term(term) == key
