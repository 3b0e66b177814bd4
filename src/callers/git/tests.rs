use super::*;
use crate::callers::fake::Fake;

const CONFIG: &str =
    "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"git.example.com\"]\nusername = \"svc\"\n";
const EXPIRY: &str = "password_expiry_utc=1795431540\n"; // 10:59:00Z, a minute early

fn get(fake: &Fake, request: &str) -> Result<String> {
    let mut out = Vec::new();
    serve(Op::Get, None, fake, &mut request.as_bytes(), &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn parses_what_git_sends() {
    let r = Request::parse(
        b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com:8443\nwwwauth[]=Bearer realm=\"x\"\nwwwauth[]=Basic realm=\"x\"\nfuture=1\n\nafter=ignored\n",
    )
    .unwrap();
    assert_eq!(r.capabilities, ["authtype", "state"]);
    assert_eq!(r.host.as_deref(), Some("git.example.com:8443"));
    assert_eq!(r.wwwauth.len(), 2);
    assert!(r.wants_bearer());
    let r = Request::parse(b"capability[]=authtype\ncapability[]=\nprotocol=https").unwrap();
    assert!(r.capabilities.is_empty());
}

#[test]
fn the_codec_is_an_exact_inverse() {
    let wire = "protocol=https\nhost=h.example\npath=a/b=c\nwwwauth[]=Bearer x=\"y\"\nempty=\n";
    let pairs = parse(wire.as_bytes()).unwrap();
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(write(&borrowed).unwrap(), wire);
    assert_eq!(parse(write(&borrowed).unwrap().as_bytes()).unwrap(), pairs);
    // A CRLF line ending reads as LF does.
    assert_eq!(
        parse(b"host=h\r\n").unwrap(),
        [("host".to_string(), "h".to_string())]
    );
}

#[test]
fn malformed_lines_are_errors() {
    for (bad, want) in [
        (
            &b"protocol=https\nnoequals\n"[..],
            "line 2 of git's request is not key=value",
        ),
        (b"host=a\0b\n", "NUL"),
        (b"host=a\rb\n", "carriage return"),
        (b"host=\xff\n", "not UTF-8"),
    ] {
        let e = Request::parse(bad).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
    let long = format!("host={}\n", "a".repeat(MAX_LINE));
    assert!(Request::parse(long.as_bytes()).is_err());
}

#[test]
fn the_writer_refuses_to_inject_a_line() {
    for (key, value) in [
        ("username", "svc\npassword=x"),
        ("username", "a\rb"),
        ("password", "a\0b"),
    ] {
        let e = write(&[(key, value)]).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains("line break"), "{e}");
    }
    assert!(write(&[("a=b", "v")]).is_err());
    assert!(write(&[("", "v")]).is_err());
    // A configured username with a newline never reaches git.
    let fake = Fake::new(
        "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"h\"]\nusername = \"svc\\npassword=evil\"\n",
    );
    let e = get(&fake, "protocol=https\nhost=h\n").unwrap_err();
    assert!(e.to_string().contains("line break"), "{e}");
}

#[test]
fn bearer_when_git_and_the_server_allow_it() {
    let fake = Fake::new(CONFIG);
    assert_eq!(
        get(
            &fake,
            "capability[]=authtype\nprotocol=https\nhost=git.example.com\n"
        )
        .unwrap(),
        format!("capability[]=authtype\nauthtype=Bearer\ncredential=tok\nephemeral=true\n{EXPIRY}")
    );
    // The server asked for Basic only: the token goes as the password.
    assert_eq!(
        get(&fake, "capability[]=authtype\nprotocol=https\nhost=git.example.com\nwwwauth[]=Basic realm=\"r\"\n").unwrap(),
        format!("username=svc\npassword=tok\n{EXPIRY}")
    );
    // git's username rules out a profile configured for another user.
    assert_eq!(
        get(&fake, "protocol=https\nhost=git.example.com\nusername=me\n").unwrap(),
        ""
    );
    assert_eq!(fake.asked(), ["token p 60", "token p 60"]);
    // An older git, or `git credential fill` without the capability line: git's username wins.
    let anyone =
        Fake::new("[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"git.example.com\"]\n");
    assert_eq!(
        get(
            &anyone,
            "protocol=https\nhost=git.example.com\nusername=me\n"
        )
        .unwrap(),
        format!("username=me\npassword=tok\n{EXPIRY}")
    );
}

#[test]
fn no_match_is_silence_and_unknown_operations_are_ignored() {
    let fake = Fake::new(CONFIG);
    assert_eq!(
        get(&fake, "protocol=https\nhost=other.example.com\n").unwrap(),
        ""
    );
    let mut out = Vec::new();
    serve(
        Op::Unknown("frobnicate".into()),
        None,
        &fake,
        &mut &b"garbage"[..],
        &mut out,
    )
    .unwrap();
    serve(Op::Capability, None, &fake, &mut &b""[..], &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "version 0\ncapability authtype\n"
    );
    assert!(fake.asked().is_empty());
}

#[test]
fn erase_names_the_rejected_credential() {
    let fake = Fake::new(CONFIG);
    let req = "protocol=https\nhost=git.example.com\nusername=svc\npassword=old\n";
    serve(Op::Erase, None, &fake, &mut req.as_bytes(), &mut Vec::new()).unwrap();
    serve(Op::Store, None, &fake, &mut req.as_bytes(), &mut Vec::new()).unwrap();
    assert_eq!(fake.asked(), ["forget p old"]);
}
