use moim_store::sqlx;
use moim_testkit::json;

#[tokio::test]
async fn sign_up_verify_and_get_tokens() {
    let app = super::app().await;
    let c = app.client();
    let r = c
        .post(
            "/api/v1/auth/signup",
            json!({"email": "Mina@Example.com", "password": "correct horse 9", "nickname": "미나"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Unverified accounts cannot get tokens.
    let r = c.post("/api/v1/auth/token", json!({"grant_type": "password", "email": "mina@example.com", "password": "correct horse 9"})).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "email_not_verified"));
    let code = app.last_code("mina@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = c
        .post(
            "/api/v1/auth/verify",
            json!({"email": "mina@example.com", "code": wrong}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["errors"][0]["field"], "code");
    assert_eq!(r.json["errors"][0]["code"], "wrong_code");
    let r = c
        .post(
            "/api/v1/auth/verify",
            json!({"email": "mina@example.com", "code": code}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email_verified"], true);
    let r = c.post("/api/v1/auth/token", json!({"grant_type": "password", "email": "MINA@example.com", "password": "correct horse 9"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
    let me = c
        .clone()
        .with_bearer(r.json["access_token"].as_str().unwrap())
        .get("/api/v1/me")
        .await;
    assert_eq!(me.json["nickname"], "미나");
    assert_eq!(me.json["locale"], "ko");
    assert_eq!(me.json["time_zone"], "Asia/Seoul");
    // The stored password is an argon2id hash, never the password.
    let user = moim_store::accounts::user_by_email(&app.db, "mina@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn codes_expire_burn_after_five_wrong_tries_and_resends_are_limited() {
    let app = super::app().await;
    let c = app.client();
    c.post(
        "/api/v1/auth/signup",
        json!({"email": "a@x.io", "password": "correct horse 9", "nickname": "aaa"}),
    )
    .await;
    let code = app.last_code("a@x.io");
    // A second code within the minute is refused.
    let r = c
        .post("/api/v1/auth/resend", json!({"email": "a@x.io"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "rate_limited"));
    assert!(r.header("retry-after").is_some());
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for i in 0..5 {
        let r = c
            .post(
                "/api/v1/auth/verify",
                json!({"email": "a@x.io", "code": wrong}),
            )
            .await;
        let expected = if i < 4 {
            "wrong_code"
        } else {
            "too_many_attempts"
        };
        assert_eq!(r.json["errors"][0]["code"], expected, "attempt {i}");
    }
    // Burnt: even the right code no longer works.
    let r = c
        .post(
            "/api/v1/auth/verify",
            json!({"email": "a@x.io", "code": code}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["code"], "too_many_attempts");

    // Expiry: a code older than five minutes is refused.
    c.post(
        "/api/v1/auth/signup",
        json!({"email": "b@x.io", "password": "correct horse 9", "nickname": "bbb"}),
    )
    .await;
    let code = app.last_code("b@x.io");
    moim_store::dispatch!(&app.db, pool => {
        sqlx::query("UPDATE email_codes SET expires_at = 0").execute(pool).await.unwrap();
    });
    let r = c
        .post(
            "/api/v1/auth/verify",
            json!({"email": "b@x.io", "code": code}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["code"], "code_expired");
}

#[tokio::test]
async fn wrong_passwords_are_rate_limited_per_account() {
    let app = super::app().await;
    app.user("lim@x.io", "limit").await;
    let c = app.client();
    for _ in 0..5 {
        let r = c.post("/api/v1/auth/token", json!({"grant_type": "password", "email": "lim@x.io", "password": "nope nope nope"})).await;
        assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_credentials"));
    }
    // Now even the right password waits.
    let r = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "lim@x.io", "password": "correct horse 9"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "rate_limited"));
    // Unknown accounts answer exactly like wrong passwords (no account enumeration).
    let r = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "ghost@x.io", "password": "whatever 123"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_credentials"));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = super::app().await;
    app.user("r@x.io", "rot").await;
    let c = app.client();
    let first = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "r@x.io", "password": "correct horse 9"}),
        )
        .await;
    let r1 = first.json["refresh_token"].as_str().unwrap().to_owned();
    let second = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "refresh_token", "refresh_token": r1}),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    // Someone replays the first token: refused, and the whole family dies with it.
    let replay = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "refresh_token", "refresh_token": r1}),
        )
        .await;
    assert_eq!(
        (replay.status.as_u16(), replay.code()),
        (401, "refresh_token_reused")
    );
    let after = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "refresh_token", "refresh_token": r2}),
        )
        .await;
    assert_eq!(
        (after.status.as_u16(), after.code()),
        (401, "invalid_refresh_token")
    );
    // A token nobody issued.
    let bogus = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "refresh_token", "refresh_token": "nope"}),
        )
        .await;
    assert_eq!(bogus.code(), "invalid_refresh_token");
    // Revoking a family (log out this device) stops its live token.
    let fresh = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "r@x.io", "password": "correct horse 9"}),
        )
        .await;
    let r3 = fresh.json["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        c.post("/api/v1/auth/revoke", json!({"refresh_token": r3}))
            .await
            .status,
        204
    );
    let r = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "refresh_token", "refresh_token": r3}),
        )
        .await;
    assert_eq!(r.code(), "invalid_refresh_token");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let app = super::app().await;
    app.user("cc@x.io", "concur").await;
    let c = app.client();
    let t = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "cc@x.io", "password": "correct horse 9"}),
        )
        .await;
    let token = t.json["refresh_token"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            c.post(
                "/api/v1/auth/token",
                json!({"grant_type": "refresh_token", "refresh_token": token}),
            )
            .await
            .status
            .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "exactly one exchange of a refresh token may succeed");
}

