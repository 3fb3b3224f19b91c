//! Comments with one level of replies, on meetups and course posts.
//!
//! A comment row names exactly one object (`meetup_id` or `course_id`, a CHECK constraint) so
//! deleting the object deletes its comments. Deleting a comment only sets `deleted_at`: the
//! replies under it stay readable. A course's `comment_count` changes in the same transaction
//! as the comment, gated by what the statement did, so it stays exact under concurrency.

use crate::{Db, Result, Tx, WritePool as _, dispatch, in_tx};
use moim_core::comments::Object;
use moim_core::time::Millis;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: Uuid,
    pub meetup_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// `None` once the author deleted their account.
    pub author_id: Option<Uuid>,
    /// Empty once the author deleted their account.
    pub author_nickname: String,
    pub author_avatar: Option<String>,
    pub body: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

impl Comment {
    /// The object the comment is about.
    pub fn object(&self) -> (Object, Uuid) {
        match (self.meetup_id, self.course_id) {
            (Some(m), _) => (Object::Meetup, m),
            (None, Some(c)) => (Object::Course, c),
            // The CHECK constraint rules this out; a course with a nil id finds nothing.
            (None, None) => (Object::Course, Uuid::nil()),
        }
    }
}

/// The author's live comment with this text on the object, posted after `$2`.
macro_rules! repeated_sql {
    ($col:literal) => {
        concat!(
            "SELECT id FROM comments WHERE ",
            $col,
            " = $1 AND created_at > $2 AND author_id = $3 AND body = $4 AND deleted_at IS NULL LIMIT 1"
        )
    };
}

macro_rules! comment_columns {
    () => {
        "k.id, k.meetup_id, k.course_id, k.parent_id, k.author_id, COALESCE(u.nickname, '') AS author_nickname, \
         u.avatar_url AS author_avatar, k.body, k.created_at, k.edited_at, k.deleted_at"
    };
}

