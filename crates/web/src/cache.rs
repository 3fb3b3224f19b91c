//! The read cache: what the hot pages and API calls read on every request (who a session or
//! access token belongs to, a group with the viewer's membership, the member preview of a group
//! home, the unread-notification count), kept in process for a few seconds.
//!
//! **Invalidation is coarse on purpose, so a forgotten call site cannot leave a stale
//! authorization behind.** Every unsafe request (POST, PUT, PATCH, DELETE: log-out, log-out
//! everywhere, password change or reset, account deletion, profile edits, joins, leaves,
//! removals, role changes, transfers, disbanding, ...) clears the whole cache when it finishes
//! (a drop guard, so also when the client hangs up mid-request), and while it runs it neither
//! reads nor fills the cache: a handler that writes and then reads back sees the database.
//! A fill that started before an invalidation is discarded (each fill carries the generation it
//! read under). Writes that do not come from an unsafe request call [`ReadCache::clear`] (the
//! language switch link updates the profile) or are covered by the data itself (sessions carry
//! their expiry, groups their disband time). New notifications forget their receivers' unread
//! counts when they are stored (`flows::notify`) and again when the real-time hub announces them. Every entry also expires after [`TTL`], the
//! bound on staleness for writes made by another process.
//!
//! **One process only.** Another `moim serve` on the same database would not tell this one about
//! its writes, so `MOIM_READ_CACHE=auto` (the default) turns the cache on for SQLite (one
//! serving process per database file) and off for PostgreSQL, where several instances may
//! share the database.

use moim_store::accounts::User;
use moim_store::groups::{Group, Member, Membership};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an entry may be served at most.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries per map; a full map is emptied (simple, and the hot set refills at once).
const MAX_ENTRIES: usize = 20_000;

/// `MOIM_READ_CACHE`: `auto` (on for SQLite, off for PostgreSQL), `on`, `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadCacheMode {
    #[default]
    Auto,
    On,
    Off,
}

impl ReadCacheMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Some(Self::Auto),
            "on" | "true" | "1" => Some(Self::On),
            "off" | "false" | "0" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn enabled_for(self, db: &moim_store::Db) -> bool {
        match self {
            Self::Auto => matches!(db, moim_store::Db::Sqlite(_)),
            Self::On => true,
            Self::Off => false,
        }
    }
}

/// A web session as cached: its user and when it must be touched or dropped.
#[derive(Clone)]
pub struct CachedSession {
    pub user: User,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// A list of meetups as shown, with the instant (Unix ms) from which it may be wrong without
/// any write: the first time a listed meetup starts or changes its status by the clock alone.
#[derive(Clone)]
pub struct CachedMeetups {
    pub items: std::sync::Arc<Vec<crate::api::meetups::MeetupDto>>,
    pub valid_until: i64,
}

/// A group with the viewer's membership (the result of `store::groups::group_for`).
pub type GroupView = (Group, Option<Membership>);

tokio::task_local! {
    /// Set while an unsafe request runs: reads go to the database and nothing is filled.
    static WRITING: ();
}

/// Whether the current task is serving an unsafe request.
fn writing() -> bool {
    WRITING.try_with(|_| ()).is_ok()
}

/// Runs `fut` as an unsafe request: no cache reads or fills inside, and the whole cache is
/// cleared when it ends or is dropped.
pub async fn writing_scope<F: Future>(cache: std::sync::Arc<ReadCache>, fut: F) -> F::Output {
    struct ClearOnDrop(std::sync::Arc<ReadCache>);
    impl Drop for ClearOnDrop {
        fn drop(&mut self) {
            self.0.clear();
        }
    }
    let _guard = ClearOnDrop(cache);
    WRITING.scope((), fut).await
}

/// The middleware: unsafe requests run in [`writing_scope`]; safe ones pass straight through.
pub async fn middleware(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe || !state.cache.enabled() {
        next.run(req).await
    } else {
        writing_scope(state.cache.clone(), next.run(req)).await
    }
}

struct Entry<V> {
    value: V,
    at: Instant,
}

struct Map<K, V>(HashMap<K, Entry<V>>);

impl<K: Hash + Eq, V: Clone> Map<K, V> {
    fn new() -> Self {
        Self(HashMap::new())
    }
    fn get<Q: Hash + Eq + ?Sized>(&self, k: &Q, now: Instant) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.0
            .get(k)
            .filter(|e| now.duration_since(e.at) < TTL)
            .map(|e| e.value.clone())
    }
    fn put(&mut self, k: K, value: V, now: Instant) {
        if self.0.len() >= MAX_ENTRIES {
            self.0.clear();
        }
        self.0.insert(k, Entry { value, at: now });
    }
}

