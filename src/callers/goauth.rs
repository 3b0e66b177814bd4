//! Go's `GOAUTH` command (Go 1.24+, `go help goauth`; golang/go `src/cmd/go/internal/auth`):
//! `go env -w GOAUTH='tokex goauth PROFILE...'`.
//!
//! Before its first HTTPS fetch, go runs the command with no argument and no input and keeps
//! what it prints for its whole run: a credential set per profile, the profile's `https://`
//! match prefixes, a blank line, its header, a blank line. After a 4xx, go runs it again with
//! the URL as a last argument and the response's status line and headers (no body) on stdin; on
//! a 401 or 403 the token was refused, so the matching profile's cached one is forgotten and a
//! fresh set printed. Anything else: no output, so go goes on without new credentials.

use super::{clip, read_input, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use std::io::{Read, Write};

/// go keeps the first answer for the whole run (a `go mod download` of a large graph, a build):
/// a token that has this long left is served from the cache, else exchanged anew.
pub const MIN_VALID: time::Duration = time::Duration::minutes(10);

pub fn serve(
    words: &[String],
    tokens: &dyn Tokens,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    // go appends the URL; profile names never carry a scheme.
    let (profiles, url) = match words.split_last() {
        Some((last, rest)) if last.contains("://") => (rest, Some(last.as_str())),
        _ => (words, None),
    };
    if profiles.is_empty() {
        return Err(Error::usage(
            "name at least one profile: GOAUTH='tokex goauth PROFILE...'",
        ));
    }
    for name in profiles {
        tokens.named(name)?;
    }
    let Some(url) = url else {
        let mut text = String::new();
        for name in profiles {
            text.push_str(&credential_set(tokens, name)?);
        }
        return write_secret(out, text);
    };
    let status = status(&read_input(input, "go's response head")?)?;
    if status != 401 && status != 403 {
        return Ok(());
    }
    let target = Target::parse(url)?;
    let Some(chosen) = tokens.choose(None, &|| Ok(target.clone()))? else {
        return Ok(());
    };
    if !profiles.contains(&chosen.name) {
        // The URL is another profile's: this GOAUTH entry was not given it.
        return Ok(());
    }
    tokens.forget(&chosen.name, None)?;
    write_secret(out, credential_set(tokens, &chosen.name)?)
}

/// One `CredentialSet` of go's grammar: URL lines, a blank line, header lines, a blank line.
fn credential_set(tokens: &dyn Tokens, name: &str) -> Result<String> {
    let prefixes: Vec<String> = tokens
        .listing()?
        .into_iter()
        .filter(|l| l.profile == name)
        .filter_map(|l| https_prefix(&l.pattern))
        .collect();
    if prefixes.is_empty() {
        return Err(Error::usage(
            "it has no `match` entry served over https, so go would not know where to send its token",
        )
        .for_profile(name));
    }
    let issued = tokens.token(name, Want::lasting(MIN_VALID))?;
    let mut value = issued.header_value();
    let set = format!(
        "{}\n\n{}: {value}\n\n",
        prefixes.join("\n"),
        issued.header_name()
    );
    zeroize::Zeroize::zeroize(&mut value);
    Ok(set)
}

/// A `match` entry as go's URL line: `https://host[:port][/path]`, without a trailing slash (go
/// looks its prefixes up walking the request's path up one segment at a time); `None` for an
/// `http://` (loopback) entry, which go never fetches.
fn https_prefix(pattern: &str) -> Option<String> {
    let rest = match pattern.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some(_) => return None,
        None => pattern,
    };
    Some(format!("https://{}", rest.trim_end_matches('/')))
}

