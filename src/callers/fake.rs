//! A fake broker for the callers' unit tests: a config, one token for every profile, and a
//! record of what was asked.

use crate::broker::{
    Accounts, Chosen, Issued, Listed, LoggedIn, LoggedOut, SignIn, Status, Tokens, Want, choose_in,
    listing_in,
};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use crate::token::Token;
use std::cell::RefCell;

pub struct Fake {
    pub config: Config,
    /// What `token` answers; `None` makes it fail with `NotFound`.
    pub token: Option<Token>,
    pub asked: RefCell<Vec<String>>,
}

impl Fake {
    pub fn new(config_text: &str) -> Fake {
        Fake {
            config: Config::parse(std::path::Path::new("t.toml"), config_text).unwrap(),
            token: Some(Token::sample("tok", time::Duration::hours(1))),
            asked: RefCell::new(Vec::new()),
        }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }

    fn note(&self, what: String) {
        self.asked.borrow_mut().push(what);
    }
}

impl Tokens for Fake {
    fn choose(
        &self,
        named: Option<&str>,
        target: &dyn Fn() -> Result<Target>,
    ) -> Result<Option<Chosen>> {
        choose_in(&self.config, named, target)
    }

    fn listing(&self) -> Result<Vec<Listed>> {
        Ok(listing_in(&self.config))
    }

    fn token(&self, name: &str, want: Want) -> Result<Issued> {
        let profile = self.config.get(name)?;
        self.note(format!("token {name} {}", want.min_valid.whole_seconds()));
        match &self.token {
            Some(t) => Ok(Issued::new(profile, t.clone())),
            None => Err(Error::not_found("no secret yet").for_profile(name)),
        }
    }

    fn forget(&self, name: &str, rejected: Option<&Secret>) -> Result<bool> {
        self.note(format!(
            "forget {name} {}",
            rejected.map(|s| s.expose()).unwrap_or("-")
        ));
        Ok(true)
    }

    fn accounts(&self) -> Option<&dyn Accounts> {
        Some(self)
    }
}

impl Accounts for Fake {
    fn login(&self, name: &str, secret: Secret, verify: bool) -> Result<LoggedIn> {
        self.note(format!("login {name} {} {verify}", secret.expose()));
        Err(Error::op("the fake does not log in"))
    }

    fn sign_in(&self, name: &str, how: SignIn, say: &mut dyn std::io::Write) -> Result<LoggedIn> {
        self.note(format!(
            "sign_in {name} browser={} unless_signed_in={}",
            how.open_browser, how.unless_signed_in
        ));
        let _ = writeln!(say, "fake sign-in for {name}");
        Err(Error::op("the fake does not sign in"))
    }

    fn logout(&self, name: &str, revoke: bool) -> Result<LoggedOut> {
        self.note(format!("logout {name} {revoke}"));
        Err(Error::op("the fake does not log out"))
    }

    fn status(&self, name: &str) -> Result<Status> {
        Err(Error::op(format!("the fake has no status for {name}")))
    }
}
