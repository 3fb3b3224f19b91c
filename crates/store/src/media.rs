//! Uploaded media: one row per distinct upload, keyed by the SHA-256 of its bytes. The bytes
//! themselves live in the object store (see `moim_web::media`), never in the database.

use crate::{Db, Result, WritePool as _, dispatch};
use moim_core::time::now_millis;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Media {
    pub hash: String,
    pub owner_id: Option<Uuid>,
    pub source_format: String,
    pub width: i64,
    pub height: i64,
    pub variants: String,
    pub content_types: String,
    pub created_at: i64,
}

impl Media {
    /// The content type of a variant, when the upload has it.
    pub fn variant_type(&self, name: &str) -> Option<&str> {
        self.variants
            .split(',')
            .zip(self.content_types.split(','))
            .find(|(v, _)| *v == name)
            .map(|(_, t)| t)
    }
}

/// Records an upload; a second upload of the same bytes keeps the first row (same objects) but
/// moves its `created_at` to now: that is when these bytes were last handed out, and
/// [`delete_unreferenced`] leaves an upload alone for a while after it (the uploader is still
/// filling in the form that will refer to it). The caller writes the objects *after* this, so
/// a removal holding the row (see there) finishes before they are written.
pub async fn insert(db: &Db, m: &Media) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO media (hash, owner_id, source_format, width, height, variants, content_types, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (hash) DO UPDATE SET created_at = excluded.created_at")
        .bind(&m.hash).bind(m.owner_id).bind(&m.source_format).bind(m.width).bind(m.height)
        .bind(&m.variants).bind(&m.content_types).bind(now)
        .execute(pool).await?.rows_affected());
    Ok(())
}

pub async fn get(db: &Db, hash: &str) -> Result<Option<Media>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Media>(
        "SELECT hash, owner_id, source_format, width, height, variants, content_types, created_at \
         FROM media WHERE hash = $1")
        .bind(hash).fetch_optional(pool).await?))
}

/// Points a user's profile picture at an uploaded variant.
pub async fn set_avatar(db: &Db, user: Uuid, url: &str) -> Result<()> {
    dispatch!(db, pool => sqlx::query("UPDATE users SET avatar_url = $2, updated_at = $3 WHERE id = $1")
        .bind(user).bind(url).bind(now_millis()).execute(pool).await?.rows_affected());
    Ok(())
}

/// Points a group's image at an uploaded variant.
pub async fn set_group_image(db: &Db, group: Uuid, url: &str) -> Result<()> {
    dispatch!(db, pool => sqlx::query("UPDATE groups SET image_url = $2, updated_at = $3 WHERE id = $1")
        .bind(group).bind(url).bind(now_millis()).execute(pool).await?.rows_affected());
    Ok(())
}

/// Removes an upload nothing refers to any more (no meetup or course lists it, no avatar or
/// group image points at it) and that was not uploaded since `uploaded_before`: the row is
/// deleted by one conditional statement, then `remove` deletes the objects (given the variant
/// names, comma-separated) *inside the same transaction*, which commits only when `remove`
/// succeeded. Holding the deleted row meanwhile (PostgreSQL's row lock, SQLite's write lock)
/// makes an upload of the same bytes wait (its upsert of the row comes before it writes the
/// objects), so a removal never deletes objects an upload has just written.
///
/// Returns the removed variants, `Ok(None)` when the upload is in use, recent or gone, and
/// `Err` from `remove` (the row is then kept, and a retry can try again). A module that starts
/// storing media hashes must add its column here.
pub async fn delete_unreferenced<F, Fut, E>(
    db: &Db,
    hash: &str,
    uploaded_before: moim_core::time::Millis,
    remove: F,
) -> Result<std::result::Result<Option<String>, E>>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), E>>,
{
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row: Option<(String,)> = sqlx::query_as(
            "DELETE FROM media WHERE hash = $1 AND created_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM meetups WHERE images LIKE '%' || $1 || '%') \
             AND NOT EXISTS (SELECT 1 FROM courses WHERE images LIKE '%' || $1 || '%') \
             AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_url LIKE '%' || $1 || '%') \
             AND NOT EXISTS (SELECT 1 FROM groups WHERE image_url LIKE '%' || $1 || '%') \
             RETURNING variants")
            .bind(hash).bind(uploaded_before).fetch_optional(&mut *tx).await?;
        let Some((variants,)) = row else {
            return Ok(Ok(None));
        };
        if let Err(e) = remove(variants.clone()).await {
            // Dropping the transaction rolls the row back.
            return Ok(Err(e));
        }
        tx.commit().await?;
        Ok(Ok(Some(variants)))
    })
}
