use clap::Parser;
use std::io::IsTerminal;

fn main() {
    tokex::platform::harden_process();
    tokex::cli::complete::answer_if_asked();
    let args = tokex::cli::args_with_entry_point();
    let cli = match tokex::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            eprintln!(
                "tokex: {}{} (see --help)",
                tokex::cli::one_line(&e),
                tokex::cli::hint(&e, &args)
            );
            std::process::exit(2);
        }
    };
    let result = tokex::app::Setup::from_env().and_then(|setup| {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        let mut io = tokex::commands::Io {
            terminal: stdin.is_terminal(),
            stdin: &mut stdin.lock(),
            stdout: &mut stdout.lock(),
            // Not held locked: other threads (the agent's connections, their warnings and
            // debug notes) write to stderr while this one runs; it buffers nothing anyway.
            stderr: &mut std::io::stderr(),
        };
        tokex::app::run(cli, setup, &mut io)
    });
    if let Err(e) = result {
        if !e.is_reported() {
            eprintln!("tokex: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
