//! Signing fixtures made by an independent implementation, the `openssl`
//! command, at test time: CAs, trader and expert certificates, raw and CMS
//! signatures over a document's digest, and RFC 3161 tokens from an OpenSSL
//! TSA. Everything is written into one directory and read back as bytes.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

/// Whether the `openssl` command is there; prints a skip note when not.
pub fn have_openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        crate::skipped("the openssl command is not installed");
    }
    ok
}

/// Runs `openssl ARGS` in `dir` and fails the test with its stderr if it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(
        o.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A new P-256 private key in `dir`/`file` (PEM), made by openssl.
pub fn p256_key(dir: &Path, file: &str) {
    openssl(
        dir,
        &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file],
    );
}

/// The USCC the trader certificates carry (a valid check character).
pub const USCC: &str = "91350100M000100Y43";
/// The unit name bound to it.
pub const UNIT: &str = "某某建设有限公司";

/// Key types the fixtures make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256.
    Ecdsa,
    /// Ed25519.
    Ed25519,
    /// RSA 2048, PKCS#1 v1.5 with SHA-256.
    Rsa,
    /// SM2 with SM3 and the default ID.
    Sm2,
}

impl Alg {
    fn genpkey(self) -> &'static [&'static str] {
        match self {
            Alg::Ecdsa => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Alg::Ed25519 => &["-algorithm", "ED25519"],
            Alg::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Alg::Sm2 => &["-algorithm", "SM2"],
        }
    }
    fn md(self) -> &'static [&'static str] {
        match self {
            Alg::Ecdsa | Alg::Rsa => &["-sha256"],
            Alg::Ed25519 => &[],
            Alg::Sm2 => &["-sm3", "-sigopt", "distid:1234567812345678"],
        }
    }
}

/// A directory of fixtures.
pub struct Fixtures {
    /// Where the files are.
    pub dir: PathBuf,
}

/// A certificate with its key, by file stem in the fixture directory.
#[derive(Clone, Debug)]
pub struct Made {
    /// File stem: `<stem>.key`, `<stem>.pem`, `<stem>.der`.
    pub stem: String,
    /// Its key type.
    pub alg: Alg,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl Fixtures {
    /// A fresh fixture directory inside `dir`.
    pub fn new(dir: &Path) -> Fixtures {
        std::fs::create_dir_all(dir).unwrap();
        Fixtures { dir: dir.to_owned() }
    }

    fn run(&self, args: &[&str]) {
        openssl(&self.dir, args);
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }

    /// A self-signed CA root `stem` of key type `alg`.
    pub fn ca(&self, stem: &str, alg: Alg) -> Made {
        let key = format!("{stem}.key");
        let mut g = vec!["genpkey", "-out", &key];
        g.extend(alg.genpkey());
        self.run(&g);
        let subj = format!("/C=CN/O=Test CA {stem}/CN={stem} root");
        let pem = format!("{stem}.pem");
        let mut r = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            &key,
            "-days",
            "3650",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &pem,
        ];
        r.extend(alg.md());
        self.run(&r);
        self.der_of(stem, alg)
    }

