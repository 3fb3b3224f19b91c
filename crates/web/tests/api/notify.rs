//! Notifications: the seam other modules call (`notify`, `remind`, `cancel_reminders`) and the
//! reminder job, on both backends.

use moim_core::time::{HOUR, now_millis};
use moim_jobs::{JobCtx, Registry, Runner, RunnerConfig};
use moim_store::notifications::{self as store, Filter};
use moim_testkit::{Client, TestApp, json};
use moim_web::flows::notify::{self, Notice, REMINDER_JOB, Reminder};
use uuid::Uuid;

pub async fn user_id(c: &Client) -> Uuid {
    let r = c.get("/api/v1/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().expect("id").parse().expect("uuid")
}

pub fn notice(recipient: Uuid, actor: Option<Uuid>, title: &str) -> Notice {
    Notice {
        recipient,
        kind: "system.notice",
        params: vec![
            ("title", title.to_owned()),
            ("body", format!("{title} body")),
        ],
        link: "/notifications".into(),
        group: None,
        actor,
    }
}

pub fn runner(t: &TestApp) -> Runner {
    let mut reg = Registry::new();
    notify::register(&mut reg, t.state.clone());
    Runner::new(t.db.clone(), reg, RunnerConfig::default())
}

pub async fn inbox(t: &TestApp, user: Uuid) -> Vec<store::Notification> {
    store::list(&t.db, user, &Filter::default(), None, 1000)
        .await
        .unwrap()
}

#[tokio::test]
async fn notify_stores_a_row_per_recipient_but_never_for_the_actor() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let b = user_id(&t.user("b@example.com", "bob").await).await;
    notify::notify(
        &t.state,
        vec![notice(a, Some(b), "hello"), notice(b, Some(b), "self")],
    )
    .await
    .unwrap();
    let got = inbox(&t, a).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, "system.notice");
    assert_eq!(got[0].category, "system");
    assert_eq!(got[0].actor_id, Some(b));
    assert!(got[0].read_at.is_none());
    let (title, body) = notify::render(
        &moim_web::i18n::Tr::new(moim_core::accounts::Locale::En),
        &got[0],
    );
    assert_eq!((title.as_str(), body.as_str()), ("hello", "hello body"));
    assert!(
        inbox(&t, b).await.is_empty(),
        "the actor got their own notice"
    );
    assert_eq!(store::unread_count(&t.db, a).await.unwrap(), 1);
}

#[tokio::test]
async fn a_bad_kind_or_link_is_refused_and_nothing_is_stored() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let mut bad_kind = notice(a, None, "x");
    bad_kind.kind = "weather.rain";
    let mut bad_link = notice(a, None, "y");
    bad_link.link = "https://evil.example/".into();
    for n in [bad_kind, bad_link] {
        let err = notify::notify(&t.state, vec![notice(a, None, "ok"), n])
            .await
            .unwrap_err();
        assert_eq!(err.status.as_u16(), 500);
    }
    assert!(inbox(&t, a).await.is_empty());
}

fn reminder(object: &str, at: i64, to: &[Uuid]) -> Reminder {
    Reminder {
        object: object.into(),
        key: "before-30m",
        at,
        notices: to.iter().map(|u| notice(*u, None, "soon")).collect(),
    }
}

async fn job_of(t: &TestApp, object: &str, user: Uuid) -> moim_store::jobs::Job {
    moim_store::jobs::get_by_key(&t.db, &format!("remind:{object}:before-30m:{user}"))
        .await
        .unwrap()
        .expect("reminder job")
}

