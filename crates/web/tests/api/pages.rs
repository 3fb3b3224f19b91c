//! The web UI flows, in-process: sign-up → code → welcome, groups, invite link, language.

use moim_testkit::json;

#[tokio::test]
async fn sign_up_verify_welcome_create_invite_and_join_through_pages() {
    let app = super::app().await;
    let a = app.client();
    assert_eq!(a.get("/").await.status, 200);
    let r = a
        .form(
            "/signup",
            &[
                ("email", "web@x.io"),
                ("password", "correct horse 9"),
                ("nickname", "웹사용자"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let verify = r.location().unwrap().to_owned();
    assert!(verify.starts_with("/verify?email=web%40x.io"));
    assert!(a.get(&verify).await.text.contains("web@x.io"));
    let code = app.last_code("web@x.io");
    let r = a
        .form(
            "/verify",
            &[("email", "web@x.io"), ("code", &code), ("next", "/groups")],
        )
        .await;
    assert_eq!(r.location(), Some("/welcome"));
    assert!(a.get("/welcome").await.text.contains("웹사용자"));
    // Create a group from the form.
    let r = a
        .form(
            "/groups",
            &[
                ("name", "주말 등산"),
                ("category", "exercise"),
                ("capacity", "8"),
                ("visibility", "private"),
                ("join_policy", "invite"),
                ("pledge", "한 달에 두 번"),
                ("starts_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let home = r.location().unwrap().to_owned();
    let page = a.get(&home).await;
    assert!(
        page.text.contains("주말 등산") && page.text.contains("D-"),
        "home shows the D-day: {}",
        page.text
    );
    assert!(a.get("/groups").await.text.contains("주말 등산"));
    let settings = a.get(&format!("{home}/edit")).await;
    assert!(
        settings.text.contains(&format!("href=\"{home}/members\"")),
        "settings keep the group tabs"
    );
    let invite = a.get(&format!("{home}/invite")).await;
    let code = invite
        .text
        .split("data-testid=\"invite-code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(code.len(), 8);
    // Someone else opens the link while signed out: asked to sign up, then comes back.
    let b = app.client();
    let r = b.get(&format!("/join/{code}")).await;
    assert!(r.text.contains("주말 등산") && r.text.contains(&format!("/signup?next=/join/{code}")));
    let r = b
        .form(
            "/signup",
            &[
                ("email", "b@x.io"),
                ("password", "correct horse 9"),
                ("nickname", "둘째"),
                ("next", &format!("/join/{code}")),
            ],
        )
        .await;
    let verify = r.location().unwrap().to_owned();
    let r = b
        .form(
            "/verify",
            &[
                ("email", "b@x.io"),
                ("code", &app.last_code("b@x.io")),
                ("next", &format!("/join/{code}")),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        Some(format!("/join/{code}").as_str()),
        "back to the invite after verification ({verify})"
    );
    let r = b.form(&format!("/join/{code}"), &[]).await;
    assert_eq!(r.status, 303);
    assert!(r.location().unwrap().starts_with(&home));
    let members = a.get(&format!("{home}/members")).await.text;
    assert!(members.contains("웹사용자") && members.contains("둘째"));
}

#[tokio::test]
async fn login_logout_and_reset_through_pages() {
    let app = super::app().await;
    app.user("p@x.io", "pages").await;
    let c = app.client();
    let r = c
        .form(
            "/login",
            &[("email", "p@x.io"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("이메일 또는 비밀번호가 맞지 않아요"));
    let r = c
        .form(
            "/login",
            &[
                ("email", "p@x.io"),
                ("password", "correct horse 9"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/groups"), "no open redirect");
    assert_eq!(c.get("/profile").await.status, 200);
    c.form("/logout", &[]).await;
    assert_eq!(c.get("/profile").await.status, 303);
    // Reset by e-mail link.
    let r = c.form("/forgot", &[("email", "p@x.io")]).await;
    assert_eq!(r.status, 200);
    let token = app.last_reset_token("p@x.io");
    assert_eq!(c.get(&format!("/reset/{token}")).await.status, 200);
    let r = c
        .form(
            &format!("/reset/{token}"),
            &[("password", "fresh horse 42")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        c.get(&format!("/reset/{token}")).await.status,
        410,
        "used links are dead"
    );
    let r = c
        .form(
            "/login",
            &[("email", "p@x.io"), ("password", "fresh horse 42")],
        )
        .await;
    assert_eq!(r.status, 303);
}

#[tokio::test]
async fn language_follows_choice_then_accept_language() {
    let app = super::app().await;
    let c = app.client();
    let r = c.get("/").await;
    assert!(r.text.contains("lang=\"ko\""), "Korean by default");
    // Asset URLs carry a digest of the embedded files, so year-long caching never serves stale CSS.
    let tag = r
        .text
        .split("/assets/css/app.css?v=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        tag.len() == 12 && tag.chars().all(|c| c.is_ascii_hexdigit()),
        "{tag}"
    );
    let req = axum::http::Request::get("/")
        .header("accept-language", "en-US,en;q=0.9")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = c.send(req).await;
    assert!(r.text.contains("lang=\"en\"") && r.text.contains("Get started"));
    let r = c.get("/lang/en?next=/login").await;
    assert_eq!(r.location(), Some("/login"));
    assert!(c.get("/login").await.text.contains("Log in"));
    let r = c.get("/lang/ko?next=https://evil.example").await;
    assert_eq!(r.location(), Some("/groups"));
    // A signed-in user's choice is stored in the profile.
    let u = app.user("l@x.io", "lang").await;
    let web = app.client();
    web.form(
        "/login",
        &[("email", "l@x.io"), ("password", "correct horse 9")],
    )
    .await;
    web.get("/lang/en?next=/groups").await;
    assert_eq!(u.get("/api/v1/me").await.json["locale"], "en");
}

#[tokio::test]
async fn friendly_pages_for_missing_things_and_members_only_views() {
    let app = super::app().await;
    let c = app.client();
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.text.contains("<html") && r.text.contains("페이지를 찾을 수 없어요"));
    // Signed-out visitors are sent to log in and brought back.
    let r = c.get("/groups/new").await;
    assert_eq!(r.location(), Some("/login?next=%2Fgroups%2Fnew"));
    let r = c.get("/join/NOPE1234").await;
    assert_eq!(r.status, 404);
    // Profile edits through the form, with errors shown in place.
    let u = app.user("pf@x.io", "profiler").await;
    app.user("pf2@x.io", "taken").await;
    let web = app.client();
    web.form(
        "/login",
        &[("email", "pf@x.io"), ("password", "correct horse 9")],
    )
    .await;
    let r = web
        .form(
            "/profile",
            &[
                ("nickname", "taken"),
                ("bio", ""),
                ("avatar_url", ""),
                ("locale", "ko"),
                ("time_zone", "Asia/Seoul"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("이미 사용 중인 닉네임"), "{}", r.text);
    let r = web
        .form(
            "/profile",
            &[
                ("nickname", "profiler2"),
                ("bio", "안녕"),
                ("avatar_url", ""),
                ("locale", "en"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let saved = r.location().unwrap().to_owned();
    let me = u.get("/api/v1/me").await;
    assert_eq!(
        (me.json["nickname"].as_str(), me.json["time_zone"].as_str()),
        (Some("profiler2"), Some("Europe/Berlin"))
    );
    assert!(
        web.get(&saved).await.text.contains("Saved."),
        "the profile language applies at once"
    );
    let _ = json!({});
}
