use super::assert_clean;
use super::{invite_code, make_group};
use axum::http::Method;
use moim_testkit::json;

#[tokio::test]
async fn a_member_of_one_group_can_neither_read_nor_change_another() {
    let app = super::app().await;
    let alice = app.user("alice@x.io", "alice").await;
    let bob = app.user("bob@x.io", "bob").await;
    let mallory = app.user("mallory@x.io", "mallory").await;
    let a = make_group(&alice, "A 모임", 10, "invite").await;
    let b = make_group(&bob, "B 모임", 10, "invite").await;
    let code_a = invite_code(&alice, &a).await;
    mallory
        .post(&format!("/api/v1/invites/{code_a}/join"), json!({}))
        .await;
    let bob_id = bob.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = bob.get(&format!("/api/v1/groups/{b}")).await.text;

    let group_body = json!({"name": "hacked", "category": "study", "capacity": 50});
    let attempts: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/groups/{b}"), None),
        (
            Method::PATCH,
            format!("/api/v1/groups/{b}"),
            Some(group_body),
        ),
        (Method::GET, format!("/api/v1/groups/{b}/members"), None),
        (
            Method::GET,
            format!("/api/v1/groups/{b}/members?status=pending"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/groups/{b}/members/{bob_id}"),
            Some(json!({"role": "member"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{b}/members/{bob_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/members/{bob_id}/approve"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/leave"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/join"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/transfer"),
            Some(json!({"user_id": bob_id})),
        ),
        (Method::GET, format!("/api/v1/groups/{b}/invite"), None),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/invite/rotate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b}/disband"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/api/v1/groups/{b}/disband"), None),
    ];
    for (method, path, body) in attempts {
        let r = mallory.request(method.clone(), &path, body).await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "{method} {path} gave {}: {}",
            r.status,
            r.text
        );
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_clean(&r);
    }
    // The same through the pages, with a valid session and CSRF token.
    let web = app.client();
    web.form(
        "/login",
        &[("email", "mallory@x.io"), ("password", "correct horse 9")],
    )
    .await;
    for path in [
        format!("/groups/{b}"),
        format!("/groups/{b}/members"),
        format!("/groups/{b}/invite"),
        format!("/groups/{b}/edit"),
    ] {
        let r = web.get(&path).await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "GET {path}: {}",
            r.status
        );
        assert!(!r.text.contains("B 모임"), "{path} leaks the group name");
    }
    for action in [
        "edit",
        "leave",
        "disband",
        "disband/cancel",
        "invite/rotate",
        "join",
        &format!("members/{bob_id}/remove"),
        &format!("members/{bob_id}/role"),
        &format!("members/{bob_id}/transfer"),
        &format!("members/{bob_id}/approve"),
    ] {
        let r = web
            .form(
                &format!("/groups/{b}/{action}"),
                &[
                    ("name", "hacked"),
                    ("role", "member"),
                    ("capacity", "50"),
                    ("category", "study"),
                ],
            )
            .await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "POST {action}: {}",
            r.status
        );
    }
    // Bob's group is untouched.
    assert_eq!(bob.get(&format!("/api/v1/groups/{b}")).await.text, before);
    assert_eq!(
        bob.get(&format!("/api/v1/groups/{b}/members")).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn cross_site_form_posts_are_rejected() {
    let app = super::app().await;
    let web = app.client();
    web.get("/login").await;
    let token = web
        .cookie("moim_csrf")
        .expect("csrf cookie set on first visit");
    // Right token, foreign origin.
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(axum::body::Body::from(format!(
            "email=a%40x.io&password=x&_csrf={token}"
        )))
        .unwrap();
    let r = web.send(req).await;
    assert_eq!(r.status, 403);
    // Same origin but no token (what a foreign form that hides its origin would send).
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("email=a%40x.io&password=x"))
        .unwrap();
    assert_eq!(web.send(req).await.status, 403);
    // Fetch metadata says cross-site.
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from(format!(
            "email=a%40x.io&password=x&_csrf={token}"
        )))
        .unwrap();
    assert_eq!(web.send(req).await.status, 403);
    // A signed-in browser's API call without the header is refused too.
    app.user("c@x.io", "csrfuser").await;
    web.form(
        "/login",
        &[("email", "c@x.io"), ("password", "correct horse 9")],
    )
    .await;
    assert!(web.cookie("moim_session").is_some());
    let r = web
        .post(
            "/api/v1/groups",
            json!({"name": "x", "category": "study", "capacity": 5}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "csrf_failed"));
    // With the header it works (that is what htmx sends).
    let req = axum::http::Request::post("/api/v1/groups")
        .header("content-type", "application/json")
        .header("x-csrf-token", web.cookie("moim_csrf").unwrap())
        .body(axum::body::Body::from(
            json!({"name": "x", "category": "study", "capacity": 5}).to_string(),
        ))
        .unwrap();
    assert_eq!(web.send(req).await.status, 201);
}

