//! `tokex setup TOOL PROFILE`, checked through each tool itself: git's and kubectl's own
//! readers, docker's file parsed, pip's and uv's settings as they resolve them. Each is
//! idempotent, `--dry-run` prints exactly what a run does and changes nothing, and another
//! helper's setting stops it unless `--force`.

#![cfg(target_os = "linux")]

use crate::support::tools::python_tools;
use crate::support::*;
use std::path::Path;

/// Runs setup; returns (stdout, stderr) after insisting on success.
fn setup(env: &Env, args: &[&str]) -> (String, String) {
    let mut all = vec!["setup"];
    all.extend_from_slice(args);
    let out = env.run(&all, "");
    assert!(out.status.success(), "setup {args:?}: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Every file under the test's HOME, with its contents (to show a dry run changed nothing).
fn snapshot(env: &Env) -> Vec<(String, String)> {
    let home = env.bin().parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    let mut dirs = vec![home];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with("cache") {
                dirs.push(p);
            } else if p.is_file() {
                files.push((path_str(&p), read(&p)));
            }
        }
    }
    files.sort();
    files
}

fn git_global(env: &Env) -> String {
    let out = env.run_tool(
        env.tool_as_user(
            "git",
            &["config", "--global", "--get-regexp", "^credential\\."],
        ),
        "",
    );
    stdout(&out)
}

