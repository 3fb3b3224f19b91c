//! Media as a shared facility: uploads are processed by `moim_media` on a blocking thread and
//! their variants written to an [`object_store`] (local disk under the data dir by default).
//!
//! Objects are content-addressed: `<sha256 of the upload>/<variant>`, served at
//! `/media/<hash>/<variant>` with a year-long `immutable` cache header, since the bytes behind a
//! URL can never change. Meetups, courses, avatars and group images all store these URLs.
//!
//! Where the variants are made: on tokio's blocking pool, never on the async runtime, with at
//! most one pipeline run per core at a time ([`MediaStore::upload`]); the upload answers once
//! every variant is stored. Deliberately not a background job: a URL handed out is then always
//! servable (the original service served the *original*, metadata included, until its async
//! resize caught up), the original is never stored anywhere (it carries the GPS position), and a
//! 12 MP photo takes a few hundred ms at most (`cargo bench -p moim-media`), less than its upload.
//!
//! Storage: local disk under `<data dir>/media` by default, or any S3-compatible bucket when
//! `MOIM_MEDIA_URL=s3://bucket[/prefix]` ([`MediaStore::from_config`]).

use crate::error::ApiError;
use axum::http::StatusCode;
use bytes::Bytes;
use moim_media::{Limits, MediaError};
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload, path::Path};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// List and detail widths (`w384`, `w758`): the card thumbnail and the detail column.
pub const WIDTHS: &[u32] = &[384, 758];
/// `full` is the detail column at 2× for high-density screens: at most 1516 px wide and 2000 px
/// tall. Bounded so, a 12 MP photo (4000 × 3000 or 4032 × 3024, either way up) is covered by
/// half of it, so its JPEG is decoded at 1/2 scale (see `moim_media::process`); a 2048 px view
/// forced a whole-size decode and resize for pixels no page shows. Uploads stored before this
/// (`full` up to 2048 px on the long side) keep their files and names and serve as they are.
pub const FULL: moim_media::FullBox = moim_media::FullBox {
    max_width: 1516,
    max_height: 2000,
};

/// Where media objects live.
#[derive(Clone, Debug)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    pub limits: Limits,
    /// One pipeline run per core: a 50 MP upload holds ~200 MB of pixels, so a burst of
    /// uploads queues here instead of filling the blocking pool and the memory.
    pipeline: Arc<tokio::sync::Semaphore>,
}

/// One stored upload.
#[derive(Debug, Clone)]
pub struct Stored {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub variants: Vec<String>,
}

impl Stored {
    pub fn url(&self, variant: &str) -> String {
        url(&self.hash, variant)
    }
}

/// The URL of a variant of an upload.
pub fn url(hash: &str, variant: &str) -> String {
    format!("/media/{hash}/{variant}")
}

/// A media hash as it appears in URLs: 64 lowercase hex characters.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The hash inside one of our media URLs (`/media/<hash>/<variant>`), if it is one.
pub fn hash_of_url(u: &str) -> Option<&str> {
    let rest = u.strip_prefix("/media/")?;
    let (hash, _) = rest.split_once('/').unwrap_or((rest, ""));
    is_hash(hash).then_some(hash)
}

