#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = super::app().await;
    let c = app.client();
    assert_eq!(c.get("/healthz").await.text, "ok");
    assert_eq!(c.get("/readyz").await.status, 200);
    c.get("/api/v1/groups").await;
    let m = c.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(
        m.text.contains("route=\"/api/v1/groups\""),
        "per-route labels"
    );
    assert!(
        m.text.contains("http_request_duration_seconds_bucket"),
        "latency histogram"
    );
    // When the database goes away, readiness says so (and health does not).
    app.db.close().await;
    assert_eq!(c.get("/readyz").await.status, 503);
    assert_eq!(c.get("/healthz").await.status, 200);
}
