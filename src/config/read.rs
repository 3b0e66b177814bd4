//! Reading one profile table in a single pass. The keys every profile may have go straight into
//! their fields; the others are the provider's, set aside until `provider` (which may come last)
//! names the struct that takes them, and which refuses any it does not.
//!
//! serde's derive would do the same with `#[serde(flatten)]` over an internally tagged enum, but
//! it copies each provider key twice (once for the flatten, once for the tag): 3,000 instructions
//! of a cache hit's 300,000, which reads its config on every call.

use super::{Profile, Provider, ProviderId, VmwareCsp};
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Profile, D::Error> {
        d.deserialize_map(ProfileTable)
    }
}

struct ProfileTable;

impl<'de> Visitor<'de> for ProfileTable {
    type Value = Profile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a profile table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Profile, A::Error> {
        // The provider is a placeholder until the table has been read.
        let mut p = Profile::new(Provider::VmwareCsp(VmwareCsp::default()));
        let mut id = None;
        let mut own: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Provider => id = Some(map.next_value::<ProviderId>()?),
                Key::Match => p.matches = map.next_value()?,
                Key::Username => p.username = map.next_value()?,
                Key::SecretEnv => p.secret_env = map.next_value()?,
                Key::SecretFile => p.secret_file = map.next_value()?,
                Key::SecretCommand => p.secret_command = map.next_value()?,
                Key::CaFile => p.ca_file = map.next_value()?,
                Key::Timeout => p.timeout = map.next_value()?,
                Key::ExecEnv => p.exec_env = map.next_value()?,
                Key::CargoAuth => p.cargo_auth = map.next_value()?,
                Key::RefreshAhead => p.refresh_ahead = map.next_value()?,
                Key::Store => p.store = map.next_value()?,
                Key::Own(key) => {
                    let value = map.next_value()?;
                    own.push((key, value));
                }
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("provider"))?;
        p.provider = provider(id, own).map_err(de::Error::custom)?;
        Ok(p)
    }
}

/// A key of a profile table: one of the fields every profile has (named as [`Profile`]'s
/// `Serialize` names them), or one its provider's struct is to judge.
enum Key {
    Provider,
    Match,
    Username,
    SecretEnv,
    SecretFile,
    SecretCommand,
    CaFile,
    Timeout,
    ExecEnv,
    CargoAuth,
    RefreshAhead,
    Store,
    Own(String),
}

/// Reads a key without allocating unless it is the provider's.
struct KeySeed;

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "provider" => Key::Provider,
            "match" => Key::Match,
            "username" => Key::Username,
            "secret_env" => Key::SecretEnv,
            "secret_file" => Key::SecretFile,
            "secret_command" => Key::SecretCommand,
            "ca_file" => Key::CaFile,
            "timeout" => Key::Timeout,
            "exec_env" => Key::ExecEnv,
            "cargo_auth" => Key::CargoAuth,
            "refresh_ahead" => Key::RefreshAhead,
            "store" => Key::Store,
            own => Key::Own(own.to_string()),
        })
    }
}

/// The variant `id` names, from the keys the table did not give the common fields.
fn provider(id: ProviderId, keys: Vec<(String, Value)>) -> Result<Provider, serde_json::Error> {
    fn read<T: DeserializeOwned>(keys: Vec<(String, Value)>) -> Result<T, serde_json::Error> {
        T::deserialize(de::value::MapDeserializer::new(keys.into_iter()))
    }
    Ok(match id {
        ProviderId::Vcd => Provider::Vcd(read(keys)?),
        ProviderId::VmwareCsp => Provider::VmwareCsp(read(keys)?),
        ProviderId::Virtana => Provider::Virtana(read(keys)?),
        ProviderId::HuaweiOneaccess => Provider::HuaweiOneaccess(read(keys)?),
        ProviderId::HuaweiIdentityCenter => Provider::HuaweiIdentityCenter(read(keys)?),
        ProviderId::Oauth2 => Provider::Oauth2(read(keys)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CargoAuth, StoreName};
    use crate::duration::Seconds;

    /// Every field of every provider's profile, through the writer and back: a field added to
    /// `Profile` but not to `Key` would come back as the provider's, and be refused.
    #[test]
    fn every_field_reads_back() {
        for id in <ProviderId as clap::ValueEnum>::value_variants() {
            let mut p = Profile::sample(*id);
            p.matches = vec!["https://a.example/".into()];
            p.username = Some("u".into());
            p.secret_command = Some("cat".into());
            p.ca_file = Some("/ca.pem".into());
            p.timeout = Some(Seconds(9));
            p.exec_env = vec!["T".into()];
            p.cargo_auth = Some(CargoAuth::Raw);
            p.refresh_ahead = Some("1m".into());
            p.store = Some(StoreName::Pass);
            let written = serde_json::to_value(&p).unwrap();
            assert_eq!(Profile::deserialize(written).unwrap(), p, "{id}");
        }
    }

    fn read(toml: &str) -> Result<Profile, String> {
        toml_edit::de::from_str(toml).map_err(|e| e.message().to_string())
    }

    #[test]
    fn the_provider_may_come_last() {
        let p = read(
            "url = \"https://v.example\"\nusername = \"u\"\ntenant = \"t\"\nprovider = \"vcd\"",
        )
        .unwrap();
        assert_eq!(p.id(), ProviderId::Vcd);
        assert_eq!(p.username.as_deref(), Some("u"));
    }

    #[test]
    fn keys_are_judged_by_the_provider_named() {
        assert_eq!(
            read("url = \"https://v.example\"").unwrap_err(),
            "missing field `provider`"
        );
        let foreign = read("provider = \"vmware-csp\"\ntenant = \"t\"").unwrap_err();
        assert!(foreign.starts_with("unknown field `tenant`"), "{foreign}");
        let missing = read("provider = \"vcd\"\nurl = \"https://v.example\"").unwrap_err();
        assert_eq!(missing, "missing field `tenant`");
        let unknown = read("provider = \"acme\"").unwrap_err();
        assert!(unknown.starts_with("unknown variant `acme`"), "{unknown}");
        let typed = read("provider = \"vmware-csp\"\nusername = 1").unwrap_err();
        assert_eq!(typed, "invalid type: integer `1`, expected a string");
    }
}
