#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

//! The `moim worker` binary, for real: 1 000 due jobs, a worker killed with SIGKILL in the middle
//! of a batch, two more workers started: every job completes and none twice.
//!
//! The hidden `test.ledger` job kind completes its job and appends a ledger row in one
//! transaction, so the ledger holds exactly the committed completions: a job run twice to
//! completion would show up as two rows. Runs on SQLite, or on PostgreSQL when
//! `MOIM_TEST_DATABASE_URL` is set.

mod common;

use common::database_url;
use moim_store::jobs::{self as store, NewJob, ledger};
use moim_testkit::TestApp;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const JOBS: i64 = 1000;

fn worker(app: &TestApp, url: &str, name: &str) -> Child {
    let log = std::fs::File::create(app.dir.join(format!("{name}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_moim"))
        .arg("worker")
        .env("MOIM_DATABASE_URL", url)
        .env("MOIM_DATA_DIR", &app.dir)
        .env("MOIM_JOBS_TEST_LEDGER", "true")
        .env("MOIM_JOBS_LEASE_SECS", "2")
        .env("MOIM_JOBS_CONCURRENCY", "16")
        .env("MOIM_JOBS_POLL_MS", "50")
        .env("MOIM_DB_MAX_CONNECTIONS", "8")
        .env("MOIM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start moim worker")
}

async fn count(db: &moim_store::Db, status: &str) -> i64 {
    store::counts(db)
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == status)
        .map_or(0, |(_, n)| n)
}

/// Stops a worker whatever happens to the test.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_no_job_and_none_runs_twice() {
    let app = TestApp::new().await;
    let db = &app.db;
    let url = database_url(&app);
    ledger::ledger_create(db).await.unwrap();
    for _ in 0..JOBS {
        store::enqueue(db, &NewJob::new("test.ledger", r#"{"sleep_ms": 20}"#))
            .await
            .unwrap()
            .unwrap();
    }

    // Worker A starts on the batch; kill -9 it once it is well into the work.
    let mut a = Reap(worker(&app, &url, "a"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (rows, _) = ledger::ledger_counts(db).await.unwrap();
        if rows >= 150 {
            break;
        }
        if let Ok(Some(status)) = a.0.try_wait() {
            panic!(
                "worker A exited early ({status}): {}",
                std::fs::read_to_string(app.dir.join("a.log")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "worker A made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.0.kill().unwrap(); // SIGKILL: no shutdown, no release
    a.0.wait().unwrap();
    // PostgreSQL finishes a statement (even a COMMIT) it had received before the client died;
    // let those land before looking at what the kill left behind. B and C start later than
    // this, and A's leases last 2 s, so nothing is reclaimed meanwhile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (done_by_a, _) = ledger::ledger_counts(db).await.unwrap();
    let stranded = count(db, "running").await;
    assert!(
        stranded > 0,
        "the kill should leave claimed jobs behind: {:?}, ledger {done_by_a}",
        store::counts(db).await.unwrap()
    );
    assert!(done_by_a < JOBS, "A was killed mid-way ({done_by_a} done)");

    // Two fresh workers finish the queue, including A's stranded batch once its lease expires.
    let _b = Reap(worker(&app, &url, "b"));
    let _c = Reap(worker(&app, &url, "c"));
    let deadline = Instant::now() + Duration::from_secs(90);
    // (Counting ledger rows, not done jobs: the workers' housekeeping schedule may add a job.)
    while ledger::ledger_counts(db).await.unwrap().1 < JOBS {
        assert!(
            Instant::now() < deadline,
            "not finished: {:?}\nb: {}",
            store::counts(db).await.unwrap(),
            std::fs::read_to_string(app.dir.join("b.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rows, distinct) = ledger::ledger_counts(db).await.unwrap();
    assert_eq!(distinct, JOBS, "every job completed");
    assert_eq!(rows, JOBS, "no job completed twice");
    let test_jobs: Vec<_> = store::list(db, None, None, 2 * JOBS)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "test.ledger")
        .collect();
    assert_eq!(test_jobs.len() as i64, JOBS);
    assert!(test_jobs.iter().all(|j| j.status == "done"));
    // A's stranded jobs were run again by the others (a second attempt).
    let retried = test_jobs.iter().filter(|j| j.attempts >= 2).count() as i64;
    assert!(
        retried >= stranded,
        "{retried} re-run, {stranded} were stranded"
    );
    // The housekeeping and notification-retention schedules were registered by the workers.
    let names: Vec<String> = store::schedules(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["housekeeping", "notify.retention"]);
}
