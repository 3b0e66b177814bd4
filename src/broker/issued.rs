//! A token as handed to a caller: the broker has decided which header carries it and how the
//! header's value is spelled, so no caller needs to know the provider.

use crate::config::Profile;
use crate::token::Token;

#[derive(Debug, Clone)]
pub struct Issued {
    pub token: Token,
    /// A provider's own header (CSP's `csp-auth-token`), else `Authorization`.
    own_header: Option<&'static str>,
}

impl Issued {
    pub fn new(profile: &Profile, token: Token) -> Issued {
        Issued {
            token,
            own_header: crate::providers::own_header(profile),
        }
    }

    /// A token an agent issued, with the header it named: one some provider of ours uses, or
    /// none (`Authorization`); any other name is refused, not passed on to a caller.
    pub fn carried(token: Token, header: Option<&str>) -> crate::error::Result<Issued> {
        let own_header = match header {
            None => None,
            Some(name) => Some(crate::providers::known_header(name).ok_or_else(|| {
                crate::error::Error::op(format!(
                    "the agent named a header tokex does not know ({})",
                    crate::printable::printable(name, crate::printable::SHORT)
                ))
            })?),
        };
        Ok(Issued { token, own_header })
    }

    /// A provider's own header, if the token does not go in `Authorization`.
    pub fn own_header(&self) -> Option<&'static str> {
        self.own_header
    }

    /// The header a request carries the token in.
    pub fn header_name(&self) -> &'static str {
        self.own_header.unwrap_or("Authorization")
    }

    /// That header's value: `Bearer TOKEN` in `Authorization`, the bare token in a provider's
    /// own header. It holds the token: callers wipe it after writing.
    pub fn header_value(&self) -> String {
        match self.own_header {
            Some(_) => self.token.access_token.expose().to_string(),
            None => self.authorization(),
        }
    }

    /// `Bearer TOKEN`, for protocols that always fill `Authorization` (cargo).
    pub fn authorization(&self) -> String {
        format!(
            "{} {}",
            self.token.scheme(),
            self.token.access_token.expose()
        )
    }

    pub fn access_token(&self) -> &str {
        self.token.access_token.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderId;

    #[test]
    fn the_provider_decides_the_header() {
        let t = || Token::sample("tok", time::Duration::hours(1));
        let csp = Issued::new(&Profile::sample(ProviderId::VmwareCsp), t());
        assert_eq!(
            (csp.header_name(), csp.header_value().as_str()),
            ("csp-auth-token", "tok")
        );
        assert_eq!(csp.authorization(), "Bearer tok");
        let vcd = Issued::new(&Profile::sample(ProviderId::Vcd), t());
        assert_eq!(
            (vcd.header_name(), vcd.header_value().as_str()),
            ("Authorization", "Bearer tok")
        );
    }
}
