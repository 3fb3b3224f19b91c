//! Comments and replies on course posts and meetups: who is notified and with whose name,
//! visibility of a members-only meetup's comments, author-only edits, soft delete keeping
//! replies readable, one level of replies, and the course's comment count.

use super::courses::{body, image, post};
use moim_testkit::{Client, json};
use serde_json::Value;

/// The caller's notifications (newest first) as (kind, body).
async fn inbox(c: &Client) -> Vec<(String, String)> {
    let r = c.get("/api/v1/notifications?limit=100").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn comment(c: &Client, path: &str, text: &str) -> String {
    let r = c.post(path, json!({ "body": text })).await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

async fn reply(c: &Client, parent: &str, text: &str) -> Value {
    let r = c
        .post(
            &format!("/api/v1/comments/{parent}/replies"),
            json!({ "body": text }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

#[tokio::test]
async fn comments_and_replies_notify_the_right_person_with_the_right_name() {
    let app = super::app().await;
    let (author, _) = app.quick_user("작성자").await;
    let (bora, _) = app.quick_user("보라").await;
    let (chul, _) = app.quick_user("철수").await;
    let img = image(&author).await;
    let id = post(&author, body("알림 코스", "서울 마포구", &img)).await;
    let path = format!("/api/v1/courses/{id}/comments");

    // Bora comments: the author hears it, with Bora's name (the reference used the author's).
    let b1 = comment(&bora, &path, "코스 정말 좋네요").await;
    let got = inbox(&author).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "course.comment");
    assert!(got[0].1.contains("보라"), "{got:?}");
    assert!(!got[0].1.contains("작성자"), "{got:?}");
    assert!(got[0].1.contains("알림 코스") && got[0].1.contains("코스 정말 좋네요"));
    assert!(
        inbox(&bora).await.is_empty(),
        "the commenter is not notified"
    );

    // Chul replies to Bora: Bora gets a reply notice with Chul's name; the author hears of it too.
    reply(&chul, &b1, "저도 달려봤어요").await;
    let got = inbox(&bora).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "course.reply");
    assert!(
        got[0].1.contains("철수") && !got[0].1.contains("보라"),
        "{got:?}"
    );
    let got = inbox(&author).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "course.comment");
    assert!(got[0].1.contains("철수"), "{got:?}");
    assert!(inbox(&chul).await.is_empty(), "the replier is not notified");

    // The author replies to Bora: only Bora hears it (never the replier themself).
    reply(&author, &b1, "고마워요").await;
    let got = inbox(&bora).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, "course.reply");
    assert!(got[0].1.contains("작성자"), "{got:?}");
    assert_eq!(inbox(&author).await.len(), 2);
    // Bora answers in her own thread: the author hears it, Bora does not.
    reply(&bora, &b1, "다음에 같이 달려요").await;
    assert_eq!(inbox(&bora).await.len(), 2);
    let got = inbox(&author).await;
    assert_eq!(got.len(), 3);
    assert!(got[0].1.contains("보라"));
    // The author commenting on their own course notifies nobody.
    comment(&author, &path, "코스 주인입니다").await;
    assert_eq!(inbox(&author).await.len(), 3);

    // Meetups use the same facility: a comment tells the host, with the commenter's name.
    let (host, _) = app.quick_user("모임장").await;
    let m = super::meetups::host(&host, super::meetups::body("댓글 러닝", 24, 10)).await;
    let c = comment(
        &bora,
        &format!("/api/v1/meetups/{m}/comments"),
        "참가하고 싶어요",
    )
    .await;
    let got = inbox(&host).await;
    assert_eq!(got[0].0, "meetup.comment");
    assert!(
        got[0].1.contains("보라") && got[0].1.contains("댓글 러닝"),
        "{got:?}"
    );
    reply(&host, &c, "환영해요").await;
    let got = inbox(&bora).await;
    assert_eq!(got[0].0, "meetup.reply");
    assert!(got[0].1.contains("모임장"), "{got:?}");
    assert_eq!(inbox(&host).await.len(), 1);
    // The notification links to the comment on the object's page.
    let r = bora.get("/api/v1/notifications?limit=1").await;
    let link = r.json["items"][0]["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("/meetups/{m}#comment-")),
        "{link}"
    );
}

#[tokio::test]
async fn members_only_meetup_comments_stay_inside_the_group() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let outsider = app.user("x@x.io", "outsider").await;
    let g = super::make_group(&owner, "러닝 크루", 10, "invite").await;
    let mut b = super::meetups::body("크루 전용 러닝", 24, 5);
    b["group_id"] = json!(g);
    b["is_public"] = json!(false);
    let m = super::meetups::host(&owner, b).await;
    let path = format!("/api/v1/meetups/{m}/comments");
    let c = comment(&owner, &path, "크루 공지: 7시 집합").await;
    // The owner reads the thread; outsiders and visitors get a 404 for everything.
    let r = owner.get(&path).await;
    assert_eq!(r.json["items"][0]["body"], "크루 공지: 7시 집합");
    for r in [
        outsider.get(&path).await,
        app.client().get(&path).await,
        outsider.post(&path, json!({"body": "몰래"})).await,
        outsider
            .post(
                &format!("/api/v1/comments/{c}/replies"),
                json!({"body": "몰래"}),
            )
            .await,
        outsider
            .patch(&format!("/api/v1/comments/{c}"), json!({"body": "몰래"}))
            .await,
        outsider.delete(&format!("/api/v1/comments/{c}")).await,
    ] {
        assert_eq!(r.status, 404, "{}", r.text);
        assert!(!r.text.contains("7시"), "{}", r.text);
    }
    // The page does not show the thread either.
    let r = outsider.get(&format!("/meetups/{m}")).await;
    assert_eq!(r.status, 404);
    assert!(!r.text.contains("7시"));
    let r = outsider.get(&format!("/meetups/{m}/comments")).await;
    assert_eq!(r.status, 404);
    assert!(!r.text.contains("7시"));
    // A public meetup's thread is readable signed out, on the page too.
    let pm = super::meetups::host(&owner, super::meetups::body("공개 러닝", 24, 5)).await;
    comment(
        &owner,
        &format!("/api/v1/meetups/{pm}/comments"),
        "누구나 환영",
    )
    .await;
    let r = app.client().get(&format!("/meetups/{pm}")).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("누구나 환영"), "{}", r.text);
}

