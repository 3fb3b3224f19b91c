//! Real-time notifications over SSE: a client on a real socket, replay with `Last-Event-ID`, and
//! fan-out between two instances on one database (PostgreSQL `LISTEN/NOTIFY`, or Redis).

use crate::notify::{notice, user_id};
use moim_testkit::TestApp;
use moim_web::flows::notify;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use uuid::Uuid;

/// One server-sent event.
#[derive(Debug, Clone, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// A minimal `EventSource`: HTTP/1.0 (so the body is plain, not chunked), bearer auth, and the
/// `Last-Event-ID` header a browser sends when it reconnects.
pub struct SseClient {
    sock: TcpStream,
    buf: String,
    headers_done: bool,
}

impl SseClient {
    pub async fn connect(
        addr: SocketAddr,
        path: &str,
        bearer: &str,
        last_event_id: Option<&str>,
    ) -> Self {
        let mut sock = TcpStream::connect(addr).await.expect("connect");
        let last = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET {path} HTTP/1.0\r\nHost: localhost\r\nAccept: text/event-stream\r\n\
             Authorization: Bearer {bearer}\r\n{last}\r\n"
        );
        sock.write_all(req.as_bytes()).await.expect("write");
        let mut c = Self {
            sock,
            buf: String::new(),
            headers_done: false,
        };
        c.read_headers().await;
        c
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.sock.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
                true
            }
        }
    }

    async fn read_headers(&mut self) {
        while !self.headers_done {
            if let Some(end) = self.buf.find("\r\n\r\n") {
                let head = self.buf[..end].to_owned();
                assert!(
                    head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
                    "{head}"
                );
                assert!(
                    head.to_ascii_lowercase().contains("text/event-stream"),
                    "{head}"
                );
                self.buf.drain(..end + 4);
                self.headers_done = true;
            } else {
                assert!(self.fill().await, "stream closed before its headers");
            }
        }
    }

    /// The next event other than keep-alive comments, or `None` after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        tokio::time::timeout(wait, async {
            loop {
                let normalized = self.buf.replace("\r\n", "\n");
                if let Some(end) = normalized.find("\n\n") {
                    let block = normalized[..end].to_owned();
                    self.buf = normalized[end + 2..].to_owned();
                    let mut ev = SseEvent::default();
                    let mut data = Vec::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("id:") {
                            ev.id = Some(v.trim().to_owned());
                        } else if let Some(v) = line.strip_prefix("event:") {
                            ev.event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                        }
                    }
                    ev.data = data.join("\n");
                    if ev.event.is_empty() && ev.data.is_empty() {
                        continue; // a keep-alive comment
                    }
                    return Some(ev);
                }
                if !self.fill().await {
                    return None;
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// The next `notification` event (skipping `unread`/`badge` ones).
    pub async fn next_notification(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let ev = self.next(left).await?;
            if ev.event == "notification" {
                return Some(ev);
            }
        }
    }
}

const STREAM: &str = "/api/v1/notifications/stream";
/// Well under the streams' periodic re-check (15 s): what arrives in time came through the hub.
const FAST: Duration = Duration::from_secs(5);

fn title(ev: &SseEvent) -> String {
    let v: serde_json::Value = serde_json::from_str(&ev.data).expect("json data");
    v["title"].as_str().expect("title").to_owned()
}

#[tokio::test]
async fn a_stream_gets_new_notifications_at_once_and_replays_after_last_event_id() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let bc = t.user("b@example.com", "bob").await;
    let (a, b) = (user_id(&ac).await, user_id(&bc).await);
    notify::notify(&t.state, vec![notice(a, None, "before")])
        .await
        .unwrap();
    let addr = t.serve().await;
    let mut s = SseClient::connect(addr, STREAM, ac.bearer().unwrap(), None).await;
    // What existed before the connection is on the page already: not sent again.
    assert!(s.next(Duration::from_millis(300)).await.is_none());

    notify::notify(&t.state, vec![notice(b, None, "for bob")])
        .await
        .unwrap();
    notify::notify(&t.state, vec![notice(a, None, "first")])
        .await
        .unwrap();
    let ev = s.next_notification(FAST).await.expect("first arrives");
    assert_eq!(title(&ev), "first", "bob's notification leaked: {ev:?}");
    let first_id = ev.id.clone().expect("event id");
    let unread = s.next(FAST).await.expect("unread count");
    assert_eq!(unread.event, "unread");
    assert_eq!(unread.data, r#"{"unread":2}"#);
    drop(s);

    // Offline: two more arrive. The reconnecting client gets exactly those, in order.
    for x in ["second", "third"] {
        notify::notify(&t.state, vec![notice(a, None, x)])
            .await
            .unwrap();
    }
    let mut s = SseClient::connect(addr, STREAM, ac.bearer().unwrap(), Some(&first_id)).await;
    let got: Vec<String> = vec![
        title(&s.next_notification(FAST).await.expect("second")),
        title(&s.next_notification(FAST).await.expect("third")),
    ];
    assert_eq!(got, ["second", "third"]);
    assert!(
        s.next_notification(Duration::from_millis(300))
            .await
            .is_none()
    );

    // A due reminder delivered by the job runner reaches the open stream too.
    let obj = format!("meetup:{}", Uuid::now_v7());
    notify::remind(
        &t.state,
        notify::Reminder {
            object: obj,
            key: "d-day",
            at: moim_core::time::now_millis() - 1,
            notices: vec![notice(a, None, "reminder")],
        },
    )
    .await
    .unwrap();
    crate::notify::runner(&t).drain().await.unwrap();
    assert_eq!(
        title(&s.next_notification(FAST).await.expect("reminder")),
        "reminder"
    );

    let r = t.client().get(STREAM).await;
    assert_eq!(r.status, 401);
}

