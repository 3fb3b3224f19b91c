#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

//! The admin jobs API: only verified accounts listed in `MOIM_ADMIN_EMAILS` may list, retry and
//! discard jobs. Runs on SQLite, or on PostgreSQL when `MOIM_TEST_DATABASE_URL` is set.

use moim_core::time::now_millis;
use moim_store::jobs::{self as store, NewJob};
use moim_testkit::{TestApp, json};

#[tokio::test]
async fn operators_list_retry_and_discard_jobs() {
    let app = TestApp::with_config(|c| {
        c.admin_emails = moim_web::config::parse_admin_emails(" Ops@Example.com ,, ");
    })
    .await;
    let ops = app.user("ops@example.com", "operator").await;
    let member = app.user("member@example.com", "member").await;
    let db = &app.db;

    // A job that failed for good, and three queued ones.
    let dead = store::enqueue(db, &NewJob::new("mail", r#"{"to":"x"}"#).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    let claimed = store::claim(db, "w1", 1, now_millis() + 60_000)
        .await
        .unwrap();
    assert_eq!(claimed[0].id, dead);
    store::fail(db, &claimed[0], "smtp refused", None)
        .await
        .unwrap();
    for i in 0..3 {
        store::enqueue(
            db,
            &NewJob::new("later", "{}")
                .unique(&format!("k{i}"))
                .at(now_millis() + 3_600_000),
        )
        .await
        .unwrap()
        .unwrap();
    }

    // Not for members, nor for anonymous callers.
    let r = member.get("/api/v1/admin/jobs").await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "admin_only"));
    let r = member
        .post(&format!("/api/v1/admin/jobs/{dead}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(store::get(db, dead).await.unwrap().unwrap().status, "dead");
    let r = app.client().get("/api/v1/admin/jobs").await;
    assert_eq!(r.status, 401);

    // The dead letter.
    let r = ops.get("/api/v1/admin/jobs?status=dead").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], dead.to_string());
    assert_eq!(items[0]["last_error"], "smtp refused");
    assert_eq!(items[0]["attempts"], 1);
    // Pages, newest first.
    let r = ops.get("/api/v1/admin/jobs?limit=3").await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 3);
    assert_eq!(r.json["items"][0]["unique_key"], "k2");
    let cursor = r.json["next_cursor"].as_str().unwrap().to_owned();
    let r = ops
        .get(&format!("/api/v1/admin/jobs?limit=3&cursor={cursor}"))
        .await;
    let rest = r.json["items"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["id"], dead.to_string());
    assert!(r.json["next_cursor"].is_null());
    // Bad input is a problem, not a 500.
    let r = ops.get("/api/v1/admin/jobs?status=exploded").await;
    assert_eq!(r.status, 422);
    let r = ops.get("/api/v1/admin/jobs?limit=0").await;
    assert_eq!(r.status, 422);
    let r = ops.get("/api/v1/admin/jobs?cursor=nonsense").await;
    assert_eq!(r.status, 400);

    // Retry: queued again with a fresh budget on top of the attempt it used (attempts are
    // never lowered), its last error still on record; only dead jobs.
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{dead}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["status"].as_str(), r.json["attempts"].as_i64()),
        (Some("queued"), Some(1))
    );
    assert_eq!(r.json["max_attempts"], 1 + store::RETRY_ATTEMPTS);
    assert_eq!(r.json["last_error"], "smtp refused");
    assert!(r.json["finished_at"].is_null());
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{dead}/retry"), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_dead"));
    assert!(r.text.contains("queued"), "says why: {}", r.text);

    // A running job can be neither retried nor discarded, and the runner's claim stays good.
    let claimed = store::claim(db, "w2", 10, now_millis() + 60_000)
        .await
        .unwrap();
    let running = claimed.into_iter().find(|j| j.id == dead).unwrap();
    for (what, code) in [
        ("discard", "job_not_discardable"),
        ("retry", "job_not_dead"),
    ] {
        let r = ops
            .post(&format!("/api/v1/admin/jobs/{dead}/{what}"), json!({}))
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (409, code), "{what}");
    }
    assert!(
        store::fail(db, &running, "smtp refused again", None)
            .await
            .unwrap()
            .is_some()
    );
    // A queued job can be discarded, and a cancelled one cannot be retried.
    let queued = store::get_by_key(db, "k0").await.unwrap().unwrap().id;
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{queued}/discard"), json!({}))
        .await;
    assert_eq!(r.json["status"], "cancelled", "{}", r.text);
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{queued}/retry"), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_dead"));
    // Discard: cancelled, and cannot be discarded twice.
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{dead}/discard"), json!({}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json["status"].as_str()),
        (200, Some("cancelled"))
    );
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{dead}/discard"), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "job_not_discardable"));
    assert_eq!(
        store::get(db, dead).await.unwrap().unwrap().status,
        "cancelled"
    );
    let unknown = uuid::Uuid::now_v7();
    let r = ops
        .post(&format!("/api/v1/admin/jobs/{unknown}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 404);
    let r = ops
        .post("/api/v1/admin/jobs/not-a-uuid/discard", json!({}))
        .await;
    assert_eq!(r.status, 404);
}
