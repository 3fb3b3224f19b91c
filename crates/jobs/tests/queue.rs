#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

//! The queue on a real database: SQLite by default, PostgreSQL when `MOIM_TEST_DATABASE_URL` is
//! set (each test gets a fresh database from `moim_testkit::TestApp`).

use moim_core::time::{MINUTE, now_millis};
use moim_jobs::{JobCtx, JobError, NewJob, Registry, Runner, RunnerConfig, fire_due_schedules};
use moim_store::jobs as store;
use moim_testkit::TestApp;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn fast() -> RunnerConfig {
    RunnerConfig {
        poll_interval: Duration::from_millis(20),
        backoff_base: Duration::ZERO,
        ..RunnerConfig::default()
    }
}

#[tokio::test]
async fn a_unique_key_is_enqueued_once() {
    let app = TestApp::new().await;
    let db = &app.db;
    let key = "meetup:7:reminder:24h";
    let first = store::enqueue(db, &NewJob::new("remind", "{}").unique(key))
        .await
        .unwrap();
    assert!(first.is_some());
    let again = store::enqueue(db, &NewJob::new("remind", "{\"other\":1}").unique(key))
        .await
        .unwrap();
    assert_eq!(again, None, "the same reminder is not enqueued twice");
    // Even after it ran, the key stays taken.
    let runner = Runner::new(
        db.clone(),
        {
            let mut r = Registry::new();
            r.register("remind", |_ctx: JobCtx| async { Ok(()) });
            r
        },
        fast(),
    );
    assert_eq!(runner.drain().await.unwrap(), 1);
    assert_eq!(
        store::get_by_key(db, key).await.unwrap().unwrap().status,
        "done"
    );
    let after = moim_jobs::enqueue(db, "remind", &serde_json::json!({}), Some(key))
        .await
        .unwrap();
    assert_eq!(after, None);
    // Jobs without a key never conflict.
    for _ in 0..3 {
        assert!(
            store::enqueue(db, &NewJob::new("x", "{}"))
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test]
async fn failures_retry_with_backoff_then_go_to_the_dead_letter() {
    let app = TestApp::new().await;
    let db = &app.db;
    let runs = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let r2 = runs.clone();
    reg.register("flaky", move |ctx: JobCtx| {
        let runs = r2.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(JobError::retry(format!(
                "smtp down (attempt {})",
                ctx.attempt()
            )))
        }
    });
    reg.register("bad", |ctx: JobCtx| async move {
        let _: u32 = ctx.payload()?; // "{}" is not a number: permanent
        Ok(())
    });
    reg.register("panics", |_ctx: JobCtx| async move {
        if true {
            panic!("boom");
        }
        Ok(())
    });
    let runner = Runner::new(db.clone(), reg, fast());
    let flaky = store::enqueue(db, &NewJob::new("flaky", "{}").max_attempts(3))
        .await
        .unwrap()
        .unwrap();
    let bad = store::enqueue(db, &NewJob::new("bad", "{}"))
        .await
        .unwrap()
        .unwrap();
    let panics = store::enqueue(db, &NewJob::new("panics", "{}").max_attempts(2))
        .await
        .unwrap()
        .unwrap();
    let unknown = store::enqueue(db, &NewJob::new("nobody", "{}").max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    runner.drain().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 3, "three attempts, then stop");
    let j = store::get(db, flaky).await.unwrap().unwrap();
    assert_eq!((j.status.as_str(), j.attempts), ("dead", 3));
    assert_eq!(j.last_error.as_deref(), Some("smtp down (attempt 3)"));
    assert!(j.finished_at.is_some() && j.locked_by.is_none());
    let j = store::get(db, bad).await.unwrap().unwrap();
    assert_eq!(
        (j.status.as_str(), j.attempts),
        ("dead", 1),
        "no retry of a bad payload"
    );
    let j = store::get(db, panics).await.unwrap().unwrap();
    assert_eq!((j.status.as_str(), j.attempts), ("dead", 2));
    assert!(j.last_error.unwrap().contains("boom"));
    let j = store::get(db, unknown).await.unwrap().unwrap();
    assert_eq!(j.status, "dead");

    // An operator retries the dead job: a fresh budget on top of the attempts it used (which
    // are never lowered), its last error still on record, and it runs again.
    assert!(store::retry_dead(db, flaky).await.unwrap());
    let j = store::get(db, flaky).await.unwrap().unwrap();
    assert_eq!(
        (j.status.as_str(), j.attempts, j.max_attempts),
        ("queued", 3, 3 + store::RETRY_ATTEMPTS)
    );
    assert_eq!(j.last_error.as_deref(), Some("smtp down (attempt 3)"));
    assert!(j.finished_at.is_none());
    assert!(
        !store::retry_dead(db, flaky).await.unwrap(),
        "only dead jobs"
    );
    runner.drain().await.unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3 + store::RETRY_ATTEMPTS as usize
    );
    let j = store::get(db, flaky).await.unwrap().unwrap();
    assert_eq!((j.status.as_str(), j.attempts), ("dead", 8));
    // Discard takes it out of the dead letter for good.
    assert!(store::discard(db, flaky).await.unwrap());
    assert_eq!(
        store::get(db, flaky).await.unwrap().unwrap().status,
        "cancelled"
    );
    assert!(!store::retry_dead(db, flaky).await.unwrap());

    // With a real backoff the retry waits: the job is queued, not due.
    let slow = Runner::new(
        db.clone(),
        {
            let mut r = Registry::new();
            r.register("flaky", |_ctx: JobCtx| async {
                Err(JobError::retry("later"))
            });
            r
        },
        RunnerConfig {
            backoff_base: Duration::from_secs(60),
            ..fast()
        },
    );
    let id = store::enqueue(db, &NewJob::new("flaky", "{}"))
        .await
        .unwrap()
        .unwrap();
    let before = now_millis();
    assert_eq!(slow.drain().await.unwrap(), 1, "not retried at once");
    let j = store::get(db, id).await.unwrap().unwrap();
    assert_eq!((j.status.as_str(), j.attempts), ("queued", 1));
    assert!(
        j.run_at >= before + 30_000 && j.run_at <= now_millis() + 60_000,
        "{}",
        j.run_at - before
    );
}

