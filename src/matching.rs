//! Which profile serves a caller's URL. A profile's `match` entries are URL prefixes
//! (`[scheme://]host[:port][/path]`); the most specific entry that matches wins, a username the
//! caller sends rules out profiles for other users, and a tie between two profiles is an error
//! that names both, never a guess.

use crate::error::{Error, Result};

/// One profile as the matcher sees it: pure data, so matching knows nothing of configs.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub patterns: &'a [String],
    pub username: Option<&'a str>,
}

/// What a caller asks credentials for, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// `https`, `http`, …; `None` when the caller gave a bare host (docker, terraform).
    scheme: Option<String>,
    /// Lower-case host name or IP literal, without the port.
    host: String,
    port: Option<u16>,
    /// Path segments, without empty ones.
    path: Vec<String>,
    username: Option<String>,
}

impl Target {
    /// From git's `protocol`, `host` (which includes any port) and `path` attributes.
    pub fn from_git(
        protocol: &str,
        host: &str,
        path: Option<&str>,
        username: Option<&str>,
    ) -> Result<Target> {
        Ok(
            Target::parse(&format!("{protocol}://{host}/{}", path.unwrap_or("")))?
                .for_user(username),
        )
    }

    /// The same target, asked for by `username` (a caller that names its user, as pip and uv
    /// do): profiles for other users are then ruled out.
    pub fn for_user(mut self, username: Option<&str>) -> Target {
        self.username = username.filter(|u| !u.is_empty()).map(str::to_string);
        self
    }

