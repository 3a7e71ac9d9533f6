#!/usr/bin/env python3
"""Independent encoder for e-seal test fixtures: GB/T 38540-2020 ("v4")
and GM/T 0031-2014 ("v1").

Builds an SES_Signature (and the SESeal inside it) with pyasn1's DER
encoder and signs it with gmssl's SM2 (SM3, default distinguishing ID
"1234567812345678"). Neither library shares code with the Rust verifier
(RustCrypto `der`, `sm2`, `sm3`), so a fixture made here tests the
verifier's reading of the standard, not its agreement with itself.

    python3 tests/py/make_seal.py SPEC.json

SPEC.json is described in tests/py/README.md. Paths in it are relative
to the spec file's directory.

tests/py/make_ofd.py uses this module to make the SignedValue.dat of
each signature in an OFD package. The seal has to exist (for Seal.esl)
before the Signature.xml that dataHash covers is final, so the work is
split in two calls:

    p = parse_spec(spec_dict, base_dir, standalone=False)
    maker_sig = sign_seal(p)              # the maker signs the seal
    seal_der = encode_seal(p, maker_sig)  # -> Seal.esl
    p["data_hash"], p["property_info"] = ..., ...
    ses_der, seal_der = encode(p, maker_sig)  # the signer signs TBS_Sign
"""

import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import secrets
import struct
import sys
import zlib

from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.type import char, namedtype, tag, univ, useful

# --------------------------------------------------------------------------
# Object identifiers
# --------------------------------------------------------------------------

SM2_WITH_SM3 = univ.ObjectIdentifier("1.2.156.10197.1.501")
ID_EC_PUBLIC_KEY = univ.ObjectIdentifier("1.2.840.10045.2.1")
SM2_CURVE = univ.ObjectIdentifier("1.2.156.10197.1.301")

# --------------------------------------------------------------------------
# SM2 curve parameters (GB/T 32918.5). Written out here rather than taken
# from gmssl's table so that Z_A is computed from the standard's numbers.
# --------------------------------------------------------------------------

SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

# GM/T 0009 default user ID, used when the signer names none.
SM2_DEFAULT_ID = b"1234567812345678"

# --------------------------------------------------------------------------
# ASN.1 schema, shared parts. Only what the fixtures use: no extDatas,
# timeStamp declared but left out.
# --------------------------------------------------------------------------


class SESHeader(univ.Sequence):
    # The same in both versions; `version` is 4 or 1.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("id", char.IA5String()),
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("vid", char.IA5String()),
    )


class Time(univ.Choice):
    """A time field, in whichever type the fixture asks for.

    The standards fix one type per field (v4: GeneralizedTime everywhere;
    v1: UTCTime dates and a BIT STRING timeInfo), but real files differ
    (DOMAIN.md 2.2), so a fixture may pick any of them. An untagged CHOICE
    is encoded as its chosen alternative alone, so the standard choice gives
    exactly the bytes of a plainly typed field."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("generalTime", useful.GeneralizedTime()),
        namedtype.NamedType("utcTime", useful.UTCTime()),
        # v1 timeInfo: the bytes of a DER time, or text, inside a BIT STRING.
        namedtype.NamedType("bits", univ.BitString()),
    )


class CertDigestObj(univ.Sequence):
    # certListType 2: a digest of the certificate; `type` names the algorithm.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", char.PrintableString()),
        namedtype.NamedType("value", univ.OctetString()),
    )


class CertEntry(univ.Choice):
    """One certList entry: a certificate (type 1) or a CertDigestObj (type 2).

    The standard's SES_CertList is a CHOICE of two SEQUENCE OFs that only
    certListType tells apart. Their entries have different tags, so a
    CHOICE per entry decodes either list, and a type-1 list encodes exactly
    as a plain SEQUENCE OF OCTET STRING."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("cert", univ.OctetString()),
        namedtype.NamedType("digest", CertDigestObj()),
    )


class CertList(univ.SequenceOf):
    componentType = CertEntry()


class SESESPictrueInfo(univ.Sequence):  # (sic) the standard's spelling
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", char.IA5String()),
        namedtype.NamedType("data", univ.OctetString()),
        namedtype.NamedType("width", univ.Integer()),
        namedtype.NamedType("height", univ.Integer()),
    )


# --------------------------------------------------------------------------
# GB/T 38540-2020 v4, as given in DOMAIN.md 2.2.
# --------------------------------------------------------------------------


class SESESPropertyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.Integer()),
        namedtype.NamedType("name", char.UTF8String()),
        namedtype.NamedType("certListType", univ.Integer()),
        namedtype.NamedType("certList", CertList()),
        namedtype.NamedType("createDate", Time()),
        namedtype.NamedType("validStart", Time()),
        namedtype.NamedType("validEnd", Time()),
    )


class SESSealInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("header", SESHeader()),
        namedtype.NamedType("esID", char.IA5String()),
        namedtype.NamedType("property", SESESPropertyInfo()),
        namedtype.NamedType("picture", SESESPictrueInfo()),
    )


class SESeal(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("eSealInfo", SESSealInfo()),
        namedtype.NamedType("cert", univ.OctetString()),
        namedtype.NamedType("signAlgID", univ.ObjectIdentifier()),
        namedtype.NamedType("signedValue", univ.BitString()),
    )


