#!/usr/bin/env python3
"""Writes the OMS wire-format test vectors in this directory.

This is a second, independent implementation of the formats described in
protocol-spec/README.md, written from the prose and not from the Swift code. It uses only the
Python standard library (hashlib.blake2b, json, struct) and the `cryptography` package for
Ed25519 and X25519, plus PyYAML (`yaml`) to read community manifests (section 14) as a node tree.
Bech32m (BIP 350) and the protobuf wire encoding are implemented here by hand.

Every input is fixed, Ed25519 signatures are deterministic (RFC 8032) and JSON is written with
sorted keys, so running the script again produces byte-identical files:

    python3 protocol-spec/vectors/generate.py

Conventions in the files: byte strings are lower-case hex; uint64 protobuf fields are decimal
strings (JSON numbers lose precision above 2**53).
"""

import hashlib
import json
import math
import os
import struct

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# Fixed inputs


def fixed_bytes(label, length=32):
    """Deterministic pseudo-random bytes named by `label` (BLAKE2b in counter mode)."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.blake2b(
            label.encode() + struct.pack(">I", counter), digest_size=64, person=b"oms-vectors"
        ).digest()
        counter += 1
    return out[:length]


# ---------------------------------------------------------------------------------------------
# Bech32m (BIP 350)

BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


def bech32_polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= generator[i]
    return chk


def bech32_hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def regroup(data, from_bits, to_bits, pad):
    acc = 0
    bits = 0
    out = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def bech32m_encode(hrp, data_bytes):
    data = regroup(data_bytes, 8, 5, True)
    polymod = bech32_polymod(bech32_hrp_expand(hrp) + data + [0] * 6) ^ BECH32M_CONST
    checksum = [(polymod >> (5 * (5 - i))) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_ALPHABET[d] for d in data + checksum)


def bech32m_decode_values(text):
    """Checks a bech32m string and returns (hrp, 5-bit values without the checksum)."""
    if len(text) > 90:
        raise ValueError("too long")
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or len(text) - sep - 1 < 6:
        raise ValueError("no separator or empty prefix")
    hrp = text[:sep]
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise ValueError("bad prefix character")
    try:
        values = [BECH32_ALPHABET.index(c) for c in text[sep + 1 :]]
    except ValueError:
        raise ValueError("bad data character")
    if bech32_polymod(bech32_hrp_expand(hrp) + values) != BECH32M_CONST:
        raise ValueError("bad checksum")
    return hrp, values[:-6]


def bech32m_decode(text):
    """Returns (hrp, bytes) or raises ValueError; used to check the vectors before writing."""
    hrp, values = bech32m_decode_values(text)
    decoded = regroup(values, 5, 8, False)
    if decoded is None:
        raise ValueError("bad padding")
    return hrp, bytes(decoded)


# ---------------------------------------------------------------------------------------------
# Ed25519, BLAKE2b


def ed25519_public(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ed25519_sign(seed, message):
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def blake2b_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# ---------------------------------------------------------------------------------------------
# Envelopes

ENVELOPE_MAGIC = b"OMSE"
ENVELOPE_VERSION = 1
ENVELOPE_DOMAIN = b"oms/v1/envelope\x00"
DEFAULT_MAXIMUM_PAYLOAD = 1 << 20


def envelope_signing_input(type_name, payload):
    t = type_name.encode("ascii")
    return ENVELOPE_DOMAIN + bytes([len(t)]) + t + payload


def envelope_bytes(type_name, signer, signature, payload, version=ENVELOPE_VERSION, payload_length=None):
    t = type_name.encode("ascii")
    if payload_length is None:
        payload_length = len(payload)
    return (
        ENVELOPE_MAGIC
        + bytes([version, len(t)])
        + t
        + signer
        + signature
        + struct.pack(">I", payload_length)
        + payload
    )


def sign_envelope(seed, type_name, payload):
    signing_input = envelope_signing_input(type_name, payload)
    signature = ed25519_sign(seed, signing_input)
    return signing_input, signature, envelope_bytes(type_name, ed25519_public(seed), signature, payload)


ALICE_SEED = fixed_bytes("seed/alice")
BOB_SEED = fixed_bytes("seed/bob")

NOTE_TEXT = "Hello from the mustard seed. \u00e9\u00e8 \u2713"
BLOB_PAYLOAD = bytes((i * 37 + 11) & 0xFF for i in range(300))

VALID_ENVELOPES = [
    ("empty payload", ALICE_SEED, "oms/test.empty", b""),
    ("short note", ALICE_SEED, "oms/note", NOTE_TEXT.encode("utf-8")),
    ("300-byte binary payload", BOB_SEED, "oms/test.blob_v1", BLOB_PAYLOAD),
    ("64-character type", BOB_SEED, "oms/" + "a" * 40 + "0123456789-_./xyzw", b"\x00\xff"),
]


def envelopes():
    valid = []
    for name, seed, type_name, payload in VALID_ENVELOPES:
        assert 1 <= len(type_name) <= 64
        signing_input, signature, data = sign_envelope(seed, type_name, payload)
        object_id = blake2b_256(data)
        valid.append(
            {
                "name": name,
                "signer_seed": seed.hex(),
                "signer_public_key": ed25519_public(seed).hex(),
                "type": type_name,
                "payload": payload.hex(),
                "signing_input": signing_input.hex(),
                "signature": signature.hex(),
                "envelope": data.hex(),
                "object_id_hex": object_id.hex(),
                "object_id": bech32m_encode("obj", object_id),
            }
        )

    # A reference envelope to damage: the short note.
    _, note_sig, note = sign_envelope(ALICE_SEED, "oms/note", NOTE_TEXT.encode("utf-8"))
    alice = ed25519_public(ALICE_SEED)
    payload = NOTE_TEXT.encode("utf-8")
    type_len = len(b"oms/note")
    sig_offset = 6 + type_len + 32
    payload_offset = sig_offset + 64 + 4

    def flip(data, offset, bit=0):
        b = bytearray(data)
        b[offset] ^= 1 << bit
        return bytes(b)

    def correctly_signed(type_name, body):
        """An envelope whose signature is right, so only the named rule refuses it."""
        _, sig, data = sign_envelope(ALICE_SEED, type_name, body)
        return data

    invalid = [
        ("empty input", b"", "malformed"),
        ("truncated inside the magic", note[:3], "malformed"),
        ("truncated before the version", note[:4], "malformed"),
        ("truncated before the type length", note[:5], "malformed"),
        ("truncated inside the type", note[:9], "malformed"),
        ("truncated inside the signer", note[: 6 + type_len + 10], "malformed"),
        ("truncated inside the signature", note[: sig_offset + 63], "malformed"),
        ("truncated inside the payload length", note[: sig_offset + 64 + 2], "malformed"),
        ("truncated inside the payload", note[:-1], "malformed"),
        ("bad magic", b"OMSX" + note[4:], "malformed"),
        ("lower-case magic", b"omse" + note[4:], "malformed"),
        ("unsupported version 2", note[:4] + b"\x02" + note[5:], "unsupportedVersion"),
        ("unsupported version 0", note[:4] + b"\x00" + note[5:], "unsupportedVersion"),
        ("one trailing byte", note + b"\x00", "malformed"),
        ("a second envelope appended", note + note, "malformed"),
        ("signature with one bit flipped", flip(note, sig_offset + 5, 3), "badSignature"),
        ("payload with one bit flipped", flip(note, payload_offset, 0), "badSignature"),
        ("signer is a small-order point (all zero)", note[: 6 + type_len] + bytes(32) + note[sig_offset:], "badSignature"),
        ("signer replaced by another key", note[: 6 + type_len] + ed25519_public(BOB_SEED) + note[sig_offset:], "badSignature"),
        ("type changed after signing", note[:6] + b"oms/notf" + note[6 + type_len :], "badSignature"),
        ("type with a capital letter", correctly_signed("oms/Note", payload), "malformed"),
        ("type with a space", correctly_signed("oms/a note", payload), "malformed"),
        ("type of length zero", envelope_bytes("", alice, ed25519_sign(ALICE_SEED, ENVELOPE_DOMAIN + b"\x00"), b""), "malformed"),
        (
            "type of 65 characters",
            correctly_signed("oms/" + "a" * 61, b""),
            "malformed",
        ),
        (
            "type with a non-ASCII byte",
            note[:5] + bytes([9]) + b"oms/n\xc3\xa9te" + note[6 + type_len :],
            "malformed",
        ),
        (
            "payload length larger than present",
            note[: sig_offset + 64] + struct.pack(">I", len(payload) + 1) + payload,
            "malformed",
        ),
        (
            "payload length 0xFFFFFFFF with a 3-byte payload",
            note[: sig_offset + 64] + b"\xff\xff\xff\xff" + b"abc",
            "tooLarge",
        ),
        (
            "payload length one over the default maximum",
            note[: sig_offset + 64] + struct.pack(">I", DEFAULT_MAXIMUM_PAYLOAD + 1) + payload,
            "tooLarge",
        ),
    ]
    for _, data, _ in invalid:
        assert data != note
    # Python's stdlib check that the flipped-bit cases really fail to verify.
    from cryptography.exceptions import InvalidSignature

    bad = flip(note_sig, 5, 3)
    try:
        Ed25519PrivateKey.from_private_bytes(ALICE_SEED).public_key().verify(bad, envelope_signing_input("oms/note", payload))
        raise AssertionError("flipped signature verified")
    except InvalidSignature:
        pass

    return {
        "description": (
            "Signed envelopes (protocol-spec/README.md, 'Envelopes'). valid: signing the payload under the type "
            "with the Ed25519 key from signer_seed MUST give exactly signing_input, signature and envelope; "
            "object_id_hex is BLAKE2b-256(envelope) and object_id its bech32m text under 'obj'. invalid: a reader "
            "with the default maximum payload (max_payload bytes) MUST refuse envelope with the given error "
            "(malformed, unsupportedVersion, tooLarge, badSignature) after parsing and verifying."
        ),
        "max_payload": DEFAULT_MAXIMUM_PAYLOAD,
        "valid": valid,
        "invalid": [{"name": n, "envelope": d.hex(), "error": e} for n, d, e in invalid],
    }


# ---------------------------------------------------------------------------------------------
# Identifiers

KINDS = ["node", "tcf", "tcc", "persona", "obj"]


def identifiers():
    _, _, note = sign_envelope(ALICE_SEED, "oms/note", NOTE_TEXT.encode("utf-8"))
    values = {
        "node": ed25519_public(ALICE_SEED),
        "tcf": fixed_bytes("id/tcf"),
        "tcc": fixed_bytes("id/tcc"),
        "persona": ed25519_public(fixed_bytes("seed/persona")),
        "obj": blake2b_256(note),
    }
    valid = []
    for kind in KINDS:
        data = values[kind]
        text = bech32m_encode(kind, data)
        assert bech32m_decode(text) == (kind, data)
        valid.append({"kind": kind, "bytes": data.hex(), "text": text})
    # Edge values: all zero and all 0xff.
    for kind, data in [("tcf", b"\x00" * 32), ("tcc", b"\xff" * 32)]:
        valid.append({"kind": kind, "bytes": data.hex(), "text": bech32m_encode(kind, data)})

    node_text = bech32m_encode("node", values["node"])
    tcc_text = bech32m_encode("tcc", values["tcc"])

    def mistype(text, index):
        chars = list(text)
        alphabet = BECH32_ALPHABET
        chars[index] = alphabet[(alphabet.index(chars[index]) + 1) % 32]
        return "".join(chars)

    def swap_adjacent(text, index):
        chars = list(text)
        assert chars[index] != chars[index + 1]
        chars[index], chars[index + 1] = chars[index + 1], chars[index]
        return "".join(chars)

    swap_at = next(i for i in range(5, len(tcc_text) - 1) if tcc_text[i] != tcc_text[i + 1])
    mixed = tcc_text[:10] + tcc_text[10:].upper()
    assert mixed != tcc_text and mixed.lower() == tcc_text

    invalid = [
        ("a node id where a tcc id is expected", node_text, "tcc", "wrongKind"),
        ("a tcc id where a node id is expected", tcc_text, "node", "wrongKind"),
        ("an obj id where a persona id is expected", bech32m_encode("obj", values["obj"]), "persona", "wrongKind"),
        ("one mistyped character in the data", mistype(tcc_text, 20), "tcc", "badChecksum"),
        ("one mistyped character in the checksum", mistype(tcc_text, len(tcc_text) - 1), "tcc", "badChecksum"),
        ("two adjacent characters swapped", swap_adjacent(tcc_text, swap_at), "tcc", "badChecksum"),
        ("a character missing", tcc_text[:15] + tcc_text[16:], "tcc", "badChecksum"),
        ("mixed case", mixed, "tcc", "mixedCase"),
        ("31 bytes", bech32m_encode("tcc", values["tcc"][:31]), "tcc", "wrongLength"),
        ("33 bytes", bech32m_encode("tcc", values["tcc"] + b"\x00"), "tcc", "wrongLength"),
        ("empty data", bech32m_encode("tcc", b""), "tcc", "wrongLength"),
        ("unknown prefix", bech32m_encode("foo", values["tcc"]), "tcc", "unknownPrefix"),
        ("a letter outside the alphabet", tcc_text[:12] + "b" + tcc_text[13:], "tcc", "invalidCharacter"),
        ("no separator", "tccqqqqqqqqqqqqqqqqqq", "tcc", "noSeparator"),
        ("empty string", "", "tcc", "noSeparator"),
        ("bech32 (BIP 173) checksum instead of bech32m", bech32_173_encode("tcc", values["tcc"]), "tcc", "badChecksum"),
    ]
    for _, text, _, reason in invalid:
        if reason in ("wrongKind", "wrongLength", "unknownPrefix"):
            bech32m_decode(text)  # structurally valid bech32m
        else:
            try:
                bech32m_decode(text)
                raise AssertionError("decoded: " + text)
            except ValueError:
                pass

    return {
        "description": (
            "Typed ids (protocol-spec/README.md, 'Identifiers'): bech32m (BIP 350) of 32 bytes under the kind's "
            "prefix. valid: bytes MUST encode to exactly text (lower case) and text MUST decode to bytes; the "
            "all-upper-case form MUST also be accepted. invalid: parsing text as an id of kind 'expected' MUST "
            "fail for the given reason: wrongKind (a valid id of another kind; the message names both kinds), "
            "badChecksum, mixedCase, wrongLength (not 32 bytes), unknownPrefix, invalidCharacter, noSeparator."
        ),
        "valid": valid,
        "invalid": [{"name": n, "text": t, "expected": k, "reason": r} for n, t, k, r in invalid],
    }


def bech32_173_encode(hrp, data_bytes):
    """The original bech32 (constant 1): a string that bech32m readers MUST refuse."""
    data = regroup(data_bytes, 8, 5, True)
    polymod = bech32_polymod(bech32_hrp_expand(hrp) + data + [0] * 6) ^ 1
    checksum = [(polymod >> (5 * (5 - i))) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_ALPHABET[d] for d in data + checksum)


# ---------------------------------------------------------------------------------------------
# Protobuf (proto3 wire format, hand-encoded; fields in field-number order, defaults omitted)


def varint(n):
    assert 0 <= n < 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint_field(number, value):
    return b"" if value == 0 else varint(number << 3 | 0) + varint(value)


def pb_bytes_field(number, value):
    return b"" if len(value) == 0 else varint(number << 3 | 2) + varint(len(value)) + value


def pb_double_field(number, value):
    """A double (wire type 1, little-endian); 0 is the default, omitted."""
    return b"" if value == 0 else varint(number << 3 | 1) + struct.pack("<d", value)


def pb_message_field(number, encoded):
    """A singular sub-message: present even when empty (a set oneof case)."""
    return varint(number << 3 | 2) + varint(len(encoded)) + encoded


def pb_string_field(number, value):
    return pb_bytes_field(number, value.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Handshake identity

NOISE_STATIC_DOMAIN = b"oms/v1/noise-static-key\x00"


def handshake_identity():
    cases = []
    for name, seed_label, static_label, trust in [
        ("responder", "seed/alice", "noise/alice", 1),
        ("initiator", "seed/bob", "noise/bob", 2),
    ]:
        seed = fixed_bytes(seed_label)
        static_private = fixed_bytes(static_label)
        static_public = X25519PrivateKey.from_private_bytes(static_private).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        message = NOISE_STATIC_DOMAIN + static_public + bytes([trust])
        signature = ed25519_sign(seed, message)
        identity_key = ed25519_public(seed)
        payload = pb_bytes_field(1, identity_key) + pb_bytes_field(2, signature) + pb_varint_field(3, trust)
        assert payload[:2] == b"\x0a\x20" and payload[34:36] == b"\x12\x40"
        cases.append(
            {
                "name": name,
                "identity_seed": seed.hex(),
                "identity_key": identity_key.hex(),
                "node_id": bech32m_encode("node", identity_key),
                "noise_static_private_key": static_private.hex(),
                "noise_static_public_key": static_public.hex(),
                "trust": trust,
                "signed_message": message.hex(),
                "identity_signature": signature.hex(),
                "handshake_payload": payload.hex(),
            }
        )

    # Payloads a receiver MUST refuse, checked against the sender's static key in cases[0].
    good = cases[0]
    key = bytes.fromhex(good["identity_key"])
    sig = bytes.fromhex(good["identity_signature"])
    other_static = bytes.fromhex(cases[1]["noise_static_public_key"])
    seed = bytes.fromhex(good["identity_seed"])
    static = bytes.fromhex(good["noise_static_public_key"])
    trust = pb_varint_field(3, good["trust"])
    sig_other_static = ed25519_sign(seed, NOISE_STATIC_DOMAIN + other_static + bytes([good["trust"]]))
    sig_no_domain = ed25519_sign(seed, static + bytes([good["trust"]]))
    sig_no_trust = ed25519_sign(seed, NOISE_STATIC_DOMAIN + static)
    sig_trust_9 = ed25519_sign(seed, NOISE_STATIC_DOMAIN + static + bytes([9]))
    sig_trust_0 = ed25519_sign(seed, NOISE_STATIC_DOMAIN + static + bytes([0]))
    flipped = bytearray(sig)
    flipped[0] ^= 1
    invalid = [
        ("signature over another static key", pb_bytes_field(1, key) + pb_bytes_field(2, sig_other_static) + trust),
        ("signature without the domain tag", pb_bytes_field(1, key) + pb_bytes_field(2, sig_no_domain) + trust),
        ("signature with one bit flipped", pb_bytes_field(1, key) + pb_bytes_field(2, bytes(flipped)) + trust),
        ("identity key of another node", pb_bytes_field(1, bytes.fromhex(cases[1]["identity_key"])) + pb_bytes_field(2, sig) + trust),
        ("identity key missing", pb_bytes_field(2, sig) + trust),
        ("signature missing", pb_bytes_field(1, key) + trust),
        ("empty payload", b""),
        ("identity key of 31 bytes", pb_bytes_field(1, key[:31]) + pb_bytes_field(2, sig) + trust),
        ("signature of 63 bytes", pb_bytes_field(1, key) + pb_bytes_field(2, sig[:63]) + trust),
        ("trust missing", pb_bytes_field(1, key) + pb_bytes_field(2, sig_trust_0)),
        ("trust other than the one signed", pb_bytes_field(1, key) + pb_bytes_field(2, sig) + pb_varint_field(3, 3)),
        ("signature not covering the trust", pb_bytes_field(1, key) + pb_bytes_field(2, sig_no_trust) + trust),
        ("unknown trust 9", pb_bytes_field(1, key) + pb_bytes_field(2, sig_trust_9) + pb_varint_field(3, 9)),
    ]
    return {
        "description": (
            "The Noise handshake payload (protocol-spec/README.md, 'Transport'). valid: the node with identity_seed "
            "with trust (NodeTrust) signs signed_message = 'oms/v1/noise-static-key' || 0x00 || noise_static_public_key "
            "|| trust (1 byte); the result MUST be identity_signature, and HandshakePayload{identity_key, "
            "identity_signature, trust} MUST encode to "
            "handshake_payload. noise_static_public_key is X25519(noise_static_private_key). invalid: received "
            "from a peer whose Noise static key is invalid_static_public_key, each handshake_payload MUST be refused "
            "(the handshake is aborted)."
        ),
        "valid": cases,
        "invalid_static_public_key": good["noise_static_public_key"],
        "invalid": [{"name": n, "handshake_payload": p.hex()} for n, p in invalid],
    }


# ---------------------------------------------------------------------------------------------
# Frames


def frames():
    _, _, note = sign_envelope(ALICE_SEED, "oms/note", NOTE_TEXT.encode("utf-8"))
    peer_a = ed25519_public(ALICE_SEED)
    peer_b = ed25519_public(BOB_SEED)
    cases = []

    def add(name, request_id, body, fields, encoded_body):
        encoded = pb_varint_field(1, request_id) + encoded_body
        expected = {"request_id": str(request_id), "body": body}
        if body is not None:
            expected[body] = fields
        cases.append(
            {
                "name": name,
                "frame": expected,
                "bytes": encoded.hex(),
                "stream": (struct.pack(">I", len(encoded)) + encoded).hex(),
            }
        )

    hello = {"agent": "oms/0.1.0", "listen_address": "127.0.0.1:7400", "sent_at_unix_ms": "1767225600123"}
    add(
        "hello",
        0,
        "hello",
        hello,
        pb_message_field(
            2,
            pb_string_field(1, hello["agent"])
            + pb_string_field(2, hello["listen_address"])
            + pb_varint_field(3, int(hello["sent_at_unix_ms"])),
        ),
    )
    hello_quiet = {"agent": "oms/0.1.0 (d\u00e9mo)", "listen_address": "", "sent_at_unix_ms": "0"}
    add(
        "hello from a node that does not listen",
        0,
        "hello",
        hello_quiet,
        pb_message_field(2, pb_string_field(1, hello_quiet["agent"])),
    )
    add("ping", 0, "ping", {"nonce": "42"}, pb_message_field(3, pb_varint_field(1, 42)))
    add(
        "ping with a 64-bit nonce and a request id",
        7,
        "ping",
        {"nonce": "18364758544493064720"},
        pb_message_field(3, pb_varint_field(1, 0xFEDCBA9876543210)),
    )
    add("ping with nonce zero", 0, "ping", {"nonce": "0"}, pb_message_field(3, b""))
    add(
        "pong",
        0,
        "pong",
        {"nonce": "18364758544493064720"},
        pb_message_field(4, pb_varint_field(1, 0xFEDCBA9876543210)),
    )
    error = {"code": 3, "message": "frame of 5000000 bytes announced; the limit is 4194304"}
    add(
        "error frame too large",
        0,
        "error",
        error,
        pb_message_field(5, pb_varint_field(1, error["code"]) + pb_string_field(2, error["message"])),
    )
    error_dup = {"code": 8, "message": "a session with this peer already exists"}
    add(
        "error duplicate session with a request id",
        300,
        "error",
        error_dup,
        pb_message_field(5, pb_varint_field(1, error_dup["code"]) + pb_string_field(2, error_dup["message"])),
    )
    peers = [
        {"identity_key": peer_a.hex(), "address": "192.0.2.10:7400"},
        {"identity_key": peer_b.hex(), "address": "[2001:db8::1]:7401"},
    ]
    add(
        "peers",
        0,
        "peers",
        {"peers": peers},
        pb_message_field(
            6,
            b"".join(
                pb_message_field(1, pb_bytes_field(1, bytes.fromhex(p["identity_key"])) + pb_string_field(2, p["address"]))
                for p in peers
            ),
        ),
    )
    add("empty peer list", 0, "peers", {"peers": []}, pb_message_field(6, b""))
    add("note", 0, "note", {"envelope": note.hex()}, pb_message_field(7, pb_bytes_field(1, note)))
    add("no body", 0, None, None, b"")

    stream = b"".join(bytes.fromhex(c["stream"]) for c in cases)

    # Frames whose body a receiver does not know: the oneof is empty after decoding, and the
    # receiver answers ERROR_CODE_UNKNOWN_FRAME. Not re-encoded (unknown fields are kept as is).
    unknown = [
        {
            "name": "unknown body field 99 (empty message)",
            "bytes": (varint(99 << 3 | 2) + varint(0)).hex(),
            "request_id": "0",
        },
        {
            "name": "unknown body field 100 with content and a request id",
            "bytes": (pb_varint_field(1, 9) + varint(100 << 3 | 2) + varint(3) + b"\x08\x96\x01").hex(),
            "request_id": "9",
        },
    ]
    # Bytes that are not a Frame; the receiver answers ERROR_CODE_MALFORMED_FRAME and closes.
    malformed = [
        {"name": "truncated varint", "bytes": "08ff"},
        {"name": "length-delimited field longer than the data", "bytes": "1205"},
        {"name": "hello body truncated", "bytes": pb_message_field(2, pb_string_field(1, "oms"))[:-1].hex()},
        {"name": "wire type 7", "bytes": "0f"},
        {"name": "field number 0", "bytes": "0000"},
    ]
    return {
        "description": (
            "Session frames (protocol-spec/README.md, 'Frames'). Each case's frame, protobuf-encoded with fields "
            "in field-number order and proto3 defaults omitted, MUST be exactly bytes, and decoding bytes MUST give "
            "frame; stream is bytes with its 4-byte big-endian length prefix, and 'stream' at the top is every "
            "case's stream in order. body names the set oneof case (null: none). uint64 values are decimal "
            "strings; error.code is the ErrorCode number. unknown: decoding MUST succeed with no known body set. "
            "malformed: decoding MUST fail."
        ),
        "cases": cases,
        "stream": stream.hex(),
        "unknown": unknown,
        "malformed": malformed,
    }


# ---------------------------------------------------------------------------------------------
# Prologue


def prologue():
    valid = []
    for network in ["oms-main", "oms-testnet-1", "a", "0123456789abcdefghijklmnopqrstuv"]:
        assert 1 <= len(network) <= 32
        valid.append({"network_id": network, "prologue": (b"oms/1\x00" + network.encode("ascii")).hex()})
    invalid = [
        "",
        "OMS-main",
        "oms main",
        "oms_main",
        "oms.main",
        "0123456789abcdefghijklmnopqrstuvw",
        "r\u00e9seau",
        "oms/main",
    ]
    return {
        "description": (
            "Noise prologue (protocol-spec/README.md, 'Transport'): 'oms/1' || 0x00 || network id (ASCII). "
            "invalid: strings that are not network ids (1 to 32 characters of a-z, 0-9, '-') and MUST be refused."
        ),
        "valid": valid,
        "invalid": invalid,
    }


# ---------------------------------------------------------------------------------------------
# Audit log: entry hashes and signed checkpoints

AUDIT_DOMAIN = b"oms/v1/audit-entry\x00"
AUDIT_CHECKPOINT_TYPE = "oms/audit-checkpoint"
AUDIT_TCC = fixed_bytes("audit/tcc")
AUDIT_OWNER_SEED = fixed_bytes("seed/audit-owner")


def audit_entry_hash(previous, sequence, time_ms, kind, detail):
    k = kind.encode("ascii")
    return blake2b_256(
        AUDIT_DOMAIN
        + previous
        + struct.pack(">QQ", sequence, time_ms)
        + bytes([len(k)])
        + k
        + struct.pack(">I", len(detail))
        + detail
    )


def audit():
    entries = []
    previous = bytes(32)
    for sequence, time_ms, kind, detail in [
        (1, 1700000000000, "key.use", b'{"key":"persona1"}'),
        (2, 1700000000500, "login", b'{"app":"bike-club"}'),
        (3, 1700000001000, "data.access", b""),
    ]:
        h = audit_entry_hash(previous, sequence, time_ms, kind, detail)
        entries.append(
            {
                "sequence": sequence,
                "time_ms": time_ms,
                "kind": kind,
                "detail": detail.hex(),
                "previous_hash": previous.hex(),
                "hash": h.hex(),
            }
        )
        previous = h
    payload = AUDIT_TCC + struct.pack(">Q", 3) + previous + struct.pack(">Q", 1700000002000)
    signing_input, signature, envelope = sign_envelope(AUDIT_OWNER_SEED, AUDIT_CHECKPOINT_TYPE, payload)
    return {
        "description": "Audit log entry hashes (genesis previous hash = 32 zero bytes) and a signed "
        "checkpoint of entry 3: payload = tcc [32] | sequence u64 | head [32] | time_ms u64.",
        "entries": entries,
        "checkpoint": {
            "tcc": AUDIT_TCC.hex(),
            "tcc_text": bech32m_encode("tcc", AUDIT_TCC),
            "sequence": 3,
            "head": previous.hex(),
            "time_ms": 1700000002000,
            "owner_seed": AUDIT_OWNER_SEED.hex(),
            "payload": payload.hex(),
            "signature": signature.hex(),
            "envelope": envelope.hex(),
        },
    }


# ---------------------------------------------------------------------------------------------
# Claims, persona links and sign-in (sections 8 to 10; times are Unix seconds)

CLAIM_TYPE = "oms/claim"
CLAIM_REVOCATION_TYPE = "oms/claim-revocation"
CLAIM_PRESENTATION_TYPE = "oms/claim-presentation"
PERSONA_LINK_TYPE = "oms/persona-link"
SIGN_IN_TYPE = "oms/sign-in"
PERSONA_LINK_DOMAIN = b"oms/v1/persona-link\x00"

CLAIM_MAXIMUM_PAYLOAD = 8192
CLAIM_MAXIMUM_VALUE = 4096
REVOCATION_PAYLOAD_LENGTH = 25
PRESENTATION_MAXIMUM_CLAIM = CLAIM_MAXIMUM_PAYLOAD + 1024
PRESENTATION_MAXIMUM_PAYLOAD = 1 + 1 + 128 + 32 + 8 + 4 + PRESENTATION_MAXIMUM_CLAIM
PERSONA_LINK_PAYLOAD_LENGTH = 137
SIGN_IN_MAXIMUM_PAYLOAD = 1 + 1 + 128 + 32 + 8
ID_TEXT_MAXIMUM = 100
AUDIENCE_MAXIMUM = 128
SKEW_SECONDS = 300
CLAIM_ISSUER_KINDS = ("persona", "tcc")
CLAIM_SUBJECT_KINDS = ("node", "tcf", "tcc", "persona")

T0 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400
YEAR = 365 * DAY

PERSONA_ISSUER_SEED = fixed_bytes("claims/persona-issuer")
PERSONA_SUBJECT_SEED = fixed_bytes("claims/persona-subject")
TCC_ISSUER_SEED = fixed_bytes("claims/tcc-issuer")
TCC_SUBJECT_SEED = fixed_bytes("claims/tcc-subject")
NODE_SUBJECT_SEED = fixed_bytes("claims/node-subject")
OTHER_SEED = fixed_bytes("claims/other")
CLAIM_TCF = fixed_bytes("claims/tcf")


def persona_text(seed):
    return bech32m_encode("persona", ed25519_public(seed))


def tcc_text(seed):
    """A TCC's id is its root key's public key."""
    return bech32m_encode("tcc", ed25519_public(seed))


def len8(data):
    return bytes([len(data)]) + data


def claim_payload(issuer, subject, type_name, value, issued, expires, revocation_id=b"", version=1):
    """issuer, subject, type_name: text; value: bytes. Nothing is checked, so it also builds bad claims."""
    return (
        bytes([version])
        + len8(issuer.encode("ascii"))
        + len8(subject.encode("ascii"))
        + len8(type_name.encode("ascii"))
        + struct.pack(">H", len(value))
        + value
        + struct.pack(">QQ", issued, expires)
        + len8(revocation_id)
    )


def revocation_payload(revocation_id, revoked_at, version=1):
    return bytes([version]) + revocation_id + struct.pack(">Q", revoked_at)


def presentation_payload(audience, nonce, presented, claim, version=1, claim_length=None):
    a = audience.encode("utf-8") if isinstance(audience, str) else audience
    if claim_length is None:
        claim_length = len(claim)
    return bytes([version]) + len8(a) + nonce + struct.pack(">QI", presented, claim_length) + claim


def persona_link_message(first, second, linked_at):
    return PERSONA_LINK_DOMAIN + first + second + struct.pack(">Q", linked_at)


def sign_in_payload(audience, nonce, signed_at, version=1):
    a = audience.encode("utf-8") if isinstance(audience, str) else audience
    return bytes([version]) + len8(a) + nonce + struct.pack(">Q", signed_at)


def signed(seed, type_name, payload):
    return sign_envelope(seed, type_name, payload)[2]


def flip_bit(data, offset, bit=0):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)


def signature_offset(type_name):
    return 6 + len(type_name) + 32


# A second reading of the prose: verifiers that return nothing or raise Refused(code). The
# self-check runs every vector through them before anything is written.


class Refused(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def is_type_name(raw):
    allowed = b"abcdefghijklmnopqrstuvwxyz0123456789/._-"
    return 1 <= len(raw) <= 64 and all(c in allowed for c in raw)


def ed25519_verify(public_key, signature, message):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def open_envelope(data, expected_type, maximum_payload):
    """Section 2's reading rules. For sections 8 to 10 every refusal of rules 1 to 6
    (unsupportedVersion and tooLarge included) is 'malformed'. Returns (signer, payload)."""
    if len(data) < 6 or data[:4] != ENVELOPE_MAGIC or data[4] != ENVELOPE_VERSION:
        raise Refused("malformed")
    type_len = data[5]
    type_name = data[6 : 6 + type_len]
    if len(type_name) != type_len or not is_type_name(type_name):
        raise Refused("malformed")
    at = 6 + type_len
    if len(data) < at + 100:
        raise Refused("malformed")
    signer, signature = data[at : at + 32], data[at + 32 : at + 96]
    (payload_len,) = struct.unpack(">I", data[at + 96 : at + 100])
    payload = data[at + 100 :]
    if payload_len > maximum_payload or len(payload) != payload_len:
        raise Refused("malformed")
    if type_name.decode("ascii") != expected_type:
        raise Refused("wrongType")
    if not ed25519_verify(signer, signature, envelope_signing_input(type_name.decode("ascii"), payload)):
        raise Refused("badSignature")
    return signer, payload


class PayloadReader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise Refused("malformed")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def version_1(self):
        if self.u8() != 1:
            raise Refused("malformed")

    def end(self):
        if self.at != len(self.data):
            raise Refused("malformed")


def parse_id_text(raw, kinds):
    """An id as section 1 prints it: lower case, no white space, nothing else accepted."""
    if not 1 <= len(raw) <= ID_TEXT_MAXIMUM or raw.lower() != raw:
        raise Refused("malformed")
    try:
        kind, data = bech32m_decode(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("malformed")
    if kind not in kinds or len(data) != 32:
        raise Refused("malformed")
    return kind, data


def utf8_text(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("malformed")


def audience_text(raw):
    """1 to 128 bytes of UTF-8 without control characters (Unicode category Cc)."""
    text = utf8_text(raw)
    if not 1 <= len(raw) <= AUDIENCE_MAXIMUM or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise Refused("malformed")
    return raw


def decode_claim(payload):
    r = PayloadReader(payload)
    r.version_1()
    issuer_kind, issuer = parse_id_text(r.take(r.u8()), CLAIM_ISSUER_KINDS)
    subject_kind, subject = parse_id_text(r.take(r.u8()), CLAIM_SUBJECT_KINDS)
    if not is_type_name(r.take(r.u8())):
        raise Refused("malformed")
    value = r.take(r.u16())
    if len(value) > CLAIM_MAXIMUM_VALUE:
        raise Refused("malformed")
    utf8_text(value)
    issued, expires = r.u64(), r.u64()
    if expires <= issued:
        raise Refused("malformed")
    revocation_len = r.u8()
    if revocation_len not in (0, 16):
        raise Refused("malformed")
    revocation_id = r.take(revocation_len)
    r.end()
    return {"issuer": issuer, "subject_kind": subject_kind, "subject": subject, "issued": issued,
            "expires": expires, "revocation_id": revocation_id}


def open_revocation(data):
    signer, payload = open_envelope(data, CLAIM_REVOCATION_TYPE, REVOCATION_PAYLOAD_LENGTH)
    r = PayloadReader(payload)
    r.version_1()
    revocation_id = r.take(16)
    r.u64()
    r.end()
    return signer, revocation_id


def verify_claim(envelope, now, revocations=()):
    signer, payload = open_envelope(envelope, CLAIM_TYPE, CLAIM_MAXIMUM_PAYLOAD)
    claim = decode_claim(payload)
    if claim["issuer"] != signer:
        raise Refused("issuerMismatch")
    if claim["issued"] > now + SKEW_SECONDS:
        raise Refused("notYetValid")
    if now >= claim["expires"]:
        raise Refused("expired")
    for revocation in revocations:
        try:
            revoker, revocation_id = open_revocation(revocation)
        except Refused:
            continue  # a revocation that does not open revokes nothing
        if claim["revocation_id"] and revoker == signer and revocation_id == claim["revocation_id"]:
            raise Refused("revoked")
    return claim


def verify_presentation(envelope, audience, nonce, now, revocations=()):
    signer, payload = open_envelope(envelope, CLAIM_PRESENTATION_TYPE, PRESENTATION_MAXIMUM_PAYLOAD)
    r = PayloadReader(payload)
    r.version_1()
    presented_audience = audience_text(r.take(r.u8()))
    presented_nonce = r.take(32)
    presented = r.u64()
    claim_len = r.u32()
    if claim_len > PRESENTATION_MAXIMUM_CLAIM:
        raise Refused("malformed")
    inner = r.take(claim_len)
    r.end()
    claim = verify_claim(inner, now, revocations)
    if claim["subject_kind"] not in ("persona", "tcc") or claim["subject"] != signer:
        raise Refused("subjectMismatch")
    if presented_audience != audience.encode("utf-8"):
        raise Refused("wrongAudience")
    if presented_nonce != nonce:
        raise Refused("wrongNonce")
    if abs(now - presented) > SKEW_SECONDS:
        raise Refused("stale")


def verify_persona_link(envelope):
    signer, payload = open_envelope(envelope, PERSONA_LINK_TYPE, PERSONA_LINK_PAYLOAD_LENGTH)
    r = PayloadReader(payload)
    if len(payload) != PERSONA_LINK_PAYLOAD_LENGTH:
        raise Refused("malformed")
    r.version_1()
    first, second, linked_at, second_signature = r.take(32), r.take(32), r.u64(), r.take(64)
    if signer != first:
        raise Refused("signerMismatch")
    if first == second:
        raise Refused("sameKey")
    if not ed25519_verify(second, second_signature, persona_link_message(first, second, linked_at)):
        raise Refused("badSignature")
    return first, second


def verify_sign_in(envelope, audience, now, challenges, consumed):
    """challenges: nonce -> expiry of every challenge the relying party issued and still keeps;
    consumed: nonces already answered. Returns the persona key and consumes the nonce."""
    signer, payload = open_envelope(envelope, SIGN_IN_TYPE, SIGN_IN_MAXIMUM_PAYLOAD)
    r = PayloadReader(payload)
    r.version_1()
    signed_audience = audience_text(r.take(r.u8()))
    nonce = r.take(32)
    signed_at = r.u64()
    r.end()
    if signed_audience != audience.encode("utf-8"):
        raise Refused("wrongAudience")
    if nonce not in challenges:
        raise Refused("unknownNonce")
    if nonce in consumed:
        raise Refused("replayed")
    if now >= challenges[nonce]:
        raise Refused("expired")
    if abs(now - signed_at) > SKEW_SECONDS:
        raise Refused("stale")
    consumed.add(nonce)
    return signer


def refusal(check, *args):
    try:
        check(*args)
    except Refused as e:
        return e.code
    return None


# ---------------------------------------------------------------------------------------------
# Claims


def claims():
    persona_issuer = persona_text(PERSONA_ISSUER_SEED)
    persona_subject = persona_text(PERSONA_SUBJECT_SEED)
    tcc_issuer = tcc_text(TCC_ISSUER_SEED)
    tcc_subject = tcc_text(TCC_SUBJECT_SEED)
    node_subject = bech32m_encode("node", ed25519_public(NODE_SUBJECT_SEED))
    tcf_subject = bech32m_encode("tcf", CLAIM_TCF)

    valid = []
    envelopes = {}

    def add_claim(name, seed, issuer, subject, type_name, value, issued, expires, revocation_id, verify_at):
        payload = claim_payload(issuer, subject, type_name, value.encode("utf-8"), issued, expires, revocation_id)
        envelope = signed(seed, CLAIM_TYPE, payload)
        envelopes[name] = envelope
        valid.append(
            {
                "name": name,
                "signer_seed": seed.hex(),
                "issuer": issuer,
                "subject": subject,
                "type": type_name,
                "value": value,
                "issued": issued,
                "expires": expires,
                "revocation_id": revocation_id.hex(),
                "payload": payload.hex(),
                "envelope": envelope.hex(),
                "id": bech32m_encode("obj", blake2b_256(envelope)),
                "verify_at": verify_at,
            }
        )
        return envelope

    age_revocation_id = fixed_bytes("claims/revocation/age", 16)
    member_revocation_id = fixed_bytes("claims/revocation/member", 16)
    age = "persona about a persona, revocable"
    by_tcc = "tcc about a node, not revocable"
    member = "empty value, about a tcc"
    c_age = add_claim(age, PERSONA_ISSUER_SEED, persona_issuer, persona_subject, "age.over-18", "true",
                      T0, T0 + YEAR, age_revocation_id, T0 + DAY)
    c_node = add_claim(by_tcc, TCC_ISSUER_SEED, tcc_issuer, node_subject, "node.operated-by", "Bike Club servers",
                       T0 + 3600, T0 + 3600 + 7 * DAY, b"", T0 + 3600 + 7 * DAY - 1)
    c_member = add_claim(member, PERSONA_ISSUER_SEED, persona_issuer, tcc_subject, "member/bike-club", "",
                         T0, T0 + 30 * DAY, member_revocation_id, T0 + 10 * DAY)
    add_claim("4096-byte value, about a tcf", TCC_ISSUER_SEED, tcc_issuer, tcf_subject, "test.max_value",
              "0123456789abcdef" * 256, T0, T0 + 1, b"", T0)
    city = "non-ASCII UTF-8 value"
    add_claim(city, PERSONA_ISSUER_SEED, persona_issuer, persona_subject, "address.city",
                       "Z\u00fcrich \u2013 \u2713 \u65e5\u672c \U0001f331", T0, T0 + 90 * DAY, b"", T0 + 1000)
    add_claim("issued 300 seconds after the verifier's clock (within the skew)", TCC_ISSUER_SEED, tcc_issuer,
              persona_subject, "kyc.verified_v2", "level 2", T0 + 300, T0 + YEAR, b"", T0)

    # Revocations.
    revocations = []
    revocation_envelopes = {}

    def add_revocation(name, seed, revocation_id, revoked_at, revokes):
        payload = revocation_payload(revocation_id, revoked_at)
        envelope = signed(seed, CLAIM_REVOCATION_TYPE, payload)
        revocation_envelopes[name] = envelope
        revocations.append(
            {
                "name": name,
                "signer_seed": seed.hex(),
                "revocation_id": revocation_id.hex(),
                "revoked_at": revoked_at,
                "payload": payload.hex(),
                "envelope": envelope.hex(),
                "revokes": revokes,
            }
        )
        return envelope

    r_age = add_revocation("the issuer revokes the age claim", PERSONA_ISSUER_SEED, age_revocation_id, T0 + 2 * DAY, age)
    r_other = add_revocation("another key with the same revocation id", OTHER_SEED, age_revocation_id, T0 + 2 * DAY, None)
    r_zero = add_revocation("the tcc issuer revokes the all-zero id", TCC_ISSUER_SEED, bytes(16), T0 + 2 * DAY, None)

    still_valid = [
        {"name": "revoked by another key than its issuer", "envelope": c_age.hex(), "verify_at": T0 + 3 * DAY,
         "revocations": [r_other.hex()]},
        {"name": "its issuer revoked another revocation id", "envelope": c_member.hex(), "verify_at": T0 + 3 * DAY,
         "revocations": [r_age.hex()]},
        {"name": "no revocation id, so nothing revokes it", "envelope": c_node.hex(), "verify_at": T0 + 3 * DAY,
         "revocations": [r_zero.hex(), r_age.hex(), r_other.hex()]},
    ]

    # Presentations.
    presentations = []
    presentation_envelopes = {}

    def add_presentation(name, seed, claim_name, audience, nonce, presented, verify_at):
        payload = presentation_payload(audience, nonce, presented, envelopes[claim_name])
        envelope = signed(seed, CLAIM_PRESENTATION_TYPE, payload)
        presentation_envelopes[name] = envelope
        presentations.append(
            {
                "name": name,
                "subject_seed": seed.hex(),
                "claim": claim_name,
                "audience": audience,
                "nonce": nonce.hex(),
                "presented": presented,
                "payload": payload.hex(),
                "envelope": envelope.hex(),
                "verify_at": verify_at,
            }
        )
        return envelope

    audience = "bike-club.example"
    nonce = fixed_bytes("claims/presentation-nonce/1")
    at = T0 + DAY + 60
    p_age = add_presentation("a persona presents its age claim", PERSONA_SUBJECT_SEED, age, audience, nonce, at - 2, at)
    add_presentation("a tcc presents its membership with its root key, 300 seconds old", TCC_SUBJECT_SEED, member,
                     "V\u00e9lo Club \u2713", fixed_bytes("claims/presentation-nonce/2"), at - 300, at)
    add_presentation("a 128-byte audience, presented 300 seconds ahead", PERSONA_SUBJECT_SEED, city,
                     "https://" + "a" * 109 + ".example/in", fixed_bytes("claims/presentation-nonce/3"), at + 300, at)
    assert len(presentations[-1]["audience"].encode("utf-8")) == AUDIENCE_MAXIMUM

    # Claims and presentations a verifier MUST refuse.
    invalid = []

    def bad_claim(name, envelope, verify_at, error, revocations=None):
        case = {"name": name, "kind": "claim", "envelope": envelope.hex(), "verify_at": verify_at, "error": error}
        if revocations is not None:
            case["revocations"] = [r.hex() for r in revocations]
        invalid.append(case)

    def issuer_signed(payload, seed=PERSONA_ISSUER_SEED):
        return signed(seed, CLAIM_TYPE, payload)

    def age_claim(**changes):
        fields = dict(issuer=persona_issuer, subject=persona_subject, type_name="age.over-18", value=b"true",
                      issued=T0, expires=T0 + YEAR, revocation_id=age_revocation_id)
        fields.update(changes)
        return claim_payload(**fields)

    age_payload = age_claim()
    assert age_payload == bytes.fromhex(valid[0]["payload"])
    v = T0 + DAY
    sig_at = signature_offset(CLAIM_TYPE)
    bad_claim("signature with one bit flipped", flip_bit(c_age, sig_at + 7, 2), v, "badSignature")
    bad_claim("payload with one bit flipped after signing", flip_bit(c_age, len(c_age) - 20, 0), v, "badSignature")
    bad_claim("signed under the type oms/note", signed(PERSONA_ISSUER_SEED, "oms/note", age_payload), v, "wrongType")
    bad_claim("envelope truncated by one byte", c_age[:-1], v, "malformed")
    bad_claim("issuer is the persona id of another key", issuer_signed(age_claim(issuer=persona_text(OTHER_SEED))), v,
              "issuerMismatch")
    bad_claim("issuer is a persona id, the envelope signed by a tcc's key",
              issuer_signed(claim_payload(persona_issuer, node_subject, "node.operated-by", b"x", T0, T0 + DAY),
                            TCC_ISSUER_SEED), v - DAY + 1, "issuerMismatch")
    bad_claim("issuer is a node id of the signing key",
              issuer_signed(age_claim(issuer=bech32m_encode("node", ed25519_public(PERSONA_ISSUER_SEED)))), v, "malformed")
    bad_claim("issuer is a tcf id of the signing key",
              issuer_signed(age_claim(issuer=bech32m_encode("tcf", ed25519_public(PERSONA_ISSUER_SEED)))), v, "malformed")
    bad_claim("verified at its expiry time", c_age, T0 + YEAR, "expired")
    bad_claim("issued 301 seconds after the verifier's clock", issuer_signed(age_claim(issued=v + 301)), v, "notYetValid")
    bad_claim("revoked by its issuer", c_age, T0 + 3 * DAY, "revoked", [r_age])
    bad_claim("revoked by its issuer, among revocations that revoke nothing", c_age, T0 + 3 * DAY, "revoked",
              [r_other, r_zero, r_age])
    bad_claim("expires equal to issued", issuer_signed(age_claim(expires=T0)), T0, "malformed")
    bad_claim("expires before issued", issuer_signed(age_claim(expires=T0 - 1)), T0, "malformed")
    bad_claim("payload version 2", issuer_signed(age_claim(version=2)), v, "malformed")
    bad_claim("payload version 0", issuer_signed(age_claim(version=0)), v, "malformed")
    bad_claim("empty payload", issuer_signed(b""), v, "malformed")
    bad_claim("one trailing byte in the payload", issuer_signed(age_payload + b"\x00"), v, "malformed")
    bad_claim("payload truncated by one byte", issuer_signed(age_payload[:-1]), v, "malformed")
    bad_claim("payload of 8193 bytes (a valid claim padded)",
              issuer_signed(age_payload + bytes(CLAIM_MAXIMUM_PAYLOAD + 1 - len(age_payload))), v, "malformed")
    bad_claim("revocation_len 15", issuer_signed(age_claim(revocation_id=age_revocation_id[:15])), v, "malformed")
    bad_claim("revocation_len 17", issuer_signed(age_claim(revocation_id=age_revocation_id + b"\x00")), v, "malformed")
    bad_claim("value of 4097 bytes", issuer_signed(age_claim(value=b"a" * 4097)), v, "malformed")
    bad_claim("type with capital letters", issuer_signed(age_claim(type_name="Age")), v, "malformed")
    bad_claim("type of length zero", issuer_signed(age_claim(type_name="")), v, "malformed")
    bad_claim("type of 65 characters", issuer_signed(age_claim(type_name="age." + "a" * 61)), v, "malformed")
    bad_claim("issuer of length zero", issuer_signed(age_claim(issuer="")), v, "malformed")
    mistyped = persona_subject[:-1] + BECH32_ALPHABET[(BECH32_ALPHABET.index(persona_subject[-1]) + 1) % 32]
    bad_claim("issuer in upper case", issuer_signed(age_claim(issuer=persona_issuer.upper())), v, "malformed")
    bad_claim("subject followed by a line feed", issuer_signed(age_claim(subject=persona_subject + "\n")), v, "malformed")
    bad_claim("subject preceded by a space", issuer_signed(age_claim(subject=" " + persona_subject)), v, "malformed")
    bad_claim("subject with a bad checksum", issuer_signed(age_claim(subject=mistyped)), v, "malformed")
    bad_claim("subject is an obj id",
              issuer_signed(age_claim(subject=bech32m_encode("obj", blake2b_256(c_node)))), v, "malformed")
    bad_claim("subject of 31 bytes",
              issuer_signed(age_claim(subject=bech32m_encode("persona", ed25519_public(PERSONA_SUBJECT_SEED)[:31]))), v,
              "malformed")
    bad_claim("value not UTF-8 (a lead byte without its continuation)", issuer_signed(age_claim(value=b"\xc3\x28")), v,
              "malformed")
    bad_claim("value not UTF-8 (an encoded UTF-16 surrogate)", issuer_signed(age_claim(value=b"ok\xed\xa0\x80")), v,
              "malformed")

    def bad_presentation(name, envelope, audience, nonce, verify_at, error, revocations=None):
        case = {"name": name, "kind": "presentation", "envelope": envelope.hex(), "audience": audience,
                "nonce": nonce.hex(), "verify_at": verify_at, "error": error}
        if revocations is not None:
            case["revocations"] = [r.hex() for r in revocations]
        invalid.append(case)

    def subject_signed(payload, seed=PERSONA_SUBJECT_SEED, type_name=CLAIM_PRESENTATION_TYPE):
        return signed(seed, type_name, payload)

    p_age_payload = presentation_payload(audience, nonce, at - 2, c_age)
    bad_presentation("presentation signature with one bit flipped",
                     flip_bit(p_age, signature_offset(CLAIM_PRESENTATION_TYPE) + 1, 5), audience, nonce, at, "badSignature")
    bad_presentation("presentation signed under the type oms/claim", subject_signed(p_age_payload, type_name=CLAIM_TYPE),
                     audience, nonce, at, "wrongType")
    bad_presentation("presentation payload version 2",
                     subject_signed(presentation_payload(audience, nonce, at, c_age, version=2)), audience, nonce, at,
                     "malformed")
    bad_presentation("one trailing byte in the presentation payload", subject_signed(p_age_payload + b"\x00"), audience,
                     nonce, at, "malformed")
    bad_presentation("claim_len beyond the payload",
                     subject_signed(presentation_payload(audience, nonce, at, c_age, claim_length=len(c_age) + 1)),
                     audience, nonce, at, "malformed")
    bad_presentation("claim_len 9217",
                     subject_signed(presentation_payload(audience, nonce, at, c_age + bytes(PRESENTATION_MAXIMUM_CLAIM + 1 - len(c_age)))),
                     audience, nonce, at, "malformed")
    bad_presentation("audience of length zero", subject_signed(presentation_payload("", nonce, at, c_age)), "", nonce, at,
                     "malformed")
    bad_presentation("audience with a line feed", subject_signed(presentation_payload(audience + "\n", nonce, at, c_age)),
                     audience + "\n", nonce, at, "malformed")
    bad_presentation("audience with U+0085 (a C1 control character)",
                     subject_signed(presentation_payload(audience + "\u0085", nonce, at, c_age)), audience + "\u0085",
                     nonce, at, "malformed")
    bad_presentation("audience of 129 bytes", subject_signed(presentation_payload("a" * 129, nonce, at, c_age)), "a" * 129,
                     nonce, at, "malformed")
    bad_presentation("inner claim with a flipped signature bit",
                     subject_signed(presentation_payload(audience, nonce, at, flip_bit(c_age, sig_at + 7, 2))), audience,
                     nonce, at, "badSignature")
    bad_presentation("inner envelope is a revocation, not a claim",
                     subject_signed(presentation_payload(audience, nonce, at, r_age)), audience, nonce, at, "wrongType")
    bad_presentation("inner claim expired", subject_signed(presentation_payload(audience, nonce, T0 + YEAR, c_age)),
                     audience, nonce, T0 + YEAR, "expired")
    bad_presentation("inner claim revoked", p_age, audience, nonce, at, "revoked", [r_age])
    bad_presentation("signed by a key other than the claim's subject", subject_signed(p_age_payload, OTHER_SEED), audience,
                     nonce, at, "subjectMismatch")
    bad_presentation("signed by the claim's issuer", subject_signed(p_age_payload, PERSONA_ISSUER_SEED), audience, nonce,
                     at, "subjectMismatch")
    node_at = T0 + 2 * DAY
    bad_presentation("a claim about a node, presented with the node's key",
                     subject_signed(presentation_payload(audience, nonce, node_at, c_node), NODE_SUBJECT_SEED), audience,
                     nonce, node_at, "subjectMismatch")
    bad_presentation("wrong audience", p_age, "other-app.example", nonce, at, "wrongAudience")
    bad_presentation("audience differing only in case", p_age, "Bike-Club.example", nonce, at, "wrongAudience")
    bad_presentation("audience canonically equivalent but other bytes (NFD against NFC)",
                     presentation_envelopes["a tcc presents its membership with its root key, 300 seconds old"],
                     "Ve\u0301lo Club \u2713", fixed_bytes("claims/presentation-nonce/2"), at, "wrongAudience")
    bad_presentation("wrong nonce", p_age, audience, fixed_bytes("claims/presentation-nonce/other"), at, "wrongNonce")
    bad_presentation("presented 301 seconds before the verifier's clock",
                     subject_signed(presentation_payload(audience, nonce, at - 301, c_age)), audience, nonce, at, "stale")
    bad_presentation("presented 301 seconds after the verifier's clock",
                     subject_signed(presentation_payload(audience, nonce, at + 301, c_age)), audience, nonce, at, "stale")

    return {
        "description": (
            "Claims (protocol-spec/README.md, 'Claims'); times are Unix seconds. valid: the claim payload built from "
            "issuer, subject, type, value (UTF-8), issued, expires and revocation_id (hex, empty: none) MUST be exactly "
            "payload; signed as an oms/claim envelope with signer_seed it MUST be exactly envelope, whose BLAKE2b-256 "
            "is id (obj text); it MUST verify at verify_at with no revocations. revocations: oms/claim-revocation "
            "envelopes built from revocation_id and revoked_at, signed with signer_seed; revokes names the valid claim "
            "it revokes, or is null when it revokes none of them (another key's revocation, or an id no claim has). "
            "still_valid: claim envelopes that MUST verify at verify_at with the listed revocations applied. "
            "presentations: the oms/claim-presentation payload built from audience, nonce, presented and the envelope "
            "of the valid claim named by claim, signed with subject_seed; it MUST verify with that audience and nonce "
            "expected at verify_at. invalid: kind claim or presentation; verifying envelope at verify_at (for "
            "presentations expecting audience and nonce), with the revocations listed (none when absent) applied, "
            "MUST fail with error. skew_seconds is the clock skew allowed both for issued and for presented."
        ),
        "skew_seconds": SKEW_SECONDS,
        "valid": valid,
        "revocations": revocations,
        "still_valid": still_valid,
        "presentations": presentations,
        "invalid": invalid,
    }


# ---------------------------------------------------------------------------------------------
# Persona links


def persona_links():
    valid = []

    def link(first_seed, second_seed, linked_at):
        first, second = ed25519_public(first_seed), ed25519_public(second_seed)
        message = persona_link_message(first, second, linked_at)
        second_signature = ed25519_sign(second_seed, message)
        payload = b"\x01" + first + second + struct.pack(">Q", linked_at) + second_signature
        assert len(payload) == PERSONA_LINK_PAYLOAD_LENGTH
        return message, second_signature, payload

    for name, first_label, second_label, linked_at in [
        ("the bike-club persona links the clinic persona", "links/persona/bike-club", "links/persona/clinic", T0 + 10 * DAY),
        ("the clinic persona links the work persona", "links/persona/clinic", "links/persona/work", T0 + 11 * DAY),
    ]:
        first_seed, second_seed = fixed_bytes(first_label), fixed_bytes(second_label)
        message, second_signature, payload = link(first_seed, second_seed, linked_at)
        valid.append(
            {
                "name": name,
                "first_seed": first_seed.hex(),
                "second_seed": second_seed.hex(),
                "first": persona_text(first_seed),
                "second": persona_text(second_seed),
                "linked_at": linked_at,
                "second_signed_message": message.hex(),
                "second_signature": second_signature.hex(),
                "payload": payload.hex(),
                "envelope": signed(first_seed, PERSONA_LINK_TYPE, payload).hex(),
            }
        )

    first_seed, second_seed = fixed_bytes("links/persona/bike-club"), fixed_bytes("links/persona/clinic")
    third_seed = fixed_bytes("links/persona/third")
    linked_at = T0 + 10 * DAY
    _, good_signature, payload = link(first_seed, second_seed, linked_at)
    first, second = ed25519_public(first_seed), ed25519_public(second_seed)
    _, _, same_payload = link(first_seed, first_seed, linked_at)
    signed_by_first = ed25519_sign(first_seed, persona_link_message(first, second, linked_at))
    envelope = signed(first_seed, PERSONA_LINK_TYPE, payload)
    invalid = [
        ("envelope signed by a third key", signed(third_seed, PERSONA_LINK_TYPE, payload), "signerMismatch"),
        ("envelope signed by second", signed(second_seed, PERSONA_LINK_TYPE, payload), "signerMismatch"),
        ("first and second are the same key", signed(first_seed, PERSONA_LINK_TYPE, same_payload), "sameKey"),
        ("second_signature with one bit flipped",
         signed(first_seed, PERSONA_LINK_TYPE, payload[:73] + flip_bit(good_signature, 10, 1)), "badSignature"),
        ("second_signature made by first's key",
         signed(first_seed, PERSONA_LINK_TYPE, payload[:73] + signed_by_first), "badSignature"),
        ("second_signature over another linked_at",
         signed(first_seed, PERSONA_LINK_TYPE, payload[:65] + struct.pack(">Q", linked_at + 1) + good_signature),
         "badSignature"),
        ("envelope signature with one bit flipped",
         flip_bit(envelope, signature_offset(PERSONA_LINK_TYPE) + 3, 7), "badSignature"),
        ("signed under the type oms/note", signed(first_seed, "oms/note", payload), "wrongType"),
        ("payload of 136 bytes", signed(first_seed, PERSONA_LINK_TYPE, payload[:-1]), "malformed"),
        ("payload of 138 bytes", signed(first_seed, PERSONA_LINK_TYPE, payload + b"\x00"), "malformed"),
        ("payload version 2", signed(first_seed, PERSONA_LINK_TYPE, b"\x02" + payload[1:]), "malformed"),
        ("payload version 0", signed(first_seed, PERSONA_LINK_TYPE, b"\x00" + payload[1:]), "malformed"),
    ]
    return {
        "description": (
            "Persona links (protocol-spec/README.md, 'Personas and links'); times are Unix seconds. valid: "
            "second_signed_message is 'oms/v1/persona-link' || 0x00 || first key || second key || linked_at (u64); "
            "second_signature is its Ed25519 signature with second_seed; payload is 0x01 || first key || second key "
            "|| linked_at || second_signature (137 bytes) and envelope the oms/persona-link envelope signed with "
            "first_seed; first and second are the persona ids. invalid: opening envelope as a persona link MUST fail "
            "with error (malformed, wrongType, badSignature, signerMismatch, sameKey)."
        ),
        "valid": valid,
        "invalid": [{"name": n, "envelope": e.hex(), "error": c} for n, e, c in invalid],
    }


# ---------------------------------------------------------------------------------------------
# Sign-in with a TCC


def sign_in():
    valid = []
    at = T0 + 20 * DAY

    def answer(seed, audience, nonce, signed_at, type_name=SIGN_IN_TYPE, version=1, extra=b""):
        payload = sign_in_payload(audience, nonce, signed_at, version) + extra
        return payload, signed(seed, type_name, payload)

    for name, seed_label, audience, nonce_label, signed_at in [
        ("a persona signs in to the bike club", "sign-in/persona/bike-club", "bike-club.example", "sign-in/nonce/1", at - 2),
        ("a non-ASCII audience, signed 300 seconds before", "sign-in/persona/clinic", "Praxis M\u00fcller \u2695",
         "sign-in/nonce/2", at - 300),
        ("a 128-byte audience, signed 300 seconds ahead", "sign-in/persona/bike-club", "app." + "b" * 116 + ".example",
         "sign-in/nonce/3", at + 300),
    ]:
        seed, nonce = fixed_bytes(seed_label), fixed_bytes(nonce_label)
        payload, envelope = answer(seed, audience, nonce, signed_at)
        valid.append(
            {
                "name": name,
                "persona_seed": seed.hex(),
                "persona": persona_text(seed),
                "audience": audience,
                "nonce": nonce.hex(),
                "challenge_expires": at + 60,
                "signed_at": signed_at,
                "payload": payload.hex(),
                "envelope": envelope.hex(),
                "verify_at": at,
            }
        )
    assert len(valid[-1]["audience"].encode("utf-8")) == AUDIENCE_MAXIMUM

    seed, nonce, audience = fixed_bytes("sign-in/persona/bike-club"), fixed_bytes("sign-in/nonce/4"), "bike-club.example"
    _, good = answer(seed, audience, nonce, at)
    invalid = [
        ("answer for another audience", good, "other-app.example", "wrongAudience"),
        ("audience differing only in a trailing slash", good, audience + "/", "wrongAudience"),
        ("audience canonically equivalent but other bytes (NFD against NFC)",
         answer(seed, "Praxis M\u00fcller", nonce, at)[1], "Praxis Mu\u0308ller", "wrongAudience"),
        ("signature with one bit flipped", flip_bit(good, signature_offset(SIGN_IN_TYPE) + 20, 4), audience, "badSignature"),
        ("payload bit flipped after signing", flip_bit(good, len(good) - 1, 0), audience, "badSignature"),
        ("signed under the type oms/claim-presentation", answer(seed, audience, nonce, at, CLAIM_PRESENTATION_TYPE)[1],
         audience, "wrongType"),
        ("one trailing byte", answer(seed, audience, nonce, at, extra=b"\x00")[1], audience, "malformed"),
        ("payload truncated by one byte", signed(seed, SIGN_IN_TYPE, sign_in_payload(audience, nonce, at)[:-1]), audience,
         "malformed"),
        ("payload version 2", answer(seed, audience, nonce, at, version=2)[1], audience, "malformed"),
        ("audience_len 0", answer(seed, "", nonce, at)[1], audience, "malformed"),
        ("audience with a line feed", answer(seed, audience + "\n", nonce, at)[1], audience, "malformed"),
        ("audience of 129 bytes", answer(seed, "a" * 129, nonce, at)[1], audience, "malformed"),
        ("audience not UTF-8", answer(seed, b"bike-club\xff", nonce, at)[1], audience, "malformed"),
        ("signed 301 seconds before the relying party's clock", answer(seed, audience, nonce, at - 301)[1], audience,
         "stale"),
        ("signed 301 seconds after the relying party's clock", answer(seed, audience, nonce, at + 301)[1], audience,
         "stale"),
    ]
    return {
        "description": (
            "Sign-in answers (protocol-spec/README.md, 'Sign-in with a TCC'); times are Unix seconds. valid: the "
            "payload 0x01 || audience_len || audience (UTF-8) || nonce || signed_at (u64) MUST be exactly payload, and "
            "signed as an oms/sign-in envelope with persona_seed exactly envelope. A relying party whose own audience "
            "is audience, holding an unanswered challenge with nonce that expires at challenge_expires, MUST accept "
            "envelope at verify_at and sign the persona id persona in. invalid: a relying party whose own audience is "
            "audience, holding an unanswered challenge for the envelope's nonce that expires at challenge_expires, "
            "MUST refuse envelope at verify_at with error. unknownNonce, replayed and expired depend on the relying "
            "party's state and are not listed here."
        ),
        "valid": valid,
        "invalid": [
            {"name": n, "envelope": e.hex(), "audience": a, "nonce": nonce.hex(), "challenge_expires": at + 60,
             "verify_at": at, "error": c}
            for n, e, a, c in invalid
        ],
    }


# ---------------------------------------------------------------------------------------------
# Queries, answers and refusals (section 13; times are Unix milliseconds)

QUERY_TYPE = "oms/query"
ANSWER_TYPE = "oms/answer"
REFUSAL_TYPE = "oms/refusal"
QUERY_MAXIMUM_LIFETIME = 300000
QUERY_MAXIMUM_NUMBERS = 1001
QUERY_MAXIMUM_PURPOSE = 64
QUERY_MAXIMUM_PRESENTATIONS = 4
QUERY_MAXIMUM_PRESENTATION = 106 + len(CLAIM_PRESENTATION_TYPE) + PRESENTATION_MAXIMUM_PAYLOAD
QUERY_MAXIMUM_PAYLOAD = (
    1 + 2 * (1 + ID_TEXT_MAXIMUM) + 32 + (1 + 32) + (1 + 64) + (1 + 16) + (2 + 8 * QUERY_MAXIMUM_NUMBERS) + (1 + 24)
    + (1 + QUERY_MAXIMUM_PURPOSE) + 16 + 1 + QUERY_MAXIMUM_PRESENTATIONS * (4 + QUERY_MAXIMUM_PRESENTATION)
)
ANSWER_MAXIMUM_VALUES = 1001
RULES_MAXIMUM = 16
RULE_LIST_MAXIMUM = 1 + RULES_MAXIMUM * (1 + 64)
ANSWER_MAXIMUM_RECORDS = 65536
ANSWER_MAXIMUM_PAYLOAD = (1 + 32 + (1 + ID_TEXT_MAXIMUM) + 8 + 1 + max(2 + 8 * ANSWER_MAXIMUM_VALUES, 4 + ANSWER_MAXIMUM_RECORDS) + 8
                          + RULE_LIST_MAXIMUM)
REFUSAL_MAXIMUM_REASON = 512
REFUSAL_MAXIMUM_PAYLOAD = 1 + 32 + 8 + (1 + 32) + RULE_LIST_MAXIMUM + 2 + REFUSAL_MAXIMUM_REASON
assert (QUERY_MAXIMUM_PRESENTATION, QUERY_MAXIMUM_PAYLOAD) == (9518, 46555)
assert (ANSWER_MAXIMUM_PAYLOAD, REFUSAL_MAXIMUM_PAYLOAD) == (66732, 1629)
SKEW_MS = 300000
CANONICAL_NAN = bytes.fromhex("7ff8000000000000")

LOWER_DIGITS = b"abcdefghijklmnopqrstuvwxyz0123456789"
MODULE_CHARACTERS = LOWER_DIGITS + b"-"
STREAM_CHARACTERS = LOWER_DIGITS + b"_-."
CODE_CHARACTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
RULE_CHARACTERS = bytes(range(0x21, 0x7F))

QUERY_PERSONA_SEED = fixed_bytes("queries/persona-requester")
QUERY_TCC_SEED = fixed_bytes("queries/tcc-requester")
QUERY_TARGET_SEED = fixed_bytes("queries/target-tcc")
QUERY_OTHER_TCC_SEED = fixed_bytes("queries/other-tcc")
QUERY_NODE_SEED = fixed_bytes("queries/answering-node")
QUERY_OTHER_SEED = fixed_bytes("queries/other-key")
QUERY_CLUB_SEED = fixed_bytes("queries/club-tcc")
TQ = (T0 + 40 * DAY) * 1000  # the answering node's clock in the vectors, in ms


def f64(x):
    """A number as 8 big-endian bytes; NaN always as the canonical pattern; 8 bytes pass as they are
    (to write other NaNs)."""
    if isinstance(x, bytes):
        assert len(x) == 8
        return x
    if math.isnan(x):
        return CANONICAL_NAN
    return struct.pack(">d", x)


def as_bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else text


def rule_list(rules, count=None):
    return bytes([len(rules) if count is None else count]) + b"".join(len8(as_bytes(r)) for r in rules)


def query_payload(requester, target, query_id, module, stream, issued, expires, window=None, numbers=(), region=None,
                  purpose="", presentations=(), version=1, window_flag=None, region_flag=None, numbers_count=None,
                  presentation_lengths=None):
    """Every field as given, nothing checked, so it also builds bad queries."""
    out = bytes([version]) + len8(as_bytes(requester)) + len8(as_bytes(target)) + query_id
    out += len8(as_bytes(module)) + len8(as_bytes(stream))
    if window is None:
        out += bytes([window_flag or 0])
    else:
        out += bytes([1 if window_flag is None else window_flag]) + struct.pack(">QQ", *window)
    out += struct.pack(">H", len(numbers) if numbers_count is None else numbers_count) + b"".join(f64(x) for x in numbers)
    if region is None:
        out += bytes([region_flag or 0])
    else:
        out += bytes([1 if region_flag is None else region_flag]) + b"".join(f64(x) for x in region)
    out += len8(as_bytes(purpose)) + struct.pack(">QQ", issued, expires) + bytes([len(presentations)])
    for i, p in enumerate(presentations):
        out += struct.pack(">I", len(p) if presentation_lengths is None else presentation_lengths[i]) + p
    return out


def answer_payload(query_object_id, target, answered, tag, value, epsilon=0.0, rules=(), version=1):
    """value: the bytes after the tag (see the value_* helpers)."""
    return (bytes([version]) + query_object_id + len8(as_bytes(target)) + struct.pack(">Q", answered) + bytes([tag])
            + value + f64(epsilon) + rule_list(rules))


def value_list(numbers, count=None):
    return struct.pack(">H", len(numbers) if count is None else count) + b"".join(f64(x) for x in numbers)


def answer_value(tag, numbers=(), yes=None, records=None):
    """The bytes after an answer's tag: numbers for tags 1, 2, 3 and 5, yes for 4, records for 6."""
    if tag in (2, 3):
        return value_list(numbers)
    if tag == 4:
        return bytes([1 if yes else 0])
    if tag == 6:
        return struct.pack(">I", len(records)) + records
    return b"".join(f64(x) for x in numbers)


