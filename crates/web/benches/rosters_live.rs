//! "First complete roster visible to an HTTP client" for the demo ward (run with
//! `bench/rosters/run.sh`, results in docs/BENCHMARKS.md).
//!
//! A real server on 127.0.0.1 (SQLite, like `cargo run`) with the demo ward that `moim demo
//! seed` loads (25 nurses, day / evening / night, 31 days of December 2026). Each run, over
//! plain TCP like a browser: POST the new roster (API, bearer token) → open the page's
//! progress stream (session cookie) → wait for the first `roster` event → GET the grid
//! fragment it announces and check it holds a complete roster. The clock runs from just
//! before the POST is written to the end of the fragment's body. Also timed: the `done`
//! event (final roster stored). Median of 5 runs, each on a fresh roster.

use moim_testkit::TestApp;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Sends one request (`Connection: close`) and returns the whole response as text.
async fn http(addr: std::net::SocketAddr, req: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads from a stream until `needle` has arrived; returns what was read.
async fn read_until(s: &mut TcpStream, needle: &str, buf: &mut Vec<u8>) -> String {
    let mut chunk = [0u8; 8192];
    loop {
        if String::from_utf8_lossy(buf).contains(needle) {
            return String::from_utf8_lossy(buf).into_owned();
        }
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk))
            .await
            .expect("event in time")
            .expect("read");
        assert!(n > 0, "stream closed before {needle}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let (client, owner) = app.quick_user("수간호사").await;
    let bearer = client.bearer().expect("bearer").to_owned();
    let cookie = moim_web::auth::start_session(&app.state, owner, "bench")
        .await
        .expect("session");
    let cookie = cookie.split(';').next().expect("cookie").to_owned();
    let month: jiff::civil::Date = "2026-12-01".parse().expect("date");
    let groups = moim_web::flows::rosters::seed_demo_groups(&app.db, owner, month)
        .await
        .expect("seed");
    let g = groups[0].0;
    let (mut visible, mut done) = (vec![], vec![]);
    for run in 1..=5 {
        let body =
            format!(r#"{{"name":"12월 {run}","starts_on":"2026-12-01","ends_on":"2026-12-31"}}"#);
        let t = Instant::now();
        let created = http(
            addr,
            &format!(
                "POST /api/v1/groups/{g}/rosters HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {bearer}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(created.starts_with("HTTP/1.1 202"), "{created}");
        let at = created.find(r#""id":""#).expect("id") + 6;
        let rid = &created[at..at + 36];
        let mut sse = TcpStream::connect(addr).await.expect("connect");
        sse.write_all(
            format!(
                "GET /groups/{g}/rosters/{rid}/events HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\n\
                 Accept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("write");
        let mut buf = Vec::new();
        let seen = read_until(&mut sse, "event: roster", &mut buf).await;
        assert!(
            !seen.contains("event: done"),
            "the roster came only with done"
        );
        let grid = http(
            addr,
            &format!(
                "GET /groups/{g}/rosters/{rid}/live HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        let shown = t.elapsed().as_secs_f64();
        assert!(grid.starts_with("HTTP/1.1 200"), "{grid}");
        // 25 rows, and the demo ward needs 11-12 people every day: count the shift pills.
        let pills = grid.matches("class=\"pill\"").count();
        assert!(pills >= 31 * 11, "an incomplete roster: {pills} shifts");
        read_until(&mut sse, "event: done", &mut buf).await;
        let finished = t.elapsed().as_secs_f64();
        println!(
            "run {run}: first complete roster visible {shown:.3} s ({pills} shifts in the grid), done event {finished:.3} s"
        );
        visible.push(shown);
        done.push(finished);
    }
    println!(
        "demo ward over HTTP: median first complete roster visible {:.3} s (min {:.3}, max {:.3}; target < 1 s), median done event {:.3} s (target < 3 s)",
        median(visible.clone()),
        visible.iter().cloned().fold(f64::INFINITY, f64::min),
        visible.iter().cloned().fold(0.0, f64::max),
        median(done)
    );
}