class TBSSign(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("eseal", SESeal()),
        namedtype.NamedType("timeInfo", Time()),
        namedtype.NamedType("dataHash", univ.BitString()),
        namedtype.NamedType("propertyInfo", char.IA5String()),
    )


class SESSignature(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("toSign", TBSSign()),
        namedtype.NamedType("cert", univ.OctetString()),
        namedtype.NamedType("signatureAlgID", univ.ObjectIdentifier()),
        namedtype.NamedType("signature", univ.BitString()),
        # Declared so the schema matches the standard; never set here, so
        # the DER encoder leaves it out.
        namedtype.OptionalNamedType(
            "timeStamp",
            univ.BitString().subtype(
                explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
            ),
        ),
    )


# --------------------------------------------------------------------------
# GM/T 0031-2014 v1 (DOMAIN.md 2.2): the signer's certificate and algorithm
# sit inside TBS_Sign, and the maker's signature sits in SES_SignInfo.
# Field names follow that standard (esealInfo, not v4's eSealInfo).
# --------------------------------------------------------------------------


class SESESPropertyInfoV1(univ.Sequence):
    # No certListType in v1: the list always holds certificates.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.Integer()),
        namedtype.NamedType("name", char.UTF8String()),
        namedtype.NamedType("certList", CertList()),
        namedtype.NamedType("createDate", Time()),
        namedtype.NamedType("validStart", Time()),
        namedtype.NamedType("validEnd", Time()),
    )


class SESSealInfoV1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("header", SESHeader()),
        namedtype.NamedType("esID", char.IA5String()),
        namedtype.NamedType("property", SESESPropertyInfoV1()),
        namedtype.NamedType("picture", SESESPictrueInfo()),
    )


class SESSignInfoV1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("cert", univ.OctetString()),  # the maker's
        namedtype.NamedType("signatureAlgorithm", univ.ObjectIdentifier()),
        namedtype.NamedType("signData", univ.BitString()),
    )


class SESealV1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("esealInfo", SESSealInfoV1()),
        namedtype.NamedType("signInfo", SESSignInfoV1()),
    )


class SealSignedDataV1(univ.Sequence):
    # What the v1 maker signs: SEQUENCE{esealInfo, cert, signatureAlgorithm}
    # (ofdrw's v1 comment; confirmed on the real v1 seals in
    # vectors/real-world). Not a named type in the standard.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("esealInfo", SESSealInfoV1()),
        namedtype.NamedType("cert", univ.OctetString()),
        namedtype.NamedType("signatureAlgorithm", univ.ObjectIdentifier()),
    )


class TBSSignV1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("eseal", SESealV1()),
        namedtype.NamedType("timeInfo", Time()),
        namedtype.NamedType("dataHash", univ.BitString()),
        namedtype.NamedType("propertyInfo", char.IA5String()),
        namedtype.NamedType("cert", univ.OctetString()),  # the signer's
        namedtype.NamedType("signatureAlgorithm", univ.ObjectIdentifier()),
    )


class SESSignatureV1(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("toSign", TBSSignV1()),
        namedtype.NamedType("signature", univ.BitString()),
    )


class SM2Signature(univ.Sequence):
    # GM/T 0009: SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("r", univ.Integer()),
        namedtype.NamedType("s", univ.Integer()),
    )


# --- keys and certificates: only the fields this script reads are typed;
# the rest are univ.Any so that any well-formed certificate decodes. ---


class AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()),
    )


class SubjectPublicKeyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", AlgorithmIdentifier()),
        namedtype.NamedType("subjectPublicKey", univ.BitString()),
    )


def _ctx(n, constructed=True):
    fmt = tag.tagFormatConstructed if constructed else tag.tagFormatSimple
    return tag.Tag(tag.tagClassContext, fmt, n)


class TBSCertificate(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.OptionalNamedType("version", univ.Integer().subtype(explicitTag=_ctx(0))),
        namedtype.NamedType("serialNumber", univ.Integer()),
        namedtype.NamedType("signature", univ.Any()),
        namedtype.NamedType("issuer", univ.Any()),
        namedtype.NamedType("validity", univ.Any()),
        namedtype.NamedType("subject", univ.Any()),
        namedtype.NamedType("subjectPublicKeyInfo", SubjectPublicKeyInfo()),
        namedtype.OptionalNamedType(
            "issuerUniqueID", univ.BitString().subtype(implicitTag=_ctx(1, False))
        ),
        namedtype.OptionalNamedType(
            "subjectUniqueID", univ.BitString().subtype(implicitTag=_ctx(2, False))
        ),
        namedtype.OptionalNamedType("extensions", univ.Any().subtype(explicitTag=_ctx(3))),
    )


class Certificate(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("tbsCertificate", TBSCertificate()),
        namedtype.NamedType("signatureAlgorithm", univ.Any()),
        namedtype.NamedType("signatureValue", univ.BitString()),
    )


class ECPrivateKey(univ.Sequence):
    # RFC 5915
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("privateKey", univ.OctetString()),
        namedtype.OptionalNamedType(
            "parameters", univ.ObjectIdentifier().subtype(explicitTag=_ctx(0))
        ),
        namedtype.OptionalNamedType("publicKey", univ.BitString().subtype(explicitTag=_ctx(1))),
    )


