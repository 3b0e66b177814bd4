//! A parse error as one line, and what to do about it where the words alone would not say.

/// clap's error on one line: what is wrong and which argument, without the usage block.
pub fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut parts = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.trim_start_matches("error: ").trim_end_matches(':'));
        }
    }
    match parts.as_slice() {
        [] => "invalid arguments".into(),
        [head, rest @ ..] if !rest.is_empty() => format!("{head}: {}", rest.join(", ")),
        [head, ..] => head.to_string(),
    }
}

/// What to do about a parse error, where the words alone would not say it: `tokex exec NAME
/// CMD` without `--` reads CMD as an argument of tokex's.
pub fn hint(e: &clap::Error, args: &[std::ffi::OsString]) -> &'static str {
    let exec = args.get(1).is_some_and(|a| a == "exec");
    let no_separator = !args.iter().any(|a| a == "--");
    if exec && no_separator && e.kind() == clap::error::ErrorKind::UnknownArgument {
        "; the command goes after `--`: tokex exec NAME -- CMD [ARGS...]"
    } else {
        ""
    }
}
