//! Real-time delivery of notifications to open pages: a [`Hub`] that wakes the streams of a
//! user when they get a notification, and the SSE stream itself ([`stream`]).
//!
//! - **Wake-ups, not payloads.** The hub only says "user X has something new"; each stream then
//!   reads the rows from the database. So every instance shows the same thing, a lost wake-up
//!   costs at most one periodic check ([`RECHECK`]), and a reconnecting client gets exactly
//!   what it missed (`Last-Event-ID` = the last notification id it saw; UUIDv7 ids grow).
//! - **Fan-out.** In-process (a `tokio::sync::broadcast`) with SQLite; PostgreSQL
//!   `LISTEN/NOTIFY` on the channel [`PG_CHANNEL`] when several `moim serve` share PostgreSQL;
//!   Redis pub/sub when `MOIM_REDIS_URL` is set. With a shared fan-out the sender wakes its own
//!   streams at once, then publishes the wake-up tagged with its origin (`,@{origin}` after the
//!   ids), and skips it when it comes back: its own clients do not wait for the round trip.
//! - **Late commits.** A row's id and `created_at` are taken just before its transaction
//!   commits, so a row may become visible after a newer one. Each stream therefore re-reads a
//!   short window ([`WINDOW`]) behind the newest row it sent and skips the ids it already sent.

use crate::AppState;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use moim_core::time::{Millis, now_millis};
use moim_store::notifications::{self as store, Notification};
use moim_store::{Db, sqlx};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
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
/// or Redis, or the SQLite change counter) on every other one.
pub struct Hub {
    /// Every wake-up heard, for whoever follows them (the read cache forgets badges).
    local: broadcast::Sender<Uuid>,
    fanout: Fanout,
    /// Tags this hub's wake-ups on a shared fan-out, so that it skips them when they come back.
    origin: Arc<str>,
    /// The open streams of this instance and the dispatcher that feeds them.
    streams: Arc<Streams>,
    /// Background listeners hold a `Weak` of this and stop when the hub is dropped.
    _alive: Arc<()>,
}

enum Fanout {
    Local,
    Postgres(sqlx::PgPool),
    Redis(redis::aio::MultiplexedConnection),
}

/// The open streams by user, and the wake-ups waiting for the dispatcher.
struct Streams {
    next_id: AtomicU64,
    by_user: Mutex<HashMap<Uuid, Vec<Slot>>>,
    wake: mpsc::UnboundedSender<Wake>,
    /// SQLite only: change-counter values of this instance's own commits, so the poller does
    /// not wake everyone for what the hub was told about already.
    own_seqs: Mutex<BTreeSet<i64>>,
}

struct Slot {
    id: u64,
    tx: mpsc::Sender<Arc<Delivery>>,
}

enum Wake {
    Users(Vec<Uuid>),
    /// Something changed, nobody knows for whom (another process on SQLite): every open stream
    /// looks.
    Everyone,
}

/// Rows read once by the dispatcher for one user, with the user's unread count after them.
struct Delivery {
    rows: Vec<Notification>,
    unread: i64,
}