class PrivateKeyInfo(univ.Sequence):
    # RFC 5208 / 5958 (OneAsymmetricKey's optional fields kept as opaque).
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("privateKeyAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("privateKey", univ.OctetString()),
        namedtype.OptionalNamedType(
            "attributes", univ.Any().subtype(implicitTag=_ctx(0))
        ),
        namedtype.OptionalNamedType(
            "publicKey", univ.BitString().subtype(implicitTag=_ctx(1, False))
        ),
    )


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


class SpecError(Exception):
    """The spec or one of the files it names is unusable."""


def der(obj):
    return der_encoder.encode(obj)


def decode_exact(data, spec, what):
    """DER-decodes `data` as `spec`, refusing trailing bytes."""
    try:
        obj, rest = der_decoder.decode(data, asn1Spec=spec)
    except Exception as e:  # pyasn1 raises several error classes
        raise SpecError(f"{what}: not valid DER for the expected structure: {e}") from e
    if rest:
        raise SpecError(f"{what}: {len(rest)} trailing bytes")
    return obj


def pem_blocks(text, label):
    """The base64 bodies of `-----BEGIN label-----` blocks, decoded."""
    pat = re.compile(
        r"-----BEGIN " + re.escape(label) + r"-----(.*?)-----END " + re.escape(label) + r"-----",
        re.S,
    )
    return [base64.b64decode("".join(m.group(1).split())) for m in pat.finditer(text)]


def bits_to_bytes(bs, what):
    """A BIT STRING's bytes; refuses a bit count that is not whole bytes."""
    if len(bs) % 8:
        raise SpecError(f"{what}: BIT STRING of {len(bs)} bits is not whole bytes")
    return bs.asOctets()


def sm3(data):
    return bytes.fromhex(gm_sm3.sm3_hash(list(data)))


def i2b32(x):
    return x.to_bytes(32, "big")


# --------------------------------------------------------------------------
# Certificates and keys
# --------------------------------------------------------------------------


def read_cert(path):
    """The certificate's DER bytes, from a DER or PEM file."""
    raw = open(path, "rb").read()
    if raw.lstrip().startswith(b"-----BEGIN"):
        blocks = pem_blocks(raw.decode("ascii", "replace"), "CERTIFICATE")
        if len(blocks) != 1:
            raise SpecError(f"{path}: expected one PEM CERTIFICATE, found {len(blocks)}")
        raw = blocks[0]
    # Decoding checks it is a certificate; the bytes used are the file's own.
    decode_exact(raw, Certificate(), path)
    return raw


def point_from_bits(bs, what):
    """(x, y) from an uncompressed SEC1 point 04||x||y in a BIT STRING."""
    pt = bits_to_bytes(bs, what)
    if len(pt) != 65 or pt[0] != 4:
        raise SpecError(f"{what}: not an uncompressed 65-byte SM2 point")
    x, y = int.from_bytes(pt[1:33], "big"), int.from_bytes(pt[33:], "big")
    # On the curve? Catches a wrong field being read as the key.
    if (y * y - (x * x * x + SM2_A * x + SM2_B)) % SM2_P:
        raise SpecError(f"{what}: point is not on the SM2 curve")
    return x, y


def cert_public_point(cert_der, what):
    cert = decode_exact(cert_der, Certificate(), what)
    spki = cert["tbsCertificate"]["subjectPublicKeyInfo"]
    alg = spki["algorithm"]
    if alg["algorithm"] != ID_EC_PUBLIC_KEY:
        raise SpecError(f"{what}: key algorithm {alg['algorithm']} is not id-ecPublicKey")
    if alg["parameters"].isValue:
        curve = decode_exact(bytes(alg["parameters"]), univ.ObjectIdentifier(), what)
        if curve != SM2_CURVE:
            raise SpecError(f"{what}: curve {curve} is not SM2")
    return point_from_bits(spki["subjectPublicKey"], what)


def read_private_key(path):
    """(d, public point or None) from a PKCS#8 or SEC1 PEM (unencrypted)."""
    text = open(path, "rb").read().decode("ascii", "replace")
    pk8 = pem_blocks(text, "PRIVATE KEY")
    sec1 = pem_blocks(text, "EC PRIVATE KEY")
    if len(pk8) == 1 and not sec1:
        info = decode_exact(pk8[0], PrivateKeyInfo(), path)
        alg = info["privateKeyAlgorithm"]
        if alg["algorithm"] != ID_EC_PUBLIC_KEY:
            raise SpecError(f"{path}: key algorithm {alg['algorithm']} is not id-ecPublicKey")
        if alg["parameters"].isValue:
            curve = decode_exact(bytes(alg["parameters"]), univ.ObjectIdentifier(), path)
            if curve != SM2_CURVE:
                raise SpecError(f"{path}: curve {curve} is not SM2")
        ec_der = info["privateKey"].asOctets()
    elif len(sec1) == 1 and not pk8:
        ec_der = sec1[0]
    else:
        raise SpecError(f"{path}: expected one unencrypted PRIVATE KEY or EC PRIVATE KEY block")
    ec = decode_exact(ec_der, ECPrivateKey(), path + " (ECPrivateKey)")
    if int(ec["version"]) != 1:
        raise SpecError(f"{path}: ECPrivateKey version {int(ec['version'])}")
    if ec["parameters"].isValue and ec["parameters"] != SM2_CURVE:
        raise SpecError(f"{path}: curve {ec['parameters']} is not SM2")
    d_bytes = ec["privateKey"].asOctets()
    if not 1 <= len(d_bytes) <= 32:
        raise SpecError(f"{path}: private key of {len(d_bytes)} bytes")
    d = int.from_bytes(d_bytes, "big")
    # SM2 needs d in [1, n-2]: (1 + d) is inverted mod n when signing.
    if not 1 <= d <= SM2_N - 2:
        raise SpecError(f"{path}: private scalar out of range")
    pub = point_from_bits(ec["publicKey"], path) if ec["publicKey"].isValue else None
    return d, pub


