use axum::http::Method;
use moim_testkit::json;

#[tokio::test]
async fn bad_input_gets_field_level_problems_never_a_500() {
    let app = super::app().await;
    let c = app.client();
    let u = app.user("e@x.io", "errors").await;
    let problem = "application/problem+json";

    // Missing fields.
    let r = c
        .post("/api/v1/auth/signup", json!({"email": "a@b.co"}))
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 422);
    assert_eq!(r.header("content-type"), Some(problem));
    assert_eq!(r.json["errors"][0]["field"], "password");
    assert_eq!(r.json["errors"][0]["code"], "required");
    // Every invalid field at once, each with a message.
    let r = c
        .post(
            "/api/v1/auth/signup",
            json!({"email": "not-an-email", "password": "short", "nickname": "x"}),
        )
        .await;
    super::assert_clean(&r);
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "nickname"]);
    assert!(
        r.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_empty())
    );
    // Wrong types.
    let r = u
        .post(
            "/api/v1/groups",
            json!({"name": "x", "category": "study", "capacity": "ten"}),
        )
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 422);
    assert_eq!(
        (
            r.json["errors"][0]["field"].as_str(),
            r.json["errors"][0]["code"].as_str()
        ),
        (Some("capacity"), Some("invalid_type"))
    );
    // Overlong strings.
    let long = "가".repeat(31);
    let r = u.post("/api/v1/groups", json!({"name": long, "category": "study", "capacity": 5, "description": "x".repeat(1001)})).await;
    super::assert_clean(&r);
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "description"]);
    assert!(
        r.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "too_long")
    );
    // Unknown enum values, bad dates, reversed periods.
    let r = u
        .post("/api/v1/groups", json!({"name": "x", "category": "piracy", "capacity": 5, "starts_on": "2026-13-01", "ends_on": "2026-01-01", "visibility": "secret"}))
        .await;
    super::assert_clean(&r);
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"category")
            && fields.contains(&"starts_on")
            && fields.contains(&"visibility"),
        "{fields:?}"
    );
    let r = u.post("/api/v1/groups", json!({"name": "x", "category": "study", "capacity": 5, "starts_on": "2026-05-01", "ends_on": "2026-04-01"})).await;
    super::assert_clean(&r);
    assert_eq!(r.json["errors"][0]["code"], "before_start");
    // Unknown fields are named rather than silently dropped.
    let r = u
        .post(
            "/api/v1/groups",
            json!({"name": "x", "category": "study", "capacity": 5, "owner_id": "someone"}),
        )
        .await;
    super::assert_clean(&r);
    assert_eq!(r.json["errors"][0]["code"], "unknown_field");
    // Unknown and malformed ids.
    for path in [
        "/api/v1/groups/00000000-0000-0000-0000-000000000000",
        "/api/v1/groups/not-a-uuid",
        "/api/v1/groups/1;DROP%20TABLE%20groups/members",
    ] {
        let r = u.get(path).await;
        super::assert_clean(&r);
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(problem));
    }
    // Malformed JSON, wrong content type, empty body, unknown route, wrong method.
    let r = u
        .raw(
            Method::POST,
            "/api/v1/groups",
            "application/json",
            "{\"name\": ",
        )
        .await;
    super::assert_clean(&r);
    assert_eq!((r.status.as_u16(), r.code()), (400, "malformed_json"));
    let r = u
        .raw(Method::POST, "/api/v1/groups", "text/xml", "<group/>")
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 415);
    let r = u
        .raw(Method::POST, "/api/v1/groups", "application/json", "")
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 400);
    let r = u.get("/api/v1/nothing-here").await;
    super::assert_clean(&r);
    assert_eq!(
        (r.status.as_u16(), r.code(), r.header("content-type")),
        (404, "route_not_found", Some(problem))
    );
    let r = u.request(Method::PUT, "/api/v1/me", Some(json!({}))).await;
    super::assert_clean(&r);
    assert_eq!(r.status, 405);
    // A body over the limit.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = u
        .raw(Method::POST, "/api/v1/groups", "application/json", &big)
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn html_forms_show_errors_next_to_fields() {
    let app = super::app().await;
    let web = app.client();
    let r = web
        .form(
            "/signup",
            &[
                ("email", "nope"),
                ("password", "12345678"),
                ("nickname", "a"),
            ],
        )
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"email-error\""));
    assert!(r.text.contains("흔한 비밀번호"), "Korean by default");
    assert!(
        r.text.contains("value=\"nope\""),
        "what the user typed is kept"
    );
    app.user("f@x.io", "former").await;
    web.form(
        "/login",
        &[("email", "f@x.io"), ("password", "correct horse 9")],
    )
    .await;
    let r = web
        .form(
            "/groups",
            &[("name", ""), ("category", "study"), ("capacity", "many")],
        )
        .await;
    super::assert_clean(&r);
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("id=\"name-error\"") && r.text.contains("id=\"capacity-error\""),
        "{}",
        r.text
    );
}
