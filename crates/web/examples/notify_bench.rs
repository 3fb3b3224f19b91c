//! Notification and job-queue benchmark (run through `bench/notify/run.sh`).
//!
//! On a fresh database (SQLite, or PostgreSQL when `MOIM_TEST_DATABASE_URL` is set) it measures:
//! 1. job throughput of a no-op job with 1 and 2 workers (8 jobs at once each);
//! 2. job throughput of the in-app notification (reminder) job with 1 and 2 workers;
//! 3. 10 000 reminders (100 objects × 100 users) all due in the same minute: time until every
//!    one is in the recipients' in-app lists.
//!
//! With `BENCH_MOIM=<path to the moim binary>` the workers are separate `moim worker`
//! processes (started once per measurement, timed from their start); without it, runners in
//! this process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use moim_core::time::now_millis;
use moim_jobs::{JobCtx, JobError, Registry, Runner, RunnerConfig};
use moim_store::Db;
use moim_store::notifications::{self as store, Filter};
use moim_testkit::TestApp;
use moim_web::flows::notify::{self, Notice, Reminder};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn noop(_ctx: JobCtx) -> Result<(), JobError> {
    Ok(())
}

fn registry(t: &TestApp) -> Registry {
    let mut r = Registry::new();
    r.register("bench.noop", noop);
    notify::register(&mut r, t.state.clone());
    r
}

fn cfg() -> RunnerConfig {
    RunnerConfig {
        poll_interval: Duration::from_millis(50),
        concurrency: 8,
        batch_size: 8,
        ..RunnerConfig::default()
    }
}

async fn done_count(db: &Db, kind: &str) -> i64 {
    moim_store::jobs::count_of(db, kind, "done").await.unwrap()
}

/// The URL of the app's database, for a child process (the test kit names a PostgreSQL test
/// database after the app's folder).
fn database_url(app: &TestApp) -> String {
    match moim_testkit::postgres_url() {
        None => format!("sqlite://{}", app.dir.join("moim.db").display()),
        Some(admin) => {
            let id = app
                .dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("moim-test-")
                .to_owned();
            let base = admin.split('?').next().unwrap();
            let scheme_end = base.find("://").unwrap() + 3;
            let host_end = base[scheme_end..]
                .find('/')
                .map_or(base.len(), |i| i + scheme_end);
            format!("{}/moim_test_{id}", &base[..host_end])
        }
    }
}

/// Runs `workers` workers until `target` more jobs of `kind` are done; returns the elapsed time.
async fn run_until(t: &TestApp, workers: usize, kind: &str, target: i64) -> Duration {
    let base = done_count(&t.db, kind).await;
    let started = Instant::now();
    if let Ok(bin) = std::env::var("BENCH_MOIM") {
        let url = database_url(t);
        let mut children = Vec::new();
        for _ in 0..workers {
            children.push(
                std::process::Command::new(&bin)
                    .arg("worker")
                    .env("MOIM_DATABASE_URL", &url)
                    .env("MOIM_DATA_DIR", &t.dir)
                    .env("MOIM_JOBS_POLL_MS", "50")
                    .env("MOIM_JOBS_CONCURRENCY", "8")
                    .env("MOIM_LOG", "warn")
                    .spawn()
                    .expect("start moim worker"),
            );
        }
        while done_count(&t.db, kind).await - base < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = started.elapsed();
        for mut c in children {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let _ = c.wait();
        }
        return took;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    for _ in 0..workers {
        let runner = Runner::new(t.db.clone(), registry(t), cfg());
        let mut rx = stop_rx.clone();
        handles.push(tokio::spawn(runner.run(async move {
            let _ = rx.wait_for(|s| *s).await;
        })));
    }
    while done_count(&t.db, kind).await - base < target {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    let _ = stop_tx.send(true);
    for h in handles {
        let _ = h.await;
    }
    took
}

async fn users(t: &TestApp, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("u{i}@bench.local");
        let nick = format!("user{i}");
        let id = moim_store::accounts::create_user(
            &t.db,
            &moim_store::accounts::NewUser {
                email: &email,
                password_hash: "x",
                nickname: &nick,
                nickname_key: &nick,
                locale: "ko",
                time_zone: "Asia/Seoul",
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

fn notice(to: Uuid) -> Notice {
    Notice {
        recipient: to,
        kind: "system.notice",
        params: vec![("title", "bench".into()), ("body", "bench".into())],
        link: "/notifications".into(),
        group: None,
        actor: None,
    }
}

async fn reminders(t: &TestApp, users: &[Uuid], objects: usize, at: i64) -> Instant {
    let started = Instant::now();
    let all = (0..objects)
        .map(|_| Reminder {
            object: format!("meetup:{}", Uuid::now_v7()),
            key: "before-30m",
            at,
            notices: users.iter().map(|u| notice(*u)).collect(),
        })
        .collect();
    notify::remind_many(&t.state, all).await.unwrap();
    started
}

async fn in_app_total(t: &TestApp, users: &[Uuid]) -> usize {
    let mut n = 0;
    for u in users {
        n += store::list(&t.db, *u, &Filter::default(), None, 100_000)
            .await
            .unwrap()
            .len();
    }
    n
}

fn kind_of_worker() -> &'static str {
    if std::env::var("BENCH_MOIM").is_ok() {
        "worker process(es)"
    } else {
        "in-process runner(s)"
    }
}

#[tokio::main]
async fn main() {
    let jobs: i64 = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // E-mail jobs would be queued for every notification; keep them out of the way.
    let t = TestApp::with_config(|c| c.notify_email_delay = Duration::from_secs(24 * 3600)).await;
    println!("backend: {}", t.backend());

    for workers in [1, 2] {
        for _ in 0..jobs {
            moim_jobs::enqueue(&t.db, "bench.noop", &serde_json::json!({}), None)
                .await
                .unwrap();
        }
        let took = run_until(&t, workers, "bench.noop", jobs).await;
        println!(
            "no-op job, {workers} {}: {jobs} jobs in {:.2} s = {:.0} jobs/s",
            kind_of_worker(),
            took.as_secs_f64(),
            jobs as f64 / took.as_secs_f64()
        );
    }

    let people = users(&t, 100).await;
    for workers in [1, 2] {
        let objects = (jobs as usize / people.len()).max(1);
        reminders(&t, &people, objects, now_millis() - 1000).await;
        let n = (objects * people.len()) as i64;
        let took = run_until(&t, workers, notify::REMINDER_JOB, n).await;
        println!(
            "in-app notification (reminder) job, {workers} {}: {n} jobs in {:.2} s = {:.0} jobs/s",
            kind_of_worker(),
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }

    // 10 000 reminders due in the same minute.
    let before = in_app_total(&t, &people).await;
    let due = now_millis() + 60_000;
    let sched = reminders(&t, &people, 100, due).await;
    println!(
        "scheduling 10000 reminders took {:.2} s",
        sched.elapsed().as_secs_f64()
    );
    let wait = due - now_millis();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
    let took = run_until(&t, 1, notify::REMINDER_JOB, 10_000).await;
    let after = in_app_total(&t, &people).await;
    println!(
        "10000 reminders due at once: all delivered in-app {:.2} s after they fell due (1 {}, {} new rows)",
        took.as_secs_f64(),
        kind_of_worker(),
        after - before
    );
    assert_eq!(after - before, 10_000);
}