/// The status code of the response head go writes (`HTTP/1.1 401 Unauthorized`, headers, a
/// blank line; LF line ends, CRLF accepted).
fn status(head: &[u8]) -> Result<u16> {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    let mut parts = line.split(' ');
    let code = match (parts.next(), parts.next()) {
        (Some(proto), Some(code)) if proto.starts_with("HTTP/") => code.parse::<u16>().ok(),
        _ => None,
    };
    code.filter(|c| (100..=599).contains(c)).ok_or_else(|| {
        Error::usage(format!(
            "stdin must start with an HTTP status line (go writes the response head there), not {:?}",
            clip(line)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.mods]\nprovider = \"vmware-csp\"\nmatch = [\"https://go.example.com/mods/\", \"proxy.example.com:8443\", \"http://127.0.0.1:9/\"]\n\n[profiles.other]\nprovider = \"vcd\"\nurl = \"https://vcd.example.com\"\ntenant = \"t\"\nmatch = [\"https://go.example.com/other\"]\n";

    fn go(fake: &Fake, words: &[&str], input: &str) -> (Result<()>, String) {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let mut out = Vec::new();
        let r = serve(&words, fake, &mut input.as_bytes(), &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_first_call_prints_go_s_grammar_for_each_profile() {
        let fake = Fake::new(CONFIG);
        let (r, out) = go(&fake, &["mods", "other"], "");
        assert!(r.is_ok());
        assert_eq!(
            out,
            "https://go.example.com/mods\nhttps://proxy.example.com:8443\n\ncsp-auth-token: tok\n\nhttps://go.example.com/other\n\nAuthorization: Bearer tok\n\n"
        );
        assert_eq!(fake.asked(), ["token mods 600", "token other 600"]);
    }

    #[test]
    fn a_401_or_403_forgets_and_prints_a_fresh_set_for_the_url_s_profile() {
        for head in [
            "HTTP/1.1 401 Unauthorized\nContent-Length: 19\nContent-Type: text/plain; charset=utf-8\n\n",
            "HTTP/2.0 403 Forbidden\r\nWww-Authenticate: Bearer\r\n\r\n",
        ] {
            let fake = Fake::new(CONFIG);
            let (r, out) = go(
                &fake,
                &["mods", "other", "https://go.example.com/other/m/@v/list"],
                head,
            );
            assert!(r.is_ok());
            assert_eq!(
                out,
                "https://go.example.com/other\n\nAuthorization: Bearer tok\n\n"
            );
            assert_eq!(fake.asked(), ["forget other -", "token other 600"]);
        }
    }

    #[test]
    fn other_statuses_and_other_profiles_urls_print_nothing() {
        for (words, head) in [
            (
                &["mods", "https://go.example.com/mods/x"][..],
                "HTTP/1.1 404 Not Found\n\n",
            ),
            (
                &["mods", "https://go.example.com/other/x"][..],
                "HTTP/1.1 401 Unauthorized\n\n",
            ),
            (
                &["mods", "https://elsewhere.example.com/x"][..],
                "HTTP/1.1 401 Unauthorized\n\n",
            ),
        ] {
            let fake = Fake::new(CONFIG);
            let (r, out) = go(&fake, words, head);
            assert!(r.is_ok(), "{words:?}");
            assert_eq!(out, "", "{words:?}");
            assert!(fake.asked().is_empty(), "{words:?}");
        }
    }

    #[test]
    fn bad_input_is_one_line() {
        let fake = Fake::new(CONFIG);
        for (words, head, want) in [
            (&[][..], "", "name at least one profile"),
            (&["nope"][..], "", "no such profile"),
            (
                &["mods", "https://go.example.com/mods/x"][..],
                "garbage\n\n",
                "HTTP status line",
            ),
            (
                &["mods", "https://go.example.com/mods/x"][..],
                "HTTP/1.1 abc\n\n",
                "HTTP status line",
            ),
        ] {
            let e = go(&fake, words, head).0.unwrap_err().to_string();
            assert!(e.contains(want) && !e.contains('\n'), "{words:?}: {e}");
        }
        let only_http =
            "[profiles.l]\nprovider = \"vmware-csp\"\nmatch = [\"http://127.0.0.1:9/\"]\n";
        let e = go(&Fake::new(only_http), &["l"], "")
            .0
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `match` entry served over https"), "{e}");
    }
}
