#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

//! The HTTP suite: every test builds the whole app on a fresh database (SQLite by default,
//! PostgreSQL when `MOIM_TEST_DATABASE_URL` is set) and talks to it in-process.

mod accounts;
mod cache;
mod comments;
mod courses;
mod errors;
mod groups;
mod media;
mod meetups;
mod notify;
mod notify_channels;
mod notify_live;
mod notify_outbox;
mod openapi;
mod ops;
mod pages;
mod rosters;
mod schema;
mod security;

use moim_testkit::{Client, Reply, TestApp, json};

/// Creates a group through the API and returns its id.
pub async fn make_group(owner: &Client, name: &str, capacity: i64, policy: &str) -> String {
    let r = owner
        .post(
            "/api/v1/groups",
            json!({"name": name, "category": "study", "capacity": capacity, "join_policy": policy}),
        )
        .await;
    assert_eq!(r.status, 201, "create group: {}", r.text);
    r.json["id"].as_str().expect("id").to_owned()
}

/// The invite code of a group, read by a manager.
pub async fn invite_code(manager: &Client, group: &str) -> String {
    let r = manager.get(&format!("/api/v1/groups/{group}/invite")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["code"].as_str().expect("code").to_owned()
}

pub async fn app() -> TestApp {
    TestApp::new().await
}

/// Nothing an error returns may reveal internals.
pub fn assert_clean(r: &Reply) {
    let lower = r.text.to_lowercase();
    for needle in [
        "sqlx",
        "sqlite",
        "postgres",
        "error returned from database",
        "panicked",
        "backtrace",
        "stack trace",
        "src/",
        ".rs:",
    ] {
        assert!(
            !lower.contains(needle),
            "response leaks {needle:?}: {}",
            r.text
        );
    }
    // SQL as our queries (and driver messages quoting them) spell it.
    for needle in [
        "SELECT ",
        "INSERT INTO",
        "UPDATE ",
        "DELETE FROM",
        " WHERE ",
    ] {
        assert!(
            !r.text.contains(needle),
            "response leaks {needle:?}: {}",
            r.text
        );
    }
    assert_ne!(r.status.as_u16(), 500, "500 on {}", r.text);
}
