//! Huawei Cloud IAM Identity Center: `POST /v1/identity-stores/{id}/tenant/{tenant}/bearer-token`,
//! signed with the access key. The answer is a long-lived SCIM token with an absolute expiry.

use super::{endpoint, huawei_sign, path_segment};
use crate::config::HuaweiIdc;
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;
use time::OffsetDateTime;
use zeroize::Zeroizing;

pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

pub fn url(profile: &HuaweiIdc) -> Result<reqwest::Url> {
    let (store, tenant) = (&profile.identity_store_id, &profile.tenant_id);
    let path = format!(
        "/v1/identity-stores/{}/tenant/{}/bearer-token",
        path_segment(store),
        path_segment(tenant)
    );
    endpoint(&profile.url, &path)
}

pub fn request(profile: &HuaweiIdc, secret_key: &Secret, now: OffsetDateTime) -> Result<Request> {
    let access_key = &profile.access_key_id;
    let url = url(profile)?;
    // The Host we sign must be the Host sent: name it explicitly rather than trust the client.
    let host = crate::urlpolicy::host(&url);
    let date = huawei_sign::sdk_date(now);
    let body: &[u8] = b"";
    let signed = [
        ("Content-Type", CONTENT_TYPE),
        ("Host", host.as_str()),
        ("X-Sdk-Date", date.as_str()),
    ];
    let auth = huawei_sign::authorization("POST", &url, &signed, body, access_key, secret_key);
    let mut headers: Vec<(String, String)> = signed
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    headers.push(("Accept".into(), "application/json".into()));
    headers.push(("Authorization".into(), auth));
    Ok(Request {
        method: reqwest::Method::POST,
        url,
        headers,
        body: Zeroizing::new(body.to_vec()),
    })
}
