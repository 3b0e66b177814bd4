//! VMware Cloud Director and VMware Cloud Services: an API token is an OAuth 2.0 refresh token.

use super::{endpoint, form_post, path_segment, required};
use crate::config::Profile;
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;

/// `POST {url}/oauth/tenant/{org}/token`, or `/oauth/provider/token` for the system org
/// (go-vcloud-director `getAccessToken`, which compares the org name case-insensitively).
pub fn vcd(profile: &Profile, secret: &Secret) -> Result<Request> {
    let base = required(&profile.url, "url")?;
    let tenant = required(&profile.tenant, "tenant")?;
    let path = if tenant.eq_ignore_ascii_case("system") {
        "/oauth/provider/token".to_string()
    } else {
        format!("/oauth/tenant/{}/token", path_segment(tenant))
    };
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", secret.expose()),
    ];
    form_post(endpoint(base, &path)?, &form, None)
}

/// `POST {url}/csp/gateway/am/api/auth/api-tokens/authorize` with `api_token=` (the current
/// name; `refresh_token=` is deprecated).
pub fn csp(profile: &Profile, secret: &Secret) -> Result<Request> {
    let base = profile.base_url().unwrap_or(crate::config::CSP_DEFAULT_URL);
    let url = endpoint(base, "/csp/gateway/am/api/auth/api-tokens/authorize")?;
    form_post(url, &[("api_token", secret.expose())], None)
}
