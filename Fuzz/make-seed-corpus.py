#!/usr/bin/env python3
"""Writes the seed corpora in Corpus/<Fuzzer>/ from protocol-spec/vectors/*.json.

Seeds are the project's own wire-format vectors (valid and invalid) plus a few hand-made
inputs for paths the vectors do not reach. File names say what each seed is, so a replay
failure names its input. Running the script again gives the same files:

    python3 Fuzz/make-seed-corpus.py

Inputs the fuzzers find are not written back here: libFuzzer adds them to the corpus directory
it is run on, and only those worth keeping are committed by hand.
"""

import json
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "protocol-spec", "vectors")


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def write(corpus, seeds):
    directory = os.path.join(HERE, "Corpus", corpus)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for number, (name, data) in enumerate(seeds):
        path = os.path.join(directory, "%02d-%s" % (number, slug(name)))
        assert not os.path.exists(path), path
        with open(path, "wb") as f:
            f.write(data)


def envelope_seeds():
    vectors = load("envelopes.json")
    seeds = [("valid " + v["name"], bytes.fromhex(v["envelope"])) for v in vectors["valid"]]
    seeds += [("invalid " + v["name"], bytes.fromhex(v["envelope"])) for v in vectors["invalid"]]
    return seeds


def frame_stream_seeds():
    """Byte 0: number of 16-bit chunk sizes minus one (mod 8); then the sizes; then the stream."""

    def chunked(sizes, stream):
        return bytes([len(sizes) - 1]) + b"".join(struct.pack(">H", s) for s in sizes) + stream

    def framed(frame):
        return struct.pack(">I", len(frame)) + frame

    vectors = load("frames.json")
    stream = bytes.fromhex(vectors["stream"])
    seeds = [("case " + c["name"], chunked([0], bytes.fromhex(c["stream"]))) for c in vectors["cases"]]
    seeds += [
        ("whole stream in one chunk", chunked([0], stream)),
        ("whole stream byte by byte", chunked([1], stream)),
        ("whole stream in chunks of 3 7 and empty", chunked([3, 7, 0], stream)),
    ]
    seeds += [("unknown " + u["name"], chunked([0], framed(bytes.fromhex(u["bytes"])))) for u in vectors["unknown"]]
    seeds += [("malformed " + m["name"], chunked([2], framed(bytes.fromhex(m["bytes"])))) for m in vectors["malformed"]]
    seeds += [
        ("empty frame", chunked([0], framed(b""))),
        ("length one over the limit", chunked([0], struct.pack(">I", (1 << 16) + 1) + b"\x00" * 8)),
        ("length at the limit, truncated", chunked([0], struct.pack(">I", 1 << 16) + b"\x08\x01")),
    ]
    # No seed reaches the assembler's 64 KiB compaction (FrameAssemblerTests covers it): inputs
    # that long slow this debug, instrumented build to a few hundred runs a second.
    return seeds


def handshake_seeds():
    vectors = load("handshake-identity.json")
    seeds = [("valid " + v["name"], bytes.fromhex(v["handshake_payload"])) for v in vectors["valid"]]
    seeds += [("invalid " + v["name"], bytes.fromhex(v["handshake_payload"])) for v in vectors["invalid"]]
    static_key = bytes.fromhex(vectors["invalid_static_public_key"])
    seeds += [
        ("message 1 of 32 bytes", static_key),
        ("message 1 with a payload", static_key + b"\x01"),
        ("message 2 length, zeros", b"\x00" * (32 + 48 + 16)),
    ]
    return seeds


def identifier_seeds():
    ids = load("identifiers.json")
    seeds = [("id " + v["kind"] + " " + v["text"][-6:], v["text"].encode()) for v in ids["valid"][:5]]
    seeds.append(("id upper case", ids["valid"][0]["text"].upper().encode()))
    seeds.append(("id with surrounding spaces", (" " + ids["valid"][0]["text"] + "\n").encode()))
    seeds += [("bad id " + v["name"], v["text"].encode()) for v in ids["invalid"]]
    prologue = load("prologue.json")
    seeds += [("network " + v["network_id"], v["network_id"].encode()) for v in prologue["valid"][:2]]
    seeds += [("bad network " + (t or "empty"), t.encode()) for t in prologue["invalid"][1:4]]
    endpoints = [
        "127.0.0.1:7400",
        "[::1]:7400",
        "[fe80::1%eth0]:65535",
        "node-a.example:0",
        "host:65536",
        "host:+80",
        "::1:80",
        "[::1]80",
        "[]:1",
    ]
    seeds += [("endpoint " + e, e.encode()) for e in endpoints]
    seeds += [("type " + t, t.encode()) for t in ["oms/note", "oms/test.empty-type_1", "oms/Note"]]
    seeds.append(("invalid utf-8", b"node1\xff\xfe\xc3("))
    return seeds


