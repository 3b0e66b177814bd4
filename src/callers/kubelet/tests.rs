use super::*;
use crate::callers::fake::Fake;

const CONFIG: &str = "[profiles.harbor]\nprovider = \"vmware-csp\"\nmatch = [\"harbor.example.com:5000/team\"]\nusername = \"robot$ci\"\n";

fn request(image: &str) -> String {
    format!(
        "{{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"{image}\"}}"
    )
}

fn v1_response() -> Response<'static> {
    Response {
        api_version: API_VERSIONS[0],
        kind: "CredentialProviderResponse",
        cache_key_type: "Registry",
        cache_duration: None,
        service_account_token_cache_type: None,
        auth: BTreeMap::new(),
    }
}

fn go(fake: &Fake, input: &str) -> (Result<()>, String) {
    let mut out = Vec::new();
    let r = serve(fake, &mut input.as_bytes(), &mut out);
    (r, String::from_utf8(out).unwrap())
}

#[test]
fn a_match_answers_the_exact_response_keyed_by_registry() {
    let fake = Fake::new(CONFIG);
    let mut response = v1_response();
    let token = Token::sample("tok", Duration::hours(1));
    let now = token.obtained_at + Duration::seconds(30);
    let text = render(
        &mut response,
        "harbor.example.com:5000".into(),
        "robot$ci",
        &token,
        now,
    );
    assert_eq!(
        text.unwrap(),
        "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"58m30s\",\"auth\":{\"harbor.example.com:5000\":{\"username\":\"robot$ci\",\"password\":\"tok\"}}}\n"
    );
    // Through serve: the profile is chosen by registry and repository, the token asked to last.
    let (r, out) = go(&fake, &request("harbor.example.com:5000/team/app:1.2"));
    assert!(r.is_ok());
    assert!(out.contains("\"auth\":{\"harbor.example.com:5000\":{\"username\":\"robot$ci\",\"password\":\"tok\"}}"), "{out}");
    assert_eq!(fake.asked(), ["token harbor 300"]);
}

#[test]
fn the_cache_duration_never_outlives_the_token_less_a_minute() {
    for (left, want) in [
        (3600, "59m0s"),
        (7200 + 61, "2h0m1s"),
        (90, "30s"),
        (61, "1s"),
        (60, "0s"),
        (10, "0s"),
    ] {
        let token = Token::sample("t", Duration::seconds(left));
        let mut response = v1_response();
        render(&mut response, "r".into(), "u", &token, token.obtained_at).unwrap();
        assert_eq!(response.cache_duration.as_deref(), Some(want), "{left}");
    }
}

#[test]
fn no_match_is_an_empty_auth_with_a_valid_cache_key_type() {
    let fake = Fake::new(CONFIG);
    for image in [
        "harbor.example.com:5000/other/app",
        "nginx:1.27",
        "harbor.example.com/team/app",
    ] {
        let (r, out) = go(&fake, &request(image));
        assert!(r.is_ok(), "{image}");
        assert_eq!(
            out,
            "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\"cacheKeyType\":\"Registry\",\"auth\":{}}\n",
            "{image}"
        );
    }
    assert!(fake.asked().is_empty());
}

#[test]
fn the_answer_repeats_the_request_s_version_and_a_service_account_request_gets_its_cache_type() {
    let fake = Fake::new(CONFIG);
    let input = "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1beta1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"harbor.example.com:5000/team/app@sha256:abcd\",\"serviceAccountToken\":\"sa.jwt\",\"serviceAccountAnnotations\":{\"a\":\"b\"}}";
    let (r, out) = go(&fake, input);
    assert!(r.is_ok());
    assert!(
        out.starts_with("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1beta1\""),
        "{out}"
    );
    assert!(
        out.contains(",\"serviceAccountTokenCacheType\":\"ServiceAccount\","),
        "{out}"
    );
    assert!(!out.contains("sa.jwt"));
}

#[test]
fn images_name_their_registry_as_runtimes_read_them() {
    for (image, registry, target) in [
        (
            "harbor.example.com:5000/team/app:1.2",
            "harbor.example.com:5000",
            "harbor.example.com:5000/team/app",
        ),
        (
            "Registry.Example.com/a/b/c@sha256:00",
            "registry.example.com",
            "registry.example.com/a/b/c",
        ),
        ("localhost/app", "localhost", "localhost/app"),
        ("nginx", "docker.io", "docker.io/nginx"),
        (
            "library/nginx:latest",
            "docker.io",
            "docker.io/library/nginx",
        ),
    ] {
        let (r, t) = image_target(image).unwrap();
        assert_eq!(
            (r.as_str(), t),
            (registry, Target::parse(target).unwrap()),
            "{image}"
        );
    }
}

#[test]
fn malformed_input_is_one_line() {
    let fake = Fake::new(CONFIG);
    for (input, want) in [
        ("not json", "CredentialProviderRequest"),
        (
            "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\"}",
            "string `image`",
        ),
        (
            "{\"kind\":\"ExecCredential\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"a/b\"}",
            "its `kind`",
        ),
        (
            "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"v9\",\"image\":\"a/b\"}",
            "apiVersion \"v9\"",
        ),
        (&request("harbor.example.com/"), "not an image reference"),
        (&request("a b/c"), "not an image reference"),
    ] {
        let e = go(&fake, input).0.unwrap_err().to_string();
        assert!(e.contains(want) && !e.contains('\n'), "{input}: {e}");
    }
}