async fn cross_instance(t: &TestApp, b_app: &TestApp) {
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let addr_b = b_app.serve().await;
    let mut s = SseClient::connect(addr_b, STREAM, ac.bearer().unwrap(), None).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    notify::notify(&t.state, vec![notice(a, None, "via A")])
        .await
        .unwrap();
    let ev = s
        .next_notification(FAST)
        .await
        .expect("the notification made on A reached the stream on B");
    assert_eq!(title(&ev), "via A");
}

#[tokio::test]
async fn a_notification_made_on_one_instance_reaches_a_stream_on_another_through_postgres() {
    let t = TestApp::new().await;
    if t.backend() != "postgres" {
        // One process per database with SQLite: nothing to fan out (the Redis test covers
        // two instances on SQLite).
        assert_eq!(t.state.hub.backend(), "local");
        return;
    }
    assert_eq!(t.state.hub.backend(), "postgres");
    let b = t.sibling(|_| {}).await;
    cross_instance(&t, &b).await;
}

#[tokio::test]
async fn a_notification_made_on_one_instance_reaches_a_stream_on_another_through_redis() {
    // Redis is optional for the README's test command (a fresh machine has none); `.ci/run`
    // starts it and sets the variable.
    let Ok(url) = std::env::var("MOIM_TEST_REDIS_URL") else {
        eprintln!(
            "SKIPPED: set MOIM_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run the Redis fan-out test"
        );
        return;
    };
    let t = TestApp::with_config(|c| c.redis_url = Some(url.clone())).await;
    assert_eq!(t.state.hub.backend(), "redis");
    let b = t.sibling(|_| {}).await;
    assert_eq!(b.state.hub.backend(), "redis");
    cross_instance(&t, &b).await;
}

#[tokio::test]
async fn a_notification_made_by_a_separate_worker_reaches_an_open_stream_within_a_second() {
    // `w` stands for a `moim worker` process: its own hub, the same database. On SQLite the
    // serve side hears about it through the change counter it polls, on PostgreSQL through
    // LISTEN/NOTIFY; either way well before the streams' 15 s re-check.
    let t = TestApp::new().await;
    let w = t.sibling(|_| {}).await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let addr = t.serve().await;
    let mut s = SseClient::connect(addr, STREAM, ac.bearer().unwrap(), None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (i, text) in ["from the worker", "and again"].into_iter().enumerate() {
        let sent = std::time::Instant::now();
        if i == 0 {
            notify::notify(&w.state, vec![notice(a, None, text)])
                .await
                .unwrap();
        } else {
            // A due reminder delivered by the worker's runner.
            notify::remind(
                &w.state,
                notify::Reminder {
                    object: format!("meetup:{}", Uuid::now_v7()),
                    key: "d-day",
                    at: moim_core::time::now_millis() - 1,
                    notices: vec![notice(a, None, text)],
                },
            )
            .await
            .unwrap();
            crate::notify::runner(&w).drain().await.unwrap();
        }
        let ev = s
            .next_notification(Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("{text:?} did not arrive within 1 s"));
        assert_eq!(title(&ev), text);
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
    }
    // The serve side's own notifications arrive once, not again through the poll.
    notify::notify(&t.state, vec![notice(a, None, "local")])
        .await
        .unwrap();
    assert_eq!(
        title(&s.next_notification(FAST).await.expect("local")),
        "local"
    );
    assert!(
        s.next_notification(Duration::from_millis(600))
            .await
            .is_none(),
        "a notification was sent twice"
    );
}

async fn next(
    rx: &mut tokio::sync::broadcast::Receiver<Uuid>,
) -> Result<Result<Uuid, tokio::sync::broadcast::error::RecvError>, tokio::time::error::Elapsed> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv()).await
}

/// With a shared fan-out, the sending instance wakes its own streams before publishing (no
/// round trip through PostgreSQL or Redis for its own clients) and skips its wake-up when it
/// comes back; the other instance hears it through the fan-out.
async fn own_wake_ups_are_local_and_not_heard_twice(a: &TestApp, b: &TestApp) {
    let mut on_a = a.state.hub.subscribe();
    let mut on_b = b.state.hub.subscribe();
    let (u1, u2) = (Uuid::now_v7(), Uuid::now_v7());
    a.state.hub.publish(&[u1]).await;
    assert_eq!(
        on_a.try_recv().ok(),
        Some(u1),
        "the sender's own streams waited for the fan-out"
    );
    assert_eq!(
        next(&mut on_b).await.unwrap().unwrap(),
        u1,
        "b did not hear a"
    );
    // b's wake-up reaches a after a's own would have come back (one channel, in order): a
    // hears u2 next, not u1 a second time.
    b.state.hub.publish(&[u2]).await;
    assert_eq!(next(&mut on_b).await.unwrap().unwrap(), u2);
    assert_eq!(
        next(&mut on_a).await.unwrap().unwrap(),
        u2,
        "a heard its own wake-up twice"
    );
}

#[tokio::test]
async fn the_sender_wakes_its_own_streams_at_once_and_once_through_postgres_or_redis() {
    let t = match std::env::var("MOIM_TEST_REDIS_URL") {
        Ok(url) => TestApp::with_config(|c| c.redis_url = Some(url)).await,
        Err(_) => TestApp::new().await,
    };
    if t.state.hub.backend() == "local" {
        return; // one process per SQLite database without Redis: no shared fan-out
    }
    let b = t.sibling(|_| {}).await;
    own_wake_ups_are_local_and_not_heard_twice(&t, &b).await;
}
