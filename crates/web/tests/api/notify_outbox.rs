//! Notifications commit with the domain change that causes them (outbox style), cancelling a
//! reminder also stops a job a runner has already claimed, and recurring reminders fire at the
//! wall-clock time of the group's zone, across DST changes. On both backends.

use crate::notify::{inbox, notice, runner, user_id};
use moim_core::time::{HOUR, MINUTE, now_millis};
use moim_jobs::{JobCtx, Registry};
use moim_testkit::{TestApp, json};
use moim_web::flows::notify::{self, Audience, REMINDER_JOB, Recurring, Reminder};
use uuid::Uuid;

async fn job_count(t: &TestApp, prefix: &str) -> usize {
    moim_store::jobs::list(&t.db, None, None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| {
            j.unique_key
                .as_deref()
                .is_some_and(|k| k.starts_with(prefix))
        })
        .count()
}

#[tokio::test]
async fn a_notification_exists_exactly_when_its_domain_change_commits() {
    let t = TestApp::new().await;
    let host = t.user("h@example.com", "host").await;
    let guest = t.user("g@example.com", "guest").await;
    let (h, g) = (user_id(&host).await, user_id(&guest).await);
    let meetup: Uuid = crate::meetups::host(&host, crate::meetups::body("Han river run", 72, 5))
        .await
        .parse()
        .unwrap();
    let now = now_millis();

    // The change and its notification in one transaction that never commits (a crash, or an
    // error after the notification was written): neither is left.
    let mut tx = t.db.begin().await.unwrap();
    let out = moim_store::meetups::apply_in(&mut tx, meetup, g, now)
        .await
        .unwrap();
    assert_eq!(out, moim_store::meetups::ApplyOutcome::Joined);
    notify::notify_in(&t.state, &mut tx, vec![notice(h, Some(g), "applied")])
        .await
        .unwrap();
    drop(tx);
    assert!(
        inbox(&t, h).await.is_empty(),
        "a notification outlived its rollback"
    );
    assert_eq!(
        job_count(&t, "email:").await,
        0,
        "a delivery job outlived its rollback"
    );
    assert!(
        moim_store::meetups::participation(&t.db, meetup, g)
            .await
            .unwrap()
            .is_none()
    );

    // A notification that cannot be stored takes the domain change down with it.
    let mut tx = t.db.begin().await.unwrap();
    moim_store::meetups::apply_in(&mut tx, meetup, g, now)
        .await
        .unwrap();
    let mut bad = notice(h, Some(g), "broken");
    bad.kind = "weather.rain";
    assert!(
        notify::notify_in(&t.state, &mut tx, vec![bad])
            .await
            .is_err()
    );
    drop(tx);
    assert!(
        moim_store::meetups::participation(&t.db, meetup, g)
            .await
            .unwrap()
            .is_none()
    );

    // Committed: both, with the e-mail job, visible as soon as the commit returns.
    let mut tx = t.db.begin().await.unwrap();
    moim_store::meetups::apply_in(&mut tx, meetup, g, now)
        .await
        .unwrap();
    notify::notify_in(&t.state, &mut tx, vec![notice(h, Some(g), "applied")])
        .await
        .unwrap();
    notify::commit(&t.state, tx).await.unwrap();
    assert_eq!(inbox(&t, h).await.len(), 1);
    assert_eq!(job_count(&t, "email:").await, 1);

    // Through the API: the host is told in the same transaction as the place is taken (no job
    // has run, nothing happened after the response).
    let third = t.user("t@example.com", "third").await;
    let r = third
        .post(
            &format!("/api/v1/meetups/{meetup}/participation"),
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let got = inbox(&t, h).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].kind, "meetup.applied");
    // A refused application (already in) changes nothing and tells no one.
    let r = third
        .post(
            &format!("/api/v1/meetups/{meetup}/participation"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(inbox(&t, h).await.len(), 2);
    // Cancelling notifies everyone holding a place and cancels the reminders, in one go.
    let r = host.delete(&format!("/api/v1/meetups/{meetup}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    let guest_inbox = inbox(&t, g).await;
    assert!(
        guest_inbox.iter().any(|n| n.kind == "meetup.cancelled"),
        "{guest_inbox:?}"
    );
    let queued = moim_store::jobs::list(&t.db, Some("queued"), None, 1000)
        .await
        .unwrap();
    assert!(
        !queued.iter().any(|j| j
            .unique_key
            .as_deref()
            .is_some_and(|k| k.starts_with(&format!("remind:meetup:{meetup}:")))),
        "a reminder of the cancelled meetup is still queued"
    );
}

/// The reminder handler, run by hand on a job as a runner would after claiming it.
async fn run_claimed(t: &TestApp, job: moim_store::jobs::Job) {
    let mut reg = Registry::new();
    notify::register(&mut reg, t.state.clone());
    let h = reg.get(&job.kind).expect("handler");
    h.run(JobCtx {
        db: t.db.clone(),
        job: job.clone(),
    })
    .await
    .expect("handler runs");
    // What the runner does next; a claim that was taken away records nothing.
    let _ = moim_store::jobs::complete(&t.db, &job).await;
}

fn reminder(object: &str, at: i64, to: Uuid, title: &str) -> Reminder {
    Reminder {
        object: object.into(),
        key: "before-30m",
        at,
        notices: vec![notice(to, None, title)],
    }
}

#[tokio::test]
async fn a_reminder_cancelled_or_moved_while_its_job_is_claimed_is_not_delivered() {
    let t = TestApp::new().await;
    let a = user_id(&t.user("a@example.com", "alice").await).await;
    let obj = format!("meetup:{}", Uuid::now_v7());
    notify::remind(&t.state, reminder(&obj, now_millis() - 1000, a, "due"))
        .await
        .unwrap();
    // A runner has claimed it (and is about to deliver) when the meetup is cancelled.
    let claimed = moim_store::jobs::claim(&t.db, "w1", 10, now_millis() + MINUTE)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    notify::cancel_reminders(&t.state, &obj).await.unwrap();
    run_claimed(&t, claimed[0].clone()).await;
    assert!(
        inbox(&t, a).await.is_empty(),
        "a cancelled reminder was delivered"
    );
    let job = moim_store::jobs::get(&t.db, claimed[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, "cancelled");

    // Moved while claimed: the old time is not delivered, the new one is, once.
    let obj = format!("meetup:{}", Uuid::now_v7());
    notify::remind(&t.state, reminder(&obj, now_millis() - 1000, a, "old time"))
        .await
        .unwrap();
    let claimed = moim_store::jobs::claim(&t.db, "w1", 10, now_millis() + MINUTE)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let new_at = now_millis() + 300;
    notify::remind(&t.state, reminder(&obj, new_at, a, "new time"))
        .await
        .unwrap();
    run_claimed(&t, claimed[0].clone()).await;
    assert!(inbox(&t, a).await.is_empty(), "the old time was delivered");
    let job = moim_store::jobs::get(&t.db, claimed[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.run_at), ("queued", new_at));
    assert!(
        job.attempts >= 1,
        "a later claim must not look like the old one"
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    runner(&t).drain().await.unwrap();
    let got = inbox(&t, a).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].params.contains("new time"), "{:?}", got[0].params);
    runner(&t).drain().await.unwrap();
    assert_eq!(inbox(&t, a).await.len(), 1, "delivered twice");

    // Cancelled after a batch run swept it up: the same holds for the jobs a batch claims.
    let obj1 = format!("meetup:{}", Uuid::now_v7());
    let obj2 = format!("meetup:{}", Uuid::now_v7());
    for o in [&obj1, &obj2] {
        notify::remind(&t.state, reminder(o, now_millis() - 1000, a, o))
            .await
            .unwrap();
    }
    let claimed = moim_store::jobs::claim_kind(&t.db, "w2", REMINDER_JOB, 1, now_millis() + MINUTE)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let first_obj = if claimed[0]
        .unique_key
        .as_deref()
        .is_some_and(|k| k.contains(&obj1))
    {
        &obj1
    } else {
        &obj2
    };
    let other_obj = if first_obj == &obj1 { &obj2 } else { &obj1 };
    // The other one is cancelled before the run sweeps it in: it is not delivered either.
    notify::cancel_reminders(&t.state, other_obj).await.unwrap();
    run_claimed(&t, claimed[0].clone()).await;
    let got = inbox(&t, a).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|n| !n.params.contains(other_obj.as_str())));
}

/// Runs every job due now, as a runner would, without firing schedules at the real time (the
/// tests below drive the schedules with a clock of their own).
async fn run_due(t: &TestApp) {
    let mut reg = Registry::new();
    notify::register(&mut reg, t.state.clone());
    loop {
        let jobs = moim_store::jobs::claim(&t.db, "clock", 100, now_millis() + MINUTE)
            .await
            .unwrap();
        if jobs.is_empty() {
            return;
        }
        for job in jobs {
            let h = reg.get(&job.kind).expect("handler");
            let ctx = JobCtx {
                db: t.db.clone(),
                job: job.clone(),
            };
            match h.run(ctx).await {
                Ok(()) => {
                    moim_store::jobs::complete(&t.db, &job).await.unwrap();
                }
                Err(e) => panic!("{} failed: {e}", job.kind),
            }
        }
    }
}

/// Fires the schedules due at `at` (a controllable clock) and runs what they queued.
async fn tick(t: &TestApp, at: i64) -> usize {
    let fired = moim_jobs::fire_due_schedules(&t.db, at).await.unwrap();
    run_due(t).await;
    fired
}

fn ms(civil: &str, zone: &str) -> i64 {
    civil
        .parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

#[tokio::test]
async fn a_daily_reminder_fires_at_20_00_in_the_groups_zone_across_dst_and_stops_when_cancelled() {
    let t = TestApp::new().await;
    let owner = t.user("o@example.com", "owner").await;
    let r = owner
        .post(
            "/api/v1/groups",
            json!({"name": "Berlin readers", "category": "study", "capacity": 10,
                   "join_policy": "open", "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let group: Uuid = r.json["id"].as_str().unwrap().parse().unwrap();
    let o = user_id(&owner).await;
    let code = crate::invite_code(&owner, &group.to_string()).await;
    let member = t.user("m@example.com", "member").await;
    let r = member
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let m = user_id(&member).await;
    let outsider = user_id(&t.user("x@example.com", "outsider").await).await;

    let object = format!("mission:{}", Uuid::now_v7());
    let daily = |audience: Audience| Recurring {
        object: object.clone(),
        key: "evening",
        cron: "0 20 * * *".into(),
        zone: None, // the group's
        audience,
        kind: "mission.reminder",
        params: vec![("title", "Certify today".into())],
        link: format!("/groups/{group}"),
        group: Some(group),
    };
    // Started on 2026-03-27 at noon in Berlin; DST starts there on Sunday 2026-03-29.
    let start = ms("2026-03-27T12:00", "Europe/Berlin");
    notify::remind_every_from(&t.state, daily(Audience::GroupMembers(group)), start)
        .await
        .unwrap();
    // Calling it again changes nothing (no day skipped or doubled).
    notify::remind_every_from(&t.state, daily(Audience::GroupMembers(group)), start + HOUR)
        .await
        .unwrap();

    let mut fired_at = Vec::new();
    for day in ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"] {
        let eight = ms(&format!("{day}T20:00"), "Europe/Berlin");
        // A minute before 20:00 local nothing fires, at 20:00 it does.
        assert_eq!(
            tick(&t, eight - MINUTE).await,
            0,
            "fired before 20:00 on {day}"
        );
        assert_eq!(tick(&t, eight).await, 1, "did not fire at 20:00 on {day}");
        fired_at.push(eight);
    }
    // 20:00 in Berlin is 19:00 UTC in winter time and 18:00 UTC in summer time.
    let utc_hours: Vec<i8> = fired_at
        .iter()
        .map(|at| {
            jiff::Timestamp::from_millisecond(*at)
                .unwrap()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .hour()
        })
        .collect();
    assert_eq!(utc_hours, [19, 19, 18, 18]);
    for u in [o, m] {
        let got = inbox(&t, u).await;
        assert_eq!(got.len(), 4, "one per evening for {u}: {got:?}");
        assert!(got.iter().all(|n| n.kind == "mission.reminder"));
    }
    assert!(inbox(&t, outsider).await.is_empty());

    // Cancelled by object: an occurrence already queued is not delivered, none fires later.
    let before = inbox(&t, m).await.len();
    let eight = ms("2026-03-31T20:00", "Europe/Berlin");
    assert_eq!(
        moim_jobs::fire_due_schedules(&t.db, eight).await.unwrap(),
        1
    );
    notify::cancel_reminders(&t.state, &object).await.unwrap();
    run_due(&t).await;
    assert_eq!(tick(&t, eight + 2 * 24 * HOUR).await, 0);
    assert_eq!(
        inbox(&t, m).await.len(),
        before,
        "a cancelled reminder fired"
    );

    // The same across the autumn change (2026-10-25), for a list of users this time.
    let autumn = format!("mission:{}", Uuid::now_v7());
    let mut r = daily(Audience::Users(vec![outsider]));
    r.object = autumn.clone();
    notify::remind_every_from(&t.state, r, ms("2026-10-24T21:00", "Europe/Berlin"))
        .await
        .unwrap();
    assert_eq!(tick(&t, ms("2026-10-25T19:59", "Europe/Berlin")).await, 0);
    assert_eq!(tick(&t, ms("2026-10-25T20:00", "Europe/Berlin")).await, 1);
    assert_eq!(
        ms("2026-10-25T20:00", "Europe/Berlin") - ms("2026-10-24T20:00", "Europe/Berlin"),
        25 * HOUR,
        "the day of the change is 25 hours long"
    );
    assert_eq!(inbox(&t, outsider).await.len(), 1);
}

/// The next 20:00 in `zone` after `at`.
fn next_eight(at: i64, zone: &str) -> i64 {
    moim_jobs::Cron::parse("0 20 * * *")
        .unwrap()
        .next_after(
            jiff::Timestamp::from_millisecond(at).unwrap(),
            &jiff::tz::TimeZone::get(zone).unwrap(),
        )
        .unwrap()
        .as_millisecond()
}

/// [`tick`] at a time in the future: the occurrences fired are made due now, so that the runner
/// (which claims by the real clock) delivers them.
async fn tick_future(t: &TestApp, at: i64) -> usize {
    let fired = moim_jobs::fire_due_schedules(&t.db, at).await.unwrap();
    for j in moim_store::jobs::list(&t.db, Some("queued"), None, 100)
        .await
        .unwrap()
    {
        if let Some(key) = j.unique_key.filter(|k| k.starts_with("schedule:")) {
            moim_store::jobs::reschedule(&t.db, &key, now_millis())
                .await
                .unwrap();
        }
    }
    run_due(t).await;
    fired
}

#[tokio::test]
async fn a_daily_reminder_in_the_groups_zone_follows_the_group_to_a_new_zone() {
    let t = TestApp::new().await;
    let owner = t.user("o@example.com", "owner").await;
    let edit = |zone: &str| {
        json!({"name": "Night owls", "category": "study", "capacity": 10,
               "join_policy": "open", "time_zone": zone})
    };
    let r = owner.post("/api/v1/groups", edit("Asia/Seoul")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let group: Uuid = r.json["id"].as_str().unwrap().parse().unwrap();
    let o = user_id(&owner).await;
    let daily = |object: &str, zone: Option<&str>| Recurring {
        object: object.into(),
        key: "evening",
        cron: "0 20 * * *".into(),
        zone: zone.map(Into::into),
        audience: Audience::GroupMembers(group),
        kind: "mission.reminder",
        params: vec![("title", "Certify today".into())],
        link: format!("/groups/{group}"),
        group: Some(group),
    };
    let follows = format!("mission:{}", Uuid::now_v7());
    let fixed = format!("mission:{}", Uuid::now_v7());
    let before = now_millis();
    notify::remind_every(&t.state, daily(&follows, None))
        .await
        .unwrap();
    // A reminder with a zone of its own keeps it.
    notify::remind_every(&t.state, daily(&fixed, Some("Asia/Seoul")))
        .await
        .unwrap();
    let pending = |object: String| {
        let db = t.db.clone();
        async move {
            moim_store::jobs::get_schedule(&db, &format!("remind:{object}:evening"))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let seoul = pending(follows.clone()).await.next_run_at;
    assert!(
        [
            next_eight(before, "Asia/Seoul"),
            next_eight(now_millis(), "Asia/Seoul")
        ]
        .contains(&seoul)
    );

    // The group moves to London: the pending occurrence moves to 20:00 there.
    let from = now_millis();
    let r = owner
        .patch(&format!("/api/v1/groups/{group}"), edit("Europe/London"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = pending(follows.clone()).await;
    assert_eq!(s.time_zone, "Europe/London");
    let london = s.next_run_at;
    assert!(
        [
            next_eight(from, "Europe/London"),
            next_eight(now_millis(), "Europe/London")
        ]
        .contains(&london),
        "still at {seoul} (Seoul), not 20:00 in London"
    );
    assert_eq!(pending(fixed.clone()).await.next_run_at, seoul);
    // Nothing of the following reminder fires at 20:00 in Seoul any more (the fixed one does),
    // and it fires at 20:00 in London.
    let first = seoul.min(london);
    assert_eq!(
        tick_future(&t, london - MINUTE).await,
        usize::from(seoul < london)
    );
    assert_eq!(
        tick_future(&t, london).await,
        usize::from(seoul >= london) + 1
    );
    assert_eq!(
        pending(follows.clone()).await.next_run_at,
        next_eight(london, "Europe/London")
    );
    assert!(first > before);
    let got = inbox(&t, o).await;
    assert_eq!(got.len(), 2, "one from each reminder: {got:?}");

    // Had the move been missed (a group updated behind the reminder's back), the scheduler
    // recomputes the occurrence in the group's zone instead of firing it in the old one.
    let g = moim_store::groups::get_group(&t.db, group)
        .await
        .unwrap()
        .unwrap();
    let old = pending(follows.clone()).await.next_run_at;
    let fields = moim_store::groups::GroupFields {
        name: g.name,
        category: g.category,
        description: g.description,
        pledge: g.pledge,
        image_url: g.image_url,
        visibility: g.visibility,
        join_policy: g.join_policy,
        capacity: g.capacity,
        rejoin_allowed: g.rejoin_allowed,
        starts_on: g.starts_on,
        ends_on: g.ends_on,
        time_zone: "America/New_York".into(),
    };
    moim_store::groups::update_group(&t.db, group, &fields)
        .await
        .unwrap();
    notify::cancel_reminders(&t.state, &fixed).await.unwrap();
    assert_eq!(tick_future(&t, old).await, 0, "fired at 20:00 London time");
    let s = pending(follows.clone()).await;
    assert_eq!(s.time_zone, "America/New_York");
    assert_eq!(s.next_run_at, next_eight(old, "America/New_York"));
    assert_eq!(tick_future(&t, s.next_run_at).await, 1);
    assert_eq!(inbox(&t, o).await.len(), 3);
}
