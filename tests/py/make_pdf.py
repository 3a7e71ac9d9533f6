#!/usr/bin/env python3
"""Independent signer for PDF test fixtures (tenderlog-verify pdf).

Builds small signed PDFs with pyHanko, good ones and broken ones, so the
Rust PDF verifier is tested on files it did not make itself:

    python3 tests/py/make_pdf.py SPEC.json        # writes the variants
    python3 tests/py/make_pdf.py --self-test [--keep DIR]

Variants: plain, incremental_after, two_signatures, tampered_covered,
tampered_contents, byterange_gap, ses_seal, pad_mb. SPEC.json, each
variant and the verdict a correct verifier must give are described in
tests/py/README.md. Paths in the spec are relative to the spec file.

The unsigned source PDF is written by hand here (a few objects and a
classic xref table), not by pyHanko, so the signer and the document
generator are not the same code. The GB/T 38540 seal of `ses_seal` comes
from make_seal.py (imported: parse_spec / encode, the calls make_ofd.py
makes too), with dataHash = SM3 of the ByteRange-covered bytes.

--self-test makes throwaway certificates with the openssl CLI, builds
every variant and judges each with another implementation: pyHanko's
validator (trust anchor = the test root) for the CMS variants; for the
seal, `openssl dgst -sm3` over the ByteRange bytes against dataHash
(the SES read with pyasn1 without make_seal's schema) and `openssl
pkeyutl -verify` for the SM2 signatures. Ends with 'N passed, N failed'.
"""

import asyncio
import binascii
import datetime
import hashlib
import io
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as ser
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import SignatureObject

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_seal  # noqa: E402  (the seal encoder beside this file)


class SpecError(Exception):
    """The spec, or a file it names, is unusable."""


# --------------------------------------------------------------------------
# The unsigned source document, written by hand.
# --------------------------------------------------------------------------

# The content stream carries this line in plain (unfiltered) text so that
# `tampered_covered` can change one digit of the bid price: a one-byte
# change a reader would see, inside the first signed range.
PRICE_TEXT = b"Bid price: CNY 1000000.00"
# What the `content` incremental update shows instead.
CHANGED_PRICE_TEXT = b"Bid price: CNY 9000000.00"
TITLE = "电子招标投标测试文件"  # "e-tendering test document"
PAD_WIDTH = 1024  # pixels per row of the padding image (3 bytes each)
PAD_SEED = 38540  # fixed seed: the same spec gives the same padding bytes