#[tokio::test]
async fn markup_in_user_content_renders_as_text() {
    let app = super::app().await;
    let u = app.user("x@x.io", "xss").await;
    let g = make_group(&u, "<script>alert(1)</script>", 5, "invite").await;
    u.patch("/api/v1/me", json!({"bio": "<img src=x onerror=alert(1)>"}))
        .await;
    let web = app.client();
    web.form(
        "/login",
        &[("email", "x@x.io"), ("password", "correct horse 9")],
    )
    .await;
    for path in [
        format!("/groups/{g}"),
        "/groups".into(),
        format!("/groups/{g}/members"),
        "/profile".into(),
    ] {
        let r = web.get(&path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            !r.text.contains("<script>alert(1)</script>"),
            "{path} renders raw markup"
        );
        assert!(
            !r.text.contains("<img src=x onerror"),
            "{path} renders raw markup"
        );
    }
    assert!(
        web.get(&format!("/groups/{g}"))
            .await
            .text
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = super::app().await;
    let r = app.client().get("/").await;
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        cookie.contains("moim_csrf=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
    );
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_stored_hashed() {
    let app = super::app().await;
    app.user("s@x.io", "session").await;
    let web = app.client();
    let r = web
        .form(
            "/login",
            &[("email", "s@x.io"), ("password", "correct horse 9")],
        )
        .await;
    assert_eq!(r.status, 303);
    let set = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("moim_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    let token = web.cookie("moim_session").unwrap();
    let stored: Vec<(Vec<u8>,)> = moim_store::dispatch!(&app.db, pool => moim_store::sqlx::query_as("SELECT token_hash FROM sessions").fetch_all(pool).await.unwrap());
    assert_eq!(stored.len(), 1);
    assert_ne!(
        stored[0].0,
        token.as_bytes(),
        "the raw token is never stored"
    );
    assert_eq!(stored[0].0, moim_core::secrets::hash_token(&token));
    // Log out on this device ends the session.
    web.form("/logout", &[]).await;
    let r = web.get("/profile").await;
    assert_eq!(r.status, 303);
    assert!(r.location().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_refused() {
    let app = super::app().await;
    let u = app.user("t@x.io", "tokens").await;
    let good = u.bearer().unwrap().to_owned();
    // Same payload, signature stripped, alg none.
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine as _;
    let none_header =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    for forged in [
        format!("{none_header}.{}.", parts[1]),
        format!("{}.{}.AAAA", parts[0], parts[1]),
        "garbage".to_owned(),
    ] {
        let r = app.client().with_bearer(&forged).get("/api/v1/me").await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (401, "invalid_token"),
            "{forged}"
        );
        assert_clean(&r);
    }
    // A token signed by another server (another key) is refused too.
    let other = moim_testkit::TestApp::new().await;
    let foreign = other.user("t@x.io", "tokens").await;
    let r = app
        .client()
        .with_bearer(foreign.bearer().unwrap())
        .get("/api/v1/me")
        .await;
    assert_eq!(r.status, 401);
}