#[tokio::test]
async fn reminders_are_never_doubled_move_with_their_object_and_cancel_by_object() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let b = user_id(&t.user("b@example.com", "bob").await).await;
    let obj = format!("meetup:{}", Uuid::now_v7());
    let other = format!("meetup:{}", Uuid::now_v7());
    let at = now_millis() + HOUR;
    for _ in 0..3 {
        notify::remind(&t.state, reminder(&obj, at, &[a, b]))
            .await
            .unwrap();
    }
    notify::remind(&t.state, reminder(&other, at, &[a]))
        .await
        .unwrap();
    let (ja, jb) = (job_of(&t, &obj, a).await, job_of(&t, &obj, b).await);
    assert_eq!((ja.status.as_str(), ja.run_at), ("queued", at));
    assert_ne!(ja.id, jb.id);
    let counts = moim_store::jobs::counts(&t.db).await.unwrap();
    assert_eq!(counts, vec![("queued".to_owned(), 3)], "{counts:?}");

    // The meetup moves: the same jobs move.
    let later = at + 2 * HOUR;
    notify::remind(&t.state, reminder(&obj, later, &[a, b]))
        .await
        .unwrap();
    let moved = job_of(&t, &obj, a).await;
    assert_eq!((moved.id, moved.run_at), (ja.id, later));
    assert_eq!(job_of(&t, &obj, b).await.run_at, later);

    // The meetup is cancelled: its reminders go, the other meetup's stay.
    notify::cancel_reminders(&t.state, &obj).await.unwrap();
    assert_eq!(job_of(&t, &obj, a).await.status, "cancelled");
    assert_eq!(job_of(&t, &obj, b).await.status, "cancelled");
    assert_eq!(job_of(&t, &other, a).await.status, "queued");

    // Scheduled again (the meetup is back): armed again, still one job per recipient.
    notify::remind(&t.state, reminder(&obj, later, &[a]))
        .await
        .unwrap();
    let again = job_of(&t, &obj, a).await;
    assert_eq!((again.id, again.status.as_str()), (ja.id, "queued"));

    assert!(
        notify::cancel_reminders(&t.state, "meetup").await.is_err(),
        "an object without an id would cancel every meetup's reminders"
    );
}

#[tokio::test]
async fn many_reminders_are_scheduled_at_once_all_or_none_each_once() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let b = user_id(&t.user("b@example.com", "bob").await).await;
    let (x, y) = (
        format!("meetup:{}", Uuid::now_v7()),
        format!("meetup:{}", Uuid::now_v7()),
    );
    let at = now_millis() + HOUR;
    // x is given twice: the later entry wins, as two calls of `remind` would.
    notify::remind_many(
        &t.state,
        vec![
            reminder(&x, at, &[a, b]),
            reminder(&y, at, &[a]),
            reminder(&x, at + HOUR, &[a]),
        ],
    )
    .await
    .unwrap();
    assert_eq!(job_of(&t, &x, a).await.run_at, at + HOUR);
    assert_eq!(job_of(&t, &x, b).await.run_at, at);
    let first = job_of(&t, &y, a).await;
    assert_eq!(
        moim_store::jobs::counts(&t.db).await.unwrap(),
        vec![("queued".to_owned(), 3)]
    );
    // Again with a move: the same jobs move, none is added.
    notify::remind_many(&t.state, vec![reminder(&y, at + 2 * HOUR, &[a])])
        .await
        .unwrap();
    let moved = job_of(&t, &y, a).await;
    assert_eq!((moved.id, moved.run_at), (first.id, at + 2 * HOUR));
    // One bad reminder refuses the whole call: nothing of it is scheduled.
    let z = format!("meetup:{}", Uuid::now_v7());
    let bad = Reminder {
        object: "meetup".into(),
        ..reminder(&z, at, &[a])
    };
    assert!(
        notify::remind_many(&t.state, vec![reminder(&z, at, &[a]), bad])
            .await
            .is_err()
    );
    assert!(
        moim_store::jobs::get_by_key(&t.db, &format!("remind:{z}:before-30m:{a}"))
            .await
            .unwrap()
            .is_none()
    );
    // When due, each is delivered once.
    for (o, u) in [(&x, a), (&x, b), (&y, a)] {
        moim_store::jobs::reschedule(
            &t.db,
            &format!("remind:{o}:before-30m:{u}"),
            now_millis() - 1,
        )
        .await
        .unwrap();
    }
    runner(&t).drain().await.unwrap();
    assert_eq!(inbox(&t, a).await.len(), 2);
    assert_eq!(inbox(&t, b).await.len(), 1);
}