#[tokio::test]
async fn logout_everywhere_and_password_change_invalidate_access_tokens() {
    let app = super::app().await;
    let u = app.user("lo@x.io", "logout").await;
    assert_eq!(u.get("/api/v1/me").await.status, 200);
    assert_eq!(
        u.post("/api/v1/auth/logout-all", json!({})).await.status,
        204
    );
    let r = u.get("/api/v1/me").await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_token"));

    let u = app.user("pw@x.io", "pwchange").await;
    let r = u
        .post(
            "/api/v1/me/password",
            json!({"current_password": "wrong one 1", "new_password": "another horse 7"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["errors"][0]["field"], "current_password");
    let r = u
        .post(
            "/api/v1/me/password",
            json!({"current_password": "correct horse 9", "new_password": "another horse 7"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        u.get("/api/v1/me").await.status,
        401,
        "old access tokens stop working"
    );
    let c = app.client();
    let old = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "pw@x.io", "password": "correct horse 9"}),
        )
        .await;
    assert_eq!(old.status, 401);
    let new = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "pw@x.io", "password": "another horse 7"}),
        )
        .await;
    assert_eq!(new.status, 200);
}

#[tokio::test]
async fn password_reset_by_email_link() {
    let app = super::app().await;
    app.user("reset@x.io", "resetter").await;
    let c = app.client();
    // Unknown addresses get the same answer.
    assert_eq!(
        c.post(
            "/api/v1/auth/password-reset",
            json!({"email": "nobody@x.io"})
        )
        .await
        .status,
        202
    );
    assert_eq!(
        c.post(
            "/api/v1/auth/password-reset",
            json!({"email": "reset@x.io"})
        )
        .await
        .status,
        202
    );
    let token = app.last_reset_token("reset@x.io");
    let r = c
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "short"}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["code"], "too_short");
    let r = c
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "brand new horse"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Single use.
    let r = c
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "brand new horse 2"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_reset_token");
    let r = c
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "email": "reset@x.io", "password": "brand new horse"}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Limited: three requests an hour per address.
    for _ in 0..2 {
        c.post(
            "/api/v1/auth/password-reset",
            json!({"email": "reset@x.io"}),
        )
        .await;
    }
    let r = c
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "reset@x.io"}),
        )
        .await;
    assert_eq!(r.status, 429);
}

#[tokio::test]
async fn profile_updates_and_nickname_uniqueness() {
    let app = super::app().await;
    let a = app.user("p1@x.io", "alpha").await;
    app.user("p2@x.io", "Bravo").await;
    let r = a.patch("/api/v1/me", json!({"nickname": "bravo"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        (
            r.json["errors"][0]["field"].as_str(),
            r.json["errors"][0]["code"].as_str()
        ),
        (Some("nickname"), Some("taken"))
    );
    let r = a
        .patch("/api/v1/me", json!({"bio": "달리기 좋아해요", "locale": "en", "time_zone": "Europe/Berlin", "avatar_url": "https://img.test/a.png"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["locale"], "en");
    assert_eq!(r.json["time_zone"], "Europe/Berlin");
    assert_eq!(
        r.json["nickname"], "alpha",
        "absent fields keep their values"
    );
    let r = a
        .patch(
            "/api/v1/me",
            json!({"time_zone": "Mars/Base", "avatar_url": "javascript:alert(1)"}),
        )
        .await;
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"time_zone") && fields.contains(&"avatar_url"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn account_deletion_is_refused_while_owning_a_group() {
    let app = super::app().await;
    let owner = app.user("own@x.io", "owner1").await;
    let other = app.user("oth@x.io", "other1").await;
    let g = super::make_group(&owner, "독서모임", 10, "invite").await;
    let code = super::invite_code(&owner, &g).await;
    assert_eq!(
        other
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await
            .status,
        200
    );
    let del = |c: &moim_testkit::Client, pw: &str| {
        let c = c.clone();
        let body = json!({"password": pw});
        async move {
            c.request(axum::http::Method::DELETE, "/api/v1/me", Some(body))
                .await
        }
    };
    let r = del(&owner, "correct horse 9").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "owns_groups"));
    let other_id = other.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .post(
                &format!("/api/v1/groups/{g}/transfer"),
                json!({"user_id": other_id})
            )
            .await
            .status,
        204
    );
    let r = del(&owner, "wrong password").await;
    assert_eq!(r.json["errors"][0]["code"], "wrong_password");
    assert_eq!(del(&owner, "correct horse 9").await.status, 204);
    // The group lives on with its new owner and one member fewer.
    let r = other.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(r.json["member_count"], 1);
    assert_eq!(r.json["my_role"], "owner");
}
