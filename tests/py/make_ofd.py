#!/usr/bin/env python3
"""Assembles signed OFD packages (GB/T 33190) as test fixtures.

    python3 tests/py/make_ofd.py SPEC.json                 # writes `out`
    python3 tests/py/make_ofd.py --self-test [--keep DIR]  # builds and checks every variant

An OFD file is a zip. A seal signature in it is three or four entries in
Doc_0/Signs/Sign_N/: Signature.xml lists the package files it protects
(References: FileRef + base64 CheckValue digest of the entry's bytes),
SignedValue.dat is the SES_Signature whose dataHash is SM3 of that whole
Signature.xml file, and Seal.esl (optional) is the seal. Doc_0/Signs/
Signatures.xml lists the signatures, and OFD.xml points to it. The layout
follows tests/py/README.md and ../shared/vectors/real-world/README.md.

Each SignedValue.dat is made by make_seal.py (same directory): pyasn1 DER,
gmssl SM2. The spec format, the variants and the verdict each should get
are in tests/py/README.md. On success a one-line JSON summary is printed,
including `expect`: the findings a correct verifier should report. On a bad
spec: `make_ofd: <reason>` on stderr, exit 1.

The self-test checks each variant by another path than the one that made
it: digests recomputed with gmssl (or the openssl CLI for large parts),
the SES_Signature taken apart by pyasn1's schema-less decoder, and both SM2
signatures verified by `openssl pkeyutl -verify`.
"""

import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import warnings
import zipfile

from lxml import etree
from lxml.builder import ElementMaker

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_with_openssl as cw  # noqa: E402  (self-test: openssl verification helpers)
import make_seal  # noqa: E402
from make_seal import SpecError  # noqa: E402

OFD_NS = "http://www.ofdspec.org/2016"
NS = {"ofd": OFD_NS}
E = ElementMaker(namespace=OFD_NS, nsmap=NS)

# Package paths, stored without the leading "/" that FileRef and BaseLoc use.
OFD_XML = "OFD.xml"
DOCUMENT = "Doc_0/Document.xml"
PUBLIC_RES = "Doc_0/PublicRes.xml"
CONTENT = "Doc_0/Pages/Page_0/Content.xml"
ATTACHMENTS = "Doc_0/Attachs/Attachments.xml"
SIGNS = "Doc_0/Signs"
SIGNATURES = "Doc_0/Signs/Signatures.xml"
PAD = "Doc_0/Res/pad.bin"

SM2_WITH_SM3 = "1.2.156.10197.1.501"
# All zip entries get this date, so that only the signatures differ
# between two runs of the same spec.
ZIP_DATE = (2026, 6, 1, 8, 0, 0)
# Seal and page IDs below are fixed: one page, whose ID is PAGE_ID.
PAGE_ID = "1"

# References/@CheckMethod values and what they mean. "1.2.156.10197.1.401.2"
# is one vendor's SM3(Z_A || bytes), Z_A from the signer's public key with
# the default ID (vectors/real-world README, dms360 rows).
CHECK_METHODS = {
    "1.2.156.10197.1.401": "sm3",
    "SM3": "sm3",  # ofdrw writes MessageDigest.getAlgorithm(), i.e. the name
    "SHA256": "sha256",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "1.2.156.10197.1.401.2": "sm3-za",
}
DATETIME_STYLES = ("iso", "ofdrw", "compact")
COVERS = ("continue", "whole", "document")
TAMPERS = ("change_part", "wrong_check_value", "signature_xml", "signed_value", "add_part", "remove_part")
HOSTILE = ("path_escape", "absolute_path", "zip_bomb", "duplicate_entry")
BOMB_MIB = 256  # inflates to this; deflate squeezes zeros ~1000:1

DEFAULT_TEXT = ["招标文件（测试）", "项目编号：TEST-2026-0001", "本页由 tests/py/make_ofd.py 生成。"]

# Top-level keys. The four certificate/key paths are also the defaults of
# every signature, which may override them.
CERT_KEYS = ("maker_cert", "maker_key", "signer_cert", "signer_key")
TOP_DEFAULTS = {
    "out": None,  # required
    "text": DEFAULT_TEXT,
    "attachments": [],
    "signatures": [{}],
    "tamper": None,
    "tamper_part": None,
    "tamper_signature": None,  # None: the last signature
    "hostile": None,
    "pad_mb": 0,
    "zip_streamed": False,
}
# Per-signature keys that are make_ofd's own; every other key goes to
# make_seal.parse_spec (and is checked there).
SIG_DEFAULTS = {
    "check_method": "1.2.156.10197.1.401",
    "with_seal_file": True,
    "covers": "continue",
    "datetime_style": "iso",
}


# --------------------------------------------------------------------------
# Digests
# --------------------------------------------------------------------------


def sm3_fast(data):
    """SM3 by OpenSSL through hashlib when this Python's OpenSSL has it
    (gmssl's pure-Python SM3 takes ~6 s per MiB: too slow for the 10 MiB
    package), else by gmssl."""
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        return make_seal.sm3(data)


def check_digest(method, data, signer_cert):
    """The digest a Reference's CheckValue holds, for References/@CheckMethod."""
    kind = CHECK_METHODS[method]
    if kind == "sm3":
        return sm3_fast(data)
    if kind == "sha256":
        return hashlib.sha256(data).digest()
    pub = make_seal.cert_public_point(signer_cert, "signer_cert")
    return sm3_fast(make_seal.sm2_za(pub) + data)


# --------------------------------------------------------------------------
# XML parts
# --------------------------------------------------------------------------


