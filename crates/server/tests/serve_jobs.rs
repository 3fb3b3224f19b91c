#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

//! `moim serve` runs jobs in-process by default and not with `MOIM_JOBS_IN_PROCESS=false`; it
//! stops cleanly on SIGTERM either way.

mod common;

use moim_store::jobs::{self as store, NewJob, ledger};
use moim_testkit::TestApp;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn serve_with(in_process: bool) {
    let app = TestApp::new().await;
    let db = &app.db;
    let url = common::database_url(&app);
    ledger::ledger_create(db).await.unwrap();
    let id = store::enqueue(db, &NewJob::new("test.ledger", "{}"))
        .await
        .unwrap()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_moim"))
        .arg("serve")
        .env("MOIM_DATABASE_URL", &url)
        .env("MOIM_DATA_DIR", &app.dir)
        .env("MOIM_LISTEN", "127.0.0.1:0")
        .env("MOIM_JOBS_TEST_LEDGER", "true")
        .env("MOIM_JOBS_POLL_MS", "50")
        .env("MOIM_JOBS_IN_PROCESS", in_process.to_string())
        .env("MOIM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(if in_process { 30 } else { 2 });
    let mut status = String::new();
    while Instant::now() < deadline {
        status = store::get(db, id).await.unwrap().unwrap().status;
        if status == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "moim serve is still up"
    );
    let schedules: Vec<String> = store::schedules(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    if in_process {
        assert_eq!(status, "done", "the in-process runner ran the job");
        assert_eq!(
            schedules,
            ["housekeeping", "notify.retention"],
            "housekeeping and notification retention are scheduled"
        );
    } else {
        assert_eq!(status, "queued", "no runner in this process");
        assert!(schedules.is_empty());
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "clean exit on SIGTERM: {s}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("moim serve did not stop on SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_runs_jobs_in_process_by_default() {
    serve_with(true).await;
}

#[tokio::test]
async fn serve_leaves_jobs_to_workers_when_told() {
    serve_with(false).await;
}
