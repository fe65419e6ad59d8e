//! The GitHub user-API client against a scripted transport: what it sends (the
//! OAuth exchange with PKCE, bearer tokens, pagination) and how it reads
//! GitHub's answers, including the ones that mean "sign in again".

use argus_core::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use argus_core::ids::RepoName;
use argus_core::secret::SecretString;
use argus_dashboard::access::Role;
use argus_dashboard::form;
use argus_dashboard::github_user::{GitHubWeb, UserApiError};
use futures_executor::block_on;
use std::cell::RefCell;

/// One scripted answer: `METHOD url-prefix`, status, headers, body.
type Route = (String, u16, Vec<(String, String)>, String);

/// Answers by `METHOD url-prefix`, records every request.
struct Scripted {
    routes: Vec<Route>,
    seen: RefCell<Vec<HttpRequest>>,
}

impl Scripted {
    fn new() -> Self {
        Scripted { routes: vec![], seen: RefCell::new(vec![]) }
    }
    fn on(mut self, route: &str, status: u16, headers: &[(&str, &str)], body: serde_json::Value) -> Self {
        self.routes.push((route.to_string(), status, headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body.to_string()));
        self
    }
}

impl HttpClient for Scripted {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let key = format!("{} {}", req.method.as_str(), req.url);
        self.seen.borrow_mut().push(req);
        let hit = self.routes.iter().filter(|(r, ..)| key.starts_with(r.as_str())).max_by_key(|(r, ..)| r.len());
        match hit {
            Some((_, status, headers, body)) => Ok(HttpResponse { status: *status, headers: headers.clone(), body: body.clone().into_bytes() }),
            None => Ok(HttpResponse { status: 404, headers: vec![], body: br#"{"message":"Not Found"}"#.to_vec() }),
        }
    }
}

const API: &str = "https://api.example";
const WEB: &str = "https://gh.example";

#[test]
fn the_code_exchange_sends_the_pkce_verifier_and_reads_errors() {
    let http = Scripted::new().on(
        "POST https://gh.example/login/oauth/access_token",
        200,
        &[],
        serde_json::json!({"access_token": "ghu_abc", "token_type": "bearer", "scope": ""}),
    );
    let gh = GitHubWeb::new(&http, Some(API), Some(WEB));
    let token = block_on(gh.exchange_code("Iv1.x", &SecretString::new("shh"), "c0de", "https://w.example/auth/callback", "verif")).unwrap();
    assert_eq!(token.expose(), "ghu_abc");
    let req = http.seen.borrow()[0].clone();
    assert_eq!(req.method, Method::Post);
    assert!(req.headers.contains(&("accept".into(), "application/json".into())));
    let body = form::decode(&String::from_utf8(req.body.unwrap()).unwrap());
    assert_eq!(form::get(&body, "code_verifier"), Some("verif"));
    assert_eq!(form::get(&body, "redirect_uri"), Some("https://w.example/auth/callback"));

    let http = Scripted::new().on(
        "POST https://gh.example/login/oauth/access_token",
        200,
        &[],
        serde_json::json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
    );
    let gh = GitHubWeb::new(&http, Some(API), Some(WEB));
    let err = block_on(gh.exchange_code("Iv1.x", &SecretString::new("shh"), "old", "u", "v")).unwrap_err();
    assert!(matches!(&err, UserApiError::OAuth(m) if m.starts_with("bad_verification_code")), "{err:?}");
}

#[test]
fn the_access_list_follows_pages_and_keeps_roles() {
    let repo = |name: &str, perms: serde_json::Value| serde_json::json!({"full_name": name, "private": true, "permissions": perms});
    let http = Scripted::new()
        .on(
            "GET https://api.example/user/installations?",
            200,
            &[("link", "<https://api.example/user/installations?per_page=100&page=2>; rel=\"next\"")],
            serde_json::json!({"total_count": 2, "installations": [{"id": 7, "account": {"login": "acme"}}]}),
        )
        .on(
            "GET https://api.example/user/installations?per_page=100&page=2",
            200,
            &[],
            serde_json::json!({"total_count": 2, "installations": [{"id": 8, "account": {"login": "alice"}}]}),
        )
        .on(
            "GET https://api.example/user/installations/7/repositories",
            200,
            &[],
            serde_json::json!({"total_count": 2, "repositories": [
                repo("acme/a", serde_json::json!({"admin": false, "maintain": true, "push": true, "triage": true, "pull": true})),
                repo("acme/b", serde_json::json!({"admin": false, "maintain": false, "push": true, "triage": true, "pull": true})),
            ]}),
        )
        .on("GET https://api.example/user/installations/8/repositories", 404, &[], serde_json::json!({"message": "Not Found"}));
    let gh = GitHubWeb::new(&http, Some(API), Some(WEB));
    let list = block_on(gh.access_list(&SecretString::new("ghu_t"), 1, "alice", 5)).unwrap();
    assert_eq!(list.installations.len(), 2);
    assert_eq!(
        list.installations[0].repos.iter().map(|r| (r.full_name.as_str(), r.role)).collect::<Vec<_>>(),
        [("acme/a", Role::Maintain), ("acme/b", Role::Write)]
    );
    assert!(list.installations[1].repos.is_empty(), "a 404 for one installation hides it, nothing more");
    assert!(http.seen.borrow().iter().all(|r| { r.headers.contains(&("authorization".into(), "Bearer ghu_t".into())) }));
}

#[test]
fn a_revoked_token_is_unauthorized_and_roles_come_from_the_permission_endpoint() {
    let http = Scripted::new()
        .on("GET https://api.example/user", 401, &[], serde_json::json!({"message": "Bad credentials"}))
        .on(
            "GET https://api.example/repos/o/r/collaborators/alice/permission",
            200,
            &[],
            serde_json::json!({"permission": "write", "role_name": "maintain", "user": {"login": "alice"}}),
        )
        .on("GET https://api.example/repos/o/r/collaborators/bob/permission", 404, &[], serde_json::json!({"message": "Not Found"}))
        .on("GET https://api.example/repos/o/r", 200, &[], serde_json::json!({"default_branch": "trunk"}));
    let gh = GitHubWeb::new(&http, Some(API), Some(WEB));
    assert_eq!(block_on(gh.user(&SecretString::new("old"))), Err(UserApiError::Unauthorized));
    let repo = RepoName::new("o", "r");
    assert_eq!(block_on(gh.collaborator_role(&SecretString::new("ghs"), &repo, "alice")), Ok(Some(Role::Maintain)));
    assert_eq!(block_on(gh.collaborator_role(&SecretString::new("ghs"), &repo, "bob")), Ok(None));
    assert_eq!(block_on(gh.default_branch(&SecretString::new("ghs"), &repo)).unwrap(), "trunk");
}

#[test]
fn the_manifest_conversion_needs_201_and_a_key() {
    let body = serde_json::json!({"id": 9, "slug": "argusai", "name": "ArgusAI", "client_id": "Iv1.c", "client_secret": "cs", "webhook_secret": null,
        "pem": "-----BEGIN RSA PRIVATE KEY-----\nAA\n-----END RSA PRIVATE KEY-----\n", "html_url": "https://gh.example/apps/argusai", "owner": {"login": "acme"}});
    let http = Scripted::new().on("POST https://api.example/app-manifests/abc123/conversions", 201, &[], body);
    let gh = GitHubWeb::new(&http, Some(API), Some(WEB));
    let creds = block_on(gh.convert_manifest("abc123")).unwrap();
    assert_eq!((creds.id, creds.client_id.as_str(), creds.owner.as_deref()), (9, "Iv1.c", Some("acme")));
    assert!(creds.webhook_secret.is_none());
    assert_eq!(creds.install_url(), "https://gh.example/apps/argusai/installations/new");
    // A reused code is a 404 on GitHub; an odd code never reaches the URL.
    assert_eq!(block_on(gh.convert_manifest("used")).unwrap_err(), UserApiError::NotFound);
    assert_eq!(block_on(gh.convert_manifest("../../x")).unwrap_err(), UserApiError::NotFound);
    assert_eq!(http.seen.borrow().last().unwrap().url, "https://api.example/app-manifests/x/conversions");
}
