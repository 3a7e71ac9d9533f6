#!/usr/bin/env python3
"""An independent C2SP tlog-cosignature v1.1 implementation (Ed25519
`cosignature/v1` and ML-DSA-44 `subtree/v1`), from the spec's text alone, with
Python's `cryptography`: the oracle for the Rust cosignatures and the log's
ML-DSA-44 checkpoint signature (tests/tests/cosignature_python.rs).

  cosign.py sign ALG NAME SEED_HEX TIMESTAMP < checkpoint-note -> the note with the line added
  cosign.py vkey ALG NAME SEED_HEX                              -> the cosigner's vkey
  cosign.py verify VKEY < note                                  -> prints the timestamp, or exits 1

ALG is `ed25519` or `mldsa44`; the seed is the 32-byte private key (Ed25519)
or the FIPS 204 key-generation seed (ML-DSA-44).
"""
import base64
import hashlib
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.mldsa import (
    MLDSA44PrivateKey,
    MLDSA44PublicKey,
)
from cryptography.exceptions import InvalidSignature

ALG = {"ed25519": 4, "mldsa44": 6}


def key_id(name: str, alg: int, pub: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]


def message(alg: int, name: str, body: str, ts: int) -> bytes:
    if alg == 4:
        return b"cosignature/v1\n" + b"time %d\n" % ts + body.encode()
    # struct cosigned_message (RFC 8446 presentation language).
    origin, size, root = body.split("\n")[:3]
    root = base64.b64decode(root)
    assert len(root) == 32
    return (
        b"subtree/v1\n\x00"
        + bytes([len(name.encode())]) + name.encode()
        + struct.pack(">Q", ts)
        + bytes([len(origin.encode())]) + origin.encode()
        + struct.pack(">QQ", 0, int(size))
        + root
    )


def private(alg: int, seed: bytes):
    if alg == 4:
        key = Ed25519PrivateKey.from_private_bytes(seed)
    else:
        key = MLDSA44PrivateKey.from_seed_bytes(seed)
    return key, key.public_key().public_bytes_raw()


def body_of(note: str) -> str:
    # The text is everything up to and including the newline before the
    # last blank line; signature lines follow it.
    i = note.rindex("\n\n")
    return note[: i + 1]


def main() -> None:
    cmd = sys.argv[1]
    if cmd in ("sign", "vkey"):
        alg, name, seed = ALG[sys.argv[2]], sys.argv[3], bytes.fromhex(sys.argv[4])
        key, pub = private(alg, seed)
        if cmd == "vkey":
            material = base64.b64encode(bytes([alg]) + pub).decode()
            print(f"{name}+{key_id(name, alg, pub).hex()}+{material}")
            return
        ts = int(sys.argv[5])
        note = sys.stdin.read()
        sig = key.sign(message(alg, name, body_of(note), ts))
        raw = key_id(name, alg, pub) + struct.pack(">Q", ts) + sig
        sys.stdout.write(note + f"\u2014 {name} {base64.b64encode(raw).decode()}\n")
    elif cmd == "verify":
        name, kid_hex, b64 = sys.argv[2].split("+", 2)
        raw_key = base64.b64decode(b64)
        alg = raw_key[0]
        if alg == 4:
            assert len(raw_key) == 33
            pub = Ed25519PublicKey.from_public_bytes(raw_key[1:])
            sig_len = 64
        else:
            assert alg == 6 and len(raw_key) == 1 + 1312
            pub = MLDSA44PublicKey.from_public_bytes(raw_key[1:])
            sig_len = 2420
        assert key_id(name, alg, raw_key[1:]).hex() == kid_hex
        note = sys.stdin.read()
        body = body_of(note)
        for line in note[len(body) + 1 :].splitlines():
            lname, sig_b64 = line[2:].split(" ", 1)
            raw = base64.b64decode(sig_b64)
            if lname != name or raw[:4] != bytes.fromhex(kid_hex):
                continue
            if len(raw) != 12 + sig_len:
                sys.exit(1)
            (ts,) = struct.unpack(">Q", raw[4:12])
            try:
                pub.verify(raw[12:], message(alg, name, body, ts))
            except InvalidSignature:
                sys.exit(1)
            print(ts)
            return
        sys.exit(1)


if __name__ == "__main__":
    main()