/// Adds a comment (or a reply when `parent` is set; the caller resolved it to a top-level
/// comment of the same object).
///
/// The same author posting the same text on the same object again within
/// `moim_core::comments::REPEAT_WINDOW` gets `Conflict("repeated")`, whatever they posted in
/// between (a comment or a reply; a deleted one has no text left and does not count). The
/// author's `comment_repeat_guard` row is upserted first, in the same transaction: that write
/// makes one author's comments queue up (PostgreSQL's row lock, SQLite's write lock), so the
/// check that follows (this object's comments of the last seconds, through its
/// `(object, created_at)` index) sees every comment committed before it and exactly one of
/// several doubles sent together is stored.
///
/// Runs inside the caller's transaction (what it causes, e.g. notifications, commits with it).
pub async fn create_in(
    tx: &mut Tx,
    object: Object,
    object_id: Uuid,
    parent: Option<Uuid>,
    author: Uuid,
    body: &str,
    now: Millis,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let (meetup, course) = match object {
        Object::Meetup => (Some(object_id), None),
        Object::Course => (None, Some(object_id)),
    };
    let repeated_sql = match object {
        Object::Meetup => repeated_sql!("meetup_id"),
        Object::Course => repeated_sql!("course_id"),
    };
    in_tx!(tx, tx => {
        // Serialises this author's comments; the text column of migration 0014 is no longer read.
        sqlx::query(
            "INSERT INTO comment_repeat_guard (user_id, body, posted_at) VALUES ($1, '', $2) \
             ON CONFLICT (user_id) DO UPDATE SET posted_at = excluded.posted_at")
            .bind(author).bind(now)
            .execute(&mut *tx).await?;
        let repeated: Option<(Uuid,)> = sqlx::query_as(repeated_sql)
            .bind(object_id).bind(now - moim_core::comments::REPEAT_WINDOW).bind(author).bind(body)
            .fetch_optional(&mut *tx).await?;
        if repeated.is_some() {
            return Err(crate::Error::Conflict("repeated"));
        }
        sqlx::query(
            "INSERT INTO comments (id, meetup_id, course_id, parent_id, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(meetup).bind(course).bind(parent).bind(author).bind(body).bind(now)
            .execute(&mut *tx).await?;
        if let Some(c) = course {
            sqlx::query(crate::courses::ADD_COMMENT).bind(c).bind(1_i64).execute(&mut *tx).await?;
        }
    });
    Ok(id)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Comment>> {
    const SQL: &str = concat!(
        "SELECT ",
        comment_columns!(),
        " FROM comments k LEFT JOIN users u ON u.id = k.author_id WHERE k.id = $1"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Comment>(SQL).bind(id).fetch_optional(pool).await?),
    )
}

/// Edits the author's own live comment; false when it is not theirs or deleted.
pub async fn edit(db: &Db, id: Uuid, author: Uuid, body: &str, now: Millis) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE comments SET body = $3, edited_at = $4 WHERE id = $1 AND author_id = $2 AND deleted_at IS NULL")
        .bind(id).bind(author).bind(body).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Soft-deletes the author's own comment (the text is wiped; replies stay). False when it is
/// not theirs or was deleted already.
pub async fn delete(db: &Db, id: Uuid, author: Uuid, now: Millis) -> Result<bool> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row: Option<(Option<Uuid>,)> = sqlx::query_as(
            "UPDATE comments SET deleted_at = $3, body = '' WHERE id = $1 AND author_id = $2 \
             AND deleted_at IS NULL RETURNING course_id")
            .bind(id).bind(author).bind(now).fetch_optional(&mut *tx).await?;
        let Some((course,)) = row else {
            return Ok(false);
        };
        if let Some(c) = course {
            sqlx::query(crate::courses::ADD_COMMENT).bind(c).bind(-1_i64).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// A position among top-level comments (oldest first).
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub at: i64,
    pub id: Uuid,
}

macro_rules! top_sql {
    ($col:literal) => {
        concat!(
            "SELECT ",
            comment_columns!(),
            " FROM comments k LEFT JOIN users u ON u.id = k.author_id WHERE k.",
            $col,
            " = $1 AND k.parent_id IS NULL AND ($2 = FALSE OR (k.created_at, k.id) > ($3, $4)) \
             AND (k.deleted_at IS NULL OR EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = k.id \
             AND r.deleted_at IS NULL)) ORDER BY k.created_at, k.id LIMIT $5"
        )
    };
}

macro_rules! replies_sql {
    ($col:literal) => {
        concat!(
            "SELECT ",
            comment_columns!(),
            " FROM comments k LEFT JOIN users u ON u.id = k.author_id WHERE k.parent_id IN (\
             SELECT t.id FROM comments t WHERE t.",
            $col,
            " = $1 AND t.parent_id IS NULL AND ($2 = FALSE OR (t.created_at, t.id) > ($3, $4)) \
             AND (t.deleted_at IS NULL OR EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = t.id \
             AND r.deleted_at IS NULL)) ORDER BY t.created_at, t.id LIMIT $5) \
             AND k.deleted_at IS NULL ORDER BY k.created_at, k.id"
        )
    };
}

/// One page of top-level comments (oldest first; a deleted one only while live replies hang
/// under it) and, in a second query, every live reply under them. Fetch `limit + 1` to know whether another page follows.
pub async fn page(
    db: &Db,
    object: Object,
    object_id: Uuid,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Comment>, Vec<Comment>)> {
    let (top, replies): (&'static str, &'static str) = match object {
        Object::Meetup => (top_sql!("meetup_id"), replies_sql!("meetup_id")),
        Object::Course => (top_sql!("course_id"), replies_sql!("course_id")),
    };
    let (has, at, id) = match after {
        Some(c) => (true, c.at, c.id),
        None => (false, 0, Uuid::nil()),
    };
    let t = dispatch!(db, pool => sqlx::query_as::<_, Comment>(top)
        .bind(object_id).bind(has).bind(at).bind(id).bind(limit).fetch_all(pool).await?);
    let r = dispatch!(db, pool => sqlx::query_as::<_, Comment>(replies)
        .bind(object_id).bind(has).bind(at).bind(id).bind(limit).fetch_all(pool).await?);
    Ok((t, r))
}