def xml_bytes(root):
    """UTF-8 with a double-quoted declaration, as real producers write it
    (lxml's own declaration uses single quotes); one line, no pretty-print:
    the bytes are what the digests cover, so they are kept plain."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def ofd_xml(doc_id, title, signed):
    info = E.DocInfo(E.DocID(doc_id), E.Title(title), E.CreationDate("2026-06-01"),
                     E.Creator("tests/py make_ofd.py"))
    body = E.DocBody(info, E.DocRoot(DOCUMENT))
    if signed:
        # Relative to the package root, as in the real sample (no leading "/").
        body.append(E.Signatures(SIGNATURES))
    return xml_bytes(E.OFD(body, DocType="OFD", Version="1.0"))


def document_xml(max_unit_id, has_attachments):
    common = E.CommonData(
        E.MaxUnitID(str(max_unit_id)),
        E.PageArea(E.PhysicalBox("0 0 210 297")),
        E.PublicRes("PublicRes.xml"),
    )
    doc = E.Document(common, E.Pages(E.Page(ID=PAGE_ID, BaseLoc="Pages/Page_0/Content.xml")))
    if has_attachments:
        doc.append(E.Attachments("Attachs/Attachments.xml"))
    return xml_bytes(doc)


def public_res_xml(font_id):
    font = E.Font(ID=str(font_id), FontName="宋体", FamilyName="宋体")
    return xml_bytes(E.Res(E.Fonts(font), BaseLoc="Res"))


def content_xml(lines, font_id, first_id):
    """One text object per line, 10 mm apart from the top of the page."""
    layer = E.Layer(ID=str(first_id))
    next_id = first_id + 1
    for i, line in enumerate(lines):
        text = E.TextObject(
            E.FillColor(Value="0 0 0"),
            E.TextCode(line, X="0", Y="5"),
            ID=str(next_id), Boundary=f"20 {20 + 10 * i} 170 8", Font=str(font_id), Size="5",
        )
        layer.append(text)
        next_id += 1
    return xml_bytes(E.Page(E.Content(layer))), next_id


def attachments_xml(files, first_id):
    atts = E.Attachments()
    for i, (name, data) in enumerate(files):
        ext = os.path.splitext(name)[1].lstrip(".") or "bin"
        atts.append(E.Attachment(
            E.FileLoc(name),
            ID=str(first_id + i), Name=name, Format=ext, CreationDate="2026-06-01T00:00:00",
            Size=f"{len(data) / 1024:.3f}", Visible="true",
        ))
    return xml_bytes(atts)


def signatures_xml(entries):
    """Doc_0/Signs/Signatures.xml for [(ID, BaseLoc)]."""
    root = E.Signatures(E.MaxSignId(entries[-1][0]))
    for sid, base_loc in entries:
        root.append(E.Signature(ID=sid, Type="Seal", BaseLoc=base_loc))
    return xml_bytes(root)


def signature_xml(date_time, check_method, refs, boundary, seal_loc, signed_value_loc):
    """Sign_N/Signature.xml. Element order follows GB/T 33190's SignedInfo:
    Provider, SignatureMethod, SignatureDateTime, References, StampAnnot,
    Seal (real files also put StampAnnot first; a reader must not care)."""
    references = E.References(CheckMethod=check_method)
    for path, value in refs:
        references.append(E.Reference(E.CheckValue(base64.b64encode(value).decode()), FileRef="/" + path))
    info = E.SignedInfo(
        E.Provider(ProviderName="tests-py-make_ofd", Version="1.0", Company="tenderlog tests"),
        E.SignatureMethod(SM2_WITH_SM3),
        E.SignatureDateTime(date_time),
        references,
        E.StampAnnot(ID="1", PageRef=PAGE_ID, Boundary=boundary),
    )
    if seal_loc:
        info.append(E.Seal(E.BaseLoc(seal_loc)))
    return xml_bytes(E.Signature(info, E.SignedValue(signed_value_loc)))


def signature_datetime(t, style):
    """SignatureDateTime for the seal's time_info ('YYYYMMDDHHMMSSZ', UTC).
    Producers differ: xs:dateTime ('iso'); ofdrw's "yyyy-MM-dd HH:mm:ss"
    local time; GOMAIN's "yyyyMMddHHmmss" local time. Local is China, UTC+8."""
    utc = datetime.datetime.strptime(t, "%Y%m%d%H%M%SZ")
    local = utc + datetime.timedelta(hours=8)
    if style == "iso":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "ofdrw":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return local.strftime("%Y%m%d%H%M%S")


# --------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------


def norm_part(v, key):
    """A package path from the spec, "/Doc_0/x" or "Doc_0/x", stored without "/"."""
    if not isinstance(v, str) or not v.strip("/"):
        raise SpecError(f"{key}: expected a package path, got {v!r}")
    return v.lstrip("/")


