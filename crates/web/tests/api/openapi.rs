#[tokio::test]
async fn openapi_document_is_stable_and_served_with_an_offline_ui() {
    let app = super::app().await;
    let c = app.client();
    let r = c.get("/api/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["openapi"], "3.1.0");
    // Every route the API serves is documented.
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/token",
        "/api/v1/groups",
        "/api/v1/groups/{id}",
        "/api/v1/groups/{id}/members",
        "/api/v1/invites/{code}/join",
        "/api/v1/me",
    ] {
        assert!(
            r.json["paths"][path].is_object(),
            "{path} missing from the document"
        );
    }
    insta::assert_json_snapshot!("openapi", r.json);
    // The docs UI loads only our own assets.
    let docs = c.get("/api/docs").await;
    assert_eq!(docs.status, 200);
    assert!(
        docs.text
            .contains("/assets/vendor/swagger-ui/swagger-ui-bundle.js")
    );
    assert!(!docs.text.contains("https://"), "no CDN");
    for asset in [
        "/assets/vendor/swagger-ui/swagger-ui-bundle.js",
        "/assets/vendor/swagger-ui/swagger-ui.css",
        "/assets/js/api-docs.js",
        "/assets/vendor/htmx/htmx.min.js",
        "/assets/css/app.css",
    ] {
        let a = c.get(asset).await;
        assert_eq!(a.status, 200, "{asset}");
        assert!(a.header("cache-control").unwrap().contains("max-age"));
    }
}
