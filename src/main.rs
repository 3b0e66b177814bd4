use clap::Parser;

fn main() {
    let cli = tokex::cli::Cli::parse();
    if let Err(e) = tokex::app::run(cli) {
        eprintln!("tokex: {e}");
        std::process::exit(e.exit_code());
    }
}
