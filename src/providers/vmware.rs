//! VMware Cloud Director and VMware Cloud Services: an API token is an OAuth 2.0 refresh token.

use super::{endpoint, form_post, path_segment};
use crate::config::{CSP_DEFAULT_URL, Vcd, VmwareCsp};
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;

/// `POST {url}/oauth/tenant/{org}/token`, or `/oauth/provider/token` for the system org
/// (go-vcloud-director `getAccessToken`, which compares the org name case-insensitively).
pub fn vcd(profile: &Vcd, secret: &Secret) -> Result<Request> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", secret.expose()),
    ];
    form_post(vcd_url(profile)?, &form, None)
}

pub fn vcd_url(profile: &Vcd) -> Result<reqwest::Url> {
    let (base, tenant) = (&profile.url, &profile.tenant);
    let path = if tenant.eq_ignore_ascii_case("system") {
        "/oauth/provider/token".to_string()
    } else {
        format!("/oauth/tenant/{}/token", path_segment(tenant))
    };
    endpoint(base, &path)
}

/// `POST {url}/csp/gateway/am/api/auth/api-tokens/authorize` with `api_token=` (the current
/// name; `refresh_token=` is deprecated).
pub fn csp(profile: &VmwareCsp, secret: &Secret) -> Result<Request> {
    form_post(csp_url(profile)?, &[("api_token", secret.expose())], None)
}

pub fn csp_url(profile: &VmwareCsp) -> Result<reqwest::Url> {
    let base = profile.url.as_deref().unwrap_or(CSP_DEFAULT_URL);
    endpoint(base, "/csp/gateway/am/api/auth/api-tokens/authorize")
}
