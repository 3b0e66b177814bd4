//! Each provider's profile shape, as a type: `provider = "NAME"` selects the variant, whose
//! struct holds exactly the fields that provider takes. A field it lacks or one it does not take
//! is an error where the file is read, naming the field; providers take their own variant and
//! never re-check an optional.

#[cfg(test)]
use super::Profile;
use super::{OAuth2, ProviderId};
use crate::error::{Result, ResultExt};
use crate::urlpolicy::check_url;
use serde::{Deserialize, Serialize};

/// What follows `provider = "NAME"` in a profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "provider", rename_all = "kebab-case")]
pub enum Provider {
    Vcd(Vcd),
    VmwareCsp(VmwareCsp),
    Virtana(ClientApp),
    HuaweiOneaccess(ClientApp),
    HuaweiIdentityCenter(HuaweiIdc),
    Oauth2(Box<OAuth2>),
}

/// VMware Cloud Director: an API token of a user in the organization `tenant`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vcd {
    pub url: String,
    pub tenant: String,
}

/// VMware Cloud Services: an API token, at the public console unless `url` says otherwise.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmwareCsp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A client secret for `client_id` at a vendor's fixed token path under `url` (Virtana, Huawei
/// OneAccess).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientApp {
    pub url: String,
    pub client_id: String,
}

/// Huawei Cloud IAM Identity Center: an access key's secret, which signs the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiIdc {
    pub url: String,
    pub identity_store_id: String,
    pub tenant_id: String,
    pub access_key_id: String,
}

pub const CSP_DEFAULT_URL: &str = "https://console.cloud.vmware.com";

impl Provider {
    /// An oauth2 profile's fields (boxed: they outweigh every other provider's).
    pub fn oauth2(o: OAuth2) -> Provider {
        Provider::Oauth2(Box::new(o))
    }

    pub fn id(&self) -> ProviderId {
        match self {
            Provider::Vcd(_) => ProviderId::Vcd,
            Provider::VmwareCsp(_) => ProviderId::VmwareCsp,
            Provider::Virtana(_) => ProviderId::Virtana,
            Provider::HuaweiOneaccess(_) => ProviderId::HuaweiOneaccess,
            Provider::HuaweiIdentityCenter(_) => ProviderId::HuaweiIdentityCenter,
            Provider::Oauth2(_) => ProviderId::Oauth2,
        }
    }

    /// The provider's base URL, with VMware Cloud Services' public default filled in; `None`
    /// for oauth2, whose endpoints are each named.
    pub fn base_url(&self) -> Option<&str> {
        match self {
            Provider::Vcd(p) => Some(&p.url),
            Provider::VmwareCsp(p) => Some(p.url.as_deref().unwrap_or(CSP_DEFAULT_URL)),
            Provider::Virtana(p) | Provider::HuaweiOneaccess(p) => Some(&p.url),
            Provider::HuaweiIdentityCenter(p) => Some(&p.url),
            Provider::Oauth2(_) => None,
        }
    }

    /// Every URL the profile sends to, with the field that names it.
    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        match self {
            Provider::Oauth2(o) => o.urls(),
            _ => self.base_url().map(|u| ("url", u)).into_iter().collect(),
        }
    }

    /// The rules a type cannot say: URLs tokex may send to, and oauth2's grant rules.
    /// `own_source`: the profile reads its secret from the environment, a file or a command.
    pub fn validate(&self, own_source: bool) -> Result<()> {
        for (field, url) in self.urls() {
            check_url(url).context(format_args!("`{field}`"))?;
        }
        match self {
            Provider::Oauth2(o) => o.validate(own_source),
            Provider::Vcd(_)
            | Provider::VmwareCsp(_)
            | Provider::Virtana(_)
            | Provider::HuaweiOneaccess(_)
            | Provider::HuaweiIdentityCenter(_) => Ok(()),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id().name())
    }
}

#[cfg(test)]
impl Profile {
    /// A profile of `id` with example values in the fields it needs, for tests.
    pub fn sample(id: ProviderId) -> Profile {
        let url = || "https://provider.example".to_string();
        let app = || ClientApp {
            url: url(),
            client_id: "app".into(),
        };
        Profile::new(match id {
            ProviderId::Vcd => Provider::Vcd(Vcd {
                url: url(),
                tenant: "acme".into(),
            }),
            ProviderId::VmwareCsp => Provider::VmwareCsp(VmwareCsp::default()),
            ProviderId::Virtana => Provider::Virtana(app()),
            ProviderId::HuaweiOneaccess => Provider::HuaweiOneaccess(app()),
            ProviderId::HuaweiIdentityCenter => Provider::HuaweiIdentityCenter(HuaweiIdc {
                url: url(),
                identity_store_id: "d-1".into(),
                tenant_id: "t-1".into(),
                access_key_id: "AK".into(),
            }),
            ProviderId::Oauth2 => Provider::oauth2(OAuth2 {
                client_id: Some("app".into()),
                token_url: Some(format!("{}/token", url())),
                ..OAuth2::default()
            }),
        })
    }
}
