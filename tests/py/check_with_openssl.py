#!/usr/bin/env python3
"""Cross-checks make_seal.py against the openssl CLI (OpenSSL 3, SM2).

    python3 tests/py/check_with_openssl.py [--keep DIR]

Everything judged here is judged by openssl, not by pyasn1 or gmssl:
element offsets come from `openssl asn1parse`, raw r||s signatures are
turned into DER by `openssl asn1parse -genconf`, and signatures are
verified by `openssl pkeyutl -verify -rawin -digest sm3` with distid
1234567812345678, and certificate digests by `openssl dgst`. Covers v4
and v1 (GM/T 0031-2014) seals, every time encoding, and certListType 2.
Ends with a 'N passed, N failed' line; exits 1 on any failure.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_seal  # noqa: E402  (for the SM2 cross-check only)

DISTID = "distid:1234567812345678"
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + (f"  ({detail})" if detail and not cond else ""))


def run(*args, ok=True, **kw):
    p = subprocess.run(args, capture_output=True, **kw)
    if ok and p.returncode:
        raise RuntimeError(f"{args}: {p.stderr.decode(errors='replace')}")
    return p


def ossl_verify(cert_pem, msg_path, sig_der_path, distid=DISTID):
    p = run("openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", distid,
            "-certin", "-inkey", cert_pem, "-in", msg_path, "-sigfile", sig_der_path, ok=False)
    return p.returncode == 0 and b"Verified Successfully" in p.stdout


def raw_to_der(raw, path):
    """64-byte r||s to DER SEQUENCE{r, s}, encoded by openssl."""
    assert len(raw) == 64, len(raw)
    conf = path + ".cnf"
    with open(conf, "w") as f:
        f.write("asn1=SEQUENCE:sig\n[sig]\n")
        f.write(f"r=INTEGER:0x{raw[:32].hex()}\ns=INTEGER:0x{raw[32:].hex()}\n")
    run("openssl", "asn1parse", "-genconf", conf, "-out", path, "-noout")


def asn1parse(path):
    """[(offset, depth, header_len, len, kind)] from openssl asn1parse."""
    out = run("openssl", "asn1parse", "-inform", "DER", "-in", path).stdout.decode()
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(prim|cons):\s+(\S+(?: \S+)?)", line)
        if m:
            rows.append((int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[6].strip()))
    return rows


def children(rows, parent):
    """The direct children of the element at rows[parent]."""
    off, d, hl, ln, _ = rows[parent]
    end = off + hl + ln
    return [i for i, r in enumerate(rows) if r[1] == d + 1 and off < r[0] < end]


def tlv(data, row):
    off, _, hl, ln, _ = row
    return data[off:off + hl + ln]


def content(data, row):
    off, _, hl, ln, _ = row
    return data[off + hl:off + hl + ln]


def make_keys(d):
    """maker: self-signed; signer: issued by maker. Returns paths."""
    def gen(name):
        run("openssl", "genpkey", "-algorithm", "SM2", "-out", f"{d}/{name}.key.pem")

    gen("maker")
    # A signer whose public x starts with hex '0' or '4': the case gmssl's
    # CryptSM2.__init__ mangles with lstrip("04"). make_seal must not care.
    for _ in range(200):
        gen("signer")
        pub = run("openssl", "pkey", "-in", f"{d}/signer.key.pem", "-pubout", "-outform", "DER").stdout
        if pub[-64:-63].hex()[0] in "04":
            break
    run("openssl", "req", "-x509", "-new", "-key", f"{d}/maker.key.pem", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=PyASN1 Test Seal Maker/O=tests-py", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE", "-out", f"{d}/maker.pem")
    run("openssl", "req", "-new", "-key", f"{d}/signer.key.pem", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=PyASN1 Test Signer/O=tests-py", "-out", f"{d}/signer.csr")
    run("openssl", "x509", "-req", "-in", f"{d}/signer.csr", "-CA", f"{d}/maker.pem",
        "-CAkey", f"{d}/maker.key.pem", "-CAcreateserial", "-sm3", "-sigopt", DISTID,
        "-vfyopt", DISTID, "-days", "3650", "-out", f"{d}/signer.pem")
    for n in ("maker", "signer"):
        run("openssl", "x509", "-in", f"{d}/{n}.pem", "-outform", "DER", "-out", f"{d}/{n}.der")
    p = run("openssl", "verify", "-CAfile", f"{d}/maker.pem", "-vfyopt", DISTID, f"{d}/signer.pem", ok=False)
    check("openssl: signer certificate chains to the maker", p.returncode == 0, p.stdout + p.stderr)


def sm2_cross_check(d):
    """make_seal's SM2 against openssl, both ways."""
    d_m, pub_k = make_seal.read_private_key(f"{d}/signer.key.pem")
    cert_pub = make_seal.cert_public_point(open(f"{d}/signer.der", "rb").read(), "signer")
    check("pyasn1: key file's public point equals the certificate's", pub_k == cert_pub)
    check("test key has x starting with hex 0 or 4 (gmssl lstrip case)", ("%064x" % cert_pub[0])[0] in "04")
    for i in range(3):
        msg = secrets.token_bytes(37 + i * 50)
        open(f"{d}/m.bin", "wb").write(msg)
        sig = make_seal.encode_sig(make_seal.sm2_sign(d_m, cert_pub, msg), "der")
        open(f"{d}/m.sig", "wb").write(sig)
        check(f"openssl verifies make_seal's SM2 signature #{i}", ossl_verify(f"{d}/signer.pem", f"{d}/m.bin", f"{d}/m.sig"))
        check(f"openssl rejects it under another distid #{i}",
              not ossl_verify(f"{d}/signer.pem", f"{d}/m.bin", f"{d}/m.sig", "distid:1234567812345679"))
        # openssl signs, gmssl (with make_seal's Z_A) verifies.
        run("openssl", "dgst", "-sm3", "-sign", f"{d}/signer.key.pem", "-sigopt", DISTID,
            "-out", f"{d}/o.sig", f"{d}/m.bin")
        rows = asn1parse(f"{d}/o.sig")
        osig = open(f"{d}/o.sig", "rb").read()
        r, s = (int(content(osig, rows[k]).hex(), 16) for k in (1, 2))
        e = make_seal.sm3(make_seal.sm2_za(cert_pub) + msg)
        v = make_seal.gm_sm2.CryptSM2(private_key="", public_key="%064x%064x" % cert_pub)
        v.public_key = "%064x%064x" % cert_pub
        check(f"gmssl verifies openssl's SM2 signature #{i}", bool(v.verify("%064x%064x" % (r, s), e)))
        # And gmssl's own sign_with_sm3 hashes the same Z_A (default ID).
        check(f"gmssl _sm3_z equals make_seal's e #{i}", bytes.fromhex(v._sm3_z(msg)) == e)


