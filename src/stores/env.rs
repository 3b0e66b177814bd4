//! `secret_env = "VAR"`: the secret is in an environment variable (CI, containers). Read only.

use super::{Description, ReadOnly, Role};
use crate::error::{Error, Result};
use crate::sensitive::Secret;

pub struct Env {
    var: String,
}

impl Env {
    pub fn new(var: &str) -> Env {
        Env {
            var: var.to_string(),
        }
    }
}

impl ReadOnly for Env {
    fn read(&self) -> Result<Secret> {
        match std::env::var(&self.var) {
            Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
            Ok(_) => Err(Error::not_found(format!(
                "secret_env {} is empty",
                self.var
            ))),
            Err(std::env::VarError::NotPresent) => Err(Error::not_found(format!(
                "secret_env {} is not set (export it, or change the profile's `secret_env`)",
                self.var
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::usage(format!(
                "secret_env {} is not UTF-8",
                self.var
            ))),
        }
    }

    fn describe(&self) -> Description {
        Description {
            name: format!("secret_env {}", self.var),
            location: format!("the environment variable {}", self.var),
            lifetime: "as long as the variable is set",
            role: Role::ReadOnly,
            quiet_read: true,
        }
    }
}