#[tokio::test]
async fn a_due_reminder_is_delivered_in_app_once_even_when_its_job_runs_twice() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let obj = format!("roster:{}", Uuid::now_v7());
    let at = now_millis() - 1000;
    notify::remind(&t.state, reminder(&obj, at, &[a]))
        .await
        .unwrap();
    assert!(inbox(&t, a).await.is_empty(), "delivered before it was due");
    let r = runner(&t);
    assert_eq!(r.drain().await.unwrap(), 1);
    let got = inbox(&t, a).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].link, "/notifications");

    // A worker died after the handler's effect but before recording it: the job runs again.
    let job = job_of(&t, &obj, a).await;
    assert_eq!(job.status, "done");
    let mut reg = Registry::new();
    notify::register(&mut reg, t.state.clone());
    let handler = reg.get(REMINDER_JOB).unwrap();
    handler
        .run(JobCtx {
            db: t.db.clone(),
            job: job.clone(),
        })
        .await
        .unwrap();
    assert_eq!(inbox(&t, a).await.len(), 1, "a re-run doubled the reminder");

    // The same call again after it fired: nothing new.
    notify::remind(&t.state, reminder(&obj, at, &[a]))
        .await
        .unwrap();
    assert_eq!(r.drain().await.unwrap(), 0);
    assert_eq!(inbox(&t, a).await.len(), 1);

    // Moved to another (due) time after it fired: it fires again, once.
    notify::remind(&t.state, reminder(&obj, at + 1, &[a]))
        .await
        .unwrap();
    assert_eq!(r.drain().await.unwrap(), 1);
    assert_eq!(r.drain().await.unwrap(), 0);
    assert_eq!(inbox(&t, a).await.len(), 2);
}

#[tokio::test]
async fn concurrent_reminders_and_runners_deliver_exactly_once() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let obj = format!("meetup:{}", Uuid::now_v7());
    let at = now_millis() - 1000;
    let calls = (0..8).map(|_| notify::remind(&t.state, reminder(&obj, at, &[a])));
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(
        moim_store::jobs::counts(&t.db).await.unwrap(),
        vec![("queued".to_owned(), 1)]
    );
    let (r1, r2) = (runner(&t), runner(&t));
    let (n1, n2) = tokio::join!(r1.drain(), r2.drain());
    assert_eq!(n1.unwrap() + n2.unwrap(), 1);
    assert_eq!(inbox(&t, a).await.len(), 1);
}

// --- the notification centre ------------------------------------------------------------------

async fn seed(t: &TestApp, user: Uuid, n: usize) {
    for i in 0..n {
        notify::notify(&t.state, vec![notice(user, None, &format!("n{i}"))])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_centre_pages_with_a_cursor_and_counts_unread() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    seed(&t, a, 5).await;
    let r = ac.get("/api/v1/notifications?limit=2").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["unread"], 5);
    let titles = |r: &moim_testkit::Reply| -> Vec<String> {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = titles(&r);
    let mut cursor = r.json["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let r = ac
            .get(&format!("/api/v1/notifications?limit=2&cursor={c}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(titles(&r));
        cursor = r.json["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["n4", "n3", "n2", "n1", "n0"],
        "newest first, each once"
    );
    let first = &r.json["items"][0];
    assert_eq!(first["kind"], "system.notice");
    assert_eq!(first["body"], "n4 body");
    assert_eq!(first["read"], false);
    assert_eq!(first["link"], "/notifications");

    let r = ac.get("/api/v1/notifications/unread-count").await;
    assert_eq!(r.json["unread"], 5);
}

#[tokio::test]
async fn mark_read_read_all_and_delete_touch_only_my_notifications() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let bc = t.user("b@example.com", "bob").await;
    let (a, b) = (user_id(&ac).await, user_id(&bc).await);
    seed(&t, a, 3).await;
    seed(&t, b, 1).await;
    let mine = inbox(&t, a).await;
    let bobs = inbox(&t, b).await[0].id;

    // Someone else's notification does not exist for me.
    assert_eq!(
        ac.post(&format!("/api/v1/notifications/{bobs}/read"), json!({}))
            .await
            .status,
        404
    );
    let r = ac.delete(&format!("/api/v1/notifications/{bobs}")).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "notification_not_found")
    );
    assert_eq!(store::unread_count(&t.db, b).await.unwrap(), 1);

    let r = ac
        .post(
            &format!("/api/v1/notifications/{}/read", mine[0].id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        ac.get("/api/v1/notifications/unread-count").await.json["unread"],
        2
    );
    let r = ac.get("/api/v1/notifications?unread=true").await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 2);

    let r = ac.post("/api/v1/notifications/read-all", json!({})).await;
    assert_eq!(
        (r.status.as_u16(), r.json["marked"].as_u64()),
        (200, Some(2))
    );
    assert_eq!(store::unread_count(&t.db, a).await.unwrap(), 0);
    assert_eq!(store::unread_count(&t.db, b).await.unwrap(), 1, "bob's too");

    let r = ac
        .delete(&format!("/api/v1/notifications/{}", mine[1].id))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(inbox(&t, a).await.len(), 2);
    assert_eq!(inbox(&t, b).await.len(), 1);
}

#[tokio::test]
async fn the_list_filters_by_kind_and_category_and_refuses_unknown_ones() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    seed(&t, a, 2).await;
    let mut other = notice(a, None, "group news");
    other.kind = "group.news";
    notify::notify(&t.state, vec![other]).await.unwrap();

    let count = |r: &moim_testkit::Reply| r.json["items"].as_array().unwrap().len();
    assert_eq!(count(&ac.get("/api/v1/notifications").await), 3);
    assert_eq!(
        count(&ac.get("/api/v1/notifications?category=system").await),
        2
    );
    assert_eq!(
        count(&ac.get("/api/v1/notifications?kind=group.news").await),
        1
    );
    assert_eq!(
        count(
            &ac.get("/api/v1/notifications?category=group&kind=system.notice")
                .await
        ),
        0
    );

    let r = ac
        .get("/api/v1/notifications?category=weather&limit=0")
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["limit", "category"]);
    let r = ac.get("/api/v1/notifications?kind=nope").await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0]["code"].as_str()),
        (422, Some("unknown_kind"))
    );
    let r = ac.get("/api/v1/notifications?cursor=garbage").await;
    assert_eq!(r.code(), "invalid_cursor");
    assert_eq!(t.client().get("/api/v1/notifications").await.status, 401);
}

