//! The agent over real SSH: a private `sshd` (Debian's OpenSSH) on 127.0.0.1 with its own host
//! key and config, a throw-away account, and `ssh -R` forwarding the agent's socket. On the
//! remote side `tokex token` and real git get the token; afterwards nothing of that account
//! (its files, its kernel keys, its environment) holds the long-lived secret.

// sshd, useradd and Unix-socket forwarding: Linux, as root.
#![cfg(target_os = "linux")]

use crate::agent::Agent;
use crate::support::keyring;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SSHD: &str = "/usr/sbin/sshd";
const SECRET: &str = "client-secret-never-forwarded";

/// A throw-away account with its home in a directory of its own; removed when dropped.
struct Account {
    name: String,
    home: PathBuf,
    _parent: tempfile::TempDir,
}

impl Account {
    fn create() -> Account {
        let parent = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            parent.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let name = format!("tkx{}", std::process::id());
        let home = parent.path().join(&name);
        // `*`: no password, yet not locked (sshd refuses a locked account even with a key).
        let out = Command::new("useradd")
            .args([
                "-m",
                "-d",
                home.to_str().unwrap(),
                "-s",
                "/bin/sh",
                "-p",
                "*",
            ])
            .arg(&name)
            .output()
            .expect("useradd");
        assert!(out.status.success(), "useradd: {}", stderr(&out));
        Account {
            name,
            home,
            _parent: parent,
        }
    }

    /// Every file under the home, read as bytes.
    fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    walk(&path, out);
                } else if meta.is_file() {
                    out.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home, &mut out);
        out
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("userdel")
            .args(["-r", "-f", &self.name])
            .output();
    }
}

struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start(account: &Account) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let keygen = |path: &Path| {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path)
                .output()
                .expect("ssh-keygen");
            assert!(out.status.success(), "ssh-keygen: {}", stderr(&out));
        };
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("id"));
        let ssh_dir = account.home.join(".ssh");
        std::fs::create_dir_all(&ssh_dir).unwrap();
        std::fs::copy(dir.path().join("id.pub"), ssh_dir.join("authorized_keys")).unwrap();
        let uid = uid_of(&account.name);
        keyring::chown_tree(&ssh_dir, uid);
        // The privilege-separation directory a package's service would have made.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile none\nUsePAM no\n\
                 StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nAllowUsers {}\nAllowStreamLocalForwarding yes\n\
                 StreamLocalBindUnlink yes\nPermitUserEnvironment no\n",
                dir.path().join("host_key").display(),
                account.name
            ),
        )
        .unwrap();
        let mut child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd");
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Sshd { child, port, dir };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("sshd never listened on {port}");
    }

    /// `ssh -R remote:local account@127.0.0.1 command`.
    fn run(&self, account: &Account, remote: &Path, local: &Path, command: &str) -> Output2 {
        let mut c = Command::new("ssh");
        c.args(["-F", "/dev/null", "-i"])
            .arg(self.dir.path().join("id"))
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "ExitOnForwardFailure=yes",
                "-o",
                "LogLevel=ERROR",
                "-p",
                &self.port.to_string(),
                "-R",
            ])
            .arg(format!("{}:{}", remote.display(), local.display()))
            .arg(format!("{}@127.0.0.1", account.name))
            .arg(command)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = wait_bounded(c.spawn().unwrap(), 60);
        Output2 {
            ok: out.status.success(),
            stdout: stdout(&out),
            stderr: stderr(&out),
        }
    }
}

struct Output2 {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uid_of(name: &str) -> u32 {
    let out = Command::new("id").args(["-u", name]).output().unwrap();
    stdout(&out).trim().parse().unwrap()
}

#[test]
fn over_ssh_r_a_remote_shell_and_git_get_tokens_and_the_secret_stays_home() {
    if !keyring::root_or_skip("the agent over real SSH (a throw-away account)") {
        return;
    }
    if !Path::new(SSHD).exists() {
        panic!("{SSHD} is missing: install openssh-server (.ci/run does)");
    }
    let issuer = Issuer::new();
    let mut env = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
    env.write_config(&profile(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nmatch = [\"https://git.example.com\"]",
            issuer.server.url()
        ),
    ));
    env.set("SECRET", SECRET);
    // The scoped agent the README tells people to forward.
    let agent = Agent::start(&env, &["--allow", "p"]);
    let account = Account::create();
    // The remote machine's tokex: both programs, in the account's own bin.
    let bin = account.home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for program in [
        env!("CARGO_BIN_EXE_tokex"),
        env!("CARGO_BIN_EXE_tokex-engine"),
    ] {
        let to = bin.join(Path::new(program).file_name().unwrap());
        std::fs::copy(program, &to).unwrap();
    }
    keyring::chown_tree(&bin, uid_of(&account.name));
    let sshd = Sshd::start(&account);
    let remote_socket = account.home.join("tokex.sock");
    let b = bin.display();
    let command = format!(
        "export TOKEX_AGENT={sock}; {b}/tokex token p && \
         printf 'url=https://git.example.com/org/repo.git\\n\\n' | \
         GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -c credential.helper= -c 'credential.helper={b}/tokex git' credential fill && \
         echo '--- env' && env && echo '--- keys' && cat /proc/keys",
        sock = remote_socket.display()
    );
    let out = sshd.run(&account, &remote_socket, &agent.socket, &command);
    assert!(out.ok, "ssh: {}\n{}", out.stdout, out.stderr);
    let token = issuer.issued()[0].clone();
    let (answers, rest) = out.stdout.split_once("--- env").unwrap();
    assert!(answers.starts_with(&format!("{token}\n")), "{answers}");
    assert!(answers.contains(&format!("password={token}")), "{answers}");
    assert_eq!(issuer.received(), 1, "one exchange, at the agent");
    // The account's environment and kernel keys, and every file it has, hold no secret.
    assert!(!rest.contains(SECRET), "{rest}");
    let keys = rest.split_once("--- keys").unwrap().1;
    assert!(!keys.contains("tokex"), "{keys}");
    for (path, bytes) in account.files() {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }
    assert!(!account.home.join(".cache/tokex").exists());
    assert!(!account.home.join(".config/tokex").exists());
    // The agent saw the forwarded requests as its own user's (ssh is the peer).
    let log = agent.log();
    assert!(log.contains("caller=token op=token profile=p ok"), "{log}");
    assert!(log.contains("caller=git op=token profile=p ok"), "{log}");
}
