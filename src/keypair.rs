//! The key pair of a `private_key_jwt` client (RFC 7523 §2.2): made here or imported from a
//! PKCS#8 PEM file, kept in the profile's secret store as one line (the PKCS#8 DER in base64),
//! shown as a public JWK for registering the client, and used to sign client assertions (ES256
//! with a P-256 key, RS256 with an imported RSA key). The signing is RustCrypto's `p256` and
//! `rsa`; nothing here does arithmetic of its own.

use crate::sensitive::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::{SignatureEncoding, Signer};
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{self, DecodePrivateKey, EncodePrivateKey};
use rsa::RsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The private key: EC P-256 (made here, ES256) or an imported RSA key of 2048 bits or more
/// (RS256).
pub enum KeyPair {
    Ec(SigningKey),
    Rsa(Box<RsaPrivateKey>),
}

/// A public key as RFC 7517 writes it, with `kid` its RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    pub kid: String,
    #[serde(rename = "use")]
    pub usage: String,
    pub alg: String,
}

/// RFC 7515's JOSE header of an assertion.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// Smaller RSA keys are refused (NIST SP 800-131A; RFC 7518 §3.3 requires 2048 bits for RS256).
const MIN_RSA_BITS: usize = 2048;

impl KeyPair {
    /// A new EC P-256 key from the operating system's random source.
    pub fn generate() -> KeyPair {
        KeyPair::Ec(SigningKey::random(&mut rand_core::OsRng))
    }

