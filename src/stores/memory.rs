//! An in-memory store for unit tests of the broker and the commands: no keyring is touched.

use super::{Description, Role, Store};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Memory {
    pub entries: Mutex<BTreeMap<String, Secret>>,
    /// When set, every write fails with this message.
    pub fail_writes: Mutex<Option<String>>,
}

impl Store for Memory {
    fn get(&self, account: &str) -> Result<Secret> {
        self.entries
            .lock()
            .unwrap()
            .get(account)
            .cloned()
            .ok_or_else(|| {
                Error::not_found(format!("no secret in memory: run `tokex login {account}`"))
            })
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        if let Some(why) = self.fail_writes.lock().unwrap().clone() {
            return Err(Error::op(why));
        }
        self.entries
            .lock()
            .unwrap()
            .insert(account.to_string(), secret.clone());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool> {
        Ok(self.entries.lock().unwrap().remove(account).is_some())
    }

    fn probe(&self) -> Result<()> {
        Ok(())
    }

    fn describe(&self) -> Description {
        Description {
            name: "memory".into(),
            location: "this test's memory".into(),
            lifetime: "until the test ends",
            role: Role::Vault,
            quiet_read: true,
        }
    }
}