def _pdf_utf16(text):
    """A PDF text string as UTF-16BE hex with BOM (for Chinese metadata)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _ucs2_hex(text):
    """Text shown with the UniGB-UCS2-H CMap: big-endian UCS-2 code units."""
    return b"<" + text.encode("utf-16-be").hex().upper().encode() + b">"


def page_content(price_text=PRICE_TEXT, with_pad=False):
    lines = [
        b"BT /F1 16 Tf 72 770 Td (tenderlog PDF signature fixture) Tj ET",
        b"BT /F2 16 Tf 72 740 Td " + _ucs2_hex(TITLE) + b" Tj ET",
        b"BT /F1 12 Tf 72 710 Td (" + price_text + b") Tj ET",
    ]
    if with_pad:
        # Drawn small: the image is there for its bytes, not its looks.
        lines.append(b"q 100 0 0 100 72 560 cm /Pad Do Q")
    return b"\n".join(lines) + b"\n"


def make_source_pdf(pad_bytes=0):
    """A one-page PDF 1.7 with Latin and Chinese text, written by hand.

    Objects: catalog, page tree, page, content stream, Helvetica, the
    STSong-Light CID font (Adobe-GB1, not embedded: readers substitute),
    its descriptor, an info dictionary with a Chinese title and, when
    pad_bytes > 0, an uncompressed RGB image of random bytes (at least
    pad_bytes, rounded up to whole rows) that makes the file big without
    being compressible. Classic xref table, so any reader can open it.
    """
    objs = {}
    resources = b"/Font << /F1 5 0 R /F2 6 0 R >>"
    if pad_bytes > 0:
        row = PAD_WIDTH * 3
        height = -(-pad_bytes // row)
        pixels = random.Random(PAD_SEED).randbytes(row * height)
        objs[10] = (
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d"
            b" /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>\nstream\n"
            % (PAD_WIDTH, height, len(pixels))
        ) + pixels + b"\nendstream"
        resources += b" /XObject << /Pad 10 0 R >>"
    content = page_content(with_pad=pad_bytes > 0)
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    objs[3] = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
        + resources + b" >> /Contents 4 0 R >>"
    )
    objs[4] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream"
    objs[5] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objs[6] = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [7 0 R] >>"
    )
    objs[7] = (
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >>"
        b" /FontDescriptor 8 0 R /DW 1000 >>"
    )
    objs[8] = (
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6"
        b" /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120"
        b" /CapHeight 880 /StemV 93 >>"
    )
    objs[9] = (
        b"<< /Title " + _pdf_utf16(TITLE)
        + b" /Producer (tests/py/make_pdf.py) /CreationDate (D:20260601000000Z) >>"
    )
    size = max(objs) + 1
    # Header, then a comment with bytes >= 128 so tools treat the file as binary.
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref_at = len(out)
    assert sorted(offsets) == list(range(1, size)), "object numbers must have no gaps"
    out += b"xref\n0 %d\n" % size + b"0000000000 65535 f \n"
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num]
    doc_id = hashlib.sha256(bytes(out)).hexdigest()[:32].upper().encode()
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info 9 0 R /ID [<%s> <%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (size, doc_id, doc_id, xref_at)
    )
    return bytes(out)


# --------------------------------------------------------------------------
# Reading signatures back from the raw bytes (no PDF parser): the same view
# a byte-range checker has.
# --------------------------------------------------------------------------

BYTERANGE_RE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def raw_signatures(data):
    """[(byte_range, hole_bytes)] for each /ByteRange array, in file order.

    hole_bytes is what the ByteRange leaves out between its two ranges;
    for a well-formed signature that is exactly the /Contents string
    `<hex...>`."""
    out = []
    for m in BYTERANGE_RE.finditer(data):
        br = [int(x) for x in m.groups()]
        out.append((br, data[br[0] + br[1]:br[2]]))
    return out


def contents_der(hole):
    """The DER bytes of a /Contents hole `<hex>`, trailing zero padding kept."""
    if not (hole.startswith(b"<") and hole.endswith(b">")):
        raise ValueError("the ByteRange hole is not a single hex string")
    return binascii.unhexlify(hole[1:-1])


def der_tlv_len(der, pos=0):
    """Total length (header + content) of the DER element at `pos`."""
    n = der[pos + 1]
    if n < 0x80:
        return 2 + n
    k = n & 0x7F
    return 2 + k + int.from_bytes(der[pos + 2:pos + 2 + k], "big")


def covers_all_but_hole(data, br):
    """True when `br` is [0, a, b, len-b] and data[a:b] is one <hex> string."""
    if br[0] != 0 or br[2] + br[3] != len(data):
        return False
    hole = data[br[1]:br[2]]
    return (
        len(hole) >= 2 and hole[:1] == b"<" and hole[-1:] == b">"
        and re.fullmatch(rb"[0-9A-Fa-f]*", hole[1:-1]) is not None
    )


def covered_bytes(data, br):
    return data[br[0]:br[0] + br[1]] + data[br[2]:br[2] + br[3]]


# --------------------------------------------------------------------------
# Signing with pyHanko
# --------------------------------------------------------------------------


SUBFILTERS = ("adbe.pkcs7.detached", "ETSI.CAdES.detached")


def load_signer(p):
    signer = signers.SimpleSigner.load(
        key_file=p["key"], cert_file=p["cert"], ca_chain_files=p["chain"] or None
    )
    if signer is None:  # pyHanko returns None (and logs why) on a bad file
        raise SpecError(f"cannot load the signing key {p['key']} / certificate {p['cert']}")
    # pyHanko would sign anyway and fail on a bare assertion much later.
    with open(p["key"], "rb") as f:
        raw = f.read()
    load = ser.load_pem_private_key if raw.lstrip().startswith(b"-----") else ser.load_der_private_key
    spki = load(raw, password=None).public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo
    )
    if spki != signer.signing_cert.public_key.dump():
        raise SpecError(f"the key {p['key']} does not belong to the certificate {p['cert']}")
    return signer


def _subfilter_enum(name):
    f = fields.SigSeedSubFilter
    return f.PADES if name == "ETSI.CAdES.detached" else f.ADOBE_PKCS7_DETACHED


def sign_cms(pdf, p, signer, field):
    """`pdf` with one more CMS signature in an incremental update, the
    ordinary way (pyHanko's PdfSigner: it sizes /Contents itself)."""
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=_subfilter_enum(p["subfilter"]),
        md_algorithm=p["md_algorithm"], reason="tenderlog test fixture",
    )
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(w)
    return out.getvalue()


def prepare_placeholder(pdf, field, subfilter_name, filter_name, reserved_hex):
    """First half of a signature made by hand: the incremental update with
    an empty /Contents of `reserved_hex` hex digits and a filled /ByteRange.

    Uses pyHanko's PdfCMSEmbedder protocol; returns (embedder coroutine,
    output stream, hole start, hole end). The caller sends the /Contents
    bytes into the coroutine to finish."""
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    emb = PdfCMSEmbedder().write_cms(field_name=field, writer=w)
    next(emb)  # the signature field is made
    sig_obj = SignatureObject(
        timestamp=datetime.datetime.now(datetime.timezone.utc), bytes_reserved=reserved_hex
    )
    # Set by name, not through pyHanko's SubFilter enum, which knows no
    # seal conventions.
    sig_obj[pdf_name("/Filter")] = pdf_name("/" + filter_name)
    sig_obj[pdf_name("/SubFilter")] = pdf_name("/" + subfilter_name)
    emb.send(SigObjSetup(sig_placeholder=sig_obj))
    # The digest pyHanko computes here is not used: callers hash what they need.
    prep, output = emb.send(SigIOSetup(md_algorithm="sha256", in_place=False, output=io.BytesIO()))
    return emb, output, prep.reserved_region_start, prep.reserved_region_end


def rewrite_byterange(output, hole_end, new_br):
    """Overwrites the /ByteRange array that follows the hole with `new_br`.

    pyHanko writes the array into a fixed-width slot padded with spaces,
    so a new array of no greater width fits without moving any byte."""
    data = output.getvalue()
    m = re.compile(rb"/ByteRange\s*(\[[^\]]*\])( *)").search(data, hole_end)
    if not m:
        raise RuntimeError("no /ByteRange after the /Contents hole")
    width = len(m.group(1)) + len(m.group(2))
    text = b"[%d %d %d %d]" % tuple(new_br)
    if len(text) > width:
        raise RuntimeError("the new /ByteRange does not fit in its slot")
    output.seek(m.start(1))
    output.write(text.ljust(width, b" "))
    output.seek(0)