#[tokio::test]
async fn own_comments_are_edited_and_soft_deleted_and_replies_stay_one_level_deep() {
    let app = super::app().await;
    let (author, _) = app.quick_user("author").await;
    let (bora, _) = app.quick_user("bora").await;
    let (chul, _) = app.quick_user("chul").await;
    let img = image(&author).await;
    let id = post(&author, body("스레드 코스", "서울 마포구", &img)).await;
    let path = format!("/api/v1/courses/{id}/comments");
    let count = |c: &Client| {
        let c = c.clone();
        let id = id.clone();
        async move {
            c.get(&format!("/api/v1/courses/{id}")).await.json["comment_count"]
                .as_i64()
                .unwrap()
        }
    };
    // Empty bodies are refused.
    let r = bora.post(&path, json!({"body": "   "})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["errors"][0]["field"], "body");
    assert_eq!(
        app.client()
            .post(&path, json!({"body": "익명"}))
            .await
            .status,
        401
    );

    let b1 = comment(&bora, &path, "첫 댓글").await;
    let r1 = reply(&chul, &b1, "답글").await;
    assert_eq!(r1["parent_id"], b1.as_str());
    // A reply to a reply joins the top-level thread.
    let r2 = reply(&bora, r1["id"].as_str().unwrap(), "답글의 답글").await;
    assert_eq!(r2["parent_id"], b1.as_str());
    let lonely = comment(&chul, &path, "혼자 있는 댓글").await;
    assert_eq!(count(&author).await, 4);

    // Only the author edits or deletes.
    let r = chul
        .patch(
            &format!("/api/v1/comments/{b1}"),
            json!({"body": "남의 것"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "author_only");
    assert_eq!(
        author
            .delete(&format!("/api/v1/comments/{b1}"))
            .await
            .status,
        403
    );
    let r = bora
        .patch(
            &format!("/api/v1/comments/{b1}"),
            json!({"body": "고친 댓글"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["edited"], true);

    // Deleting keeps the replies readable; the text is gone.
    assert_eq!(
        bora.delete(&format!("/api/v1/comments/{b1}")).await.status,
        204
    );
    assert_eq!(
        bora.delete(&format!("/api/v1/comments/{b1}")).await.status,
        409
    );
    let r = author.get(&path).await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.text);
    assert_eq!(items[0]["deleted"], true);
    assert_eq!(items[0]["body"], "");
    assert!(!r.text.contains("고친 댓글"));
    let replies: Vec<&str> = items[0]["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(replies, vec!["답글", "답글의 답글"]);
    assert_eq!(count(&author).await, 3);
    // No new replies under a deleted comment; no edits of it.
    let r = chul
        .post(
            &format!("/api/v1/comments/{b1}/replies"),
            json!({"body": "늦은 답글"}),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = bora
        .patch(&format!("/api/v1/comments/{b1}"), json!({"body": "부활"}))
        .await;
    assert_eq!(r.status, 409);
    // A deleted comment without replies leaves the thread.
    assert_eq!(
        chul.delete(&format!("/api/v1/comments/{lonely}"))
            .await
            .status,
        204
    );
    let r = author.get(&path).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(count(&author).await, 2);

    // Paging top-level comments.
    for i in 0..5 {
        comment(&author, &path, &format!("페이지 {i}")).await;
    }
    let r = author.get(&format!("{path}?limit=4")).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 4);
    let next = r.json["next_cursor"].as_str().unwrap().to_owned();
    let r = author.get(&format!("{path}?limit=4&cursor={next}")).await;
    let bodies: Vec<&str> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["페이지 3", "페이지 4"]);
    assert!(r.json["next_cursor"].is_null());

    // Deleting the course deletes its comments.
    assert_eq!(
        author.delete(&format!("/api/v1/courses/{id}")).await.status,
        204
    );
    assert_eq!(author.get(&path).await.status, 404);
    assert_eq!(
        chul.post(
            &format!("/api/v1/comments/{b1}/replies"),
            json!({"body": "x"})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn the_thread_works_from_pages_with_htmx_and_plain_forms() {
    let app = super::app().await;
    let (author, _) = app.quick_user("author").await;
    let img = image(&author).await;
    let id = post(&author, body("폼 코스", "서울 마포구", &img)).await;
    // A browser session (cookie + CSRF) posting the form.
    let web = app.user("web@x.io", "웹사용자").await;
    let page = web.get(&format!("/courses/{id}")).await;
    assert_eq!(page.status, 200);
    let r = web
        .form(
            &format!("/courses/{id}/comments"),
            &[("body", "폼으로 남긴 <b>댓글</b>")],
        )
        .await;
    assert!(
        r.status == 303 || r.status == 200,
        "{} {}",
        r.status,
        r.text
    );
    let r = app.client().get(&format!("/courses/{id}")).await;
    assert!(
        r.text.contains("폼으로 남긴 &#60;b&#62;댓글"),
        "escaped: {}",
        r.text
    );
    assert!(!r.text.contains("<b>댓글"));
}

#[tokio::test]
async fn a_deleted_account_leaves_replies_readable_and_course_counts_right() {
    let app = super::app().await;
    let (author, _) = app.quick_user("author").await;
    let (bora, bora_id) = app.quick_user("bora").await;
    let (chul, _) = app.quick_user("chul").await;
    let img = image(&author).await;
    let id = post(&author, body("탈퇴 코스", "서울 마포구", &img)).await;
    let path = format!("/api/v1/courses/{id}/comments");
    let b1 = comment(&bora, &path, "보라의 댓글").await;
    reply(&chul, &b1, "철수의 답글").await;
    reply(&bora, &b1, "보라의 답글").await;
    for (c, stars) in [(&bora, 5), (&chul, 1)] {
        c.get(&format!("/api/v1/courses/{id}")).await;
        let r = c
            .put(
                &format!("/api/v1/courses/{id}/rating"),
                json!({"stars": stars}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    bora.put(&format!("/api/v1/courses/{id}/bookmark"), json!({}))
        .await;
    let r = app.client().get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(
        (
            &r.json["comment_count"],
            &r.json["bookmark_count"],
            &r.json["view_count"],
            &r.json["rating_average"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!("3.0"))
    );

    moim_store::accounts::delete_user(&app.db, bora_id)
        .await
        .unwrap();
    let r = app.client().get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["comment_count"], 1, "{}", r.text);
    assert_eq!(r.json["bookmark_count"], 0);
    assert_eq!(r.json["view_count"], 1);
    assert_eq!(r.json["rating_count"], 1);
    assert_eq!(r.json["rating_average"], "1.0");
    // Bora's comment is a placeholder without text or author; Chul's reply stays.
    let r = app.client().get(&path).await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["deleted"], true);
    assert!(items[0]["author_id"].is_null());
    assert!(!r.text.contains("보라의"), "{}", r.text);
    let replies = items[0]["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["body"], "철수의 답글");
    let page = app.client().get(&format!("/courses/{id}")).await;
    assert!(page.text.contains("철수의 답글"));
    assert!(page.text.contains("탈퇴한 사용자") || page.text.contains("Former member"));
}

/// Ages a user's comments, as if `ms` had passed (tests cannot wait).
async fn age_comments(app: &moim_testkit::TestApp, user: uuid::Uuid, ms: i64) {
    let sql = "UPDATE comments SET created_at = created_at - $1 WHERE author_id = $2";
    match &app.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query(sql)
                .bind(ms)
                .bind(user)
                .execute(p)
                .await
                .unwrap();
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query(sql)
                .bind(ms)
                .bind(user)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_same_text_again_within_seconds_is_refused_even_when_sent_together() {
    let app = super::app().await;
    let (author, _) = app.quick_user("author").await;
    let (bora, bora_id) = app.quick_user("bora").await;
    let img = image(&author).await;
    let id = post(&author, body("반복 코스", "서울 마포구", &img)).await;
    let path = format!("/api/v1/courses/{id}/comments");
    let first = comment(&bora, &path, "좋아요").await;
    // The same text (after trimming) at once: 429 with a stable code and a retry hint.
    let r = bora.post(&path, json!({"body": "  좋아요 "})).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.code(), "comment_repeated");
    assert!(r.header("retry-after").is_some());
    // As a reply too.
    let r = bora
        .post(
            &format!("/api/v1/comments/{first}/replies"),
            json!({"body": "좋아요"}),
        )
        .await;
    assert_eq!(r.code(), "comment_repeated", "{}", r.text);
    // The same text on another post is fine.
    let img2 = image(&author).await;
    let other = post(&author, body("다른 코스", "서울 마포구", &img2)).await;
    comment(
        &bora,
        &format!("/api/v1/courses/{other}/comments"),
        "좋아요",
    )
    .await;
    // Other text is fine, but the earlier text is still refused after it (whatever was
    // posted in between, as a comment or a reply); another person may say it too.
    comment(&bora, &path, "정말 좋아요").await;
    let r = bora.post(&path, json!({"body": "좋아요"})).await;
    assert_eq!(r.code(), "comment_repeated", "{}", r.text);
    let r = bora
        .post(
            &format!("/api/v1/comments/{first}/replies"),
            json!({"body": "정말 좋아요"}),
        )
        .await;
    assert_eq!(r.code(), "comment_repeated", "{}", r.text);
    comment(&author, &path, "좋아요").await;
    // A deleted comment has no text left: saying it again is a new comment.
    let gone = comment(&bora, &path, "지울 댓글").await;
    let r = bora.delete(&format!("/api/v1/comments/{gone}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    comment(&bora, &path, "지울 댓글").await;
    // Once the window has passed, the same text is fine again.
    age_comments(&app, bora_id, moim_core::comments::REPEAT_WINDOW + 1).await;
    comment(&bora, &path, "좋아요").await;
    comment(&bora, &path, "정말 좋아요").await;
    let count = app.client().get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(count.json["comment_count"], 6, "{}", count.text);

    // Twenty identical comments sent together: exactly one is stored, on both backends.
    let (chul, _) = app.quick_user("chul").await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = chul.clone();
            let p = path.clone();
            tokio::spawn(async move { c.post(&p, json!({"body": "동시에 보낸 댓글"})).await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            429 => assert_eq!(r.code(), "comment_repeated"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(created, 1, "on {}", app.backend());
    let count = app.client().get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(count.json["comment_count"], 7);

    // Two texts sent together, each ten times: each is stored exactly once, though every
    // request's previous comment (the other text) differs from its own.
    let (dami, _) = app.quick_user("dami").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = dami.clone();
            let p = path.clone();
            let text = if i % 2 == 0 {
                "번갈아 A"
            } else {
                "번갈아 B"
            };
            tokio::spawn(async move { (text, c.post(&p, json!({"body": text})).await) })
        })
        .collect();
    let mut stored = std::collections::BTreeMap::new();
    for t in tasks {
        let (text, r) = t.await.unwrap();
        match r.status.as_u16() {
            201 => *stored.entry(text).or_insert(0) += 1,
            429 => assert_eq!(r.code(), "comment_repeated"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(
        stored,
        [("번갈아 A", 1), ("번갈아 B", 1)].into_iter().collect(),
        "on {}",
        app.backend()
    );
    let count = app.client().get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(count.json["comment_count"], 9);

    // The page (htmx) shows the reason inside the thread instead of an error page.
    let web = app.user("web@x.io", "웹사용자").await;
    web.get(&format!("/courses/{id}")).await;
    let send = |text: &'static str| {
        let web = web.clone();
        let id = id.clone();
        async move {
            let req = axum::http::Request::builder()
                .method("POST")
                .uri(format!("/courses/{id}/comments"))
                .header("hx-request", "true")
                .header("x-csrf-token", web.cookie("moim_csrf").unwrap_or_default())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "body={}",
                    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                )))
                .unwrap();
            web.send(req).await
        }
    };
    let r = send("두 번 누른 댓글").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send("두 번 누른 댓글").await;
    assert!(
        r.text.contains("같은 댓글을 방금 남겼어요"),
        "{} {}",
        r.status,
        r.text
    );
}
