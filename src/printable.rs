//! Text tokex did not write — a server's error, a discovery document, a sign-in callback, a
//! caller's request — made safe to show: a terminal interprets ESC, OSC and other control
//! characters (a clipboard write, a line drawn over the real one, a fake `tokex:` line), and
//! Unicode format characters (bidi overrides, zero-width joiners) make what is read differ from
//! what is there. Every message that carries such text goes through [`printable`].

/// How much of a request a message quotes.
pub const SHORT: usize = 40;
/// How much of a server's message, or of a value from the config or the environment, one line
/// carries.
pub const LINE: usize = 200;
/// A URL the user is to open or compare: whole, as any browser takes it.
pub const URL: usize = 2048;

/// What stands where a character was refused: visible, so nothing is silently hidden.
const REPLACEMENT: char = '\u{FFFD}';

/// `text` on one line, every control and format character replaced, at most `max` characters
/// (an ellipsis says it was cut). Secrets must be scrubbed before: cutting first could leave a
/// recognisable prefix that the scrubber no longer sees whole.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (shown, c) in text.chars().enumerate() {
        if shown == max {
            out.push('…');
            break;
        }
        out.push(if is_unsafe(c) { REPLACEMENT } else { c });
    }
    out
}

/// Whether a terminal could act on `c` or draw something other than what it is: the control
/// characters (C0, DEL, C1), the line and paragraph separators, and the format characters
/// (Unicode category Cf: bidi embeddings, overrides and isolates, zero-width characters, the
/// soft hyphen, interlinear annotations, tags).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_and_bidi_are_replaced() {
        let osc52 = "ok\u{1b}]52;c;ZXZpbA==\u{7}\r\ntokex: fake\u{9b}31m";
        let shown = printable(osc52, LINE);
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        assert!(!shown.contains('\n') && !shown.contains('\u{1b}'));
        let bidi = "https://good.example/\u{202E}lim.live\u{2066}x\u{200B}";
        let shown = printable(bidi, LINE);
        assert_eq!(
            shown,
            "https://good.example/\u{FFFD}lim.live\u{FFFD}x\u{FFFD}"
        );
    }

    #[test]
    fn length_is_bounded_and_says_so() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("abc", 3), "abc");
        assert_eq!(printable("", 3), "");
        assert_eq!(printable("ünïcödé", 40), "ünïcödé");
    }
}
