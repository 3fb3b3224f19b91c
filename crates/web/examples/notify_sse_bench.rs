//! Real-time delivery latency (run through `bench/notify/sse.sh`).
//!
//! Opens `BENCH_CLIENTS` (1 000) Server-Sent-Events streams (`/api/v1/notifications/stream`, one
//! user each, over real TCP) and then notifies every one of those users in one `notify` call
//! made through instance A. Latency = from just before the call until each client has read its
//! `notification` event. Measured with the clients on instance A (same instance) and on a second
//! instance B sharing the database (cross-instance: `LISTEN/NOTIFY` on PostgreSQL, Redis when
//! `MOIM_TEST_REDIS_URL` is set, the polled change counter on SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use moim_testkit::TestApp;
use moim_web::flows::notify::{self, Notice};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use uuid::Uuid;

/// One SSE client: says when its stream is open, then reports the first `notification` event
/// whose data carries `marker`.
async fn client(
    addr: SocketAddr,
    token: String,
    marker: String,
    ready: mpsc::UnboundedSender<()>,
    got: mpsc::UnboundedSender<Instant>,
) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /api/v1/notifications/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(s).lines();
    let mut announced = false;
    let mut in_notification = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if !announced && line.is_empty() {
            // End of the response headers: the stream is open.
            announced = true;
            let _ = ready.send(());
            continue;
        }
        if line.starts_with("event: notification") || line.starts_with("event:notification") {
            in_notification = true;
        } else if in_notification && line.starts_with("data:") {
            if line.contains(&marker) {
                let _ = got.send(Instant::now());
                return;
            }
            in_notification = false;
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn round(label: &str, sender: &TestApp, addr: SocketAddr, users: &[(String, Uuid)]) {
    let marker = format!("bench-{}", Uuid::now_v7().simple());
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (token, _) in users {
        tasks.push(tokio::spawn(client(
            addr,
            token.clone(),
            marker.clone(),
            ready_tx.clone(),
            got_tx.clone(),
        )));
    }
    for _ in 0..users.len() {
        tokio::time::timeout(Duration::from_secs(120), ready_rx.recv())
            .await
            .expect("streams open")
            .expect("ready");
    }
    // Let every stream finish its first read before the burst.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let notices = users
        .iter()
        .map(|(_, id)| Notice {
            recipient: *id,
            kind: "system.notice",
            params: vec![("title", marker.clone()), ("body", "bench".into())],
            link: "/notifications".into(),
            group: None,
            actor: None,
        })
        .collect();
    let t0 = Instant::now();
    notify::notify(&sender.state, notices).await.unwrap();
    let stored = t0.elapsed();
    // The call returns after the commit and the wake-up's publication.
    let t1 = t0 + stored;
    let mut lat = Vec::with_capacity(users.len());
    while lat.len() < users.len() {
        match tokio::time::timeout(Duration::from_secs(60), got_rx.recv()).await {
            Ok(Some(at)) => lat.push(at - t0),
            _ => break,
        }
    }
    for t in tasks {
        t.abort();
    }
    lat.sort();
    if lat.is_empty() {
        println!("{label}: no client got its notification");
        return;
    }
    let after: Vec<Duration> = lat
        .iter()
        .map(|d| (t0 + *d).saturating_duration_since(t1))
        .collect();
    println!(
        "{label}: {} of {} clients got it; from the call: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         from the call's return (committed, wake-up published): p50 {:.1} ms, p99 {:.1} ms \
         (the notify() call itself, storing the {} rows with their jobs and publishing the wake-ups: {:.1} ms)",
        lat.len(),
        users.len(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        percentile(&after, 0.50).as_secs_f64() * 1e3,
        percentile(&after, 0.99).as_secs_f64() * 1e3,
        users.len(),
        stored.as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let redis = std::env::var("MOIM_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let a = TestApp::with_config(|c| {
        c.notify_email_delay = Duration::from_secs(24 * 3600);
        c.redis_url = redis.clone();
    })
    .await;
    println!(
        "backend: {}, fan-out: {}, clients: {n}",
        a.backend(),
        a.state.hub.backend()
    );
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let (c, id) = a.quick_user(&format!("sse{i}")).await;
        users.push((c.bearer().expect("token").to_owned(), id));
    }
    let addr_a = a.serve().await;
    round("same instance", &a, addr_a, &users).await;
    // On SQLite the second instance hears of it through the change counter it polls (as a
    // `moim serve` does with a separate `moim worker`).
    let b = a.sibling(|c| c.redis_url = redis.clone()).await;
    let addr_b = b.serve().await;
    round(
        "cross-instance (clients on B, sent through A)",
        &a,
        addr_b,
        &users,
    )
    .await;
}