def sign_gap(pdf, p, signer, gap):
    """A signature whose /ByteRange leaves `gap` bytes after the hole
    uncovered, with a CMS made over exactly the declared (gapped) ranges:
    the digest check passes, only a coverage check can catch it."""
    emb, output, start, end = prepare_placeholder(
        pdf, "Signature1", p["subfilter"], "Adobe.PPKLite", 16384
    )
    eof = len(output.getvalue())
    br = [0, start, end + gap, eof - end - gap]
    rewrite_byterange(output, end, br)
    data = output.getvalue()
    h = hashes.Hash(getattr(hashes, p["md_algorithm"].upper())())
    h.update(covered_bytes(data, br))
    cms = asyncio.run(signer.async_sign(
        h.finalize(), p["md_algorithm"], use_pades=p["subfilter"] == "ETSI.CAdES.detached"
    ))
    emb.send(cms)
    return output.getvalue()


# --------------------------------------------------------------------------
# Changes made after signing
# --------------------------------------------------------------------------


def append_update(pdf, change):
    """`pdf` plus one incremental update made with pyHanko's writer.

    "annotation": a sticky-note annotation is added to page 1 (the kind
    of change viewers show as "annotated after signing").
    "content": page 1 gets a new content stream in which the bid price
    reads 9000000.00: the signed bytes are intact but what a reader sees
    is not what was signed."""
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    if change == "annotation":
        annot = w.add_object(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Text"),
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.NumberObject(x) for x in (400, 700, 420, 720)]
            ),
            pdf_name("/Contents"): pdf_string("签署后追加的批注 (added after signing)"),
            pdf_name("/P"): page_ref,
        }))
        annots = page.get("/Annots")
        if annots is None:
            page[pdf_name("/Annots")] = generic.ArrayObject([annot])
        else:
            annots.get_object().append(annot)
    else:
        stream = generic.StreamObject(stream_data=page_content(CHANGED_PRICE_TEXT))
        page[pdf_name("/Contents")] = w.add_object(stream)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def tamper_covered(data):
    """One byte inside the first range changed: the first digit of the bid
    price in the page content ('1' -> '9'). When the source has no such
    text (a `source_pdf` of the caller's), the minor version digit of the
    %PDF header instead: the file still parses either way."""
    br = raw_signatures(data)[0][0]
    i = data.find(PRICE_TEXT)
    if 0 <= i < br[1]:
        i += len(b"Bid price: CNY ")
        new = b"9"
    else:
        i = 7  # %PDF-1.x
        new = b"4" if data[7:8] != b"4" else b"5"
    return data[:i] + new + data[i + 1:], i


def tamper_contents(data):
    """One bit of the CMS flipped: the low bit of the last byte of the
    first SignerInfo's signature value. The DER stays well-formed (same
    lengths), so a verifier must reach the signature check to notice."""
    from asn1crypto import cms

    br, hole = raw_signatures(data)[0]
    der = contents_der(hole)
    der = der[:der_tlv_len(der)]  # drop the zero padding
    info = cms.ContentInfo.load(der)
    sig = info["content"]["signer_infos"][0]["signature"].native
    at = der.rfind(sig) + len(sig) - 1  # last byte of the signature value
    flipped = der[at] ^ 0x01
    pos = br[1] + 1 + 2 * at  # its two hex digits in the file
    return data[:pos] + b"%02X" % flipped + data[pos + 2:], pos


# --------------------------------------------------------------------------
# The GB/T 38540 seal in a PDF signature
# --------------------------------------------------------------------------

