//! The key pair of a `private_key_jwt` client (RFC 7523 §2.2): made here or imported from a
//! PKCS#8 PEM file, kept in the profile's secret store as one line (the PKCS#8 DER in base64),
//! shown as a public JWK for registering the client, and used to sign client assertions
//! (ES256). The signing is RustCrypto's `p256`; nothing here does arithmetic of its own.

use crate::sensitive::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub struct KeyPair {
    key: SigningKey,
}

/// A public key as RFC 7517 writes it, with `kid` its RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
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

impl KeyPair {
    /// A new EC P-256 key from the operating system's random source.
    pub fn generate() -> KeyPair {
        KeyPair {
            key: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// A key from a PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`) or from the one line the
    /// store keeps. The message says what was wrong, never what was read.
    pub fn parse(text: &str) -> Result<KeyPair, String> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            SigningKey::from_pkcs8_pem(text).map_err(|_| {
                "not an EC P-256 private key in PKCS#8 (`-----BEGIN PRIVATE KEY-----`); tokex signs ES256 only".to_string()
            })?
        } else if text.starts_with("-----BEGIN") {
            return Err("the PEM is not PKCS#8 (`-----BEGIN PRIVATE KEY-----`): convert it with `openssl pkcs8 -topk8 -nocrypt`".to_string());
        } else {
            let der = Zeroizing::new(
                STANDARD
                    .decode(text)
                    .map_err(|_| "the stored key is not base64".to_string())?,
            );
            SigningKey::from_pkcs8_der(&der)
                .map_err(|_| "the stored key is not an EC P-256 PKCS#8 key".to_string())?
        };
        Ok(KeyPair { key })
    }

    /// The one line the store keeps.
    pub fn stored(&self) -> Secret {
        // Encoding a key p256 made or read cannot fail.
        let der = self
            .key
            .to_pkcs8_der()
            .expect("a P-256 key encodes as PKCS#8");
        Secret::new(STANDARD.encode(der.as_bytes()))
    }

    pub fn public_jwk(&self) -> Jwk {
        let point = self.key.verifying_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| {
            URL_SAFE_NO_PAD.encode(c.expect("an uncompressed point has both coordinates"))
        };
        let (x, y) = (coordinate(point.x()), coordinate(point.y()));
        // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
        let members = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            kid: URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes())),
            x,
            y,
            usage: "sig".into(),
            alg: "ES256".into(),
        }
    }

    /// A compact JWS (RFC 7515) of `claims`, signed ES256, its header naming the key's `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> String {
        let jwk = self.public_jwk();
        let header = Header {
            alg: "ES256",
            typ: "JWT",
            kid: &jwk.kid,
        };
        // Serialising plain structs to JSON cannot fail.
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default());
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
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
        point.extend(URL_SAFE_NO_PAD.decode(&jwk.x).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(&jwk.y).unwrap());
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
        let key = KeyPair {
            key: SigningKey::from_slice(&d).unwrap(),
        };
        let jwk = key.public_jwk();
        assert_eq!(jwk.x, "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4");
        assert_eq!(jwk.y, "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM");
        assert_eq!(jwk.kid, "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
        let pem = key.key.to_pkcs8_pem(Default::default()).unwrap();
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
}