# --------------------------------------------------------------------------
# SM2 signing
# --------------------------------------------------------------------------


def sm2_za(pub, user_id=SM2_DEFAULT_ID):
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GB/T 32918.2 5.5.

    ENTL is the ID's length in BITS, two bytes big-endian (0x0080 for the
    16-byte default ID)."""
    entl = struct.pack(">H", len(user_id) * 8)
    xa, ya = pub
    return sm3(
        entl + user_id + i2b32(SM2_A) + i2b32(SM2_B) + i2b32(SM2_GX) + i2b32(SM2_GY)
        + i2b32(xa) + i2b32(ya)
    )


def sm2_sign(d, pub, message):
    """SM2-with-SM3 signature (r, s) over `message` by d, for public key `pub`.

    gmssl's `sign_with_sm3` does hash Z_A with the default ID, but it is not
    used: its nonce comes from `random.choice` (Mersenne Twister, not a
    CSPRNG) and is not reduced below n, and `CryptSM2.__init__` strips a
    "04" prefix with `str.lstrip("04")`, which also eats leading '0'/'4'
    hex digits of x. So e is computed here and only gmssl's lower-level
    `sign(e, k)` (the GB/T 32918.2 6.1 steps A3-A7) is called, with k from
    `secrets` and the public key set on the object directly."""
    e = sm3(sm2_za(pub) + message)
    pub_hex = "%064x%064x" % pub
    signer = gm_sm2.CryptSM2(private_key="%064x" % d, public_key=pub_hex, asn1=False)
    signer.public_key = pub_hex  # bypass the lstrip in __init__
    for _ in range(16):
        k = secrets.randbelow(SM2_N - 1) + 1  # uniform in [1, n-1]
        sig_hex = signer.sign(e, "%064x" % k)
        if sig_hex is not None:  # None: r = 0, r + k = n or s = 0; retry with a new k
            break
    else:
        raise RuntimeError("SM2 signing failed 16 times in a row")
    # Self-check with gmssl's verifier on the same e: catches a private key
    # that does not belong to the certificate used for Z_A.
    if not signer.verify(sig_hex, e):
        raise SpecError("the private key does not match the certificate's public key")
    return int(sig_hex[:64], 16), int(sig_hex[64:], 16)


def encode_sig(rs, fmt):
    """The signature bytes: DER SEQUENCE{r, s} or raw 32-byte r || 32-byte s."""
    r, s = rs
    if fmt == "der":
        seq = SM2Signature()
        seq["r"] = r
        seq["s"] = s
        return der(seq)
    if fmt == "raw":
        return i2b32(r) + i2b32(s)
    raise SpecError(f"signature format {fmt!r}: expected 'der' or 'raw'")


# --------------------------------------------------------------------------
# Building the structures. Every builder is a pure function of its inputs,
# so a tampered fixture is the same build with one input changed and the
# signatures computed on the untampered build.
# --------------------------------------------------------------------------


def utc_text(t):
    """'YYYYMMDDHHMMSSZ' as UTCTime text 'YYMMDDHHMMSSZ'. UTCTime's two-digit
    year means 1950-2049 (RFC 5280 4.1.2.5.1); anything else is refused
    rather than silently read back as another century."""
    if not 1950 <= int(t[:4]) <= 2049:
        raise SpecError(f"{t}: UTCTime holds only the years 1950-2049")
    return t[2:]


def spec_datetime(t):
    return datetime.datetime.strptime(t, "%Y%m%d%H%M%SZ")


def build_time(t, encoding):
    """A Time holding `t` ('YYYYMMDDHHMMSSZ', UTC) in the named encoding."""
    time = Time()
    if encoding == "generalized":
        time["generalTime"] = useful.GeneralizedTime(t)
    elif encoding == "utc":
        time["utcTime"] = useful.UTCTime(utc_text(t))
    else:
        if encoding == "bitstring-der-utc":  # GM/T 0031-2014's form
            content = der(useful.UTCTime(utc_text(t)))
        elif encoding == "bitstring-der-generalized":
            content = der(useful.GeneralizedTime(t))
        elif encoding == "bitstring-text":
            # ISO 8601 text with milliseconds, as in the dms360 v1 sample
            # (2020-01-25T07:31:56.377Z).
            content = spec_datetime(t).strftime("%Y-%m-%dT%H:%M:%S.000Z").encode("ascii")
        elif encoding == "bitstring-text-local":
            # ofdrw's SESV1Container: LocalDateTime.now() as
            # "yyyy-MM-dd HH:mm:ss", no zone; written here as China time
            # (UTC+8), the zone such a producer runs in.
            local = spec_datetime(t) + datetime.timedelta(hours=8)
            content = local.strftime("%Y-%m-%d %H:%M:%S").encode("ascii")
        else:
            raise SpecError(f"time encoding {encoding!r}")
        time["bits"] = univ.BitString.fromOctetString(content)
    return time


def cert_digest(cert_der, alg):
    """The CertDigestObj value: SM3 (gmssl) or SHA-256 of the certificate's DER."""
    if alg == "SM3":
        return sm3(cert_der)
    if alg == "SHA256":
        return hashlib.sha256(cert_der).digest()
    raise SpecError(f"cert_digest_alg {alg!r}")


