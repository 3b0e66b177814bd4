//! The demo's identity provider: an OIDC issuer at `/sso` on the demo's loopback server, with
//! discovery, the device flow (RFC 8628; the fake user approves the code at once), refresh and
//! revocation, checking what a real one checks: the public client's id and the device code.

use crate::loopback::{Request, Response};

pub const PREFIX: &str = "/sso";
pub const CLIENT_ID: &str = "demo-cli";
const DEVICE_CODE: &str = "demo-device-code";

/// The `profile add` flags after the name, for an issuer at `base`.
pub fn flags(issuer: &str) -> Vec<String> {
    [
        "--provider",
        "oauth2",
        "--issuer",
        issuer,
        "--client-id",
        CLIENT_ID,
        "--grant",
        "device_code",
    ]
    .map(String::from)
    .to_vec()
}

/// Whether the request is a token exchange (what the demo counts), not discovery or the device
/// code or a revocation.
pub fn is_exchange(req: &Request) -> bool {
    !req.path().starts_with(PREFIX) || req.path() == "/sso/token"
}

pub fn answer(req: &Request, base: &str, n: usize) -> Response {
    let issuer = format!("{base}{PREFIX}");
    let form = |k: &str| req.form_value(k);
    let public_client = form("client_id").as_deref() == Some(CLIENT_ID);
    match req.path() {
        "/sso/.well-known/openid-configuration" => Response::json(
            200,
            format!(
                r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token","device_authorization_endpoint":"{issuer}/device","revocation_endpoint":"{issuer}/revoke"}}"#
            ),
        ),
        "/sso/device" if public_client => Response::json(
            200,
            format!(
                r#"{{"device_code":"{DEVICE_CODE}","user_code":"DEMO-CODE","verification_uri":"{issuer}/activate","expires_in":300,"interval":1}}"#
            ),
        ),
        "/sso/token" if public_client => {
            let granted = match form("grant_type").as_deref() {
                Some("urn:ietf:params:oauth:grant-type:device_code") => {
                    form("device_code").as_deref() == Some(DEVICE_CODE)
                }
                Some("refresh_token") => {
                    form("refresh_token").is_some_and(|t| t.starts_with("demo-refresh-token-"))
                }
                _ => false,
            };
            if !granted {
                return Response::json(400, r#"{"error":"invalid_grant"}"#);
            }
            Response::json(
                200,
                format!(
                    r#"{{"access_token":"demo-sso-token-{n}","token_type":"Bearer","expires_in":3600,"refresh_token":"demo-refresh-token-{n}"}}"#
                ),
            )
        }
        "/sso/revoke" if public_client => Response::json(200, "{}"),
        _ => Response::json(400, r#"{"error":"invalid_client"}"#),
    }
}
