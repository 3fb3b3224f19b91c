//! Real-time delivery of notifications to open pages: a [`Hub`] that wakes the streams of a
//! user when they get a notification, and the SSE stream itself ([`stream`]).
//!
//! - **Wake-ups, not payloads.** The hub only says "user X has something new"; each stream then
//!   reads the rows from the database. So every instance shows the same thing, a lost wake-up
//!   costs at most one periodic check ([`RECHECK`]), and a reconnecting client gets exactly
//!   what it missed (`Last-Event-ID` = the last notification id it saw; UUIDv7 ids grow).
//! - **Fan-out.** In-process (a `tokio::sync::broadcast`) with SQLite; PostgreSQL
//!   `LISTEN/NOTIFY` on the channel [`PG_CHANNEL`] when several `moim serve` share PostgreSQL;
//!   Redis pub/sub when `MOIM_REDIS_URL` is set. With a shared fan-out every instance, the
//!   sender included, hears the wake-up through it (so it is published once, not also locally).
//! - **Late commits.** A row's id and `created_at` are taken just before its transaction
//!   commits, so a row may become visible after a newer one. Each stream therefore re-reads a
//!   short window ([`WINDOW`]) behind the newest row it sent and skips the ids it already sent.

use crate::AppState;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use moim_core::time::{Millis, now_millis};
use moim_store::notifications::{self as store, Notification};
use moim_store::{Db, sqlx};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL NOTIFY channel.
pub const PG_CHANNEL: &str = "moim_notify";
/// The Redis pub/sub channel.
pub const REDIS_CHANNEL: &str = "moim:notify";
/// How far behind the newest sent row a stream looks for rows that committed late.
pub const WINDOW: Millis = 5_000;
/// Every stream re-checks the database this often even without a wake-up.
pub const RECHECK: Duration = Duration::from_secs(15);
/// At most this many rows per read (a longer backlog arrives over several reads).
const BATCH: i64 = 200;

/// Wakes the streams of users who got notifications, on this instance and (through PostgreSQL
/// or Redis) on every other one.
pub struct Hub {
    local: broadcast::Sender<Uuid>,
    fanout: Fanout,
    /// Background listeners hold a `Weak` of this and stop when the hub is dropped.
    alive: Arc<()>,
}

enum Fanout {
    Local,
    Postgres(sqlx::PgPool),
    Redis(redis::aio::MultiplexedConnection),
}

impl Hub {
    /// In-process only (SQLite, or a single instance).
    pub fn local() -> Self {
        let (local, _) = broadcast::channel(4096);
        Self {
            local,
            fanout: Fanout::Local,
            alive: Arc::new(()),
        }
    }

    /// The hub for a database: Redis when `redis_url` is given, PostgreSQL `LISTEN/NOTIFY` on a
    /// PostgreSQL database, in-process otherwise. Starts the background listener.
    pub async fn start(db: &Db, redis_url: Option<&str>) -> anyhow::Result<Self> {
        let mut hub = Self::local();
        if let Some(url) = redis_url {
            let client = redis::Client::open(url)?;
            let conn = client.get_multiplexed_async_connection().await?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(REDIS_CHANNEL).await?;
            tokio::spawn(redis_listener(
                client,
                pubsub,
                hub.local.clone(),
                Arc::downgrade(&hub.alive),
            ));
            hub.fanout = Fanout::Redis(conn);
        } else if let Db::Postgres(pool) = db {
            let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
            listener.listen(PG_CHANNEL).await?;
            tokio::spawn(pg_listener(
                listener,
                hub.local.clone(),
                Arc::downgrade(&hub.alive),
            ));
            hub.fanout = Fanout::Postgres(pool.clone());
        }
        Ok(hub)
    }

    pub fn backend(&self) -> &'static str {
        match self.fanout {
            Fanout::Local => "local",
            Fanout::Postgres(_) => "postgres",
            Fanout::Redis(_) => "redis",
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.local.subscribe()
    }