def build_cert_list(p):
    certs = CertList()
    for i, c in enumerate(p["cert_list"]):
        entry = CertEntry()
        if p["cert_list_type"] == 1:
            entry["cert"] = univ.OctetString(c)
        else:
            obj = CertDigestObj()
            obj["type"] = p["cert_digest_alg"]
            obj["value"] = univ.OctetString(cert_digest(c, p["cert_digest_alg"]))
            entry["digest"] = obj
        certs[i] = entry
    return certs


def build_seal_info(p):
    v1 = p["version"] == 1
    header = SESHeader()
    header["id"] = "ES"
    header["version"] = p["version"]
    header["vid"] = p["vid"]

    prop = SESESPropertyInfoV1() if v1 else SESESPropertyInfo()
    prop["type"] = p["seal_type"]
    prop["name"] = p["name"]
    if not v1:
        prop["certListType"] = p["cert_list_type"]
    prop["certList"] = build_cert_list(p)
    enc = p["validity_encoding"]
    prop["createDate"] = build_time(p["create"], enc)
    prop["validStart"] = build_time(p["valid_start"], enc)
    prop["validEnd"] = build_time(p["valid_end"], enc)

    pic = SESESPictrueInfo()
    pic["type"] = p["picture_type"]
    pic["data"] = univ.OctetString(p["picture"])
    pic["width"] = p["width"]
    pic["height"] = p["height"]

    info = SESSealInfoV1() if v1 else SESSealInfo()
    info["header"] = header
    info["esID"] = p["es_id"]
    info["property"] = prop
    info["picture"] = pic
    return info


def maker_signed_bytes(p, info):
    """What the maker signs: v4 DER(eSealInfo); v1 DER(SEQUENCE{esealInfo,
    maker cert, signatureAlgorithm}). These are the constructions the real
    seals in vectors/real-world verify under (DOMAIN.md 2.3 step 5)."""
    if p["version"] == 4:
        return der(info)
    data = SealSignedDataV1()
    data["esealInfo"] = info
    data["cert"] = univ.OctetString(p["maker_cert"])
    data["signatureAlgorithm"] = SM2_WITH_SM3
    return der(data)


def build_seal(p, maker_sig_bytes):
    # fromOctetString: 8 bits per byte, so the DER BIT STRING has 0 unused bits.
    sig_bits = univ.BitString.fromOctetString(maker_sig_bytes)
    if p["version"] == 1:
        sign_info = SESSignInfoV1()
        sign_info["cert"] = univ.OctetString(p["maker_cert"])
        sign_info["signatureAlgorithm"] = SM2_WITH_SM3
        sign_info["signData"] = sig_bits
        seal = SESealV1()
        seal["esealInfo"] = build_seal_info(p)
        seal["signInfo"] = sign_info
        return seal
    seal = SESeal()
    seal["eSealInfo"] = build_seal_info(p)
    seal["cert"] = univ.OctetString(p["maker_cert"])
    seal["signAlgID"] = SM2_WITH_SM3
    seal["signedValue"] = sig_bits
    return seal


def build_tbs(p, seal):
    v1 = p["version"] == 1
    tbs = TBSSignV1() if v1 else TBSSign()
    tbs["version"] = p["version"]
    tbs["eseal"] = seal
    tbs["timeInfo"] = build_time(p["time_info"], p["time_info_encoding"])
    tbs["dataHash"] = univ.BitString.fromOctetString(p["data_hash"])
    tbs["propertyInfo"] = p["property_info"]
    if v1:
        tbs["cert"] = univ.OctetString(p["signer_cert"])
        tbs["signatureAlgorithm"] = SM2_WITH_SM3
    return tbs


def build_signature(p, tbs, signer_sig_bytes):
    if p["version"] == 1:
        sig = SESSignatureV1()
        sig["toSign"] = tbs
        sig["signature"] = univ.BitString.fromOctetString(signer_sig_bytes)
        return sig
    sig = SESSignature()
    sig["toSign"] = tbs
    sig["cert"] = univ.OctetString(p["signer_cert"])
    sig["signatureAlgID"] = SM2_WITH_SM3
    sig["signature"] = univ.BitString.fromOctetString(signer_sig_bytes)
    return sig


# --------------------------------------------------------------------------
# Tampering: one field changed after signing, nothing re-signed.
# --------------------------------------------------------------------------

SEAL_TAMPERS = ("picture", "name", "valid_end")
TAMPERS = SEAL_TAMPERS + ("data_hash", "signer_signature")


def flip_last_bit(b):
    # The last byte: in a DER signature that is inside s, so the encoding
    # stays well-formed and only the value is wrong.
    return b[:-1] + bytes([b[-1] ^ 0x01])


