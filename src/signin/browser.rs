//! Opening the sign-in page: the command in `$BROWSER` when set (the convention xdg-open and
//! Python's webbrowser follow: a list of commands, `%s` standing for the URL, else the URL
//! appended), else the platform's opener. The browser gets no stdin and no stdout: tokex's
//! stdout may be a caller's protocol (kubectl reads an ExecCredential from it).

use std::process::Stdio;

/// How the page was opened, or why it was not (the URL is printed either way).
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The program that was started.
    With(String),
    NotOpened(String),
}

pub fn open(url: &str) -> Opened {
    let from_env = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let candidates: Vec<Vec<String>> = match &from_env {
        Some(list) => list
            .split(crate::platform::BROWSER_LIST_SEPARATOR)
            .filter_map(|entry| command_line(entry, url))
            .collect(),
        None => match crate::platform::url_opener() {
            Some((program, args)) => {
                let mut argv: Vec<String> = std::iter::once(program)
                    .chain(args.iter().copied())
                    .map(String::from)
                    .collect();
                argv.push(url.to_string());
                vec![argv]
            }
            None => {
                return Opened::NotOpened(
                    "no graphical session here (DISPLAY and WAYLAND_DISPLAY are unset) and no $BROWSER".into(),
                );
            }
        },
    };
    let mut last = String::from("$BROWSER names no command");
    for argv in candidates {
        match spawn(&argv) {
            Ok(()) => return Opened::With(argv[0].clone()),
            Err(e) => last = format!("cannot run {}: {e}", argv[0]),
        }
    }
    Opened::NotOpened(last)
}

/// One `$BROWSER` entry as argv, split as a POSIX shell would (quotes allowed), with `%s`
/// replaced by the URL or the URL appended; `None` for an empty or unparsable entry.
fn command_line(entry: &str, url: &str) -> Option<Vec<String>> {
    let mut words = shlex::split(entry.trim()).filter(|w| !w.is_empty())?;
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    Some(words)
}

/// Starts the browser without waiting for it (a browser may run until its window closes); a
/// thread reaps it.
fn spawn(argv: &[String]) -> std::io::Result<()> {
    let mut child = crate::platform::command(std::ffi::OsStr::new(&argv[0]))
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()?;
    std::thread::spawn(move || {
        if let Ok(status) = child.wait()
            && !status.success()
        {
            crate::log::debug(|| format!("the browser command exited with {status}"));
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_become_argv() {
        let url = "https://idp.example/auth?a=1&b='2'";
        assert_eq!(
            command_line("firefox --new-tab", url).unwrap(),
            ["firefox", "--new-tab", url]
        );
        assert_eq!(
            command_line("'/opt/My Browser/run' --url=%s --x", url).unwrap(),
            ["/opt/My Browser/run", &format!("--url={url}"), "--x"]
        );
        assert_eq!(command_line("  ", url), None);
        assert_eq!(command_line("\"unterminated", url), None);
    }
}