#[tokio::test]
async fn cancel_and_reschedule_by_key() {
    let app = TestApp::new().await;
    let db = &app.db;
    let at = now_millis() + 60 * MINUTE;
    for key in ["meetup:1:24h", "meetup:1:1h", "meetup:10:24h", "Meetup:1:x"] {
        store::enqueue(db, &NewJob::new("remind", "{}").unique(key).at(at))
            .await
            .unwrap()
            .unwrap();
    }
    // A moved meetup moves its reminder.
    assert!(
        store::reschedule(db, "meetup:10:24h", at + 5 * MINUTE)
            .await
            .unwrap()
    );
    assert_eq!(
        store::get_by_key(db, "meetup:10:24h")
            .await
            .unwrap()
            .unwrap()
            .run_at,
        at + 5 * MINUTE
    );
    assert!(!store::reschedule(db, "meetup:99:24h", at).await.unwrap());
    // A deleted meetup cancels everything about it, and nothing about meetup 10 or another case.
    assert_eq!(store::cancel_prefix(db, "meetup:1:").await.unwrap(), 2);
    for (key, status) in [
        ("meetup:1:24h", "cancelled"),
        ("meetup:1:1h", "cancelled"),
        ("meetup:10:24h", "queued"),
        ("Meetup:1:x", "queued"),
    ] {
        assert_eq!(
            store::get_by_key(db, key).await.unwrap().unwrap().status,
            status,
            "{key}"
        );
    }
    assert!(
        !store::reschedule(db, "meetup:1:24h", at).await.unwrap(),
        "cancelled stays"
    );
    let id = store::get_by_key(db, "meetup:10:24h")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(store::cancel(db, id).await.unwrap());
    assert!(!store::cancel(db, id).await.unwrap());
    // Not due, not claimed.
    let far = store::enqueue(db, &NewJob::new("later", "{}").at(at))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store::claim(db, "w", 10, now_millis() + 60_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store::get(db, far).await.unwrap().unwrap().status, "queued");
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_the_stale_claim_cannot_finish() {
    let app = TestApp::new().await;
    let db = &app.db;
    let id = store::enqueue(db, &NewJob::new("k", "{}"))
        .await
        .unwrap()
        .unwrap();
    // Worker A claims with a lease that has already run out (it was killed).
    let a = store::claim(db, "A", 10, now_millis() - 1).await.unwrap();
    assert_eq!(a.len(), 1);
    let b = store::claim(db, "B", 10, now_millis() + 60_000)
        .await
        .unwrap();
    assert_eq!(b.len(), 1, "B gets the job back");
    assert_eq!((b[0].id, b[0].attempts), (id, 2));
    assert!(
        !store::complete(db, &a[0]).await.unwrap(),
        "A's late result is ignored"
    );
    assert_eq!(store::fail(db, &a[0], "x", None).await.unwrap(), None);
    assert_eq!(
        store::renew_leases(db, "A", now_millis() + 60_000)
            .await
            .unwrap(),
        0
    );
    assert!(store::complete(db, &b[0]).await.unwrap());
    assert_eq!(store::get(db, id).await.unwrap().unwrap().status, "done");
    // A job that used its last attempt when its worker died goes to the dead letter.
    let id = store::enqueue(db, &NewJob::new("k", "{}").max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    store::claim(db, "A", 10, now_millis() - 1).await.unwrap();
    assert_eq!(store::reclaim_expired(db, now_millis()).await.unwrap(), 1);
    assert_eq!(store::get(db, id).await.unwrap().unwrap().status, "dead");
}

#[tokio::test]
async fn concurrent_claims_take_disjoint_batches() {
    let app = TestApp::new().await;
    let db = &app.db;
    for i in 0..200 {
        store::enqueue(db, &NewJob::new("k", &i.to_string()))
            .await
            .unwrap();
    }
    let mut handles = vec![];
    for w in 0..4 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = vec![];
            loop {
                let got = store::claim(&db, &format!("w{w}"), 7, now_millis() + 60_000)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = vec![];
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 200, "every job claimed");
    assert_eq!(distinct.len(), 200, "none claimed twice");
}

#[tokio::test]
async fn list_pages_newest_first_with_a_status_filter() {
    let app = TestApp::new().await;
    let db = &app.db;
    let mut ids = vec![];
    for i in 0..5 {
        ids.push(
            store::enqueue(db, &NewJob::new("k", &i.to_string()))
                .await
                .unwrap()
                .unwrap(),
        );
    }
    store::cancel(db, ids[1]).await.unwrap();
    let first = store::list(db, None, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let last = first.last().unwrap();
    let cursor = moim_store::groups::Cursor {
        at: last.created_at,
        id: last.id,
    };
    let second = store::list(db, None, Some(cursor), 10).await.unwrap();
    assert_eq!(
        second.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]]
    );
    let cancelled = store::list(db, Some("cancelled"), None, 10).await.unwrap();
    assert_eq!(cancelled.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1]]);
}