#[test]
fn git_is_set_up_per_match_and_real_git_then_fills_the_token() {
    let issuer = Issuer::new();
    let env = issuer.env(
        "forge",
        &["https://git.example.com/team", "git.example.com:8443"],
    );
    env.install_helpers();
    let before = snapshot(&env);
    let (dry, _) = setup(&env, &["git", "forge", "--dry-run"]);
    let lines = "run: git config --global credential.https://git.example.com/team.helper tokex\n\
                 run: git config --global --replace-all credential.https://git.example.com/team.useHttpPath true\n\
                 run: git config --global credential.https://git.example.com:8443.helper tokex\n";
    let would: String = lines.lines().map(|l| format!("would {l}\n")).collect();
    assert_eq!(dry, would);
    assert_eq!(snapshot(&env), before, "a dry run changes nothing");

    let (done, _) = setup(&env, &["git", "forge"]);
    assert_eq!(done, lines);
    assert_eq!(
        git_global(&env),
        "credential.https://git.example.com/team.helper tokex\n\
         credential.https://git.example.com/team.usehttppath true\n\
         credential.https://git.example.com:8443.helper tokex\n"
    );
    let after = snapshot(&env);
    let (again, said) = setup(&env, &["git", "forge"]);
    assert_eq!(again, "");
    assert!(
        said.contains("git already uses tokex for forge; nothing changed"),
        "{said}"
    );
    assert_eq!(snapshot(&env), after);

    // Real git, with nothing but the global config written above.
    let fill = |path: &str| {
        let c = env.tool_as_user("git", &["credential", "fill"]);
        let out = env.run_tool(
            c,
            format!("protocol=https\nhost=git.example.com\npath={path}\n\n"),
        );
        stdout(&out)
    };
    assert!(
        fill("team/app.git").contains("password=tok-1\n"),
        "{}",
        fill("team/app.git")
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn another_helper_is_left_alone_unless_forced() {
    let issuer = Issuer::new();
    let env = issuer.env("forge", &["https://git.example.com"]);
    let set = env.run_tool(
        env.tool_as_user(
            "git",
            &[
                "config",
                "--global",
                "credential.https://git.example.com.helper",
                "store",
            ],
        ),
        "",
    );
    assert!(set.status.success());
    let before = snapshot(&env);
    let err = env.fail(&["setup", "git", "forge"], "", 2);
    assert!(err.contains("git left alone: git's credential.https://git.example.com.helper is store; run again with --force"), "{err}");
    assert_eq!(snapshot(&env), before);
    setup(&env, &["git", "forge", "--force"]);
    assert_eq!(
        git_global(&env),
        "credential.https://git.example.com.helper tokex\n"
    );
}

#[test]
fn kubectl_gets_an_exec_user_through_its_own_command() {
    let issuer = Issuer::new();
    let mut env = issuer.env("k8s", &["https://k8s.example.com"]);
    let kubeconfig = env.bin().parent().unwrap().join("kubeconfig");
    std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\nusers:\n- name: k8s\n  user:\n    token: static-token\n- name: other\n  user:\n    token: keep-me\n").unwrap();
    env.set("KUBECONFIG", &path_str(&kubeconfig));
    let err = env.fail(&["setup", "kubectl", "k8s"], "", 2);
    assert!(
        err.contains("kubeconfig user \"k8s\" has other credentials (token)"),
        "{err}"
    );
    let (dry, _) = setup(&env, &["kubectl", "k8s", "--force", "--dry-run"]);
    assert_eq!(
        dry,
        "would run: kubectl config unset users.k8s\nwould run: kubectl config set-credentials k8s --exec-command tokex --exec-arg kubectl --exec-arg k8s --exec-api-version client.authentication.k8s.io/v1 --exec-interactive-mode Never\n"
    );
    setup(&env, &["kubectl", "k8s", "--force"]);
    let view = env.run_tool(
        env.tool_as_user("kubectl", &["config", "view", "--raw", "-o", "json"]),
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&view)).unwrap();
    let users = v["users"].as_array().unwrap();
    let ours = users.iter().find(|u| u["name"] == "k8s").unwrap();
    assert_eq!(
        ours["user"],
        serde_json::json!({"exec": {"command": "tokex", "args": ["kubectl", "k8s"], "apiVersion": "client.authentication.k8s.io/v1", "env": null, "interactiveMode": "Never", "provideClusterInfo": false}})
    );
    assert!(stdout(&view).contains("keep-me"), "the other user is kept");
    let before = read(&kubeconfig);
    assert_eq!(setup(&env, &["kubectl", "k8s"]).0, "");
    assert_eq!(read(&kubeconfig), before);
}

#[test]
fn docker_s_config_keeps_every_other_key_in_order() {
    let issuer = Issuer::new();
    let env = issuer.env(
        "reg",
        &[
            "registry.example.com/team",
            "https://mirror.example.com:5000",
        ],
    );
    let home = env.bin().parent().unwrap().to_path_buf();
    let config = home.join(".docker/config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "{\"auths\":{\"ghcr.io\":{}},\"credsStore\":\"desktop\",\"credHelpers\":{\"gcr.io\":\"gcloud\"},\"psFormat\":\"x\"}").unwrap();
    let (dry, _) = setup(&env, &["docker", "reg", "--dry-run"]);
    let file = path_str(&config);
    assert_eq!(
        dry,
        format!(
            "would write {file}: credHelpers \"registry.example.com\", \"mirror.example.com:5000\" = \"tokex\"\n"
        )
    );
    setup(&env, &["docker", "reg"]);
    let text = read(&config);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["auths", "credsStore", "credHelpers", "psFormat"]);
    assert_eq!(
        v["credHelpers"],
        serde_json::json!({"gcr.io": "gcloud", "registry.example.com": "tokex", "mirror.example.com:5000": "tokex"})
    );
    assert_eq!(setup(&env, &["docker", "reg"]).0, "");
    assert_eq!(read(&config), text);

    let other = issuer.env("gcr", &["gcr.io"]);
    let ohome = other.bin().parent().unwrap().join(".docker");
    std::fs::create_dir_all(&ohome).unwrap();
    std::fs::write(ohome.join("config.json"), text.clone()).unwrap();
    let err = other.fail(&["setup", "docker", "gcr"], "", 2);
    assert!(
        err.contains("credHelpers[\"gcr.io\"] is \"gcloud\""),
        "{err}"
    );
    assert_eq!(read(&ohome.join("config.json")), text);
}

#[test]
fn pip_and_uv_read_back_the_subprocess_keyring_provider() {
    let issuer = Issuer::new();
    let env = issuer.env("pypi", &["https://pkgs.example.com/simple"]);
    let home = env.bin().parent().unwrap().to_path_buf();
    let pip_conf = home.join(".config/pip/pip.conf");
    std::fs::create_dir_all(pip_conf.parent().unwrap()).unwrap();
    std::fs::write(
        &pip_conf,
        "# mine\n[global]\ntimeout = 60\n\n[install]\nkeyring_provider = disabled\n",
    )
    .unwrap();
    let err = env.fail(&["setup", "pip", "pypi"], "", 2);
    assert!(
        err.contains("[install] keyring-provider = disabled"),
        "{err}"
    );
    setup(&env, &["pip", "pypi", "--force"]);
    assert_eq!(
        read(&pip_conf),
        "# mine\n[global]\nkeyring-provider = subprocess\ntimeout = 60\n\n[install]\n"
    );
    let tools = python_tools();
    let python = path_str(&tools.join("python"));
    let out = env.run_tool(
        env.tool_as_user(&python, &["-m", "pip", "config", "--user", "list"]),
        "",
    );
    assert_eq!(
        stdout(&out),
        "global.keyring-provider='subprocess'\nglobal.timeout='60'\n",
        "{}",
        stderr(&out)
    );
    assert_eq!(setup(&env, &["pip", "pypi"]).0, "");

    let uv_toml = home.join(".config/uv/uv.toml");
    std::fs::create_dir_all(uv_toml.parent().unwrap()).unwrap();
    std::fs::write(
        &uv_toml,
        "# mine\noffline = false\n\n[pip]\nno-build = true\n",
    )
    .unwrap();
    let (dry, _) = setup(&env, &["uv", "pypi", "--dry-run"]);
    assert_eq!(
        dry,
        format!(
            "would write {}: keyring-provider = \"subprocess\"\n",
            path_str(&uv_toml)
        )
    );
    setup(&env, &["uv", "pypi"]);
    let uv = path_str(&tools.join("uv"));
    let out = env.run_tool(
        env.tool_as_user(
            &uv,
            &[
                "pip",
                "install",
                "--show-settings",
                "--python",
                &python,
                "x",
            ],
        ),
        "",
    );
    let settings = stdout(&out);
    assert!(
        settings.contains("keyring_provider: Subprocess"),
        "{settings}{}",
        stderr(&out)
    );
    assert!(
        settings.contains("no_build: All"),
        "the user's own setting is kept"
    );
    assert_eq!(setup(&env, &["uv", "pypi"]).0, "");
}

#[test]
fn pnpm_and_go_and_doctor() {
    let issuer = Issuer::new();
    let env = issuer.env("npm", &["https://npm.example.com/corp/"]);
    let home = env.bin().parent().unwrap().to_path_buf();
    std::fs::write(
        home.join(".npmrc"),
        "save-exact=true\n//npm.example.com/other/:tokenHelper=/usr/local/bin/vault-npm\n",
    )
    .unwrap();
    let (dry, _) = setup(&env, &["pnpm", "npm", "--dry-run"]);
    let wrapper = home.join(".local/share/tokex/pnpm/npm");
    assert_eq!(
        dry,
        format!(
            "would write {}: runs `tokex token npm --format bearer`\nwould write {}: //npm.example.com/corp/:tokenHelper={}\n",
            path_str(&wrapper),
            path_str(&home.join(".npmrc")),
            path_str(&wrapper)
        )
    );
    setup(&env, &["pnpm", "npm"]);
    assert_eq!(
        read(&home.join(".npmrc")),
        format!(
            "save-exact=true\n//npm.example.com/other/:tokenHelper=/usr/local/bin/vault-npm\n//npm.example.com/corp/:tokenHelper={}\n",
            path_str(&wrapper)
        )
    );
    // The wrapper is what pnpm runs: an absolute path, no arguments, the header's value out.
    let out = env.run_tool(env.tool_as_user(&path_str(&wrapper), &[]), "");
    assert_eq!(stdout(&out), "Bearer tok-1\n", "{}", stderr(&out));
    assert_eq!(setup(&env, &["pnpm", "npm"]).0, "");

    let (go, _) = setup(&env, &["go", "npm"]);
    assert_eq!(go, "go env -w GOAUTH='tokex goauth npm'\n");

    let doctor = env.run(&["doctor"], "");
    let text = stdout(&doctor);
    assert!(
        text.contains("ok   pnpm setup: uses tokex for //npm.example.com/corp/\n"),
        "{text}"
    );
    assert!(!text.contains("git setup"), "{text}");
}