    /// Wakes the streams of `users` everywhere. Failures are logged: the rows are stored
    /// already, and every stream re-checks within [`RECHECK`].
    pub async fn publish(&self, users: &[Uuid]) {
        if users.is_empty() {
            return;
        }
        let mut users = users.to_vec();
        users.sort_unstable();
        users.dedup();
        let result: anyhow::Result<()> = async {
            match &self.fanout {
                Fanout::Local => {
                    for u in &users {
                        let _ = self.local.send(*u);
                    }
                }
                // NOTIFY payloads are limited to 8000 bytes: 150 ids of 37 bytes fit.
                Fanout::Postgres(pool) => {
                    for chunk in users.chunks(150) {
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(PG_CHANNEL)
                            .bind(join(chunk))
                            .execute(pool)
                            .await?;
                    }
                }
                Fanout::Redis(conn) => {
                    let mut conn = conn.clone();
                    for chunk in users.chunks(1000) {
                        redis::cmd("PUBLISH")
                            .arg(REDIS_CHANNEL)
                            .arg(join(chunk))
                            .query_async::<i64>(&mut conn)
                            .await?;
                    }
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "publishing a notification wake-up failed; streams will re-check");
        }
    }
}

fn join(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Relays a wake-up payload (comma-separated user ids) to the local streams.
fn relay(local: &broadcast::Sender<Uuid>, payload: &str) {
    for id in payload.split(',').filter_map(|s| s.trim().parse().ok()) {
        let _ = local.send(id);
    }
}

async fn pg_listener(
    mut listener: sqlx::postgres::PgListener,
    local: broadcast::Sender<Uuid>,
    alive: Weak<()>,
) {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
        if alive.upgrade().is_none() {
            return;
        }
        match next {
            Err(_) => {}
            Ok(Ok(n)) => relay(&local, n.payload()),
            // recv() reconnects on its next call; wake-ups sent meanwhile are caught by the
            // streams' periodic re-check.
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn redis_listener(
    client: redis::Client,
    pubsub: redis::aio::PubSub,
    local: broadcast::Sender<Uuid>,
    alive: Weak<()>,
) {
    use futures_util::StreamExt as _;
    let mut pubsub = Some(pubsub);
    loop {
        if alive.upgrade().is_none() {
            return;
        }
        let Some(mut ps) = pubsub.take() else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            match client.get_async_pubsub().await {
                Ok(mut ps) => {
                    if ps.subscribe(REDIS_CHANNEL).await.is_ok() {
                        pubsub = Some(ps);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "Redis subscription lost; reconnecting"),
            }
            continue;
        };
        {
            let mut messages = ps.on_message();
            loop {
                match tokio::time::timeout(Duration::from_secs(5), messages.next()).await {
                    Err(_) => {
                        if alive.upgrade().is_none() {
                            return;
                        }
                    }
                    Ok(Some(msg)) => {
                        if let Ok(payload) = msg.get_payload::<String>() {
                            relay(&local, &payload);
                        }
                    }
                    Ok(None) => break,
                }
            }
        }
        drop(ps);
    }
}

/// Where a stream stands: the newest `created_at` it has read and the ids it sent recently.
struct Position {
    floor: Millis,
    sent: HashMap<Uuid, Millis>,
}

impl Position {
    /// Rows not sent yet, from the window behind the newest one read; remembers them as sent.
    async fn fresh(&mut self, db: &Db, user: Uuid) -> Vec<Notification> {
        let rows = match store::created_since(db, user, self.floor - WINDOW, BATCH).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "reading notifications for a stream failed");
                return Vec::new();
            }
        };
        let fresh: Vec<Notification> = rows
            .into_iter()
            .filter(|n| !self.sent.contains_key(&n.id))
            .collect();
        for n in &fresh {
            self.sent.insert(n.id, n.created_at);
            self.floor = self.floor.max(n.created_at);
        }
        let keep_from = self.floor - 2 * WINDOW;
        self.sent.retain(|_, at| *at >= keep_from);
        fresh
    }
}

/// Renders a batch of new notifications, with the user's unread count after it, as SSE events
/// (JSON for the API, HTML for the pages).
pub type Render = Arc<dyn Fn(&[Notification], i64) -> Vec<Event> + Send + Sync>;

struct StreamState {
    db: Db,
    user: Uuid,
    rx: broadcast::Receiver<Uuid>,
    pos: Position,
    queue: VecDeque<Event>,
    render: Render,
}

/// The SSE stream of `user`'s new notifications. With `last_event_id` (the id of the last
/// notification the client saw) it first replays what came after it.
pub async fn stream(
    state: &AppState,
    user: Uuid,
    last_event_id: Option<Uuid>,
    render: Render,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    // Subscribe before reading, so nothing slips between the read and the first wake-up.
    let rx = state.hub.subscribe();
    let now = now_millis();
    let mut pos = Position {
        floor: now,
        sent: HashMap::new(),
    };
    let mut queue = VecDeque::new();
    if let Some(last) = last_event_id {
        match store::since(&state.db, user, last, 500).await {
            Ok(rows) => {
                for n in &rows {
                    pos.sent.insert(n.id, n.created_at);
                }
                if !rows.is_empty() {
                    let unread = store::unread_count(&state.db, user).await.unwrap_or(0);
                    queue.extend(render(&rows, unread));
                }
            }
            Err(e) => tracing::warn!(error = %e, "replaying notifications failed"),
        }
    }
    // What exists now (and was not replayed) is already on the page: mark it as sent.
    pos.fresh(&state.db, user).await;
    pos.floor = pos.floor.max(now);
    let st = StreamState {
        db: state.db.clone(),
        user,
        rx,
        pos,
        queue,
        render,
    };
    let s = futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if let Some(ev) = st.queue.pop_front() {
                return Some((Ok::<Event, Infallible>(ev), st));
            }
            let wake = match tokio::time::timeout(RECHECK, st.rx.recv()).await {
                Ok(Ok(u)) => u == st.user,
                Ok(Err(broadcast::error::RecvError::Lagged(_))) | Err(_) => true,
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            };
            if wake {
                let fresh = st.pos.fresh(&st.db, st.user).await;
                if !fresh.is_empty() {
                    let unread = store::unread_count(&st.db, st.user).await.unwrap_or(0);
                    st.queue.extend((st.render)(&fresh, unread));
                }
            }
        }
    });
    metrics::counter!("moim_notification_streams_opened_total").increment(1);
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
}
