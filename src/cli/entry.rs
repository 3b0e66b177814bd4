//! The names under which the binary speaks one tool's protocol.

/// The entry points `tokex install-helpers` makes, each as `tokex SUBCOMMAND`.
pub const ENTRY_POINTS: [(&str, &str); 6] = [
    ("cargo-credential-tokex", "cargo"),
    ("git-credential-tokex", "git"),
    ("docker-credential-tokex", "docker"),
    ("terraform-credentials-tokex", "terraform"),
    ("bazel-credential-tokex", "bazel"),
    ("kubelet-credential-tokex", "kubelet"),
];

/// pip's and uv's `keyring`: made only when asked (`install-helpers --keyring`), as the name is
/// Python keyring's.
pub const KEYRING_ENTRY_POINT: (&str, &str) = ("keyring", "keyring");

/// The process arguments, with the subcommand inserted when the binary runs under an entry
/// point's name (a symlink or copy named `git-credential-tokex`, `git-credential-tokex.exe`, …).
pub fn args_with_entry_point() -> Vec<std::ffi::OsString> {
    with_entry_point(std::env::args_os().collect())
}

/// `args` as [`args_with_entry_point`] rewrites them.
pub fn with_entry_point(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let invoked = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .map(crate::platform::program_name)
        .unwrap_or("");
    // The background refresher is started as this same file, whatever its name.
    let refresher = args
        .get(1)
        .is_some_and(|a| a == crate::broker::REFRESH_AHEAD_SUBCOMMAND);
    if let Some((_, sub)) = ENTRY_POINTS
        .iter()
        .chain([&KEYRING_ENTRY_POINT])
        .find(|(name, _)| entry_point_matches(invoked, name))
        .filter(|_| !refresher)
    {
        args.insert(1, sub.into());
    }
    args
}

/// Terraform allows a version suffix (`terraform-credentials-tokex_v0.1.0`).
fn entry_point_matches(invoked: &str, name: &str) -> bool {
    invoked
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("_v"))
}
