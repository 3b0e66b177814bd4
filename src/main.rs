//! `tokex`, the program users and their tools run: it answers the hot commands' cache hits itself
//! (`tokex::fast`) and hands everything else to `tokex-engine`, installed beside it.
//!
//! On Unix it skips std's start-up, whose main-thread stack-guard probe (reading
//! `/proc/self/maps`) costs a sixth of a hit; `platform::bare_start` does the two things of it
//! that matter here.
#![cfg_attr(unix, no_main)]

#[cfg(unix)]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    tokex::platform::bare_start();
    // SAFETY: these are the C runtime's own argc and argv, given to this very `main`.
    run(unsafe { tokex::platform::main_args(argc, argv) })
}

#[cfg(not(unix))]
fn main() {
    run(std::env::args_os().collect())
}

fn run(args: Vec<std::ffi::OsString>) -> ! {
    tokex::platform::harden_process();
    let args = tokex::cli::with_entry_point(args);
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
        Ok(path) => tokex::platform::become_engine(path, args.get(1..).unwrap_or_default(), &input),
        Err(e) => std::io::Error::new(e.kind(), e.to_string()),
    };
    let shown = engine.map(|p| p.display().to_string()).unwrap_or_default();
    eprintln!(
        "tokex: cannot run {shown}: {error} (it is installed beside tokex: reinstall tokex; in a source checkout, `cargo build` builds both)"
    );
    std::process::exit(1);
}