    /// From a URL (`https://host:port/path`) or a bare `host[:port][/path]` as docker and
    /// terraform send it.
    pub fn parse(text: &str) -> Result<Target> {
        let text = text.trim();
        let bad = |why: &str| Error::usage(format!("{:?} is not a host or URL: {why}", clip(text)));
        let (scheme, rest) = match text.split_once("://") {
            Some((s, rest)) => {
                if s.is_empty()
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                {
                    return Err(bad("bad scheme"));
                }
                (Some(s.to_ascii_lowercase()), rest)
            }
            None => (None, text),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        // Userinfo never names the profile; drop it so `user@host` still matches.
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_port(authority).ok_or_else(|| bad("bad port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/?#\\\"'<>".contains(c))
        {
            return Err(bad("the host has characters a host cannot have"));
        }
        let path = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Target {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path,
            username: None,
        })
    }

    fn effective_port(&self) -> Option<u16> {
        self.port.or(match self.scheme.as_deref() {
            Some("http") => Some(80),
            // A bare host from docker or terraform is reached over https.
            Some("https") | None => Some(443),
            _ => None,
        })
    }

    /// How specific `pattern` is for this target, or `None` if it does not match. A token goes
    /// only to https: a pattern without a scheme means https for a URL (git, cargo, Bazel) and
    /// the host itself for a bare host (docker, terraform, whose targets carry no scheme), and
    /// plain http matches only a pattern that names `http://` for a loopback host.
    fn score(&self, pattern: &Target) -> Option<(usize, bool, bool)> {
        let scheme_ok = match (self.scheme.as_deref(), pattern.scheme.as_deref()) {
            (Some("https") | None, None | Some("https")) => true,
            (Some("http") | None, Some("http")) => is_loopback_host(&self.host),
            _ => false,
        };
        if !scheme_ok {
            return None;
        }
        if pattern.host != self.host {
            return None;
        }
        let port_ok = match pattern.port {
            Some(p) => self.effective_port() == Some(p),
            // No port in the pattern: the target's scheme's default port only.
            None => {
                self.port.is_none()
                    || self.effective_port() == pattern.with_scheme(&self.scheme).effective_port()
            }
        };
        if !port_ok || !self.path.starts_with(&pattern.path) {
            return None;
        }
        Some((
            pattern.path.len(),
            pattern.port.is_some(),
            pattern.scheme.is_some(),
        ))
    }

    fn with_scheme(&self, scheme: &Option<String>) -> Target {
        let mut t = self.clone();
        if t.scheme.is_none() {
            t.scheme = scheme.clone();
        }
        t
    }
}

fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    // IPv6 literals keep their brackets: `[::1]:8443`.
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = &authority[..inside.len() + 2];
        return match after {
            "" => Some((host, None)),
            p => Some((host, Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h, Some(p.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`: hosts whose traffic never leaves the machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback())
}

fn clip(s: &str) -> String {
    crate::printable::printable(s, crate::printable::LINE)
}

/// The candidate that serves `target`: `None` when none matches it.
pub fn select<'a>(
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    target: &Target,
) -> Result<Option<&'a str>> {
    let mut best: Vec<&str> = Vec::new();
    let mut best_score = None;
    for c in candidates {
        if let (Some(want), Some(have)) = (&target.username, c.username)
            && want != have
        {
            continue;
        }
        let score = c
            .patterns
            .iter()
            .filter_map(|m| Target::parse(m).ok())
            .filter_map(|p| target.score(&p))
            .max();
        let Some(score) = score else { continue };
        match best_score.cmp(&Some(score)) {
            std::cmp::Ordering::Less => {
                best_score = Some(score);
                best = vec![c.name];
            }
            std::cmp::Ordering::Equal => best.push(c.name),
            std::cmp::Ordering::Greater => {}
        }
    }
    match best.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        [a, b, ..] => Err(Error::usage(format!(
            "profiles {a} and {b} both match {}; make one `match` entry more specific, set `username` on each, or name the profile with --profile",
            target.display()
        ))),
    }
}

impl Target {
    /// For messages: `https://host:port/path`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(scheme) = &self.scheme {
            s.push_str(scheme);
            s.push_str("://");
        }
        s.push_str(&self.host);
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        for seg in &self.path {
            s.push('/');
            s.push_str(seg);
        }
        // A caller's path may carry anything.
        crate::printable::printable(&s, crate::printable::LINE)
    }
}

/// Checks one `match` entry when a profile is loaded or added: a host or URL whose scheme, if
/// any, is `https`, or `http` for a loopback host (nothing else would ever be served).
pub fn check_pattern(pattern: &str) -> std::result::Result<(), String> {
    let t = Target::parse(pattern).map_err(|e| e.message().to_string())?;
    match t.scheme.as_deref() {
        None | Some("https") => Ok(()),
        Some("http") if is_loopback_host(&t.host) => Ok(()),
        Some("http") => Err(format!(
            "{}: tokens are sent over plain http only to loopback hosts; use https://",
            clip(pattern)
        )),
        Some(other) => Err(format!(
            "{}: scheme {other:?} is not served; use https:// or a bare host",
            clip(pattern)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, match entries, username)
    type Profiles = Vec<(&'static str, Vec<String>, Option<&'static str>)>;

    fn profiles(list: &[(&'static str, &[&str], Option<&'static str>)]) -> Profiles {
        list.iter()
            .map(|(n, m, u)| (*n, m.iter().map(|s| s.to_string()).collect(), *u))
            .collect()
    }

    fn candidates(c: &Profiles) -> impl Iterator<Item = Candidate<'_>> {
        c.iter().map(|(name, patterns, username)| Candidate {
            name,
            patterns,
            username: *username,
        })
    }

    fn pick(c: &Profiles, t: Target) -> Option<&'static str> {
        select(candidates(c), &t)
            .unwrap()
            .map(|n| c.iter().find(|p| p.0 == n).unwrap().0)
    }

    #[test]
    fn longest_match_wins() {
        let c = profiles(&[
            ("vcd", &["https://vcd.example.com", "git.example.com"], None),
            (
                "acme-git",
                &["git.example.com/acme/", "127.0.0.1:5000"],
                None,
            ),
        ]);
        let git = |path| Target::from_git("https", "git.example.com", Some(path), None).unwrap();
        assert_eq!(pick(&c, git("acme/repo.git")), Some("acme-git"));
        assert_eq!(pick(&c, git("acmex/repo.git")), Some("vcd"));
        assert_eq!(pick(&c, git("")), Some("vcd"));
        let p = |s| Target::parse(s).unwrap();
        assert_eq!(pick(&c, p("vcd.example.com")), Some("vcd"));
        assert_eq!(pick(&c, p("https://VCD.example.com:443/api")), Some("vcd"));
        assert_eq!(pick(&c, p("http://vcd.example.com")), None);
        assert_eq!(pick(&c, p("vcd.example.com:8443")), None);
        assert_eq!(pick(&c, p("127.0.0.1:5000")), Some("acme-git"));
        assert_eq!(pick(&c, p("https://127.0.0.1:5000/v2/")), Some("acme-git"));
        assert_eq!(pick(&c, p("127.0.0.1")), None);
        assert_eq!(pick(&c, p("example.com")), None);
    }

    #[test]
    fn ties_are_errors_unless_the_username_decides() {
        let c = profiles(&[
            ("alice", &["git.example.com"], Some("alice")),
            ("bob", &["https://git.example.com"], Some("bob")),
        ]);
        let t = |u| Target::from_git("https", "git.example.com", None, u).unwrap();
        assert_eq!(pick(&c, t(Some("bob"))), Some("bob"));
        assert_eq!(pick(&c, t(Some("alice"))), Some("alice"));
        assert_eq!(pick(&c, t(Some("carol"))), None);
        // Without a username, the pattern with the scheme is more specific.
        assert_eq!(pick(&c, t(None)), Some("bob"));
        let c = profiles(&[
            ("alice", &["git.example.com"], None),
            ("bob", &["git.example.com"], None),
        ]);
        let e = select(candidates(&c), &t(None)).unwrap_err().to_string();
        assert!(
            e.contains("alice and bob both match https://git.example.com"),
            "{e}"
        );
    }

    #[test]
    fn a_token_goes_to_https_unless_a_loopback_pattern_names_http() {
        let c = profiles(&[
            ("bare", &["git.example.com"], None),
            ("local", &["http://127.0.0.1:8080", "localhost:5000"], None),
        ]);
        let p = |s| Target::parse(s).unwrap();
        assert_eq!(pick(&c, p("https://git.example.com/x")), Some("bare"));
        assert_eq!(pick(&c, p("git.example.com")), Some("bare"));
        for refused in [
            "http://git.example.com/x",
            "ftp://git.example.com",
            "ssh://git.example.com",
            // Loopback, but no pattern names http:// for it.
            "http://localhost:5000",
        ] {
            assert_eq!(pick(&c, p(refused)), None, "{refused}");
        }
        assert_eq!(pick(&c, p("http://127.0.0.1:8080/repo")), Some("local"));
        assert_eq!(pick(&c, p("127.0.0.1:8080")), Some("local"));
        assert_eq!(pick(&c, p("https://localhost:5000/v2/")), Some("local"));
        assert!(check_pattern("http://[::1]:9/x").is_ok());
        assert!(check_pattern("http://localhost").is_ok());
        let e = check_pattern("http://git.example.com").unwrap_err();
        assert!(e.contains("only to loopback"), "{e}");
        assert!(check_pattern("ftp://git.example.com").is_err());
        assert!(check_pattern("http://127.0.0.1.evil.example").is_err());
    }

    #[test]
    fn hosts_and_urls_parse_strictly() {
        let t = Target::parse("[::1]:8443/x").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("[::1]", Some(8443)));
        assert_eq!(Target::parse("user@h.example").unwrap().host, "h.example");
        for bad in [
            "",
            "h:99999",
            "h:x",
            "a b",
            "://h",
            "ht tp://h",
            "[::1",
            "h\"x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?}");
        }
    }
}
