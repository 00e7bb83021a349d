#!/usr/bin/env python3
"""Writes the OMS wire-format test vectors in this directory.

This is a second, independent implementation of the formats described in
protocol-spec/README.md, written from the prose and not from the Swift code. It uses only the
Python standard library (hashlib.blake2b, json, struct) and the `cryptography` package for
Ed25519 and X25519. Bech32m (BIP 350) and the protobuf wire encoding are implemented here by
hand.

Every input is fixed, Ed25519 signatures are deterministic (RFC 8032) and JSON is written with
sorted keys, so running the script again produces byte-identical files:

    python3 protocol-spec/vectors/generate.py

Conventions in the files: byte strings are lower-case hex; uint64 protobuf fields are decimal
strings (JSON numbers lose precision above 2**53).
"""

import hashlib
import json
import os
import struct

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
    for name, seed_label, static_label in [
        ("responder", "seed/alice", "noise/alice"),
        ("initiator", "seed/bob", "noise/bob"),
    ]:
        seed = fixed_bytes(seed_label)
        static_private = fixed_bytes(static_label)
        static_public = X25519PrivateKey.from_private_bytes(static_private).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        message = NOISE_STATIC_DOMAIN + static_public
        signature = ed25519_sign(seed, message)
        identity_key = ed25519_public(seed)
        payload = pb_bytes_field(1, identity_key) + pb_bytes_field(2, signature)
        assert payload[:2] == b"\x0a\x20" and payload[34:36] == b"\x12\x40"
        cases.append(
            {
                "name": name,
                "identity_seed": seed.hex(),
                "identity_key": identity_key.hex(),
                "node_id": bech32m_encode("node", identity_key),
                "noise_static_private_key": static_private.hex(),
                "noise_static_public_key": static_public.hex(),
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
    sig_other_static = ed25519_sign(bytes.fromhex(good["identity_seed"]), NOISE_STATIC_DOMAIN + other_static)
    sig_no_domain = ed25519_sign(bytes.fromhex(good["identity_seed"]), bytes.fromhex(good["noise_static_public_key"]))
    flipped = bytearray(sig)
    flipped[0] ^= 1
    invalid = [
        ("signature over another static key", pb_bytes_field(1, key) + pb_bytes_field(2, sig_other_static)),
        ("signature without the domain tag", pb_bytes_field(1, key) + pb_bytes_field(2, sig_no_domain)),
        ("signature with one bit flipped", pb_bytes_field(1, key) + pb_bytes_field(2, bytes(flipped))),
        ("identity key of another node", pb_bytes_field(1, bytes.fromhex(cases[1]["identity_key"])) + pb_bytes_field(2, sig)),
        ("identity key missing", pb_bytes_field(2, sig)),
        ("signature missing", pb_bytes_field(1, key)),
        ("empty payload", b""),
        ("identity key of 31 bytes", pb_bytes_field(1, key[:31]) + pb_bytes_field(2, sig)),
        ("signature of 63 bytes", pb_bytes_field(1, key) + pb_bytes_field(2, sig[:63])),
    ]
    return {
        "description": (
            "The Noise handshake payload (protocol-spec/README.md, 'Transport'). valid: the node with identity_seed "
            "signs signed_message = 'oms/v1/noise-static-key' || 0x00 || noise_static_public_key; the result MUST be "
            "identity_signature, and HandshakePayload{identity_key, identity_signature} MUST encode to "
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
            "name": "unknown body field 15 (empty message)",
            "bytes": (varint(15 << 3 | 2) + varint(0)).hex(),
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


def main():
    self_check()
    write("envelopes.json", envelopes())
    write("identifiers.json", identifiers())
    write("handshake-identity.json", handshake_identity())
    write("frames.json", frames())
    write("prologue.json", prologue())
    write("audit.json", audit())


if __name__ == "__main__":
    main()