/// A stream's place in [`Streams`]; dropping it (the client went away) removes it.
struct Registration {
    streams: Arc<Streams>,
    user: Uuid,
    id: u64,
    rx: mpsc::Receiver<Arc<Delivery>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut map = lock(&self.streams.by_user);
        if let Some(slots) = map.get_mut(&self.user) {
            slots.retain(|s| s.id != self.id);
            if slots.is_empty() {
                map.remove(&self.user);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Streams {
    fn register(self: &Arc<Self>, user: Uuid) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A stream that falls this far behind (its client does not read) misses deliveries and
        // catches up at its periodic re-check.
        let (tx, rx) = mpsc::channel(16);
        lock(&self.by_user)
            .entry(user)
            .or_default()
            .push(Slot { id, tx });
        Registration {
            streams: self.clone(),
            user,
            id,
            rx,
        }
    }

    fn is_empty(&self) -> bool {
        lock(&self.by_user).is_empty()
    }
}

impl Hub {
    /// The hub for a database: Redis when `redis_url` is given, PostgreSQL `LISTEN/NOTIFY` on a
    /// PostgreSQL database, in-process otherwise (plus a poll of the SQLite change counter, so
    /// notifications made by a separate `moim worker` arrive too). Starts the dispatcher and the
    /// background listener.
    pub async fn start(db: &Db, redis_url: Option<&str>) -> anyhow::Result<Self> {
        let (local, _) = broadcast::channel(4096);
        let (wake, wake_rx) = mpsc::unbounded_channel();
        let streams = Arc::new(Streams {
            next_id: AtomicU64::new(1),
            by_user: Mutex::new(HashMap::new()),
            wake,
            own_seqs: Mutex::new(BTreeSet::new()),
        });
        let alive = Arc::new(());
        tokio::spawn(dispatcher(db.clone(), Arc::downgrade(&streams), wake_rx));
        let origin: Arc<str> = format!("@{}", Uuid::new_v4().simple()).into();
        let relay = Relay {
            local: local.clone(),
            streams: Arc::downgrade(&streams),
            origin: origin.clone(),
        };
        let mut fanout = Fanout::Local;
        if let Some(url) = redis_url {
            let client = redis::Client::open(url)?;
            let conn = client.get_multiplexed_async_connection().await?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(REDIS_CHANNEL).await?;
            tokio::spawn(redis_listener(
                client,
                pubsub,
                relay,
                Arc::downgrade(&alive),
            ));
            fanout = Fanout::Redis(conn);
        } else if let Db::Postgres(pool) = db {
            let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
            listener.listen(PG_CHANNEL).await?;
            tokio::spawn(pg_listener(
                listener,
                pool.clone(),
                relay,
                Arc::downgrade(&alive),
            ));
            fanout = Fanout::Postgres(pool.clone());
        } else {
            tokio::spawn(sqlite_poller(
                db.clone(),
                Arc::downgrade(&streams),
                Arc::downgrade(&alive),
            ));
        }
        Ok(Self {
            local,
            fanout,
            origin,
            streams,
            _alive: alive,
        })
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

    /// How many streams are open on this instance.
    pub fn open_streams(&self) -> usize {
        lock(&self.streams.by_user).values().map(Vec::len).sum()
    }

    /// Records the SQLite change-counter value of a commit made here (see [`Hub::publish`]).
    pub fn own_change(&self, seq: Option<i64>) {
        if let Some(seq) = seq {
            let mut own = lock(&self.streams.own_seqs);
            own.insert(seq);
            // Only recent values matter; a long-lived process must not grow this for ever.
            while own.len() > 4096 {
                own.pop_first();
            }
        }
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
        // This instance's own streams first, without the round trip through the fan-out.
        Relay {
            local: self.local.clone(),
            streams: Arc::downgrade(&self.streams),
            origin: self.origin.clone(),
        }
        .users(users.clone());
        let result: anyhow::Result<()> = async {
            match &self.fanout {
                Fanout::Local => {}
                // NOTIFY payloads are limited to 8000 bytes: 150 ids of 37 bytes fit.
                Fanout::Postgres(pool) => {
                    for chunk in users.chunks(150) {
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(PG_CHANNEL)
                            .bind(self.tagged(chunk))
                            .execute(pool)
                            .await?;
                    }
                }
                Fanout::Redis(conn) => {
                    let mut conn = conn.clone();
                    for chunk in users.chunks(1000) {
                        redis::cmd("PUBLISH")
                            .arg(REDIS_CHANNEL)
                            .arg(self.tagged(chunk))
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

/// Hands wake-ups heard (locally, or from PostgreSQL / Redis) to this instance's followers and
/// dispatcher.
#[derive(Clone)]
struct Relay {
    local: broadcast::Sender<Uuid>,
    streams: Weak<Streams>,
    /// `@{origin}` of this instance's hub: its own wake-ups coming back are skipped.
    origin: Arc<str>,
}

impl Relay {
    fn users(&self, users: Vec<Uuid>) {
        for u in &users {
            let _ = self.local.send(*u);
        }
        if let Some(s) = self.streams.upgrade() {
            let _ = s.wake.send(Wake::Users(users));
        }
    }

    /// A wake-up payload: comma-separated user ids, then the sender's `@{origin}` (an instance
    /// of an older version sends none, and skips the tag as it is not an id).
    fn payload(&self, payload: &str) {
        if payload.split(',').any(|s| s.trim() == &*self.origin) {
            return; // ours: delivered here when it was published
        }
        self.users(
            payload
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect(),
        );
    }
}

/// Reads new rows ONCE per batch of wake-ups for every woken user with an open stream here (one
/// query for the rows, one for the unread counts, whatever the number of streams) and hands each
/// stream its user's rows. Wake-ups that arrive while it reads are coalesced into the next
/// batch. Each stream drops rows it has sent already, so reading a window twice is harmless.
async fn dispatcher(db: Db, streams: Weak<Streams>, mut wake: mpsc::UnboundedReceiver<Wake>) {
    while let Some(first) = wake.recv().await {
        let Some(st) = streams.upgrade() else { return };
        let mut everyone = false;
        let mut woken: HashSet<Uuid> = HashSet::new();
        let mut take = |w: Wake| match w {
            Wake::Users(u) => woken.extend(u),
            Wake::Everyone => everyone = true,
        };
        take(first);
        while let Ok(w) = wake.try_recv() {
            take(w);
        }
        let users: Vec<Uuid> = {
            let map = lock(&st.by_user);
            if everyone {
                map.keys().copied().collect()
            } else {
                woken.into_iter().filter(|u| map.contains_key(u)).collect()
            }
        };
        if users.is_empty() {
            continue;
        }
        let from = now_millis() - 2 * WINDOW;
        // Each chunk is handed out as soon as it is read: the first streams do not wait for
        // the reads of the last ones.
        for chunk in users.chunks(DISPATCH_CHUNK) {
            let mut rows: HashMap<Uuid, Vec<Notification>> = HashMap::new();
            match store::recent_for_users(&db, chunk, from, BATCH * chunk.len() as i64).await {
                Ok(found) => {
                    for n in found {
                        rows.entry(n.user_id).or_default().push(n);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading notifications for streams failed"),
            }
            if rows.is_empty() {
                continue;
            }
            let with_rows: Vec<Uuid> = rows.keys().copied().collect();
            let unread: HashMap<Uuid, i64> = match store::unread_counts(&db, &with_rows).await {
                Ok(counts) => counts.into_iter().collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "reading unread counts for streams failed");
                    HashMap::new()
                }
            };
            let map = lock(&st.by_user);
            for (user, rows) in rows {
                let Some(slots) = map.get(&user) else {
                    continue;
                };
                let d = Arc::new(Delivery {
                    rows,
                    unread: unread.get(&user).copied().unwrap_or(0),
                });
                for s in slots {
                    let _ = s.tx.try_send(d.clone());
                }
            }
        }
    }
}

/// Users per dispatcher query.
const DISPATCH_CHUNK: usize = 500;

/// How often `moim serve` on SQLite looks at the change counter (only while streams are open).
pub const SQLITE_POLL: Duration = Duration::from_millis(200);

/// SQLite without Redis: another process (a `moim worker`, or a second `moim serve` on the same
/// file) cannot reach this hub, so the counter that every notifying transaction bumps
/// (`notifications::change_seq`) is read every [`SQLITE_POLL`] while streams are open here. A
/// change this instance did not make itself wakes every open stream (one batched read).
async fn sqlite_poller(db: Db, streams: Weak<Streams>, alive: Weak<()>) {
    let mut last: Option<i64> = None;
    loop {
        tokio::time::sleep(SQLITE_POLL).await;
        if alive.upgrade().is_none() {
            return;
        }
        let Some(st) = streams.upgrade() else { return };
        if st.is_empty() {
            // Nobody listens: start afresh when someone does (their stream reads on open).
            last = None;
            continue;
        }
        let seq = match store::change_seq(&db).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "reading the notification change counter failed");
                continue;
            }
        };
        let Some(prev) = last.replace(seq) else {
            continue;
        };
        if seq == prev {
            continue;
        }
        let foreign = {
            let mut own = lock(&st.own_seqs);
            let foreign =
                seq < prev || seq - prev > 4096 || (prev + 1..=seq).any(|s| !own.contains(&s));
            own.retain(|s| *s > seq);
            foreign
        };
        if foreign {
            let _ = st.wake.send(Wake::Everyone);
        }
    }
}

impl Hub {
    /// A fan-out payload: the ids, then this hub's origin tag.
    fn tagged(&self, ids: &[Uuid]) -> String {
        format!("{},{}", join(ids), self.origin)
    }
}

fn join(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Relays `NOTIFY`s until the hub is dropped or the pool closes (the listener holds one of the
/// pool's connections, and closing the pool waits for it).
async fn pg_listener(
    mut listener: sqlx::postgres::PgListener,
    pool: sqlx::PgPool,
    relay: Relay,
    alive: Weak<()>,
) {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(1), listener.recv()).await;
        if alive.upgrade().is_none() || pool.is_closed() {
            return;
        }
        match next {
            Err(_) => {}
            Ok(Ok(n)) => relay.payload(n.payload()),
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
    relay: Relay,
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
                            relay.payload(&payload);
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
    /// Keeps the rows not sent yet and remembers them as sent.
    fn take(&mut self, rows: &[Notification]) -> Vec<Notification> {
        let fresh: Vec<Notification> = rows
            .iter()
            .filter(|n| !self.sent.contains_key(&n.id))
            .cloned()
            .collect();
        for n in &fresh {
            self.sent.insert(n.id, n.created_at);
        }
        if let Some(newest) = rows.iter().map(|n| n.created_at).max() {
            self.floor = self.floor.max(newest);
        }
        let keep_from = self.floor - 4 * WINDOW;
        self.sent.retain(|_, at| *at >= keep_from);
        fresh
    }

    /// The stream's own read (on open and at the periodic re-check): rows from the window behind
    /// the newest one read.
    async fn fresh(&mut self, db: &Db, user: Uuid) -> Vec<Notification> {
        match store::created_since(db, user, self.floor - WINDOW, BATCH).await {
            Ok(rows) => self.take(&rows),
            Err(e) => {
                tracing::warn!(error = %e, "reading notifications for a stream failed");
                Vec::new()
            }
        }
    }
}

/// Renders a batch of new notifications, with the user's unread count after it, as SSE events
/// (JSON for the API, HTML for the pages).
pub type Render = Arc<dyn Fn(&[Notification], i64) -> Vec<Event> + Send + Sync>;

struct StreamState {
    db: Db,
    user: Uuid,
    reg: Registration,
    pos: Position,
    queue: VecDeque<Event>,
    render: Render,
}

/// The SSE stream of `user`'s new notifications. With `last_event_id` (the id of the last
/// notification the client saw) it first replays what came after it. New rows arrive from the
/// hub's dispatcher (read once for all streams); the stream reads by itself only when it opens
/// and every [`RECHECK`] without news.
pub async fn stream(
    state: &AppState,
    user: Uuid,
    last_event_id: Option<Uuid>,
    render: Render,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    // Register before reading, so nothing slips between the read and the first delivery.
    let reg = state.hub.streams.register(user);
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
        reg,
        pos,
        queue,
        render,
    };
    let s = futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if let Some(ev) = st.queue.pop_front() {
                return Some((Ok::<Event, Infallible>(ev), st));
            }
            match tokio::time::timeout(RECHECK, st.reg.rx.recv()).await {
                Ok(Some(d)) => {
                    let fresh = st.pos.take(&d.rows);
                    if !fresh.is_empty() {
                        st.queue.extend((st.render)(&fresh, d.unread));
                    }
                }
                Ok(None) => return None,
                Err(_) => {
                    let fresh = st.pos.fresh(&st.db, st.user).await;
                    if !fresh.is_empty() {
                        let unread = store::unread_count(&st.db, st.user).await.unwrap_or(0);
                        st.queue.extend((st.render)(&fresh, unread));
                    }
                }
            }
        }
    });
    metrics::counter!("moim_notification_streams_opened_total").increment(1);
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
}