def load_spec(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        raw = json.load(f)
    return parse_spec(raw, os.path.dirname(os.path.abspath(spec_path)))


def parse_spec(raw, base):
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a JSON object")
    unknown = set(raw) - set(TOP_DEFAULTS) - set(CERT_KEYS)
    if unknown:  # a misspelt key would otherwise silently take its default
        raise SpecError(f"unknown spec keys: {sorted(unknown)}")
    s = dict(TOP_DEFAULTS)
    s.update(raw)
    if not s["out"]:
        raise SpecError("missing spec keys: ['out']")
    spec = {"out": os.path.join(base, s["out"]), "base": base}

    text = s["text"]
    if isinstance(text, str):
        text = [text]
    if not isinstance(text, list) or not text or not all(isinstance(x, str) for x in text):
        raise SpecError("text: expected a string or a non-empty list of strings")
    spec["text"] = text

    if not isinstance(s["attachments"], list):
        raise SpecError("attachments: expected a list of file paths")
    atts = []
    for a in s["attachments"]:
        if not isinstance(a, str):
            raise SpecError(f"attachments: {a!r} is not a path")
        name = os.path.basename(a)
        if name in [n for n, _ in atts] or name == "Attachments.xml":
            raise SpecError(f"attachments: two files named {name!r}")
        atts.append((name, open(os.path.join(base, a), "rb").read()))
    spec["attachments"] = atts

    pad = s["pad_mb"]
    if not isinstance(pad, int) or isinstance(pad, bool) or pad < 0:
        raise SpecError(f"pad_mb: expected a whole number of MiB, got {pad!r}")
    spec["pad_mb"] = pad
    if not isinstance(s["zip_streamed"], bool):
        raise SpecError("zip_streamed: expected true or false")
    spec["zip_streamed"] = s["zip_streamed"]

    if not isinstance(s["signatures"], list):
        raise SpecError("signatures: expected a list of signature specs")
    sigs = []
    for i, sig in enumerate(s["signatures"]):
        if not isinstance(sig, dict):
            raise SpecError(f"signatures[{i}]: expected an object")
        sigs.append(parse_signature(sig, raw, base, i))
    spec["signatures"] = sigs

    t = s["tamper"]
    if t is not None and t not in TAMPERS:
        raise SpecError(f"tamper: expected null or one of {list(TAMPERS)}, got {t!r}")
    if t is not None and not sigs:
        raise SpecError("tamper needs at least one signature")
    spec["tamper"] = t
    if s["tamper_part"] is not None and t not in ("change_part", "wrong_check_value", "add_part", "remove_part"):
        raise SpecError("tamper_part applies only to change_part, wrong_check_value, add_part, remove_part")
    default_part = {
        "change_part": CONTENT, "remove_part": CONTENT,
        "wrong_check_value": DOCUMENT, "add_part": "Doc_0/Res/added.xml",
    }.get(t)
    spec["tamper_part"] = (
        norm_part(s["tamper_part"], "tamper_part") if s["tamper_part"] is not None else default_part
    )
    ts = s["tamper_signature"]
    if ts is not None:
        if t not in ("wrong_check_value", "signature_xml", "signed_value"):
            raise SpecError("tamper_signature applies only to wrong_check_value, signature_xml, signed_value")
        if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts < len(sigs):
            raise SpecError(f"tamper_signature: expected a signature index 0..{len(sigs) - 1}, got {ts!r}")
    spec["tamper_signature"] = ts if ts is not None else len(sigs) - 1

    h = s["hostile"]
    if h is not None and h not in HOSTILE:
        raise SpecError(f"hostile: expected null or one of {list(HOSTILE)}, got {h!r}")
    spec["hostile"] = h
    return spec


def parse_signature(sig, top, base, i):
    """One entry of `signatures`: make_ofd's own keys, the rest to make_seal."""
    own = dict(SIG_DEFAULTS)
    own.update({k: v for k, v in sig.items() if k in SIG_DEFAULTS})
    seal_spec = {k: top[k] for k in CERT_KEYS if k in top}
    seal_spec.update({k: v for k, v in sig.items() if k not in SIG_DEFAULTS})
    try:
        p = make_seal.parse_spec(seal_spec, base, standalone=False)
    except SpecError as e:
        raise SpecError(f"signatures[{i}]: {e}") from e
    if own["check_method"] not in CHECK_METHODS:
        raise SpecError(f"signatures[{i}].check_method: expected one of {list(CHECK_METHODS)}, "
                        f"got {own['check_method']!r}")
    if not isinstance(own["with_seal_file"], bool):
        raise SpecError(f"signatures[{i}].with_seal_file: expected true or false")
    if own["datetime_style"] not in DATETIME_STYLES:
        raise SpecError(f"signatures[{i}].datetime_style: expected one of {list(DATETIME_STYLES)}")
    cov = own["covers"]
    if isinstance(cov, list):
        cov = [norm_part(c, f"signatures[{i}].covers") for c in cov]
    elif cov not in COVERS:
        raise SpecError(f"signatures[{i}].covers: expected one of {list(COVERS)} or a list of paths")
    own["covers"] = cov
    own["seal"] = p
    return own


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------


class Package:
    """The entries, in zip order: name -> bytes. `stored` names are written
    uncompressed (the random pad: deflate would only waste time on it)."""

    def __init__(self):
        self.files = {}
        self.stored = set()

    def put(self, name, data, stored=False):
        self.files[name] = data
        if stored:
            self.stored.add(name)


def covered_parts(pkg, covers, n):
    """Which entries signature n protects, at the moment it is made.

    continue (default): every entry then present except Signatures.xml:
        ofdrw's ContinueSign mode. It includes the earlier signatures'
        Signature.xml, SignedValue.dat and Seal.esl, and this signature's
        own Seal.esl (written before the digests, as ofdrw does). Later
        signatures only add files and rewrite Signatures.xml, so every
        signature stays valid.
    whole: all of them, Signatures.xml too: ofdrw's default WholeProtected
        mode, after which ofdrw refuses to add a signature. A later
        signature here rewrites Signatures.xml and so breaks this one.
    document: only the entries outside Doc_0/Signs/, as in the GOMAIN
        e-invoice sample.
    a list: exactly those paths (each must exist).
    """
    if isinstance(covers, list):
        missing = [c for c in covers if c not in pkg.files]
        if missing:
            raise SpecError(f"signatures[{n}].covers: not in the package: {missing}")
        return list(covers)
    if covers == "whole":
        return list(pkg.files)
    if covers == "continue":
        return [f for f in pkg.files if f != SIGNATURES]
    return [f for f in pkg.files if not f.startswith(SIGNS + "/")]


def build(spec):
    """Builds the package in memory. Returns (package, signature records,
    hostile extras, expectation)."""
    pkg = Package()
    sigs = spec["signatures"]
    font_id, first = 2, 3  # IDs: page 1, font 2, then layer and text objects
    content, next_id = content_xml(spec["text"], font_id, first)
    # A DocID that stays the same when the same spec is built again.
    doc_id = uuid.uuid5(uuid.NAMESPACE_URL, "make_ofd:" + os.path.basename(spec["out"])).hex
    pkg.put(OFD_XML, ofd_xml(doc_id, spec["text"][0], bool(sigs)))
    atts = spec["attachments"]
    max_id = next_id - 1 + len(atts)
    pkg.put(DOCUMENT, document_xml(max_id, bool(atts)))
    pkg.put(PUBLIC_RES, public_res_xml(font_id))
    pkg.put(CONTENT, content)
    if atts:
        pkg.put(ATTACHMENTS, attachments_xml(atts, next_id))
        for name, data in atts:
            pkg.put(f"Doc_0/Attachs/{name}", data)
    if spec["pad_mb"]:
        # Random, so incompressible: the benchmark package really is that big.
        pkg.put(PAD, os.urandom(spec["pad_mb"] << 20), stored=True)

    t, target = spec["tamper"], spec["tamper_signature"]
    records = []
    listed = []
    for n, sig in enumerate(sigs):
        wrong_cv = spec if t == "wrong_check_value" and n == target else None
        records.append(apply_signature(pkg, n, sig, listed, wrong_cv))

    # Tampering after signing: one change, nothing signed again.
    part = spec["tamper_part"]
    if t in ("change_part", "remove_part"):
        if part not in pkg.files:
            raise SpecError(f"tamper_part: {part} is not in the package")
        if not any(part in r["covered"] for r in records):
            raise SpecError(f"tamper_part: {part} is covered by no signature, so nothing would notice")
        if t == "change_part":
            pkg.files[part] += b"<!-- changed after signing -->\n"
        else:
            del pkg.files[part]
    elif t == "add_part":
        if part in pkg.files:
            raise SpecError(f"tamper_part: {part} is already in the package")
        pkg.put(part, xml_bytes(E.Res(BaseLoc="Res")))
    elif t == "signature_xml":
        # Move the stamp: a meaningful change that leaves the XML well-formed
        # and every reference intact, so only dataHash disagrees.
        loc = records[target]["signature_xml"]
        root = etree.fromstring(pkg.files[loc])
        annot = root.find("ofd:SignedInfo/ofd:StampAnnot", NS)
        annot.set("Boundary", "10 10 40 40" if annot.get("Boundary") != "10 10 40 40" else "11 10 40 40")
        pkg.files[loc] = xml_bytes(root)
    elif t == "signed_value":
        # The last byte of SignedValue.dat is the last byte of the signer's
        # signature (no timeStamp is written): inside s for DER.
        loc = records[target]["signed_value"]
        pkg.files[loc] = make_seal.flip_last_bit(pkg.files[loc])

    extras = hostile_entries(spec["hostile"], pkg)
    return pkg, records, extras, expectation(spec, pkg, records)


def apply_signature(pkg, n, sig, listed, wrong_cv_spec):
    """Adds Sign_n to the package: Signatures.xml rewritten, Seal.esl,
    Signature.xml, SignedValue.dat, in the order ofdrw writes them."""
    p = sig["seal"]
    sign_dir = f"{SIGNS}/Sign_{n}"
    sig_loc, sv_loc, seal_loc = (f"{sign_dir}/Signature.xml", f"{sign_dir}/SignedValue.dat",
                                 f"{sign_dir}/Seal.esl")
    # 1. The list first: ofdrw flushes Signatures.xml before the digests,
    #    which is why its WholeProtected mode can cover it.
    listed.append((f"s{n + 1:03d}", "/" + sig_loc))
    pkg.put(SIGNATURES, signatures_xml(listed))
    # 2. The maker signs the seal; Seal.esl exists before the digests too.
    maker_sig = make_seal.sign_seal(p)
    seal_der = make_seal.encode_seal(p, maker_sig)
    if sig["with_seal_file"]:
        pkg.put(seal_loc, seal_der)
    # 3. The references.
    covered = covered_parts(pkg, sig["covers"], n)
    refs = [(f, check_digest(sig["check_method"], pkg.files[f], p["signer_cert"])) for f in covered]
    if wrong_cv_spec is not None:
        part = wrong_cv_spec["tamper_part"]
        if part not in covered:
            raise SpecError(f"tamper_part: signature {n} does not cover {part}")
        # The wrong value goes into Signature.xml before it is signed, so
        # the signature is honest about a wrong CheckValue.
        refs = [(f, bytes([v[0] ^ 0x01]) + v[1:] if f == part else v) for f, v in refs]
    # 4. Signature.xml, then the SES_Signature over its bytes.
    w, h = p["width"], p["height"]
    boundary = f"{10 + (n % 4) * 48} 240 {w} {h}"
    xml = signature_xml(signature_datetime(p["time_info"], sig["datetime_style"]), sig["check_method"],
                        refs, boundary, "/" + seal_loc if sig["with_seal_file"] else None, "/" + sv_loc)
    pkg.put(sig_loc, xml)
    p = dict(p)
    p["data_hash"] = make_seal.sm3(xml)
    p["property_info"] = "/" + sig_loc
    ses_der, seal_der2 = make_seal.encode(p, maker_sig)
    if seal_der2 != seal_der:
        raise RuntimeError("Seal.esl differs from the seal inside TBS_Sign")
    pkg.put(sv_loc, ses_der)
    return {
        "base_loc": "/" + sig_loc, "signature_xml": sig_loc, "signed_value": sv_loc,
        "seal_file": seal_loc if sig["with_seal_file"] else None,
        "version": p["version"], "check_method": sig["check_method"],
        "covered": {f: pkg.files[f] for f in covered},  # the bytes as signed
        "seal_tamper": p["tamper"], "resign": p["tamper_resign_signer"],
        "data_hash": p["data_hash"].hex(),
    }


def hostile_entries(kind, pkg):
    """Entries added to an otherwise valid signed package that a reader must
    refuse before trusting anything in it: [(name, bytes or None, how)]."""
    if kind == "path_escape":
        return [("../evil.xml", b"<evil/>\n", "plain")]
    if kind == "absolute_path":
        return [("/etc/x", b"x\n", "plain")]
    if kind == "zip_bomb":
        return [("Doc_0/Res/bomb.bin", None, "bomb")]  # written in chunks
    if kind == "duplicate_entry":
        # Same name as a covered part, other bytes: a reader that takes the
        # first sees a valid package, one that takes the last a modified one.
        return [(CONTENT, pkg.files[CONTENT] + b"<!-- second copy -->\n", "plain")]
    return []


def expectation(spec, pkg, records):
    """The findings a correct verifier should report, from what was done:

    per signature, a list of
      "modified: /P"              P's bytes differ from when it was signed
      "missing: /P"               P was referenced and is gone
      "check value mismatch: /P"  the CheckValue itself was written wrong
      "data hash mismatch"        dataHash != SM3(Signature.xml as stored)
      "signer signature invalid"  SES signature over DER(TBS_Sign)
      "seal signature invalid"    the maker's signature in the seal
    and for the package, notes ("uncovered: /P", a part no signature
    protects, outside the Signs folder's own files) and a verdict: valid,
    invalid, unsigned, or refuse (hostile zip)."""
    t, target = spec["tamper"], spec["tamper_signature"]
    per_sig = []
    for n, r in enumerate(records):
        found = []
        for f, data in r["covered"].items():
            if f not in pkg.files:
                found.append(f"missing: /{f}")
            elif pkg.files[f] != data:
                found.append(f"modified: /{f}")
        if t == "wrong_check_value" and n == target:
            found.append(f"check value mismatch: /{spec['tamper_part']}")
        st = r["seal_tamper"]
        if (t == "signature_xml" and n == target) or st == "data_hash":
            found.append("data hash mismatch")
        if st in make_seal.SEAL_TAMPERS:
            found.append("seal signature invalid")
        if (t == "signed_value" and n == target) or st in ("data_hash", "signer_signature") or (
                st in make_seal.SEAL_TAMPERS and not r["resign"]):
            found.append("signer signature invalid")
        per_sig.append(sorted(set(found)))
    notes = [f"uncovered: /{f}" for f in sorted(uncovered(pkg.files, records))] if records else []
    if spec["hostile"]:
        verdict = "refuse"
    elif not records:
        verdict = "unsigned"
    else:
        verdict = "invalid" if any(per_sig) else "valid"
    return {"verdict": verdict, "signatures": per_sig, "notes": notes,
            **({"refuse": spec["hostile"]} if spec["hostile"] else {})}


def uncovered(names, records):
    """Entries no signature references, leaving out Signatures.xml and each
    signature's own folder (its Signature.xml and SignedValue.dat cannot be
    covered by itself)."""
    covered = set()
    for r in records:
        covered.update(r["covered"])
    own = {SIGNATURES} | {os.path.dirname(r["signature_xml"]) for r in records}
    return [f for f in names if f not in covered and f not in own and os.path.dirname(f) not in own]


# --------------------------------------------------------------------------
# Writing the zip
# --------------------------------------------------------------------------


class _Unseekable:
    """A file that zipfile cannot seek in, so it writes each entry's sizes
    and CRC in a data descriptor after the data (general-purpose flag bit
    3), as Java's ZipOutputStream does in the real e-invoice sample."""

    def __init__(self, f):
        self._f = f

    def write(self, b):
        return self._f.write(b)

    def flush(self):
        self._f.flush()


def write_zip(path, pkg, extras, streamed):
    def info(name, stored):
        zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        zi.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        return zi

    with open(path, "wb") as raw:
        target = _Unseekable(raw) if streamed else raw
        with zipfile.ZipFile(target, "w") as zf, warnings.catch_warnings():
            # zipfile warns on a duplicate name; here it is the point.
            warnings.simplefilter("ignore", UserWarning)
            for name, data in pkg.files.items():
                zf.writestr(info(name, name in pkg.stored), data)
            for name, data, how in extras:
                if how == "bomb":
                    chunk = bytes(1 << 20)
                    with zf.open(info(name, False), "w") as w:
                        for _ in range(BOMB_MIB):
                            w.write(chunk)
                else:
                    zf.writestr(info(name, False), data)


def make(spec):
    pkg, records, extras, expect = build(spec)
    write_zip(spec["out"], pkg, extras, spec["zip_streamed"])
    return {
        "out": spec["out"],
        "bytes": os.path.getsize(spec["out"]),
        "entries": len(pkg.files) + len(extras),
        "signatures": [
            {"base_loc": r["base_loc"], "version": r["version"], "check_method": r["check_method"],
             "references": len(r["covered"]), "seal_file": r["seal_file"] is not None,
             "data_hash": r["data_hash"]}
            for r in records
        ],
        "tamper": spec["tamper"],
        "tamper_part": "/" + spec["tamper_part"] if spec["tamper_part"] else None,
        "hostile": spec["hostile"],
        "expect": expect,
    }


def main(argv):
    if len(argv) >= 2 and argv[1] == "--self-test":
        keep = argv[3] if len(argv) == 4 and argv[2] == "--keep" else None
        if len(argv) not in (2, 4) or (len(argv) == 4 and not keep):
            print(f"usage: {argv[0]} --self-test [--keep DIR]", file=sys.stderr)
            return 2
        return self_test(keep)
    if len(argv) != 2:
        print(f"usage: {argv[0]} SPEC.json | --self-test [--keep DIR]", file=sys.stderr)
        return 2
    try:
        summary = make(load_spec(argv[1]))
    except (SpecError, OSError, json.JSONDecodeError) as e:
        print(f"make_ofd: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


# --------------------------------------------------------------------------
# Self-test: every variant built by the command, then checked by another path.
# --------------------------------------------------------------------------

RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + (f"  ({detail})" if detail and not cond else ""))


def run(*args, ok=True, **kw):
    p = subprocess.run(args, capture_output=True, **kw)
    if ok and p.returncode:
        raise RuntimeError(f"{args}: {p.stderr.decode(errors='replace')}")
    return p


def make_pki(d):
    """An SM2 CA, and a seal maker and two signers it issued (openssl CLI)."""
    distid = "distid:1234567812345678"
    for n in ("ca", "maker", "signer-a", "signer-b"):
        run("openssl", "genpkey", "-algorithm", "SM2", "-out", f"{d}/{n}.key.pem")
    run("openssl", "req", "-x509", "-new", "-key", f"{d}/ca.key.pem", "-sm3", "-sigopt", distid,
        "-subj", "/CN=make_ofd Test CA/O=tests-py", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE", "-out", f"{d}/ca.pem")
    for n, cn in (("maker", "make_ofd Seal Maker"), ("signer-a", "make_ofd Signer A"),
                  ("signer-b", "make_ofd Signer B")):
        run("openssl", "req", "-new", "-key", f"{d}/{n}.key.pem", "-sm3", "-sigopt", distid,
            "-subj", f"/CN={cn}/O=tests-py", "-out", f"{d}/{n}.csr")
        run("openssl", "x509", "-req", "-in", f"{d}/{n}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key.pem", "-CAcreateserial", "-sm3", "-sigopt", distid, "-vfyopt", distid,
            "-days", "3650", "-out", f"{d}/{n}.pem")
        run("openssl", "x509", "-in", f"{d}/{n}.pem", "-outform", "DER", "-out", f"{d}/{n}.der")
        p = run("openssl", "verify", "-CAfile", f"{d}/ca.pem", "-vfyopt", distid, f"{d}/{n}.pem", ok=False)
        check(f"pki: {n} chains to the CA", p.returncode == 0, p.stdout + p.stderr)


def utc(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y%m%d%H%M%SZ")


def variants():
    """name -> spec (without `out`). Seal times sit inside the certificates'
    validity (openssl starts them now), so the packages also suit a
    verifier that checks validity windows."""
    seal = {"create": utc(60), "valid_start": utc(60), "valid_end": utc(86400 * 365),
            "time_info": utc(120)}
    b = {"signer_cert": "signer-b.der", "signer_key": "signer-b.key.pem",
         "cert_list": ["signer-b.der"], "name": "第二测试单位公章", "es_id": "11010000000002"}
    v = {
        "valid": {"signatures": [seal], "attachments": ["bid.txt"]},
        "valid-no-seal-file": {"signatures": [dict(seal, with_seal_file=False)]},
        "valid-sm3-name": {"signatures": [dict(seal, check_method="SM3", datetime_style="ofdrw")]},
        "valid-sha256": {"signatures": [dict(seal, check_method="SHA256")]},
        "valid-sha256-oid": {"signatures": [dict(seal, check_method="2.16.840.1.101.3.4.2.1")]},
        "valid-sm3-za": {"signatures": [dict(seal, check_method="1.2.156.10197.1.401.2",
                                             datetime_style="compact")]},
        "valid-raw-signatures": {"signatures": [dict(seal, signature_format="raw",
                                                     maker_signature_format="raw")]},
        "valid-cert-digests": {"signatures": [dict(seal, cert_list_type=2)]},
        "valid-cert-digests-sha256": {"signatures": [dict(seal, cert_list_type=2, cert_digest_alg="SHA256")]},
        "valid-v1": {"signatures": [dict(seal, version=1, check_method="1.2.156.10197.1.401.2")]},
        "valid-v1-text-time": {"signatures": [dict(seal, version=1, time_info_encoding="bitstring-text")]},
        "valid-v1-ofdrw": {"signatures": [dict(seal, version=1, time_info_encoding="bitstring-text-local",
                                               check_method="SM3", datetime_style="ofdrw")]},
        "valid-two-signatures": {"signatures": [seal, dict(seal, **b)]},
        "valid-v4-then-v1": {"signatures": [seal, dict(seal, version=1, **b)]},
        "valid-document-only": {"signatures": [dict(seal, covers="document")]},
        "valid-streamed-zip": {"signatures": [seal], "zip_streamed": True},
        "whole-then-second": {"signatures": [dict(seal, covers="whole"), dict(seal, **b)]},
        "unsigned": {"signatures": []},
        "tamper-change-part": {"signatures": [seal], "tamper": "change_part"},
        "tamper-change-part-two": {"signatures": [seal, dict(seal, **b)], "tamper": "change_part"},
        "tamper-wrong-check-value": {"signatures": [seal], "tamper": "wrong_check_value"},
        "tamper-signature-xml": {"signatures": [seal], "tamper": "signature_xml"},
        "tamper-signature-xml-first": {"signatures": [seal, dict(seal, **b)], "tamper": "signature_xml",
                                       "tamper_signature": 0},
        "tamper-signed-value": {"signatures": [seal], "tamper": "signed_value"},
        "tamper-signed-value-v1": {"signatures": [dict(seal, version=1)], "tamper": "signed_value"},
        "tamper-add-part": {"signatures": [seal], "tamper": "add_part"},
        "tamper-remove-part": {"signatures": [seal], "tamper": "remove_part"},
        "seal-picture": {"signatures": [dict(seal, tamper="picture")]},
        "seal-picture-resigned": {"signatures": [dict(seal, tamper="picture", tamper_resign_signer=True)]},
        "seal-v1-name-resigned": {"signatures": [dict(seal, version=1, tamper="name", tamper_resign_signer=True)]},
        "hostile-path-escape": {"signatures": [seal], "hostile": "path_escape"},
        "hostile-absolute-path": {"signatures": [seal], "hostile": "absolute_path"},
        "hostile-zip-bomb": {"signatures": [seal], "hostile": "zip_bomb"},
        "hostile-duplicate-entry": {"signatures": [seal], "hostile": "duplicate_entry"},
        "pad-10mb": {"signatures": [seal, dict(seal, **b)], "pad_mb": 10},
    }
    for spec in v.values():
        spec.update({"maker_cert": "maker.der", "maker_key": "maker.key.pem",
                     "signer_cert": "signer-a.der", "signer_key": "signer-a.key.pem"})
    return v


# --- the independent verifier ---


def gm_sm3(data):
    """gmssl's SM3 for small parts; the openssl CLI for big ones (gmssl's
    pure-Python SM3 takes seconds per MiB)."""
    if len(data) <= 256 << 10:
        return bytes.fromhex(make_seal.gm_sm3.sm3_hash(list(data)))
    return run("openssl", "dgst", "-sm3", "-binary", input=data).stdout


def cert_point_openssl(cert_der, d):
    """The certificate's public key x||y (hex), taken out by the openssl CLI."""
    pem = run("openssl", "x509", "-inform", "DER", "-noout", "-pubkey", input=cert_der).stdout
    spki = run("openssl", "pkey", "-pubin", "-outform", "DER", input=pem).stdout
    return spki[-64:].hex()


def verify_digest(method, data, cert_der, d):
    if method in ("1.2.156.10197.1.401", "SM3"):
        return gm_sm3(data)
    if method in ("SHA256", "2.16.840.1.101.3.4.2.1"):
        return run("openssl", "dgst", "-sha256", "-binary", input=data).stdout
    if method == "1.2.156.10197.1.401.2":
        # gmssl's own Z_A code (its _sm3_z hashes 0080 || default ID || curve
        # || key), on a key openssl extracted: nothing from make_seal.
        key = cert_point_openssl(cert_der, d)
        v = make_seal.gm_sm2.CryptSM2(private_key="", public_key=key)
        v.public_key = key  # CryptSM2.__init__ lstrips "04" (see README)
        return bytes.fromhex(v._sm3_z(data))
    raise ValueError(method)


def sm2_ok(cert_der, message, sig, d):
    """openssl pkeyutl -verify; a 64-byte raw r||s is DER-encoded by openssl first."""
    open(f"{d}/v.cert.der", "wb").write(cert_der)
    run("openssl", "x509", "-inform", "DER", "-in", f"{d}/v.cert.der", "-out", f"{d}/v.cert.pem")
    open(f"{d}/v.msg", "wb").write(message)
    if len(sig) == 64:
        cw.raw_to_der(sig, f"{d}/v.sig")
    else:
        open(f"{d}/v.sig", "wb").write(sig)
    return cw.ossl_verify(f"{d}/v.cert.pem", f"{d}/v.msg", f"{d}/v.sig")


def resolve(loc, rel_to):
    """An ST_Loc: absolute from the package root, else relative to the
    folder of the file that names it."""
    return loc.lstrip("/") if loc.startswith("/") else os.path.normpath(os.path.join(rel_to, loc))


def verify_package(path, d):
    """Findings for a package, in expectation()'s words, by this path alone:
    lxml reads the XML, digests by gmssl / openssl, the SES_Signature is
    taken apart by pyasn1 with no schema, signatures by openssl."""
    from pyasn1.codec.der import decoder as der_decoder
    from pyasn1.codec.der import encoder as der_encoder
    from pyasn1.type import univ

    zf = zipfile.ZipFile(path)
    files = {i.filename: zf.read(i) for i in zf.infolist()}
    ofd = etree.fromstring(files[OFD_XML])
    sl = ofd.find("ofd:DocBody/ofd:Signatures", NS)
    if sl is None:
        return {"verdict": "unsigned", "signatures": [], "notes": []}
    signs_loc = resolve(sl.text, "")
    sig_list = etree.fromstring(files[signs_loc])
    per_sig, referenced, own = [], set(), {signs_loc}
    for entry in sig_list.findall("ofd:Signature", NS):
        found = []
        base_loc = entry.get("BaseLoc")
        sig_path = resolve(base_loc, os.path.dirname(signs_loc))
        sig_dir = os.path.dirname(sig_path)
        own.add(sig_dir)
        sig_xml = files[sig_path]
        root = etree.fromstring(sig_xml)
        refs = root.find("ofd:SignedInfo/ofd:References", NS)
        method = refs.get("CheckMethod")
        sv = files[resolve(root.findtext("ofd:SignedValue", namespaces=NS), sig_dir)]
        # The SES_Signature, with no schema: v4 has 4-5 elements, v1 has 2.
        top, rest = der_decoder.decode(sv)
        assert not rest and der_encoder.encode(top) == sv, "SignedValue.dat is not DER"
        tbs = top[0]
        v1 = len(top) == 2
        signer_cert = (tbs[5] if v1 else top[1]).asOctets()
        signature = (top[1] if v1 else top[3]).asOctets()
        for ref in refs.findall("ofd:Reference", NS):
            part = resolve(ref.get("FileRef"), sig_dir)
            referenced.add(part)
            if part not in files:
                found.append(f"missing: /{part}")
                continue
            want = base64.b64decode(ref.findtext("ofd:CheckValue", namespaces=NS))
            if verify_digest(method, files[part], signer_cert, d) != want:
                found.append(f"digest mismatch: /{part}")
        if bytes(tbs[3].asOctets()) != gm_sm3(sig_xml):
            found.append("data hash mismatch")
        if str(tbs[4]) != base_loc:
            found.append("property info mismatch")
        if not sm2_ok(signer_cert, der_encoder.encode(tbs), signature, d):
            found.append("signer signature invalid")
        eseal = tbs[1]
        if v1:
            sign_info = eseal[1]
            maker_cert, maker_sig = sign_info[0].asOctets(), sign_info[2].asOctets()
            signed = univ.Sequence()
            for i, x in enumerate((eseal[0], sign_info[0], sign_info[1])):
                signed.setComponentByPosition(i, x)
            maker_msg = der_encoder.encode(signed)
        else:
            maker_cert, maker_sig = eseal[1].asOctets(), eseal[3].asOctets()
            maker_msg = der_encoder.encode(eseal[0])
        if not sm2_ok(maker_cert, maker_msg, maker_sig, d):
            found.append("seal signature invalid")
        seal_loc = root.findtext("ofd:SignedInfo/ofd:Seal/ofd:BaseLoc", namespaces=NS)
        if seal_loc is not None and files.get(resolve(seal_loc, sig_dir)) != der_encoder.encode(eseal):
            found.append("seal file mismatch")
        # The signer bound to the seal: in certList (type 1) or by digest (type 2).
        prop = eseal[0][2]
        if v1 or int(prop[2]) == 1:
            bound = any(c.asOctets() == signer_cert for c in (prop[2] if v1 else prop[3]))
        else:
            bound = False
            for obj in prop[3]:
                flag = {"SM3": "-sm3", "SHA256": "-sha256"}.get(str(obj[0]))
                if flag and run("openssl", "dgst", flag, "-binary", input=signer_cert).stdout == obj[1].asOctets():
                    bound = True
        if not bound:
            found.append("signer not in cert list")
        per_sig.append(sorted(set(found)))
    notes = sorted(f"uncovered: /{f}" for f in files
                   if f not in referenced and f not in own and os.path.dirname(f) not in own)
    return {"verdict": "invalid" if any(per_sig) else "valid", "signatures": per_sig, "notes": notes}


def hostile_seen(path, kind):
    """The hostile property, read from the central directory only (the bomb
    is never inflated)."""
    infos = zipfile.ZipFile(path).infolist()
    names = [i.filename for i in infos]
    if kind == "path_escape":
        return any(".." in n.split("/") for n in names)
    if kind == "absolute_path":
        return any(n.startswith("/") for n in names)
    if kind == "zip_bomb":
        return any(i.file_size > 200 << 20 and i.compress_size < 1 << 20 for i in infos)
    if kind == "duplicate_entry":
        dup = [i for i in infos if names.count(i.filename) > 1]
        return len(dup) == 2 and dup[0].CRC != dup[1].CRC
    return False


def normalise(expect):
    """A verifier sees a wrong part and a wrong CheckValue alike: the
    recomputed digest differs from CheckValue."""
    sigs = [sorted({
        "digest mismatch: " + f.split(": ", 1)[1] if f.startswith(("modified: ", "check value mismatch: ")) else f
        for f in s}) for s in expect["signatures"]]
    return {"verdict": expect["verdict"], "signatures": sigs, "notes": expect["notes"]}


def self_test(keep):
    d = keep or tempfile.mkdtemp(prefix="make_ofd_check.")
    os.makedirs(d, exist_ok=True)
    make_pki(d)
    with open(f"{d}/bid.txt", "w", encoding="utf-8") as f:
        f.write("投标文件附件：报价清单（测试）\n")
    script = os.path.abspath(__file__)
    for name, spec in variants().items():
        spec["out"] = f"{name}.ofd"
        with open(f"{d}/{name}.json", "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=False, indent=1)
        p = run(sys.executable, script, f"{d}/{name}.json", ok=False)
        if p.returncode:
            check(f"{name}: built", False, p.stderr.decode(errors="replace"))
            continue
        expect = json.loads(p.stdout)["expect"]
        path = f"{d}/{name}.ofd"
        if spec.get("hostile"):
            check(f"{name}: expects refuse", expect["verdict"] == "refuse")
            check(f"{name}: the zip really is {spec['hostile']}", hostile_seen(path, spec["hostile"]))
            continue
        u = run("unzip", "-tqq", path, ok=False)
        check(f"{name}: unzip -t reads it", u.returncode == 0, u.stdout + u.stderr)
        got = verify_package(path, d)
        want = normalise(expect)
        check(f"{name}: {want['verdict']} {want['signatures']} {want['notes']}", got == want, f"got {got}")
    # Expectations spelled out for the variants the README names, so that an
    # expectation() bug cannot agree with itself.
    named = {
        "valid": {"verdict": "valid", "signatures": [[]], "notes": []},
        "tamper-change-part": {"verdict": "invalid",
                               "signatures": [["modified: /Doc_0/Pages/Page_0/Content.xml"]], "notes": []},
        "tamper-wrong-check-value": {"verdict": "invalid",
                                     "signatures": [["check value mismatch: /Doc_0/Document.xml"]], "notes": []},
        "tamper-signature-xml": {"verdict": "invalid", "signatures": [["data hash mismatch"]], "notes": []},
        "tamper-signed-value": {"verdict": "invalid", "signatures": [["signer signature invalid"]], "notes": []},
        "tamper-add-part": {"verdict": "valid", "signatures": [[]], "notes": ["uncovered: /Doc_0/Res/added.xml"]},
        "tamper-remove-part": {"verdict": "invalid",
                               "signatures": [["missing: /Doc_0/Pages/Page_0/Content.xml"]], "notes": []},
        "seal-picture": {"verdict": "invalid",
                         "signatures": [["seal signature invalid", "signer signature invalid"]], "notes": []},
        "seal-picture-resigned": {"verdict": "invalid", "signatures": [["seal signature invalid"]], "notes": []},
        "whole-then-second": {"verdict": "invalid",
                              "signatures": [["modified: /Doc_0/Signs/Signatures.xml"], []], "notes": []},
        "tamper-signature-xml-first": {"verdict": "invalid", "signatures": [
            ["data hash mismatch"], ["modified: /Doc_0/Signs/Sign_0/Signature.xml"]], "notes": []},
        "unsigned": {"verdict": "unsigned", "signatures": [], "notes": []},
    }
    for name, want in named.items():
        spec = load_spec(f"{d}/{name}.json")
        # Rebuilding in memory is enough: expectation() depends on what was
        # done, not on the random signature bytes.
        got = build(spec)[3]
        check(f"{name}: expectation is {want}", got == want, f"got {got}")
    zip_checks(d)
    bad_specs(d, script)
    if not keep:
        shutil.rmtree(d)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


def zip_checks(d):
    """Layout details a reader meets in real packages."""
    z = zipfile.ZipFile(f"{d}/valid-streamed-zip.ofd")
    check("valid-streamed-zip: every entry has a data descriptor (flag bit 3)",
          all(i.flag_bits & 0x08 for i in z.infolist()))
    z = zipfile.ZipFile(f"{d}/pad-10mb.ofd")
    pad = z.getinfo(PAD)
    check("pad-10mb: the pad is 10 MiB, stored", pad.file_size == 10 << 20 and pad.compress_type == zipfile.ZIP_STORED)
    check("pad-10mb: the package is over 10 MB", os.path.getsize(f"{d}/pad-10mb.ofd") > 10 << 20)
    z = zipfile.ZipFile(f"{d}/valid.ofd")
    names = z.namelist()
    check("valid: layout", names[:4] == [OFD_XML, DOCUMENT, PUBLIC_RES, CONTENT]
          and {SIGNATURES, "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat",
               "Doc_0/Signs/Sign_0/Seal.esl", "Doc_0/Attachs/bid.txt", ATTACHMENTS} <= set(names), names)
    sig = etree.fromstring(z.read("Doc_0/Signs/Sign_0/Signature.xml"))
    refs = [r.get("FileRef") for r in sig.iterfind(".//ofd:Reference", NS)]
    check("valid: references every part but Signatures.xml, incl. its own Seal.esl",
          sorted(refs) == sorted("/" + n for n in names if n not in (
              SIGNATURES, "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat")), refs)
    z = zipfile.ZipFile(f"{d}/valid-two-signatures.ofd")
    sig = etree.fromstring(z.read("Doc_0/Signs/Sign_1/Signature.xml"))
    refs = {r.get("FileRef") for r in sig.iterfind(".//ofd:Reference", NS)}
    check("valid-two-signatures: the second covers the first's Signature.xml, SignedValue.dat, Seal.esl",
          {"/Doc_0/Signs/Sign_0/Signature.xml", "/Doc_0/Signs/Sign_0/SignedValue.dat",
           "/Doc_0/Signs/Sign_0/Seal.esl"} <= refs and "/" + SIGNATURES not in refs, refs)
    lst = etree.fromstring(z.read(SIGNATURES))
    check("valid-two-signatures: Signatures.xml lists both, MaxSignId s002",
          [e.get("BaseLoc") for e in lst.findall("ofd:Signature", NS)]
          == ["/Doc_0/Signs/Sign_0/Signature.xml", "/Doc_0/Signs/Sign_1/Signature.xml"]
          and lst.findtext("ofd:MaxSignId", namespaces=NS) == "s002")
    z = zipfile.ZipFile(f"{d}/valid-document-only.ofd")
    sig = etree.fromstring(z.read("Doc_0/Signs/Sign_0/Signature.xml"))
    check("valid-document-only: no reference into Doc_0/Signs",
          not any(r.get("FileRef").startswith("/Doc_0/Signs/") for r in sig.iterfind(".//ofd:Reference", NS)))


def bad_specs(d, script):
    """Bad specs: exit 1 and `make_ofd: <reason>`."""
    base = {"maker_cert": "maker.der", "maker_key": "maker.key.pem", "signer_cert": "signer-a.der",
            "signer_key": "signer-a.key.pem", "out": "bad.ofd"}
    for name, over, msg in (
        ("unknown-key", {"tampr": "change_part"}, "unknown spec keys"),
        ("seal-key-typo", {"signatures": [{"verison": 1}]}, "signatures[0]: unknown spec keys"),
        ("package-owned", {"signatures": [{"data_hash_hex": "00" * 32}]}, "set by the package"),
        ("check-method", {"signatures": [{"check_method": "MD5"}]}, "check_method"),
        ("uncovered-wrong-cv", {"signatures": [{"covers": ["/OFD.xml"]}], "tamper": "wrong_check_value"},
         "does not cover"),
        ("covers-missing", {"signatures": [{"covers": ["/nope.xml"]}]}, "not in the package"),
        ("tamper-index", {"signatures": [{}], "tamper": "signed_value", "tamper_signature": 1}, "tamper_signature"),
        ("no-out", {"out": None}, "out"),
    ):
        spec = dict(base)
        spec.update(over)
        spec = {k: v for k, v in spec.items() if v is not None}
        with open(f"{d}/bad-{name}.json", "w", encoding="utf-8") as f:
            json.dump(spec, f)
        p = run(sys.executable, script, f"{d}/bad-{name}.json", ok=False)
        err = p.stderr.decode(errors="replace")
        check(f"bad spec {name}: exit 1, 'make_ofd: ...{msg}...'",
              p.returncode == 1 and err.startswith("make_ofd: ") and msg in err, err)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
