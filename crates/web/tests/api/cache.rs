//! The read cache (`moim_web::cache`), switched on explicitly so both backends run it. Every
//! test first makes the cache answer (checked with its hit counter, so the test cannot pass with
//! the cache silently off), then changes something and checks that the very next request sees
//! the change: no stale session, token, membership, role or badge survives a write.

use super::{invite_code, make_group};
use moim_testkit::{Client, TestApp, json};
use moim_web::cache::ReadCacheMode;
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn cached_app() -> TestApp {
    TestApp::with_config(|c| c.read_cache = ReadCacheMode::On).await
}

/// A browser session (cookie) for an existing account.
async fn web_login(app: &TestApp, email: &str, password: &str) -> Client {
    let c = app.client();
    let r = c
        .form("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(r.status, 303, "log-in {email}: {}", r.text);
    c
}

/// Requests `path` until it is answered from the cache; returns that reply.
async fn warm(app: &TestApp, c: &Client, path: &str) -> moim_testkit::Reply {
    c.get(path).await;
    let before = app.state.cache.hits();
    let r = c.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    assert!(
        app.state.cache.hits() > before,
        "{path} was not answered from the cache"
    );
    r
}

/// An API client with a fresh access token.
async fn api_login(app: &TestApp, email: &str, password: &str) -> Client {
    let c = app.client();
    let r = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": email, "password": password}),
        )
        .await;
    assert_eq!(r.status, 200, "token {email}: {}", r.text);
    c.with_bearer(r.json["access_token"].as_str().expect("token"))
}