#[tokio::test]
async fn retention_deletes_only_notifications_older_than_the_configured_age() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    seed(&t, a, 2).await;
    let old = inbox(&t, a).await[1].id;
    let ten_days_ago = now_millis() - 10 * moim_core::time::DAY;
    match &t.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query("UPDATE notifications SET created_at = $1 WHERE id = $2")
                .bind(ten_days_ago)
                .bind(old)
                .execute(p)
                .await
                .unwrap();
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query("UPDATE notifications SET created_at = $1 WHERE id = $2")
                .bind(ten_days_ago)
                .bind(old)
                .execute(p)
                .await
                .unwrap();
        }
    }
    let r = runner(&t);
    let run = |days: u32| {
        let payload = notify::retention_payload(days);
        let db = t.db.clone();
        async move {
            moim_jobs::enqueue(
                &db,
                notify::RETENTION_JOB,
                &serde_json::from_str::<serde_json::Value>(&payload).unwrap(),
                None,
            )
            .await
            .unwrap();
        }
    };
    run(30).await;
    assert_eq!(r.drain().await.unwrap(), 1);
    assert_eq!(
        inbox(&t, a).await.len(),
        2,
        "30 days keeps a 10-day-old one"
    );
    run(7).await;
    assert_eq!(r.drain().await.unwrap(), 1);
    let left = inbox(&t, a).await;
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, old);
}