def parse_ses(raw, base):
    """make_seal's parameters for the `ses` object of the spec.

    make_seal checks the keys and reads the files (paths relative to the
    spec, like ours). standalone=False makes it refuse the keys a package
    sets (out, seal_out, data_hash_hex, data_file, property_info): here
    the PDF does. timeInfo defaults to now, the moment of signing, rather
    than make_seal's fixed date, so a certificate made today covers it."""
    raw = dict(raw)
    raw.setdefault("time_info", datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ"))
    try:
        return make_seal.parse_spec(raw, base, standalone=False)
    except make_seal.SpecError as e:
        raise SpecError(f"ses: {e}") from e


def encode_ses(ses, data_hash, property_info):
    """SES_Signature DER from make_seal for this dataHash and propertyInfo."""
    q = dict(ses, data_hash=data_hash, property_info=property_info)
    try:
        ses_der, _seal_der = make_seal.encode(q)
    except make_seal.SpecError as e:
        raise SpecError(f"ses: {e}") from e
    return ses_der


def sign_ses(pdf, p, property_info):
    """A signature whose /Contents is a bare GB/T 38540 SES_Signature (no
    CMS around it). dataHash = SM3 over the two ByteRange ranges, the way
    CMS signs them; propertyInfo names the document."""
    # The seal's size does not depend on dataHash (beyond a byte or two of
    # signature DER), so a trial seal sizes the /Contents slot.
    trial = encode_ses(p["ses"], bytes(32), property_info)
    reserved = 2 * (len(trial) + 256)
    emb, output, start, end = prepare_placeholder(
        pdf, "Seal1", p["ses_subfilter"], p["ses_filter"], reserved
    )
    data = output.getvalue()
    br = [0, start, end, len(data) - end]
    h = hashes.Hash(hashes.SM3())
    h.update(covered_bytes(data, br))
    ses = encode_ses(p["ses"], h.finalize(), property_info)
    emb.send(ses)
    return output.getvalue(), ses


# --------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------

VARIANTS = (
    "plain", "incremental_after", "two_signatures", "tampered_covered",
    "tampered_contents", "byterange_gap", "ses_seal", "pad_mb",
)
CMS_VARIANTS = tuple(v for v in VARIANTS if v != "ses_seal")

# The verdict a correct verifier gives, copied into the summary for tests.
EXPECT = {
    "plain": "valid; the ByteRange covers the whole file except /Contents",
    "incremental_after": "signature valid over its ByteRange; an incremental update follows it",
    "two_signatures": "both valid; the first is followed by the update holding the second",
    "tampered_covered": "invalid: the digest over the ByteRange does not match",
    "tampered_contents": "invalid: the CMS signature value does not verify",
    "byterange_gap": "flagged: the ByteRange leaves bytes outside /Contents uncovered",
    "ses_seal": "valid seal: SM3 of the ByteRange bytes = dataHash; SM2 signatures verify",
    "pad_mb": "valid; the ByteRange covers the whole file except /Contents",
}

KEYS = {
    "out_dir": None,  # required
    "variants": None,  # None: every variant whose inputs the spec gives
    "cert": None, "key": None, "chain": [],
    "subfilter": "adbe.pkcs7.detached",
    "md_algorithm": "sha256",
    "source_pdf": None,
    "incremental_change": "annotation",
    "gap_bytes": 16,
    "pad_mib": 10,
    "ses": None,
    "ses_filter": "Adobe.PPKLite",
    "ses_subfilter": "adbe.pkcs7.detached",
    "ses_property_info": None,  # None: the output file name
}

# Names written as they are: letters, digits and . _ - need no #xx escape.
PDF_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def load_spec(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a JSON object")
    unknown = set(raw) - set(KEYS)
    if unknown:  # a misspelt key would otherwise silently take its default
        raise SpecError(f"unknown spec keys: {sorted(unknown)}")
    s = dict(KEYS)
    s.update(raw)
    base = os.path.dirname(os.path.abspath(spec_path))

    def path(v, key):
        if not isinstance(v, str):
            raise SpecError(f"{key}: expected a path string, got {v!r}")
        return os.path.join(base, v)

    if s["out_dir"] is None:
        raise SpecError("missing spec key: out_dir")
    p = {"out_dir": path(s["out_dir"], "out_dir")}

    if s["variants"] is None:
        variants = [
            v for v in VARIANTS
            if (v in CMS_VARIANTS and s["cert"] is not None) or (v == "ses_seal" and s["ses"] is not None)
        ]
    else:
        variants = s["variants"]
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise SpecError("variants: expected a list of variant names")
        bad = [v for v in variants if v not in VARIANTS]
        if bad:
            raise SpecError(f"variants: unknown {bad}; expected some of {list(VARIANTS)}")
    if not variants:
        raise SpecError("nothing to build: give cert/key (CMS variants) or ses (ses_seal)")
    p["variants"] = list(dict.fromkeys(variants))

    needs_cms = any(v in CMS_VARIANTS for v in p["variants"])
    if needs_cms and (s["cert"] is None or s["key"] is None):
        raise SpecError("cert and key are required for the CMS variants")
    p["cert"] = path(s["cert"], "cert") if s["cert"] is not None else None
    p["key"] = path(s["key"], "key") if s["key"] is not None else None
    if not isinstance(s["chain"], list):
        raise SpecError("chain: expected a list of certificate paths")
    p["chain"] = [path(c, "chain") for c in s["chain"]]

    if s["subfilter"] not in SUBFILTERS:
        raise SpecError(f"subfilter: expected one of {list(SUBFILTERS)}, got {s['subfilter']!r}")
    p["subfilter"] = s["subfilter"]
    if s["md_algorithm"] not in ("sha256", "sha384", "sha512"):
        raise SpecError("md_algorithm: expected sha256, sha384 or sha512")
    p["md_algorithm"] = s["md_algorithm"]
    p["source_pdf"] = path(s["source_pdf"], "source_pdf") if s["source_pdf"] is not None else None
    if s["incremental_change"] not in ("annotation", "content"):
        raise SpecError("incremental_change: expected 'annotation' or 'content'")
    p["incremental_change"] = s["incremental_change"]
    g = s["gap_bytes"]
    if not isinstance(g, int) or isinstance(g, bool) or not 1 <= g <= 64:
        raise SpecError("gap_bytes: expected an integer from 1 to 64")
    p["gap_bytes"] = g
    m = s["pad_mib"]
    if not isinstance(m, (int, float)) or isinstance(m, bool) or not 0 < m <= 1024:
        raise SpecError("pad_mib: expected a number of MiB, more than 0 and at most 1024")
    p["pad_mib"] = m

    for k in ("ses_filter", "ses_subfilter"):
        if not isinstance(s[k], str) or not PDF_NAME_RE.match(s[k]):
            raise SpecError(f"{k}: expected a PDF name without its '/': letters, digits, '.', '_', '-'")
        p[k] = s[k]
    if s["ses_property_info"] is not None and not (
        isinstance(s["ses_property_info"], str) and s["ses_property_info"].isascii()
    ):
        raise SpecError("ses_property_info: expected an ASCII (IA5) string")
    p["ses_property_info"] = s["ses_property_info"]

    if "ses_seal" in p["variants"]:
        if not isinstance(s["ses"], dict):
            raise SpecError("ses: required for ses_seal, a JSON object of make_seal.py spec keys")
        p["ses"] = parse_ses(s["ses"], base)
    elif s["ses"] is not None and not isinstance(s["ses"], dict):
        raise SpecError("ses: expected a JSON object")
    return p


# --------------------------------------------------------------------------
# Building the variants
# --------------------------------------------------------------------------


def build(p):
    os.makedirs(p["out_dir"], exist_ok=True)
    if p["source_pdf"]:
        with open(p["source_pdf"], "rb") as f:
            source = f.read()
    else:
        source = make_source_pdf()
        write(p, "unsigned.pdf", source)
    signer = load_signer(p) if any(v in CMS_VARIANTS for v in p["variants"]) else None
    made = {}
    plain = None

    def signed_once():
        nonlocal plain
        if plain is None:
            plain = sign_cms(source, p, signer, "Signature1")
        return plain

    for v in p["variants"]:
        note = {}
        if v == "plain":
            data = signed_once()
        elif v == "incremental_after":
            data = append_update(signed_once(), p["incremental_change"])
            note["change"] = p["incremental_change"]
        elif v == "two_signatures":
            data = sign_cms(signed_once(), p, signer, "Signature2")
        elif v == "tampered_covered":
            data, at = tamper_covered(signed_once())
            note["changed_offset"] = at
        elif v == "tampered_contents":
            data, at = tamper_contents(signed_once())
            note["changed_offset"] = at
        elif v == "byterange_gap":
            data = sign_gap(source, p, signer, p["gap_bytes"])
            note["gap_bytes"] = p["gap_bytes"]
        elif v == "pad_mb":
            padded = make_source_pdf(pad_bytes=int(p["pad_mib"] * 1024 * 1024))
            data = sign_cms(padded, p, signer, "Signature1")
            note["pad_mib"] = p["pad_mib"]
        elif v == "ses_seal":
            prop = p["ses_property_info"] or "ses_seal.pdf"
            data, ses = sign_ses(source, p, prop)
            write(p, "ses_seal.ses.der", ses)
            note["ses_der"] = os.path.join(p["out_dir"], "ses_seal.ses.der")
            note["property_info"] = prop
            note["filter"], note["subfilter"] = p["ses_filter"], p["ses_subfilter"]
        out = write(p, v + ".pdf", data)
        made[v] = {
            "path": out,
            "bytes": len(data),
            "byte_ranges": [br for br, _ in raw_signatures(data)],
            "expect": EXPECT[v],
            **note,
        }
    return {"out_dir": p["out_dir"], "subfilter": p["subfilter"], "variants": made}


def write(p, name, data):
    path = os.path.join(p["out_dir"], name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# --------------------------------------------------------------------------
# Self-test
# --------------------------------------------------------------------------

RESULTS = {"passed": 0, "failed": 0}
DISTID = "distid:1234567812345678"


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + (f"  ({detail})" if detail and not cond else ""))


def run(*args, ok=True):
    p = subprocess.run(args, capture_output=True)
    if ok and p.returncode:
        raise RuntimeError(f"{args}: {p.stderr.decode(errors='replace')}")
    return p


def make_cms_certs(d):
    """An RSA-2048 root, and under it an RSA-2048 and an ECDSA P-256 signer."""
    leaf_ext = os.path.join(d, "leaf.ext")
    with open(leaf_ext, "w") as f:
        f.write(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,nonRepudiation\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
        )
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/root.key",
        "-out", f"{d}/root.pem", "-days", "3650", "-subj", "/CN=make_pdf Test Root/O=tests-py",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", f"{d}/rsa.key")
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", f"{d}/ec.key")
    for name, cn in (("rsa", "RSA Signer"), ("ec", "P-256 Signer")):
        run("openssl", "req", "-new", "-key", f"{d}/{name}.key", "-subj",
            f"/CN=make_pdf {cn}/O=tests-py", "-out", f"{d}/{name}.csr")
        run("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/root.pem",
            "-CAkey", f"{d}/root.key", "-CAcreateserial", "-days", "3650",
            "-extfile", leaf_ext, "-out", f"{d}/{name}.pem")


def make_sm2_certs(d):
    """SM2 seal maker (self-signed) and signer, made the way
    check_with_openssl.py makes them (SM3, distid on every signature)."""
    for n in ("maker", "signer"):
        run("openssl", "genpkey", "-algorithm", "SM2", "-out", f"{d}/{n}.sm2.key")
    run("openssl", "req", "-x509", "-new", "-key", f"{d}/maker.sm2.key", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=make_pdf Seal Maker/O=tests-py", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE", "-out", f"{d}/maker.sm2.pem")
    run("openssl", "req", "-new", "-key", f"{d}/signer.sm2.key", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=make_pdf Seal Signer/O=tests-py", "-out", f"{d}/signer.sm2.csr")
    run("openssl", "x509", "-req", "-in", f"{d}/signer.sm2.csr", "-CA", f"{d}/maker.sm2.pem",
        "-CAkey", f"{d}/maker.sm2.key", "-CAcreateserial", "-sm3", "-sigopt", DISTID,
        "-vfyopt", DISTID, "-days", "3650", "-out", f"{d}/signer.sm2.pem")


def run_make_pdf(d, name, spec):
    path = os.path.join(d, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    return run(sys.executable, os.path.abspath(__file__), path, ok=False)


def pyhanko_statuses(path, root_pem):
    """[PdfSignatureStatus] from pyHanko's validator, the test root trusted."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(trust_roots=[load_cert_from_pemder(root_pem)])
    with open(path, "rb") as f:
        r = PdfFileReader(f)
        return [validate_pdf_signature(s, vc) for s in r.embedded_signatures]


def openssl_cms_ok(d, data, br, root):
    """openssl's verdict on the CMS in /Contents over the ByteRange bytes:
    a second opinion from an implementation that shares nothing with
    pyHanko. It judges only the declared ranges, not their coverage."""
    # The /Contents string starts where the first range ends (in every
    # variant, byterange_gap included: its extra gap is after the string).
    der = contents_der(data[br[1]:data.index(b">", br[1]) + 1])
    sig, content = os.path.join(d, "cms.der"), os.path.join(d, "cms.content")
    with open(sig, "wb") as f:
        f.write(der[:der_tlv_len(der)])
    with open(content, "wb") as f:
        f.write(covered_bytes(data, br))
    p = run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
            "-content", content, "-CAfile", root, "-purpose", "any", "-out", os.devnull, ok=False)
    return p.returncode == 0


def judge_cms(d, tag, summary, root):
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Cov

    v = summary["variants"]

    def load(name):
        with open(v[name]["path"], "rb") as f:
            return f.read()

    if "plain" in v:
        data = load("plain")
        (st,) = pyhanko_statuses(v["plain"]["path"], root)
        check(f"{tag} plain: pyHanko intact, valid, trusted",
              st.intact and st.valid and st.trusted, st.summary())
        check(f"{tag} plain: pyHanko coverage ENTIRE_FILE", st.coverage == Cov.ENTIRE_FILE, st.coverage)
        check(f"{tag} plain: bottom line True", st.bottom_line)
        sigs = raw_signatures(data)
        check(f"{tag} plain: one ByteRange, covering all but the <hex> hole",
              len(sigs) == 1 and covers_all_but_hole(data, sigs[0][0]), sigs and sigs[0][0])
        want = b"/SubFilter /" + summary["subfilter"].encode()
        check(f"{tag} plain: SubFilter {summary['subfilter']}", want in data)
        check(f"{tag} plain: openssl cms verifies", openssl_cms_ok(d, data, sigs[0][0], root))

    if "incremental_after" in v:
        data = load("incremental_after")
        (st,) = pyhanko_statuses(v["incremental_after"]["path"], root)
        check(f"{tag} incremental_after: pyHanko intact, valid, trusted",
              st.intact and st.valid and st.trusted, st.summary())
        check(f"{tag} incremental_after: coverage ENTIRE_REVISION (not the whole file)",
              st.coverage == Cov.ENTIRE_REVISION, st.coverage)
        check(f"{tag} incremental_after: pyHanko reports modifications after signing",
              st.modification_level is not None and st.modification_level > ModificationLevel.NONE,
              st.modification_level)
        # pyHanko's default diff policy rates both kinds of change OTHER.
        check(f"{tag} incremental_after ({v['incremental_after']['change']}): pyHanko's bottom line False",
              not st.bottom_line, st.modification_level)
        br = raw_signatures(data)[0][0]
        check(f"{tag} incremental_after: bytes after the signed range",
              br[2] + br[3] < len(data) and data.count(b"%%EOF") >= 3, br)
        check(f"{tag} incremental_after: openssl cms verifies over the ByteRange",
              openssl_cms_ok(d, data, br, root))

    if "two_signatures" in v:
        s1, s2 = pyhanko_statuses(v["two_signatures"]["path"], root)
        check(f"{tag} two_signatures: both intact, valid, trusted",
              all(s.intact and s.valid and s.trusted for s in (s1, s2)))
        check(f"{tag} two_signatures: first ENTIRE_REVISION, FORM_FILLING after it",
              s1.coverage == Cov.ENTIRE_REVISION and s1.modification_level == ModificationLevel.FORM_FILLING,
              (s1.coverage, s1.modification_level))
        check(f"{tag} two_signatures: second ENTIRE_FILE", s2.coverage == Cov.ENTIRE_FILE, s2.coverage)
        check(f"{tag} two_signatures: both bottom lines True", s1.bottom_line and s2.bottom_line)
        data = load("two_signatures")
        check(f"{tag} two_signatures: openssl cms verifies both",
              all(openssl_cms_ok(d, data, br, root) for br, _ in raw_signatures(data)))

    if "tampered_covered" in v:
        data = load("tampered_covered")
        (st,) = pyhanko_statuses(v["tampered_covered"]["path"], root)
        check(f"{tag} tampered_covered: pyHanko not intact", not st.intact and not st.bottom_line)
        br = raw_signatures(data)[0][0]
        check(f"{tag} tampered_covered: the changed byte is in the first range",
              v["tampered_covered"]["changed_offset"] < br[1])
        check(f"{tag} tampered_covered: same length as plain", len(data) == len(load("plain")))
        check(f"{tag} tampered_covered: openssl cms rejects", not openssl_cms_ok(d, data, br, root))

    if "tampered_contents" in v:
        (st,) = pyhanko_statuses(v["tampered_contents"]["path"], root)
        check(f"{tag} tampered_contents: pyHanko intact (digest ok) but not valid",
              st.intact and not st.valid and not st.bottom_line, st.summary())
        data = load("tampered_contents")
        check(f"{tag} tampered_contents: openssl cms rejects",
              not openssl_cms_ok(d, data, raw_signatures(data)[0][0], root))

    if "byterange_gap" in v:
        data = load("byterange_gap")
        (st,) = pyhanko_statuses(v["byterange_gap"]["path"], root)
        check(f"{tag} byterange_gap: CMS valid over the declared ranges", st.intact and st.valid)
        check(f"{tag} byterange_gap: pyHanko coverage UNCLEAR, bottom line False",
              st.coverage == Cov.UNCLEAR and not st.bottom_line, st.coverage)
        br, hole = raw_signatures(data)[0]
        gap = v["byterange_gap"]["gap_bytes"]
        check(f"{tag} byterange_gap: ranges end at EOF but the hole is {gap} bytes wider than /Contents",
              br[2] + br[3] == len(data) and not covers_all_but_hole(data, br)
              and hole.index(b">") == len(hole) - gap - 1, br)
        check(f"{tag} byterange_gap: openssl cms verifies the declared ranges (only coverage catches it)",
              openssl_cms_ok(d, data, br, root))

    if "pad_mb" in v:
        data = load("pad_mb")
        (st,) = pyhanko_statuses(v["pad_mb"]["path"], root)
        check(f"{tag} pad_mb: valid, ENTIRE_FILE", st.bottom_line and st.coverage == Cov.ENTIRE_FILE)
        check(f"{tag} pad_mb: at least {v['pad_mb']['pad_mib']} MiB",
              len(data) >= v["pad_mb"]["pad_mib"] * 1024 * 1024, len(data))
        check(f"{tag} pad_mb: padding does not compress",
              len(zlib.compress(data, 1)) > 0.95 * len(data))
        check(f"{tag} pad_mb: openssl cms verifies",
              openssl_cms_ok(d, data, raw_signatures(data)[0][0], root))

    # A third reader: qpdf (through pikepdf) opens every file without a warning.
    import pikepdf

    for name, info in v.items():
        with pikepdf.open(info["path"]) as pdf:
            problems = pdf.check_pdf_syntax()
        check(f"{tag} {name}: qpdf reads it without warnings", not problems, problems)


def der_children(der, pos):
    """[(start, end)] of the elements inside the constructed element at pos."""
    n = der[pos + 1]
    hdr = 2 if n < 0x80 else 2 + (n & 0x7F)
    i, end, out = pos + hdr, pos + der_tlv_len(der, pos), []
    while i < end:
        j = i + der_tlv_len(der, i)
        out.append((i, j))
        i = j
    return out


def sm2_verify(d, name, msg, sig, cert_pem):
    """openssl's verdict on an SM2-with-SM3 signature (default distid)."""
    m_path, s_path = os.path.join(d, f"ses_{name}.msg"), os.path.join(d, f"ses_{name}.sig")
    with open(m_path, "wb") as f:
        f.write(msg)
    with open(s_path, "wb") as f:
        f.write(sig)
    p = run("openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
            "-certin", "-inkey", cert_pem, "-in", m_path, "-sigfile", s_path, ok=False)
    return p.returncode == 0 and b"Verified Successfully" in p.stdout


def judge_ses(d, summary, signer_pem, maker_pem):
    """The seal judged by openssl and a schema-less pyasn1 decode."""
    from pyasn1.codec.der import decoder

    info = summary["variants"]["ses_seal"]
    with open(info["path"], "rb") as f:
        data = f.read()
    sigs = raw_signatures(data)
    check("ses_seal: one ByteRange, covering all but the <hex> hole",
          len(sigs) == 1 and covers_all_but_hole(data, sigs[0][0]), sigs and sigs[0][0])
    br, hole = sigs[0]
    check(f"ses_seal: Filter /{info['filter']}, SubFilter /{info['subfilter']}",
          f"/Filter /{info['filter']}".encode() in data
          and f"/SubFilter /{info['subfilter']}".encode() in data)
    der = contents_der(hole)
    der = der[:der_tlv_len(der)]
    with open(info["ses_der"], "rb") as f:
        check("ses_seal: /Contents holds the SES written beside it", f.read() == der)
    check("ses_seal: trailing /Contents padding is zeros", set(contents_der(hole)[len(der):]) <= {0})

    # No schema: the fields are found by position, as the standard orders them.
    ses, rest = decoder.decode(der)
    check("ses_seal: one DER element, no trailing bytes", rest == b"")
    tbs = ses[0]
    check("ses_seal: TBS_Sign.version = 4", int(tbs[0]) == 4)
    data_hash = tbs[3].asOctets()
    check("ses_seal: propertyInfo names the document", str(tbs[4]) == info["property_info"], str(tbs[4]))

    covered = os.path.join(d, "ses_covered.bin")
    with open(covered, "wb") as f:
        f.write(covered_bytes(data, br))
    out = run("openssl", "dgst", "-sm3", "-r", covered).stdout.decode().split()[0]
    check("ses_seal: openssl SM3 of the ByteRange bytes = dataHash", out == data_hash.hex(),
          f"{out} != {data_hash.hex()}")

    # Signer: SES_Signature.signature over DER(TBS_Sign), its first element.
    # Maker (v4): SESeal.signedValue over DER(SES_SealInfo), the first element
    # of TBS_Sign.eseal. Both are sliced from the bytes, not re-encoded.
    tbs_span = der_children(der, 0)[0]
    seal_span = der_children(der, tbs_span[0])[1]
    info_span = der_children(der, seal_span[0])[0]
    signed = {
        "signer": (der[tbs_span[0]:tbs_span[1]], ses[3].asOctets(), signer_pem),
        "maker": (der[info_span[0]:info_span[1]], tbs[1][3].asOctets(), maker_pem),
    }
    for name, (msg, sig, cert) in signed.items():
        check(f"ses_seal: openssl verifies the {name}'s SM2 signature",
              sm2_verify(d, name, msg, sig, cert))
    # A verifier that said yes to anything would pass the two checks above.
    msg, sig, cert = signed["signer"]
    check("ses_seal: openssl rejects the signer's signature over other bytes",
          not sm2_verify(d, "other", msg + b"x", sig, cert))

    # A CMS-only validator must not call the seal a valid CMS signature.
    try:
        sts = pyhanko_statuses(info["path"], maker_pem)
        ok = not any(s.bottom_line for s in sts)
    except Exception:  # pyHanko cannot parse an SES as CMS: also a refusal
        ok = True
    check("ses_seal: pyHanko (CMS only) does not accept it as a CMS signature", ok)


def self_test(keep):
    logging.disable(logging.CRITICAL)  # pyHanko logs every rejection it reports
    d = keep or tempfile.mkdtemp(prefix="make_pdf_check.")
    os.makedirs(d, exist_ok=True)
    make_cms_certs(d)
    make_sm2_certs(d)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")
    ses = {
        "maker_cert": "maker.sm2.pem", "maker_key": "maker.sm2.key",
        "signer_cert": "signer.sm2.pem", "signer_key": "signer.sm2.key",
        "cert_list": ["signer.sm2.pem"],
        # Inside the certificates' validity, which openssl starts now.
        "create": now, "valid_start": now,
    }
    specs = {
        # Every variant: RSA-2048, adbe.pkcs7.detached, an annotation after signing.
        "rsa": {"out_dir": "out-rsa", "cert": "rsa.pem", "key": "rsa.key", "chain": ["root.pem"],
                "ses": ses, "pad_mib": 10},
        # ECDSA P-256 and ETSI.CAdES.detached; the page content changed after signing.
        "ec": {"out_dir": "out-ec", "cert": "ec.pem", "key": "ec.key", "chain": ["root.pem"],
               "subfilter": "ETSI.CAdES.detached", "incremental_change": "content",
               "variants": ["plain", "incremental_after", "two_signatures", "tampered_contents",
                            "byterange_gap"]},
    }
    for tag, spec in specs.items():
        p = run_make_pdf(d, tag, spec)
        ok = p.returncode == 0
        check(f"{tag}: make_pdf exits 0", ok, p.stderr.decode(errors="replace"))
        if not ok:
            continue
        lines = p.stdout.decode().splitlines()
        check(f"{tag}: one-line JSON summary", len(lines) == 1)
        summary = json.loads(lines[0])
        want = spec.get("variants") or list(VARIANTS)
        check(f"{tag}: every variant built", sorted(summary["variants"]) == sorted(want))
        judge_cms(d, tag, summary, os.path.join(d, "root.pem"))
        if "ses_seal" in summary["variants"]:
            judge_ses(d, summary, os.path.join(d, "signer.sm2.pem"), os.path.join(d, "maker.sm2.pem"))

    # Bad specs: one line on stderr starting `make_pdf: `, exit 1.
    for name, spec in (
        ("unknown key", {"out_dir": "x", "cert": "rsa.pem", "key": "rsa.key", "sub_filter": "x"}),
        ("no cert for CMS", {"out_dir": "x", "variants": ["plain"]}),
        ("key of another certificate", {"out_dir": "x", "cert": "rsa.pem", "key": "ec.key"}),
        ("unknown variant", {"out_dir": "x", "cert": "rsa.pem", "key": "rsa.key", "variants": ["fancy"]}),
        ("make_seal's own error", {"out_dir": "x", "variants": ["ses_seal"],
                                   "ses": dict(ses, name=7)}),
        ("ses sets propertyInfo", {"out_dir": "x", "variants": ["ses_seal"],
                                   "ses": dict(ses, property_info="x")}),
    ):
        p = run_make_pdf(d, "bad", spec)
        err = p.stderr.decode(errors="replace")
        check(f"bad spec ({name}): exit 1 with 'make_pdf: ...'",
              p.returncode == 1 and err.startswith("make_pdf: ") and not p.stdout, err)

    if not keep:
        shutil.rmtree(d)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main(argv):
    if len(argv) >= 2 and argv[1] == "--self-test":
        keep = argv[3] if len(argv) == 4 and argv[2] == "--keep" else None
        if len(argv) not in (2, 4) or (len(argv) == 4 and keep is None):
            print(f"usage: {argv[0]} --self-test [--keep DIR]", file=sys.stderr)
            return 2
        return self_test(keep)
    if len(argv) != 2:
        print(f"usage: {argv[0]} SPEC.json | --self-test [--keep DIR]", file=sys.stderr)
        return 2
    # pyHanko logs (with tracebacks) what it also reports by its return
    # values; the one-line `make_pdf:` message says it instead.
    logging.disable(logging.CRITICAL)
    try:
        summary = build(load_spec(argv[1]))
    except (SpecError, OSError, json.JSONDecodeError) as e:
        print(f"make_pdf: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # e.g. a source_pdf pyHanko cannot read
        print(f"make_pdf: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
