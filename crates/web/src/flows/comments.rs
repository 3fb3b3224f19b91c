//! Comments and replies on meetups and course posts.
//!
//! Every action first resolves the object the comment hangs on *for this viewer*
//! ([`object`]): a members-only meetup's comments are as invisible to outsiders as the meetup
//! (404). Replies are one level deep; replying to a reply joins the top-level thread.
//!
//! Notifications (through `flows::notify`): a comment tells the object's author or host; a
//! reply tells the parent comment's author and, when someone else, the object's author. The
//! text carries the *commenter's* nickname (the reference used the post author's), and the
//! actor is never told about their own comment.

use crate::AppState;
use crate::error::ApiError;
use moim_core::comments::{self as rules, Object};
use moim_core::time::now_millis;
use moim_store::comments::{self as store, Comment, Cursor};
use uuid::Uuid;

/// What comments need to know about the object they hang on.
#[derive(Debug, Clone)]
pub struct Target {
    pub object: Object,
    pub id: Uuid,
    /// The post's author or the meetup's host.
    pub owner: Uuid,
    pub title: String,
    pub group: Option<Uuid>,
}

impl Target {
    /// The page of the object.
    pub fn link(&self) -> String {
        match self.object {
            Object::Meetup => format!("/meetups/{}", self.id),
            Object::Course => format!("/courses/{}", self.id),
        }
    }
}

/// Loads the object for a viewer, with the object's own visibility rules (404 when hidden).
pub async fn object(
    state: &AppState,
    object: Object,
    id: Uuid,
    viewer: Option<Uuid>,
) -> Result<Target, ApiError> {
    match object {
        Object::Meetup => {
            let a = super::meetups::access(state, id, viewer).await?;
            Ok(Target {
                object,
                id,
                owner: a.meetup.host_id,
                title: a.meetup.title,
                group: a.meetup.group_id,
            })
        }
        Object::Course => {
            let c = super::courses::access(state, id).await?;
            Ok(Target {
                object,
                id,
                owner: c.author_id,
                title: c.title,
                group: None,
            })
        }
    }
}

/// A top-level comment with its replies.
#[derive(Debug, Clone)]
pub struct ThreadItem {
    pub comment: Comment,
    pub replies: Vec<Comment>,
}

/// One page of threads (oldest first) and the cursor of the next page. A deleted comment
/// stays in the thread as a placeholder only while live replies hang under it.
pub async fn list(
    state: &AppState,
    object_kind: Object,
    id: Uuid,
    viewer: Option<Uuid>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(Target, Vec<ThreadItem>, Option<String>), ApiError> {
    let target = object(state, object_kind, id, viewer).await?;
    let after = super::decode_cursor(cursor)?.map(|c| Cursor { at: c.at, id: c.id });
    let (top, replies) = store::page(&state.db, object_kind, id, after, limit + 1).await?;
    let (top, next) = super::split_page(top, limit, |c| moim_store::groups::Cursor {
        at: c.created_at,
        id: c.id,
    });
    let mut items: Vec<ThreadItem> = top
        .into_iter()
        .map(|comment| ThreadItem {
            comment,
            replies: Vec::new(),
        })
        .collect();
    for r in replies {
        if r.deleted_at.is_some() {
            continue;
        }
        if let Some(t) = items.iter_mut().find(|t| Some(t.comment.id) == r.parent_id) {
            t.replies.push(r);
        }
    }
    items.retain(|t| t.comment.deleted_at.is_none() || !t.replies.is_empty());
    Ok((target, items, next))
}

/// Notifies inside the comment's transaction: the notifications commit with the comment.
#[allow(clippy::too_many_arguments)]
async fn tell(
    state: &AppState,
    tx: &mut moim_store::Tx,
    target: &Target,
    to: Vec<(Uuid, &'static str)>,
    actor: Uuid,
    actor_name: &str,
    comment: Uuid,
    body: &str,
) -> Result<(), ApiError> {
    let notices = to
        .into_iter()
        .map(|(recipient, event)| super::notify::Notice {
            recipient,
            kind: match (target.object, event) {
                (Object::Meetup, "reply") => "meetup.reply",
                (Object::Meetup, _) => "meetup.comment",
                (Object::Course, "reply") => "course.reply",
                (Object::Course, _) => "course.comment",
            },
            params: vec![
                ("name", actor_name.to_owned()),
                ("title", target.title.clone()),
                ("excerpt", rules::excerpt(body, 60)),
            ],
            link: format!("{}#comment-{comment}", target.link()),
            group: target.group,
            actor: Some(actor),
        })
        .collect();
    super::notify::notify_in(state, tx, notices).await
}

/// The store's answer to a comment, with a repeat of the author's last text (within
/// `REPEAT_WINDOW`) turned into a 429 `comment_repeated` the UI can explain.
fn created(r: moim_store::Result<Uuid>) -> Result<Uuid, ApiError> {
    match r {
        Err(moim_store::Error::Conflict("repeated")) => Err(ApiError {
            retry_after: Some(u64::try_from(rules::REPEAT_WINDOW / 1000).unwrap_or(10)),
            ..ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "comment_repeated",
            )
            .detail("the same comment was just posted; wait a few seconds or change the text")
        }),
        other => Ok(other?),
    }
}

/// Comments on an object; the object's author or host is notified (unless it is them).
pub async fn create(
    state: &AppState,
    object_kind: Object,
    id: Uuid,
    viewer: &moim_store::accounts::User,
    body: &str,
) -> Result<Comment, ApiError> {
    let body = rules::parse_body(body)?;
    let target = object(state, object_kind, id, Some(viewer.id)).await?;
    let mut tx = state.db.begin().await?;
    let cid = created(
        store::create_in(
            &mut tx,
            object_kind,
            id,
            None,
            viewer.id,
            &body,
            now_millis(),
        )
        .await,
    )?;
    tell(
        state,
        &mut tx,
        &target,
        vec![(target.owner, "comment")],
        viewer.id,
        &viewer.nickname,
        cid,
        &body,
    )
    .await?;
    super::notify::commit(state, tx).await?;
    load(state, cid).await
}

async fn load(state: &AppState, id: Uuid) -> Result<Comment, ApiError> {
    store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("comment_not_found"))
}