def answer_value_json(tag, numbers=(), yes=None, records=None):
    """A value as the files write it: numbers as the hex of their bits, records as hex, null where unused."""
    return {"tag": tag, "numbers": [f64(x).hex() for x in numbers], "yes": yes,
            "records": None if records is None else records.hex()}


def refusal_payload(query_object_id, refused_at, code, rules=(), reason="", version=1, reason_length=None):
    r = as_bytes(reason)
    return (bytes([version]) + query_object_id + struct.pack(">Q", refused_at) + len8(as_bytes(code)) + rule_list(rules)
            + struct.pack(">H", len(r) if reason_length is None else reason_length) + r)


# Section 13's readers and checks, written from the prose like the ones above.


def read_f64(r, nan_allowed=False):
    raw = r.take(8)
    (value,) = struct.unpack(">d", raw)
    if math.isnan(value):
        if not nan_allowed or raw != CANONICAL_NAN:
            raise Refused("malformed")
    elif math.isinf(value):
        raise Refused("malformed")
    return value


def read_flag(r):
    flag = r.u8()
    if flag > 1:
        raise Refused("malformed")
    return flag == 1


def name_text(raw, maximum, allowed):
    if not 1 <= len(raw) <= maximum or any(c not in allowed for c in raw):
        raise Refused("malformed")
    return raw.decode("ascii")


def free_text(raw, maximum):
    if len(raw) > maximum:
        raise Refused("malformed")
    text = utf8_text(raw)
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise Refused("malformed")
    return text


def read_rules(r):
    count = r.u8()
    if count > RULES_MAXIMUM:
        raise Refused("malformed")
    return [name_text(r.take(r.u8()), 64, RULE_CHARACTERS) for _ in range(count)]


def decode_query(payload):
    r = PayloadReader(payload)
    r.version_1()
    _, requester = parse_id_text(r.take(r.u8()), ("persona", "tcc"))
    _, target = parse_id_text(r.take(r.u8()), ("tcc",))
    query_id = r.take(32)
    name_text(r.take(r.u8()), 32, MODULE_CHARACTERS)
    name_text(r.take(r.u8()), 64, STREAM_CHARACTERS)
    if read_flag(r) and r.u64() > r.u64():
        raise Refused("malformed")
    count = r.u16()
    if count > QUERY_MAXIMUM_NUMBERS:
        raise Refused("malformed")
    for _ in range(count):
        read_f64(r)
    if read_flag(r):
        latitude, longitude, radius = read_f64(r), read_f64(r), read_f64(r)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and radius > 0):
            raise Refused("malformed")
    free_text(r.take(r.u8()), QUERY_MAXIMUM_PURPOSE)
    issued, expires = r.u64(), r.u64()
    if expires <= issued or expires - issued > QUERY_MAXIMUM_LIFETIME:
        raise Refused("malformed")
    count = r.u8()
    if count > QUERY_MAXIMUM_PRESENTATIONS:
        raise Refused("malformed")
    presentations = []
    for _ in range(count):
        length = r.u32()
        if length > QUERY_MAXIMUM_PRESENTATION:
            raise Refused("malformed")
        presentations.append(r.take(length))
    r.end()
    return {"requester": requester, "target": target, "query_id": query_id, "issued": issued, "expires": expires,
            "presentations": presentations}