impl MediaStore {
    /// Local disk under `dir` (created when missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::new(Arc::new(fs)))
    }

    /// Any object store (an S3-compatible one when configured by the binary).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            store,
            limits: Limits::default(),
            pipeline: Arc::new(tokio::sync::Semaphore::new(cores)),
        }
    }

    /// The store the configuration names: an S3-compatible bucket for `s3://bucket[/prefix]`,
    /// a folder for a path or `file://` URL, `<data dir>/media` when unset.
    pub fn from_config(config: &crate::WebConfig) -> anyhow::Result<Self> {
        let m = &config.media;
        match m.url.as_deref().map(str::trim) {
            None | Some("") => Self::local(&config.data_dir.join("media")),
            Some(u) if u.starts_with("s3://") => Self::s3(u, m),
            Some(u) => {
                let path = u.strip_prefix("file://").unwrap_or(u);
                Self::local(std::path::Path::new(path))
            }
        }
    }

    /// An S3-compatible bucket (AWS, MinIO, Garage, R2, ...), optionally under a prefix.
    pub fn s3(url: &str, m: &crate::config::MediaSettings) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow::anyhow!("MOIM_MEDIA_URL must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("MOIM_MEDIA_URL names no bucket: {url}");
        }
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(m.s3_region.as_deref().unwrap_or("us-east-1"));
        if let Some(e) = &m.s3_endpoint {
            b = b
                .with_endpoint(e.trim_end_matches('/'))
                .with_allow_http(e.starts_with("http://"));
        }
        if let (Some(k), Some(s)) = (&m.s3_access_key_id, &m.s3_secret_access_key) {
            b = b.with_access_key_id(k).with_secret_access_key(s);
        }
        let s3: Arc<dyn ObjectStore> = Arc::new(b.build()?);
        let prefix = prefix.trim_matches('/');
        Ok(Self::new(if prefix.is_empty() {
            s3
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
        }))
    }

    /// Checks and processes an upload off the async runtime, writes its variants and records it.
    pub async fn upload(
        &self,
        db: &moim_store::Db,
        owner: Uuid,
        bytes: Bytes,
    ) -> Result<Stored, ApiError> {
        let limits = self.limits;
        let permit = self.pipeline.acquire().await.map_err(ApiError::internal)?;
        let done = tokio::task::spawn_blocking(move || {
            let hash = hex::encode(Sha256::digest(&bytes));
            moim_media::process(&bytes, &limits, WIDTHS, FULL).map(|p| (hash, p))
        })
        .await;
        drop(permit);
        let (hash, processed) = done.map_err(ApiError::internal)?.map_err(media_error)?;
        // The pipeline returns one rendition per requested width, smallest first, then the full
        // view; a small picture is never upscaled, so its renditions are named here by the width
        // they stand for (`w758` of a 200 px picture is that picture at 200 px).
        let mut wanted: Vec<u32> = WIDTHS.to_vec();
        wanted.sort_unstable();
        let mut names: Vec<String> = wanted.iter().map(|w| format!("w{w}")).collect();
        names.push("full".into());
        let mut processed = processed;
        for (v, n) in processed.variants.iter_mut().zip(names) {
            v.name = n;
        }
        // The row first (a new one, or the known one marked as uploaded now), then the
        // objects, every time: a removal of these bytes that holds the row (see
        // `moim_store::media::delete_unreferenced`) has then either finished before the row is
        // written, or leaves them alone as just uploaded; and an object lost before is restored.
        let names: Vec<&str> = processed.variants.iter().map(|v| v.name.as_str()).collect();
        let types: Vec<&str> = processed.variants.iter().map(|v| v.content_type).collect();
        moim_store::media::insert(
            db,
            &moim_store::media::Media {
                hash: hash.clone(),
                owner_id: Some(owner),
                source_format: processed.source_format.mime().to_owned(),
                width: i64::from(processed.width),
                height: i64::from(processed.height),
                variants: names.join(","),
                content_types: types.join(","),
                created_at: 0,
            },
        )
        .await?;
        for v in &processed.variants {
            let path = Path::from(format!("{hash}/{}", v.name));
            self.store
                .put_opts(
                    &path,
                    PutPayload::from(v.bytes.clone()),
                    PutOptions::default(),
                )
                .await
                .map_err(ApiError::internal)?;
        }
        Ok(Stored {
            hash,
            width: processed.width,
            height: processed.height,
            variants: processed.variants.into_iter().map(|v| v.name).collect(),
        })
    }

    /// The bytes of a stored variant.
    pub async fn read(&self, hash: &str, variant: &str) -> Result<Option<Bytes>, ApiError> {
        let path = Path::from(format!("{hash}/{variant}"));
        match self.store.get_opts(&path, GetOptions::default()).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(ApiError::internal)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// A pipeline refusal as problem details on the `file` field.
pub fn media_error(e: MediaError) -> ApiError {
    let status = match e {
        MediaError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut err = ApiError::new(status, e.code()).detail(e.to_string());
    err.errors = vec![crate::error::FieldIssue {
        field: "file".into(),
        code: e.code().into(),
        message: e.to_string(),
    }];
    err
}

// --- removal ----------------------------------------------------------------------------------

/// The job that removes uploads nothing refers to any more (a cancelled meetup's photos, photos
/// taken off a meetup by an edit). Payload: `{"hashes": [...]}`.
pub const CLEANUP_JOB: &str = "media.cleanup";

#[derive(serde::Serialize, serde::Deserialize)]
struct CleanupPayload {
    hashes: Vec<String>,
}

/// Queues the removal of `hashes` (off the request: the job deletes the objects). Each is
/// removed only if, when the job runs, nothing refers to it (the same photo may be used
/// elsewhere: uploads are content-addressed).
pub async fn queue_cleanup(db: &moim_store::Db, hashes: Vec<String>) -> Result<(), ApiError> {
    let hashes: Vec<String> = hashes.into_iter().filter(|h| is_hash(h)).collect();
    if hashes.is_empty() {
        return Ok(());
    }
    let payload = serde_json::to_string(&CleanupPayload { hashes }).map_err(ApiError::internal)?;
    moim_store::jobs::enqueue(db, &moim_store::jobs::NewJob::new(CLEANUP_JOB, &payload)).await?;
    Ok(())
}

impl MediaStore {
    /// Deletes the stored variants of an upload (missing ones are fine: a retried removal).
    pub async fn delete_variants(&self, hash: &str, variants: &[&str]) -> object_store::Result<()> {
        for v in variants {
            let path = Path::from(format!("{hash}/{v}"));
            match object_store::ObjectStoreExt::delete(&*self.store, &path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Registers the media jobs with a runner's registry.
pub fn register(registry: &mut moim_jobs::Registry, app: crate::AppState) {
    registry.register(CLEANUP_JOB, move |ctx: moim_jobs::JobCtx| {
        let app = app.clone();
        async move { cleanup_job(&app, ctx).await }
    });
}

/// How long an upload is left alone after it was (last) uploaded, even when nothing refers to
/// it: the uploader is still filling in the form that will (a meetup re-hosted with the photos
/// of the one just cancelled uploads the same bytes again).
pub const UNUSED_GRACE: moim_core::time::Millis = 24 * moim_core::time::HOUR;

/// Removes each upload of the payload that nothing refers to: its row and its objects in one
/// database transaction (see `moim_store::media::delete_unreferenced`), so a failed object
/// delete keeps the row for the retry. An unused upload that is too recent (uploaded again
/// within [`UNUSED_GRACE`]) is looked at again once the grace has passed.
async fn cleanup_job(
    app: &crate::AppState,
    ctx: moim_jobs::JobCtx,
) -> Result<(), moim_jobs::JobError> {
    let p: CleanupPayload = serde_json::from_str(&ctx.job.payload)?;
    let now = moim_core::time::now_millis();
    let mut later: Vec<String> = Vec::new();
    let mut later_at = now;
    for hash in p.hashes.iter().filter(|h| is_hash(h)) {
        let removed = moim_store::media::delete_unreferenced(
            &ctx.db,
            hash,
            now - UNUSED_GRACE,
            |variants| async move {
                let names: Vec<&str> = variants.split(',').filter(|v| !v.is_empty()).collect();
                app.media.delete_variants(hash, &names).await
            },
        )
        .await?
        .map_err(moim_jobs::JobError::retry)?;
        if removed.is_some() {
            tracing::info!(%hash, "unused upload removed");
            continue;
        }
        // Still used, gone already, or uploaded again lately: only the last is looked at again.
        if let Some(m) = moim_store::media::get(&ctx.db, hash).await?
            && m.created_at >= now - UNUSED_GRACE
        {
            later_at = later_at.max(m.created_at + UNUSED_GRACE);
            later.push(hash.clone());
        }
    }
    if !later.is_empty() {
        let payload = serde_json::to_string(&CleanupPayload { hashes: later })?;
        moim_store::jobs::enqueue(
            &ctx.db,
            &moim_store::jobs::NewJob::new(CLEANUP_JOB, &payload).at(later_at + 1),
        )
        .await?;
    }
    Ok(())
}