#[tokio::test]
async fn schedules_fire_each_occurrence_once_across_two_runners() {
    let app = TestApp::new().await;
    let db = &app.db;
    // Every 5 minutes, starting at a known instant; two runners tick through two hours of
    // simulated time concurrently, several times per minute.
    let t0: i64 = "2026-03-29T00:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    store::upsert_schedule(
        db,
        "digest",
        "*/5 * * * *",
        "Europe/Berlin",
        "digest",
        "{}",
        t0,
    )
    .await
    .unwrap();
    let mut fired = 0;
    for step in 0..(120 * 3) {
        let now = t0 + step * 20_000;
        let (a, b) = tokio::join!(fire_due_schedules(db, now), fire_due_schedules(db, now));
        fired += a.unwrap() + b.unwrap();
    }
    let jobs = store::list(db, Some("queued"), None, 100).await.unwrap();
    assert_eq!(fired, 24);
    assert_eq!(jobs.len(), 24, "one job per occurrence");
    let mut at: Vec<i64> = jobs.iter().map(|j| j.run_at).collect();
    at.sort();
    let want: Vec<i64> = (0..24).map(|i| t0 + i * 5 * MINUTE).collect();
    assert_eq!(at, want);
    let keys: HashSet<_> = jobs.iter().map(|j| j.unique_key.clone().unwrap()).collect();
    assert!(keys.contains(&format!("schedule:digest:{t0}")));

    // Restarting a runner keeps the pending occurrence; changing the expression resets it.
    let before = store::schedules(db).await.unwrap()[0].next_run_at;
    store::upsert_schedule(
        db,
        "digest",
        "*/5 * * * *",
        "Europe/Berlin",
        "digest",
        "{}",
        1,
    )
    .await
    .unwrap();
    assert_eq!(store::schedules(db).await.unwrap()[0].next_run_at, before);
}