def year_later(t):
    dt = datetime.datetime.strptime(t, "%Y%m%d%H%M%SZ")
    try:
        dt = dt.replace(year=dt.year + 1)
    except ValueError:  # 29 February -> 28 February
        dt = dt.replace(year=dt.year + 1, day=28)
    return dt.strftime("%Y%m%d%H%M%SZ")


def tamper_params(p, what):
    q = dict(p)
    if what == "picture":
        pic = bytearray(p["picture"])
        pic[len(pic) // 2] ^= 0xFF  # a byte in the middle: inside the image data
        q["picture"] = bytes(pic)
    elif what == "name":
        q["name"] = p["name"] + "（伪）"
    elif what == "valid_end":
        q["valid_end"] = year_later(p["valid_end"])
    elif what == "data_hash":
        q["data_hash"] = bytes([p["data_hash"][0] ^ 0x80]) + p["data_hash"][1:]
    return q


# --------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------

TIME_RE = re.compile(r"^\d{14}Z$")

REQUIRED = ("maker_cert", "maker_key", "signer_cert", "signer_key", "out")
DEFAULTS = {
    "vid": "PYASN1",
    "es_id": "11010000000001",
    "seal_type": 1,
    "name": "测试单位公章",
    "cert_list": None,  # None: [signer_cert]
    "create": "20260101000000Z",
    "valid_start": "20260101000000Z",
    "valid_end": "20361231000000Z",
    "picture_type": "PNG",
    "picture_png_hex": None,  # None: an 8x8 red PNG made below
    "width": 40,
    "height": 40,
    "time_info": "20260601000000Z",
    "data_hash_hex": None,  # exactly one of data_hash_hex / data_file
    "data_file": None,
    "property_info": "document",
    "signature_format": "der",
    "maker_signature_format": "der",
    "tamper": None,
    "tamper_resign_signer": False,
    "seal_out": None,
    "version": 4,
    "time_info_encoding": None,  # None: "generalized" (v4), "bitstring-der-utc" (v1)
    "validity_encoding": None,  # None: "generalized" (v4), "utc" (v1)
    "cert_list_type": 1,
    "cert_digest_alg": None,  # None: "SM3"; only with cert_list_type 2
}

# Keys that make_ofd.py sets itself for each signature in a package: the
# protected content is that signature's Signature.xml, and nothing is
# written to a file of its own.
PACKAGE_SET = ("out", "seal_out", "data_hash_hex", "data_file", "property_info")

TIME_ENCODINGS = (
    "generalized", "utc", "bitstring-der-utc", "bitstring-der-generalized",
    "bitstring-text", "bitstring-text-local",
)
VALIDITY_ENCODINGS = ("generalized", "utc")
CERT_DIGEST_ALGS = ("SM3", "SHA256")


def default_png(w=8, h=8, rgb=(0xFF, 0, 0)):
    """A small valid PNG (truecolour, 8 bits), built by hand: no imaging library."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))  # filter 0 per row
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    )


def check_time(v, key):
    if not isinstance(v, str) or not TIME_RE.match(v):
        raise SpecError(f"{key}: expected 'YYYYMMDDHHMMSSZ', got {v!r}")
    try:
        datetime.datetime.strptime(v, "%Y%m%d%H%M%SZ")
    except ValueError as e:
        raise SpecError(f"{key}: {e}") from e
    return v


def check_ia5(v, key):
    if not isinstance(v, str) or not all(ord(c) < 128 for c in v):
        raise SpecError(f"{key}: expected an ASCII (IA5) string, got {v!r}")
    return v


def check_int(v, key):
    if not isinstance(v, int) or isinstance(v, bool):
        raise SpecError(f"{key}: expected an integer, got {v!r}")
    return v


def load_spec(spec_path):
    """The parameters of a standalone spec file (paths relative to it)."""
    with open(spec_path, encoding="utf-8") as f:
        raw = json.load(f)
    return parse_spec(raw, os.path.dirname(os.path.abspath(spec_path)))


def parse_spec(raw, base, standalone=True):
    """Checks a spec dict and reads the files it names (relative to `base`).

    standalone=False is for make_ofd.py: the keys in PACKAGE_SET are refused
    (the package sets them), and `data_hash` and `property_info` are left
    None for the caller to fill in before encode()."""
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a JSON object")
    unknown = set(raw) - set(REQUIRED) - set(DEFAULTS)
    if unknown:  # a misspelt key would otherwise silently take its default
        raise SpecError(f"unknown spec keys: {sorted(unknown)}")
    required = REQUIRED
    if not standalone:
        owned = sorted(set(raw) & set(PACKAGE_SET))
        if owned:
            raise SpecError(f"keys set by the package, not the signature: {owned}")
        required = tuple(k for k in REQUIRED if k not in PACKAGE_SET)
    missing = [k for k in required if raw.get(k) is None]
    if missing:
        raise SpecError(f"missing spec keys: {missing}")
    s = dict(DEFAULTS)
    s.update({k: v for k, v in raw.items()})

    def path(k):
        return os.path.join(base, s[k])

    p = {}
    if s["version"] not in (1, 4) or isinstance(s["version"], bool):
        raise SpecError(f"version: expected 4 or 1, got {s['version']!r}")
    p["version"] = s["version"]
    v1 = p["version"] == 1
    p["vid"] = check_ia5(s["vid"], "vid")
    p["es_id"] = check_ia5(s["es_id"], "es_id")
    p["seal_type"] = check_int(s["seal_type"], "seal_type")
    if not isinstance(s["name"], str):
        raise SpecError("name: expected a string")
    p["name"] = s["name"]
    for k in ("create", "valid_start", "valid_end", "time_info"):
        p[k] = check_time(s[k], k)
    p["picture_type"] = check_ia5(s["picture_type"], "picture_type")
    p["picture"] = (
        default_png() if s["picture_png_hex"] is None else bytes.fromhex(s["picture_png_hex"])
    )
    if not p["picture"]:
        raise SpecError("picture_png_hex: empty picture")
    p["width"] = check_int(s["width"], "width")
    p["height"] = check_int(s["height"], "height")

    # The time encodings: the version's standard form unless one is named.
    tie = s["time_info_encoding"]
    if tie is None:
        tie = "bitstring-der-utc" if v1 else "generalized"
    if tie not in TIME_ENCODINGS:
        raise SpecError(f"time_info_encoding: expected one of {list(TIME_ENCODINGS)}, got {tie!r}")
    p["time_info_encoding"] = tie
    ve = s["validity_encoding"]
    if ve is None:
        ve = "utc" if v1 else "generalized"
    if ve not in VALIDITY_ENCODINGS:
        raise SpecError(f"validity_encoding: expected one of {list(VALIDITY_ENCODINGS)}, got {ve!r}")
    p["validity_encoding"] = ve
    # UTCTime's range is checked now, not halfway through signing.
    if tie in ("utc", "bitstring-der-utc"):
        utc_text(p["time_info"])
    if ve == "utc":
        for k in ("create", "valid_start", "valid_end"):
            utc_text(p[k])

    if s["cert_list_type"] not in (1, 2) or isinstance(s["cert_list_type"], bool):
        raise SpecError(f"cert_list_type: expected 1 or 2, got {s['cert_list_type']!r}")
    if v1 and s["cert_list_type"] != 1:
        raise SpecError("cert_list_type 2 (certificate digests) exists only in v4")
    p["cert_list_type"] = s["cert_list_type"]
    if s["cert_digest_alg"] is not None and p["cert_list_type"] != 2:
        raise SpecError("cert_digest_alg applies only to cert_list_type 2")
    p["cert_digest_alg"] = s["cert_digest_alg"] or "SM3"
    if p["cert_digest_alg"] not in CERT_DIGEST_ALGS:
        raise SpecError(
            f"cert_digest_alg: expected one of {list(CERT_DIGEST_ALGS)}, got {p['cert_digest_alg']!r}"
        )

    if standalone:
        p["property_info"] = check_ia5(s["property_info"], "property_info")
        if (s["data_hash_hex"] is None) == (s["data_file"] is None):
            raise SpecError("give exactly one of data_hash_hex and data_file")
        if s["data_hash_hex"] is not None:
            try:
                p["data_hash"] = bytes.fromhex(s["data_hash_hex"])
            except ValueError as e:
                raise SpecError(f"data_hash_hex: {e}") from e
            if len(p["data_hash"]) != 32:
                raise SpecError("data_hash_hex: expected 32 bytes (64 hex digits)")
        else:
            p["data_hash"] = sm3(open(path("data_file"), "rb").read())
    else:
        p["property_info"] = None
        p["data_hash"] = None

    p["maker_cert"] = read_cert(path("maker_cert"))
    p["signer_cert"] = read_cert(path("signer_cert"))
    cert_list = s["cert_list"] if s["cert_list"] is not None else [s["signer_cert"]]
    if not isinstance(cert_list, list):
        raise SpecError("cert_list: expected a list of certificate paths")
    p["cert_list"] = [read_cert(os.path.join(base, c)) for c in cert_list]
    p["maker_key"] = read_private_key(path("maker_key"))
    p["signer_key"] = read_private_key(path("signer_key"))

    for k in ("signature_format", "maker_signature_format"):
        if s[k] not in ("der", "raw"):
            raise SpecError(f"{k}: expected 'der' or 'raw', got {s[k]!r}")
    p["signature_format"] = s["signature_format"]
    p["maker_signature_format"] = s["maker_signature_format"]
    if s["tamper"] is not None and s["tamper"] not in TAMPERS:
        raise SpecError(f"tamper: expected null or one of {list(TAMPERS)}, got {s['tamper']!r}")
    p["tamper"] = s["tamper"]
    if not isinstance(s["tamper_resign_signer"], bool):
        raise SpecError("tamper_resign_signer: expected true or false")
    if s["tamper_resign_signer"] and p["tamper"] not in SEAL_TAMPERS:
        raise SpecError(f"tamper_resign_signer applies only to tamper in {list(SEAL_TAMPERS)}")
    p["tamper_resign_signer"] = s["tamper_resign_signer"]
    p["out"] = path("out") if standalone else None
    p["seal_out"] = path("seal_out") if standalone and s["seal_out"] is not None else None
    return p


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def signing_point(key, cert_der, what):
    """The public point to hash into Z_A: the certificate's, which is what
    a verifier uses. The key file's own copy, when present, must agree."""
    d, key_pub = key
    cert_pub = cert_public_point(cert_der, what)
    if key_pub is not None and key_pub != cert_pub:
        raise SpecError(f"{what}: the private key's public point is not the certificate's")
    return d, cert_pub


def sign_seal(p):
    """Step 1: the maker's signature over the untampered seal (the bytes
    maker_signed_bytes names), encoded as p["maker_signature_format"]."""
    maker_d, maker_pub = signing_point(p["maker_key"], p["maker_cert"], "maker_cert")
    message = maker_signed_bytes(p, build_seal_info(p))
    return encode_sig(sm2_sign(maker_d, maker_pub, message), p["maker_signature_format"])


def encode_seal(p, maker_sig):
    """DER of the SESeal exactly as encode() will put it in TBS_Sign (a seal
    tamper included): make_ofd.py writes it as Seal.esl before the
    Signature.xml that dataHash covers exists."""
    t = p["tamper"]
    q = tamper_params(p, t) if t in SEAL_TAMPERS else p
    return der(build_seal(q, maker_sig))


def encode(p, maker_sig=None):
    """Step 2: (SES_Signature DER, SESeal DER) for p["data_hash"] and
    p["property_info"], with the tamper applied. The maker's signature is
    made here unless the caller made it already with sign_seal(p)."""
    if p["data_hash"] is None or p["property_info"] is None:
        raise SpecError("no dataHash / propertyInfo to sign")
    signer_d, signer_pub = signing_point(p["signer_key"], p["signer_cert"], "signer_cert")
    if maker_sig is None:
        maker_sig = sign_seal(p)

    # The signer signs DER(TBS_Sign), which holds the whole SESeal.
    tbs_der = der(build_tbs(p, build_seal(p, maker_sig)))
    signer_sig = encode_sig(sm2_sign(signer_d, signer_pub, tbs_der), p["signature_format"])

    # Tamper: rebuild with one field changed, keeping the signatures made
    # over the original. With tamper_resign_signer the signer signs the
    # tampered seal, so only the maker's signature is wrong.
    t = p["tamper"]
    q = tamper_params(p, t) if t else p
    if t == "signer_signature":
        signer_sig = flip_last_bit(signer_sig)
    seal = build_seal(q, maker_sig)
    tbs = build_tbs(q, seal)
    if p["tamper_resign_signer"]:
        signer_sig = encode_sig(sm2_sign(signer_d, signer_pub, der(tbs)), p["signature_format"])
    sig = build_signature(q, tbs, signer_sig)
    seal_bytes, out_bytes = der(seal), der(sig)

    # Sanity: the output decodes against the schema and re-encodes to the
    # same bytes (so it is DER, not merely BER), and a tamper did change
    # the part it was meant to change.
    schemas = (
        ((out_bytes, SESSignatureV1(), "SES_Signature v1"), (seal_bytes, SESealV1(), "SESeal v1"))
        if p["version"] == 1 else
        ((out_bytes, SESSignature(), "SES_Signature"), (seal_bytes, SESeal(), "SESeal"))
    )
    for data, spec, what in schemas:
        if der(decode_exact(data, spec, what)) != data:
            raise RuntimeError(f"{what}: decode/re-encode is not the identity")
    if seal_bytes != encode_seal(p, maker_sig):
        raise RuntimeError("encode_seal disagrees with the seal inside TBS_Sign")
    if t in SEAL_TAMPERS:
        info = build_seal_info(p)
        assert maker_signed_bytes(q, build_seal_info(q)) != maker_signed_bytes(p, info)
    if t in ("data_hash",) + SEAL_TAMPERS and not p["tamper_resign_signer"]:
        assert der(tbs) != tbs_der
    return out_bytes, seal_bytes


def make(p):
    """The command: encode, write `out` (and `seal_out`), return the summary."""
    # Both keys are checked against their certificates before any signing.
    signing_point(p["maker_key"], p["maker_cert"], "maker_cert")
    signing_point(p["signer_key"], p["signer_cert"], "signer_cert")
    out_bytes, seal_bytes = encode(p)
    t = p["tamper"]
    q = tamper_params(p, t) if t else p

    with open(p["out"], "wb") as f:
        f.write(out_bytes)
    if p["seal_out"]:
        with open(p["seal_out"], "wb") as f:
            f.write(seal_bytes)
    return {
        "out": p["out"],
        "seal_out": p["seal_out"],
        "bytes": len(out_bytes),
        "version": p["version"],
        "time_info_encoding": p["time_info_encoding"],
        "validity_encoding": p["validity_encoding"],
        "cert_list_type": p["cert_list_type"],
        "signature_format": p["signature_format"],
        "maker_signature_format": p["maker_signature_format"],
        "tamper": t,
        "tamper_resign_signer": p["tamper_resign_signer"],
        "data_hash": binascii.hexlify(q["data_hash"]).decode(),
    }


def make_der(spec, base_dir):
    """(SES_Signature DER, SESeal DER) for a standalone spec dict, nothing
    written: `out` and `seal_out` are checked but not used."""
    return encode(parse_spec(spec, base_dir))


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} SPEC.json", file=sys.stderr)
        return 2
    try:
        summary = make(load_spec(argv[1]))
    except (SpecError, OSError, json.JSONDecodeError) as e:
        print(f"make_seal: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
