#!/usr/bin/env python3
"""Cross-checks make_seal.py against the openssl CLI (OpenSSL 3, SM2).

    python3 tests/py/check_with_openssl.py [--keep DIR]

Everything judged here is judged by openssl, not by pyasn1 or gmssl:
element offsets come from `openssl asn1parse`, raw r||s signatures are
turned into DER by `openssl asn1parse -genconf`, and signatures are
verified by `openssl pkeyutl -verify -rawin -digest sm3` with distid
1234567812345678. Ends with a 'N passed, N failed' line; exits 1 on any
failure.
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