def fixture(d, name, **over):
    spec = {
        "vid": "PYASN1", "es_id": "11010000000001", "seal_type": 1, "name": "测试单位公章",
        "cert_list": ["signer.der"],
        "create": "20260101000000Z", "valid_start": "20260101000000Z", "valid_end": "20361231000000Z",
        "width": 40, "height": 40,
        "maker_cert": "maker.der", "maker_key": "maker.key.pem",
        "signer_cert": "signer.der", "signer_key": "signer.key.pem",
        "time_info": "20260601000000Z",
        "data_hash_hex": "9f" * 32,
        "property_info": "document",
        "signature_format": "der", "tamper": None,
        "seal_out": f"{name}.seal.der", "out": f"{name}.sig.der",
    }
    spec.update(over)
    with open(f"{d}/{name}.json", "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    p = run(sys.executable, os.path.join(HERE, "make_seal.py"), f"{d}/{name}.json", ok=False)
    if p.returncode:
        raise RuntimeError(p.stderr.decode())
    return spec


def judge(d, name, spec):
    """Maker ok?, signer ok?, dataHash as given?, by openssl alone."""
    path = f"{d}/{name}.sig.der"
    data = open(path, "rb").read()
    rows = asn1parse(path)
    top = children(rows, 0)
    kinds = [rows[i][4] for i in top]
    check(f"{name}: SES_Signature is SEQUENCE, OCTET STRING, OBJECT, BIT STRING",
          kinds == ["SEQUENCE", "OCTET STRING", "OBJECT", "BIT STRING"], kinds)
    tbs = children(rows, top[0])
    tk = [rows[i][4] for i in tbs]
    check(f"{name}: TBS_Sign is INTEGER, SEQUENCE, GENERALIZEDTIME, BIT STRING, IA5STRING",
          tk == ["INTEGER", "SEQUENCE", "GENERALIZEDTIME", "BIT STRING", "IA5STRING"], tk)
    seal = children(rows, tbs[1])
    sk = [rows[i][4] for i in seal]
    check(f"{name}: SESeal is SEQUENCE, OCTET STRING, OBJECT, BIT STRING",
          sk == ["SEQUENCE", "OCTET STRING", "OBJECT", "BIT STRING"], sk)
    info = children(rows, seal[0])
    ik = [rows[i][4] for i in info]
    check(f"{name}: SES_SealInfo is SEQUENCE, IA5STRING, SEQUENCE, SEQUENCE",
          ik == ["SEQUENCE", "IA5STRING", "SEQUENCE", "SEQUENCE"], ik)
    prop = [rows[i][4] for i in children(rows, info[2])]
    check(f"{name}: SES_ESPropertyInfo field types", prop == [
        "INTEGER", "UTF8STRING", "INTEGER", "SEQUENCE",
        "GENERALIZEDTIME", "GENERALIZEDTIME", "GENERALIZEDTIME"], prop)
    pic = [rows[i][4] for i in children(rows, info[3])]
    check(f"{name}: SES_ESPictrueInfo field types",
          pic == ["IA5STRING", "OCTET STRING", "INTEGER", "INTEGER"], pic)
    check(f"{name}: seal_out is the SESeal inside the signature",
          open(f"{d}/{name}.seal.der", "rb").read() == tlv(data, rows[tbs[1]]))
    for i in (seal[3], tbs[3], top[3]):
        check(f"{name}: BIT STRING at {rows[i][0]} has 0 unused bits", content(data, rows[i])[0] == 0)

    def sig_file(row, fmt, tagname):
        v = content(data, row)[1:]
        p = f"{d}/{name}.{tagname}.sigder"
        if fmt == "raw":
            check(f"{name}: {tagname} signature is 64 raw bytes", len(v) == 64, len(v))
            raw_to_der(v, p)
        else:
            open(p, "wb").write(v)
        return p

    open(f"{d}/{name}.info", "wb").write(tlv(data, rows[seal[0]]))
    open(f"{d}/{name}.tbs", "wb").write(tlv(data, rows[top[0]]))
    maker_ok = ossl_verify(f"{d}/maker.pem", f"{d}/{name}.info",
                           sig_file(rows[seal[3]], spec.get("maker_signature_format", "der"), "maker"))
    signer_ok = ossl_verify(f"{d}/signer.pem", f"{d}/{name}.tbs",
                            sig_file(rows[top[3]], spec["signature_format"], "signer"))
    hash_ok = content(data, rows[tbs[3]])[1:].hex() == spec["data_hash_hex"]
    return maker_ok, signer_ok, hash_ok


def der_len(n):
    """A DER length field. Only used to put a SEQUENCE header in front of
    TLVs cut out of openssl's output (the v1 maker's message, which no
    single element of the seal holds); every byte inside comes from the file."""
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def kinds(rows, i):
    return [rows[c][4] for c in children(rows, i)]


def judge_v1(d, name, spec):
    """The GM/T 0031-2014 layout and (maker ok?, signer ok?, dataHash as
    given?), by openssl alone. The maker's message is SEQUENCE{esealInfo,
    cert, signatureAlgorithm}: its three TLVs are cut from the file."""
    path = f"{d}/{name}.sig.der"
    data = open(path, "rb").read()
    rows = asn1parse(path)
    top = children(rows, 0)
    check(f"{name}: v1 SES_Signature is SEQUENCE, BIT STRING", kinds(rows, 0) == ["SEQUENCE", "BIT STRING"],
          kinds(rows, 0))
    tbs = children(rows, top[0])
    tk = [rows[i][4] for i in tbs]
    # timeInfo is a BIT STRING in the standard; a fixture may ask for another type.
    ti = TIME_INFO_CASES[spec.get("time_info_encoding") or "bitstring-der-utc"][0]
    check(f"{name}: v1 TBS_Sign is INTEGER, SEQUENCE, {ti}, BIT STRING, IA5STRING, OCTET STRING, OBJECT",
          tk == ["INTEGER", "SEQUENCE", ti, "BIT STRING", "IA5STRING", "OCTET STRING", "OBJECT"], tk)
    check(f"{name}: v1 TBS_Sign.version is 1", content(data, rows[tbs[0]]) == b"\x01")
    seal = children(rows, tbs[1])
    check(f"{name}: v1 SESeal is SEQUENCE{{esealInfo}}, SEQUENCE{{signInfo}}",
          kinds(rows, tbs[1]) == ["SEQUENCE", "SEQUENCE"], kinds(rows, tbs[1]))
    info = children(rows, seal[0])
    check(f"{name}: v1 SES_SealInfo is SEQUENCE, IA5STRING, SEQUENCE, SEQUENCE",
          kinds(rows, seal[0]) == ["SEQUENCE", "IA5STRING", "SEQUENCE", "SEQUENCE"], kinds(rows, seal[0]))
    header = children(rows, info[0])
    check(f"{name}: v1 header version is 1", content(data, rows[header[1]]) == b"\x01")
    want_t = {"utc": "UTCTIME", "generalized": "GENERALIZEDTIME"}[spec.get("validity_encoding") or "utc"]
    prop = kinds(rows, info[2])
    check(f"{name}: v1 SES_ESPropertyInfo is type, name, certList, 3 x {want_t}",
          prop == ["INTEGER", "UTF8STRING", "SEQUENCE", want_t, want_t, want_t], prop)
    check(f"{name}: v1 certList is SEQUENCE OF OCTET STRING",
          set(kinds(rows, children(rows, info[2])[2])) == {"OCTET STRING"})
    sign_info = children(rows, seal[1])
    check(f"{name}: v1 SES_SignInfo is OCTET STRING, OBJECT, BIT STRING",
          kinds(rows, seal[1]) == ["OCTET STRING", "OBJECT", "BIT STRING"], kinds(rows, seal[1]))
    check(f"{name}: v1 signInfo.cert is the maker's certificate",
          content(data, rows[sign_info[0]]) == open(f"{d}/maker.der", "rb").read())
    check(f"{name}: v1 TBS_Sign.cert is the signer's certificate",
          content(data, rows[tbs[5]]) == open(f"{d}/signer.der", "rb").read())
    check(f"{name}: seal_out is the SESeal inside the signature",
          open(f"{d}/{name}.seal.der", "rb").read() == tlv(data, rows[tbs[1]]))
    for i in (sign_info[2], tbs[3], top[1]):
        check(f"{name}: BIT STRING at {rows[i][0]} has 0 unused bits", content(data, rows[i])[0] == 0)

    def sig_file(row, fmt, tagname):
        v = content(data, row)[1:]
        p = f"{d}/{name}.{tagname}.sigder"
        if fmt == "raw":
            check(f"{name}: {tagname} signature is 64 raw bytes", len(v) == 64, len(v))
            raw_to_der(v, p)
        else:
            open(p, "wb").write(v)
        return p

    body = tlv(data, rows[seal[0]]) + tlv(data, rows[sign_info[0]]) + tlv(data, rows[sign_info[1]])
    open(f"{d}/{name}.makermsg", "wb").write(b"\x30" + der_len(len(body)) + body)
    open(f"{d}/{name}.info", "wb").write(tlv(data, rows[seal[0]]))
    open(f"{d}/{name}.tbs", "wb").write(tlv(data, rows[top[0]]))
    maker_sig = sig_file(rows[sign_info[2]], spec.get("maker_signature_format", "der"), "maker")
    maker_ok = ossl_verify(f"{d}/maker.pem", f"{d}/{name}.makermsg", maker_sig)
    if maker_ok:
        # The v4 construction must not also verify: the two are told apart.
        check(f"{name}: v1 maker signature does not verify over DER(esealInfo) alone",
              not ossl_verify(f"{d}/maker.pem", f"{d}/{name}.info", maker_sig))
    signer_ok = ossl_verify(f"{d}/signer.pem", f"{d}/{name}.tbs",
                            sig_file(rows[top[1]], spec["signature_format"], "signer"))
    hash_ok = content(data, rows[tbs[3]])[1:].hex() == spec["data_hash_hex"]
    return maker_ok, signer_ok, hash_ok


# What TBS_Sign.timeInfo must hold for time_info 20260601000000Z, per encoding:
# (the element's kind, then for a BIT STRING the kind of the DER inside it or
# None for text, and the expected content bytes).
TIME_INFO_CASES = {
    "generalized": ("GENERALIZEDTIME", None, b"20260601000000Z"),
    "utc": ("UTCTIME", None, b"260601000000Z"),
    "bitstring-der-utc": ("BIT STRING", "UTCTIME", b"260601000000Z"),
    "bitstring-der-generalized": ("BIT STRING", "GENERALIZEDTIME", b"20260601000000Z"),
    "bitstring-text": ("BIT STRING", None, b"2026-06-01T00:00:00.000Z"),
    # ofdrw's v1 container: local time, no zone; China time is UTC+8.
    "bitstring-text-local": ("BIT STRING", None, b"2026-06-01 08:00:00"),
}


def check_time_info(d, name, version, encoding):
    """The timeInfo element, read with openssl asn1parse (twice for a BIT
    STRING that holds DER), against TIME_INFO_CASES."""
    path = f"{d}/{name}.sig.der"
    data = open(path, "rb").read()
    rows = asn1parse(path)
    tbs = children(rows, children(rows, 0)[0])
    row = rows[tbs[2]]
    kind, inner_kind, want = TIME_INFO_CASES[encoding]
    check(f"{name}: v{version} timeInfo is a {kind}", row[4] == kind, row[4])
    value = content(data, row)
    if kind == "BIT STRING":
        check(f"{name}: timeInfo BIT STRING has 0 unused bits", value[:1] == b"\x00")
        value = value[1:]
        if inner_kind:
            open(f"{d}/{name}.timeinfo", "wb").write(value)
            inner = asn1parse(f"{d}/{name}.timeinfo")
            check(f"{name}: timeInfo BIT STRING holds one DER {inner_kind}",
                  len(inner) == 1 and inner[0][4] == inner_kind
                  and inner[0][2] + inner[0][3] == len(value), inner)
            value = content(value, inner[0])
    check(f"{name}: timeInfo says {want.decode()}", value == want, value)


def check_cert_digests(d, name, alg):
    """certListType 2: SEQUENCE OF SEQUENCE{PrintableString alg, OCTET
    STRING digest}, one per cert_list file, each digest = `openssl dgst`."""
    path = f"{d}/{name}.sig.der"
    data = open(path, "rb").read()
    rows = asn1parse(path)
    tbs = children(rows, children(rows, 0)[0])
    info = children(rows, children(rows, tbs[1])[0])
    prop = children(rows, info[2])
    check(f"{name}: certListType is 2", content(data, rows[prop[2]]) == b"\x02")
    entries = children(rows, prop[3])
    files = ("signer.der", "maker.der")
    check(f"{name}: certList has one CertDigestObj per certificate", len(entries) == len(files), len(entries))
    flag = {"SM3": "-sm3", "SHA256": "-sha256"}[alg]
    for i, (e, f) in enumerate(zip(entries, files)):
        fields = children(rows, e)
        check(f"{name}: CertDigestObj #{i} is PRINTABLESTRING, OCTET STRING",
              [rows[x][4] for x in fields] == ["PRINTABLESTRING", "OCTET STRING"])
        check(f"{name}: CertDigestObj #{i} type is {alg}", content(data, rows[fields[0]]) == alg.encode())
        want = run("openssl", "dgst", flag, "-binary", f"{d}/{f}").stdout
        check(f"{name}: CertDigestObj #{i} value = openssl dgst {flag} of {f}",
              content(data, rows[fields[1]]) == want)


def new_key_checks(d):
    """v1 seals, the time encodings and certListType 2."""
    # v1: (tamper, resign) -> (maker ok, signer ok, dataHash as given), the
    # same expectations as v4: only what the maker signs differs.
    v1_cases = {
        (None, False): (True, True, True),
        ("picture", False): (False, False, True),
        ("name", False): (False, False, True),
        ("valid_end", False): (False, False, True),
        ("data_hash", False): (True, False, False),
        ("signer_signature", False): (True, False, True),
        ("picture", True): (False, True, True),
        ("name", True): (False, True, True),
        ("valid_end", True): (False, True, True),
    }
    for fmt in ("der", "raw"):
        for (t, resign), want in v1_cases.items():
            name = f"v1-{fmt}-{t or 'none'}{'-resign' if resign else ''}"
            over = {"version": 1, "signature_format": fmt, "maker_signature_format": fmt, "tamper": t}
            if resign:
                over["tamper_resign_signer"] = True
            spec = fixture(d, name, **over)
            got = judge_v1(d, name, spec)
            check(f"{name}: (maker, signer, dataHash) = {want}", got == want, f"got {got}")
    spec = fixture(d, "v1-gtime-validity", version=1, validity_encoding="generalized")
    got = judge_v1(d, "v1-gtime-validity", spec)
    check("v1-gtime-validity: (maker, signer, dataHash) all ok", got == (True, True, True), got)

    for version in (4, 1):
        for enc in TIME_INFO_CASES:
            name = f"time-v{version}-{enc}"
            spec = fixture(d, name, version=version, time_info_encoding=enc)
            check_time_info(d, name, version, enc)
            got = judge(d, name, spec) if version == 4 and enc == "generalized" else (
                judge_v1(d, name, spec) if version == 1 else None)
            if got is None:
                # v4 with a non-standard timeInfo: judge() insists on the
                # standard layout, so verify the signer's signature directly.
                data = open(f"{d}/{name}.sig.der", "rb").read()
                rows = asn1parse(f"{d}/{name}.sig.der")
                top = children(rows, 0)
                open(f"{d}/{name}.tbs", "wb").write(tlv(data, rows[top[0]]))
                open(f"{d}/{name}.ssig", "wb").write(content(data, rows[top[3]])[1:])
                got = (True, ossl_verify(f"{d}/signer.pem", f"{d}/{name}.tbs", f"{d}/{name}.ssig"), True)
            check(f"{name}: signatures verify", got == (True, True, True), got)
    name = "v4-utc-validity"
    fixture(d, name, validity_encoding="utc")
    rows = asn1parse(f"{d}/{name}.sig.der")
    info = children(rows, children(rows, children(rows, children(rows, 0)[0])[1])[0])
    prop = kinds(rows, info[2])
    check(f"{name}: v4 dates are UTCTIME", prop[4:] == ["UTCTIME"] * 3, prop)

    for alg in ("SM3", "SHA256"):
        name = f"certdigest-{alg}"
        over = {"cert_list_type": 2, "cert_list": ["signer.der", "maker.der"]}
        if alg != "SM3":
            over["cert_digest_alg"] = alg
        spec = fixture(d, name, **over)
        check_cert_digests(d, name, alg)
        data = open(f"{d}/{name}.sig.der", "rb").read()
        rows = asn1parse(f"{d}/{name}.sig.der")
        top = children(rows, 0)
        seal = children(rows, children(rows, top[0])[1])
        open(f"{d}/{name}.info", "wb").write(tlv(data, rows[seal[0]]))
        open(f"{d}/{name}.msig", "wb").write(content(data, rows[seal[3]])[1:])
        open(f"{d}/{name}.tbs", "wb").write(tlv(data, rows[top[0]]))
        open(f"{d}/{name}.ssig", "wb").write(content(data, rows[top[3]])[1:])
        check(f"{name}: maker signature verifies over DER(eSealInfo)",
              ossl_verify(f"{d}/maker.pem", f"{d}/{name}.info", f"{d}/{name}.msig"))
        check(f"{name}: signer signature verifies over DER(TBS_Sign)",
              ossl_verify(f"{d}/signer.pem", f"{d}/{name}.tbs", f"{d}/{name}.ssig"))

    # Bad combinations are refused with the documented error.
    for name, over, msg in (
        ("bad-v1-type2", {"version": 1, "cert_list_type": 2}, "only in v4"),
        ("bad-digest-type1", {"cert_digest_alg": "SM3"}, "only to cert_list_type 2"),
        ("bad-utc-range", {"time_info": "20500101000000Z", "time_info_encoding": "utc"}, "1950-2049"),
    ):
        spec = dict(json.load(open(f"{d}/certdigest-SM3.json", encoding="utf-8")))
        spec.pop("cert_list_type")
        spec.update(over)
        with open(f"{d}/{name}.json", "w", encoding="utf-8") as f:
            json.dump(spec, f)
        p = run(sys.executable, os.path.join(HERE, "make_seal.py"), f"{d}/{name}.json", ok=False)
        err = p.stderr.decode()
        check(f"{name}: refused (exit 1, 'make_seal: ...{msg}...')",
              p.returncode == 1 and err.startswith("make_seal: ") and msg in err, err)


def main():
    keep = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--keep" else None
    d = keep or tempfile.mkdtemp(prefix="make_seal_check.")
    os.makedirs(d, exist_ok=True)
    make_keys(d)
    sm2_cross_check(d)
    # (tamper, resign) -> expected (maker ok, signer ok, dataHash as given)
    cases = {
        (None, False): (True, True, True),
        ("picture", False): (False, False, True),
        ("name", False): (False, False, True),
        ("valid_end", False): (False, False, True),
        ("data_hash", False): (True, False, False),
        ("signer_signature", False): (True, False, True),
        ("picture", True): (False, True, True),
        ("name", True): (False, True, True),
        ("valid_end", True): (False, True, True),
    }
    for fmt in ("der", "raw"):
        for mfmt in ("der", "raw"):
            for (t, resign), want in cases.items():
                name = f"{fmt}-{mfmt}-{t or 'none'}{'-resign' if resign else ''}"
                over = {"signature_format": fmt, "maker_signature_format": mfmt, "tamper": t}
                if resign:
                    over["tamper_resign_signer"] = True
                spec = fixture(d, name, **over)
                got = judge(d, name, spec)
                check(f"{name}: (maker, signer, dataHash) = {want}", got == want, f"got {got}")
    new_key_checks(d)
    # The default picture (no picture_png_hex) is a PNG; a given one is kept as given.
    given = make_seal.default_png(3, 5, (0, 0x80, 0xFF))
    for name, over in (("defaultpic", {}), ("givenpic", {"picture_png_hex": given.hex()})):
        fixture(d, name, **over)
        data = open(f"{d}/{name}.sig.der", "rb").read()
        pngs = [content(data, r) for r in asn1parse(f"{d}/{name}.sig.der")
                if r[4] == "OCTET STRING" and content(data, r)[:8] == b"\x89PNG\r\n\x1a\n"]
        check(f"{name}: the picture is a PNG", len(pngs) == 1)
        if over:
            check(f"{name}: the picture is the one given", pngs == [given])
    if not keep:
        import shutil
        shutil.rmtree(d)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