async fn me(c: &Client) -> Uuid {
    c.get("/api/v1/me").await.json["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

const PW: &str = "correct horse 9";

#[tokio::test]
async fn sessions_and_tokens_die_at_once_on_logout_password_change_reset_and_deletion() {
    let app = cached_app().await;
    let api = app.user("s@x.io", "세션").await;

    // Log out on this device: that session is dead, the other device's is not.
    let (w1, w2) = (
        web_login(&app, "s@x.io", PW).await,
        web_login(&app, "s@x.io", PW).await,
    );
    warm(&app, &w1, "/profile").await;
    warm(&app, &w2, "/profile").await;
    warm(&app, &api, "/api/v1/me").await;
    w1.form("/logout", &[]).await;
    assert_eq!(w1.get("/profile").await.status, 303, "logged-out session");
    assert_eq!(w2.get("/profile").await.status, 200);

    // Log out everywhere: every session and every access token.
    let w3 = web_login(&app, "s@x.io", PW).await;
    warm(&app, &w3, "/profile").await;
    warm(&app, &api, "/api/v1/me").await;
    w2.form("/logout-all", &[]).await;
    assert_eq!(w3.get("/profile").await.status, 303, "other device");
    assert_eq!(w2.get("/profile").await.status, 303);
    assert_eq!(api.get("/api/v1/me").await.status, 401, "access token");

    // Password change: the other sessions and the access tokens go, this session stays.
    let api = api_login(&app, "s@x.io", PW).await;
    let (w4, w5) = (
        web_login(&app, "s@x.io", PW).await,
        web_login(&app, "s@x.io", PW).await,
    );
    warm(&app, &w4, "/profile").await;
    warm(&app, &w5, "/profile").await;
    warm(&app, &api, "/api/v1/me").await;
    let r = w4
        .form(
            "/profile/password",
            &[("current_password", PW), ("new_password", "fresh horse 42")],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.text
    );
    assert_eq!(w5.get("/profile").await.status, 303, "other device");
    assert_eq!(api.get("/api/v1/me").await.status, 401, "access token");
    assert_eq!(w4.get("/profile").await.status, 200, "the changing device");

    // Password reset by e-mail link: every session goes.
    warm(&app, &w4, "/profile").await;
    let other = app.client();
    other.form("/forgot", &[("email", "s@x.io")]).await;
    let token = app.last_reset_token("s@x.io");
    let r = other
        .form(
            &format!("/reset/{token}"),
            &[("password", "third horse 77")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(w4.get("/profile").await.status, 303, "session after reset");

    // Account deletion: the session and the access token stop at once.
    let w6 = web_login(&app, "s@x.io", "third horse 77").await;
    let api = api_login(&app, "s@x.io", "third horse 77").await;
    warm(&app, &w6, "/profile").await;
    warm(&app, &api, "/api/v1/me").await;
    let r = w6
        .form("/profile/delete", &[("password", "third horse 77")])
        .await;
    assert!(r.status.is_redirection(), "{}", r.text);
    assert_eq!(w6.get("/profile").await.status, 303, "deleted account");
    assert_eq!(api.get("/api/v1/me").await.status, 401, "deleted account");
}

#[tokio::test]
async fn role_changes_edits_removal_leave_and_transfer_are_seen_at_once() {
    let app = cached_app().await;
    let owner = app.user("o@x.io", "owner").await;
    let m = app.user("m@x.io", "member").await;
    let n = app.user("n@x.io", "nomad").await;
    let g = make_group(&owner, "캐시 모임", 10, "invite").await;
    let code = invite_code(&owner, &g).await;
    for c in [&m, &n] {
        let r = c
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    }
    let (mid, nid) = (me(&m).await, me(&n).await);
    let path = format!("/api/v1/groups/{g}");

    // Promotion to manager: the invite code shows and a manager action works at once.
    let r = warm(&app, &m, &path).await;
    assert_eq!(r.json["my_role"], "member");
    assert!(r.json["invite_code"].is_null());
    assert_eq!(
        m.get(&format!("{path}/invite")).await.status,
        403,
        "members cannot read the invite"
    );
    warm(&app, &m, &path).await;
    let r = owner
        .patch(&format!("{path}/members/{mid}"), json!({"role": "manager"}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = m.get(&path).await;
    assert_eq!(r.json["my_role"], "manager");
    assert!(r.json["invite_code"].is_string());
    assert_eq!(m.get(&format!("{path}/invite")).await.status, 200);

    // Demotion takes the manager's rights away at once.
    warm(&app, &m, &path).await;
    owner
        .patch(&format!("{path}/members/{mid}"), json!({"role": "member"}))
        .await;
    let r = m.get(&path).await;
    assert_eq!(r.json["my_role"], "member");
    assert!(r.json["invite_code"].is_null());
    assert_eq!(m.get(&format!("{path}/invite")).await.status, 403);

    // An edit by the owner is what the member reads next.
    warm(&app, &m, &path).await;
    let r = owner
        .patch(
            &path,
            json!({"name": "새 이름", "category": "study", "capacity": 12, "join_policy": "invite"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = m.get(&path).await;
    assert_eq!(
        (r.json["name"].as_str(), r.json["capacity"].as_i64()),
        (Some("새 이름"), Some(12))
    );

    // Leaving: the group is closed to the leaver at once (private group: 404).
    warm(&app, &n, &path).await;
    assert_eq!(
        n.post(&format!("{path}/leave"), json!({})).await.status,
        204
    );
    assert_eq!(n.get(&path).await.status, 404, "left member");
    assert_eq!(n.get(&format!("{path}/members")).await.status, 404);

    // Removal: the same for a removed member, and the count drops for everyone.
    let r = warm(&app, &m, &path).await;
    let count = r.json["member_count"].as_i64().unwrap();
    warm(&app, &owner, &path).await;
    assert_eq!(
        owner.delete(&format!("{path}/members/{mid}")).await.status,
        204
    );
    assert_eq!(m.get(&path).await.status, 404, "removed member");
    assert_eq!(
        owner.get(&path).await.json["member_count"].as_i64(),
        Some(count - 1)
    );

    // Transfer: the new owner can disband, the old one no longer can.
    let r = n
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    warm(&app, &n, &path).await;
    warm(&app, &owner, &path).await;
    let r = owner
        .post(&format!("{path}/transfer"), json!({"user_id": nid}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(n.get(&path).await.json["my_role"], "owner");
    assert_ne!(owner.get(&path).await.json["my_role"], "owner");
    assert_eq!(
        owner
            .post(&format!("{path}/disband"), json!({}))
            .await
            .code(),
        "owner_only"
    );
}

#[tokio::test]
async fn the_group_home_shows_new_members_and_the_badge_follows_notifications() {
    let app = cached_app().await;
    let _owner_api = app.user("h@x.io", "호스트").await;
    let owner = web_login(&app, "h@x.io", PW).await;
    let owner_api = api_login(&app, "h@x.io", PW).await;
    let g = make_group(&owner_api, "홈 모임", 10, "invite").await;
    let home = format!("/groups/{g}");
    let page = warm(&app, &owner, &home).await;
    assert!(!page.text.contains("newcomer"));

    // A join (another user's request) shows in the member preview on the next view.
    let code = invite_code(&owner_api, &g).await;
    let newcomer = app.user("new@x.io", "newcomer").await;
    newcomer
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    assert!(
        owner.get(&home).await.text.contains("newcomer"),
        "the preview shows the new member"
    );

    // A notification (sent from a background task, not a request) lights the badge.
    let uid = me(&owner_api).await;
    warm(&app, &owner, &home).await;
    assert!(badge(&owner.get(&home).await.text).is_none());
    moim_web::flows::notify::notify(
        &app.state,
        vec![moim_web::flows::notify::Notice {
            recipient: uid,
            kind: "system.notice",
            params: vec![("title", "hello".into()), ("body", "body".into())],
            link: "/notifications".into(),
            group: None,
            actor: None,
        }],
    )
    .await
    .unwrap();
    // The hub's wake-up reaches the cache asynchronously; well within the cache's lifetime.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if badge(&owner.get(&home).await.text) == Some(1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the badge never showed the notification"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Opening it (a GET link) clears the badge on the next page.
    let list = moim_store::notifications::list(
        &app.db,
        uid,
        &moim_store::notifications::Filter::default(),
        None,
        10,
    )
    .await
    .unwrap();
    warm(&app, &owner, &home).await;
    let r = owner
        .get(&format!("/notifications/{}/open", list[0].id))
        .await;
    assert!(r.status.is_redirection(), "{}", r.text);
    assert_eq!(
        badge(&owner.get(&home).await.text),
        None,
        "badge after reading"
    );
}

/// The group home's "next meetups" strip, cached per (group, viewer): hosting, applying,
/// editing and cancelling show on the very next view.
#[tokio::test]
async fn the_group_homes_next_meetups_follow_hosting_applying_editing_and_cancelling() {
    let app = TestApp::with_config(|c| {
        c.read_cache = ReadCacheMode::On;
        c.meetup_min_lead = Duration::ZERO;
    })
    .await;
    let _ = app.user("h@x.io", "호스트").await;
    let owner = web_login(&app, "h@x.io", PW).await;
    let owner_api = api_login(&app, "h@x.io", PW).await;
    let g = make_group(&owner_api, "러닝 크루", 10, "invite").await;
    let home = format!("/groups/{g}");
    let strip = |html: &str| {
        html.split("data-testid=\"group-meetups\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("the next-meetups strip")
            .to_owned()
    };
    assert!(!strip(&warm(&app, &owner, &home).await.text).contains("data-testid=\"group-meetup\""));

    let mut b = super::meetups::body("망원 저녁런", 30, 5);
    b["group_id"] = json!(g);
    let id = super::meetups::host(&owner_api, b).await;
    let s = strip(&owner.get(&home).await.text);
    assert!(
        s.contains("망원 저녁런") && s.contains("1 / 5"),
        "hosted: {s}"
    );

    // Another member applies: the count on the owner's (warm) view follows.
    warm(&app, &owner, &home).await;
    let code = invite_code(&owner_api, &g).await;
    let runner = app.user("r@x.io", "runner").await;
    runner
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    let r = runner
        .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
        .await;
    assert!(r.status.is_success(), "apply: {}", r.text);
    assert!(strip(&owner.get(&home).await.text).contains("2 / 5"));

    // An edit of the title, then a cancellation.
    warm(&app, &owner, &home).await;
    let mut b = super::meetups::body("망원 새벽런", 30, 5);
    b["group_id"] = json!(g);
    let r = owner_api.patch(&format!("/api/v1/meetups/{id}"), b).await;
    assert_eq!(r.status, 200, "edit: {}", r.text);
    let s = strip(&owner.get(&home).await.text);
    assert!(
        s.contains("망원 새벽런") && !s.contains("망원 저녁런"),
        "edited: {s}"
    );
    warm(&app, &owner, &home).await;
    assert_eq!(
        owner_api
            .delete(&format!("/api/v1/meetups/{id}"))
            .await
            .status,
        204
    );
    assert!(
        !strip(&owner.get(&home).await.text).contains("망원 새벽런"),
        "cancelled"
    );
}

#[tokio::test]
async fn the_language_link_updates_the_cached_profile() {
    let app = cached_app().await;
    let api = app.user("l@x.io", "언어").await;
    let web = web_login(&app, "l@x.io", PW).await;
    let r = warm(&app, &api, "/api/v1/me").await;
    assert_eq!(r.json["locale"], "ko");
    warm(&app, &web, "/profile").await;
    let r = web.get("/lang/en?next=/profile").await;
    assert!(r.status.is_redirection());
    assert_eq!(api.get("/api/v1/me").await.json["locale"], "en");
}

/// The unread count in the header badge, when shown.
fn badge(html: &str) -> Option<i64> {
    let start = html.find("data-testid=\"unread-badge\"")?;
    let tag_end = start + html[start..].find('>')?;
    if html[start..tag_end].contains(" hidden") {
        return None;
    }
    let rest = &html[tag_end + 1..];
    rest[..rest.find('<')?].trim().parse().ok()
}
