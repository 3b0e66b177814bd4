//! `tokex`, the program users and their tools run: it answers the hot commands' cache hits itself
//! (`tokex::fast`) and hands everything else to `tokex-engine`, installed beside it.

fn main() {
    let args = tokex::cli::args_with_entry_point();
    let input = match tokex::fast::parse(&args) {
        Some(cmd) => {
            let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
            match tokex::fast::serve(&cmd, &mut stdin.lock(), &mut stdout.lock()) {
                tokex::fast::Outcome::Served(code) => std::process::exit(code),
                tokex::fast::Outcome::Engine(input) => input,
            }
        }
        None => Vec::new(),
    };
    let engine = tokex::platform::sibling_program("tokex-engine");
    let error = match &engine {
        Ok(path) => tokex::platform::become_engine(path, &args[1..], &input),
        Err(e) => std::io::Error::new(e.kind(), e.to_string()),
    };
    let shown = engine.map(|p| p.display().to_string()).unwrap_or_default();
    eprintln!("tokex: cannot run {shown}: {error} (it is installed beside tokex; reinstall tokex)");
    std::process::exit(1);
}
