//! The command tree. These names are what users and their tools type: keep them stable.

use crate::callers::plain::Format;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "tokex",
    version,
    about = "Long-lived cloud secrets in the OS secret store; short-lived bearer tokens for git, kubectl, docker, terraform and scripts",
    after_help = format!("Quick start (offline): tokex demo\nConfig: $TOKEX_CONFIG, else ~/.config/tokex/config.toml.\n\nExit codes:\n{}", crate::error::exit_code_table())
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Add, list, show or remove profiles in the config file
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Store a profile's long-lived secret after checking it with a real exchange, or sign in (OIDC profiles)
    #[command(
        after_help = "Examples: tokex login acme-vcd\n          pass show vcd/acme | tokex login acme-vcd --stdin\n          tokex login corp-k8s --no-browser\nA profile with grant device_code shows a URL and a code to enter in any browser; grant authorization_code opens $BROWSER (else the desktop's browser) and waits for its redirect to 127.0.0.1. Either way the refresh token goes to the profile's store.\nA private_key_jwt profile stores a key: --generate-key makes one and prints its public JWK; --stdin imports a PKCS#8 PEM (EC P-256, or RSA of 2048 bits or more)."
    )]
    Login {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
        /// Read the secret as one line from stdin instead of prompting on the terminal
        #[arg(long)]
        stdin: bool,
        /// Store the secret without checking it at the token endpoint
        #[arg(long)]
        no_verify: bool,
        /// Sign-in profiles: print the sign-in URL instead of opening a browser
        #[arg(long)]
        no_browser: bool,
        /// Sign-in profiles: the longest wait for the user, 1s to 1h (browser default 3m; a device code's own expiry)
        #[arg(long, value_name = "DURATION", value_parser = crate::duration::signin_wait)]
        timeout: Option<u64>,
        /// private_key_jwt profiles: make an EC P-256 key, store it, and print its public JWK (to register the client with)
        #[arg(long, conflicts_with_all = ["stdin", "no_verify"])]
        generate_key: bool,
    },
    /// Delete a profile's stored secret and its cached token (revoking them first where the provider can)
    #[command(
        after_help = "Example: tokex logout acme-idp\nAn oauth2 profile with `revocation_url` has its refresh token and cached access token revoked there (RFC 7009) first; if that fails nothing is deleted, unless --no-revoke."
    )]
    Logout {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
        /// Delete locally without revoking at the provider
        #[arg(long)]
        no_revoke: bool,
    },
    /// Print an access token for a profile
    #[command(
        after_help = "Examples:\n  curl -H \"$(tokex token acme-vcd --format header)\" https://vcd.example.com/cloudapi/1.0.0/orgs\n  eval \"$(tokex token acme-vcd --format env)\""
    )]
    Token {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
        /// How to print it: the token alone, an Authorization header, JSON with its expiry, or shell exports
        #[arg(long, value_enum, default_value = "bare")]
        format: Format,
        /// Minimum remaining validity of the token handed out (e.g. 30s, 5m, 1h)
        #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse, default_value = "1m")]
        min_valid: time::Duration,
        /// Ignore the cache and exchange anew
        #[arg(long)]
        refresh: bool,
    },
    /// Show profiles, where their secrets live and their cached tokens (never a secret)
    #[command(after_help = "Examples:\n  tokex status\n  tokex status acme-vcd")]
    Status {
        /// Only this profile (default: every profile)
        #[arg(add = complete::profiles())]
        name: Option<String>,
    },
    /// Check config, secret store, secrets, endpoints and cache: ok/warn/fail with the fix
    #[command(
        after_help = "Examples:\n  tokex doctor\n  tokex doctor acme-vcd\nThe endpoint check is a GET without credentials; no secret is sent or printed. Exit 1 if any check fails."
    )]
    Doctor {
        /// Check only this profile (default: every profile)
        #[arg(add = complete::profiles())]
        name: Option<String>,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  tokex completions bash > ~/.local/share/bash-completion/completions/tokex\n  tokex completions zsh > \"${fpath[1]}/_tokex\"\n  tokex completions fish > ~/.config/fish/completions/tokex.fish"
    )]
    Completions {
        /// The shell to print the script for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run a command with a fresh token in its environment (the token is never printed)
    #[command(
        after_help = "Examples:\n  tokex exec acme-vcd --env VCD_TOKEN -- env VCD_AUTH_TYPE=token terraform apply\n  tokex exec acme-vcd -- sh -c 'curl -H \"Authorization: Bearer $TOKEX_TOKEN\" https://vcd.example.com/cloudapi/1.0.0/orgs'\nThe variables: --env VAR (repeatable), else the profile's exec_env, else TOKEX_TOKEN; plus TOKEX_TOKEN_EXPIRES_AT. On Unix tokex becomes CMD (exec): CMD's exit status, signals and streams are its own; 127 if CMD is not found, 126 if it cannot run."
    )]
    Exec {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
        /// Variable to put the token in (repeatable; default: the profile's exec_env, else TOKEX_TOKEN)
        #[arg(long = "env", value_name = "VAR")]
        vars: Vec<String>,
        /// Minimum remaining validity of the token handed to CMD (e.g. 30m for a long apply)
        #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse, default_value = "5m")]
        min_valid: time::Duration,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<std::ffi::OsString>,
    },
    /// kubectl exec credential plugin: print an ExecCredential
    #[command(
        after_help = "Example: KUBERNETES_EXEC_INFO is set by kubectl; by hand: tokex kubectl acme-vcd\nkubeconfig: users[].user.exec = {apiVersion: client.authentication.k8s.io/v1, command: tokex, args: [kubectl, NAME], interactiveMode: Never}"
    )]
    Kubectl {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
    },
    /// git credential helper (also run as git-credential-tokex)
    #[command(
        after_help = "Example (~/.gitconfig):\n  [credential \"https://git.example.com\"]\n      helper = tokex\n      useHttpPath = true\nNo matching profile: no output, so git asks its next helper. Unknown operations are ignored."
    )]
    Git {
        /// Use this profile instead of matching the URL against profiles' `match`
        #[arg(long, add = complete::profiles())]
        profile: Option<String>,
        /// get, store, erase or capability (sent by git)
        #[arg(value_parser = crate::callers::git::Op::parse)]
        operation: crate::callers::git::Op,
    },
    /// docker credential helper (also run as docker-credential-tokex)
    #[command(
        after_help = "Example (~/.docker/config.json): {\"credHelpers\": {\"registry.example.com\": \"tokex\"}}\nThe server URL comes on stdin; errors go to stdout, as docker reads them."
    )]
    Docker {
        /// get, store, erase, list or version (sent by docker)
        #[arg(value_parser = crate::callers::docker::Action::parse)]
        action: crate::callers::docker::Action,
    },
    /// Terraform credentials helper (also run as terraform-credentials-tokex)
    #[command(
        after_help = "Example (~/.terraformrc): credentials_helper \"tokex\" {}\nThen `tokex install-helpers` puts terraform-credentials-tokex in ~/.terraform.d/plugins, the only place terraform looks."
    )]
    Terraform {
        /// Use this profile instead of matching HOST against profiles' `match`
        #[arg(long, add = complete::profiles())]
        profile: Option<String>,
        /// get, store or forget (sent by terraform)
        #[arg(value_parser = crate::callers::terraform::Verb::parse)]
        verb: crate::callers::terraform::Verb,
        /// The service host, e.g. app.terraform.io or registry.example.com:8443
        host: String,
    },
    /// Cargo credential provider (also run as cargo-credential-tokex)
    #[command(
        after_help = "Example (.cargo/config.toml):\n  [registries.acme]\n  index = \"sparse+https://crates.example.com/index/\"\n  credential-provider = [\"cargo-credential-tokex\"]\nThe profile's `match` names the index URL; `cargo_auth = \"raw\"` sends the token without `Bearer `."
    )]
    Cargo {
        /// Set by cargo when it runs a credential provider
        #[arg(long)]
        cargo_plugin: bool,
    },
    /// Bazel credential helper (`--credential_helper`; the protocol uv and EngFlow speak too)
    #[command(
        after_help = "Example (.bazelrc): common --credential_helper=cache.example.com=%HOME%/.local/bin/bazel-credential-tokex\n  (`tokex install-helpers` puts bazel-credential-tokex there)\nstdin {\"uri\": …} → {\"headers\":{\"Authorization\":[\"Bearer …\"]},\"expires\":\"…\"}, or {} when no profile matches."
    )]
    Bazel {
        /// `get` (sent by the client)
        #[arg(value_parser = crate::callers::bazel::Command::parse)]
        command: crate::callers::bazel::Command,
    },
    /// Terraform `external` data source: a JSON query naming the profile on stdin, the token as JSON
    #[command(
        after_help = "Example:\n  data \"external\" \"vcd\" {\n    program = [\"tokex\", \"external\"]\n    query   = { profile = \"acme-vcd\" }\n  }\n  # data.external.vcd.result.token, .token_type, .expires_at"
    )]
    External,
    /// pip's and uv's keyring provider (run as `keyring`, made by `tokex install-helpers --keyring`)
    #[command(
        after_help = "Example: pip install --keyring-provider subprocess --index-url https://__token__@pkgs.example.com/simple/ app\n  uv: UV_KEYRING_PROVIDER=subprocess, an index URL with a user name (or authenticate = \"always\")\nThe profile whose `match` fits SERVICE answers; none: no output, exit 1. set and del are refused: tokex stores nothing given here."
    )]
    Keyring {
        /// get (set and del are refused)
        #[arg(value_parser = crate::callers::keyring::Op::parse)]
        operation: crate::callers::keyring::Op,
        /// The index URL, or its host[:port] (sent by pip and uv)
        service: String,
        /// The user name, when the index URL has one
        username: Option<String>,
        /// password: the token alone; creds: the user name, then the token
        #[arg(long, value_enum, default_value = "password")]
        mode: crate::callers::keyring::Mode,
        /// plain: one value per line; json: an object
        #[arg(long, value_enum, default_value = "plain")]
        output: crate::callers::keyring::Output,
    },
    /// Kubernetes kubelet image credential provider (also run as kubelet-credential-tokex)
    #[command(
        after_help = "Example: kubelet --image-credential-provider-config=/etc/kubernetes/credential-providers.yaml --image-credential-provider-bin-dir=/usr/local/lib/kubelet\nstdin: a CredentialProviderRequest; stdout: a CredentialProviderResponse for the image's registry (an empty auth when no profile matches)."
    )]
    Kubelet,
    /// Go's GOAUTH command: credentials for private module fetches (Go 1.24+)
    #[command(
        after_help = "Example: go env -w GOAUTH='tokex goauth acme-mods'\ngo runs it once before its first fetch (each profile's https match prefixes and its header, valid for 10 minutes or more), and again with the URL and the response head on stdin after a 4xx: on a 401 or 403 the profile's cached token is dropped and a fresh one printed."
    )]
    Goauth {
        /// The profiles, then the URL go adds after a 4xx
        #[arg(required = true, value_name = "PROFILE... [URL]", add = complete::profiles())]
        words: Vec<String>,
    },
    /// Google executable-sourced credentials: an OIDC profile's token for workload or workforce identity federation
    #[command(
        after_help = "Example (credential configuration): \"credential_source\": {\"executable\": {\"command\": \"/usr/bin/tokex google-exec corp-oidc\", \"timeout_millis\": 10000}}\nPrints AIP-4117's JSON (success, or failure with exit 1) and nothing on stderr; writes it to $GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE too (0600) when set. The libraries run executables only with GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1."
    )]
    GoogleExec {
        /// The profile (its name in the config; `tokex profile list` shows them)
        #[arg(add = complete::profiles())]
        name: String,
    },
    /// Point a tool at tokex for a profile's matches (git, docker, kubectl, pnpm, uv, pip, go)
    #[command(
        after_help = "Examples:\n  tokex setup git acme-git\n  tokex setup docker acme-registry --dry-run\n  tokex setup pnpm acme-npm\nRunning it again changes nothing. A setting that names another helper is left alone, with a message and exit 2, unless --force."
    )]
    Setup {
        /// The tool to set up
        #[arg(value_enum)]
        tool: Tool,
        /// The profile whose `match` entries the tool should ask tokex for
        #[arg(add = complete::profiles())]
        profile: String,
        /// Print what would change, and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Replace settings that name another helper
        #[arg(long)]
        force: bool,
    },
    /// Link each tool's entry point (git-credential-tokex, docker-credential-tokex, cargo-credential-tokex, bazel-credential-tokex, kubelet-credential-tokex, terraform-credentials-tokex; keyring on request) to this binary
    #[command(
        after_help = "Examples:\n  tokex install-helpers\n  tokex install-helpers --keyring\n  tokex install-helpers --dir /usr/local/bin\ngit, docker, cargo, bazel, pip and uv find their helpers on PATH (default directory ~/.local/bin); terraform only in ~/.terraform.d/plugins."
    )]
    InstallHelpers {
        /// Directory on PATH for the git, docker, cargo, bazel and kubelet entry points
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
        /// Also `keyring`, for pip and uv (the name of Python keyring's own command)
        #[arg(long)]
        keyring: bool,
    },
    /// Serve this user's tokens over a local socket to shells, SSH hosts and containers (never a secret)
    #[command(
        after_help = "Examples:\n  eval \"$(tokex agent --log ~/.tokex-agent.log &)\"   # sets TOKEX_AGENT in this shell\n  tokex agent --allow acme-git --socket ~/.tokex/acme.sock   # a scoped agent, to forward\n  ssh -R /tmp/tokex-$USER.sock:$HOME/.tokex/acme.sock build-host\nClients (every entry point) use the agent when TOKEX_AGENT names its socket, with no config of their own. Without --allow it serves every profile, to this user only; with --allow, only those profiles, to any local user who can reach the socket. One log line per request (time, peer uid and pid, caller, profile, outcome)."
    )]
    Agent {
        /// Listen here (default: $XDG_RUNTIME_DIR/tokex/agent.sock, else a private temporary directory; on Windows the named pipe \\.\pipe\tokex-USER)
        #[arg(long, value_name = "PATH")]
        socket: Option<std::path::PathBuf>,
        /// Serve only this profile (repeatable), and to peers of any user
        #[arg(long, value_name = "PROFILE", add = complete::profiles())]
        allow: Vec<String>,
        /// Append the request log here instead of stderr
        #[arg(long, value_name = "FILE")]
        log: Option<std::path::PathBuf>,
    },
    /// Manage the token cache
    #[command(subcommand)]
    Cache(CacheCmd),
    /// Run an offline demonstration against built-in loopback fakes of all six providers and an OIDC issuer
    #[command(
        after_help = "Example: tokex demo\nProfiles and tokens of the demo live in a temporary directory; its secrets (a demo string) go to your secret store under demo-…-PID names, and logout removes them at the end."
    )]
    Demo,
    /// Renew a token in the background (started by tokex itself when a cache hit finds the token near its end)
    #[command(
        name = "__refresh-ahead",
        hide = true,
        after_help = "Example: none; a cache hit runs `tokex __refresh-ahead NAME` detached, with no streams"
    )]
    RefreshAhead { name: String },
}

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// Add a profile
    #[command(
        after_help = "Examples:\n  tokex profile add acme-vcd --provider vcd --url https://vcd.example.com --tenant acme\n  tokex profile add csp --provider vmware-csp\n  tokex profile add idp --provider oauth2 --token-url https://idp.example.com/token --client-id ci-bot --scope api\n  tokex profile add corp-k8s --provider oauth2 --issuer https://sso.example.com/realms/corp --client-id kubectl --grant device_code --id-token"
    )]
    Add(Box<AddArgs>),
    /// List profiles
    #[command(after_help = "Example: tokex profile list")]
    List,
    /// Show one profile's settings (never its secret)
    #[command(after_help = "Example: tokex profile show acme-vcd")]
    Show {
        /// The profile
        #[arg(add = complete::profiles())]
        name: String,
        /// private_key_jwt profiles: print the stored key's public JWK instead
        #[arg(long)]
        jwk: bool,
    },
    /// Remove a profile: its stored secret and cached token (revoked first where the provider can, as `tokex logout`), then its table in the config
    #[command(
        after_help = "Examples:\n  tokex profile remove acme-vcd\n  tokex profile remove acme-vcd --keep-secret"
    )]
    Remove {
        /// The profile
        #[arg(add = complete::profiles())]
        name: String,
        /// Leave the stored secret in its store (re-adding the profile finds it again)
        #[arg(long)]
        keep_secret: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheCmd {
    /// Delete cached tokens, for one profile or all
    #[command(after_help = "Examples:\n  tokex cache clear\n  tokex cache clear acme-vcd")]
    Clear {
        /// Only this profile's token (default: every cached token)
        #[arg(add = complete::profiles())]
        name: Option<String>,
    },
}

/// The tools `tokex setup` configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    Git,
    Docker,
    Kubectl,
    Pnpm,
    Uv,
    Pip,
    Go,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Git => "git",
            Tool::Docker => "docker",
            Tool::Kubectl => "kubectl",
            Tool::Pnpm => "pnpm",
            Tool::Uv => "uv",
            Tool::Pip => "pip",
            Tool::Go => "go",
        }
    }
}

mod add;
mod entry;
pub use entry::{ENTRY_POINTS, KEYRING_ENTRY_POINT, args_with_entry_point, with_entry_point};
mod usage;
pub use add::AddArgs;
pub use usage::{hint, one_line};

pub mod complete;
#[cfg(test)]
mod tests;
