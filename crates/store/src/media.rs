//! Uploaded media: one row per distinct upload, keyed by the SHA-256 of its bytes. The bytes
//! themselves live in the object store (see `moim_web::media`), never in the database.

use crate::{Db, Result, dispatch};
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

/// Records an upload; a second upload of the same bytes keeps the first row (same objects).
pub async fn insert(db: &Db, m: &Media) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO media (hash, owner_id, source_format, width, height, variants, content_types, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hash) DO NOTHING")
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

/// Deletes an upload's row when nothing refers to it any more (no meetup or course lists it,
/// no avatar or group image points at it), in one statement so a reference written meanwhile
/// keeps it. Returns the variants whose objects the caller should now delete; `None` when it
/// is still in use or gone already. A module that starts storing media hashes must add its
/// column here.
pub async fn delete_unreferenced(db: &Db, hash: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = dispatch!(db, pool => sqlx::query_as(
        "DELETE FROM media WHERE hash = $1 \
         AND NOT EXISTS (SELECT 1 FROM meetups WHERE images LIKE '%' || $1 || '%') \
         AND NOT EXISTS (SELECT 1 FROM courses WHERE images LIKE '%' || $1 || '%') \
         AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_url LIKE '%' || $1 || '%') \
         AND NOT EXISTS (SELECT 1 FROM groups WHERE image_url LIKE '%' || $1 || '%') \
         RETURNING variants")
        .bind(hash).fetch_optional(pool).await?);
    Ok(row.map(|r| r.0))
}
