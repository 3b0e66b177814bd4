//! An OpenID discovery document: every endpoint kept passes tokex's URL rule and is stored in
//! its serialised form, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let issuer = "https://idp.example/realms/r";
    if let Ok(found) = tokex::providers::oidc::parse_discovery(data, issuer) {
        let endpoints = [
            Some(&found.token_endpoint),
            found.authorization_endpoint.as_ref(),
            found.device_authorization_endpoint.as_ref(),
            found.revocation_endpoint.as_ref(),
        ];
        for e in endpoints.into_iter().flatten() {
            let url = tokex::urlpolicy::check_url(e).expect("a kept endpoint obeys the URL rule");
            assert_eq!(url.as_str(), e);
            assert!(!e.chars().any(tokex::printable::is_unsafe), "{e:?}");
        }
    }
});