struct Inner {
    /// Bumped by every invalidation; a fill made under an older generation is dropped.
    generation: u64,
    sessions: Map<Vec<u8>, CachedSession>,
    users: Map<Uuid, User>,
    groups: Map<(Uuid, Uuid), GroupView>,
    /// Shared, not cloned member by member on every page view.
    previews: Map<Uuid, std::sync::Arc<Vec<Member>>>,
    unread: Map<Uuid, i64>,
    /// A group's next meetups as a member's group home lists them, keyed by (group, viewer).
    group_meetups: Map<(Uuid, Uuid), CachedMeetups>,
}

impl Inner {
    fn new(generation: u64) -> Self {
        Self {
            generation,
            sessions: Map::new(),
            users: Map::new(),
            groups: Map::new(),
            previews: Map::new(),
            unread: Map::new(),
            group_meetups: Map::new(),
        }
    }
}

/// The generation a read started under, to hand back with the value it read. `None` when the
/// cache is off or the request writes.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

pub struct ReadCache {
    enabled: bool,
    inner: Mutex<Inner>,
    /// Answers served from memory (for tests and diagnostics).
    hits: std::sync::atomic::AtomicU64,
}

impl ReadCache {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            inner: Mutex::new(Inner::new(0)),
            hits: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written map that matters: at worst
        // an entry is missing. Keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn active(&self) -> bool {
        self.enabled && !writing()
    }

    /// Take before reading the database; pass to the `put_*` call afterwards.
    pub fn ticket(&self) -> Option<Ticket> {
        self.active().then(|| Ticket(self.lock().generation))
    }

    /// Forgets everything (any write to users, sessions, groups or memberships).
    pub fn clear(&self) {
        if !self.enabled {
            return;
        }
        let mut g = self.lock();
        let next = g.generation.wrapping_add(1);
        *g = Inner::new(next);
    }

    /// Forgets the unread counts of users who just got notifications.
    pub fn forget_unread(&self, users: &[Uuid]) {
        if !self.enabled {
            return;
        }
        let mut g = self.lock();
        g.generation = g.generation.wrapping_add(1);
        for u in users {
            g.unread.0.remove(u);
        }
    }

    fn forget_all_unread(&self) {
        let mut g = self.lock();
        g.generation = g.generation.wrapping_add(1);
        g.unread.0.clear();
    }

    /// How many answers came from memory so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn get<V>(&self, f: impl FnOnce(&Inner, Instant) -> Option<V>) -> Option<V> {
        if !self.active() {
            return None;
        }
        let v = f(&self.lock(), Instant::now());
        if v.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        v
    }

    fn put(&self, ticket: Option<Ticket>, f: impl FnOnce(&mut Inner, Instant)) {
        let Some(Ticket(generation)) = ticket else {
            return;
        };
        let mut g = self.lock();
        if g.generation == generation {
            f(&mut g, Instant::now());
        }
    }

    /// A cached session that is still valid and does not need its sliding expiry touched yet
    /// (`touch_every` ms after `last_seen_at`); otherwise the caller goes to the database.
    pub fn session(&self, token_hash: &[u8], now_ms: i64, touch_every: i64) -> Option<User> {
        self.get(|i, now| {
            i.sessions
                .get(token_hash, now)
                .filter(|s| now_ms < s.expires_at && now_ms - s.last_seen_at <= touch_every)
                .map(|s| s.user)
        })
    }
    pub fn put_session(&self, t: Option<Ticket>, token_hash: &[u8], s: CachedSession) {
        self.put(t, |i, now| i.sessions.put(token_hash.to_vec(), s, now));
    }

    pub fn user(&self, id: Uuid) -> Option<User> {
        self.get(|i, now| i.users.get(&id, now))
    }
    pub fn put_user(&self, t: Option<Ticket>, user: User) {
        self.put(t, |i, now| i.users.put(user.id, user, now));
    }

    pub fn group(&self, group: Uuid, viewer: Uuid) -> Option<GroupView> {
        self.get(|i, now| i.groups.get(&(group, viewer), now))
    }
    pub fn put_group(&self, t: Option<Ticket>, viewer: Uuid, view: GroupView) {
        self.put(t, |i, now| i.groups.put((view.0.id, viewer), view, now));
    }

    pub fn preview(&self, group: Uuid) -> Option<std::sync::Arc<Vec<Member>>> {
        self.get(|i, now| i.previews.get(&group, now))
    }
    pub fn put_preview(
        &self,
        t: Option<Ticket>,
        group: Uuid,
        members: std::sync::Arc<Vec<Member>>,
    ) {
        self.put(t, |i, now| i.previews.put(group, members, now));
    }

    pub fn unread(&self, user: Uuid) -> Option<i64> {
        self.get(|i, now| i.unread.get(&user, now))
    }
    pub fn put_unread(&self, t: Option<Ticket>, user: Uuid, n: i64) {
        self.put(t, |i, now| i.unread.put(user, n, now));
    }

    /// The next meetups of `group` as `viewer` saw them, unless the clock (`now_ms`) has since
    /// reached a start or a status change of one of them.
    pub fn group_meetups(
        &self,
        group: Uuid,
        viewer: Uuid,
        now_ms: i64,
    ) -> Option<std::sync::Arc<Vec<crate::api::meetups::MeetupDto>>> {
        self.get(|i, now| {
            i.group_meetups
                .get(&(group, viewer), now)
                .filter(|c| now_ms < c.valid_until)
                .map(|c| c.items)
        })
    }
    pub fn put_group_meetups(
        &self,
        t: Option<Ticket>,
        group: Uuid,
        viewer: Uuid,
        v: CachedMeetups,
    ) {
        self.put(t, |i, now| i.group_meetups.put((group, viewer), v, now));
    }

    /// Forgets unread counts as the hub announces new notifications (on this instance; with
    /// SQLite the hub is in-process). Ends when the hub goes away.
    pub fn follow_hub(self: &std::sync::Arc<Self>, mut rx: tokio::sync::broadcast::Receiver<Uuid>) {
        if !self.enabled {
            return;
        }
        let weak = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let msg = rx.recv().await;
                let Some(cache) = weak.upgrade() else { return };
                match msg {
                    Ok(user) => cache.forget_unread(&[user]),
                    Err(RecvError::Lagged(_)) => cache.forget_all_unread(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: Uuid) -> User {
        User {
            id,
            email: "a@example.com".into(),
            email_verified_at: Some(1),
            password_hash: String::new(),
            nickname: "a".into(),
            bio: String::new(),
            avatar_url: None,
            locale: "ko".into(),
            time_zone: "Asia/Seoul".into(),
            session_epoch: 0,
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn a_fill_that_raced_an_invalidation_is_dropped() {
        let c = std::sync::Arc::new(ReadCache::new(true));
        let id = Uuid::now_v7();
        let t = c.ticket();
        c.clear(); // a write finished while the read was in flight
        c.put_user(t, user(id));
        assert!(c.user(id).is_none());
        let t = c.ticket();
        c.put_user(t, user(id));
        assert!(c.user(id).is_some());
        // Inside an unsafe request nothing is read or filled, and the end clears.
        let c2 = c.clone();
        writing_scope(c.clone(), async move {
            assert!(c2.user(id).is_none());
            assert!(c2.ticket().is_none());
        })
        .await;
        assert!(c.user(id).is_none());
    }

    #[test]
    fn sessions_needing_a_touch_or_expired_are_not_served() {
        let c = ReadCache::new(true);
        let u = user(Uuid::now_v7());
        let t = c.ticket();
        c.put_session(
            t,
            b"h",
            CachedSession {
                user: u,
                last_seen_at: 1_000,
                expires_at: 10_000,
            },
        );
        assert!(c.session(b"h", 2_000, 5_000).is_some());
        assert!(c.session(b"h", 7_000, 5_000).is_none(), "touch due");
        assert!(c.session(b"h", 10_000, 100_000).is_none(), "expired");
        assert!(c.session(b"other", 2_000, 5_000).is_none());
    }

    #[test]
    fn a_meetup_list_is_not_served_from_its_first_change_on() {
        let c = ReadCache::new(true);
        let (g, v) = (Uuid::now_v7(), Uuid::now_v7());
        let entry = CachedMeetups {
            items: std::sync::Arc::new(Vec::new()),
            valid_until: 1_000,
        };
        c.put_group_meetups(c.ticket(), g, v, entry);
        assert!(c.group_meetups(g, v, 999).is_some());
        assert!(
            c.group_meetups(g, v, 1_000).is_none(),
            "a listed meetup started"
        );
        assert!(
            c.group_meetups(g, Uuid::now_v7(), 999).is_none(),
            "another viewer"
        );
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let c = ReadCache::new(false);
        let id = Uuid::now_v7();
        c.put_user(c.ticket(), user(id));
        assert!(c.user(id).is_none());
    }
}
