//! The admin jobs API: list, retry a dead job, discard. Wrong states are a 409 problem with a
//! stable code, never a 500 or a silent 200; a retried job keeps its last error on record.

use moim_core::time::{MINUTE, now_millis};
use moim_store::jobs::{self as store, NewJob};
use moim_testkit::{TestApp, json};
use uuid::Uuid;

/// A job that ran once and failed for good.
async fn dead_job(t: &TestApp) -> Uuid {
    let id = store::enqueue(&t.db, &NewJob::new("admin.test", "{}").max_attempts(2))
        .await
        .unwrap()
        .unwrap();
    let jobs = store::claim(&t.db, "test-worker", 10, now_millis() + MINUTE)
        .await
        .unwrap();
    let job = jobs.into_iter().find(|j| j.id == id).unwrap();
    let status = store::fail(&t.db, &job, "mail server said no", None)
        .await
        .unwrap();
    assert_eq!(status.as_deref(), Some("dead"));
    id
}

#[tokio::test]
async fn an_admin_retries_and_discards_jobs_and_wrong_states_are_conflicts() {
    let t = TestApp::with_config(|c| c.admin_emails = vec!["admin@example.com".into()]).await;
    let admin = t.user("admin@example.com", "admin").await;
    let someone = t.user("someone@example.com", "someone").await;
    let dead = dead_job(&t).await;
    let path = |id: Uuid, what: &str| format!("/api/v1/admin/jobs/{id}/{what}");

    // Not for members.
    assert_eq!(someone.get("/api/v1/admin/jobs").await.code(), "admin_only");
    assert_eq!(
        someone.post(&path(dead, "retry"), json!({})).await.code(),
        "admin_only"
    );
    assert_eq!(store::get(&t.db, dead).await.unwrap().unwrap().status, "dead");

    // The dead letter, filtered by status.
    let r = admin.get("/api/v1/admin/jobs?status=dead").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], dead.to_string());
    assert_eq!(items[0]["last_error"], "mail server said no");
    assert_eq!(
        admin.get("/api/v1/admin/jobs?status=zombie").await.status,
        422
    );

    // Retry: queued again with a fresh budget on top of the attempt it used, the error kept.
    let r = admin.post(&path(dead, "retry"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "queued");
    assert_eq!(r.json["attempts"], 1);
    assert_eq!(r.json["max_attempts"], 1 + store::RETRY_ATTEMPTS);
    assert_eq!(r.json["last_error"], "mail server said no");
    assert!(r.json["finished_at"].is_null());
    // Retrying a job that is not dead is a conflict that says why.
    let r = admin.post(&path(dead, "retry"), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_dead"), "{}", r.text);
    assert!(r.text.contains("queued"), "{}", r.text);

    // A running job can be neither retried nor discarded.
    let jobs = store::claim(&t.db, "test-worker", 10, now_millis() + MINUTE)
        .await
        .unwrap();
    assert!(jobs.iter().any(|j| j.id == dead));
    let r = admin.post(&path(dead, "discard"), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_discardable"), "{}", r.text);
    assert_eq!(
        admin.post(&path(dead, "retry"), json!({})).await.code(),
        "job_not_dead"
    );
    assert_eq!(store::get(&t.db, dead).await.unwrap().unwrap().status, "running");
    // The runner's claim is still good: the operator changed nothing.
    let job = store::get(&t.db, dead).await.unwrap().unwrap();
    assert!(store::complete(&t.db, &job).await.unwrap());

    // Discard a dead job (another one) and a queued one; then both are final.
    let dead2 = dead_job(&t).await;
    let queued = store::enqueue(
        &t.db,
        &NewJob::new("admin.test", "{}").at(now_millis() + 60 * MINUTE),
    )
    .await
    .unwrap()
    .unwrap();
    for id in [dead2, queued] {
        let r = admin.post(&path(id, "discard"), json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["status"], "cancelled");
        let r = admin.post(&path(id, "discard"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_discardable"));
        let r = admin.post(&path(id, "retry"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_dead"));
    }
    // A finished job neither.
    assert_eq!(
        admin.post(&path(dead, "discard"), json!({})).await.code(),
        "job_not_discardable"
    );
    // Unknown jobs are 404; a malformed id is a 4xx, not a 500.
    assert_eq!(
        admin
            .post(&path(Uuid::now_v7(), "retry"), json!({}))
            .await
            .status,
        404
    );
    let r = admin.post("/api/v1/admin/jobs/not-a-uuid/discard", json!({})).await;
    assert!(r.status.is_client_error(), "{}", r.text);
}