    /// A key from a PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`) or from the one line the
    /// store keeps. The message says what was wrong, never what was read.
    pub fn parse(text: &str) -> Result<KeyPair, String> {
        let text = text.trim();
        let der = if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            let (label, der) = pkcs8::Document::from_pem(text)
                .map_err(|_| "the PEM does not decode as PKCS#8".to_string())?;
            if label != "PRIVATE KEY" {
                return Err("the PEM is not one PKCS#8 private key".to_string());
            }
            Zeroizing::new(der.as_bytes().to_vec())
        } else if text.starts_with("-----BEGIN") {
            return Err("the PEM is not PKCS#8 (`-----BEGIN PRIVATE KEY-----`): convert it with `openssl pkcs8 -topk8 -nocrypt`".to_string());
        } else {
            Zeroizing::new(
                STANDARD
                    .decode(text)
                    .map_err(|_| "the stored key is not base64".to_string())?,
            )
        };
        if let Ok(key) = SigningKey::from_pkcs8_der(&der) {
            return Ok(KeyPair::Ec(key));
        }
        let key = RsaPrivateKey::from_pkcs8_der(&der).map_err(|_| {
            "not an EC P-256 or RSA private key in PKCS#8 (ES256 and RS256 are what tokex signs)"
                .to_string()
        })?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(format!(
                "the RSA key has {} bits; RS256 needs {MIN_RSA_BITS} or more",
                key.size() * 8
            ));
        }
        Ok(KeyPair::Rsa(Box::new(key)))
    }

    /// The one line the store keeps.
    pub fn stored(&self) -> Secret {
        // Encoding a key that was made or read as PKCS#8 cannot fail.
        let der = match self {
            KeyPair::Ec(k) => k.to_pkcs8_der(),
            KeyPair::Rsa(k) => k.to_pkcs8_der(),
        }
        .expect("a key tokex holds encodes as PKCS#8");
        Secret::new(STANDARD.encode(der.as_bytes()))
    }

    pub fn public_jwk(&self) -> Jwk {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
        let (members, mut jwk) = match self {
            KeyPair::Ec(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let coordinate = |c: Option<&p256::FieldBytes>| {
                    b64(c.expect("an uncompressed point has both coordinates"))
                };
                let (x, y) = (coordinate(point.x()), coordinate(point.y()));
                let members = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
                let jwk = Jwk {
                    kty: "EC".into(),
                    crv: Some("P-256".into()),
                    x: Some(x),
                    y: Some(y),
                    n: None,
                    e: None,
                    kid: String::new(),
                    usage: "sig".into(),
                    alg: "ES256".into(),
                };
                (members, jwk)
            }
            KeyPair::Rsa(key) => {
                let (n, e) = (b64(&key.n().to_bytes_be()), b64(&key.e().to_bytes_be()));
                let members = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
                let jwk = Jwk {
                    kty: "RSA".into(),
                    crv: None,
                    x: None,
                    y: None,
                    n: Some(n),
                    e: Some(e),
                    kid: String::new(),
                    usage: "sig".into(),
                    alg: "RS256".into(),
                };
                (members, jwk)
            }
        };
        jwk.kid = b64(&Sha256::digest(members.as_bytes()));
        jwk
    }

    /// A compact JWS (RFC 7515) of `claims`, its header naming the key's `alg` and `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> String {
        let jwk = self.public_jwk();
        let header = Header {
            alg: &jwk.alg,
            typ: "JWT",
            kid: &jwk.kid,
        };
        // Serialising plain structs to JSON cannot fail.
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default());
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{claims}");
        let signature = match self {
            KeyPair::Ec(key) => {
                let s: Signature = key.sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
            KeyPair::Rsa(key) => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone());
                signer.sign(input.as_bytes()).to_vec()
            }
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn a_key_survives_the_store_and_signs_what_its_jwk_verifies() {
        let made = KeyPair::generate();
        let back = KeyPair::parse(made.stored().expose()).unwrap();
        assert_eq!(back.public_jwk(), made.public_jwk());
        let jws = back.sign(&serde_json::json!({"sub": "c"}));
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let jwk = made.public_jwk();
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk.x.as_ref().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk.y.as_ref().unwrap()).unwrap());
        let verifier = VerifyingKey::from_sec1_bytes(&point).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
        verifier.verify(input.as_bytes(), &sig).unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], jwk.kid.as_str());
    }

    /// RFC 7517 appendix A.2's EC key: its public half as A.1 prints it, and its thumbprint by
    /// RFC 7638 §3 as Python's json (sorted keys, no spaces) and hashlib compute it.
    #[test]
    fn the_jwk_is_rfc_7517s_and_its_kid_the_rfc_7638_thumbprint() {
        let d = URL_SAFE_NO_PAD
            .decode("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE")
            .unwrap();
        let key = KeyPair::Ec(SigningKey::from_slice(&d).unwrap());
        let jwk = key.public_jwk();
        assert_eq!(
            jwk.x.as_deref(),
            Some("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4")
        );
        assert_eq!(
            jwk.y.as_deref(),
            Some("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM")
        );
        assert_eq!(jwk.kid, "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
        let KeyPair::Ec(ec) = &key else {
            unreachable!()
        };
        let pem = ec.to_pkcs8_pem(Default::default()).unwrap();
        assert_eq!(KeyPair::parse(&pem).unwrap().public_jwk(), jwk);
    }

    #[test]
    fn what_is_not_a_p256_pkcs8_key_is_refused_without_echo() {
        for bad in [
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            "not base64!",
            "AAAA",
        ] {
            let e = KeyPair::parse(bad).err().unwrap();
            assert!(!e.contains("AAAA") && !e.contains("base64!"), "{e}");
        }
    }

    #[test]
    fn an_rsa_key_of_2048_bits_signs_rs256_and_a_smaller_one_is_refused() {
        use rsa::pkcs1v15::{Signature as RsaSignature, VerifyingKey};
        use rsa::signature::Verifier;
        let pem = include_str!("../tests/data/keys/rsa-2048.pem");
        let key = KeyPair::parse(pem).unwrap();
        let back = KeyPair::parse(key.stored().expose()).unwrap();
        let jwk = back.public_jwk();
        assert_eq!((jwk.kty.as_str(), jwk.alg.as_str()), ("RSA", "RS256"));
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        let jws = back.sign(&serde_json::json!({"sub": "c"}));
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk.n.unwrap()).unwrap());
        let public = rsa::RsaPublicKey::new(n, rsa::BigUint::from(65537u32)).unwrap();
        let sig = RsaSignature::try_from(URL_SAFE_NO_PAD.decode(sig).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(public)
            .verify(input.as_bytes(), &sig)
            .unwrap();
        let small = KeyPair::parse(include_str!("../tests/data/keys/rsa-1024.pem"));
        assert_eq!(
            small.err().unwrap(),
            "the RSA key has 1024 bits; RS256 needs 2048 or more"
        );
    }
}
