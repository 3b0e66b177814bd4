//! `tokex profile add`'s flags.

use crate::config::{ClientAuth, Grant, ProviderId, StoreName};
use clap::Args;

/// `profile add`'s flags are the profile's keys (`--client-id` is `client_id`): they are
/// serialised and read back as a profile table, so the provider's type decides which apply
/// (`commands::profile` drops the flags not given first).
#[derive(Args, Debug, serde::Serialize)]
pub struct AddArgs {
    /// Name for the profile (letters, digits, `-`, `_`, `.`)
    #[serde(skip)]
    pub name: String,
    /// Whose token endpoint the secret is exchanged at
    #[arg(long, value_enum)]
    pub provider: ProviderId,
    /// Base URL of the provider (vcd, vmware-csp, virtana, huawei-*)
    #[arg(long)]
    pub url: Option<String>,
    /// vCD organization the API token's user belongs to (`system` for provider admins)
    #[arg(long)]
    pub tenant: Option<String>,
    /// Client (application) id: virtana, huawei-oneaccess and oauth2
    #[arg(long)]
    pub client_id: Option<String>,
    /// huawei-identity-center: the identity store's id
    #[arg(long)]
    pub identity_store_id: Option<String>,
    /// huawei-identity-center: the tenant (account) id
    #[arg(long)]
    pub tenant_id: Option<String>,
    /// huawei-identity-center: the access key id; its secret key is the stored secret
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// oauth2: the token endpoint
    #[arg(long)]
    pub token_url: Option<String>,
    /// oauth2: which grant; device_code and authorization_code sign in; token_exchange and jwt_bearer exchange `--subject`
    #[arg(long, value_enum)]
    pub grant: Option<Grant>,
    /// oauth2: how the client authenticates (client_credentials default client_secret_basic; token_exchange and jwt_bearer default none, a public client)
    #[arg(long, value_enum)]
    pub client_auth: Option<ClientAuth>,
    /// oauth2 keyless: where the token to exchange comes from: github-actions, env:VAR, file:PATH or profile:NAME
    #[arg(long, value_name = "SOURCE")]
    pub subject: Option<crate::config::Subject>,
    /// oauth2 keyless: the audience asked of the GitHub Actions OIDC token
    #[arg(long)]
    pub subject_audience: Option<String>,
    /// oauth2 token_exchange: the subject's token type (default urn:ietf:params:oauth:token-type:jwt)
    #[arg(long)]
    pub subject_token_type: Option<String>,
    /// oauth2 token_exchange: the token type to ask for
    #[arg(long)]
    pub requested_token_type: Option<String>,
    /// oauth2 token_exchange: the RFC 8693 `resource` (a URI of the service the token is for)
    #[arg(long)]
    pub resource: Option<String>,
    /// oauth2 private_key_jwt: the client assertion's `aud` (default: the token endpoint URL)
    #[arg(long)]
    pub assertion_audience: Option<String>,
    /// oauth2: space-separated scopes to ask for (sign-in default: `openid offline_access`)
    #[arg(long)]
    pub scope: Option<String>,
    /// oauth2: the `audience` parameter some providers want (Auth0, Okta)
    #[arg(long)]
    pub audience: Option<String>,
    /// oauth2: RFC 7009 revocation endpoint, used by `tokex logout`
    #[arg(long)]
    pub revocation_url: Option<String>,
    /// oauth2: OIDC issuer URL; its discovery document supplies the endpoints not given here
    #[arg(long)]
    pub issuer: Option<String>,
    /// oauth2 authorization_code: the authorization endpoint
    #[arg(long)]
    pub authorization_url: Option<String>,
    /// oauth2 device_code: the RFC 8628 device authorization endpoint
    #[arg(long)]
    pub device_authorization_url: Option<String>,
    /// oauth2: hand callers the OIDC ID token instead of the access token (Kubernetes OIDC)
    #[arg(long)]
    #[serde(rename = "use_id_token")]
    pub id_token: bool,
    /// oauth2 sign-in: let `tokex kubectl` sign in when kubectl runs it interactively
    #[arg(long)]
    pub interactive: bool,
    /// URL prefix a caller's request must match to use this profile (repeatable)
    #[arg(long = "match", value_name = "PATTERN")]
    #[serde(rename = "match")]
    pub matches: Vec<String>,
    /// Username reported to git and docker
    #[arg(long)]
    pub username: Option<String>,
    /// Secret store for this profile (default: the config's [defaults] store, TOKEX_STORE, or the platform's)
    #[arg(long, value_enum)]
    pub store: Option<StoreName>,
    /// Read the secret from this environment variable instead of the secret store
    #[arg(long)]
    pub secret_env: Option<String>,
    /// Read the secret from this file (mode 0600 or stricter) instead of the secret store
    #[arg(long)]
    pub secret_file: Option<String>,
    /// Run this shell command and read the secret from its first line of output
    #[arg(long)]
    pub secret_command: Option<String>,
    /// PEM file of extra CA certificates to trust for this profile
    #[arg(long)]
    pub ca_file: Option<String>,
    /// Total time for one token request, retries included: 30s (the default), 2m, …
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<crate::duration::Seconds>,
}
