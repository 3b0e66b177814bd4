//! A loopback HTTPS fake Kubernetes API server and a kubeconfig whose user runs tokex as its
//! exec credential plugin, for the tests that let the real kubectl judge `tokex kubectl`.

use super::tls::Tls;
use super::*;
use base64::Engine;

use std::time::Duration;

pub struct ApiServer {
    pub server: Server,
    /// `(path, token)` of every request, accepted or not.
    pub seen: BearerLog,
}

impl ApiServer {
    /// `slow` answers after a pause, so a short-lived credential expires in between.
    pub fn start(
        tls: &Tls,
        valid: impl Fn(&str) -> bool + Send + Sync + 'static,
        slow: Option<(&'static str, Duration)>,
    ) -> ApiServer {
        let seen = BearerLog::default();
        let log = seen.clone();
        let server = tls.serve(move |req| {
            let token = log.record(req);
            if !token.as_deref().is_some_and(&valid) {
                return Response::json(
                    401,
                    r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
                );
            }
            if let Some((path, pause)) = slow
                && req.path() == path
            {
                std::thread::sleep(pause);
            }
            match req.path() {
                "/version" => Response::json(
                    200,
                    r#"{"major":"1","minor":"32","gitVersion":"v1.32.0-tokex-fake","platform":"linux/amd64"}"#,
                ),
                "/api" => Response::json(
                    200,
                    r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"#,
                ),
                "/apis" => Response::json(
                    200,
                    r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#,
                ),
                "/api/v1" => Response::json(
                    200,
                    r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list"],"shortNames":["ns"]}]}"#,
                ),
                _ => Response::json(404, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":404}"#),
            }
        });
        ApiServer { server, seen }
    }

    pub fn tokens(&self) -> Vec<String> {
        self.seen.tokens()
    }
}

/// A kubeconfig for the fake cluster whose user runs tokex through a wrapper that counts runs.
pub fn kubeconfig(env: &Env, tls: &Tls, api: &ApiServer, api_version: &str, mode: &str) -> String {
    kubeconfig_for("cluster", env, tls, api, api_version, mode)
}

/// The same, for profile `name`.
pub fn kubeconfig_for(
    name: &str,
    env: &Env,
    tls: &Tls,
    api: &ApiServer,
    api_version: &str,
    mode: &str,
) -> String {
    let bin = env.bin();
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("tokex-counted");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
            path_str(&env.dir.path().join("plugin-runs")),
            env!("CARGO_BIN_EXE_tokex")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ca = base64::engine::general_purpose::STANDARD.encode(&tls.ca_pem);
    let path = env.dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            r#"apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: https://{addr}
    certificate-authority-data: {ca}
users:
- name: tokex
  user:
    exec:
      apiVersion: {api_version}
      command: tokex-counted
      args: [kubectl, {name}]
{mode}contexts:
- name: fake
  context:
    cluster: fake
    user: tokex
current-context: fake
"#,
            addr = api.server.addr(),
        ),
    )
    .unwrap();
    path_str(&path)
}

pub fn plugin_runs(env: &Env) -> usize {
    std::fs::read_to_string(env.dir.path().join("plugin-runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

pub fn kubectl(env: &Env, config: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--kubeconfig", config];
    all.extend_from_slice(args);
    env.run_tool(env.tool("kubectl", &all), "")
}

pub const V1: &str = "client.authentication.k8s.io/v1";
pub const NEVER: &str = "      interactiveMode: Never\n";
