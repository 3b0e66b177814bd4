//! The transport rule every URL tokex sends a secret to obeys: `https://` always, `http://` only
//! to a loopback address where nothing crosses a network, and never credentials in the URL.

use crate::error::{Error, Result};

pub fn check_url(value: &str) -> Result<reqwest::Url> {
    let url = reqwest::Url::parse(value)
        .map_err(|e| Error::usage(format!("{value:?} is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::usage(format!(
                "{value} uses http://, which is allowed only for loopback addresses; use https://"
            )));
        }
        other => {
            return Err(Error::usage(format!(
                "{value}: unsupported scheme {other:?}"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!("{value} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "{} carries credentials in the URL; keep secrets in the store",
            url.host_str().unwrap_or("")
        )));
    }
    Ok(url)
}

pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `host[:port]` as it goes in a `Host` header and in messages.
pub fn host(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_for_loopback() {
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("http://[::1]:8080/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        let e = check_url("http://vcd.example.com").unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        assert!(check_url("ftp://x.example").is_err());
        assert!(check_url("https://user:pw@x.example").is_err());
        assert!(check_url("not a url").is_err());
    }
}
