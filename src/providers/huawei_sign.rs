//! Huawei Cloud API signing, `SDK-HMAC-SHA256` (the AK/SK scheme of APIG): HMAC-SHA256 with the
//! secret key over a canonical request. Unlike AWS SigV4 there is no derived key.

use crate::sensitive::Secret;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// `YYYYMMDDTHHMMSSZ`, the `X-Sdk-Date` format.
pub fn sdk_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The value of the `Authorization` header for a request. `headers` are the headers to sign,
/// with the values exactly as sent; `x-sdk-date` must be among them.
pub fn authorization(
    method: &str,
    url: &reqwest::Url,
    headers: &[(&str, &str)],
    body: &[u8],
    access_key: &str,
    secret_key: &Secret,
) -> String {
    let (canonical, signed) = canonical_request(method, url, headers, body);
    let date = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-date"))
        .map(|(_, v)| v.trim())
        .unwrap_or("");
    let to_sign = format!(
        "{ALGORITHM}\n{date}\n{}",
        hex::encode(Sha256::digest(canonical))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("{ALGORITHM} Access={access_key}, SignedHeaders={signed}, Signature={signature}")
}

/// Returns the canonical request and the `SignedHeaders` list.
pub fn canonical_request(
    method: &str,
    url: &reqwest::Url,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, String) {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    hs.sort();
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let payload = hex::encode(Sha256::digest(body));
    let canonical = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed}\n{payload}",
        canonical_uri(url),
        canonical_query(url)
    );
    (canonical, signed)
}

/// Each decoded path segment re-encoded with Huawei's unreserved set, and always a trailing `/`
/// (for signing only; the request itself need not end with one).
fn canonical_uri(url: &reqwest::Url) -> String {
    let segments: Vec<String> = url
        .path()
        .split('/')
        .map(|s| escape(&percent_encoding::percent_decode_str(s).collect::<Vec<u8>>()))
        .collect();
    let mut uri = segments.join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Keys sorted, values of a repeated key sorted, each part escaped; empty when there is none.
fn canonical_query(url: &reqwest::Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (escape(k.as_bytes()), escape(v.as_bytes())))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    /// The worked example of Huawei's API signing guide.
    #[test]
    fn official_guide_example() {
        let u = url(
            "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        );
        let headers = [
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ];
        let (cr, signed) = canonical_request("GET", &u, &headers, b"");
        assert_eq!(
            cr,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\ncontent-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&cr)),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        assert_eq!(signed, "content-type;host;x-sdk-date");
        let sk = Secret::from("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
        assert_eq!(
            authorization("GET", &u, &headers, b"", "QTWAOYTTINDUT2QVKYUC", &sk),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    /// huaweicloud-sdk-go-v3 `core/auth/signer/signer_test.go`.
    #[test]
    fn go_sdk_vectors() {
        let sk = Secret::from("SecretKey");
        let date = [("X-Sdk-Date", "20060102T150405Z")];
        let get = authorization(
            "GET",
            &url("https://example.huaweicloud.com/path?limit=1"),
            &date,
            b"",
            "AccessKey",
            &sk,
        );
        assert!(get.ends_with("SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"), "{get}");
        // Go's json.Encoder appends a newline: the hash is of the bytes on the wire.
        let post = authorization(
            "POST",
            &url("https://example.huaweicloud.com/path?key=value"),
            &date,
            b"{\"Name\":\"test\",\"Id\":1}\n",
            "AccessKey",
            &sk,
        );
        assert!(
            post.ends_with(
                "Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
            ),
            "{post}"
        );
    }

    #[test]
    fn query_is_sorted_and_escaped() {
        let u = url(
            "https://h/p?test=%E4%B8%80%20(%26%3D%3F!%23%25.*)&multi=3&multi=1&enable=true&path=%2Ftmp%2F123&multi=2&limit=1",
        );
        assert_eq!(
            canonical_query(&u),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn sdk_date_format() {
        let t = time::macros::datetime!(2006-01-02 15:04:05 UTC);
        assert_eq!(sdk_date(t), "20060102T150405Z");
    }
}
