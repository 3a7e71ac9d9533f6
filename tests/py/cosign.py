#!/usr/bin/env python3
"""An independent C2SP tlog-cosignature v1 (Ed25519) implementation, from the
spec's text alone, with Python's `cryptography`: the oracle for the Rust
verifier's cosignatures (tests/tests/cosignature_python.rs).

  cosign.py sign NAME SEED_HEX TIMESTAMP < checkpoint-note   -> the note with the line added
  cosign.py vkey NAME SEED_HEX                                -> the cosigner's vkey
  cosign.py verify VKEY < note                                -> prints the timestamp, or exits 1
"""
import base64
import hashlib
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.exceptions import InvalidSignature


def key_id(name: str, pub: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + b"\x04" + pub).digest()[:4]


def message(body: str, ts: int) -> bytes:
    return b"cosignature/v1\n" + b"time %d\n" % ts + body.encode()


def body_of(note: str) -> str:
    # The text is everything up to and including the newline before the
    # last blank line; signature lines follow it.
    i = note.rindex("\n\n")
    return note[: i + 1]


def main() -> None:
    cmd = sys.argv[1]
    if cmd in ("sign", "vkey"):
        name, seed = sys.argv[2], bytes.fromhex(sys.argv[3])
        key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = key.public_key().public_bytes_raw()
        if cmd == "vkey":
            material = base64.b64encode(bytes([4]) + pub).decode()
            print(f"{name}+{key_id(name, pub).hex()}+{material}")
            return
        ts = int(sys.argv[4])
        note = sys.stdin.read()
        sig = key.sign(message(body_of(note), ts))
        raw = key_id(name, pub) + struct.pack(">Q", ts) + sig
        sys.stdout.write(note + f"\u2014 {name} {base64.b64encode(raw).decode()}\n")
    elif cmd == "verify":
        name, kid_hex, b64 = sys.argv[2].split("+", 2)
        raw_key = base64.b64decode(b64)
        assert raw_key[0] == 4 and len(raw_key) == 33
        pub = Ed25519PublicKey.from_public_bytes(raw_key[1:])
        note = sys.stdin.read()
        body = body_of(note)
        for line in note[len(body) + 1 :].splitlines():
            lname, sig_b64 = line[2:].split(" ", 1)
            raw = base64.b64decode(sig_b64)
            if lname != name or raw[:4] != bytes.fromhex(kid_hex) or len(raw) != 76:
                continue
            (ts,) = struct.unpack(">Q", raw[4:12])
            try:
                pub.verify(raw[12:], message(body, ts))
            except InvalidSignature:
                sys.exit(1)
            print(ts)
            return
        sys.exit(1)


if __name__ == "__main__":
    main()