def accept_query(envelope, now, hosted):
    """'Accepting a query', checks 1 to 6, for a node hosting the TCC keys in `hosted`. Checks 7 and 8
    (replayed, busy) depend on the node's memory and are left to the Swift tests."""
    signer, payload = open_envelope(envelope, QUERY_TYPE, QUERY_MAXIMUM_PAYLOAD)
    query = decode_query(payload)
    if query["requester"] != signer:
        raise Refused("signerMismatch")
    if query["target"] not in hosted:
        raise Refused("unknownTarget")
    if query["issued"] > now + SKEW_MS:
        raise Refused("notYetValid")
    if now >= query["expires"]:
        raise Refused("expired")
    return query


def check_query_presentations(query, now):
    audience = bech32m_encode("tcc", query["target"])
    for presentation in query["presentations"]:
        try:
            verify_presentation(presentation, audience, query["query_id"], now // 1000)
        except Refused:
            raise Refused("badPresentation")
        at = 6 + presentation[5]
        if presentation[at : at + 32] != query["requester"]:
            raise Refused("badPresentation")


def read_envelope(data, maximum_payload):
    """Section 2's rules 1 to 6 only: (type, signer, signature, payload), or Refused('malformed')."""
    if len(data) < 6 or data[:4] != ENVELOPE_MAGIC or data[4] != ENVELOPE_VERSION:
        raise Refused("malformed")
    type_name = data[6 : 6 + data[5]]
    if len(type_name) != data[5] or not is_type_name(type_name):
        raise Refused("malformed")
    at = 6 + data[5]
    if len(data) < at + 100:
        raise Refused("malformed")
    (length,) = struct.unpack(">I", data[at + 96 : at + 100])
    payload = data[at + 100 :]
    if length > maximum_payload or len(payload) != length:
        raise Refused("malformed")
    return type_name.decode("ascii"), data[at : at + 32], data[at + 32 : at + 96], payload


def read_answer_value(r, tags=(1, 2, 3, 4, 5, 6)):
    """A tag among `tags` and its value: {tag, numbers, yes, records} as answer_value takes them."""
    tag = r.u8()
    value = {"tag": tag, "numbers": (), "yes": None, "records": None}
    if tag not in tags:
        raise Refused("malformed")
    if tag == 1:
        value["numbers"] = (read_f64(r, nan_allowed=True),)
    elif tag in (2, 3):
        count = r.u16()
        if count > ANSWER_MAXIMUM_VALUES:
            raise Refused("malformed")
        value["numbers"] = tuple(read_f64(r, nan_allowed=tag == 3) for _ in range(count))
    elif tag == 4:
        value["yes"] = read_flag(r)
    elif tag == 5:
        value["numbers"] = (read_f64(r), read_f64(r), read_f64(r))
        if not value["numbers"][2] > 0:
            raise Refused("malformed")
    elif tag == 6:
        length = r.u32()
        if length > ANSWER_MAXIMUM_RECORDS:
            raise Refused("malformed")
        value["records"] = r.take(length)
        utf8_text(value["records"])
    return value


def decode_answer(payload):
    r = PayloadReader(payload)
    r.version_1()
    query = r.take(32)
    _, target = parse_id_text(r.take(r.u8()), ("tcc",))
    r.u64()
    read_answer_value(r)
    if not read_f64(r) >= 0:
        raise Refused("malformed")
    read_rules(r)
    r.end()
    return query, target


def decode_refusal(payload):
    r = PayloadReader(payload)
    r.version_1()
    query = r.take(32)
    r.u64()
    name_text(r.take(r.u8()), 32, CODE_CHARACTERS)
    read_rules(r)
    free_text(r.take(r.u16()), REFUSAL_MAXIMUM_REASON)
    r.end()
    return query


def check_response(envelope, query_envelope, node_key):
    """'Checking an answer': returns 'answer' or 'refusal', or raises Refused."""
    type_name, signer, signature, payload = read_envelope(envelope, ANSWER_MAXIMUM_PAYLOAD)
    if type_name not in (ANSWER_TYPE, REFUSAL_TYPE):
        raise Refused("wrongType")
    if type_name == REFUSAL_TYPE and len(payload) > REFUSAL_MAXIMUM_PAYLOAD:
        raise Refused("malformed")
    if not ed25519_verify(signer, signature, envelope_signing_input(type_name, payload)):
        raise Refused("badSignature")
    sent = decode_query(read_envelope(query_envelope, QUERY_MAXIMUM_PAYLOAD)[3])
    if type_name == ANSWER_TYPE:
        query, target = decode_answer(payload)
        if target != signer:
            raise Refused("signerMismatch")
    else:
        query = decode_refusal(payload)
    if query != blake2b_256(query_envelope):
        raise Refused("wrongQuery")
    if type_name == ANSWER_TYPE and target != sent["target"]:
        raise Refused("signerMismatch")
    if type_name == REFUSAL_TYPE and signer not in (sent["target"], node_key):
        raise Refused("signerMismatch")
    return "answer" if type_name == ANSWER_TYPE else "refusal"


def queries():
    persona = persona_text(QUERY_PERSONA_SEED)
    tcc_requester = tcc_text(QUERY_TCC_SEED)
    target = tcc_text(QUERY_TARGET_SEED)
    other_tcc = tcc_text(QUERY_OTHER_TCC_SEED)
    node = bech32m_encode("node", ed25519_public(QUERY_NODE_SEED))
    at = TQ
    week = 7 * DAY * 1000
    zurich = (47.3769, 8.5417, 250.0)

    def present(claim_type, query_id, audience=target, subject_seed=QUERY_PERSONA_SEED, presented=at // 1000,
                issued=T0, expires=T0 + YEAR):
        """A claim by the club TCC about the subject, presented for a query."""
        subject = persona_text(subject_seed)
        claim = signed(QUERY_CLUB_SEED, CLAIM_TYPE,
                       claim_payload(tcc_text(QUERY_CLUB_SEED), subject, claim_type, b"true", issued, expires))
        return signed(subject_seed, CLAIM_PRESENTATION_TYPE, presentation_payload(audience, query_id, presented, claim))

    def number_hex(numbers):
        return [f64(x).hex() for x in numbers]

    valid = []
    by_name = {}

    def add_query(name, seed, requester, query_id_label, module, stream, issued, expires, window=None, numbers=(),
                  region=None, purpose="", presentations=lambda query_id: []):
        query_id = fixed_bytes(query_id_label)
        shown = presentations(query_id)
        payload = query_payload(requester, target, query_id, module, stream, issued, expires, window, numbers, region,
                                purpose, shown)
        envelope = signed(seed, QUERY_TYPE, payload)
        case = {
            "name": name,
            "signer_seed": seed.hex(),
            "requester": requester,
            "target": target,
            "query_id": query_id.hex(),
            "module": module,
            "stream": stream,
            "window": None if window is None else {"from": window[0], "to": window[1]},
            "numbers": number_hex(numbers),
            "region": None if region is None else dict(zip(("latitude", "longitude", "radius"), number_hex(region))),
            "purpose": purpose,
            "issued": issued,
            "expires": expires,
            "presentations": [p.hex() for p in shown],
            "payload": payload.hex(),
            "envelope": envelope.hex(),
            "id": bech32m_encode("obj", blake2b_256(envelope)),
            "verify_at": at,
        }
        valid.append(case)
        by_name[name] = envelope
        return envelope

    q_count = add_query("a persona asks for a count, nothing optional", QUERY_PERSONA_SEED, persona, "queries/id/count",
                        "count", "steps", at - 1000, at + 59000)
    q_mean = add_query("a tcc asks for a mean over a window, with a purpose", QUERY_TCC_SEED, tcc_requester,
                       "queries/id/mean", "mean", "heart_rate", at - 2000, at + 58000, window=(at - week, at),
                       purpose="fitness-study")
    add_query("a histogram with its edges", QUERY_PERSONA_SEED, persona, "queries/id/histogram", "histogram", "steps",
              at, at + 1000, window=(at - week, at - 1), numbers=(0.0, 2500.0, 5000.0, 7500.0, 10000.0))
    add_query("time inside a region", QUERY_PERSONA_SEED, persona, "queries/id/time-inside", "time-inside", "gps.phone",
              at - 5000, at + 295000, region=zurich)
    add_query("a persona proves a membership with a presentation", QUERY_PERSONA_SEED, persona,
              "queries/id/visited", "visited", "gps.phone", at - 1000, at + 120000, region=zurich,
              purpose="club ride check-in", presentations=lambda q: [present("member.bike-club", q)])
    add_query("1001 numbers, a 64-byte purpose, a 64-character stream and four presentations", QUERY_PERSONA_SEED,
              persona, "queries/id/largest", "histogram", "s" * 51 + "_.-0123456789", at - 1000, at + 1000,
              window=(0, (1 << 53) - 1), numbers=tuple(float(i) for i in range(1001)), purpose="p" * 64,
              presentations=lambda q: [present(t, q) for t in ("member.bike-club", "age.over-18", "city.zurich", "x")])
    q_area = add_query("a coarse last area, issued 300000 ms ahead of the clock and living 300000 ms", QUERY_PERSONA_SEED,
                       persona, "queries/id/last-area", "last-area", "gps.phone", at + 300000, at + 600000,
                       numbers=(1000.0,))
    add_query("a zero-width window and a non-ASCII purpose", QUERY_TCC_SEED, tcc_requester, "queries/id/zero-window",
              "sum", "steps", at - 299999, at + 1, window=(at - DAY * 1000, at - DAY * 1000),
              purpose="\u00c9tude \u2713 \u65e5\u672c")
    add_query("a module this version does not list, which decodes", QUERY_PERSONA_SEED, persona, "queries/id/unknown",
              "median-2", "steps", at - 1000, at + 1000)
    add_query("negative zero, the smallest subnormal and the largest finite number", QUERY_PERSONA_SEED,
              persona, "queries/id/extremes", "quantiles", "steps", at - 1000, at + 1000,
              numbers=(-0.0, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308))
    add_query("a region at the limits: latitude -90, longitude 180, the smallest radius", QUERY_PERSONA_SEED, persona,
              "queries/id/limits", "visited", "gps.phone", at - 1000, at + 1000, region=(-90.0, 180.0, 5e-324))
    assert len(valid[5]["stream"]) == 64
    assert len(bytes.fromhex(valid[5]["payload"])) < QUERY_MAXIMUM_PAYLOAD

    # Answers, each signed by the target and checked against a query above, sent to `node`.
    answers = []

    def add_answer(name, query_name, tag, numbers=(), yes=None, epsilon=0.0, rules=(), answered=at + 10,
                   seed=QUERY_TARGET_SEED, records=None):
        query_id = blake2b_256(by_name[query_name])
        payload = answer_payload(query_id, target, answered, tag, answer_value(tag, numbers, yes, records), epsilon,
                                 rules)
        envelope = signed(seed, ANSWER_TYPE, payload)
        answers.append({
            "name": name, "signer_seed": seed.hex(), "query": query_name, "node": node, "target": target,
            "answered": answered, "value": answer_value_json(tag, numbers, yes, records),
            "epsilon": f64(epsilon).hex(), "rules": list(rules), "payload": payload.hex(), "envelope": envelope.hex(),
        })
        return envelope

    count_name = valid[0]["name"]
    a_count = add_answer("a count", count_name, 1, (42.0,), rules=("club-steps",))
    add_answer("the mean of no records is NaN", valid[1]["name"], 1, (float("nan"),), epsilon=0.5,
               rules=("study-heart", "study.any_v2"))
    add_answer("noisy histogram counts", valid[2]["name"], 2, (3.0, 0.0, 12.25, -1.5), epsilon=1.0, rules=("hist",))
    add_answer("quantiles with a NaN and negative zero", valid[9]["name"], 3, (float("nan"), -0.0, 5.5, 1e300),
               rules=("q",))
    add_answer("no counts and no numbers", valid[2]["name"], 2, (), rules=("hist",))
    add_answer("an empty list of numbers", valid[9]["name"], 3, (), rules=("q",))
    add_answer("yes, visited", valid[4]["name"], 4, yes=True, rules=("members-visited",))
    add_answer("no, not visited", valid[4]["name"], 4, yes=False, rules=("members-visited",))
    add_answer("a coarse area", valid[6]["name"], 5, (47.3765, 8.5449, 1000.0), rules=("area",))
    add_answer("an area half a cell past the pole", valid[6]["name"], 5, (90.00045, -180.0, 100.0), rules=("area",))
    add_answer("1001 counts and 16 rules of 64 characters", valid[5]["name"], 2,
               tuple(float(i % 7) for i in range(1001)), epsilon=0.125,
               rules=tuple(("r%02d!" % i).ljust(64, "~") for i in range(16)))
    add_answer("raw records as ingest lines", count_name, 6,
               records='{"stream":"steps","time":1795687200000,"count":120}\n{"stream":"steps","time":1795687260000,"count":7}\n'.encode(),
               rules=("raw-for-the-doctor",))
    add_answer("no raw records", count_name, 6, records=b"", rules=("raw-for-the-doctor",))
    add_answer("65536 bytes of records", count_name, 6, records=(b"x" * 63 + b"\n") * 1024, rules=("raw",))
    add_answer("an answer naming no rule", count_name, 1, (7.0,))
    assert all(len(r) == 64 for r in answers[-5]["rules"])

    # Refusals: by the target's key, or by the answering node's when it cannot speak for the target.
    refusals = []

    def add_refusal(name, query_name, code, rules=(), reason="", signed_by="tcc", refused_at=at + 5):
        seed = QUERY_TARGET_SEED if signed_by == "tcc" else QUERY_NODE_SEED
        payload = refusal_payload(blake2b_256(by_name[query_name]), refused_at, code, rules, reason)
        envelope = signed(seed, REFUSAL_TYPE, payload)
        refusals.append({
            "name": name, "signer_seed": seed.hex(), "signed_by": signed_by, "query": query_name, "node": node,
            "refused_at": refused_at, "code": code, "rules": list(rules), "reason": reason, "payload": payload.hex(),
            "envelope": envelope.hex(),
        })
        return envelope

    r_denied = add_refusal("denied by a forbid rule", count_name, "denied", ("no-insurers",),
                           "insurers may not ask about steps")
    add_refusal("the default deny names no rule", valid[1]["name"], "denied", (), "no rule permits this query")
    add_refusal("too few records, with the rule that asked for more", valid[2]["name"], "tooFewRecords", ("k-10",),
                "the answer would cover 3 records; the policy asks for at least 10")
    add_refusal("the node does not host the target", count_name, "unknownTarget", (),
                "this node hosts no TCC " + target, signed_by="node")
    add_refusal("a node-signed refusal with no reason", valid[3]["name"], "malformed", (), "", signed_by="node")
    add_refusal("a code this version does not list", valid[4]["name"], "lunchBreak", (), "back at two")
    add_refusal("a 512-byte non-ASCII reason and 16 rules", valid[6]["name"], "denied",
                tuple("forbid-%02d" % i for i in range(16)), "\u00e9" * 256)
    add_refusal("a 32-letter code", valid[7]["name"], "A" * 16 + "z" * 16)

    # Queries the answering node MUST refuse at `verify_at`, hosting the TCCs listed (target by default).
    invalid = []

    def bad(name, envelope, error, hosted=(target,), verify_at=at):
        invalid.append({"name": name, "envelope": envelope.hex(), "verify_at": verify_at, "hosted": list(hosted),
                        "error": error})

    count_query_id = fixed_bytes("queries/id/count")

    def q(**changes):
        fields = dict(requester=persona, target=target, query_id=count_query_id, module="count", stream="steps",
                      issued=at - 1000, expires=at + 59000)
        fields.update(changes)
        return query_payload(**fields)

    def persona_signed(payload, seed=QUERY_PERSONA_SEED, type_name=QUERY_TYPE):
        return signed(seed, type_name, payload)

    base = q()
    assert base == bytes.fromhex(valid[0]["payload"])
    sig_at = signature_offset(QUERY_TYPE)
    bad("signature with one bit flipped", flip_bit(q_count, sig_at + 9, 3), "badSignature")
    bad("payload with one bit flipped after signing", flip_bit(q_count, len(q_count) - 3, 0), "badSignature")
    bad("signed under the type oms/answer", persona_signed(base, type_name=ANSWER_TYPE), "wrongType")
    bad("signed under the type oms/note", persona_signed(base, type_name="oms/note"), "wrongType")
    bad("envelope truncated by one byte", q_count[:-1], "malformed")
    bad("envelope with a trailing byte", q_count + b"\x00", "malformed")
    bad("payload version 0", persona_signed(q(version=0)), "malformed")
    bad("payload version 2", persona_signed(q(version=2)), "malformed")
    bad("empty payload", persona_signed(b""), "malformed")
    bad("one trailing byte in the payload", persona_signed(base + b"\x00"), "malformed")
    bad("payload truncated by one byte", persona_signed(base[:-1]), "malformed")
    bad("payload of 46556 bytes (a valid query padded)",
        persona_signed(base + bytes(QUERY_MAXIMUM_PAYLOAD + 1 - len(base))), "malformed")
    key = ed25519_public(QUERY_PERSONA_SEED)
    bad("requester is the node id of the signing key", persona_signed(q(requester=bech32m_encode("node", key))),
        "malformed")
    bad("requester is the tcf id of the signing key", persona_signed(q(requester=bech32m_encode("tcf", key))),
        "malformed")
    bad("requester is an obj id", persona_signed(q(requester=bech32m_encode("obj", key))), "malformed")
    bad("requester in upper case", persona_signed(q(requester=persona.upper())), "malformed")
    mistyped = persona[:-1] + BECH32_ALPHABET[(BECH32_ALPHABET.index(persona[-1]) + 1) % 32]
    bad("requester with a bad checksum", persona_signed(q(requester=mistyped)), "malformed")
    bad("requester of length zero", persona_signed(q(requester="")), "malformed")
    bad("target is a persona id", persona_signed(q(target=persona_text(QUERY_TARGET_SEED))), "malformed")
    bad("target is a node id", persona_signed(q(target=node)), "malformed")
    bad("target followed by a space", persona_signed(q(target=target + " ")), "malformed")
    bad("module of length zero", persona_signed(q(module="")), "malformed")
    bad("module of 33 characters", persona_signed(q(module="a" * 33)), "malformed")
    bad("module with a capital letter", persona_signed(q(module="Count")), "malformed")
    bad("module with an underscore", persona_signed(q(module="time_inside")), "malformed")
    bad("module with a dot", persona_signed(q(module="count.v2")), "malformed")
    bad("stream of length zero", persona_signed(q(stream="")), "malformed")
    bad("stream of 65 characters", persona_signed(q(stream="s" * 65)), "malformed")
    bad("stream with a capital letter", persona_signed(q(stream="Steps")), "malformed")
    bad("stream with a slash", persona_signed(q(stream="gps/phone")), "malformed")
    bad("stream not ASCII", persona_signed(q(stream="schritte-\u00fc")), "malformed")
    bad("window flag 2", persona_signed(q(window=(at - 1, at), window_flag=2)), "malformed")
    bad("window from after to", persona_signed(q(window=(at, at - 1))), "malformed")
    bad("window truncated after its flag", persona_signed(q(window_flag=1)[:-1]), "malformed")
    bad("1002 numbers", persona_signed(q(numbers=tuple(float(i) for i in range(1002)))), "malformed")
    bad("numbers_count 2 with one number", persona_signed(q(numbers=(1.0,), numbers_count=2)), "malformed")
    before_numbers = base[: len(base) - (2 + 1 + 1 + 16 + 1)]
    assert base[len(before_numbers) - 1] == 0  # the window flag
    bad("numbers_count 1000, the payload ending there", persona_signed(before_numbers + struct.pack(">H", 1000)),
        "malformed")
    bad("numbers_count 0xffff, the payload ending there", persona_signed(before_numbers + b"\xff\xff"), "malformed")
    bad("a number +infinity", persona_signed(q(numbers=(1.0, float("inf")))), "malformed")
    bad("a number -infinity", persona_signed(q(numbers=(float("-inf"),))), "malformed")
    bad("a number NaN", persona_signed(q(numbers=(float("nan"),))), "malformed")
    bad("a number NaN with another bit pattern", persona_signed(q(numbers=(bytes.fromhex("fff8000000000000"),))),
        "malformed")
    bad("region flag 2", persona_signed(q(region=zurich, region_flag=2)), "malformed")
    bad("region latitude 90.000001", persona_signed(q(region=(90.000001, 8.5, 100.0))), "malformed")
    bad("region latitude NaN", persona_signed(q(region=(float("nan"), 8.5, 100.0))), "malformed")
    bad("region longitude -180.5", persona_signed(q(region=(47.0, -180.5, 100.0))), "malformed")
    bad("region radius 0", persona_signed(q(region=(47.0, 8.5, 0.0))), "malformed")
    bad("region radius -0", persona_signed(q(region=(47.0, 8.5, -0.0))), "malformed")
    bad("region radius -1", persona_signed(q(region=(47.0, 8.5, -1.0))), "malformed")
    bad("region radius +infinity", persona_signed(q(region=(47.0, 8.5, float("inf")))), "malformed")
    bad("purpose of 65 bytes", persona_signed(q(purpose="p" * 65)), "malformed")
    bad("purpose with a line feed", persona_signed(q(purpose="study\n")), "malformed")
    bad("purpose with U+007F", persona_signed(q(purpose="study\u007f")), "malformed")
    bad("purpose with U+0085 (a C1 control character)", persona_signed(q(purpose="study\u0085")), "malformed")
    bad("purpose not UTF-8", persona_signed(q(purpose=b"study\xff")), "malformed")
    bad("expires equal to issued", persona_signed(q(issued=at, expires=at)), "malformed")
    bad("expires before issued", persona_signed(q(issued=at, expires=at - 1)), "malformed")
    bad("expires 300001 ms after issued", persona_signed(q(issued=at - 1, expires=at + 300000)), "malformed")
    tiny = present("member.bike-club", count_query_id)
    bad("five presentations", persona_signed(q(presentations=(tiny,) * 5)), "malformed")
    bad("presentation_len 9519", persona_signed(q(presentations=(tiny + bytes(QUERY_MAXIMUM_PRESENTATION + 1 - len(tiny)),))),
        "malformed")
    bad("presentation_len beyond the payload",
        persona_signed(q(presentations=(tiny,), presentation_lengths=(len(tiny) + 1,))), "malformed")
    bad("requester is another persona", persona_signed(q(requester=persona_text(QUERY_OTHER_SEED))), "signerMismatch")
    bad("signed by the target's key", persona_signed(base, QUERY_TARGET_SEED), "signerMismatch")
    bad("requester is the tcc requester, signed by the persona", persona_signed(q(requester=tcc_requester)),
        "signerMismatch")
    bad("target hosted elsewhere", q_count, "unknownTarget", hosted=(other_tcc,))
    bad("a node hosting no TCC", q_count, "unknownTarget", hosted=())
    bad("a signer mismatch is found before an unknown target", persona_signed(base, QUERY_TARGET_SEED),
        "signerMismatch", hosted=())
    bad("issued 300001 ms after the node's clock", persona_signed(q(issued=at + 300001, expires=at + 300002)),
        "notYetValid")
    bad("an unknown target is found before a time", persona_signed(q(issued=at + 300001, expires=at + 300002)),
        "unknownTarget", hosted=())
    bad("checked at its expiry time", q_count, "expired", verify_at=at + 59000)
    bad("checked 1 ms after its expiry time", q_count, "expired", verify_at=at + 59001)
    bad("checked long after its expiry time", q_area, "expired", verify_at=(1 << 53) - 1)

    # Queries accepted at `verify_at` by a node hosting the target whose presentations do not verify.
    bad_presentations = []

    def bad_shown(name, make, verify_at=at):
        query_id = fixed_bytes("queries/id/bad-presentation/" + name)
        envelope = persona_signed(q(query_id=query_id, module="visited", stream="gps.phone", region=zurich,
                                    presentations=make(query_id)))
        bad_presentations.append({"name": name, "envelope": envelope.hex(), "verify_at": verify_at,
                                  "error": "badPresentation"})

    bad_shown("made for another query id", lambda q_id: [present("member.bike-club", fixed_bytes("queries/id/other"))])
    bad_shown("made to another tcc", lambda q_id: [present("member.bike-club", q_id, audience=other_tcc)])
    bad_shown("made to the target's id in upper case", lambda q_id: [present("member.bike-club", q_id,
                                                                            audience=target.upper())])
    bad_shown("the second of two is by another persona",
              lambda q_id: [present("member.bike-club", q_id), present("age.over-18", q_id, subject_seed=QUERY_OTHER_SEED)])
    bad_shown("its claim has expired", lambda q_id: [present("member.bike-club", q_id, issued=T0, expires=T0 + DAY)])
    bad_shown("presented 301 s before the node's clock",
              lambda q_id: [present("member.bike-club", q_id, presented=at // 1000 - 301)])
    bad_shown("a claim, not a presentation", lambda q_id: [signed(QUERY_CLUB_SEED, CLAIM_TYPE, claim_payload(
        tcc_text(QUERY_CLUB_SEED), persona, "member.bike-club", b"true", T0, T0 + YEAR))])
    bad_shown("five bytes that are no envelope", lambda q_id: [b"OMSE\x01"])
    bad_shown("empty", lambda q_id: [b""])

    # Answers and refusals an asker MUST refuse, given the query it sent (by name) and the node it asked.
    bad_responses = []

    def bad_response(name, envelope, error, query_name=count_name):
        bad_responses.append({"name": name, "query": query_name, "node": node, "envelope": envelope.hex(),
                              "error": error})

    count_object_id = blake2b_256(q_count)
    mean_object_id = blake2b_256(q_mean)

    def a(tag=1, value=f64(42.0), **changes):
        fields = dict(query_object_id=count_object_id, target=target, answered=at + 10, epsilon=0.0,
                      rules=("club-steps",))
        fields.update(changes)
        return answer_payload(tag=tag, value=value, **fields)

    def target_signed(payload, seed=QUERY_TARGET_SEED, type_name=ANSWER_TYPE):
        return signed(seed, type_name, payload)

    def r(**changes):
        fields = dict(query_object_id=count_object_id, refused_at=at + 5, code="denied", rules=("no-insurers",),
                      reason="insurers may not ask about steps")
        fields.update(changes)
        return refusal_payload(**fields)

    assert a() == bytes.fromhex(answers[0]["payload"]) and r() == bytes.fromhex(refusals[0]["payload"])
    bad_response("answer signature with one bit flipped", flip_bit(a_count, signature_offset(ANSWER_TYPE) + 2, 6),
                 "badSignature")
    bad_response("refusal payload bit flipped after signing", flip_bit(r_denied, len(r_denied) - 1, 1), "badSignature")
    bad_response("the query itself sent back", q_count, "wrongType")
    bad_response("an answer payload signed under the type oms/note", target_signed(a(), type_name="oms/note"),
                 "wrongType")
    bad_response("an answer envelope truncated by one byte", a_count[:-1], "malformed")
    bad_response("answer version 2", target_signed(a(version=2)), "malformed")
    bad_response("answer with a trailing byte", target_signed(a() + b"\x00"), "malformed")
    bad_response("answer truncated in its rules", target_signed(a()[:-1]), "malformed")
    bad_response("answer payload of %d bytes (a valid answer padded)" % (ANSWER_MAXIMUM_PAYLOAD + 1),
                 target_signed(a() + bytes(ANSWER_MAXIMUM_PAYLOAD + 1 - len(a()))), "malformed")
    bad_response("value tag 0", target_signed(a(tag=0)), "malformed")
    bad_response("value tag 7", target_signed(a(tag=7)), "malformed")
    bad_response("65537 bytes of records", target_signed(a(tag=6, value=struct.pack(">I", 65537) + b"x" * 65537)), "malformed")
    bad_response("records that are not UTF-8", target_signed(a(tag=6, value=struct.pack(">I", 2) + b"\xff\n")), "malformed")
    bad_response("records whose length runs past the payload", target_signed(a(tag=6, value=struct.pack(">I", 100) + b"{}")),
                 "malformed")
    bad_response("a number +infinity", target_signed(a(value=f64(float("inf")))), "malformed")
    bad_response("a number -infinity", target_signed(a(value=f64(float("-inf")))), "malformed")
    bad_response("a number NaN with another bit pattern", target_signed(a(value=bytes.fromhex("fff8000000000000"))),
                 "malformed")
    bad_response("a number NaN with a payload", target_signed(a(value=bytes.fromhex("7ff8000000000001"))), "malformed")
    bad_response("counts with a NaN", target_signed(a(tag=2, value=value_list((1.0, float("nan"))))), "malformed")
    bad_response("1002 counts", target_signed(a(tag=2, value=value_list((0.0,) * 1002))), "malformed")
    bad_response("counts count beyond the payload", target_signed(a(tag=2, value=value_list((1.0,), count=300))),
                 "malformed")
    bad_response("numbers with +infinity", target_signed(a(tag=3, value=value_list((1.0, float("inf"))))), "malformed")
    bad_response("1002 numbers", target_signed(a(tag=3, value=value_list((0.0,) * 1002))), "malformed")
    bad_response("yes/no 2", target_signed(a(tag=4, value=b"\x02")), "malformed")
    bad_response("area latitude NaN", target_signed(a(tag=5, value=f64(float("nan")) + f64(8.5) + f64(100.0))),
                 "malformed")
    bad_response("area longitude -infinity", target_signed(a(tag=5, value=f64(47.0) + f64(float("-inf")) + f64(100.0))),
                 "malformed")
    bad_response("area precision 0", target_signed(a(tag=5, value=f64(47.0) + f64(8.5) + f64(0.0))), "malformed")
    bad_response("area precision -100", target_signed(a(tag=5, value=f64(47.0) + f64(8.5) + f64(-100.0))), "malformed")
    bad_response("epsilon -1", target_signed(a(epsilon=-1.0)), "malformed")
    bad_response("epsilon NaN", target_signed(a(epsilon=float("nan"))), "malformed")
    bad_response("epsilon +infinity", target_signed(a(epsilon=float("inf"))), "malformed")
    bad_response("17 rules", target_signed(a(rules=tuple("r%d" % i for i in range(17)))), "malformed")
    bad_response("a rule of length zero", target_signed(a(rules=("",))), "malformed")
    bad_response("a rule of 65 characters", target_signed(a(rules=("r" * 65,))), "malformed")
    bad_response("a rule with a space", target_signed(a(rules=("club steps",))), "malformed")
    bad_response("a rule with U+007F", target_signed(a(rules=("club\x7f",))), "malformed")
    bad_response("a rule not ASCII", target_signed(a(rules=("r\u00e8gle",))), "malformed")
    bad_response("answer target is a persona id", target_signed(a(target=persona_text(QUERY_TARGET_SEED))), "malformed")
    bad_response("answer target of length zero", target_signed(a(target="")), "malformed")
    bad_response("refusal version 0", target_signed(r(version=0), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal code of length zero", target_signed(r(code=""), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal code of 33 letters", target_signed(r(code="a" * 33), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal code with a digit", target_signed(r(code="denied2"), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal code with an underscore", target_signed(r(code="too_few"), type_name=REFUSAL_TYPE),
                 "malformed")
    bad_response("refusal with 17 rules", target_signed(r(rules=tuple("f%d" % i for i in range(17))),
                                                         type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal reason of 513 bytes", target_signed(r(reason="r" * 513), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal reason with a line feed", target_signed(r(reason="no\n"), type_name=REFUSAL_TYPE),
                 "malformed")
    bad_response("refusal reason not UTF-8", target_signed(r(reason=b"no\xc3"), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal reason_len beyond the payload", target_signed(r(reason_length=40), type_name=REFUSAL_TYPE),
                 "malformed")
    bad_response("refusal payload of 1630 bytes (a valid refusal padded)",
                 target_signed(r() + bytes(REFUSAL_MAXIMUM_PAYLOAD + 1 - len(r())), type_name=REFUSAL_TYPE), "malformed")
    bad_response("refusal payload of %d bytes" % (ANSWER_MAXIMUM_PAYLOAD + 1),
                 target_signed(bytes(ANSWER_MAXIMUM_PAYLOAD + 1), type_name=REFUSAL_TYPE),
                 "malformed")
    bad_response("answer naming the target, signed by the node", target_signed(a(), QUERY_NODE_SEED), "signerMismatch")
    bad_response("answer from another tcc, which signed it",
                 target_signed(a(target=other_tcc), QUERY_OTHER_TCC_SEED), "signerMismatch")
    bad_response("refusal signed by a third key", target_signed(r(), QUERY_OTHER_SEED, REFUSAL_TYPE), "signerMismatch")
    bad_response("refusal signed by the requester", target_signed(r(), QUERY_PERSONA_SEED, REFUSAL_TYPE),
                 "signerMismatch")
    bad_response("refusal signed by another tcc", target_signed(r(), QUERY_OTHER_TCC_SEED, REFUSAL_TYPE),
                 "signerMismatch")
    bad_response("answer to another query", target_signed(a(query_object_id=mean_object_id)), "wrongQuery")
    bad_response("answer naming the query id instead of the object id",
                 target_signed(a(query_object_id=count_query_id)), "wrongQuery")
    bad_response("node-signed refusal of another query",
                 target_signed(r(query_object_id=mean_object_id), QUERY_NODE_SEED, REFUSAL_TYPE), "wrongQuery")
    bad_response("answer from another tcc about another query (the query is checked first)",
                 target_signed(a(target=other_tcc, query_object_id=mean_object_id), QUERY_OTHER_TCC_SEED), "wrongQuery")
    bad_response("answer whose target did not sign it, about another query (the signer is checked first)",
                 target_signed(a(query_object_id=mean_object_id), QUERY_NODE_SEED), "signerMismatch")
    bad_response("the valid answer to another query", bytes.fromhex(answers[1]["envelope"]), "wrongQuery")

    # QueryRequest and QueryResponse frames (section 4), carrying the first query and its answer.
    frames = [
        {"name": "a query", "request_id": "7", "body": "query", "envelope": q_count.hex(),
         "bytes": (pb_varint_field(1, 7) + pb_message_field(8, pb_bytes_field(1, q_count))).hex()},
        {"name": "its answer", "request_id": "7", "body": "answer", "envelope": a_count.hex(),
         "bytes": (pb_varint_field(1, 7) + pb_message_field(9, pb_bytes_field(1, a_count))).hex()},
        {"name": "a refusal with a large request id", "request_id": str((1 << 64) - 1), "body": "answer",
         "envelope": r_denied.hex(),
         "bytes": (pb_varint_field(1, (1 << 64) - 1) + pb_message_field(9, pb_bytes_field(1, r_denied))).hex()},
    ]

    return {
        "description": (
            "Queries, answers and refusals (protocol-spec/README.md, 'Queries and answers'); times are Unix "
            "milliseconds; every f64 is given as the 16 hex digits of its big-endian bits. queries: the payload built "
            "from the fields (window null: no window; region null: none; purpose '' : none; presentations: envelope "
            "bytes) MUST be exactly payload; signed as an oms/query envelope with signer_seed it MUST be exactly "
            "envelope, whose BLAKE2b-256 is id; a node hosting target MUST accept it at verify_at, and its "
            "presentations MUST verify for it then. answers and refusals: built from the fields against the object id "
            "of the envelope of the query named by query, signed with signer_seed (the target's key, or for a refusal "
            "with signed_by 'node' the answering node's, whose id is node), MUST be exactly payload and envelope, and "
            "an asker that sent that query to node MUST accept them. invalid_queries: a node hosting the TCCs in "
            "hosted MUST refuse envelope at verify_at with error (replayed and busy depend on the node's memory and "
            "are not listed). bad_presentations: a node hosting the target accepts envelope at verify_at, and "
            "verifying its presentations MUST fail with error. bad_responses: an asker that sent the query named by "
            "query to node MUST refuse envelope with error. frames: Frame bytes with request_id and a QueryRequest "
            "(body query, field 8) or QueryResponse (body answer, field 9) carrying envelope."
        ),
        "limits": {
            "query_maximum_payload": QUERY_MAXIMUM_PAYLOAD,
            "presentation_maximum_length": QUERY_MAXIMUM_PRESENTATION,
            "answer_maximum_payload": ANSWER_MAXIMUM_PAYLOAD,
            "refusal_maximum_payload": REFUSAL_MAXIMUM_PAYLOAD,
            "maximum_lifetime_ms": QUERY_MAXIMUM_LIFETIME,
            "skew_ms": SKEW_MS,
        },
        "queries": valid,
        "answers": answers,
        "refusals": refusals,
        "invalid_queries": invalid,
        "bad_presentations": bad_presentations,
        "bad_responses": bad_responses,
        "frames": frames,
    }


def check_queries(content):
    """Every queries.json vector through section 13's readers above."""
    target = bech32m_decode(content["queries"][0]["target"])[1]
    queries_by_name = {}
    for case in content["queries"]:
        envelope = bytes.fromhex(case["envelope"])
        query = accept_query(envelope, case["verify_at"], {target})
        check_query_presentations(query, case["verify_at"])
        assert envelope.endswith(bytes.fromhex(case["payload"]))
        assert bech32m_decode(case["requester"])[1] == ed25519_public(bytes.fromhex(case["signer_seed"]))
        assert bech32m_decode(case["id"]) == ("obj", blake2b_256(envelope))
        queries_by_name[case["name"]] = envelope
    for case in content["answers"] + content["refusals"]:
        node_key = bech32m_decode(case["node"])[1]
        got = check_response(bytes.fromhex(case["envelope"]), queries_by_name[case["query"]], node_key)
        assert got == ("answer" if case in content["answers"] else "refusal"), case["name"]
    for case in content["invalid_queries"]:
        hosted = {bech32m_decode(t)[1] for t in case["hosted"]}
        got = refusal(accept_query, bytes.fromhex(case["envelope"]), case["verify_at"], hosted)
        assert got == case["error"], (case["name"], got)
    for case in content["bad_presentations"]:
        query = accept_query(bytes.fromhex(case["envelope"]), case["verify_at"], {target})
        got = refusal(check_query_presentations, query, case["verify_at"])
        assert got == case["error"], (case["name"], got)
    for case in content["bad_responses"]:
        got = refusal(check_response, bytes.fromhex(case["envelope"]), queries_by_name[case["query"]],
                      bech32m_decode(case["node"])[1])
        assert got == case["error"], (case["name"], got)
    for group in ("queries", "answers", "refusals", "invalid_queries", "bad_presentations", "bad_responses"):
        names = [c["name"] for c in content[group]]
        assert len(names) == len(set(names)), group



def check_claims(content):
    """Every claims.json vector through the verifiers above, and the envelopes' own bytes."""
    by_name = {}
    for c in content["valid"]:
        envelope = bytes.fromhex(c["envelope"])
        assert verify_claim(envelope, c["verify_at"]) is not None, c["name"]
        assert envelope.endswith(bytes.fromhex(c["payload"]))
        assert bech32m_decode(c["issuer"])[1] == ed25519_public(bytes.fromhex(c["signer_seed"]))
        assert bech32m_decode(c["id"]) == ("obj", blake2b_256(envelope))
        by_name[c["name"]] = c
    for r in content["revocations"]:
        envelope = bytes.fromhex(r["envelope"])
        open_revocation(envelope)
        revoked = [
            n for n, c in by_name.items()
            if refusal(verify_claim, bytes.fromhex(c["envelope"]), c["verify_at"], [envelope]) == "revoked"
        ]
        assert revoked == ([] if r["revokes"] is None else [r["revokes"]]), r["name"]
    for c in content["still_valid"]:
        assert refusal(verify_claim, bytes.fromhex(c["envelope"]), c["verify_at"],
                       [bytes.fromhex(r) for r in c["revocations"]]) is None, c["name"]
    for p in content["presentations"]:
        envelope = bytes.fromhex(p["envelope"])
        payload = bytes.fromhex(p["payload"])
        assert envelope.endswith(payload) and payload.endswith(bytes.fromhex(by_name[p["claim"]]["envelope"]))
        assert refusal(verify_presentation, envelope, p["audience"], bytes.fromhex(p["nonce"]), p["verify_at"]) is None
    for c in content["invalid"]:
        envelope = bytes.fromhex(c["envelope"])
        revocations = [bytes.fromhex(r) for r in c.get("revocations", [])]
        if c["kind"] == "claim":
            got = refusal(verify_claim, envelope, c["verify_at"], revocations)
        else:
            got = refusal(verify_presentation, envelope, c["audience"], bytes.fromhex(c["nonce"]), c["verify_at"],
                          revocations)
        assert got == c["error"], (c["name"], got)
    names = [c["name"] for c in content["invalid"]]
    assert len(names) == len(set(names))


def check_persona_links(content):
    for link in content["valid"]:
        first, second = verify_persona_link(bytes.fromhex(link["envelope"]))
        assert bech32m_decode(link["first"]) == ("persona", first)
        assert bech32m_decode(link["second"]) == ("persona", second)
        assert ed25519_verify(second, bytes.fromhex(link["second_signature"]), bytes.fromhex(link["second_signed_message"]))
    for case in content["invalid"]:
        got = refusal(verify_persona_link, bytes.fromhex(case["envelope"]))
        assert got == case["error"], (case["name"], got)


def check_sign_in(content):
    for case in content["valid"]:
        envelope, nonce = bytes.fromhex(case["envelope"]), bytes.fromhex(case["nonce"])
        challenges, consumed = {nonce: case["challenge_expires"]}, set()
        persona = verify_sign_in(envelope, case["audience"], case["verify_at"], challenges, consumed)
        assert bech32m_decode(case["persona"]) == ("persona", persona)
        # The states the file leaves to the Swift tests: a second answer, an unknown nonce, a late answer.
        assert refusal(verify_sign_in, envelope, case["audience"], case["verify_at"], challenges, consumed) == "replayed"
        assert refusal(verify_sign_in, envelope, case["audience"], case["verify_at"], {}, set()) == "unknownNonce"
        assert refusal(verify_sign_in, envelope, case["audience"], case["challenge_expires"], challenges, set()) == "expired"
    for case in content["invalid"]:
        challenges = {bytes.fromhex(case["nonce"]): case["challenge_expires"]}
        got = refusal(verify_sign_in, bytes.fromhex(case["envelope"]), case["audience"], case["verify_at"], challenges, set())
        assert got == case["error"], (case["name"], got)


# ---------------------------------------------------------------------------------------------
# Community manifests (section 14) and community logs (section 15); times are Unix milliseconds

COMMUNITY_EVENT_TYPE = "oms/community-event"
COMMUNITY_MAXIMUM_PAYLOAD = 66560
COMMUNITY_MAXIMUM_PARENTS = 16
COMMUNITY_FUTURE_SKEW_MS = 300000
MANIFEST_MAXIMUM = 65536
MANIFEST_MAXIMUM_DURATION = 3650 * DAY  # ten years, in seconds
COMMUNITY_REASON_MAXIMUM = 200
COMMUNITY_EVIDENCE_MAXIMUM = QUERY_MAXIMUM_PRESENTATION  # 9518: one claim presentation envelope
COMMUNITY_STATE_DOMAIN = b"oms/v1/community-state\x00"
ZERO_ID = bytes(32)

EVENT_KINDS = {
    1: "create", 2: "join", 3: "approve", 4: "reject", 5: "leave", 6: "suspend", 7: "reinstate", 8: "invite",
    9: "role", 10: "app", 11: "manifest", 12: "propose", 13: "vote", 14: "enact", 15: "consent", 16: "affiliate",
    17: "disaffiliate",
}
EVENT_KIND_NUMBERS = {name: number for number, name in EVENT_KINDS.items()}
ACTION_KINDS = ("approve", "reject", "suspend", "reinstate", "invite", "role", "app", "manifest", "affiliate",
                "disaffiliate")
DECISION_OF_ACTION = {
    "approve": "admission", "reject": "admission", "invite": "admission", "suspend": "suspension",
    "reinstate": "suspension", "role": "roles", "app": "apps", "manifest": "manifest", "affiliate": "manifest",
    "disaffiliate": "manifest",
}
DECISION_KINDS = ("manifest", "roles", "apps", "admission", "suspension")
ANSWER_MODULES = ("count", "sum", "mean", "min", "max", "distance", "histogram", "quantiles", "time-inside", "visited",
                  "last-area", "raw")
MEMBER_STATUS = {"active": 1, "suspended": 2, "left": 3}
PROPOSAL_STATUS = {"open": 1, "passed": 2, "failed": 3}
NAME_CHARACTERS = b"abcdefghijklmnopqrstuvwxyz0123456789._-"

TC = (T0 + 60 * DAY) * 1000  # the communities' clocks start here, in ms
MINUTE_MS = 60000
HOUR_MS = 3600000


class ManifestInvalid(Exception):
    """A manifest section 14 refuses; the message says where and why (for debugging the vectors)."""


def is_control(c):
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


def is_manifest_name(raw):
    """Section 14's name rule: 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit (bytes)."""
    return 1 <= len(raw) <= 64 and all(c in NAME_CHARACTERS for c in raw) and raw[0] not in b"._-"


_YAML_VALUES = yaml.constructor.SafeConstructor()


def _bad(path, message):
    raise ManifestInvalid((path or "the manifest") + ": " + message)


def _mapping(node, path, allowed, required=()):
    if not isinstance(node, yaml.MappingNode):
        _bad(path, "not a mapping")
    out = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            _bad(path, "a key that is not text")
        at = key.value if not path else path + "." + key.value
        if key.value not in allowed:
            _bad(at, "unknown key")
        if key.value in out:
            _bad(at, "appears twice")
        out[key.value] = value
    for key in required:
        if key not in out:
            _bad(key if not path else path + "." + key, "missing")
    return out


def _scalar(node, path):
    if not isinstance(node, yaml.ScalarNode):
        _bad(path, "not a single value")
    return node.value


def _typed(node, path, tags):
    if not isinstance(node, yaml.ScalarNode) or node.tag.rsplit(":", 1)[-1] not in tags:
        _bad(path, "not a " + " or ".join(tags))
    return _YAML_VALUES.construct_object(node, deep=True)


def _number(node, path):
    value = float(_typed(node, path, ("int", "float")))
    if not math.isfinite(value):
        _bad(path, "not a finite number")
    return value


def _text(node, path, maximum):
    text = _scalar(node, path)
    if not 1 <= len(text.encode("utf-8")) <= maximum or any(is_control(c) and c != "\n" for c in text):
        _bad(path, "not 1 to %d bytes of text without control characters" % maximum)
    return text


def _name(node, path):
    text = _scalar(node, path)
    if not is_manifest_name(text.encode("utf-8")):
        _bad(path, "not a name")
    return text


def _sequence(node, path, maximum=None):
    if not isinstance(node, yaml.SequenceNode):
        _bad(path, "not a list")
    if maximum is not None and len(node.value) > maximum:
        _bad(path, "more than %d entries" % maximum)
    return [(item, "%s[%d]" % (path, i)) for i, item in enumerate(node.value)]


def _names(node, path, maximum):
    return [_name(item, at) for item, at in _sequence(node, path, maximum)]


def _modules(node, path):
    out = []
    for item, at in _sequence(node, path):
        module = _scalar(item, at)
        if module not in ANSWER_MODULES:
            _bad(at, "not an answer module")
        out.append(module)
    return out


def _duration(node, path, zero_allowed=False):
    text = _scalar(node, path)
    factors = {"s": 1, "m": 60, "h": 3600, "d": DAY}
    if len(text) < 2 or text[-1] not in factors or not all("0" <= c <= "9" for c in text[:-1]):
        _bad(path, "not a duration")
    seconds = int(text[:-1]) * factors[text[-1]]
    if seconds > MANIFEST_MAXIMUM_DURATION or (seconds == 0 and not zero_allowed):
        _bad(path, "out of range")
    return seconds


def _decision(node, path):
    by = _scalar(_mapping(node, path, ("by", "quorum", "threshold", "period"), ("by",))["by"], path + ".by")
    if by == "admin":
        _mapping(node, path, ("by",))
        return ("admin",)
    if by == "majority":
        rule = _mapping(node, path, ("by", "period"), ("period",))
        return ("majority", _duration(rule["period"], path + ".period"))
    if by == "quorum":
        rule = _mapping(node, path, ("by", "quorum", "threshold", "period"), ("quorum", "threshold", "period"))
        quorum = _number(rule["quorum"], path + ".quorum")
        threshold = _number(rule["threshold"], path + ".threshold")
        if not 0 < quorum <= 1:
            _bad(path + ".quorum", "not in (0, 1]")
        if not 0.5 < threshold <= 1:
            _bad(path + ".threshold", "not in (0.5, 1]")
        return ("quorum", quorum, threshold, _duration(rule["period"], path + ".period"))
    _bad(path + ".by", "not admin, majority or quorum")


def read_manifest(raw):
    """Section 14: the exact bytes of a manifest -> what the log needs of it, or ManifestInvalid. The YAML is
    read with PyYAML as a node tree (so repeated keys and aliases are seen) and walked by hand."""
    if not 1 <= len(raw) <= MANIFEST_MAXIMUM:
        _bad("", "%d bytes" % len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _bad("", "not UTF-8")
    try:
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)):
            _bad("", "an alias")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        _bad("", "not YAML (%s)" % type(e).__name__)
    if root is None:
        _bad("", "empty")
    top = _mapping(root, "", ("manifest", "name", "purpose", "tags", "governance", "joining", "consent", "access",
                              "departure", "apps", "discovery"),
                   ("manifest", "name", "purpose", "governance", "joining", "departure"))
    if _typed(top["manifest"], "manifest", ("int",)) != 1:
        _bad("manifest", "not 1")
    name = _name(top["name"], "name")
    _text(top["purpose"], "purpose", 2000)
    if "tags" in top:
        _names(top["tags"], "tags", 16)
    governance = _mapping(top["governance"], "governance", ("roles", "decisions"), ("roles", "decisions"))
    roles = _names(governance["roles"], "governance.roles", 32)
    if "member" not in roles and "admin" not in roles:
        _bad("governance.roles", "neither member nor admin")
    rules = _mapping(governance["decisions"], "governance.decisions", DECISION_KINDS, DECISION_KINDS)
    decisions = {kind: _decision(rules[kind], "governance.decisions." + kind) for kind in DECISION_KINDS}
    mode = _scalar(_mapping(top["joining"], "joining", ("mode", "type", "issuer"), ("mode",))["mode"], "joining.mode")
    joining = {"mode": mode, "type": None, "issuer": None}
    if mode in ("open", "approval", "invitation"):
        _mapping(top["joining"], "joining", ("mode",))
    elif mode == "claim":
        claim = _mapping(top["joining"], "joining", ("mode", "type", "issuer"), ("type",))
        joining["type"] = _name(claim["type"], "joining.type")
        if "issuer" in claim:
            issuer = _scalar(claim["issuer"], "joining.issuer")
            try:
                joining["issuer"] = parse_id_text(issuer.encode("utf-8"), CLAIM_ISSUER_KINDS)
            except Refused:
                _bad("joining.issuer", "not the id of a persona or tcc")
    else:
        _bad("joining.mode", "not open, approval, invitation or claim")
    consent = []
    for item, at in _sequence(top["consent"], "consent", 64) if "consent" in top else ():
        entry = _mapping(item, at, ("stream", "answers", "min-count", "epsilon", "budget"), ("stream", "answers"))
        answers = _modules(entry["answers"], at + ".answers")
        if "raw" in answers:
            _bad(at + ".answers", "raw is never consented to")
        minimum = _typed(entry["min-count"], at + ".min-count", ("int",)) if "min-count" in entry else None
        if minimum is not None and minimum < 1:
            _bad(at + ".min-count", "below 1")
        limits = []
        for key in ("epsilon", "budget"):
            value = _number(entry[key], at + "." + key) if key in entry else None
            if value is not None and value <= 0:
                _bad(at + "." + key, "not positive")
            limits.append(value)
        if limits[1] is not None and limits[0] is None:
            _bad(at + ".budget", "a budget needs an epsilon")
        consent.append((_name(entry["stream"], at + ".stream"), tuple(answers), minimum, limits[0], limits[1]))
    for item, at in _sequence(top["access"], "access", 64) if "access" in top else ():
        entry = _mapping(item, at, ("who", "streams", "answers"), ("who", "streams", "answers"))
        who = _scalar(entry["who"], at + ".who")
        if who not in ("members", "anyone") and not (
                who.startswith("role:") and is_manifest_name(who[5:].encode("utf-8"))):
            _bad(at + ".who", "not members, anyone or role:NAME")
        _names(entry["streams"], at + ".streams", None)
        _modules(entry["answers"], at + ".answers")
    departure = _mapping(top["departure"], "departure", ("export", "retain"), ("export", "retain"))
    _typed(departure["export"], "departure.export", ("bool",))
    _duration(departure["retain"], "departure.retain", zero_allowed=True)
    apps = _names(top["apps"], "apps", 64) if "apps" in top else []
    discovery = _scalar(top["discovery"], "discovery") if "discovery" in top else "private"
    if discovery not in ("public", "private"):
        _bad("discovery", "not public or private")
    return {"name": name, "roles": roles, "decisions": decisions, "joining": joining, "consent": consent,
            "apps": apps, "discovery": discovery}


_MANIFESTS_READ = {}


def manifest_of(raw):
    """read_manifest, once per distinct manifest; Refused('malformed') when it is not one."""
    if raw not in _MANIFESTS_READ:
        try:
            _MANIFESTS_READ[raw] = read_manifest(raw)
        except ManifestInvalid:
            _MANIFESTS_READ[raw] = None
    if _MANIFESTS_READ[raw] is None:
        raise Refused("malformed")
    return _MANIFESTS_READ[raw]


# Events: building payloads from fields (nothing checked, so they also build bad events) and reading them.


def manifest_field(manifest, length=None):
    return struct.pack(">I", len(manifest) if length is None else length) + manifest


def event_body(kind, f):
    """f: the body's fields (personas, keys, tcc, institution and node as 32 bytes; reasons as text or bytes;
    manifests as bytes)."""
    if kind == "create":
        return bytes([f["group"]]) + f["tcc"] + f["node"] + manifest_field(f["manifest"])
    if kind == "join":
        return f["manifest_hash"] + f["tcc"] + f["node"] + struct.pack(">I", len(f["evidence"])) + f["evidence"]
    if kind in ("approve", "reject"):
        return f["applicant"] + (len8(as_bytes(f["reason"])) if kind == "reject" else b"")
    if kind == "leave":
        return b""
    if kind in ("suspend", "reinstate"):
        return f["member"] + (len8(as_bytes(f["reason"])) if kind == "suspend" else b"")
    if kind == "invite":
        return f["invitee"]
    if kind == "role":
        return f["member"] + bytes([f["grant"]]) + len8(as_bytes(f["name"]))
    if kind == "app":
        return bytes([f["add"]]) + len8(as_bytes(f["name"]))
    if kind == "manifest":
        return manifest_field(f["manifest"])
    if kind == "propose":
        action = dict(f["action"])
        action_kind = action.pop("kind")
        return bytes([EVENT_KIND_NUMBERS[action_kind]]) + event_body(action_kind, action)
    if kind == "vote":
        return f["proposal"] + bytes([f["choice"]])
    if kind == "enact":
        return f["proposal"]
    if kind == "consent":
        return f["manifest_hash"]
    if kind == "affiliate":
        return f["institution"] + f["key"] + f["node"] + f["manifest_hash"]
    if kind == "disaffiliate":
        return f["institution"]
    raise AssertionError(kind)


def event_payload(kind, community, time, parents, fields, version=1, kind_number=None, parent_count=None, body=None):
    if body is None:
        body = event_body(kind, fields)
    return (bytes([version, EVENT_KIND_NUMBERS[kind] if kind_number is None else kind_number]) + community
            + struct.pack(">Q", time) + bytes([len(parents) if parent_count is None else parent_count])
            + b"".join(parents) + body)


def read_name(r):
    raw = r.take(r.u8())
    if not is_manifest_name(raw):
        raise Refused("malformed")
    return raw.decode("ascii")


def read_reason(r):
    return free_text(r.take(r.u8()), COMMUNITY_REASON_MAXIMUM)


def read_bit(r):
    value = r.u8()
    if value > 1:
        raise Refused("malformed")
    return value


def read_manifest_field(r):
    length = r.u32()
    if not 1 <= length <= MANIFEST_MAXIMUM:
        raise Refused("malformed")
    raw = r.take(length)
    manifest_of(raw)
    return raw


def read_event_body(kind, r):
    if kind == "create":
        group = r.u8()
        if group not in (1, 2):
            raise Refused("malformed")
        return {"group": group, "tcc": r.take(32), "node": r.take(32), "manifest": read_manifest_field(r)}
    if kind == "join":
        f = {"manifest_hash": r.take(32), "tcc": r.take(32), "node": r.take(32)}
        length = r.u32()
        if length > COMMUNITY_EVIDENCE_MAXIMUM:
            raise Refused("malformed")
        f["evidence"] = r.take(length)
        return f
    if kind == "approve":
        return {"applicant": r.take(32)}
    if kind == "reject":
        return {"applicant": r.take(32), "reason": read_reason(r)}
    if kind == "leave":
        return {}
    if kind == "suspend":
        return {"member": r.take(32), "reason": read_reason(r)}
    if kind == "reinstate":
        return {"member": r.take(32)}
    if kind == "invite":
        return {"invitee": r.take(32)}
    if kind == "role":
        return {"member": r.take(32), "grant": read_bit(r), "name": read_name(r)}
    if kind == "app":
        return {"add": read_bit(r), "name": read_name(r)}
    if kind == "manifest":
        return {"manifest": read_manifest_field(r)}
    if kind == "propose":
        action_kind = EVENT_KINDS.get(r.u8())
        if action_kind not in ACTION_KINDS:
            raise Refused("malformed")
        return {"action": dict(kind=action_kind, **read_event_body(action_kind, r))}
    if kind == "vote":
        return {"proposal": r.take(32), "choice": read_bit(r)}
    if kind == "enact":
        return {"proposal": r.take(32)}
    if kind == "consent":
        return {"manifest_hash": r.take(32)}
    if kind == "affiliate":
        return {"institution": r.take(32), "key": r.take(32), "node": r.take(32), "manifest_hash": r.take(32)}
    if kind == "disaffiliate":
        return {"institution": r.take(32)}
    raise AssertionError(kind)


def decode_event(payload):
    r = PayloadReader(payload)
    r.version_1()
    kind = EVENT_KINDS.get(r.u8())
    if kind is None:
        raise Refused("malformed")
    community, time, count = r.take(32), r.u64(), r.u8()
    if kind == "create" and (community != ZERO_ID or count != 0):
        raise Refused("malformed")
    if kind != "create" and community == ZERO_ID:
        raise Refused("malformed")
    if kind != "create" and not 1 <= count <= COMMUNITY_MAXIMUM_PARENTS:
        raise Refused("malformed")
    parents = [r.take(32) for _ in range(count)]
    if any(a >= b for a, b in zip(parents, parents[1:])):
        raise Refused("malformed")
    fields = read_event_body(kind, r)
    r.end()
    return {"kind": kind, "community": community, "time": time, "parents": parents, "fields": fields}


def open_event(envelope):
    """'Opening an event': (author, event), or Refused(malformed | wrongType | badSignature)."""
    author, payload = open_envelope(envelope, COMMUNITY_EVENT_TYPE, COMMUNITY_MAXIMUM_PAYLOAD)
    return author, decode_event(payload)


# The state and how each event changes it ('Applying an event'). apply_event checks everything before it
# changes anything, so a refused (or void) event leaves the state as it was.


class CommunityState:
    def __init__(self, community):
        self.community = community
        self.group = 0
        self.manifest = None  # exact bytes
        self.manifest_hash = ZERO_ID
        self.version = 0
        self.consent_epoch = ZERO_ID
        self.members = {}  # persona -> {status, tcc, node, since, left, consented, roles}
        self.applicants = {}  # persona -> {tcc, node, join_event, consented}
        self.invitations = set()
        self.proposals = {}  # propose event id -> {author, action, rule, deadline, eligible, votes, status}
        self.apps = set()
        self.affiliations = {}  # institution -> {key, node, manifest_hash}

    @property
    def rules(self):
        return manifest_of(self.manifest)

    def status(self, persona):
        member = self.members.get(persona)
        return member["status"] if member else None

    def admins(self):
        return [p for p, m in self.members.items() if m["status"] == "active" and "admin" in m["roles"]]

    def decided_by_admin(self, action_kind):
        return self.rules["decisions"][DECISION_OF_ACTION[action_kind]] == ("admin",)

    def new_member(self, persona, tcc, node, since, consented):
        roles = {"member"} & set(self.rules["roles"])
        self.members[persona] = {"status": "active", "tcc": tcc, "node": node, "since": since, "left": 0,
                                 "consented": consented, "roles": roles}


def check_action(s, a):
    kind = a["kind"]
    if kind in ("approve", "reject"):
        if a["applicant"] not in s.applicants:
            raise Refused("notApplicant")
    elif kind == "invite":
        if s.status(a["invitee"]) in ("active", "suspended") or a["invitee"] in s.invitations:
            raise Refused("alreadyMember")
    elif kind == "suspend":
        if s.status(a["member"]) != "active":
            raise Refused("notMember")
        if s.admins() == [a["member"]] and ("admin",) in s.rules["decisions"].values():
            raise Refused("lastAdmin")
    elif kind == "reinstate":
        if s.status(a["member"]) != "suspended":
            raise Refused("notMember")
    elif kind == "role":
        if a["name"] not in s.rules["roles"]:
            raise Refused("invalidAction")
        if s.status(a["member"]) != "active":
            raise Refused("notMember")
        held = a["name"] in s.members[a["member"]]["roles"]
        if held == bool(a["grant"]):
            raise Refused("invalidAction")
        if (not a["grant"] and a["name"] == "admin" and s.admins() == [a["member"]]
                and ("admin",) in s.rules["decisions"].values()):
            raise Refused("lastAdmin")
    elif kind == "app":
        if a["add"] and (a["name"] not in s.rules["apps"] or a["name"] in s.apps):
            raise Refused("invalidAction")
        if not a["add"] and a["name"] not in s.apps:
            raise Refused("invalidAction")
    elif kind == "manifest":
        if a["manifest"] == s.manifest:
            raise Refused("invalidAction")
    elif kind == "affiliate":
        # A community's log only (an institution joins none), not to itself, a key held by an active member's
        # node, and not the affiliation already held.
        if s.group != 1 or a["institution"] == s.community:
            raise Refused("invalidAction")
        if not any(m["node"] == a["node"] and m["status"] == "active" for m in s.members.values()):
            raise Refused("invalidAction")
        if s.affiliations.get(a["institution"]) == affiliation_of(a):
            raise Refused("invalidAction")
    elif kind == "disaffiliate":
        if a["institution"] not in s.affiliations:
            raise Refused("invalidAction")
    else:
        raise AssertionError(kind)


def affiliation_of(a):
    return {"key": a["key"], "node": a["node"], "manifest_hash": a["manifest_hash"]}


def do_action(s, a, t, author, direct):
    kind = a["kind"]
    if kind == "approve":
        application = s.applicants.pop(a["applicant"])
        s.new_member(a["applicant"], application["tcc"], application["node"], t, application["consented"])
    elif kind == "reject":
        del s.applicants[a["applicant"]]
    elif kind == "invite":
        s.invitations.add(a["invitee"])
    elif kind in ("suspend", "reinstate"):
        s.members[a["member"]]["status"] = "suspended" if kind == "suspend" else "active"
    elif kind == "role":
        (set.add if a["grant"] else set.discard)(s.members[a["member"]]["roles"], a["name"])
    elif kind == "app":
        (set.add if a["add"] else set.discard)(s.apps, a["name"])
    elif kind == "manifest":
        old = s.rules
        s.manifest = a["manifest"]
        s.manifest_hash = blake2b_256(a["manifest"])
        s.version += 1
        new = s.rules
        if new["consent"] != old["consent"]:
            s.consent_epoch = s.manifest_hash
        for member in s.members.values():
            member["roles"] &= set(new["roles"])
        s.apps &= set(new["apps"])
        if direct:
            s.members[author]["consented"] = s.consent_epoch
    elif kind == "affiliate":
        s.affiliations[a["institution"]] = affiliation_of(a)
    elif kind == "disaffiliate":
        del s.affiliations[a["institution"]]


def check_join_evidence(s, evidence, author, t):
    """Joining mode claim: the presentation verifies at t (in seconds) for the community's text as audience and
    the manifest hash as nonce, is signed by the author, and carries a claim of the manifest's type (and issuer)."""
    joining = s.rules["joining"]
    try:
        verify_presentation(evidence, bech32m_encode("tcc", s.community), s.manifest_hash, t // 1000)
        _, presenter, _, payload = read_envelope(evidence, PRESENTATION_MAXIMUM_PAYLOAD)
        r = PayloadReader(payload)
        r.take(2 + r.data[1] + 32 + 8)
        _, _, _, claim = read_envelope(r.take(r.u32()), CLAIM_MAXIMUM_PAYLOAD)
        c = PayloadReader(claim)
        c.u8()
        issuer = parse_id_text(c.take(c.u8()), CLAIM_ISSUER_KINDS)
        c.take(c.u8())
        claim_type = c.take(c.u8()).decode("ascii")
    except Refused:
        raise Refused("badEvidence")
    if presenter != author or claim_type != joining["type"]:
        raise Refused("badEvidence")
    if joining["issuer"] is not None and issuer != joining["issuer"]:
        raise Refused("badEvidence")


def apply_event(s, event_id, author, ev):
    kind, t, f = ev["kind"], ev["time"], ev["fields"]
    if kind == "create":
        assert s.manifest is None
        s.group = f["group"]
        s.manifest = f["manifest"]
        s.manifest_hash = s.consent_epoch = blake2b_256(f["manifest"])
        s.version = 1
        s.new_member(author, f["tcc"], f["node"], t, s.consent_epoch)
        s.members[author]["roles"] = {"admin", "member"} & set(s.rules["roles"])
        return
    if kind not in ("join", "leave", "consent") and s.status(author) != "active":
        raise Refused("notMember")
    if kind == "join":
        if s.status(author) in ("active", "suspended") or author in s.applicants:
            raise Refused("alreadyMember")
        # One TCC, one membership: not under a second persona, nor someone else's TCC.
        if any(m["tcc"] == f["tcc"] and m["status"] != "left" for m in s.members.values()) or \
                any(a["tcc"] == f["tcc"] for a in s.applicants.values()):
            raise Refused("alreadyMember")
        if f["manifest_hash"] != s.manifest_hash:
            raise Refused("wrongManifest")
        mode = s.rules["joining"]["mode"]
        if mode == "claim":
            check_join_evidence(s, f["evidence"], author, t)
        elif f["evidence"]:
            raise Refused("badEvidence")
        if mode == "invitation":
            if author not in s.invitations:
                raise Refused("notInvited")
            s.invitations.discard(author)
        if mode == "approval":
            s.applicants[author] = {"tcc": f["tcc"], "node": f["node"], "join_event": event_id,
                                    "consented": s.consent_epoch}
        else:
            s.new_member(author, f["tcc"], f["node"], t, s.consent_epoch)
    elif kind == "leave":
        if s.status(author) in ("active", "suspended"):
            if s.admins() == [author] and ("admin",) in s.rules["decisions"].values():
                raise Refused("lastAdmin")
            s.members[author].update(status="left", left=t, roles=set())
        elif author in s.applicants:
            del s.applicants[author]
        else:
            raise Refused("notMember")
    elif kind == "consent":
        if s.status(author) not in ("active", "suspended"):
            raise Refused("notMember")
        if f["manifest_hash"] != s.manifest_hash:
            raise Refused("wrongManifest")
        if s.members[author]["consented"] == s.consent_epoch:
            raise Refused("alreadyConsented")
        s.members[author]["consented"] = s.consent_epoch
    elif kind in ("vote", "enact"):
        p = s.proposals.get(f["proposal"])
        if p is None:
            raise Refused("unknownProposal")
        if p["status"] != "open":
            raise Refused("closed")
        if kind == "vote":
            if author not in p["eligible"]:
                raise Refused("notEligible")
            if author in p["votes"]:
                raise Refused("doubleVote")
            if t > p["deadline"]:
                raise Refused("closed")
            p["votes"][author] = f["choice"]
            return
        if t < p["deadline"] and len(p["votes"]) < len(p["eligible"]):
            raise Refused("tooEarly")
        yes = sum(1 for c in p["votes"].values() if c == 1)
        no = len(p["votes"]) - yes
        rule = p["rule"]
        if rule[0] == "majority":
            passed = yes > no
        else:
            passed = (yes + no) / len(p["eligible"]) >= rule[1] and yes / (yes + no) >= rule[2]
        p["status"] = "failed"
        if passed:
            try:
                check_action(s, p["action"])
            except Refused:
                return
            do_action(s, p["action"], t, author, direct=False)
            p["status"] = "passed"
    elif kind == "propose":
        action = f["action"]
        if s.decided_by_admin(action["kind"]):
            raise Refused("notByVote")
        check_action(s, action)
        rule = s.rules["decisions"][DECISION_OF_ACTION[action["kind"]]]
        s.proposals[event_id] = {
            "author": author, "action": action, "rule": rule, "deadline": t + rule[-1] * 1000,
            "eligible": {p for p, m in s.members.items() if m["status"] == "active"}, "votes": {}, "status": "open",
        }
    else:
        action = dict(kind=kind, **f)
        if not s.decided_by_admin(kind) or author not in s.admins():
            raise Refused("notAuthorized")
        check_action(s, action)
        do_action(s, action, t, author, direct=True)


def state_bytes(s):
    """The input of the state hash ('State hash')."""
    out = (COMMUNITY_STATE_DOMAIN + s.community + bytes([s.group]) + s.manifest_hash + struct.pack(">I", s.version)
           + s.consent_epoch + struct.pack(">I", len(s.members)))
    for persona in sorted(s.members):
        m = s.members[persona]
        out += (persona + bytes([MEMBER_STATUS[m["status"]]]) + m["tcc"] + m["node"]
                + struct.pack(">QQ", m["since"], m["left"]) + m["consented"] + bytes([len(m["roles"])])
                + b"".join(len8(r.encode("ascii")) for r in sorted(m["roles"])))
    out += struct.pack(">I", len(s.applicants))
    for persona in sorted(s.applicants):
        a = s.applicants[persona]
        out += persona + a["tcc"] + a["node"] + a["join_event"] + a["consented"]
    out += struct.pack(">I", len(s.invitations)) + b"".join(sorted(s.invitations))
    out += struct.pack(">I", len(s.proposals))
    for proposal_id in sorted(s.proposals):
        p = s.proposals[proposal_id]
        yes = sum(1 for c in p["votes"].values() if c == 1)
        out += (proposal_id + bytes([PROPOSAL_STATUS[p["status"]]])
                + struct.pack(">IIQ", yes, len(p["votes"]) - yes, p["deadline"]))
    out += struct.pack(">I", len(s.apps)) + b"".join(len8(a.encode("ascii")) for a in sorted(s.apps))
    out += struct.pack(">I", len(s.affiliations))
    for institution in sorted(s.affiliations):
        a = s.affiliations[institution]
        out += institution + a["key"] + a["node"] + a["manifest_hash"]
    return out


class CommunityLog:
    """One replica of a community's log ('Accepting an event into a replica', 'Order and fold')."""

    def __init__(self, community):
        self.community = community
        self.events = {}  # id -> (author, event)

    def heads(self):
        named = {p for _, ev in self.events.values() for p in ev["parents"]}
        return sorted(i for i in self.events if i not in named)

    def ancestors(self, parents):
        seen, stack = set(), list(parents)
        while stack:
            event_id = stack.pop()
            if event_id not in seen:
                seen.add(event_id)
                stack.extend(self.events[event_id][1]["parents"])
        return seen

    def order(self, ids):
        """Repeatedly the least (time, id) among the events whose parents are all taken."""
        import heapq

        waiting = {i: len(self.events[i][1]["parents"]) for i in ids}
        children = {i: [] for i in ids}
        for i in ids:
            for p in self.events[i][1]["parents"]:
                children[p].append(i)
        ready = [(self.events[i][1]["time"], i) for i in ids if waiting[i] == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            _, i = heapq.heappop(ready)
            out.append(i)
            for c in children[i]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    heapq.heappush(ready, (self.events[c][1]["time"], c))
        assert len(out) == len(ids)
        return out

    def fold(self, ids=None):
        """(state, order, void) of the events `ids` (all held events by default), which include their ancestors."""
        ids = set(self.events) if ids is None else ids
        state = CommunityState(self.community)
        order = self.order(ids)
        void = []
        for event_id in order:
            author, ev = self.events[event_id]
            try:
                apply_event(state, event_id, author, ev)
            except Refused as e:
                void.append((event_id, e.code))
        return state, order, void

    def offer(self, envelope, now):
        """'accepted' (and the event is stored) or the code refusing it."""
        try:
            author, ev = open_event(envelope)
        except Refused as e:
            return e.code
        event_id = blake2b_256(envelope)
        if (event_id if ev["kind"] == "create" else ev["community"]) != self.community:
            return "wrongCommunity"
        if event_id in self.events:
            return "duplicate"
        if any(p not in self.events for p in ev["parents"]):
            return "missingParents"
        if any(ev["time"] < self.events[p][1]["time"] for p in ev["parents"]):
            return "timeTravel"
        if ev["time"] > now + COMMUNITY_FUTURE_SKEW_MS:
            return "notYetValid"
        state, _, _ = self.fold(self.ancestors(ev["parents"]))
        try:
            apply_event(state, event_id, author, ev)
        except Refused as e:
            return e.code
        self.events[event_id] = (author, ev)
        return "accepted"


# Readable forms for the file.


class CommunityPerson:
    """A persona with the TCC and node its create or join names: a member's own (derived from its label), or,
    for a community's key in an institution, the community's id and the node holding the key."""

    def __init__(self, name, tcc=None, node=None, prefix="community/"):
        self.name = name
        self.label = prefix + name
        self.seed = fixed_bytes(self.label)
        self.key = ed25519_public(self.seed)
        self.tcc = ed25519_public(fixed_bytes(self.label + "/tcc")) if tcc is None else tcc
        self.node = ed25519_public(fixed_bytes(self.label + "/node")) if node is None else node

    def json(self):
        return {"seed_label": self.label, "seed": self.seed.hex(), "persona": bech32m_encode("persona", self.key),
                "persona_hex": self.key.hex(), "tcc": bech32m_encode("tcc", self.tcc),
                "node": bech32m_encode("node", self.node)}


MANIFEST_NAMES = {}  # manifest bytes -> its name in community.json's `manifests`


def fields_json(f):
    out = {}
    for key, value in f.items():
        if key in ("applicant", "member", "invitee", "key"):
            out[key] = bech32m_encode("persona", value)
        elif key in ("tcc", "node"):
            out[key] = bech32m_encode(key, value)
        elif key == "institution":
            out[key] = bech32m_encode("tcc", value)
        elif key in ("manifest_hash", "proposal", "evidence"):
            out[key] = value.hex()
        elif key == "manifest":
            out[key] = MANIFEST_NAMES[value]
        elif key == "action":
            out[key] = fields_json(value)
        else:
            out[key] = value
    return out


def event_json(ev):
    return dict(kind=ev["kind"], community=ev["community"].hex(), time=ev["time"],
                parents=[p.hex() for p in ev["parents"]], **fields_json(ev["fields"]))


def state_json(s):
    def persona(p):
        return bech32m_encode("persona", p)

    return {
        "community": bech32m_encode("tcc", s.community),
        "group": s.group,
        "manifest": MANIFEST_NAMES[s.manifest],
        "manifest_hash": s.manifest_hash.hex(),
        "version": s.version,
        "consent_epoch": s.consent_epoch.hex(),
        "members": {
            persona(p): {"status": m["status"], "roles": sorted(m["roles"]), "consented": m["consented"].hex(),
                         "consenting": m["consented"] == s.consent_epoch, "since": m["since"], "left": m["left"],
                         "tcc": bech32m_encode("tcc", m["tcc"]), "node": bech32m_encode("node", m["node"])}
            for p, m in s.members.items()
        },
        "applicants": {
            persona(p): {"join_event": a["join_event"].hex(), "consented": a["consented"].hex(),
                         "tcc": bech32m_encode("tcc", a["tcc"]), "node": bech32m_encode("node", a["node"])}
            for p, a in s.applicants.items()
        },
        "invitations": sorted(persona(p) for p in s.invitations),
        "proposals": {
            i.hex(): {"author": persona(p["author"]), "action": fields_json(p["action"]), "status": p["status"],
                      "yes": sum(1 for c in p["votes"].values() if c == 1),
                      "no": sum(1 for c in p["votes"].values() if c == 0), "deadline": p["deadline"],
                      "eligible": sorted(persona(e) for e in p["eligible"]),
                      "votes": {persona(v): c for v, c in p["votes"].items()}}
            for i, p in s.proposals.items()
        },
        "apps": sorted(s.apps),
        "affiliations": {
            bech32m_encode("tcc", i): {"key": persona(a["key"]), "node": bech32m_encode("node", a["node"]),
                                       "manifest_hash": a["manifest_hash"].hex()}
            for i, a in s.affiliations.items()
        },
    }


# The manifests of the vectors, written by hand.

COMMUNITY_MANIFESTS = {}


def add_manifest(name, text):
    raw = text.encode("utf-8")
    COMMUNITY_MANIFESTS[name] = raw
    MANIFEST_NAMES[raw] = name
    return raw


BIKE_CLUB = add_manifest("bike-club", """\
manifest: 1
name: bike-club
purpose: Pool our rides to map safe routes across town.
tags: [cycling, safety]
governance:
  roles: [admin, member, treasurer]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: approval}
consent:
  - {stream: steps, answers: [count, mean], min-count: 3}
access:
  - {who: members, streams: [steps], answers: [count]}
departure: {export: true, retain: 30d}
apps: [route-map, ride-log]
""")

# Version 2: another consent section (a new epoch); the role treasurer and the app ride-log are gone.
BIKE_CLUB_2 = add_manifest("bike-club-2", """\
manifest: 1
name: bike-club
purpose: Pool our rides to map safe routes across town.
tags: [cycling, safety]
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: approval}
consent:
  - {stream: steps, answers: [count, mean], min-count: 3}
  - {stream: heart_rate, answers: [mean], min-count: 5, epsilon: 0.5, budget: 5}
access:
  - {who: members, streams: [steps], answers: [count]}
departure: {export: true, retain: 30d}
apps: [route-map]
""")

# Version 3: the consent section of version 2, written the same way; only the purpose differs.
BIKE_CLUB_3 = add_manifest("bike-club-3", BIKE_CLUB_2.decode().replace(
    "purpose: Pool our rides to map safe routes across town.",
    "purpose: Pool our rides to map safe routes across town, and our heart rates to pace group rides."))

RIDE_COMMONS = add_manifest("ride-commons", """\
manifest: 1
name: ride-commons
purpose: A cooperative of riders that decides everything together.
governance:
  roles: [member, moderator]
  decisions:
    manifest: {by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}
    roles: {by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}
    apps: {by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}
    admission: {by: majority, period: 1h}
    suspension: {by: majority, period: 1h}
joining: {mode: open}
consent:
  - {stream: steps, answers: [count, mean], min-count: 3}
departure: {export: false, retain: 0d}
apps: [ride-map]
""")

assert BIKE_CLUB_3 != BIKE_CLUB_2
RIDE_COMMONS_2 = add_manifest("ride-commons-2", RIDE_COMMONS.decode().replace(
    "  - {stream: steps, answers: [count, mean], min-count: 3}\n",
    "  - {stream: steps, answers: [count, mean, histogram], min-count: 5}\n"))

assert RIDE_COMMONS_2 != RIDE_COMMONS
NIGHT_RIDERS = add_manifest("night-riders", """\
manifest: 1
name: night-riders
purpose: Riders who meet after dark.
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: majority, period: 1h}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: approval}
consent:
  - {stream: gps.phone, answers: [distance], min-count: 3}
departure: {export: true, retain: 7d}
apps: [ride-map]
""")

CARE_CIRCLE = add_manifest("care-circle", """\
manifest: 1
name: care-circle
purpose: |
  A small circle of carers, by invitation only.
  We share how many hours we sleep.
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: invitation}
consent:
  - {stream: sleep, answers: [mean, quantiles], min-count: 3, epsilon: 1.0}
departure: {export: true, retain: 0d}
""")

CLUB_TCC_SEED = fixed_bytes("community/club-tcc")
CLUB_RIDERS = add_manifest("club-riders", """\
manifest: 1
name: club-riders
purpose: Members of the bike club, who show their membership card to join.
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: claim, type: member.bike-club, issuer: %s}
consent:
  - {stream: steps, answers: [count, mean], min-count: 3}
departure: {export: false, retain: 1d}
apps: []
""" % tcc_text(CLUB_TCC_SEED))

# An institution's: its members are communities, each speaking through its key.
CYCLING_ALLIANCE = add_manifest("cycling-alliance", """\
manifest: 1
name: cycling-alliance
purpose: Riding communities of the region, pooling what their members agree to share.
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: approval}
consent:
  - {stream: steps, answers: [count, mean, histogram], min-count: 2, epsilon: 0.5, budget: 4}
access:
  - {who: members, streams: [steps], answers: [count, mean, histogram]}
departure: {export: false, retain: 0d}
""")


def padded_manifest(size):
    """The bike-club manifest grown to exactly `size` bytes with comment lines."""
    text = BIKE_CLUB
    line = b"# " + b"x" * 77 + b"\n"
    while len(text) + len(line) <= size:
        text += line
    rest = size - len(text)
    return text + (b"#" + b"y" * (rest - 2) + b"\n" if rest >= 2 else b"\n" * rest)


LARGEST_MANIFEST = add_manifest("bike-club-largest", padded_manifest(MANIFEST_MAXIMUM).decode())

BAD_MANIFESTS = [
    ("no name", BIKE_CLUB.replace(b"name: bike-club\n", b"")),
    ("joining mode lottery", BIKE_CLUB.replace(b"{mode: approval}", b"{mode: lottery}")),
    ("not YAML", b"manifest: 1\nname: [bike-club\n"),
    ("name written twice", BIKE_CLUB.replace(b"name: bike-club\n", b"name: bike-club\nname: bike-club\n")),
    ("a decision kind missing", BIKE_CLUB.replace(b"    suspension: {by: admin}\n", b"")),
    ("raw among the consented answers", BIKE_CLUB.replace(b"answers: [count, mean]", b"answers: [count, raw]")),
    ("an admin decision with a period", BIKE_CLUB.replace(b"apps: {by: admin}", b"apps: {by: admin, period: 1h}")),
    ("an unknown key", BIKE_CLUB + b"colour: blue\n"),
    ("one byte over the maximum", padded_manifest(MANIFEST_MAXIMUM + 1)),
    ("empty", b""),
]


def community_event(person, kind, fields, time, parents=(), community=ZERO_ID, **changes):
    """(payload, envelope, id) of an event signed by person."""
    payload = event_payload(kind, community, time, sorted(parents), fields, **changes)
    envelope = signed(person.seed, COMMUNITY_EVENT_TYPE, payload)
    return payload, envelope, blake2b_256(envelope)


class LogScenario:
    """Events offered one by one to a replica; each step records the outcome, the state hash of the whole log
    and its heads."""

    def __init__(self, name, description, creator, manifest, time, group=1):
        self.name, self.description, self.creator = name, description, creator
        _, envelope, self.community = community_event(
            creator, "create", {"group": group, "tcc": creator.tcc, "node": creator.node, "manifest": manifest}, time)
        self.log = CommunityLog(self.community)
        self.now = time
        self.steps = []
        self.envelopes = {}
        self.deliver("%s creates the %s" % (creator.name, "institution" if group == 2 else "community"), envelope,
                     "accepted", now=time + 500)

    @property
    def manifest_hash(self):
        return self.log.fold()[0].manifest_hash

    def deliver(self, name, envelope, expect, now=None):
        self.now = max(self.now, now if now is not None else 0)
        outcome = self.log.offer(envelope, self.now)
        assert outcome == expect, (self.name, name, outcome, expect)
        event_id = blake2b_256(envelope)
        if outcome == "accepted":
            self.envelopes[event_id] = envelope
        state, _, _ = self.log.fold()
        self.steps.append({"name": name, "event": envelope.hex(), "id": event_id.hex(), "now": self.now,
                           "outcome": outcome, "state_hash": blake2b_256(state_bytes(state)).hex(),
                           "heads": [h.hex() for h in self.log.heads()]})
        return event_id

    def event(self, name, person, kind, fields, time, expect="accepted", parents=None, now=None, community=None):
        """An event by person over the replica's heads (or the given parents), delivered when the replica's clock
        reads max(its last reading, time + 500) unless now is given."""
        _, envelope, _ = community_event(person, kind, fields, time,
                                         self.log.heads() if parents is None else parents,
                                         self.community if community is None else community)
        return self.deliver(name, envelope, expect, time + 500 if now is None else now)

    def join(self, name, person, time, expect="accepted", evidence=b"", manifest_hash=None, **kw):
        return self.event(name, person, "join", {
            "manifest_hash": self.manifest_hash if manifest_hash is None else manifest_hash, "tcc": person.tcc,
            "node": person.node, "evidence": evidence}, time, expect, **kw)

    def result(self, permutations=()):
        state, order, void = self.log.fold()
        return {
            "name": self.name,
            "description": self.description,
            "community": bech32m_encode("tcc", self.community),
            "community_hex": self.community.hex(),
            "steps": self.steps,
            "order": [i.hex() for i in order],
            "void": [{"id": i.hex(), "code": code} for i, code in void],
            "state_hash": blake2b_256(state_bytes(state)).hex(),
            "state_bytes": state_bytes(state).hex(),
            "state": state_json(state),
            "permutations": list(permutations),
        }


def community_people():
    return {name: CommunityPerson(name) for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace")}


def admin_scenario(p):
    alice, bob, carol, dave, erin, frank = (p[n] for n in ("alice", "bob", "carol", "dave", "erin", "frank"))
    m = MINUTE_MS
    s = LogScenario("admin-run approval community",
                    "bike-club: joining by approval and every decision by an admin; alice creates it.",
                    alice, BIKE_CLUB, TC)
    t = TC
    s.join("bob asks to join", bob, t + 1 * m)
    s.event("bob, an applicant, approves himself", bob, "approve", {"applicant": bob.key}, t + 2 * m, "notMember")
    s.event("alice approves bob", alice, "approve", {"applicant": bob.key}, t + 3 * m)
    s.join("carol asks to join", carol, t + 4 * m)
    s.event("alice approves carol", alice, "approve", {"applicant": carol.key}, t + 5 * m)
    s.join("dave asks to join", dave, t + 6 * m)
    s.event("carol, a member but no admin, approves dave", carol, "approve", {"applicant": dave.key}, t + 7 * m,
            "notAuthorized")
    s.event("alice rejects dave with a reason", alice, "reject", {"applicant": dave.key, "reason": "not a club member"},
            t + 8 * m)
    s.event("alice approves dave, no longer an applicant", alice, "approve", {"applicant": dave.key}, t + 9 * m,
            "notApplicant")
    s.join("bob asks to join again", bob, t + 10 * m, "alreadyMember")
    s.event("frank joins naming bob's TCC", frank, "join",
            {"manifest_hash": s.manifest_hash, "tcc": bob.tcc, "node": frank.node, "evidence": b""}, t + 10 * m + 30_000,
            "alreadyMember")
    s.join("erin signs a manifest not in force", erin, t + 11 * m, "wrongManifest",
           manifest_hash=blake2b_256(BIKE_CLUB_2))
    s.event("alice invites erin", alice, "invite", {"invitee": erin.key}, t + 12 * m)
    s.event("alice invites erin again", alice, "invite", {"invitee": erin.key}, t + 13 * m, "alreadyMember")
    s.event("alice invites bob, a member", alice, "invite", {"invitee": bob.key}, t + 14 * m, "alreadyMember")
    s.event("alice grants bob admin", alice, "role", {"member": bob.key, "grant": 1, "name": "admin"}, t + 15 * m)
    s.event("alice grants carol treasurer", alice, "role", {"member": carol.key, "grant": 1, "name": "treasurer"},
            t + 16 * m)
    s.event("alice grants carol a role the manifest does not list", alice, "role",
            {"member": carol.key, "grant": 1, "name": "chair"}, t + 17 * m, "invalidAction")
    s.event("alice grants bob admin again", alice, "role", {"member": bob.key, "grant": 1, "name": "admin"},
            t + 18 * m, "invalidAction")
    s.event("alice grants dave, not a member, a role", alice, "role", {"member": dave.key, "grant": 1,
            "name": "treasurer"}, t + 19 * m, "notMember")
    s.event("bob revokes his own admin", bob, "role", {"member": bob.key, "grant": 0, "name": "admin"}, t + 20 * m)
    s.event("alice revokes admin from herself, the last admin", alice, "role",
            {"member": alice.key, "grant": 0, "name": "admin"}, t + 21 * m, "lastAdmin")
    s.event("alice, the last admin, leaves", alice, "leave", {}, t + 21 * m + 10_000, "lastAdmin")
    s.event("alice, the last admin, suspends herself", alice, "suspend", {"member": alice.key, "reason": ""},
            t + 21 * m + 20_000, "lastAdmin")
    s.event("alice registers route-map", alice, "app", {"add": 1, "name": "route-map"}, t + 22 * m)
    s.event("alice registers ride-log", alice, "app", {"add": 1, "name": "ride-log"}, t + 23 * m)
    s.event("alice registers weather, not in the manifest", alice, "app", {"add": 1, "name": "weather"}, t + 24 * m,
            "invalidAction")
    s.event("alice registers route-map again", alice, "app", {"add": 1, "name": "route-map"}, t + 25 * m,
            "invalidAction")
    s.event("alice removes weather, never registered", alice, "app", {"add": 0, "name": "weather"}, t + 26 * m,
            "invalidAction")
    s.event("alice suspends carol", alice, "suspend", {"member": carol.key, "reason": "missed three rides"},
            t + 27 * m)
    s.event("carol, suspended, invites frank", carol, "invite", {"invitee": frank.key}, t + 28 * m, "notMember")
    s.event("alice suspends carol again", alice, "suspend", {"member": carol.key, "reason": ""}, t + 29 * m,
            "notMember")
    s.event("alice reinstates carol", alice, "reinstate", {"member": carol.key}, t + 30 * m)
    s.event("alice reinstates carol again", alice, "reinstate", {"member": carol.key}, t + 31 * m, "notMember")
    s.event("alice proposes to invite frank, an admin decision", alice, "propose",
            {"action": {"kind": "invite", "invitee": frank.key}}, t + 32 * m, "notByVote")
    s.event("alice puts the manifest in force again", alice, "manifest", {"manifest": BIKE_CLUB}, t + 33 * m,
            "invalidAction")
    s.event("alice changes the manifest and its consent (a new epoch)", alice, "manifest", {"manifest": BIKE_CLUB_2},
            t + 34 * m)
    s.event("carol consents to the old manifest", carol, "consent", {"manifest_hash": blake2b_256(BIKE_CLUB)},
            t + 35 * m, "wrongManifest")
    s.event("bob consents to the new epoch", bob, "consent", {"manifest_hash": blake2b_256(BIKE_CLUB_2)}, t + 36 * m)
    s.event("bob consents again", bob, "consent", {"manifest_hash": blake2b_256(BIKE_CLUB_2)}, t + 37 * m,
            "alreadyConsented")
    s.event("alice changes the purpose only (the epoch stays)", alice, "manifest", {"manifest": BIKE_CLUB_3},
            t + 38 * m)
    s.event("bob consents to version 3, whose epoch he signed", bob, "consent",
            {"manifest_hash": blake2b_256(BIKE_CLUB_3)}, t + 39 * m, "alreadyConsented")
    s.event("dave, not a member, consents", dave, "consent", {"manifest_hash": blake2b_256(BIKE_CLUB_3)}, t + 40 * m,
            "notMember")
    s.event("bob leaves", bob, "leave", {}, t + 41 * m)
    s.event("bob, who left, invites frank", bob, "invite", {"invitee": frank.key}, t + 42 * m, "notMember")
    s.event("bob leaves again", bob, "leave", {}, t + 43 * m, "notMember")
    s.join("bob asks to join again", bob, t + 44 * m)
    s.event("alice approves bob again (his record is replaced)", alice, "approve", {"applicant": bob.key},
            t + 45 * m)
    s.join("frank asks to join", frank, t + 46 * m)
    s.event("frank withdraws his application", frank, "leave", {}, t + 47 * m)
    _, envelope, _ = community_event(alice, "invite", {"invitee": frank.key}, t + 48 * m, s.log.heads(), s.community)
    s.deliver("an event whose signature has one bit flipped", flip_bit(envelope, signature_offset(
        COMMUNITY_EVENT_TYPE) + 7, 2), "badSignature", t + 48 * m + 500)
    payload, _, _ = community_event(alice, "invite", {"invitee": frank.key}, t + 48 * m, s.log.heads(), s.community)
    s.deliver("an event in an envelope of another type", signed(alice.seed, "oms/community-events", payload),
              "wrongType", t + 48 * m + 500)
    s.deliver("an event with a trailing byte", signed(alice.seed, COMMUNITY_EVENT_TYPE, payload + b"\x00"), "malformed",
              t + 48 * m + 500)
    s.event("alice invites frank exactly 300000 ms ahead of the replica's clock", alice, "invite",
            {"invitee": frank.key}, s.now + COMMUNITY_FUTURE_SKEW_MS, now=s.now)
    last = s.log.fold()[0]
    head_time = s.log.events[s.log.heads()[0]][1]["time"]
    s.event("an event 1 ms older than its parent", alice, "suspend", {"member": carol.key, "reason": ""},
            head_time - 1, "timeTravel", now=s.now)
    s.event("an event 300001 ms ahead of the replica's clock", alice, "suspend", {"member": carol.key, "reason": ""},
            s.now + COMMUNITY_FUTURE_SKEW_MS + 1, "notYetValid", now=s.now)
    s.event("an event naming a parent the replica does not hold", alice, "suspend",
            {"member": carol.key, "reason": ""}, head_time + m, "missingParents",
            parents=[fixed_bytes("community/unknown-parent")])
    s.event("an event of another community", alice, "suspend", {"member": carol.key, "reason": ""}, head_time + m,
            "wrongCommunity", community=fixed_bytes("community/elsewhere"))
    _, other_create, _ = community_event(alice, "create", {"group": 1, "tcc": alice.tcc, "node": alice.node,
                                                           "manifest": BIKE_CLUB}, t + m)
    s.deliver("the create event of another community", other_create, "wrongCommunity", head_time + m)
    s.deliver("bob's first join again", bytes.fromhex(s.steps[1]["event"]), "duplicate", head_time + m)
    s.deliver("the create event again", bytes.fromhex(s.steps[0]["event"]), "duplicate", head_time + m)
    s.event("carol leaves", carol, "leave", {}, head_time + 2 * m)
    assert last.version == 3 and last.consent_epoch == blake2b_256(BIKE_CLUB_2)
    return s.result()


def voting_scenario(p):
    alice, bob, carol, dave, erin, frank = (p[n] for n in ("alice", "bob", "carol", "dave", "erin", "frank"))
    m = MINUTE_MS
    t = TC + DAY * 1000
    s = LogScenario("voting community",
                    "ride-commons: open joining; manifest, roles and apps by quorum 0.5 and threshold 0.6, admission "
                    "and suspension by majority, all within 1 h; alice creates it.", alice, RIDE_COMMONS, t)
    for i, person in enumerate((bob, carol, dave, erin)):
        s.join("%s joins" % person.name, person, t + (1 + i) * m)
    s.event("alice suspends erin directly, where a vote is needed", alice, "suspend",
            {"member": erin.key, "reason": "spam"}, t + 5 * m, "notAuthorized")
    p1 = s.event("P1: alice proposes a manifest with another consent section", alice, "propose",
                 {"action": {"kind": "manifest", "manifest": RIDE_COMMONS_2}}, t + 6 * m)
    s.event("alice votes yes on P1", alice, "vote", {"proposal": p1, "choice": 1}, t + 7 * m)
    s.event("bob votes yes on P1", bob, "vote", {"proposal": p1, "choice": 1}, t + 8 * m)
    s.event("carol votes no on P1", carol, "vote", {"proposal": p1, "choice": 0}, t + 9 * m)
    s.event("bob votes on P1 again", bob, "vote", {"proposal": p1, "choice": 0}, t + 10 * m, "doubleVote")
    s.event("alice enacts P1 with 3 of 5 votes, before the deadline", alice, "enact", {"proposal": p1}, t + 11 * m,
            "tooEarly")
    s.event("dave votes yes on P1", dave, "vote", {"proposal": p1, "choice": 1}, t + 12 * m)
    s.event("erin votes yes on P1", erin, "vote", {"proposal": p1, "choice": 1}, t + 13 * m)
    s.event("carol enacts P1 once everyone has voted: passed, a new epoch nobody consents to", carol, "enact",
            {"proposal": p1}, t + 14 * m)
    s.event("carol votes on P1, closed", carol, "vote", {"proposal": p1, "choice": 1}, t + 15 * m, "closed")
    s.event("bob enacts P1 again", bob, "enact", {"proposal": p1}, t + 16 * m, "closed")
    s.event("bob consents to the new manifest", bob, "consent", {"manifest_hash": blake2b_256(RIDE_COMMONS_2)},
            t + 17 * m)
    p2 = s.event("P2: carol proposes to make bob a moderator", carol, "propose",
                 {"action": {"kind": "role", "member": bob.key, "grant": 1, "name": "moderator"}}, t + 18 * m)
    s.join("frank joins", frank, t + 19 * m)
    s.event("frank, who joined after P2, votes on it", frank, "vote", {"proposal": p2, "choice": 1}, t + 20 * m,
            "notEligible")
    bob_on_p2 = s.event("bob votes yes on P2", bob, "vote", {"proposal": p2, "choice": 1}, t + 21 * m)
    s.event("dave votes no on P2", dave, "vote", {"proposal": p2, "choice": 0}, t + 22 * m)
    p3 = s.event("P3: dave proposes to register ride-map", dave, "propose",
                 {"action": {"kind": "app", "add": 1, "name": "ride-map"}}, t + 23 * m)
    p3b = s.event("P3b: erin proposes to register ride-map too", erin, "propose",
                  {"action": {"kind": "app", "add": 1, "name": "ride-map"}}, t + 24 * m)
    p4 = s.event("P4: alice proposes to suspend erin", alice, "propose",
                 {"action": {"kind": "suspend", "member": erin.key, "reason": "spam"}}, t + 25 * m)
    s.event("alice votes on a proposal that does not exist (a vote's id)", alice, "vote",
            {"proposal": bob_on_p2, "choice": 1}, t + 26 * m, "unknownProposal")
    for i, person in enumerate((alice, bob, carol)):
        s.event("%s votes yes on P3" % person.name, person, "vote", {"proposal": p3, "choice": 1}, t + (27 + i) * m)
    for i, person in enumerate((dave, erin, frank)):
        s.event("%s votes yes on P3b" % person.name, person, "vote", {"proposal": p3b, "choice": 1}, t + (30 + i) * m)
    for i, (person, choice) in enumerate(((alice, 1), (bob, 1), (carol, 0))):
        s.event("%s votes %s on P4" % (person.name, "yes" if choice else "no"), person, "vote",
                {"proposal": p4, "choice": choice}, t + (33 + i) * m)
    s.event("dave enacts P2 before its deadline with 2 of 5 votes", dave, "enact", {"proposal": p2}, t + 60 * m,
            "tooEarly")
    s.event("carol votes on P2 1 ms after its deadline", carol, "vote", {"proposal": p2, "choice": 1},
            t + 78 * m + 1, "closed")
    s.event("bob enacts P2 after its deadline: 2 of 5 voted, under the quorum, failed", bob, "enact",
            {"proposal": p2}, t + 79 * m)
    s.event("dave enacts P3 at its deadline: 3 of 6 voted, all yes, passed", dave, "enact", {"proposal": p3},
            t + 83 * m)
    s.event("erin enacts P3b: it passed, but ride-map is registered already, failed", erin, "enact",
            {"proposal": p3b}, t + 84 * m)
    s.event("bob enacts P4: 2 yes, 1 no, passed by majority; erin is suspended", bob, "enact", {"proposal": p4},
            t + 85 * m)
    s.event("erin, suspended, proposes to remove ride-map", erin, "propose",
            {"action": {"kind": "app", "add": 0, "name": "ride-map"}}, t + 86 * m, "notMember")
    s.event("erin, suspended, consents to the manifest in force", erin, "consent",
            {"manifest_hash": blake2b_256(RIDE_COMMONS_2)}, t + 87 * m)
    s.event("P5: frank proposes to reinstate erin (left open)", frank, "propose",
            {"action": {"kind": "reinstate", "member": erin.key}}, t + 88 * m)
    s.event("frank proposes to approve dave, who is no applicant", frank, "propose",
            {"action": {"kind": "approve", "applicant": dave.key}}, t + 89 * m, "notApplicant")
    p6 = s.event("P6: bob proposes to invite grace (admission, by majority)", bob, "propose",
                 {"action": {"kind": "invite", "invitee": p["grace"].key}}, t + 90 * m)
    for i, person in enumerate((alice, bob, carol, dave, frank)):
        s.event("%s votes yes on P6" % person.name, person, "vote", {"proposal": p6, "choice": 1}, t + (91 + i) * m)
    s.event("carol enacts P6 once its 5 eligible members have voted: passed, grace is invited", carol, "enact",
            {"proposal": p6}, t + 96 * m)
    return s.result()


def concurrency_scenario(p):
    alice, bob, carol, dave = (p[n] for n in ("alice", "bob", "carol", "dave"))
    m = MINUTE_MS
    t = TC + 2 * DAY * 1000
    deadline = t + 7 * m + HOUR_MS

    def build(k):
        s = LogScenario("concurrency",
                        "night-riders: admins decide everything but apps, which go by majority within 1 h. After a "
                        "common past, alice (partition 1) and bob, dave and carol (partition 2) act from the same "
                        "heads, then alice merges the partitions.", alice, NIGHT_RIDERS, t)
        s.join("bob asks to join", bob, t + 1 * m)
        s.event("alice approves bob", alice, "approve", {"applicant": bob.key}, t + 2 * m)
        s.event("alice makes bob an admin", alice, "role", {"member": bob.key, "grant": 1, "name": "admin"}, t + 3 * m)
        s.join("carol asks to join", carol, t + 4 * m)
        s.event("alice approves carol", alice, "approve", {"applicant": carol.key}, t + 5 * m)
        s.join("dave asks to join", dave, t + 6 * m)
        proposal = s.event("P: carol proposes to register ride-map", carol, "propose",
                           {"action": {"kind": "app", "add": 1, "name": "ride-map"}}, t + 7 * m)
        s.event("alice votes yes on P", alice, "vote", {"proposal": proposal, "choice": 1}, t + 8 * m)
        common = [s.event("bob votes no on P", bob, "vote", {"proposal": proposal, "choice": 0}, t + 9 * m)]
        ids = {}
        ids["a1"] = s.event("partition 1: alice suspends bob", alice, "suspend",
                            {"member": bob.key, "reason": "gone quiet"}, t + 10 * m, parents=common)
        ids["b1"] = s.event("partition 2: bob approves dave (void: bob is suspended before it in the order)", bob,
                            "approve", {"applicant": dave.key}, t + 11 * m, parents=common)
        ids["b2"] = s.event("partition 2: bob suspends alice (void)", bob, "suspend",
                            {"member": alice.key, "reason": ""}, t + 12 * m + k, parents=[ids["b1"]])
        ids["d1"] = s.event("partition 2: dave, a member there, proposes to register ride-map (void: dave is no "
                            "member)", dave, "propose", {"action": {"kind": "app", "add": 1, "name": "ride-map"}},
                            t + 13 * m, parents=[ids["b2"]])
        ids["a2"] = s.event("partition 1: alice enacts P at its deadline: 1 yes, 1 no, failed", alice, "enact",
                            {"proposal": proposal}, deadline, parents=[ids["a1"]])
        ids["b3"] = s.event("partition 2: carol votes yes on P at its deadline, as the enact (void: P was enacted "
                            "before it in the order)", carol, "vote", {"proposal": proposal, "choice": 1}, deadline,
                            parents=[ids["d1"]])
        ids["m1"] = s.event("alice, merging both partitions, approves dave", alice, "approve",
                            {"applicant": dave.key}, deadline + m)
        ids["m2"] = s.event("dave proposes to register ride-map again", dave, "propose",
                            {"action": {"kind": "app", "add": 1, "name": "ride-map"}}, deadline + 2 * m)
        return s, ids

    # The enact and the concurrent vote share a time, so the lesser id comes first. bob's suspension of alice
    # (an ancestor of the vote) moves by whole milliseconds until the enact's id is the lesser.
    for k in range(64):
        s, ids = build(k)
        if ids["a2"] < ids["b3"]:
            break
    assert ids["a2"] < ids["b3"]
    result = s.result()
    void = result["void"]
    assert [v["code"] for v in void] == ["notMember", "notMember", "notMember", "closed"], void
    assert [v["id"] for v in void] == [ids[n].hex() for n in ("b1", "b2", "d1", "b3")]
    # Other delivery orders of the same events (parents first): the same verdicts, state and void events.
    accepted = [bytes.fromhex(step["id"]) for step in result["steps"] if step["outcome"] == "accepted"]
    envelopes = {i: s.envelopes[i] for i in accepted}
    parents = {i: s.log.events[i][1]["parents"] for i in accepted}
    common = accepted[:accepted.index(ids["a1"])]
    partitions = [ids[n] for n in ("b1", "b2", "d1", "b3", "a1", "a2", "m1", "m2")]
    def topological(pick):
        taken, order = set(), []
        while len(order) < len(accepted):
            ready = sorted(i for i in accepted if i not in taken and all(q in taken for q in parents[i]))
            choice = pick(ready)
            taken.add(choice)
            order.append(choice)
        return order

    orders = [("partition 2 delivered before partition 1", common + partitions),
              ("the newest event first whenever the parents allow",
               topological(lambda ready: max(ready, key=lambda i: (s.log.events[i][1]["time"], i))))]
    import random

    rng = random.Random("community/permutations")
    while len(orders) < 6:
        order = topological(rng.choice)
        if order != accepted and all(order != o for _, o in orders):
            orders.append(("a random order with parents first, %d" % (len(orders) - 1), order))
    last_time = max(s.log.events[i][1]["time"] for i in accepted)
    permutations = []
    for name, order in orders:
        assert sorted(order) == sorted(accepted) and order != accepted, name
        assert all(all(order.index(q) < order.index(i) for q in parents[i]) for i in order)
        replica = CommunityLog(s.community)
        for i in order:
            assert replica.offer(envelopes[i], last_time + 500) == "accepted", name
        state, _, got_void = replica.fold()
        assert blake2b_256(state_bytes(state)).hex() == result["state_hash"]
        assert [{"id": i.hex(), "code": c} for i, c in got_void] == void
        permutations.append({"name": name, "now": last_time + 500, "delivery": [i.hex() for i in order],
                             "state_hash": result["state_hash"], "void": void})
    result["permutations"] = permutations
    return result


def invitation_scenario(p):
    alice, bob, carol, dave = (p[n] for n in ("alice", "bob", "carol", "dave"))
    m = MINUTE_MS
    t = TC + 3 * DAY * 1000
    s = LogScenario("invitation community", "care-circle: joining by invitation; alice creates it.", alice,
                    CARE_CIRCLE, t)
    s.event("alice invites bob", alice, "invite", {"invitee": bob.key}, t + 1 * m)
    s.join("bob joins with his invitation", bob, t + 2 * m)
    s.join("carol joins without an invitation", carol, t + 3 * m, "notInvited")
    s.event("alice invites bob, now a member", alice, "invite", {"invitee": bob.key}, t + 4 * m, "alreadyMember")
    s.event("alice invites dave", alice, "invite", {"invitee": dave.key}, t + 5 * m)
    s.join("dave joins with evidence, which this mode does not take", dave, t + 6 * m, "badEvidence",
           evidence=b"\x01")
    s.join("dave joins", dave, t + 7 * m)
    s.event("bob leaves", bob, "leave", {}, t + 8 * m)
    s.join("bob joins again: his invitation was used up", bob, t + 9 * m, "notInvited")
    s.event("alice invites bob again", alice, "invite", {"invitee": bob.key}, t + 10 * m)
    s.join("bob returns (his record is replaced)", bob, t + 11 * m)
    s.event("alice invites carol (left pending)", alice, "invite", {"invitee": carol.key}, t + 12 * m)
    return s.result()


def claim_scenario(p):
    alice, erin, frank = p["alice"], p["erin"], p["frank"]
    m = MINUTE_MS
    t = TC + 4 * DAY * 1000
    s = LogScenario("claim community",
                    "club-riders: joining with a presentation of a member.bike-club claim by the club's TCC, made to "
                    "the community's tcc1 text with the manifest hash as nonce; alice creates it.", alice,
                    CLUB_RIDERS, t)
    audience = bech32m_encode("tcc", s.community)
    nonce = s.manifest_hash
    other_seed = fixed_bytes("community/other-issuer")

    def presentation(subject, at, claim_type="member.bike-club", issuer_seed=CLUB_TCC_SEED, audience=audience,
                     nonce=nonce, issuer_kind="tcc", expires=T0 + YEAR):
        issuer = bech32m_encode(issuer_kind, ed25519_public(issuer_seed))
        claim = signed(issuer_seed, CLAIM_TYPE, claim_payload(issuer, bech32m_encode("persona", subject.key),
                                                              claim_type, b"true", T0, expires))
        return signed(subject.seed, CLAIM_PRESENTATION_TYPE, presentation_payload(audience, nonce, at // 1000, claim))

    s.join("erin joins with her presentation", erin, t + 1 * m, evidence=presentation(erin, t + 1 * m))
    s.join("frank joins with no evidence", frank, t + 2 * m, "badEvidence")
    s.join("frank presents for another nonce", frank, t + 3 * m, "badEvidence",
           evidence=presentation(frank, t + 3 * m, nonce=blake2b_256(BIKE_CLUB)))
    s.join("frank presents to another audience", frank, t + 4 * m, "badEvidence",
           evidence=presentation(frank, t + 4 * m, audience=bech32m_encode("tcc", fixed_bytes("community/elsewhere"))))
    s.join("frank presents a claim of another type", frank, t + 5 * m, "badEvidence",
           evidence=presentation(frank, t + 5 * m, claim_type="member.ski-club"))
    s.join("frank presents a claim by another issuer", frank, t + 6 * m, "badEvidence",
           evidence=presentation(frank, t + 6 * m, issuer_seed=other_seed))
    s.join("frank presents a claim by a persona with the club TCC's key", frank, t + 7 * m, "badEvidence",
           evidence=presentation(frank, t + 7 * m, issuer_kind="persona"))
    s.join("frank presents erin's presentation", frank, t + 8 * m, "badEvidence",
           evidence=presentation(erin, t + 8 * m))
    s.join("frank presents an expired claim", frank, t + 9 * m, "badEvidence",
           evidence=presentation(frank, t + 9 * m, expires=(t + 9 * m) // 1000))
    s.join("frank presents 301 s after his clock", frank, t + 10 * m, "badEvidence",
           evidence=presentation(frank, t + 10 * m - 301000))
    s.join("frank joins with his presentation", frank, t + 11 * m, evidence=presentation(frank, t + 11 * m))
    return s.result()


HARBOUR_RIDERS = fixed_bytes("community/harbour-riders")  # another member community (its log is not in the vectors)
OTHER_INSTITUTION = fixed_bytes("community/other-institution")


def institution_scenarios(p):
    """'Institutions': ride-commons (which decides its manifest, and so its affiliations, by vote) names its key for
    the institution cycling-alliance; the key founds the institution from alice's node first, then the community's
    proposal names the new institution's id. Returns the institution's log, the community's log and the two
    communities' keys (as people: their tcc the community id, their node the one holding the key)."""
    alice, bob, carol, dave, frank = (p[n] for n in ("alice", "bob", "carol", "dave", "frank"))
    m = MINUTE_MS
    t = TC + 5 * DAY * 1000
    c = LogScenario("affiliating community",
                    "ride-commons: open joining; its manifest, and so its affiliations, decided by quorum 0.5 and "
                    "threshold 0.6 within 1 h; alice creates it, and the key it names for cycling-alliance is held "
                    "by her node.", alice, RIDE_COMMONS, t)
    for k, person in enumerate((bob, carol, dave)):
        c.join("%s joins" % person.name, person, t + (1 + k) * m)
    keys = {"commons-key": CommunityPerson("commons-key", tcc=c.community, node=alice.node),
            "harbour-key": CommunityPerson("harbour-key", tcc=HARBOUR_RIDERS)}
    commons_key, harbour_key = keys["commons-key"], keys["harbour-key"]

    i = LogScenario("institution",
                    "cycling-alliance: an institution (group 2), every decision by an admin, joining by approval. "
                    "ride-commons's key creates it from alice's node (tcc: ride-commons's id); harbour-riders' key "
                    "joins naming that community's id, and is approved.", commons_key, CYCLING_ALLIANCE, t + 10 * m,
                    group=2)
    i.join("harbour-key asks to join for harbour-riders", harbour_key, t + 11 * m)
    i.event("commons-key, the institution's admin, affiliates it to another institution", commons_key, "affiliate",
            {"institution": OTHER_INSTITUTION, "key": commons_key.key, "node": commons_key.node,
             "manifest_hash": i.manifest_hash}, t + 12 * m, "invalidAction")
    i.event("commons-key disaffiliates the institution from another institution", commons_key, "disaffiliate",
            {"institution": OTHER_INSTITUTION}, t + 13 * m, "invalidAction")
    i.event("commons-key approves harbour-key", commons_key, "approve", {"applicant": harbour_key.key}, t + 14 * m)

    affiliation = {"institution": i.community, "key": commons_key.key, "node": alice.node,
                   "manifest_hash": i.manifest_hash}

    def affiliate(**changes):
        return {"action": dict(affiliation, kind="affiliate", **changes)}

    c.event("alice affiliates the community directly, where a vote is needed", alice, "affiliate", affiliation,
            t + 15 * m, "notAuthorized")
    p1 = c.event("P1: alice proposes to affiliate to cycling-alliance, commons-key held by her node", alice,
                 "propose", affiliate(), t + 16 * m)
    for k, (person, choice) in enumerate(((alice, 1), (bob, 1), (carol, 1), (dave, 0))):
        c.event("%s votes %s on P1" % (person.name, "yes" if choice else "no"), person, "vote",
                {"proposal": p1, "choice": choice}, t + (17 + k) * m)
    c.event("bob enacts P1 once everyone has voted: 3 yes, 1 no, passed; the community is affiliated", bob, "enact",
            {"proposal": p1}, t + 21 * m)
    c.event("carol proposes the key held by frank's node, which hosts no member", carol, "propose",
            affiliate(node=frank.node), t + 22 * m, "invalidAction")
    c.event("dave proposes the affiliation in force again", dave, "propose", affiliate(), t + 23 * m, "invalidAction")
    c.event("bob proposes to affiliate the community to itself", bob, "propose", affiliate(institution=c.community),
            t + 24 * m, "invalidAction")
    c.event("carol proposes to disaffiliate from an institution it has no affiliation to", carol, "propose",
            {"action": {"kind": "disaffiliate", "institution": OTHER_INSTITUTION}}, t + 25 * m, "invalidAction")
    c.event("P2: bob proposes that his node hold the key instead (left open)", bob, "propose",
            affiliate(node=bob.node), t + 26 * m)
    c.event("P3: dave proposes to disaffiliate from cycling-alliance (left open)", dave, "propose",
            {"action": {"kind": "disaffiliate", "institution": i.community}}, t + 27 * m)
    institution, community = i.result(), c.result()
    held = c.log.fold()[0].affiliations
    assert held == {i.community: affiliation_of(affiliation)} and i.manifest_hash == blake2b_256(CYCLING_ALLIANCE)
    assert institution["state"]["group"] == 2 and institution["state"]["affiliations"] == {}
    return institution, community, keys


def community_events(p, community):
    """One valid event of each kind (and a proposal of each action) -> payload, envelope, id."""
    alice, bob, carol, erin = p["alice"], p["bob"], p["carol"], p["erin"]
    t = TC + 10 * DAY * 1000
    parents = sorted(fixed_bytes("community/parent/%d" % i) for i in range(3))
    sixteen = sorted(fixed_bytes("community/parent/%d" % i) for i in range(16))
    out = []

    def add(name, person, kind, fields, parents=parents, community=community, time=t):
        payload, envelope, event_id = community_event(person, kind, fields, time, parents, community)
        author, ev = open_event(envelope)
        assert author == person.key and ev["fields"] == fields and ev["kind"] == kind, name
        out.append({"name": name, "author": bech32m_encode("persona", person.key), "author_seed_label": person.label,
                    "author_seed": person.seed.hex(), "fields": event_json(ev), "payload": payload.hex(),
                    "envelope": envelope.hex(), "id": event_id.hex()})

    club_hash = blake2b_256(BIKE_CLUB)
    add("create a community", alice, "create",
        {"group": 1, "tcc": alice.tcc, "node": alice.node, "manifest": BIKE_CLUB}, parents=(), community=ZERO_ID)
    add("create an institution", alice, "create",
        {"group": 2, "tcc": alice.tcc, "node": alice.node, "manifest": CARE_CIRCLE}, parents=(), community=ZERO_ID)
    add("join", bob, "join", {"manifest_hash": club_hash, "tcc": bob.tcc, "node": bob.node, "evidence": b""})
    add("join with 9518 bytes of evidence (opaque until applied)", bob, "join",
        {"manifest_hash": club_hash, "tcc": bob.tcc, "node": bob.node, "evidence": bytes(range(256)) * 37 + b"e" * 46})
    add("approve", alice, "approve", {"applicant": bob.key})
    add("reject with a reason", alice, "reject", {"applicant": bob.key, "reason": "not a club member"})
    add("reject with an empty reason", alice, "reject", {"applicant": bob.key, "reason": ""})
    add("reject with a 200-byte non-ASCII reason", alice, "reject", {"applicant": bob.key, "reason": "\u00e9" * 100})
    add("leave", bob, "leave", {})
    add("suspend", alice, "suspend", {"member": carol.key, "reason": "missed three rides \u2713"})
    add("reinstate", alice, "reinstate", {"member": carol.key})
    add("invite", alice, "invite", {"invitee": erin.key})
    add("grant a role", alice, "role", {"member": carol.key, "grant": 1, "name": "treasurer"})
    add("revoke a role of 64 characters", alice, "role",
        {"member": carol.key, "grant": 0, "name": "0" + "a._-" * 15 + "zzz"})
    add("register an app", alice, "app", {"add": 1, "name": "route-map"})
    add("remove an app", alice, "app", {"add": 0, "name": "route-map"})
    add("change the manifest", alice, "manifest", {"manifest": BIKE_CLUB_2})
    add("change to a manifest of 65536 bytes", alice, "manifest", {"manifest": LARGEST_MANIFEST})
    institution = fixed_bytes("community/an-institution")
    affiliation = {"institution": institution, "key": ed25519_public(fixed_bytes("community/commons-key")),
                   "node": alice.node, "manifest_hash": blake2b_256(CYCLING_ALLIANCE)}
    add("affiliate", alice, "affiliate", affiliation)
    add("disaffiliate", alice, "disaffiliate", {"institution": institution})
    actions = [
        {"kind": "approve", "applicant": bob.key},
        {"kind": "reject", "applicant": bob.key, "reason": "no"},
        {"kind": "suspend", "member": carol.key, "reason": ""},
        {"kind": "reinstate", "member": carol.key},
        {"kind": "invite", "invitee": erin.key},
        {"kind": "role", "member": carol.key, "grant": 1, "name": "moderator"},
        {"kind": "app", "add": 1, "name": "ride-map"},
        {"kind": "manifest", "manifest": RIDE_COMMONS_2},
        dict(kind="affiliate", **affiliation),
        {"kind": "disaffiliate", "institution": institution},
    ]
    for action in actions:
        add("propose: " + action["kind"], carol, "propose", {"action": action})
    proposal = fixed_bytes("community/a-proposal")
    add("vote yes", bob, "vote", {"proposal": proposal, "choice": 1})
    add("vote no", bob, "vote", {"proposal": proposal, "choice": 0})
    add("enact", carol, "enact", {"proposal": proposal})
    add("consent", bob, "consent", {"manifest_hash": blake2b_256(BIKE_CLUB_2)})
    add("an event with 16 parents", bob, "vote", {"proposal": proposal, "choice": 1}, parents=sixteen)
    add("time 0 and one parent", bob, "leave", {}, parents=parents[:1], time=0)
    assert {e["fields"]["kind"] for e in out} == set(EVENT_KINDS.values())
    return out


def community_invalid_events(p, community):
    alice, bob = p["alice"], p["bob"]
    t = TC + 10 * DAY * 1000
    parents = sorted(fixed_bytes("community/parent/%d" % i) for i in range(3))
    approve = {"applicant": bob.key}
    out = []

    def bad(name, envelope, error):
        out.append({"name": name, "envelope": envelope.hex(), "error": error})

    def signed_payload(payload, seed=alice.seed, type_name=COMMUNITY_EVENT_TYPE):
        return signed(seed, type_name, payload)

    def ev(kind="approve", fields=approve, parents=parents, community=community, **changes):
        return event_payload(kind, community, t, parents, fields, **changes)

    def create(manifest=BIKE_CLUB, **changes):
        fields = {"group": 1, "tcc": alice.tcc, "node": alice.node, "manifest": manifest}
        fields.update(changes.pop("fields", {}))
        return event_payload("create", changes.pop("community", ZERO_ID), t, changes.pop("parents", []), fields,
                             **changes)

    def join(evidence):
        return ev("join", {"manifest_hash": blake2b_256(BIKE_CLUB), "tcc": bob.tcc, "node": bob.node,
                           "evidence": evidence})

    good = signed_payload(ev())
    bad("signature with one bit flipped", flip_bit(good, signature_offset(COMMUNITY_EVENT_TYPE) + 3, 1), "badSignature")
    bad("payload with one bit flipped after signing", flip_bit(good, len(good) - 1, 0), "badSignature")
    bad("signed by another key than the signer field", good[:6 + len(COMMUNITY_EVENT_TYPE)] + bob.key
        + good[6 + len(COMMUNITY_EVENT_TYPE) + 32:], "badSignature")
    bad("another envelope type", signed_payload(ev(), type_name="oms/note"), "wrongType")
    bad("envelope version 2", good[:4] + b"\x02" + good[5:], "malformed")
    bad("payload version 2", signed_payload(ev(version=2)), "malformed")
    bad("payload version 0", signed_payload(ev(version=0)), "malformed")
    bad("kind 0", signed_payload(ev(kind_number=0)), "malformed")
    bad("kind 18", signed_payload(ev(kind_number=18)), "malformed")
    bad("empty payload", signed_payload(b""), "malformed")
    bad("payload cut inside the header", signed_payload(ev()[:40]), "malformed")
    bad("create with a parent", signed_payload(create(parents=parents[:1])), "malformed")
    bad("create with a non-zero community", signed_payload(create(community=community)), "malformed")
    bad("approve naming no community", signed_payload(ev(community=ZERO_ID)), "malformed")
    bad("create of group 0", signed_payload(create(fields={"group": 0})), "malformed")
    bad("create of group 3", signed_payload(create(fields={"group": 3})), "malformed")
    bad("approve with no parents", signed_payload(ev(parents=[])), "malformed")
    bad("17 parents", signed_payload(ev(parents=sorted(fixed_bytes("community/parent/%d" % i) for i in range(17)))),
        "malformed")
    bad("parents not ascending", signed_payload(ev(parents=[parents[1], parents[0]])), "malformed")
    bad("a repeated parent", signed_payload(ev(parents=[parents[0], parents[0], parents[1]])), "malformed")
    bad("parent count larger than the parents present", signed_payload(ev(parent_count=4)), "malformed")
    bad("one trailing byte", signed_payload(ev() + b"\x00"), "malformed")
    bad("applicant cut to 31 bytes", signed_payload(ev()[:-1]), "malformed")
    bad("leave with a body", signed_payload(ev("leave", {}, body=b"\x00")), "malformed")
    affiliation = {"institution": fixed_bytes("community/an-institution"), "key": bob.key, "node": alice.node,
                   "manifest_hash": blake2b_256(CYCLING_ALLIANCE)}
    bad("affiliate cut to 127 bytes", signed_payload(ev("affiliate", affiliation)[:-1]), "malformed")
    bad("affiliate with its manifest hash missing", signed_payload(ev("affiliate", affiliation)[:-32]), "malformed")
    bad("disaffiliate with a trailing byte",
        signed_payload(ev("disaffiliate", {"institution": affiliation["institution"]}) + b"\x00"), "malformed")
    bad("role grant 2", signed_payload(ev("role", {"member": bob.key, "grant": 2, "name": "admin"})), "malformed")
    bad("app add 2", signed_payload(ev("app", {"add": 2, "name": "route-map"})), "malformed")
    bad("vote choice 2", signed_payload(ev("vote", {"proposal": parents[0], "choice": 2})), "malformed")
    bad("role name with a capital letter", signed_payload(ev("role", {"member": bob.key, "grant": 1, "name": "Admin"})),
        "malformed")
    bad("empty role name", signed_payload(ev("role", {"member": bob.key, "grant": 1, "name": ""})), "malformed")
    bad("app name starting with '-'", signed_payload(ev("app", {"add": 1, "name": "-map"})), "malformed")
    bad("app name of 65 characters", signed_payload(ev("app", {"add": 1, "name": "a" * 65})), "malformed")
    bad("name length running past the payload", signed_payload(ev("app", {"add": 1, "name": "map"})[:-1]),
        "malformed")
    bad("reason with a line feed", signed_payload(ev("reject", {"applicant": bob.key, "reason": "no\nthanks"})),
        "malformed")
    bad("reason with U+0085", signed_payload(ev("suspend", {"member": bob.key, "reason": "no\u0085"})), "malformed")
    bad("reason of 201 bytes", signed_payload(ev("reject", {"applicant": bob.key, "reason": "r" * 201})), "malformed")
    bad("reason not UTF-8", signed_payload(ev("reject", {"applicant": bob.key, "reason": b"caf\xe9"})), "malformed")
    bad("join evidence length past the payload",
        signed_payload(ev("join", {}, body=blake2b_256(BIKE_CLUB) + bob.tcc + bob.node + struct.pack(">I", 5) + b"ab")),
        "malformed")
    bad("join evidence of 9519 bytes", signed_payload(join(b"e" * (COMMUNITY_EVIDENCE_MAXIMUM + 1))), "malformed")
    bad("payload of 66561 bytes", signed_payload(join(b"e" * (COMMUNITY_MAXIMUM_PAYLOAD + 1 - len(join(b""))))),
        "malformed")
    for name, manifest in BAD_MANIFESTS:
        try:
            read_manifest(manifest)
            raise AssertionError(name)
        except ManifestInvalid:
            pass
        bad("manifest event, manifest " + name, signed_payload(ev("manifest", {"manifest": manifest})), "malformed")
    bad("create, manifest with no name", signed_payload(create(BAD_MANIFESTS[0][1])), "malformed")
    bad("manifest length past the payload", signed_payload(ev("manifest", {}, body=manifest_field(BIKE_CLUB, 4000))),
        "malformed")
    for number in (0, 1, 2, 5, 12, 13, 14, 15, 18):
        body = bytes([number]) + (bob.key if number not in (1, 2, 5) else b"")
        bad("propose with action kind %d" % number, signed_payload(ev("propose", {}, body=body)), "malformed")
    bad("propose of an affiliate cut to 96 bytes",
        signed_payload(ev("propose", {"action": dict(kind="affiliate", **affiliation)})[:-32]), "malformed")
    bad("propose with a trailing byte after the action",
        signed_payload(ev("propose", {"action": {"kind": "approve", "applicant": bob.key}}) + b"\x00"), "malformed")
    bad("propose of a manifest that is not one",
        signed_payload(ev("propose", {"action": {"kind": "manifest", "manifest": BAD_MANIFESTS[1][1]}})), "malformed")
    for case in out:
        envelope = bytes.fromhex(case["envelope"])
        got = refusal(open_event, envelope)
        assert got == case["error"], (case["name"], got)
    assert len(bytes.fromhex(out[[c["name"] for c in out].index("payload of 66561 bytes")]["envelope"])) == (
        106 + len(COMMUNITY_EVENT_TYPE) + COMMUNITY_MAXIMUM_PAYLOAD + 1)
    return out


# Community reports (section 15, 'Institutions'): a member community's key answering the institution's question.

COMMUNITY_REPORT_TYPE = "oms/community-report"
COMMUNITY_REPORT_MAXIMUM_PAYLOAD = (1 + 32 + 32 + 8 + 4 + 4 + 1 + (1 + 2 + 8 * ANSWER_MAXIMUM_VALUES)
                                    + (1 + COMMUNITY_REASON_MAXIMUM))
assert COMMUNITY_REPORT_MAXIMUM_PAYLOAD == 8294


def report_payload(query, community, reported, asked, answered, value=None, reason="", version=1, has_value=None):
    """value: None (withheld) or the bytes of a tag and its value; every field as given, nothing checked."""
    return (bytes([version]) + query + community + struct.pack(">QII", reported, asked, answered)
            + bytes([int(value is not None) if has_value is None else has_value]) + (value or b"")
            + len8(as_bytes(reason)))


def decode_report(payload):
    r = PayloadReader(payload)
    r.version_1()
    report = {"query": r.take(32), "community": r.take(32), "reported": r.u64(), "asked": r.u32(),
              "answered": r.u32()}
    report["value"] = read_answer_value(r, tags=(1, 2)) if read_flag(r) else None
    report["reason"] = read_reason(r)
    r.end()
    if report["answered"] > report["asked"]:
        raise Refused("malformed")
    return report


def open_report(envelope):
    """'Opening a report': (signer, report), or Refused(malformed | wrongType | badSignature)."""
    signer, payload = open_envelope(envelope, COMMUNITY_REPORT_TYPE, COMMUNITY_REPORT_MAXIMUM_PAYLOAD)
    return signer, decode_report(payload)


def report_json(report):
    return {"query": report["query"].hex(), "community": bech32m_encode("tcc", report["community"]),
            "community_hex": report["community"].hex(), "reported": report["reported"], "asked": report["asked"],
            "answered": report["answered"],
            "value": None if report["value"] is None else answer_value_json(**report["value"]),
            "reason": report["reason"]}


def institution_question(logs, people, module="count"):
    """(envelope, asked): the institution's question of the vectors. A minute after the affiliating community's
    log ends, harbour-key, a member of cycling-alliance, asks ride-commons (by its id) a module of steps over the
    last week."""
    affiliating = next(log for log in logs if log["name"] == "affiliating community")
    harbour = people["harbour-key"]
    asked = affiliating["steps"][-1]["now"] + 60000
    return signed(harbour.seed, QUERY_TYPE, query_payload(
        bech32m_encode("persona", harbour.key), affiliating["community"],
        fixed_bytes("community/question/alliance-" + module), module, "steps", asked, asked + 60000,
        window=(asked - 7 * DAY * 1000, asked), purpose="cycling-alliance weekly steps")), asked


def community_reports(logs, people):
    """ride-commons's reports, signed by its key for cycling-alliance, each for the institution's question of
    its module -> payload, envelope, id, and the fields opening it gives back."""
    key = people["commons-key"]
    out = []

    def add(name, module, asked, answered, value=None, reason=""):
        """value: None (withheld) or (tag, numbers)."""
        question, at = institution_question(logs, people, module)
        query, reported = blake2b_256(question), at + 2000
        payload = report_payload(query, key.tcc, reported, asked, answered,
                                 None if value is None else bytes([value[0]]) + answer_value(*value), reason)
        envelope = signed(key.seed, COMMUNITY_REPORT_TYPE, payload)
        signer, report = open_report(envelope)
        assert signer == key.key and report_json(report) == report_json({  # as JSON, where NaN is its bits
            "query": query, "community": key.tcc, "reported": reported, "asked": asked, "answered": answered,
            "value": None if value is None else {"tag": value[0], "numbers": value[1], "yes": None, "records": None},
            "reason": reason}), name
        out.append({"name": name, "signer": bech32m_encode("persona", key.key), "signer_seed_label": key.label,
                    "signer_seed": key.seed.hex(), "fields": report_json(report), "payload": payload.hex(),
                    "envelope": envelope.hex(), "id": blake2b_256(envelope).hex()})

    add("a count of steps, 3 of 4 members counted", "count", 4, 3, (1, (152047.5,)))
    add("a histogram's counts, bin by bin, with noise", "histogram", 4, 4, (2, (3.0, 0.0, 12.25, -1.5)))
    add("no histogram bins", "histogram", 4, 3, (2, ()))
    add("1001 counts", "histogram", 4, 4, (2, tuple(float(i % 5) for i in range(ANSWER_MAXIMUM_VALUES))))
    add("the mean of no records is NaN", "mean", 4, 3, (1, (float("nan"),)))
    add("withheld: too few members answered", "count", 4, 2,
        reason="2 of 4 members answered; ride-commons asks for at least 3")
    add("withheld with an empty reason", "mean", 4, 0)
    add("withheld with a 200-byte non-ASCII reason, nobody asked", "count", 0, 0, reason="\u00e9" * 100)
    assert len(bytes.fromhex(out[3]["payload"])) == COMMUNITY_REPORT_MAXIMUM_PAYLOAD - COMMUNITY_REASON_MAXIMUM
    return out


def community_invalid_reports(logs, people):
    key = people["commons-key"]
    question, at = institution_question(logs, people)
    out = []

    def bad(name, envelope, error):
        out.append({"name": name, "envelope": envelope.hex(), "error": error})

    def rp(value=bytes([1]) + f64(152047.5), **changes):
        fields = dict(query=blake2b_256(question), community=key.tcc, reported=at + 2000, asked=4, answered=3,
                      value=value)
        fields.update(changes)
        return report_payload(**fields)

    def key_signed(payload, seed=key.seed, type_name=COMMUNITY_REPORT_TYPE):
        return signed(seed, type_name, payload)

    good = key_signed(rp())
    withheld = dict(value=None, answered=2, reason="too few answered")
    bad("signature with one bit flipped", flip_bit(good, signature_offset(COMMUNITY_REPORT_TYPE) + 5, 3),
        "badSignature")
    bad("payload with one bit flipped after signing", flip_bit(good, len(good) - 2, 0), "badSignature")
    bad("signed by another key than the signer field", good[:6 + len(COMMUNITY_REPORT_TYPE)] + people["alice"].key
        + good[6 + len(COMMUNITY_REPORT_TYPE) + 32:], "badSignature")
    bad("another envelope type", key_signed(rp(), type_name=ANSWER_TYPE), "wrongType")
    bad("an envelope cut by one byte", good[:-1], "malformed")
    bad("report version 2", key_signed(rp(version=2)), "malformed")
    bad("report version 0", key_signed(rp(version=0)), "malformed")
    bad("answered above asked", key_signed(rp(asked=3, answered=4)), "malformed")
    bad("one trailing byte", key_signed(rp() + b"\x00"), "malformed")
    bad("cut inside the value", key_signed(rp()[:-4]), "malformed")
    bad("no reason length", key_signed(rp()[:-1]), "malformed")
    bad("has_value 2", key_signed(rp(has_value=2)), "malformed")
    bad("has_value 0 but a value follows", key_signed(rp(has_value=0)), "malformed")
    bad("has_value 1 but no value", key_signed(rp(value=None, has_value=1)), "malformed")
    bad("value tag 0", key_signed(rp(value=bytes([0]) + f64(1.0))), "malformed")
    bad("value tag 3 (numbers)", key_signed(rp(value=bytes([3]) + value_list((1.0, 2.0)))), "malformed")
    bad("value tag 4 (yes/no)", key_signed(rp(value=bytes([4, 1]))), "malformed")
    bad("a number +infinity", key_signed(rp(value=bytes([1]) + f64(float("inf")))), "malformed")
    bad("a number -infinity", key_signed(rp(value=bytes([1]) + f64(float("-inf")))), "malformed")
    bad("a number NaN with another bit pattern", key_signed(rp(value=bytes([1]) + bytes.fromhex("fff8000000000000"))),
        "malformed")
    bad("counts with a NaN", key_signed(rp(value=bytes([2]) + value_list((1.0, float("nan"))))), "malformed")
    bad("counts with +infinity", key_signed(rp(value=bytes([2]) + value_list((float("inf"),)))), "malformed")
    bad("1002 counts", key_signed(rp(value=bytes([2]) + value_list((0.0,) * (ANSWER_MAXIMUM_VALUES + 1)))),
        "malformed")
    bad("counts count beyond the payload", key_signed(rp(value=bytes([2]) + value_list((1.0,), count=3))),
        "malformed")
    bad("a reason with a control character", key_signed(rp(**dict(withheld, reason="too few\tanswered"))),
        "malformed")
    bad("a reason with U+0085", key_signed(rp(**dict(withheld, reason="too few\u0085"))), "malformed")
    bad("a reason of 201 bytes", key_signed(rp(**dict(withheld, reason="r" * 201))), "malformed")
    bad("a reason not UTF-8", key_signed(rp(**dict(withheld, reason=b"caf\xe9"))), "malformed")
    largest = rp(value=bytes([2]) + value_list((0.0,) * ANSWER_MAXIMUM_VALUES), reason="r" * 200)
    assert len(largest) == COMMUNITY_REPORT_MAXIMUM_PAYLOAD and open_report(key_signed(largest))
    bad("payload of 8295 bytes (the largest layout and a trailing byte)", key_signed(largest + b"\x00"),
        "malformed")
    for case in out:
        got = refusal(open_report, bytes.fromhex(case["envelope"]))
        assert got == case["error"], (case["name"], got)
    return out


# Community frames (section 15, 'Sync over the wire'), hand-encoded like frames(): each message's fields by
# number as oms.proto declares them, in field-number order, proto3 defaults omitted.

COMMUNITY_FRAME_BODIES = {
    # Frame.body field number -> (body name, {field number: (name, kind)}); kind "bytes*" is repeated.
    5: ("error", {1: ("code", "varint"), 2: ("message", "string")}),
    10: ("community_describe", {1: ("community", "bytes")}),
    11: ("community_description", {1: ("community", "bytes"), 2: ("create_event", "bytes"),
                                   3: ("manifest", "bytes"), 4: ("heads", "bytes*")}),
    12: ("community_sync", {1: ("community", "bytes"), 2: ("heads", "bytes*")}),
    13: ("community_events", {1: ("community", "bytes"), 2: ("events", "bytes*"), 3: ("complete", "bool")}),
    14: ("community_push", {1: ("community", "bytes"), 2: ("events", "bytes*")}),
    15: ("community_ack", {1: ("community", "bytes"), 2: ("accepted", "varint"), 3: ("refused", "refusal*")}),
    16: ("community_question", {1: ("community", "bytes"), 2: ("query", "bytes"), 3: ("institution", "bytes"),
                                4: ("min_count", "varint"), 5: ("epsilon", "double"), 6: ("budget", "double")}),
    17: ("community_kept_request", {1: ("community", "bytes"), 2: ("member", "bytes")}),
    18: ("community_kept", {1: ("community", "bytes"), 2: ("member", "bytes"), 3: ("answers", "bytes*")}),
    # A community question is answered with section 13's QueryResponse (Frame.body field 9, `answer`).
    9: ("answer", {1: ("envelope", "bytes")}),
}
EVENT_REFUSAL_FIELDS = {1: ("id", "bytes"), 2: ("code", "string"), 3: ("reason", "string")}


def pb_encode_fields(schema, values):
    out = b""
    for number in sorted(schema):
        name, kind = schema[number]
        value = values[name]
        if kind == "varint":
            out += pb_varint_field(number, value)
        elif kind == "bool":
            out += pb_varint_field(number, 1 if value else 0)
        elif kind == "string":
            out += pb_string_field(number, value)
        elif kind == "double":
            out += pb_double_field(number, struct.unpack(">d", bytes.fromhex(value))[0])
        elif kind == "bytes":
            out += pb_bytes_field(number, bytes.fromhex(value))
        elif kind == "bytes*":
            # A repeated bytes element is written even when empty (it is not a default).
            out += b"".join(varint(number << 3 | 2) + varint(len(v) // 2) + bytes.fromhex(v) for v in value)
        elif kind == "refusal*":
            out += b"".join(pb_message_field(number, pb_encode_fields(EVENT_REFUSAL_FIELDS, r)) for r in value)
        else:
            raise AssertionError(kind)
    return out


def community_frame(name, request_id, body, **values):
    """{name, request_id, body, the body's fields, bytes}: every field of the body is listed, defaults included."""
    number = next(n for n, (b, _) in COMMUNITY_FRAME_BODIES.items() if b == body)
    schema = COMMUNITY_FRAME_BODIES[number][1]
    assert sorted(values) == sorted(name for name, _ in schema.values()), (body, values)
    encoded = pb_varint_field(1, request_id) + pb_message_field(number, pb_encode_fields(schema, values))
    return dict(name=name, request_id=str(request_id), body=body, **values, bytes=encoded.hex())


def pb_read(data):
    """A second reading: [(number, value)] with value an int (varint), a float (64-bit, a double) or bytes
    (length-delimited); raises ValueError on anything else or a truncation."""
    out, i = [], 0

    def read_varint():
        nonlocal i
        shift = value = 0
        while True:
            if i >= len(data) or shift > 63:
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            out.append((number, read_varint()))
        elif wire == 1:
            if i + 8 > len(data):
                raise ValueError("truncated double")
            out.append((number, struct.unpack("<d", data[i:i + 8])[0]))
            i += 8
        elif wire == 2:
            n = read_varint()
            if i + n > len(data):
                raise ValueError("truncated field")
            out.append((number, data[i:i + n]))
            i += n
        else:
            raise ValueError("wire type %d" % wire)
    return out


def pb_decode_fields(schema, data):
    """The fields of schema from data, defaults where absent; checks field-number order and omitted defaults."""
    fields = pb_read(data)
    numbers = [n for n, _ in fields]
    assert numbers == sorted(numbers), numbers
    out = {}
    for number, (name, kind) in schema.items():
        got = [v for n, v in fields if n == number]
        if kind.endswith("*"):
            out[name] = [v.hex() if kind == "bytes*" else pb_decode_fields(EVENT_REFUSAL_FIELDS, v) for v in got]
            continue
        assert len(got) <= 1, name
        if kind in ("varint", "bool"):
            value = got[0] if got else 0
            assert not got or (isinstance(got[0], int) and got[0] != 0), name
            out[name] = bool(value) if kind == "bool" else value
            assert kind != "bool" or value in (0, 1)
        elif kind == "double":
            assert not got or (isinstance(got[0], float) and got[0] != 0), name
            out[name] = f64(got[0] if got else 0.0).hex()
        else:
            assert not got or isinstance(got[0], bytes), name
            assert not got or len(got[0]) > 0, name
            raw = got[0] if got else b""
            out[name] = raw.decode("utf-8") if kind == "string" else raw.hex()
    assert set(numbers) <= set(schema), numbers
    return out


def read_community_frame(data):
    """(request_id, body, fields) of Frame bytes whose body is one of COMMUNITY_FRAME_BODIES."""
    fields = pb_read(data)
    assert [n for n, _ in fields] in ([1, fields[-1][0]], [fields[-1][0]]), fields
    request_id = fields[0][1] if fields[0][0] == 1 else 0
    assert request_id != 0 or fields[0][0] != 1
    body, schema = COMMUNITY_FRAME_BODIES[fields[-1][0]]
    return request_id, body, pb_decode_fields(schema, fields[-1][1])


def replay(log, steps):
    """A replica of log fed the given steps, each at its clock reading, with the outcomes the file records."""
    replica = CommunityLog(bytes.fromhex(log["community_hex"]))
    for step in steps:
        assert replica.offer(bytes.fromhex(step["event"]), step["now"]) == step["outcome"], step["name"]
    return replica


def step_index(log, name):
    return [step["name"] for step in log["steps"]].index(name)


def community_frames(logs, people):
    admin, concurrency = logs[0], logs[2]
    assert admin["name"] == "admin-run approval community" and concurrency["name"] == "concurrency"
    frames = []

    # The concurrency log just before the merge: two heads, one per partition.
    merge = step_index(concurrency, "alice, merging both partitions, approves dave")
    held = replay(concurrency, concurrency["steps"][:merge])
    community = concurrency["community_hex"]
    envelope = {bytes.fromhex(s["id"]): s["event"] for s in concurrency["steps"]}
    heads = held.heads()
    assert len(heads) == 2 and [h.hex() for h in heads] == concurrency["steps"][merge - 1]["heads"]
    state, order, _ = held.fold()
    create = concurrency["steps"][0]["event"]
    assert order[0] == bytes.fromhex(concurrency["steps"][0]["id"])
    frames.append(community_frame("describe", 1, "community_describe", community=community))
    frames.append(community_frame(
        "its description: the create event, the manifest in force, two heads", 1, "community_description",
        community=community, create_event=create, manifest=state.manifest.hex(), heads=[h.hex() for h in heads]))

    # A requester holding nothing gets the log from the start, in order; this responder stops where the
    # events taken so far have two heads (the common past and each partition's first event).
    def heads_of(ids):
        named = {p for i in ids for p in held.events[i][1]["parents"]}
        return sorted(i for i in ids if i not in named)

    split = next(k for k in range(1, len(order)) if len(heads_of(order[:k])) == 2)
    frames.append(community_frame("sync with no heads", 2, "community_sync", community=community, heads=[]))
    frames.append(community_frame(
        "the first %d events, more to come" % split, 2, "community_events", community=community,
        events=[envelope[i] for i in order[:split]], complete=False))
    requester_heads = heads_of(order[:split])
    lacking = [i for i in order if i not in held.ancestors(requester_heads)]
    assert lacking == order[split:]
    frames.append(community_frame(
        "sync again with the two new heads", 3, "community_sync", community=community,
        heads=[h.hex() for h in requester_heads]))
    frames.append(community_frame(
        "the remaining %d events, complete" % len(lacking), 3, "community_events", community=community,
        events=[envelope[i] for i in lacking], complete=True))

    # alice's merge and dave's proposal over it, pushed to the replica above.
    pushed = concurrency["steps"][merge:merge + 2]
    assert [held.offer(bytes.fromhex(s["event"]), pushed[-1]["now"]) for s in pushed] == ["accepted", "accepted"]
    frames.append(community_frame("push of two events", 4, "community_push", community=community,
                                  events=[s["event"] for s in pushed]))
    frames.append(community_frame("both accepted", 4, "community_ack", community=community, accepted=2,
                                  refused=[]))

    # Five events of the admin-run community pushed at once to a replica holding the log before them.
    first = step_index(admin, "alice approves carol")
    pushed = admin["steps"][first:first + 5]
    assert pushed[-1]["name"] == "alice approves dave, no longer an applicant"
    receiver = replay(admin, admin["steps"][:first])
    outcomes = [receiver.offer(bytes.fromhex(s["event"]), pushed[-1]["now"]) for s in pushed]
    assert outcomes == ["accepted", "accepted", "notAuthorized", "accepted", "notApplicant"], outcomes
    assert outcomes == [s["outcome"] for s in pushed]
    reasons = {"notAuthorized": "carol is not an admin, and an admin decides admissions", "notApplicant": ""}
    frames.append(community_frame("push of five events", 1000, "community_push",
                                  community=admin["community_hex"], events=[s["event"] for s in pushed]))
    frames.append(community_frame(
        "three accepted, two refused (one without a reason)", 1000, "community_ack",
        community=admin["community_hex"], accepted=outcomes.count("accepted"),
        refused=[{"id": s["id"], "code": o, "reason": reasons[o]} for s, o in zip(pushed, outcomes) if o != "accepted"]))

    # A community question ('Community questions'): at the end of the admin-run log, alice (an active member whom
    # the manifest's access lets ask a count of steps) asks bob's TCC (an active member consenting to the terms in
    # force, whose consent covers count of steps); bob's node answers with his TCC's signed answer.
    alice, bob = people["alice"], people["bob"]
    state, _, _ = replay(admin, admin["steps"]).fold()
    asker, target = state.members[alice.key], state.members[bob.key]
    assert asker["status"] == target["status"] == "active" and target["consented"] == state.consent_epoch
    assert (target["tcc"], target["node"]) == (bob.tcc, bob.node)
    assert any(a["who"] == "members" and "steps" in a["streams"] and "count" in a["answers"]
               for a in yaml.safe_load(state.manifest.decode("utf-8"))["access"])
    assert any(c[0] == "steps" and "count" in c[1] for c in state.rules["consent"])
    asked = admin["steps"][-1]["now"] + 60000
    query = signed(alice.seed, QUERY_TYPE, query_payload(
        bech32m_encode("persona", alice.key), bech32m_encode("tcc", bob.tcc), fixed_bytes("community/question/steps"),
        "count", "steps", asked, asked + 60000, window=(asked - 7 * DAY * 1000, asked), purpose="weekly steps"))
    answered = asked + 250
    accept_query(query, answered, {bob.tcc})
    answer = signed(fixed_bytes(bob.label + "/tcc"), ANSWER_TYPE, answer_payload(
        blake2b_256(query), bech32m_encode("tcc", bob.tcc), answered, 1, f64(412.0), rules=("bike-club-steps",)))
    assert check_response(answer, query, bob.node) == "answer"
    frames.append(community_frame("alice asks bob's tcc a count of steps", 7, "community_question",
                                  community=admin["community_hex"], query=query.hex(), institution="", min_count=0,
                                  epsilon=f64(0.0).hex(), budget=f64(0.0).hex()))
    frames.append(community_frame("bob's tcc answers it", 7, "answer", envelope=answer.hex()))
    # Bob's node asks alice's node for what it keeps of bob: that answer.
    frames.append(community_frame("bob's node asks what is kept of him", 8, "community_kept_request",
                                  community=admin["community_hex"], member=bob.key.hex()))
    frames.append(community_frame("what alice's node keeps of bob", 8, "community_kept",
                                  community=admin["community_hex"], member=bob.key.hex(), answers=[answer.hex()]))

    # An institution's question relayed ('Institutions'): harbour-key asks ride-commons (by its id) through
    # alice's node, which holds commons-key; that node asks its community as commons-key, the key its affiliation
    # names, carrying the institution's id and its consent entry's terms, and bob's TCC answers under the stricter of them and the
    # community's own (epsilon 0.5 from the institution, min-count 3 from the community).
    institution_log, affiliating = (next(log for log in logs if log["name"] == name)
                                    for name in ("institution", "affiliating community"))
    key = people["commons-key"]
    institution = replay(institution_log, institution_log["steps"]).fold()[0]
    state = replay(affiliating, affiliating["steps"]).fold()[0]
    member = institution.members[key.key]
    assert institution.group == 2 and state.group == 1
    assert member["status"] == "active" and member["consented"] == institution.consent_epoch
    assert (member["tcc"], member["node"]) == (state.community, alice.node)
    assert state.affiliations[institution.community] == {"key": key.key, "node": alice.node,
                                                         "manifest_hash": institution.manifest_hash}
    target = state.members[bob.key]
    assert target["status"] == "active" and key.key not in state.members
    assert target["consented"] == state.consent_epoch and (target["tcc"], target["node"]) == (bob.tcc, bob.node)
    _, _, min_count, epsilon, budget = next(c for c in institution.rules["consent"] if c[0] == "steps")
    assert "count" in next(c for c in state.rules["consent"] if c[0] == "steps")[1]
    question, asked = institution_question(logs, people)
    relayed = signed(key.seed, QUERY_TYPE, query_payload(
        bech32m_encode("persona", key.key), bech32m_encode("tcc", bob.tcc),
        fixed_bytes("community/question/alliance-count/bob"), "count", "steps", asked + 100, asked + 60000,
        window=(asked - 7 * DAY * 1000, asked), purpose="cycling-alliance weekly steps"))
    answered = asked + 350
    accept_query(relayed, answered, {bob.tcc})
    answer = signed(fixed_bytes(bob.label + "/tcc"), ANSWER_TYPE, answer_payload(
        blake2b_256(relayed), bech32m_encode("tcc", bob.tcc), answered, 1, f64(51234.75), epsilon=epsilon,
        rules=("commons-steps",)))
    assert check_response(answer, relayed, bob.node) == "answer"
    assert accept_query(question, asked, {state.community})["requester"] == people["harbour-key"].key
    frames.append(community_frame(
        "alice's node asks bob's tcc for cycling-alliance as commons-key, carrying its terms", 9, "community_question",
        community=affiliating["community_hex"], query=relayed.hex(), institution=institution.community.hex(),
        min_count=min_count, epsilon=f64(epsilon).hex(), budget=f64(budget).hex()))
    frames.append(community_frame("bob's tcc answers it under those terms", 9, "answer", envelope=answer.hex()))

    frames.append(community_frame("error unknown community, answering a describe", 5, "error", code=10,
                                  message="this node holds no community with that id"))
    frames.append(community_frame("error not a member, answering a sync", 6, "error", code=11,
                                  message="this community's log is served only to the nodes of its members and applicants"))
    return frames


def check_community_frames(frames):
    bodies = {body for body, _ in COMMUNITY_FRAME_BODIES.values()}
    for case in frames:
        request_id, body, fields = read_community_frame(bytes.fromhex(case["bytes"]))
        assert str(request_id) == case["request_id"] != "0" and body == case["body"], case["name"]
        assert dict(name=case["name"], request_id=case["request_id"], body=body, **fields,
                    bytes=case["bytes"]) == case, case["name"]
        for event in fields.get("events", []) + ([fields["create_event"]] if "create_event" in fields else []):
            open_event(bytes.fromhex(event))
    assert {c["body"] for c in frames} == bodies
    # Each community question is a valid oms/query, and the answer with its request_id checks against it.
    questions = {c["request_id"]: bytes.fromhex(c["query"]) for c in frames if c["body"] == "community_question"}
    for case in frames:
        if case["body"] == "community_question":
            signer, payload = open_envelope(questions[case["request_id"]], QUERY_TYPE, QUERY_MAXIMUM_PAYLOAD)
            assert decode_query(payload)["requester"] == signer, case["name"]
        elif case["body"] == "answer":
            query = questions[case["request_id"]]
            target = decode_query(read_envelope(query, QUERY_MAXIMUM_PAYLOAD)[3])["target"]
            assert check_response(bytes.fromhex(case["envelope"]), query, target) == "answer", case["name"]
    assert {c["code"] for c in frames if c["body"] == "error"} == {10, 11}
    assert {c["complete"] for c in frames if c["body"] == "community_events"} == {False, True}
    names = [c["name"] for c in frames]
    assert len(names) == len(set(names))


def community():
    people = community_people()
    for name, raw in COMMUNITY_MANIFESTS.items():
        read_manifest(raw)
    assert len(LARGEST_MANIFEST) == MANIFEST_MAXIMUM
    logs = [admin_scenario(people), voting_scenario(people), concurrency_scenario(people),
            invitation_scenario(people), claim_scenario(people)]
    institution, affiliating, keys = institution_scenarios(people)
    logs += [institution, affiliating]
    people.update(keys)
    community_id = bytes.fromhex(logs[0]["community_hex"])
    return {
        "description": (
            "Community logs (protocol-spec/README.md, 'Community manifests' and 'Community logs', with "
            "'Institutions'); times are Unix milliseconds. limits: the maximum event payload, parents per event and "
            "how far ahead of a replica's clock an event may be, and the maximum payload of a community report. "
            "manifests: name -> the exact text (UTF-8) and its BLAKE2b-256; events name manifests by these names. "
            "people: the personas of the vectors (seed_label is what the generator derives the seed from; tcc and "
            "node are what their joins or creates name: for commons-key and harbour-key, two communities' keys in "
            "an institution, the community's id and the node holding the key). events: an oms/community-event "
            "signed with author_seed whose payload is built from fields MUST be exactly payload and envelope, "
            "and id its BLAKE2b-256; opening it MUST give back fields. invalid_events: opening envelope as an "
            "event MUST fail with error (malformed, wrongType, badSignature). logs: a replica of community, empty "
            "at first, offered each step's event with its clock at now, MUST answer outcome ('accepted' or the "
            "code refusing it) and then hold heads (ascending) and state_hash (of the fold of every event it "
            "holds). At the end: order (the fold's order), void (events accepted but void in that order, with "
            "their code), state_hash and state_bytes (the hash's input), and state, a readable form for debugging. "
            "permutations: other delivery orders (event ids, parents first) of the accepted events, each offered "
            "with the clock at now: every event MUST be accepted, and the final state_hash and void MUST be the "
            "same. The logs institution (cycling-alliance, group 2: its members are communities' keys, and an "
            "affiliate there is invalidAction) and affiliating community (ride-commons, whose affiliate and "
            "disaffiliate actions go by its manifest rule, a vote) are the two sides of 'Institutions': the key "
            "creates the institution, then the community's proposal names it; state.affiliations maps each "
            "institution (tcc1 text) to the key (persona1), node (node1) and manifest_hash. frames: Frames of "
            "section 15's 'Sync over the wire' and 'Community questions' (and two Errors), "
            "each encoded with fields in field-number order and proto3 defaults omitted MUST be exactly bytes, and "
            "decoding bytes MUST give them back. body names the set case of Frame.body; the body's fields follow, "
            "every one listed, defaults included (complete false, an empty heads or refused), bytes fields in hex, "
            "events and create_event as envelope bytes, query as an oms/query envelope's bytes and envelope (of an "
            "answer, the QueryResponse) as an oms/answer's, error code as the ErrorCode number, request_id as a "
            "decimal string. The values are real: the concurrency log just before its merge (described, synced "
            "from nothing in two frames, then pushed the merge and the next event), five events of the admin-run "
            "log pushed at once, a question at the end of the admin-run log from one active member to another "
            "member's TCC (each consenting, the manifest's access and consent covering it) with its answer, and at "
            "the end of the affiliating community's log the question that alice's node, holding the community's "
            "key, relays for cycling-alliance to bob's TCC as that key, with bob's answer: it carries institution "
            "(the institution's id) and the terms of the institution's consent entry, min_count, and epsilon and "
            "budget (doubles, written as the 16 hex digits of their big-endian bits; all three 0 and institution "
            "empty in the other question). reports: an oms/community-report signed with signer_seed (derived from "
            "signer_seed_label; signer its persona1 text, ride-commons's key for cycling-alliance) whose payload "
            "is built from fields MUST be exactly payload and envelope, and id its BLAKE2b-256; opening it MUST "
            "give back fields: query (the object id of the institution's question of the value's module, hex), "
            "community (tcc1 text) and community_hex, reported, asked, answered, value (null when withheld, "
            "has_value 0; else as queries.json's answers write values: tag 1 or 2, numbers as the 16 hex digits "
            "of each f64's big-endian bits, yes and records null) and reason. invalid_reports: opening envelope "
            "as a community report MUST fail with error (malformed, wrongType, badSignature)."
        ),
        "limits": {
            "maximum_payload": COMMUNITY_MAXIMUM_PAYLOAD,
            "maximum_parents": COMMUNITY_MAXIMUM_PARENTS,
            "future_skew_ms": COMMUNITY_FUTURE_SKEW_MS,
            "maximum_manifest": MANIFEST_MAXIMUM,
            "maximum_reason": COMMUNITY_REASON_MAXIMUM,
            "maximum_evidence": COMMUNITY_EVIDENCE_MAXIMUM,
            "maximum_report_payload": COMMUNITY_REPORT_MAXIMUM_PAYLOAD,
        },
        "manifests": {name: {"text": raw.decode("utf-8"), "hash": blake2b_256(raw).hex()}
                      for name, raw in COMMUNITY_MANIFESTS.items()},
        "people": {name: person.json() for name, person in people.items()},
        "events": community_events(people, community_id),
        "invalid_events": community_invalid_events(people, community_id),
        "logs": logs,
        "frames": community_frames(logs, people),
        "reports": community_reports(logs, people),
        "invalid_reports": community_invalid_reports(logs, people),
    }


def check_community(content):
    """Every community.json vector again, from the file's own bytes, through the readers and the fold above."""
    for name, m in content["manifests"].items():
        raw = m["text"].encode("utf-8")
        assert blake2b_256(raw).hex() == m["hash"]
        read_manifest(raw)
    for case in content["events"]:
        envelope = bytes.fromhex(case["envelope"])
        author, ev = open_event(envelope)
        assert envelope.endswith(bytes.fromhex(case["payload"])) and blake2b_256(envelope).hex() == case["id"]
        assert author == ed25519_public(fixed_bytes(case["author_seed_label"])) and event_json(ev) == case["fields"]
    for case in content["invalid_events"]:
        assert refusal(open_event, bytes.fromhex(case["envelope"])) == case["error"], case["name"]
    for log in content["logs"]:
        community_id = bytes.fromhex(log["community_hex"])
        assert bech32m_decode(log["community"]) == ("tcc", community_id)
        replica = CommunityLog(community_id)
        for step in log["steps"]:
            assert replica.offer(bytes.fromhex(step["event"]), step["now"]) == step["outcome"], step["name"]
            state, order, void = replica.fold()
            assert blake2b_256(state_bytes(state)).hex() == step["state_hash"], step["name"]
            assert [h.hex() for h in replica.heads()] == step["heads"]
        assert [i.hex() for i in order] == log["order"]
        assert [{"id": i.hex(), "code": c} for i, c in void] == log["void"]
        assert state_bytes(state).hex() == log["state_bytes"]
        assert blake2b_256(state_bytes(state)).hex() == log["state_hash"] and state_json(state) == log["state"]
        envelopes = {step["id"]: bytes.fromhex(step["event"]) for step in log["steps"]}
        for permutation in log["permutations"]:
            other = CommunityLog(community_id)
            for i in permutation["delivery"]:
                assert other.offer(envelopes[i], permutation["now"]) == "accepted"
            state, _, void = other.fold()
            assert blake2b_256(state_bytes(state)).hex() == permutation["state_hash"] == log["state_hash"]
            assert [{"id": i.hex(), "code": c} for i, c in void] == permutation["void"] == log["void"]
    check_community_frames(content["frames"])
    for case in content["reports"]:
        envelope = bytes.fromhex(case["envelope"])
        signer, report = open_report(envelope)
        assert envelope.endswith(bytes.fromhex(case["payload"])) and blake2b_256(envelope).hex() == case["id"]
        assert signer == ed25519_public(fixed_bytes(case["signer_seed_label"])) == bech32m_decode(case["signer"])[1]
        assert report_json(report) == case["fields"], case["name"]
    for case in content["invalid_reports"]:
        assert refusal(open_report, bytes.fromhex(case["envelope"])) == case["error"], case["name"]
    names = [c["name"] for c in content["invalid_events"]] + [c["name"] for c in content["events"]]
    assert len(names) == len(set(names))
    for group in ("reports", "invalid_reports"):
        names = [c["name"] for c in content[group]]
        assert len(names) == len(set(names)), group
    codes = {step["outcome"] for log in content["logs"] for step in log["steps"]}
    for code in ("accepted", "malformed", "notMember", "notAuthorized", "notApplicant", "alreadyMember",
                 "wrongManifest", "invalidAction", "lastAdmin", "notByVote", "alreadyConsented", "timeTravel", "notYetValid",
                 "missingParents", "wrongCommunity", "duplicate", "badSignature", "wrongType", "doubleVote", "closed",
                 "tooEarly", "notEligible", "unknownProposal", "notInvited", "badEvidence"):
        assert code in codes, code


# ---------------------------------------------------------------------------------------------
# Gossip (section 17): signed alive statements, Membership frames, manifest announcements, digests

ALIVE_DOMAIN = b"oms/v1/alive\x00"
ANNOUNCEMENT_TYPE = "oms/manifest-announcement"
ANNOUNCEMENT_LAYOUT = 1
ANNOUNCEMENT_MAXIMUM_CREATE = COMMUNITY_MAXIMUM_PAYLOAD + 512  # 67072: the largest create event's envelope
ANNOUNCEMENT_MAXIMUM_PAYLOAD = 1 + 32 + 8 + 4 + ANNOUNCEMENT_MAXIMUM_CREATE + 4 + MANIFEST_MAXIMUM  # 132657
SWIM_MAXIMUM_UPDATES = 8
SWIM_MAXIMUM_PUSH_PULL = 4096
ANNOUNCEMENTS_MAXIMUM_ITEMS = 16
DIGEST_MAXIMUM_ENTRIES = 4096
SWIM_KINDS = {1: "ping", 2: "ping_request", 3: "ack", 4: "nack", 5: "gossip", 6: "push_pull", 7: "push_pull_reply"}
SWIM_KIND_NUMBERS = {name: number for number, name in SWIM_KINDS.items()}
SWIM_STATUSES = {1: "alive", 2: "suspect", 3: "dead"}
SWIM_STATUS_NUMBERS = {name: number for number, name in SWIM_STATUSES.items()}
FRAME_MEMBERSHIP, FRAME_ANNOUNCEMENTS, FRAME_DIGEST = 19, 20, 21
GOSSIP_NETWORK = "oms-main"
GOSSIP_OTHER_NETWORK = "oms-testnet-1"
TG = TC + 90 * DAY * 1000  # the gossip vectors' create events, in ms
U64_MAX = (1 << 64) - 1
# Announced versions stop at SQLite's largest integer (section 17).
I64_MAX = (1 << 63) - 1
INCARNATION_CLOCK = T0 + 90 * DAY  # a node's incarnation starts at its clock, in Unix seconds


def is_network_id(text):
    return 1 <= len(text) <= 32 and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in text)


def alive_signing_input(network, node, incarnation):
    """'oms/v1/alive' || 0x00 || network_len u8 || network || node [32] || incarnation u64 big-endian."""
    assert is_network_id(network) and len(node) == 32 and 0 <= incarnation <= U64_MAX
    raw = network.encode("ascii")
    return ALIVE_DOMAIN + bytes([len(raw)]) + raw + node + struct.pack(">Q", incarnation)


def verify_alive(signature, network, node, incarnation):
    """An alive counts only with the member's own signature: node is its Ed25519 public key."""
    return len(node) == 32 and len(signature) == 64 and ed25519_verify(
        node, signature, alive_signing_input(network, node, incarnation))


class GossipNode:
    def __init__(self, label):
        self.label = label
        self.seed = fixed_bytes(label)
        self.key = ed25519_public(self.seed)

    def alive(self, incarnation, network=GOSSIP_NETWORK):
        return ed25519_sign(self.seed, alive_signing_input(network, self.key, incarnation))

    def json(self):
        return {"seed_label": self.label, "seed": self.seed.hex(), "node_hex": self.key.hex(),
                "node": bech32m_encode("node", self.key)}


# Membership frames: each update and each frame as JSON fields (node ids and bytes in hex, kind and status as
# their enum numbers, uint64 as decimal strings); bytes are built from these fields, so bad frames build too.


def member_update(node, status, incarnation, reporter=b"", signature=b""):
    return {"node": node.hex(), "status": SWIM_STATUS_NUMBERS.get(status, status), "incarnation": str(incarnation),
            "reporter": reporter.hex(), "signature": signature.hex()}


def member_update_bytes(u):
    return (pb_bytes_field(1, bytes.fromhex(u["node"])) + pb_varint_field(2, u["status"])
            + pb_varint_field(3, int(u["incarnation"])) + pb_bytes_field(4, bytes.fromhex(u["reporter"]))
            + pb_bytes_field(5, bytes.fromhex(u["signature"])))


def membership_bytes(kind, sequence, target, updates):
    """A Membership message; each update is written even when empty (a repeated element is not a default)."""
    return (pb_varint_field(1, kind) + pb_varint_field(2, int(sequence)) + pb_bytes_field(3, bytes.fromhex(target))
            + b"".join(pb_message_field(4, member_update_bytes(u)) for u in updates))


def gossip_frame_fields(data):
    """(request_id, body field number, body bytes) of a Frame whose body is a message (the last field)."""
    fields = pb_read(data)
    if not fields or not isinstance(fields[-1][1], bytes):
        raise ValueError("no body")
    request_id = 0
    for number, value in fields[:-1]:
        if number != 1 or not isinstance(value, int):
            raise ValueError("not a Frame of one body")
        request_id = value
    return request_id, fields[-1][0], fields[-1][1]


def pb_scalars(data, schema):
    """A proto3 reading of data: {name: value} with defaults for absent fields, the last value of a repeated
    scalar winning, unknown fields skipped; schema: {number: (name, 'varint' | 'bytes' | 'bytes*')}."""
    out = {name: ([] if kind == "bytes*" else 0 if kind == "varint" else b"") for name, kind in schema.values()}
    for number, value in pb_read(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind == "varint":
            if not isinstance(value, int):
                raise ValueError(name)
            out[name] = value
        else:
            if not isinstance(value, bytes):
                raise ValueError(name)
            if kind == "bytes*":
                out[name].append(value)
            else:
                out[name] = value
    return out


MEMBERSHIP_SCHEMA = {1: ("kind", "varint"), 2: ("sequence", "varint"), 3: ("target", "bytes"),
                     4: ("updates", "bytes*")}
MEMBER_UPDATE_SCHEMA = {1: ("node", "bytes"), 2: ("status", "varint"), 3: ("incarnation", "varint"),
                        4: ("reporter", "bytes"), 5: ("signature", "bytes")}
DIGEST_SCHEMA = {1: ("entries", "bytes*"), 2: ("reply", "varint")}
DIGEST_ENTRY_SCHEMA = {1: ("key", "bytes"), 2: ("version", "varint"), 3: ("content", "bytes")}
ANNOUNCEMENTS_SCHEMA = {1: ("items", "bytes*")}


def read_membership(data):
    """Section 17's reading of a Membership frame: the message and the updates a receiver reads from it, or
    Refused('oversized' | 'malformed'). The count is checked first, then each update in order (node id of 32
    bytes, status 1 to 3, a suspicion's 32-byte reporter, an alive's 64-byte signature), then the kind, then a
    ping request's 32-byte target. Alive signatures are checked later, by verify_alive."""
    _, number, body = gossip_frame_fields(data)
    assert number == FRAME_MEMBERSHIP
    m = pb_scalars(body, MEMBERSHIP_SCHEMA)
    limit = SWIM_MAXIMUM_PUSH_PULL if m["kind"] in (6, 7) else SWIM_MAXIMUM_UPDATES
    if len(m["updates"]) > limit:
        raise Refused("oversized")
    updates = []
    for raw in m["updates"]:
        u = pb_scalars(raw, MEMBER_UPDATE_SCHEMA)
        if len(u["node"]) != 32 or u["status"] not in SWIM_STATUSES:
            raise Refused("malformed")
        status = SWIM_STATUSES[u["status"]]
        if status == "suspect" and len(u["reporter"]) != 32:
            raise Refused("malformed")
        if status == "alive" and len(u["signature"]) != 64:
            raise Refused("malformed")
        updates.append({"node": u["node"].hex(), "status": status, "incarnation": str(u["incarnation"]),
                        "reporter": u["reporter"].hex() if status == "suspect" else None,
                        "signature": u["signature"].hex()})
    kind = SWIM_KINDS.get(m["kind"])
    if kind is None:
        raise Refused("malformed")
    if kind == "ping_request" and len(m["target"]) != 32:
        raise Refused("malformed")
    return {"message": kind,
            "sequence": str(m["sequence"]) if kind in ("ping", "ping_request", "ack", "nack") else None,
            "target": m["target"].hex() if kind == "ping_request" else None,
            "updates": updates}


def read_membership_fields(data):
    """The Frame's fields as membership_case writes them (for comparing a case with its own bytes)."""
    request_id, number, body = gossip_frame_fields(data)
    assert number == FRAME_MEMBERSHIP
    m = pb_scalars(body, MEMBERSHIP_SCHEMA)
    updates = []
    for raw in m["updates"]:
        u = pb_scalars(raw, MEMBER_UPDATE_SCHEMA)
        updates.append({"node": u["node"].hex(), "status": u["status"], "incarnation": str(u["incarnation"]),
                        "reporter": u["reporter"].hex(), "signature": u["signature"].hex()})
    return {"request_id": str(request_id), "body": "membership", "kind": m["kind"], "sequence": str(m["sequence"]),
            "target": m["target"].hex(), "updates": updates}


# Manifest announcements


def announcement_payload(community, version, create, manifest, layout=ANNOUNCEMENT_LAYOUT, create_length=None,
                         manifest_length=None):
    return (bytes([layout]) + community + struct.pack(">Q", version)
            + struct.pack(">I", len(create) if create_length is None else create_length) + create
            + struct.pack(">I", len(manifest) if manifest_length is None else manifest_length) + manifest)


def open_announcement(data):
    """Section 17's reader: {signer, community, version, create, group, manifest} or Refused with the first code
    of the six checks that applies."""
    # 1. the envelope, of this type, with a signature that verifies
    try:
        signer, payload = open_envelope(data, ANNOUNCEMENT_TYPE, ANNOUNCEMENT_MAXIMUM_PAYLOAD)
    except Refused as e:
        raise Refused("badSignature" if e.code == "badSignature" else "malformed")
    # 2. layout 1, every length within its bound, nothing left over, a version of at least 1
    r = PayloadReader(payload)
    if r.u8() != ANNOUNCEMENT_LAYOUT:
        raise Refused("malformed")
    community, version = r.take(32), r.u64()
    create_length = r.u32()
    if create_length > ANNOUNCEMENT_MAXIMUM_CREATE:
        raise Refused("malformed")
    create = r.take(create_length)
    manifest_length = r.u32()
    if manifest_length > MANIFEST_MAXIMUM:
        raise Refused("malformed")
    manifest = r.take(manifest_length)
    r.end()
    if version < 1 or version > I64_MAX:
        raise Refused("malformed")
    # 3. create opens as a community event, is a create, and founds community
    try:
        founder, ev = open_event(create)
    except Refused as e:
        raise Refused("badSignature" if e.code == "badSignature" else "malformed")
    if ev["kind"] != "create" or blake2b_256(create) != community:
        raise Refused("malformed")
    # 4. signed by the create event's signer
    if signer != founder:
        raise Refused("wrongSigner")
    # 5. a valid manifest; at version 1, the create event's
    rules = manifest_of(manifest)
    if version == 1 and manifest != ev["fields"]["manifest"]:
        raise Refused("malformed")
    # 6. public
    if rules["discovery"] != "public":
        raise Refused("notPublic")
    return {"signer": signer, "community": community, "version": version, "create": create,
            "group": ev["fields"]["group"], "manifest": manifest}


def supersedes(entry, held):
    """Dissemination: a higher version wins; at an equal version, the greater content id (byte-wise)."""
    return entry["version"] > held["version"] or (entry["version"] == held["version"]
                                                   and entry["content"] > held["content"])


# The manifests of the gossip vectors (not community.json's: these say whether they may be announced).

GOSSIP_MANIFESTS = {}


def add_gossip_manifest(name, text):
    raw = text.encode("utf-8")
    GOSSIP_MANIFESTS[name] = raw
    return raw


RIVER_RIDES = add_gossip_manifest("river-rides", """\
manifest: 1
name: river-rides
purpose: Riders along the river path, open to anyone who wants to map it with us.
tags: [cycling, river, mapping]
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: open}
consent:
  - {stream: steps, answers: [count, mean], min-count: 3}
departure: {export: true, retain: 30d}
discovery: public
""")

RIVER_RIDES_2 = add_gossip_manifest("river-rides-2", RIVER_RIDES.decode().replace(
    "open to anyone who wants to map it with us.", "open to anyone who wants to map it, and its night lights, with us."))

# The same community made private at version 2: its founder's node stops announcing it.
RIVER_RIDES_PRIVATE = add_gossip_manifest("river-rides-private", RIVER_RIDES_2.decode().replace(
    "discovery: public\n", "discovery: private\n"))

# Not manifests at all (section 14 refuses them): discovery is public or private, nothing else.
RIVER_RIDES_EVERYONE = add_gossip_manifest("river-rides-everyone", RIVER_RIDES_2.decode().replace(
    "discovery: public\n", "discovery: everyone\n"))
RIVER_RIDES_CAPITAL = add_gossip_manifest("river-rides-capital", RIVER_RIDES_2.decode().replace(
    "discovery: public\n", "discovery: Public\n"))
RIVER_RIDES_LIST = add_gossip_manifest("river-rides-list", RIVER_RIDES_2.decode().replace(
    "discovery: public\n", "discovery: [public]\n"))

NIGHT_OWLS = add_gossip_manifest("night-owls", """\
manifest: 1
name: night-owls
purpose: Riders who meet after dark, by invitation.
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: invitation}
departure: {export: true, retain: 0d}
discovery: private
""")

# No discovery key: private, the default.
QUIET_LANE = add_gossip_manifest("quiet-lane", NIGHT_OWLS.decode().replace("name: night-owls\n", "name: quiet-lane\n")
                                 .replace("discovery: private\n", ""))

COASTAL_ALLIANCE = add_gossip_manifest("coastal-alliance", """\
manifest: 1
name: coastal-alliance
purpose: Riding communities of the coast, pooling what their members agree to share.
tags: [cycling, coast]
governance:
  roles: [admin, member]
  decisions:
    manifest: {by: admin}
    roles: {by: admin}
    apps: {by: admin}
    admission: {by: admin}
    suspension: {by: admin}
joining: {mode: approval}
consent:
  - {stream: steps, answers: [count, mean], min-count: 2, epsilon: 0.5, budget: 4}
departure: {export: false, retain: 0d}
discovery: 'public'
""")

GOSSIP_MANIFEST_NAMES = {raw: name for name, raw in GOSSIP_MANIFESTS.items()}


def gossip_manifests_json():
    out = {}
    for name, raw in GOSSIP_MANIFESTS.items():
        try:
            discovery = read_manifest(raw)["discovery"]
        except ManifestInvalid:
            discovery = None
        out[name] = {"text": raw.decode("utf-8"), "hash": blake2b_256(raw).hex(), "valid": discovery is not None,
                     "discovery": discovery}
    return out


def gossip_people():
    nodes = {name: GossipNode("gossip/node-" + name) for name in ("a", "b", "c", "d")}
    nodes.update({"member-%d" % i: GossipNode("gossip/member-%d" % i) for i in range(9)})
    people = {
        # The founder's persona is held on node a, the institution founder's on node b.
        "founder": CommunityPerson("founder", node=nodes["a"].key, prefix="gossip/"),
        "institution-founder": CommunityPerson("institution-founder", node=nodes["b"].key, prefix="gossip/"),
        "other": CommunityPerson("other", prefix="gossip/"),
    }
    return nodes, people


def gossip_alive(nodes):
    a, b = nodes["a"], nodes["b"]
    valid = []

    def add(name, node, network, incarnation):
        signing_input = alive_signing_input(network, node.key, incarnation)
        signature = node.alive(incarnation, network)
        assert verify_alive(signature, network, node.key, incarnation)
        valid.append(dict(name=name, node_seed_label=node.label, node_seed=node.seed.hex(), node_hex=node.key.hex(),
                          node=bech32m_encode("node", node.key), network=network, incarnation=str(incarnation),
                          signing_input=signing_input.hex(), signature=signature.hex()))

    add("incarnation 0", a, GOSSIP_NETWORK, 0)
    add("incarnation 1", a, GOSSIP_NETWORK, 1)
    add("incarnation from the clock (Unix seconds)", a, GOSSIP_NETWORK, INCARNATION_CLOCK)
    add("incarnation 2^64 - 1", a, GOSSIP_NETWORK, U64_MAX)
    add("another network", a, GOSSIP_OTHER_NETWORK, 1)
    add("another network, incarnation 2^64 - 1", a, GOSSIP_OTHER_NETWORK, U64_MAX)
    add("another node", b, GOSSIP_NETWORK, 1)
    add("a one-character network", b, "a", 0)

    invalid = []

    def bad(name, node, network, incarnation, signature):
        assert not verify_alive(signature, network, node.key, incarnation), name
        invalid.append(dict(name=name, node_hex=node.key.hex(), node=bech32m_encode("node", node.key),
                            network=network, incarnation=str(incarnation), signature=signature.hex()))

    bad("signed by another node (b signs a statement naming a)", a, GOSSIP_NETWORK, 1,
        ed25519_sign(b.seed, alive_signing_input(GOSSIP_NETWORK, a.key, 1)))
    bad("another node's own alive (b's, presented as a's)", a, GOSSIP_NETWORK, 1, b.alive(1))
    bad("another network's (a's for oms-testnet-1)", a, GOSSIP_NETWORK, 1, a.alive(1, GOSSIP_OTHER_NETWORK))
    bad("another incarnation's (a's for 1, presented for 2)", a, GOSSIP_NETWORK, 2, a.alive(1))
    bad("another incarnation's (a's for 0, presented for 2^64 - 1)", a, GOSSIP_NETWORK, U64_MAX, a.alive(0))
    bad("the incarnation signed little-endian", a, GOSSIP_NETWORK, 1,
        ed25519_sign(a.seed, alive_signing_input(GOSSIP_NETWORK, a.key, 1)[:-8] + struct.pack("<Q", 1)))
    bad("signed without the domain tag", a, GOSSIP_NETWORK, 1,
        ed25519_sign(a.seed, alive_signing_input(GOSSIP_NETWORK, a.key, 1)[len(ALIVE_DOMAIN):]))
    bad("one bit flipped", a, GOSSIP_NETWORK, 1, flip_bit(a.alive(1), 0))
    return valid, invalid


def membership_case(name, kind, updates, sequence=0, target=b"", network=GOSSIP_NETWORK):
    """A valid Membership frame: its fields, bytes, and what a receiver reads from it."""
    fields = {"request_id": "0", "body": "membership", "kind": kind, "sequence": str(sequence),
              "target": target.hex(), "updates": updates}
    data = pb_message_field(FRAME_MEMBERSHIP, membership_bytes(kind, sequence, target.hex(), updates))
    return dict(name=name, network=network, **fields, bytes=data.hex(), read=read_membership(data))


def gossip_membership(nodes):
    a, b, c, d = (nodes[n] for n in ("a", "b", "c", "d"))
    members = [nodes["member-%d" % i] for i in range(9)]

    def alive(node, incarnation):
        return member_update(node.key, "alive", incarnation, signature=node.alive(incarnation))

    def suspect(node, incarnation, reporter):
        return member_update(node.key, "suspect", incarnation, reporter=reporter.key)

    def dead(node, incarnation):
        return member_update(node.key, "dead", incarnation)

    k = SWIM_KIND_NUMBERS
    t = INCARNATION_CLOCK
    cases = [
        membership_case("ping carrying the sender's alive", k["ping"], [alive(a, t)], sequence=1),
        membership_case("ping with no update and sequence 2^64 - 1", k["ping"], [], sequence=U64_MAX),
        membership_case("ping request for c, carrying a suspicion of c", k["ping_request"],
                        [suspect(c, t + 3, a)], sequence=7, target=c.key),
        membership_case("ack carrying the receiver's own alive", k["ack"], [alive(c, t + 4)], sequence=7),
        membership_case("ack at sequence 0 (omitted)", k["ack"], [alive(b, 0)], sequence=0),
        membership_case("nack", k["nack"], [], sequence=7),
        membership_case("gossip: an alive, a suspicion and a death", k["gossip"],
                        [alive(b, t + 1), suspect(d, t, b), dead(c, U64_MAX)]),
        membership_case("gossip of 8 updates, the most a message carries", k["gossip"],
                        [alive(m, t + i) for i, m in enumerate(members[:8])]),
        membership_case("push-pull of 9 updates (a push-pull may carry 4096)", k["push_pull"],
                        [alive(m, t + i) if i % 3 == 0 else suspect(m, t + i, a) if i % 3 == 1 else dead(m, t + i)
                         for i, m in enumerate(members)]),
        membership_case("push-pull reply", k["push_pull_reply"], [alive(a, t + 2), dead(d, t + 1)]),
        membership_case("push-pull with nothing to tell", k["push_pull"], []),
    ]
    assert {c["kind"] for c in cases} == set(SWIM_KINDS)

    invalid = []

    def bad(name, error, kind, updates, sequence=0, target=b""):
        data = pb_message_field(FRAME_MEMBERSHIP, membership_bytes(kind, sequence, target.hex(), updates))
        assert refusal(read_membership, data) == error, name
        invalid.append({"name": name, "bytes": data.hex(), "error": error})

    nine = [alive(m, t) for m in members]
    short_node = member_update(a.key[:31], "alive", t, signature=a.alive(t))
    bad("a ping with 9 updates", "oversized", k["ping"], nine, sequence=1)
    bad("a gossip of 9 updates, one with a 31-byte node id (the count is checked first)", "oversized", k["gossip"],
        nine[:8] + [short_node])
    bad("kind 0 with 9 updates (the bound of 8 holds for any kind but push-pull)", "oversized", 0, nine)
    bad("an update with a 31-byte node id", "malformed", k["gossip"], [short_node])
    bad("an update with a 33-byte node id", "malformed", k["gossip"],
        [member_update(a.key + b"\x00", "alive", t, signature=a.alive(t))])
    bad("an update without a node id", "malformed", k["gossip"], [member_update(b"", "dead", t)])
    bad("an alive without a signature", "malformed", k["ping"], [member_update(a.key, "alive", t)], sequence=1)
    bad("an alive with a 63-byte signature", "malformed", k["ping"],
        [member_update(a.key, "alive", t, signature=a.alive(t)[:63])], sequence=1)
    bad("a suspicion without a reporter", "malformed", k["gossip"], [member_update(c.key, "suspect", t)])
    bad("a suspicion with a 31-byte reporter", "malformed", k["gossip"],
        [member_update(c.key, "suspect", t, reporter=a.key[:31])])
    bad("status 0", "malformed", k["gossip"], [member_update(c.key, 0, t)])
    bad("status 4", "malformed", k["gossip"], [member_update(c.key, 4, t)])
    bad("the second update bad (status 4)", "malformed", k["gossip"], [alive(a, t), member_update(c.key, 4, t)])
    bad("kind 0", "malformed", 0, [alive(a, t)], sequence=1)
    bad("kind 8", "malformed", 8, [alive(a, t)], sequence=1)
    bad("a ping request without a target", "malformed", k["ping_request"], [], sequence=7)
    bad("a ping request with a 31-byte target", "malformed", k["ping_request"], [], sequence=7, target=c.key[:31])
    bad("a push-pull of 9 updates, one with status 4 (within the push-pull bound)", "malformed", k["push_pull"],
        nine[:8] + [member_update(c.key, 4, t)])

    # 4097 updates in a push-pull: written as one update repeated, so the file stays small.
    update = alive(a, t)
    count = SWIM_MAXIMUM_PUSH_PULL + 1
    data = pb_message_field(FRAME_MEMBERSHIP, membership_bytes(k["push_pull"], 0, "", [update] * count))
    assert refusal(read_membership, data) == "oversized"
    invalid.append({
        "name": "a push-pull of 4097 updates",
        "note": ("bytes not written out: the frame is Frame{membership: Membership{kind, updates: update repeated "
                 "count times}} (request_id and sequence 0, no target), bytes_length long with BLAKE2b-256 "
                 "bytes_hash; update_bytes is one MemberUpdate's encoding."),
        "kind": k["push_pull"], "update": update, "update_bytes": member_update_bytes(update).hex(), "count": count,
        "bytes_length": len(data), "bytes_hash": blake2b_256(data).hex(), "error": "oversized",
    })
    # And 4096, the most a push-pull carries, reads.
    at_bound = pb_message_field(FRAME_MEMBERSHIP, membership_bytes(k["push_pull"], 0, "", [update] * (count - 1)))
    assert len(read_membership(at_bound)["updates"]) == SWIM_MAXIMUM_PUSH_PULL
    return cases, invalid


def gossip_create(person, group, manifest, time):
    _, envelope, community = community_event(
        person, "create", {"group": group, "tcc": person.tcc, "node": person.node, "manifest": manifest}, time)
    return envelope, community


def gossip_announcements(people):
    founder, institution_founder, other = people["founder"], people["institution-founder"], people["other"]
    river_create, river = gossip_create(founder, 1, RIVER_RIDES, TG)
    alliance_create, alliance = gossip_create(institution_founder, 2, COASTAL_ALLIANCE, TG + 1000)
    owls_create, owls = gossip_create(founder, 1, NIGHT_OWLS, TG + 2000)
    quiet_create, quiet = gossip_create(founder, 1, QUIET_LANE, TG + 3000)
    creates = {river_create: (RIVER_RIDES, TG, 1), alliance_create: (COASTAL_ALLIANCE, TG + 1000, 2)}

    valid = []

    def add(name, person, create, version, manifest):
        community = blake2b_256(create)
        payload = announcement_payload(community, version, create, manifest)
        _, _, envelope = sign_envelope(person.seed, ANNOUNCEMENT_TYPE, payload)
        opened = open_announcement(envelope)
        assert opened["signer"] == person.key and opened["version"] == version and opened["community"] == community
        founding, time, group = creates[create]
        content = blake2b_256(envelope)
        valid.append({
            "name": name, "founder_seed_label": person.label, "founder_seed": person.seed.hex(),
            "founder": bech32m_encode("persona", person.key), "founder_hex": person.key.hex(),
            "create": {"group": group, "tcc": bech32m_encode("tcc", person.tcc),
                       "node": bech32m_encode("node", person.node), "manifest": GOSSIP_MANIFEST_NAMES[founding],
                       "time": time},
            "create_event": create.hex(), "community_hex": community.hex(),
            "community": bech32m_encode("tcc", community), "version": str(version),
            "manifest": GOSSIP_MANIFEST_NAMES[manifest], "payload": payload.hex(), "envelope": envelope.hex(),
            "content_id": content.hex(), "content_id_text": bech32m_encode("obj", content),
        })
        return envelope

    river_1 = add("version 1: the founding manifest", founder, river_create, 1, RIVER_RIDES)
    river_2 = add("version 2 with another manifest", founder, river_create, 2, RIVER_RIDES_2)
    alliance_1 = add("an institution's (group 2), version 1", institution_founder, alliance_create, 1,
                     COASTAL_ALLIANCE)
    add("version 2^63 - 1, the largest", founder, river_create, I64_MAX, RIVER_RIDES_2)

    invalid = []

    def bad(name, error, envelope):
        assert refusal(open_announcement, envelope) == error, (name, refusal(open_announcement, envelope))
        invalid.append({"name": name, "envelope": envelope.hex(), "error": error})

    def signed_payload(payload, person=founder, type_name=ANNOUNCEMENT_TYPE):
        return sign_envelope(person.seed, type_name, payload)[2]

    def announce(version=2, manifest=RIVER_RIDES_2, person=founder, create=river_create, community=None, **changes):
        return signed_payload(announcement_payload(blake2b_256(create) if community is None else community,
                                                   version, create, manifest, **changes), person)

    good = announcement_payload(river, 2, river_create, RIVER_RIDES_2)
    offset = signature_offset(ANNOUNCEMENT_TYPE)

    # 1. the envelope
    bad("the announcement's signature with one bit flipped", "badSignature", flip_bit(river_2, offset))
    bad("a payload bit flipped after signing (in the manifest)", "badSignature", flip_bit(river_2, len(river_2) - 2))
    bad("another signer's key put in the envelope", "badSignature",
        river_2[:offset - 32] + other.key + river_2[offset:])
    bad("another envelope type (oms/note)", "malformed", signed_payload(good, type_name="oms/note"))
    bad("an oms/community-event envelope", "malformed", signed_payload(good, type_name=COMMUNITY_EVENT_TYPE))
    bad("the envelope one byte short", "malformed", river_2[:-1])
    bad("a byte after the envelope", "malformed", river_2 + b"\x00")
    bad("the envelope cut inside its signature", "malformed", river_2[:offset + 10])
    # 2. the payload's layout
    bad("layout 2", "malformed", announce(layout=2))
    bad("layout 0", "malformed", announce(layout=0))
    bad("version 0", "malformed", announce(version=0))
    bad("version 2^63, past the largest", "malformed", announce(version=I64_MAX + 1))
    bad("version 2^64 - 1", "malformed", announce(version=U64_MAX))
    bad("version 0 with a create whose signature fails (the payload is read first)", "malformed",
        announce(version=0, create=flip_bit(river_create, signature_offset(COMMUNITY_EVENT_TYPE))))
    bad("a trailing byte in the payload", "malformed", signed_payload(good + b"\x00"))
    bad("create_len 67073, over its bound", "malformed", announce(create_length=ANNOUNCEMENT_MAXIMUM_CREATE + 1))
    bad("create_len one more than the create", "malformed", announce(create_length=len(river_create) + 1))
    bad("create_len one less than the create", "malformed", announce(create_length=len(river_create) - 1))
    bad("manifest_len 65537, over its bound", "malformed", announce(manifest_length=MANIFEST_MAXIMUM + 1))
    bad("manifest_len one more than the manifest", "malformed", announce(manifest_length=len(RIVER_RIDES_2) + 1))
    create_at = 1 + 32 + 8 + 4
    manifest_at = create_at + len(river_create) + 4
    for cut, where in [(0, "empty"), (1, "after the layout"), (20, "inside the community"),
                       (33, "after the community"), (37, "inside the version"), (41, "after the version"),
                       (43, "inside create_len"), (create_at, "after create_len"),
                       (create_at + 200, "inside the create"), (manifest_at - 4, "after the create"),
                       (manifest_at - 2, "inside manifest_len"), (manifest_at, "after manifest_len"),
                       (manifest_at + 100, "inside the manifest"), (len(good) - 1, "one byte short")]:
        bad("payload cut at %d bytes (%s)" % (cut, where), "malformed", signed_payload(good[:cut]))
    # 3. the create event
    bad("a create whose signature fails", "badSignature",
        announce(create=flip_bit(river_create, signature_offset(COMMUNITY_EVENT_TYPE))))
    bad("a create whose signature fails, announced by another persona (checked before the signer)", "badSignature",
        announce(create=flip_bit(river_create, signature_offset(COMMUNITY_EVENT_TYPE)), person=other))
    bad("a community that is not the create's", "malformed", announce(community=fixed_bytes("gossip/another-community")))
    bad("the institution's id with the community's create", "malformed", announce(community=alliance))
    _, join, _ = community_event(founder, "join", {"manifest_hash": blake2b_256(RIVER_RIDES), "tcc": founder.tcc,
                                                   "node": founder.node, "evidence": b""}, TG + 5000, [river], river)
    bad("a join for a create", "malformed", announce(create=join, community=river))
    bad("a create of another envelope type (oms/note)", "malformed",
        announce(create=signed(founder.seed, "oms/note", event_payload(
            "create", ZERO_ID, TG, [], {"group": 1, "tcc": founder.tcc, "node": founder.node,
                                        "manifest": RIVER_RIDES}))))
    bad_create = signed(founder.seed, COMMUNITY_EVENT_TYPE, event_payload(
        "create", ZERO_ID, TG, [], {"group": 3, "tcc": founder.tcc, "node": founder.node, "manifest": RIVER_RIDES}))
    bad("a create of group 3", "malformed", announce(create=bad_create))
    bad("an empty create", "malformed", announce(create=b""))
    # 4. the signer
    bad("signed by another persona", "wrongSigner", announce(person=other))
    bad("version 1 signed by another persona", "wrongSigner", announce(version=1, manifest=RIVER_RIDES, person=other))
    bad("the institution announced by the community's founder", "wrongSigner",
        announce(version=1, manifest=COASTAL_ALLIANCE, create=alliance_create))
    bad("signed by another persona, of a private manifest (the signer is checked first)", "wrongSigner",
        announce(manifest=RIVER_RIDES_PRIVATE, person=other))
    bad("signed by another persona, with a manifest section 14 refuses (the signer is checked first)", "wrongSigner",
        announce(manifest=RIVER_RIDES_EVERYONE, person=other))
    # 5. the manifest
    bad("version 1 with another manifest", "malformed", announce(version=1, manifest=RIVER_RIDES_2))
    bad("version 1 with another, private manifest (checked before discovery)", "malformed",
        announce(version=1, manifest=RIVER_RIDES_PRIVATE))
    bad("discovery: everyone", "malformed", announce(manifest=RIVER_RIDES_EVERYONE))
    bad("discovery: Public", "malformed", announce(manifest=RIVER_RIDES_CAPITAL))
    bad("discovery: [public]", "malformed", announce(manifest=RIVER_RIDES_LIST))
    bad("an empty manifest", "malformed", announce(manifest=b""))
    bad("a manifest that is not YAML", "malformed", announce(manifest=b"manifest: 1\nname: [river-rides\n"))
    # 6. discovery
    bad("version 1 of a private community (discovery: private)", "notPublic",
        announce(version=1, manifest=NIGHT_OWLS, create=owls_create))
    bad("version 1 of a community without discovery (private by default)", "notPublic",
        announce(version=1, manifest=QUIET_LANE, create=quiet_create))
    bad("version 2 made private", "notPublic", announce(manifest=RIVER_RIDES_PRIVATE))
    bad("version 2 of a private community, still private", "notPublic",
        announce(manifest=NIGHT_OWLS, create=owls_create))
    assert owls != quiet
    return valid, invalid, (river, river_1, river_2), (alliance, alliance_1)


def digest_entry(key, version, content):
    return {"key": key.hex(), "version": str(version), "content": content.hex()}


def gossip_frames(river_items, alliance_items):
    river, river_1, river_2 = river_items
    alliance, alliance_1 = alliance_items
    frames = []

    def announcements(name, items):
        body = b"".join(varint(1 << 3 | 2) + varint(len(i)) + i for i in items)
        frames.append({"name": name, "request_id": "0", "body": "announcements", "items": [i.hex() for i in items],
                       "bytes": pb_message_field(FRAME_ANNOUNCEMENTS, body).hex()})

    def digest(name, entries, reply):
        body = b"".join(pb_message_field(1, pb_bytes_field(1, bytes.fromhex(e["key"]))
                                         + pb_varint_field(2, int(e["version"]))
                                         + pb_bytes_field(3, bytes.fromhex(e["content"]))) for e in entries)
        body += pb_varint_field(2, 1 if reply else 0)
        frames.append({"name": name, "request_id": "0", "body": "digest", "entries": entries, "reply": reply,
                       "bytes": pb_message_field(FRAME_DIGEST, body).hex()})

    announcements("announcements: the community's version 2 and the institution's version 1", [river_2, alliance_1])
    announcements("announcements: one item", [river_1])
    digest("digest with reply set", [digest_entry(river, 2, blake2b_256(river_2)),
                                     digest_entry(alliance, 1, blake2b_256(alliance_1))], True)
    digest("digest in reply (reply not set)", [digest_entry(river, 1, blake2b_256(river_1))], False)
    digest("empty digest with reply set", [], True)
    return frames


def read_gossip_frame(data):
    """The fields of an Announcements or Digest frame, as gossip_frames writes them."""
    request_id, number, body = gossip_frame_fields(data)
    if number == FRAME_ANNOUNCEMENTS:
        m = pb_scalars(body, ANNOUNCEMENTS_SCHEMA)
        return {"request_id": str(request_id), "body": "announcements", "items": [i.hex() for i in m["items"]]}
    assert number == FRAME_DIGEST
    m = pb_scalars(body, DIGEST_SCHEMA)
    assert m["reply"] in (0, 1)
    entries = []
    for raw in m["entries"]:
        e = pb_scalars(raw, DIGEST_ENTRY_SCHEMA)
        assert len(e["key"]) == 32 and len(e["content"]) == 32
        entries.append(digest_entry(e["key"], e["version"], e["content"]))
    return {"request_id": str(request_id), "body": "digest", "entries": entries, "reply": bool(m["reply"])}


def gossip_supersedes(river_items):
    river, river_1, river_2 = river_items
    cases = []

    def pair(name, held, incoming):
        h = {"version": held[0], "content": held[1]}
        i = {"version": incoming[0], "content": incoming[1]}
        forward, backward = supersedes(i, h), supersedes(h, i)
        assert not (forward and backward)
        cases.append({"name": name, "held": digest_entry(river, *held), "incoming": digest_entry(river, *incoming),
                      "incoming_supersedes": forward, "held_supersedes": backward,
                      "kept": "incoming" if forward else "held"})

    low, high = b"\x00" * 32, b"\xff" * 32
    c7f, c80 = b"\x7f" + b"\xff" * 31, b"\x80" + b"\x00" * 31
    pair("a higher version wins, whatever its content", (1, high), (2, low))
    pair("a lower version loses, whatever its content", (2, low), (1, high))
    pair("equal versions: the greater content id wins", (3, c7f), (3, c80))
    pair("equal versions: the smaller content id loses", (3, c80), (3, c7f))
    pair("equal versions: content ids differing in their last byte", (3, low), (3, b"\x00" * 31 + b"\x01"))
    pair("equal entries: neither supersedes (a duplicate)", (3, c80), (3, c80))
    pair("version 2^64 - 1 over 2^64 - 2", (U64_MAX - 1, high), (U64_MAX, low))
    pair("the community's version 2 over its version 1", (1, blake2b_256(river_1)), (2, blake2b_256(river_2)))
    pair("rival items at version 2: the community's version 2 and another content id", (2, blake2b_256(river_2)),
         (2, fixed_bytes("gossip/rival-content")))
    assert {c["kept"] for c in cases} == {"held", "incoming"}
    return cases


def gossip():
    nodes, people = gossip_people()
    for raw in (RIVER_RIDES, RIVER_RIDES_2, RIVER_RIDES_PRIVATE, NIGHT_OWLS, QUIET_LANE, COASTAL_ALLIANCE):
        read_manifest(raw)
    alive, invalid_alive = gossip_alive(nodes)
    membership, invalid_membership = gossip_membership(nodes)
    announcements, invalid_announcements, river_items, alliance_items = gossip_announcements(people)
    return {
        "description": (
            "Gossip (protocol-spec/README.md section 17). Byte strings are hex, uint64 values (incarnation, "
            "sequence, version) decimal strings. limits: updates in one Membership message and in a push-pull, the "
            "maximum announcement payload (1 + 32 + 8 + 4 + maximum_create + 4 + maximum_manifest), items in an "
            "Announcements frame and entries in a Digest. nodes: node keys (seed derived from seed_label; node_hex "
            "is the Ed25519 public key, node its node1 text). people: the personas of the announcements (as in "
            "community.json; node is the node holding the persona). manifests: name -> text (UTF-8), BLAKE2b-256 "
            "hash, valid (section 14 accepts it) and discovery (public, private, the default when the key is "
            "absent, or null when invalid). alive: the node signs signing_input = 'oms/v1/alive' || 0x00 || "
            "network_len u8 || network || node [32] || incarnation u64 big-endian; it MUST be exactly "
            "signing_input and signature, and MUST verify. invalid_alive: signature MUST NOT verify for node, "
            "network and incarnation. membership: a Frame (request_id 0) whose body is Membership (field 19) with "
            "kind and status as enum numbers, every field listed, defaults included; encoded with fields in "
            "field-number order and proto3 defaults omitted (each update written, even empty) it MUST be exactly "
            "bytes, and reading bytes MUST give read: the message (ping, ping_request, ack, nack, gossip, push_pull, "
            "push_pull_reply), its sequence (ping, ping_request, ack, nack; else null), target (ping_request; else "
            "null) and the updates, status by name, reporter for a suspicion only (else null), signature as "
            "received; every alive update's signature verifies for network. invalid_membership: reading bytes "
            "MUST fail with error: oversized (more than 8 updates, or 4096 in a push-pull or push-pull reply: the "
            "count is checked first), else malformed (an update's node id not 32 bytes, status not 1 to 3, a "
            "suspicion's reporter not 32 bytes, an alive's signature not 64 bytes, in update order, then an unknown "
            "kind, then a ping request's target not 32 bytes). The 4097-update push-pull is not written out: see "
            "its note. announcements: the founder (founder_seed, from founder_seed_label) signs an "
            "oms/manifest-announcement envelope whose payload is layout u8 = 1 || community [32] || version u64 || "
            "create_len u32 || create_event || manifest_len u32 || manifest (the named manifest's bytes); it MUST be "
            "exactly payload and envelope, content_id (and content_id_text, its obj1 text) its BLAKE2b-256, and "
            "opening it MUST succeed. create_event is an oms/community-event create built from create's fields "
            "(group 1 a community, 2 an institution; time in Unix ms) and signed by the founder, and community its "
            "id. invalid_announcements: opening envelope MUST fail with error, the first of section 17's six "
            "checks that applies (badSignature, wrongSigner, notPublic or malformed). frames: Frames (request_id 0) "
            "with an Announcements (field 20, items: the envelopes above) or a Digest (field 21, entries of key, "
            "version and content, and reply) body; encoded as above they MUST be exactly bytes, and decoding bytes "
            "MUST give them back; each digest entry names an announcement above. supersedes: a node holding held is "
            "offered incoming for the same key: incoming_supersedes (a higher version, or an equal version with a "
            "content id greater byte-wise), held_supersedes the same the other way round, and kept the one the node "
            "holds afterwards (held for equal entries: neither supersedes)."
        ),
        "limits": {
            "updates_per_message": SWIM_MAXIMUM_UPDATES,
            "updates_per_push_pull": SWIM_MAXIMUM_PUSH_PULL,
            "maximum_payload": ANNOUNCEMENT_MAXIMUM_PAYLOAD,
            "maximum_create": ANNOUNCEMENT_MAXIMUM_CREATE,
            "maximum_manifest": MANIFEST_MAXIMUM,
            "items_per_frame": ANNOUNCEMENTS_MAXIMUM_ITEMS,
            "digest_entries": DIGEST_MAXIMUM_ENTRIES,
        },
        "nodes": {name: node.json() for name, node in nodes.items()},
        "people": {name: person.json() for name, person in people.items()},
        "manifests": gossip_manifests_json(),
        "alive": alive,
        "invalid_alive": invalid_alive,
        "membership": membership,
        "invalid_membership": invalid_membership,
        "announcements": announcements,
        "invalid_announcements": invalid_announcements,
        "frames": gossip_frames(river_items, alliance_items),
        "supersedes": gossip_supersedes(river_items),
    }


def check_gossip(content):
    """Every gossip.json vector again, from the file's own values, through the readers above."""
    for name, m in content["manifests"].items():
        raw = m["text"].encode("utf-8")
        assert blake2b_256(raw).hex() == m["hash"] and GOSSIP_MANIFESTS[name] == raw
        try:
            discovery = read_manifest(raw)["discovery"]
        except ManifestInvalid:
            discovery = None
        assert m["valid"] == (discovery is not None) and m["discovery"] == discovery, name
    assert {m["discovery"] for m in content["manifests"].values()} == {"public", "private", None}
    for case in content["alive"]:
        seed = fixed_bytes(case["node_seed_label"])
        node = bytes.fromhex(case["node_hex"])
        assert seed.hex() == case["node_seed"] and ed25519_public(seed) == node
        assert bech32m_decode(case["node"]) == ("node", node)
        signing_input = alive_signing_input(case["network"], node, int(case["incarnation"]))
        assert signing_input.hex() == case["signing_input"]
        assert ed25519_sign(seed, signing_input).hex() == case["signature"]
        assert verify_alive(bytes.fromhex(case["signature"]), case["network"], node, int(case["incarnation"]))
    assert {int(c["incarnation"]) for c in content["alive"]} >= {0, 1, U64_MAX}
    assert len({c["network"] for c in content["alive"]}) >= 2
    for case in content["invalid_alive"]:
        node = bytes.fromhex(case["node_hex"])
        assert bech32m_decode(case["node"]) == ("node", node)
        assert not verify_alive(bytes.fromhex(case["signature"]), case["network"], node, int(case["incarnation"]))
    for case in content["membership"]:
        data = bytes.fromhex(case["bytes"])
        fields = {k: case[k] for k in ("request_id", "body", "kind", "sequence", "target", "updates")}
        assert read_membership_fields(data) == fields, case["name"]
        assert pb_message_field(FRAME_MEMBERSHIP, membership_bytes(
            case["kind"], case["sequence"], case["target"], case["updates"])) == data, case["name"]
        read = read_membership(data)
        assert read == case["read"], case["name"]
        for u in read["updates"]:
            if u["status"] == "alive":
                assert verify_alive(bytes.fromhex(u["signature"]), case["network"], bytes.fromhex(u["node"]),
                                    int(u["incarnation"])), case["name"]
    assert {c["kind"] for c in content["membership"]} == set(SWIM_KINDS)
    for case in content["invalid_membership"]:
        if "count" in case:
            update = bytes.fromhex(case["update_bytes"])
            assert member_update_bytes(case["update"]) == update
            data = pb_message_field(FRAME_MEMBERSHIP, pb_varint_field(1, case["kind"])
                                    + pb_message_field(4, update) * case["count"])
            assert len(data) == case["bytes_length"] and blake2b_256(data).hex() == case["bytes_hash"]
        else:
            data = bytes.fromhex(case["bytes"])
        assert refusal(read_membership, data) == case["error"], case["name"]
    assert {c["error"] for c in content["invalid_membership"]} == {"oversized", "malformed"}
    contents = {}
    for case in content["announcements"]:
        envelope = bytes.fromhex(case["envelope"])
        opened = open_announcement(envelope)
        seed = fixed_bytes(case["founder_seed_label"])
        assert seed.hex() == case["founder_seed"] and opened["signer"] == ed25519_public(seed)
        assert bech32m_decode(case["founder"]) == ("persona", opened["signer"]) and case["founder_hex"] == \
            opened["signer"].hex()
        assert opened["community"].hex() == case["community_hex"] == blake2b_256(opened["create"]).hex()
        assert bech32m_decode(case["community"]) == ("tcc", opened["community"])
        assert opened["create"].hex() == case["create_event"] and str(opened["version"]) == case["version"]
        assert opened["manifest"] == GOSSIP_MANIFESTS[case["manifest"]]
        assert envelope.endswith(bytes.fromhex(case["payload"]))
        assert announcement_payload(opened["community"], opened["version"], opened["create"],
                                    opened["manifest"]).hex() == case["payload"]
        assert sign_envelope(seed, ANNOUNCEMENT_TYPE, bytes.fromhex(case["payload"]))[2] == envelope
        assert blake2b_256(envelope).hex() == case["content_id"]
        assert bech32m_decode(case["content_id_text"]) == ("obj", blake2b_256(envelope))
        author, ev = open_event(opened["create"])
        c = case["create"]
        assert ev["kind"] == "create" and author == opened["signer"] and ev["time"] == c["time"]
        assert ev["fields"] == {"group": c["group"], "tcc": bech32m_decode(c["tcc"])[1],
                                "node": bech32m_decode(c["node"])[1], "manifest": GOSSIP_MANIFESTS[c["manifest"]]}
        assert opened["group"] == c["group"]
        contents[case["content_id"]] = (case["community_hex"], case["version"])
    assert {c["create"]["group"] for c in content["announcements"]} == {1, 2}
    for case in content["invalid_announcements"]:
        assert refusal(open_announcement, bytes.fromhex(case["envelope"])) == case["error"], case["name"]
    assert {c["error"] for c in content["invalid_announcements"]} == {"badSignature", "wrongSigner", "notPublic",
                                                                       "malformed"}
    for case in content["frames"]:
        data = bytes.fromhex(case["bytes"])
        assert read_gossip_frame(data) == {k: v for k, v in case.items() if k not in ("name", "bytes")}, case["name"]
        for item in case.get("items", []):
            open_announcement(bytes.fromhex(item))
        assert len(case.get("items", [])) <= ANNOUNCEMENTS_MAXIMUM_ITEMS
        for e in case.get("entries", []):
            assert contents[e["content"]] == (e["key"], e["version"]), case["name"]
    assert {c["body"] for c in content["frames"]} == {"announcements", "digest"}
    for case in content["supersedes"]:
        held, incoming = ({"version": int(e["version"]), "content": bytes.fromhex(e["content"])}
                          for e in (case["held"], case["incoming"]))
        assert supersedes(incoming, held) == case["incoming_supersedes"]
        assert supersedes(held, incoming) == case["held_supersedes"]
        assert case["kept"] == ("incoming" if case["incoming_supersedes"] else "held")
    for group in ("alive", "invalid_alive", "membership", "invalid_membership", "announcements",
                  "invalid_announcements", "frames", "supersedes"):
        names = [c["name"] for c in content[group]]
        assert len(names) == len(set(names)), group


# ---------------------------------------------------------------------------------------------
# TCF migration (section 18)

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def hchacha20(key, nonce16):
    """HChaCha20 (draft-irtf-cfrg-xchacha section 2.2), for XChaCha20-Poly1305's subkey."""
    def rotl(v, c):
        return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))

    def quarter(x, a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 7)

    x = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    x += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(x, 0, 4, 8, 12); quarter(x, 1, 5, 9, 13); quarter(x, 2, 6, 10, 14); quarter(x, 3, 7, 11, 15)
        quarter(x, 0, 5, 10, 15); quarter(x, 1, 6, 11, 12); quarter(x, 2, 7, 8, 13); quarter(x, 3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def xchacha20poly1305_seal(key, nonce24, plaintext, aad):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\x00" * 4 + nonce24[16:], plaintext, aad)


def tpm_ecc_public(attributes, x, y, signing):
    """A TPMT_PUBLIC of a P-256 key as OMS's templates make it (Sources/OMSTrust/TPMPublicArea.swift)."""
    out = struct.pack(">HHI", 0x0023, 0x000B, attributes) + struct.pack(">H", 0)
    out += struct.pack(">H", 0x0010)  # no symmetric algorithm
    out += struct.pack(">HH", 0x0018, 0x000B) if signing else struct.pack(">H", 0x0010)
    out += struct.pack(">HH", 0x0003, 0x0010)  # NIST P-256, no KDF
    out += struct.pack(">H", len(x)) + x + struct.pack(">H", len(y)) + y
    return out


def tpm_name(public_area):
    return b"\x00\x0b" + hashlib.sha256(public_area).digest()


def p256_key(label):
    scalar = int.from_bytes(fixed_bytes(label), "big") % (2**256 - 2**224 + 2**192 + 2**96 - 1) or 1
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    return key, numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")


MIGRATION_ATTESTATION_DOMAIN = b"oms/v1/migration-attestation\x00"
MIGRATION_RECEIPT_DOMAIN = b"oms/v1/migration-receipt\x00"
MIGRATION_KEY_DOMAIN = b"oms/v1/migration-key\x00"
MIGRATION_CHUNK_DOMAIN = b"oms/v1/migration-chunk\x00"


def migration():
    migration_id = fixed_bytes("migration/id", 16)
    nonce = fixed_bytes("migration/nonce")
    source_seed, destination_seed, owner_seed = fixed_bytes("seed/alice"), fixed_bytes("seed/bob"), fixed_bytes("seed/owner")
    tcf = hashlib.blake2b(b"oms/v1/tcf-id\x00" + ed25519_public(owner_seed), digest_size=32).digest()
    source, destination = ed25519_public(source_seed), ed25519_public(destination_seed)
    _, ak_x, ak_y = p256_key("migration/attestation-key")
    transfer, transfer_x, transfer_y = p256_key("migration/transfer-key")
    ephemeral, ephemeral_x, ephemeral_y = p256_key("migration/ephemeral-key")
    attestation_key = tpm_ecc_public(0x00050472, ak_x, ak_y, signing=True)
    transfer_key = tpm_ecc_public(0x00020472, transfer_x, transfer_y, signing=False)
    transfer_name = tpm_name(transfer_key)
    qualifying = hashlib.sha256(MIGRATION_ATTESTATION_DOMAIN + migration_id + nonce + transfer_name).digest()
    trust = 1
    attestation_input = (
        MIGRATION_ATTESTATION_DOMAIN + migration_id + nonce + bytes([trust]) + hashlib.sha256(attestation_key).digest() + transfer_name
    )
    # ECDH: the source's ephemeral key with the transfer key; both sides get the same x.
    shared = ephemeral.exchange(ec.ECDH(), transfer.public_key())
    assert shared == transfer.exchange(ec.ECDH(), ephemeral.public_key())
    ephemeral_point = b"\x04" + ephemeral_x + ephemeral_y
    chunk_key = hashlib.blake2b(MIGRATION_KEY_DOMAIN + migration_id + ephemeral_point + transfer_name, digest_size=32, key=shared).digest()
    chunk_count = 3
    chunks = []
    for index, plaintext in enumerate([b"the first chunk", b"", fixed_bytes("migration/chunk", 100)]):
        chunk_nonce = migration_id + struct.pack(">I", index) + b"\x00" * 4
        aad = MIGRATION_CHUNK_DOMAIN + migration_id + struct.pack(">II", index, chunk_count)
        chunks.append({
            "index": index, "plaintext": plaintext.hex(), "nonce": chunk_nonce.hex(), "associated_data": aad.hex(),
            "sealed": xchacha20poly1305_seal(chunk_key, chunk_nonce, plaintext, aad).hex(),
        })
    archive_digest = blake2b_256(b"an archive")
    at_ms = 1_795_687_200_000
    receipt_input = (
        MIGRATION_RECEIPT_DOMAIN + migration_id + tcf + archive_digest + source + destination + bytes([trust]) + struct.pack(">Q", at_ms)
    )
    locations = []
    for sequence, node in [(1, destination), (2, source), ((1 << 63) - 1, destination)]:
        payload = b"\x01" + tcf + node + struct.pack(">QQ", sequence, at_ms) + migration_id
        envelope = sign_envelope(owner_seed, "oms/tcf-location", payload)[2]
        locations.append({"sequence": str(sequence), "node": node.hex(), "payload": payload.hex(), "envelope": envelope.hex(),
                          "content": blake2b_256(envelope).hex()})
    good = b"\x01" + tcf + destination + struct.pack(">QQ", 1, at_ms) + migration_id
    invalid_locations = [
        ("layout 2", owner_seed, b"\x02" + good[1:], "malformed"),
        ("sequence 0", owner_seed, b"\x01" + tcf + destination + struct.pack(">QQ", 0, at_ms) + migration_id, "malformed"),
        ("sequence 2^63", owner_seed, b"\x01" + tcf + destination + struct.pack(">QQ", 1 << 63, at_ms) + migration_id, "malformed"),
        ("cut short", owner_seed, good[:-1], "malformed"),
        ("a trailing byte", owner_seed, good + b"\x00", "malformed"),
        ("signed by a key the TCF id does not name", source_seed, good, "wrongSigner"),
    ]
    # A Digest frame (field 21) holding a location record's entry (kind 1) and a manifest's (kind 0).
    entry_location = pb_bytes_field(1, tcf) + pb_varint_field(2, 2) + pb_bytes_field(3, bytes.fromhex(locations[1]["content"])) + pb_varint_field(4, 1)
    entry_manifest = pb_bytes_field(1, fixed_bytes("migration/community")) + pb_varint_field(2, 1) + pb_bytes_field(3, fixed_bytes("migration/content"))
    digest_frame = pb_message_field(21, pb_message_field(1, entry_location) + pb_message_field(1, entry_manifest))
    return {
        "description": (
            "Section 18. qualifying_data = SHA-256(domain || migration || nonce || transfer_key_name); the destination "
            "(destination_seed) signs attestation_signing_input; chunk_key = BLAKE2b-256 keyed by the ECDH x of the "
            "ephemeral and transfer keys over the key domain, migration, ephemeral point and transfer key name; each chunk "
            "is XChaCha20-Poly1305 under chunk_key with its nonce and associated data; the receipt's signing input and "
            "signature; location records signed by owner_seed, whose TCF id is BLAKE2b-256('oms/v1/tcf-id' || 0x00 || owner "
            "key); a Digest frame with a location entry (kind 1)."
        ),
        "migration": migration_id.hex(), "nonce": nonce.hex(), "tcf": tcf.hex(),
        "source_seed": source_seed.hex(), "destination_seed": destination_seed.hex(), "owner_seed": owner_seed.hex(),
        "attestation_key": attestation_key.hex(), "transfer_key": transfer_key.hex(), "transfer_key_name": transfer_name.hex(),
        "transfer_scalar": transfer.private_numbers().private_value.to_bytes(32, "big").hex(),
        "ephemeral_scalar": ephemeral.private_numbers().private_value.to_bytes(32, "big").hex(),
        "ephemeral_point": ephemeral_point.hex(), "shared_secret": shared.hex(),
        "qualifying_data": qualifying.hex(), "trust": trust,
        "attestation_signing_input": attestation_input.hex(), "attestation_signature": ed25519_sign(destination_seed, attestation_input).hex(),
        "chunk_key": chunk_key.hex(), "chunk_count": chunk_count, "chunks": chunks,
        "archive_digest": archive_digest.hex(), "at_unix_ms": str(at_ms),
        "receipt_signing_input": receipt_input.hex(), "receipt_signature": ed25519_sign(destination_seed, receipt_input).hex(),
        "locations": locations,
        "invalid_locations": [
            {"name": n, "envelope": sign_envelope(seed, "oms/tcf-location", p)[2].hex(), "code": code} for n, seed, p, code in invalid_locations
        ],
        "digest_frame": digest_frame.hex(),
    }


def check_migration():
    # HChaCha20's test vector (draft-irtf-cfrg-xchacha-03, section 2.2.1).
    assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == (
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    )
    # XChaCha20-Poly1305's (section A.3.1).
    sealed = xchacha20poly1305_seal(
        bytes(range(0x80, 0xA0)), bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657"),
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
        bytes.fromhex("50515253c0c1c2c3c4c5c6c7"))
    assert sealed[-16:].hex() == "c0875924c1c7987947deafd8780acf49", sealed[-16:].hex()


def write(name, content):
    path = os.path.join(HERE, name)
    text = json.dumps(content, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def self_check():
    """BIP 350's own examples, so this bech32m is checked before it writes anything."""
    for text in [
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11" + "l" * 83 + "udsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ]:
        bech32m_decode_values(text)
    for text in [
        "\x201xj0phk",
        "\x7f1g6xzxy",
        "\x801vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m",
        "1qyrz8wqd2c9m",
        "y1b0jsk6g",
        "lt1igcx5c0",
        "in1muywd",
        "mm1crxm3i",
        "au1s5cgom",
        "M1VUXWEZ",
        "16plkw9",
        "1p2gdwpf",
    ]:
        try:
            bech32m_decode_values(text)
            raise AssertionError(text)
        except ValueError:
            pass
    assert varint(300) == b"\xac\x02" and varint(0) == b"\x00" and len(varint((1 << 64) - 1)) == 10
    # The claim, persona-link and sign-in vectors, each through this file's own verifiers.
    check_claims(claims())
    check_persona_links(persona_links())
    check_sign_in(sign_in())
    check_queries(queries())
    check_community(community())
    check_gossip(gossip())
    check_migration()


def main():
    self_check()
    write("envelopes.json", envelopes())
    write("identifiers.json", identifiers())
    write("handshake-identity.json", handshake_identity())
    write("frames.json", frames())
    write("prologue.json", prologue())
    write("audit.json", audit())
    write("claims.json", claims())
    write("persona-links.json", persona_links())
    write("sign-in.json", sign_in())
    write("queries.json", queries())
    write("community.json", community())
    write("gossip.json", gossip())
    write("migration.json", migration())


if __name__ == "__main__":
    main()
