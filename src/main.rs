use clap::Parser;

fn main() {
    let cli = match tokex::cli::Cli::try_parse_from(tokex::cli::args_with_entry_point()) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // clap's first line says what is wrong; its usage hints would break the one-line rule.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "tokex: {} (see --help)",
                first.trim_start_matches("error: ")
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = tokex::app::run(cli) {
        if !e.is_reported() {
            eprintln!("tokex: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