def identity_object_seeds():
    """Every valid envelope of the claim, persona-link and sign-in vectors, the first invalid one
    of each kind and error (the verdicts past opening come from the fuzzer's own times), and the
    malformed claims whose ids a mutation would hardly reach (other kinds with valid checksums)."""
    claims = load("claims.json")
    links = load("persona-links.json")
    sign_in = load("sign-in.json")
    seeds = [("claim " + v["name"], v["envelope"]) for v in claims["valid"] + claims["still_valid"]]
    seeds += [("revocation " + v["name"], v["envelope"]) for v in claims["revocations"]]
    seeds += [("presentation " + v["name"], v["envelope"]) for v in claims["presentations"]]
    seeds += [("link " + v["name"], v["envelope"]) for v in links["valid"]]
    seeds += [("sign-in " + v["name"], v["envelope"]) for v in sign_in["valid"]]
    invalid = [(v["kind"], v) for v in claims["invalid"]]
    invalid += [("link", v) for v in links["invalid"]] + [("sign-in", v) for v in sign_in["invalid"]]
    seen = set()
    for kind, v in invalid:
        if (kind, v["error"]) not in seen:
            seen.add((kind, v["error"]))
            seeds.append(("bad %s %s" % (kind, v["name"]), v["envelope"]))
    hard_to_reach = [
        "issuer is a node id of the signing key",
        "issuer is a tcf id of the signing key",
        "subject is an obj id",
        "value not UTF-8 (an encoded UTF-16 surrogate)",
        "audience with U+0085 (a C1 control character)",
    ]
    seeds += [("bad %s %s" % (kind, v["name"]), v["envelope"]) for kind, v in invalid if v["name"] in hard_to_reach]
    return [(name, bytes.fromhex(envelope)) for name, envelope in seeds]


def exchange_seeds():
    """Every valid query, answer and refusal of the exchange vectors, the first invalid one of each
    group and error, and the malformed ones a mutation would hardly reach (NaN bit patterns, -0).
    Inputs over 16 KB (the payloads padded one byte past a limit) are left out: they would slow
    the fuzzer, and the vector tests check them."""
    vectors = load("queries.json")
    seeds = [("query " + v["name"], v["envelope"]) for v in vectors["queries"]]
    seeds += [("answer " + v["name"], v["envelope"]) for v in vectors["answers"]]
    seeds += [("refusal " + v["name"], v["envelope"]) for v in vectors["refusals"]]
    # Community reports (section 15, "Institutions") are opened by the same target.
    reports = load("community.json")
    seeds += [("report " + v["name"], v["envelope"]) for v in reports["reports"]]
    seeds += [("bad report " + v["name"], v["envelope"]) for v in reports["invalid_reports"][:6]]
    invalid = [("query", v) for v in vectors["invalid_queries"]] + [("response", v) for v in vectors["bad_responses"]]
    invalid += [("presentation", v) for v in vectors["bad_presentations"][:2]]
    hard_to_reach = [
        "a number NaN with another bit pattern",
        "a number NaN with a payload",
        "region radius -0",
        "purpose with U+0085 (a C1 control character)",
        "a rule with U+007F",
        "refusal code with a digit",
    ]
    seen = set()
    for kind, v in invalid:
        if (kind, v["error"]) not in seen or v["name"] in hard_to_reach:
            seen.add((kind, v["error"]))
            seeds.append(("bad %s %s" % (kind, v["name"]), v["envelope"]))
    return [(name, bytes.fromhex(envelope)) for name, envelope in seeds if len(envelope) <= 2 * 16384]


def ingest_seeds():
    """Device batches as devices send them (both formats, every built-in stream and the fuzz
    target's declared "mood" stream with every field type), and the mistakes a device makes."""
    return [(name, text.encode()) for name, text in [
        ("ndjson every built-in stream",
         '{"stream":"gps","time":1795687200000,"lat":52.52,"lon":13.4,"accuracy":5,"altitude":34.5}\n'
         '{"stream":"steps","time":"2026-11-26T10:00:00Z","count":120}\n'
         '{"stream":"heart_rate","time":1795687201000,"bpm":71.5}\n'),
        ("json array of a declared stream",
         '[{"stream":"mood","time":1,"score":7,"note":"caf\\u00e9 \\"ok\\" \\ud83d\\ude00","shared":true,"level":-1.5e-3},\n'
         ' {"stream":"mood","time":2,"score":0,"note":null}]'),
        ("a bad latitude on line two", '{"stream":"steps","time":1,"count":1}\n{"stream":"gps","time":1,"lat":91,"lon":0}\n'),
        ("nesting and duplicates", '{"stream":"steps","time":1,"count":{"n":1}}\n{"stream":"steps","time":1,"count":1,"count":2}\n'),
        ("numbers at their edges",
         '{"stream":"steps","time":253402300799999,"count":100000}\n{"stream":"mood","time":0,"score":10,"level":1.7976931348623157e308}\n'),
    ]]