/// A comment together with its object, as the viewer may see it (404 when hidden).
pub async fn access(
    state: &AppState,
    id: Uuid,
    viewer: Option<Uuid>,
) -> Result<(Comment, Target), ApiError> {
    let c = load(state, id).await?;
    let (kind, oid) = c.object();
    let target = object(state, kind, oid, viewer).await?;
    Ok((c, target))
}

/// Replies under a comment. The parent's author is notified, and the object's author too when
/// that is someone else (neither when they are the replier).
pub async fn reply(
    state: &AppState,
    parent: Uuid,
    viewer: &moim_store::accounts::User,
    body: &str,
) -> Result<Comment, ApiError> {
    let body = rules::parse_body(body)?;
    let (mut p, target) = access(state, parent, Some(viewer.id)).await?;
    // One level: a reply to a reply joins the top-level thread.
    if let Some(top) = p.parent_id {
        p = load(state, top).await?;
    }
    if p.deleted_at.is_some() {
        return Err(ApiError::conflict("comment_deleted"));
    }
    let mut tx = state.db.begin().await?;
    let cid = created(
        store::create_in(
            &mut tx,
            target.object,
            target.id,
            Some(p.id),
            viewer.id,
            &body,
            now_millis(),
        )
        .await,
    )?;
    let mut to = Vec::new();
    if let Some(a) = p.author_id {
        to.push((a, "reply"));
    }
    if p.author_id != Some(target.owner) {
        to.push((target.owner, "comment"));
    }
    tell(
        state,
        &mut tx,
        &target,
        to,
        viewer.id,
        &viewer.nickname,
        cid,
        &body,
    )
    .await?;
    super::notify::commit(state, tx).await?;
    load(state, cid).await
}

/// Edits the viewer's own comment.
pub async fn edit(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    body: &str,
) -> Result<Comment, ApiError> {
    let body = rules::parse_body(body)?;
    let (c, _) = access(state, id, Some(viewer)).await?;
    if c.author_id != Some(viewer) {
        return Err(ApiError::forbidden("author_only"));
    }
    if !store::edit(&state.db, id, viewer, &body, now_millis()).await? {
        return Err(ApiError::conflict("comment_deleted"));
    }
    load(state, id).await
}

/// Deletes the viewer's own comment; replies under it stay.
pub async fn delete(state: &AppState, id: Uuid, viewer: Uuid) -> Result<Target, ApiError> {
    let (c, target) = access(state, id, Some(viewer)).await?;
    if c.author_id != Some(viewer) {
        return Err(ApiError::forbidden("author_only"));
    }
    if !store::delete(&state.db, id, viewer, now_millis()).await? {
        return Err(ApiError::conflict("comment_deleted"));
    }
    Ok(target)
}