#[tokio::test]
async fn the_page_lists_filters_opens_and_shows_the_badge_in_both_languages() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let web = t.client();
    let r = web
        .form(
            "/login",
            &[("email", "a@example.com"), ("password", "correct horse 9")],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.text);
    let r = web.get("/groups").await;
    assert!(
        r.text
            .contains(r#"sse-swap="badge" hx-swap="outerHTML" hidden>0<"#),
        "no badge when nothing is unread"
    );

    let mut n = notice(a, None, "Roster <b>ready</b>");
    n.link = "/groups".into();
    notify::notify(&t.state, vec![n]).await.unwrap();
    seed(&t, a, 1).await;
    let r = web.get("/groups").await;
    assert!(
        r.text
            .contains(r#"sse-swap="badge" hx-swap="outerHTML">2<"#),
        "{}",
        r.text
    );

    let r = web.get("/notifications").await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("알림"));
    assert!(
        r.text.contains("Roster &#60;b&#62;ready&#60;/b&#62;")
            || r.text.contains("Roster &lt;b&gt;ready&lt;/b&gt;"),
        "escaped: {}",
        r.text
    );
    assert_eq!(r.text.matches(r#"data-testid="notification""#).count(), 2);
    web.get("/lang/en?next=/notifications").await;
    let r = web.get("/notifications?category=group").await;
    assert!(
        r.text.contains("No notifications match this filter."),
        "{}",
        r.text
    );

    let id = inbox(&t, a)
        .await
        .into_iter()
        .find(|x| x.link == "/groups")
        .unwrap()
        .id;
    let r = web.get(&format!("/notifications/{id}/open")).await;
    assert_eq!(r.location(), Some("/groups"));
    assert_eq!(store::unread_count(&t.db, a).await.unwrap(), 1);
    let r = web.form("/notifications/read-all", &[]).await;
    assert_eq!(r.location(), Some("/notifications"));
    assert_eq!(store::unread_count(&t.db, a).await.unwrap(), 0);
    let r = web.form(&format!("/notifications/{id}/delete"), &[]).await;
    assert!(r.status.is_redirection());
    assert_eq!(inbox(&t, a).await.len(), 1);
    assert!(
        t.client()
            .get("/notifications")
            .await
            .location()
            .unwrap_or("")
            .starts_with("/login")
    );
}

// --- channels and preferences -------------------------------------------------------------------

fn mails_to(t: &TestApp, email: &str) -> Vec<String> {
    t.outbox()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("[moim]"))
        .collect()
}

#[tokio::test]
async fn email_honours_the_recipients_preference_and_skips_what_was_read_in_the_app() {
    let t = TestApp::with_config(|c| c.notify_email_delay = std::time::Duration::ZERO).await;
    let ac = t.user("a@example.com", "alice").await;
    let bc = t.user("b@example.com", "bob").await;
    let (a, b) = (user_id(&ac).await, user_id(&bc).await);

    // Alice turns e-mail off for system notifications; the author's (bob's) settings do not matter.
    let r = ac
        .request(
            axum::http::Method::PUT,
            "/api/v1/notifications/preferences",
            Some(json!({"category": "system", "channel": "email", "enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let off: Vec<_> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enabled"] == false)
        .collect();
    assert_eq!(off.len(), 1);
    assert_eq!(
        (off[0]["category"].as_str(), off[0]["channel"].as_str()),
        (Some("system"), Some("email"))
    );
    let r = bc
        .request(
            axum::http::Method::PUT,
            "/api/v1/notifications/preferences",
            Some(json!({"category": "group", "channel": "email", "enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = ac
        .request(
            axum::http::Method::PUT,
            "/api/v1/notifications/preferences",
            Some(json!({"category": "weather", "channel": "pigeon", "enabled": false})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    let mut to_a = notice(a, Some(b), "Shift swap for alice");
    to_a.link = "/groups".into();
    let mut to_b = notice(b, Some(a), "Shift swap for bob");
    to_b.link = "/groups".into();
    notify::notify(&t.state, vec![to_a, to_b]).await.unwrap();
    runner(&t).drain().await.unwrap();

    assert!(
        mails_to(&t, "a@example.com").is_empty(),
        "alice turned system e-mail off"
    );
    assert_eq!(
        inbox(&t, a).await.len(),
        1,
        "but she still sees it in the app"
    );
    let mails = mails_to(&t, "b@example.com");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Shift swap for bob"), "{}", mails[0]);
    assert!(mails[0].contains("http://localhost/groups"), "{}", mails[0]);
    assert!(
        mails[0].contains("알림 설정"),
        "Korean by default: {}",
        mails[0]
    );

    // Read in the app before the e-mail went out: no e-mail.
    let t2 =
        TestApp::with_config(|c| c.notify_email_delay = std::time::Duration::from_secs(3600)).await;
    let cc = t2.user("c@example.com", "carol").await;
    let c = user_id(&cc).await;
    notify::notify(&t2.state, vec![notice(c, None, "read me")])
        .await
        .unwrap();
    let n = inbox(&t2, c).await[0].id;
    assert_eq!(
        cc.post(&format!("/api/v1/notifications/{n}/read"), json!({}))
            .await
            .status,
        204
    );
    let job = moim_store::jobs::get_by_key(&t2.db, &format!("email:{n}"))
        .await
        .unwrap()
        .expect("email job");
    assert_eq!(job.status, "queued");
    moim_store::jobs::reschedule(&t2.db, &format!("email:{n}"), now_millis() - 1)
        .await
        .unwrap();
    assert_eq!(runner(&t2).drain().await.unwrap(), 1);
    assert!(
        mails_to(&t2, "c@example.com").is_empty(),
        "a read notification was mailed"
    );
    let job = moim_store::jobs::get_by_key(&t2.db, &format!("email:{n}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, "done");
}

// --- time zones -----------------------------------------------------------------------------------

#[tokio::test]
async fn a_daily_20_00_reminder_fires_at_20_00_in_the_groups_zone_across_a_dst_change() {
    use jiff::Timestamp;
    use jiff::tz::TimeZone;
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let zone = "Europe/Berlin";
    let tz = TimeZone::get(zone).unwrap();
    let cron = moim_jobs::Cron::parse("0 20 * * *").unwrap();
    // Berlin moves from CET (+1) to CEST (+2) in the night to Sunday 2026-03-29 (in the past,
    // so that the occurrences are due and a runner can claim them).
    let start: Timestamp = "2026-03-26T21:00:00Z".parse().unwrap();
    let first = cron.next_after(start, &tz).unwrap().as_millisecond();
    let payload = json!({
        "at": 0,
        "notice": {"recipient": a, "kind": "system.notice",
                   "params": {"title": "Check in for today", "body": "before midnight"},
                   "link": "/groups", "group": null, "actor": null}
    })
    .to_string();
    moim_store::jobs::upsert_schedule(
        &t.db,
        "mission:daily-checkin",
        "0 20 * * *",
        zone,
        REMINDER_JOB,
        &payload,
        first,
    )
    .await
    .unwrap();
    let mut reg = Registry::new();
    notify::register(&mut reg, t.state.clone());
    let handler = reg.get(REMINDER_JOB).unwrap();

    let mut fired = Vec::new();
    for _ in 0..3 {
        let s = moim_store::jobs::schedules(&t.db).await.unwrap();
        let due = s[0].next_run_at;
        // The runner wakes a little late: the occurrence still fires, once.
        assert_eq!(
            moim_jobs::fire_due_schedules(&t.db, due + 1500)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            moim_jobs::fire_due_schedules(&t.db, due + 2000)
                .await
                .unwrap(),
            0
        );
        let job =
            moim_store::jobs::get_by_key(&t.db, &format!("schedule:mission:daily-checkin:{due}"))
                .await
                .unwrap()
                .expect("occurrence job");
        assert_eq!(job.run_at, due);
        // Claimed as a runner does; the same claim run twice delivers once.
        let claimed = moim_store::jobs::claim(&t.db, "w", 10, due + 3_600_000_000)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].id, job.id);
        let job = claimed[0].clone();
        handler
            .run(JobCtx {
                db: t.db.clone(),
                job: job.clone(),
            })
            .await
            .unwrap();
        handler
            .run(JobCtx {
                db: t.db.clone(),
                job,
            })
            .await
            .unwrap();
        fired.push(Timestamp::from_millisecond(due).unwrap());
    }
    let local: Vec<String> = fired
        .iter()
        .map(|ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .collect();
    assert_eq!(
        local,
        [
            "2026-03-27 20:00 CET",
            "2026-03-28 20:00 CET",
            "2026-03-29 20:00 CEST"
        ]
    );
    let utc: Vec<String> = fired.iter().map(|ts| ts.to_string()).collect();
    assert_eq!(
        utc,
        [
            "2026-03-27T19:00:00Z",
            "2026-03-28T19:00:00Z",
            "2026-03-29T18:00:00Z"
        ]
    );
    let got = inbox(&t, a).await;
    assert_eq!(got.len(), 3, "one notification per day, none doubled");
    assert!(got.iter().all(|n| n.kind == "system.notice"));
}

#[tokio::test]
async fn due_reminders_are_delivered_in_bulk_each_once() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let b = user_id(&t.user("b@example.com", "bob").await).await;
    let at = now_millis() - 1000;
    for _ in 0..150 {
        let obj = format!("meetup:{}", Uuid::now_v7());
        notify::remind(&t.state, reminder(&obj, at, &[a, b]))
            .await
            .unwrap();
    }
    // One not yet due stays queued.
    let later = format!("meetup:{}", Uuid::now_v7());
    notify::remind(&t.state, reminder(&later, now_millis() + HOUR, &[a]))
        .await
        .unwrap();
    let (r1, r2) = (runner(&t), runner(&t));
    let (n1, n2) = tokio::join!(r1.drain(), r2.drain());
    let runs = n1.unwrap() + n2.unwrap();
    assert!(runs < 300, "reminders ran one by one ({runs} runs)");
    assert_eq!(inbox(&t, a).await.len(), 150);
    assert_eq!(inbox(&t, b).await.len(), 150);
    let counts = moim_store::jobs::counts(&t.db).await.unwrap();
    let of = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |c| c.1);
    // 300 reminders done; their e-mail jobs (delayed) and the later reminder are queued.
    assert_eq!(of("done"), 300, "{counts:?}");
    assert_eq!(of("running"), 0, "{counts:?}");
    assert_eq!(of("queued"), 301, "{counts:?}");
}

#[tokio::test]
async fn reminders_taken_by_a_batch_that_died_come_back_after_its_lease() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let at = now_millis() - 1000;
    for _ in 0..3 {
        let obj = format!("meetup:{}", Uuid::now_v7());
        notify::remind(&t.state, reminder(&obj, at, &[a]))
            .await
            .unwrap();
    }
    // A batch run claimed them and then hung; its lease has run out.
    let taken = moim_store::jobs::claim_kind(&t.db, "w1+batch", REMINDER_JOB, 10, now_millis() - 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
    assert!(inbox(&t, a).await.is_empty());
    runner(&t).drain().await.unwrap();
    assert_eq!(
        inbox(&t, a).await.len(),
        3,
        "every reminder delivered, once"
    );
    // The hung run waking up late cannot complete what others took over.
    let mut tx = t.db.begin().await.unwrap();
    for j in &taken {
        assert!(!moim_store::jobs::complete_in(&mut tx, j).await.unwrap());
    }
    tx.commit().await.unwrap();
    for j in &taken {
        let now = moim_store::jobs::get(&t.db, j.id).await.unwrap().unwrap();
        assert_eq!((now.status.as_str(), now.attempts), ("done", 2), "{now:?}");
    }
}

#[tokio::test]
async fn email_is_html_and_text_in_each_recipients_language() {
    let t = TestApp::with_config(|c| c.notify_email_delay = std::time::Duration::ZERO).await;
    let ko = t.user("ko@example.com", "minji").await;
    let en = t.user("en@example.com", "emma").await;
    let r = en.patch("/api/v1/me", json!({"locale": "en"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let comment = |to: Uuid| Notice {
        recipient: to,
        kind: "meetup.comment",
        params: vec![
            ("name", "<b>Jun</b>".into()),
            ("title", "Han river run".into()),
            ("excerpt", "see you & bring water".into()),
        ],
        link: "/notifications".into(),
        group: None,
        actor: None,
    };
    let (k, e) = (user_id(&ko).await, user_id(&en).await);
    notify::notify(&t.state, vec![comment(k), comment(e)])
        .await
        .unwrap();
    runner(&t).drain().await.unwrap();

    let mail = |to: &str| {
        let m = mails_to(&t, to);
        assert_eq!(m.len(), 1, "one mail to {to}");
        moim_testkit::decode_mail(&m[0])
    };
    let en_mail = mail("en@example.com");
    let ko_mail = mail("ko@example.com");
    for m in [&en_mail, &ko_mail] {
        let lower = m.to_ascii_lowercase();
        assert!(lower.contains("text/plain"), "no text part: {m}");
        assert!(lower.contains("text/html"), "no HTML part: {m}");
        // The text part carries the name as written; the HTML part escapes it.
        assert!(m.contains("<b>Jun</b>"), "{m}");
        assert!(
            m.contains("&lt;b&gt;Jun&lt;/b&gt;"),
            "not escaped in HTML: {m}"
        );
        assert!(m.contains("http://localhost/notifications"), "{m}");
    }
    assert!(
        en_mail.contains("commented on [Han river run]"),
        "{en_mail}"
    );
    assert!(en_mail.contains("notification settings"), "{en_mail}");
    assert!(
        !en_mail.contains("댓글"),
        "Korean in the English mail: {en_mail}"
    );
    assert!(
        ko_mail.contains("[Han river run]에 댓글을 남겼어요"),
        "{ko_mail}"
    );
    assert!(ko_mail.contains("알림 설정"), "{ko_mail}");
}