def community_seeds():
    """Every valid and invalid event of the community vectors, then the events of every scenario's
    steps (the first scenario's are what the fuzz target's log holds, or concurrent with it, or
    refused by it), each input once. Inputs over 16 KB (the events of a manifest at or past the
    limit, the payload one byte over it) are left out: they would slow the fuzzer, and the vector
    tests check them."""
    vectors = load("community.json")
    seeds = [("event " + v["name"], v["envelope"]) for v in vectors["events"]]
    seeds += [("bad event " + v["name"], v["envelope"]) for v in vectors["invalid_events"]]
    for number, log in enumerate(vectors["logs"]):
        seeds += [("log %d %s %s" % (number, step["outcome"], step["name"]), step["event"]) for step in log["steps"]]
    seen = set()
    kept = []
    for name, envelope in seeds:
        if envelope not in seen and len(envelope) <= 2 * 16384:
            seen.add(envelope)
            kept.append((name, bytes.fromhex(envelope)))
    return kept


def gossip_seeds():
    """Every membership, announcement and digest frame of the gossip vectors, valid or not, and
    every announcement's envelope raw, each input once (the compact 4097-update push-pull is left
    out: the vector tests build it)."""
    vectors = load("gossip.json")
    seeds = [("membership " + v["name"], v["bytes"]) for v in vectors["membership"]]
    seeds += [("bad membership " + v["name"], v["bytes"]) for v in vectors["invalid_membership"] if "bytes" in v]
    seeds += [("frame " + v["name"], v["bytes"]) for v in vectors["frames"]]
    seeds += [("announcement " + v["name"], v["envelope"]) for v in vectors["announcements"]]
    seeds += [("bad announcement " + v["name"], v["envelope"]) for v in vectors["invalid_announcements"]]
    seen = set()
    kept = []
    for name, data in seeds:
        if data not in seen:
            seen.add(data)
            kept.append((name, bytes.fromhex(data)))
    return kept


def migration_seeds():
    """The migration vectors' location records (valid and not) and digest frame, and a frame of
    each migration kind built from the vectors' fields (protobuf by hand, as the generator does)."""
    vectors = load("migration.json")

    def field(number, value):
        key = bytes([(number << 3) | 2])
        length, n = b"", len(value)
        while True:
            byte = n & 0x7F
            n >>= 7
            length += bytes([byte | (0x80 if n else 0)])
            if not n:
                break
        return key + length + value

    def varint_field(number, value):
        out, n = bytes([number << 3]), value
        while True:
            byte = n & 0x7F
            n >>= 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    migration, nonce, tcf = (bytes.fromhex(vectors[k]) for k in ("migration", "nonce", "tcf"))
    offer = field(1, migration) + field(2, tcf) + field(3, nonce) + varint_field(4, 3 << 20) + varint_field(5, 7)
    attestation = (field(1, migration) + varint_field(2, 1) + field(3, bytes.fromhex(vectors["attestation_key"]))
                   + field(4, bytes.fromhex(vectors["transfer_key"])) + field(10, bytes.fromhex(vectors["attestation_signature"])))
    begin = field(1, migration) + field(2, bytes.fromhex(vectors["ephemeral_point"])) + field(3, bytes.fromhex(vectors["archive_digest"])) \
        + varint_field(4, 3 << 20) + varint_field(5, 3)
    chunk = field(1, migration) + varint_field(2, 1) + field(3, bytes.fromhex(vectors["chunks"][2]["sealed"]))
    receipt = (field(1, migration) + field(2, tcf) + field(3, bytes.fromhex(vectors["archive_digest"])) + field(4, b"\x01" * 32)
               + field(5, b"\x02" * 32) + varint_field(6, 1) + varint_field(7, 1) + field(8, bytes.fromhex(vectors["receipt_signature"])))
    seeds = [("location " + v["sequence"], bytes.fromhex(v["envelope"])) for v in vectors["locations"]]
    seeds += [("bad location " + v["name"], bytes.fromhex(v["envelope"])) for v in vectors["invalid_locations"]]
    seeds += [("digest frame", bytes.fromhex(vectors["digest_frame"]))]
    seeds += [("offer", field(22, offer)), ("attestation", field(23, attestation)), ("begin", field(24, begin)),
              ("chunk", field(25, chunk)), ("ack", field(26, field(1, migration) + varint_field(2, 2))),
              ("commit", field(27, field(1, migration))), ("receipt", field(28, receipt))]
    return seeds


write("FuzzEnvelope", envelope_seeds())
write("FuzzFrameStream", frame_stream_seeds())
write("FuzzHandshakePayload", handshake_seeds())
write("FuzzIdentifiers", identifier_seeds())
write("FuzzIdentityObjects", identity_object_seeds())
write("FuzzExchange", exchange_seeds())
write("FuzzIngest", ingest_seeds())
write("FuzzCommunity", community_seeds())
write("FuzzGossip", gossip_seeds())
write("FuzzMigration", migration_seeds())