#[tokio::test]
async fn a_missed_occurrence_is_enqueued_when_a_runner_comes_back() {
    let app = TestApp::new().await;
    let db = &app.db;
    let runs = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let r2 = runs.clone();
    reg.register("nightly", move |_ctx: JobCtx| {
        let runs = r2.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let runner = Runner::new(db.clone(), reg, fast())
        .schedule("nightly", "0 3 * * *", "Asia/Seoul", "nightly", "{}")
        .unwrap();
    runner.register_schedules().await.unwrap();
    let s = &store::schedules(db).await.unwrap()[0];
    assert!(s.next_run_at > now_millis());
    // The server was down when 03:00 came: next_run_at is in the past.
    let missed = now_millis() - 3 * 60 * MINUTE;
    store::upsert_schedule(
        db,
        "nightly",
        "0 3 * * 1",
        "Asia/Seoul",
        "nightly",
        "{}",
        missed,
    )
    .await
    .unwrap();
    store::upsert_schedule(
        db,
        "nightly",
        "0 3 * * *",
        "Asia/Seoul",
        "nightly",
        "{}",
        missed,
    )
    .await
    .unwrap();
    // A runner starting up keeps the missed occurrence and runs it once.
    runner.register_schedules().await.unwrap();
    assert_eq!(store::schedules(db).await.unwrap()[0].next_run_at, missed);
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let next = store::schedules(db).await.unwrap()[0].next_run_at;
    assert!(next > now_millis() && next <= now_millis() + 24 * 60 * MINUTE);
}

#[tokio::test]
async fn shutdown_finishes_in_flight_jobs_and_releases_the_rest() {
    let app = TestApp::new().await;
    let db = &app.db;
    let mut reg = Registry::new();
    reg.register("quick", |_ctx: JobCtx| async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(())
    });
    reg.register("stuck", |_ctx: JobCtx| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    });
    let quick = store::enqueue(db, &NewJob::new("quick", "{}"))
        .await
        .unwrap()
        .unwrap();
    let stuck = store::enqueue(db, &NewJob::new("stuck", "{}"))
        .await
        .unwrap()
        .unwrap();
    let runner = Runner::new(
        db.clone(),
        reg,
        RunnerConfig {
            shutdown_grace: Duration::from_millis(500),
            ..fast()
        },
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(runner.run(async move {
        let _ = rx.await;
    }));
    // Wait until both are running, then ask it to stop.
    for _ in 0..100 {
        let running = store::list(db, Some("running"), None, 10).await.unwrap();
        if running.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(store::get(db, quick).await.unwrap().unwrap().status, "done");
    let j = store::get(db, stuck).await.unwrap().unwrap();
    assert_eq!(j.status, "queued", "released for another worker");
    assert_eq!(j.attempts, 0, "the interrupted run does not count");
    assert!(j.locked_by.is_none());
}

#[tokio::test]
async fn a_running_runner_processes_a_burst_once_each() {
    let app = TestApp::new().await;
    let db = &app.db;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut reg = Registry::new();
    let s2 = seen.clone();
    reg.register("count", move |ctx: JobCtx| {
        let seen = s2.clone();
        async move {
            seen.lock().unwrap().push(ctx.id());
            Ok(())
        }
    });
    for _ in 0..100 {
        store::enqueue(db, &NewJob::new("count", "{}"))
            .await
            .unwrap();
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let runner = Runner::new(db.clone(), reg.clone(), fast());
    let other = Runner::new(db.clone(), reg, fast());
    let (tx2, rx2) = tokio::sync::oneshot::channel::<()>();
    let h1 = tokio::spawn(runner.run(async move {
        let _ = rx.await;
    }));
    let h2 = tokio::spawn(other.run(async move {
        let _ = rx2.await;
    }));
    for _ in 0..500 {
        if seen.lock().unwrap().len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.send(()).unwrap();
    tx2.send(()).unwrap();
    h1.await.unwrap().unwrap();
    h2.await.unwrap().unwrap();
    let seen = seen.lock().unwrap().clone();
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (100, 100));
    assert_eq!(
        store::counts(db).await.unwrap(),
        vec![("done".to_owned(), 100)]
    );
}

#[tokio::test]
async fn a_hung_handler_is_cancelled_at_its_timeout_and_retried() {
    let app = TestApp::new().await;
    let db = &app.db;
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = runs.clone();
    let mut reg = Registry::new();
    // The first run hangs for ever; the retry finishes at once.
    reg.register("hangs-once", move |ctx: JobCtx| {
        let runs = r2.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            if ctx.attempt() == 1 {
                std::future::pending::<()>().await;
            }
            Ok(())
        }
    });
    // A kind with its own, longer limit is not cut at the runner's default.
    reg.register("slow-but-allowed", |_ctx: JobCtx| async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(())
    });
    reg.timeout("slow-but-allowed", Duration::from_secs(5));
    let runner = Runner::new(
        db.clone(),
        reg,
        RunnerConfig {
            job_timeout: Duration::from_millis(150),
            backoff_base: Duration::from_secs(3600),
            ..fast()
        },
    );
    let id = store::enqueue(db, &NewJob::new("hangs-once", "{}").unique("hang"))
        .await
        .unwrap()
        .unwrap();
    let slow = store::enqueue(db, &NewJob::new("slow-but-allowed", "{}"))
        .await
        .unwrap()
        .unwrap();
    let started = std::time::Instant::now();
    runner.drain().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the hung run was cut"
    );
    let job = store::get(db, id).await.unwrap().unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("queued", 1),
        "{job:?}"
    );
    assert!(
        job.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("timed out"),
        "{job:?}"
    );
    assert_eq!(store::get(db, slow).await.unwrap().unwrap().status, "done");
    // The retry, once due, runs and completes.
    assert!(
        store::reschedule(db, "hang", now_millis() - 1)
            .await
            .unwrap()
    );
    runner.drain().await.unwrap();
    let job = store::get(db, id).await.unwrap().unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