    fn der_of(&self, stem: &str, alg: Alg) -> Made {
        let (pem, der) = (format!("{stem}.pem"), format!("{stem}.der"));
        self.run(&["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
        Made { stem: stem.into(), alg, der: self.read(&der) }
    }

    /// A leaf `stem` of key type `alg` under `ca`, with subject `subj`
    /// (an openssl `/K=V/...` string), valid for `days`; `ext` lines go into
    /// an extension file when given.
    pub fn leaf(&self, ca: &Made, stem: &str, alg: Alg, subj: &str, days: u32, ext: &str) -> Made {
        let (key, csr, pem) = (format!("{stem}.key"), format!("{stem}.csr"), format!("{stem}.pem"));
        let mut g = vec!["genpkey", "-out", &key];
        g.extend(alg.genpkey());
        self.run(&g);
        let mut r = vec!["req", "-new", "-key", &key, "-utf8", "-subj", subj, "-out", &csr];
        r.extend(alg.md());
        self.run(&r);
        let (ca_pem, ca_key) = (format!("{}.pem", ca.stem), format!("{}.key", ca.stem));
        let days = days.to_string();
        let extfile = format!("{stem}.ext");
        std::fs::write(self.dir.join(&extfile), format!("{ext}\n")).unwrap();
        let mut x = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-set_serial",
            "2",
            "-days",
            &days,
            "-out",
            &pem,
        ];
        if !ext.is_empty() {
            x.extend(["-extfile", &extfile]);
        }
        x.extend(ca.alg.md());
        if alg == Alg::Sm2 || ca.alg == Alg::Sm2 {
            x.extend(["-vfyopt", "distid:1234567812345678"]);
        }
        self.run(&x);
        self.der_of(stem, alg)
    }

    /// A trader certificate carrying [`USCC`] under `ca`.
    pub fn trader(&self, ca: &Made, stem: &str, alg: Alg) -> Made {
        let subj = format!("/C=CN/O={UNIT}/serialNumber={USCC}/CN=trader {stem}");
        self.leaf(ca, stem, alg, &subj, 365, "")
    }

    /// Writes `doc` and returns its SHA-256 and SM3.
    pub fn document(&self, name: &str, doc: &[u8]) -> ([u8; 32], [u8; 32]) {
        std::fs::write(self.dir.join(name), doc).unwrap();
        let sha: [u8; 32] = sha2::Sha256::digest(doc).into();
        let sm3: [u8; 32] = <sm3::Sm3 as sm3::Digest>::digest(doc).into();
        (sha, sm3)
    }

    /// A raw signature by `signer` whose message is `digest` (the document's
    /// SHA-256, or SM3 for SM2), with SM2 ID `sm2_id`.
    pub fn raw_sign(&self, signer: &Made, digest: &[u8; 32], sm2_id: &str) -> Vec<u8> {
        let input = format!("{}-digest.bin", signer.stem);
        let out = format!("{}-raw.sig", signer.stem);
        std::fs::write(self.dir.join(&input), digest).unwrap();
        let key = format!("{}.key", signer.stem);
        match signer.alg {
            Alg::Ecdsa | Alg::Rsa => {
                self.run(&["dgst", "-sha256", "-sign", &key, "-out", &out, &input]);
            }
            Alg::Ed25519 => {
                self.run(&[
                    "pkeyutl", "-sign", "-inkey", &key, "-rawin", "-in", &input, "-out", &out,
                ]);
            }
            Alg::Sm2 => {
                let id = format!("distid:{sm2_id}");
                self.run(&[
                    "pkeyutl", "-sign", "-inkey", &key, "-rawin", "-digest", "sm3", "-pkeyopt",
                    &id, "-in", &input, "-out", &out,
                ]);
            }
        }
        self.read(&out)
    }

    /// A detached CMS signature (`openssl cms -sign -binary -outform DER`)
    /// of the document file `doc` by `signer`, with or without signed attributes.
    pub fn cms_sign(&self, signer: &Made, doc: &str, attrs: bool) -> Vec<u8> {
        let out = format!("{}-{}.p7s", signer.stem, if attrs { "attrs" } else { "noattr" });
        let (pem, key) = (format!("{}.pem", signer.stem), format!("{}.key", signer.stem));
        let mut a = vec![
            "cms", "-sign", "-binary", "-in", doc, "-signer", &pem, "-inkey", &key, "-outform",
            "DER", "-out", &out,
        ];
        if signer.alg != Alg::Ed25519 {
            a.extend(["-md", if signer.alg == Alg::Sm2 { "sm3" } else { "sha256" }]);
        }
        if !attrs {
            a.push("-noattr");
        }
        self.run(&a);
        self.read(&out)
    }

    /// A TSA `stem`: a root `<stem>-root` and a TSA certificate under it with
    /// `eku` (e.g. `critical,timeStamping`). Returns the root.
    pub fn tsa(&self, stem: &str, eku: &str) -> Made {
        let root = self.ca(&format!("{stem}-root"), Alg::Ecdsa);
        self.leaf(
            &root,
            stem,
            Alg::Ecdsa,
            &format!("/CN={stem} TSA"),
            365,
            &format!("extendedKeyUsage={eku}"),
        );
        std::fs::write(self.dir.join(format!("{stem}.cnf")), TSA_CNF).unwrap();
        root
    }

    /// An RFC 3161 token from TSA `stem` over the document file `doc`
    /// (`openssl ts -query` / `-reply -token_out`), SHA-256 imprint.
    pub fn stamp(&self, stem: &str, doc: &str) -> Vec<u8> {
        std::fs::write(self.dir.join("serial"), "01\n").unwrap();
        let (tsq, tok) = (format!("{stem}.tsq"), format!("{stem}-{doc}.tst"));
        self.run(&["ts", "-query", "-data", doc, "-sha256", "-cert", "-out", &tsq]);
        let (cnf, key, pem) = (format!("{stem}.cnf"), format!("{stem}.key"), format!("{stem}.pem"));
        self.run(&[
            "ts",
            "-reply",
            "-config",
            &cnf,
            "-section",
            "tsa_config",
            "-queryfile",
            &tsq,
            "-inkey",
            &key,
            "-signer",
            &pem,
            "-token_out",
            "-out",
            &tok,
        ]);
        self.read(&tok)
    }
}

const TSA_CNF: &str = "
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sm3
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
";
