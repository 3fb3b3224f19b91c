//! Meetups over HTTP: hosting rules, applying with capacity enforced by the database (100
//! concurrent applications), waitlist promotion, approval, attendance, host ratings, the manner
//! score and the filtered list (with hostile input in every filter).

use moim_testkit::{Client, TestApp, json};
use serde_json::Value;

/// A date and time `hours` from now in Asia/Seoul, as the API takes them.
fn local_in(hours: i64) -> (String, String) {
    let z = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(hours * 3600))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Seoul").unwrap());
    (z.date().to_string(), z.strftime("%H:%M").to_string())
}

pub fn body(title: &str, hours: i64, capacity: i64) -> Value {
    let (date, time) = local_in(hours);
    json!({
        "title": title, "description": "한강 따라 5km", "date": date, "time": time,
        "address": "서울 마포구 망원한강공원", "route": [[37.5550, 126.8950], [37.5600, 126.9000], [37.5650, 126.9050]],
        "pace": "6'00\"", "level": "beginner", "theme": "river", "capacity": capacity,
        "parking": "공영주차장", "baggage": "편의점 앞", "chat_link": "https://open.kakao.com/o/abc"
    })
}

pub async fn host(c: &Client, b: Value) -> String {
    let r = c.post("/api/v1/meetups", b).await;
    assert_eq!(r.status, 201, "host: {}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

/// Moves a meetup's start (tests cannot wait for the clock).
pub async fn set_start(app: &TestApp, id: &str, starts_at: i64) {
    let id: uuid::Uuid = id.parse().unwrap();
    match &app.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query("UPDATE meetups SET starts_at = $1 WHERE id = $2")
                .bind(starts_at)
                .bind(id)
                .execute(p)
                .await
                .unwrap();
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query("UPDATE meetups SET starts_at = $1 WHERE id = $2")
                .bind(starts_at)
                .bind(id)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn hosting_rules_and_field_errors() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    // Too soon: under 6 hours.
    let r = h.post("/api/v1/meetups", body("곧 시작", 5, 10)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["field"], "date");
    assert_eq!(r.json["errors"][0]["code"], "too_soon");
    // Every bad field at once.
    let mut b = body("ab", 24, 21);
    b["theme"] = json!("moon");
    b["pace"] = json!("fast");
    b["parking"] = json!("p".repeat(41));
    b["images"] = json!(["a", "b", "c", "d"]);
    let r = h.post("/api/v1/meetups", b).await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["title", "capacity", "theme", "pace", "parking", "images"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    // Images must be our own uploads.
    let mut b = body("한강 저녁 러닝", 24, 10);
    b["images"] = json!([format!("/media/{}/w758", "a".repeat(64))]);
    let r = h.post("/api/v1/meetups", b.clone()).await;
    assert_eq!(r.json["errors"][0]["code"], "unknown_image", "{}", r.text);
    let up = super::media::upload_photo(&h).await;
    b["images"] = json!([up["url_medium"]]);
    let r = h.post("/api/v1/meetups", b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let small = r.json["images"][0]["small"].as_str().unwrap().to_owned();
    assert_eq!(h.get(&small).await.status, 200);
    let r = h
        .post("/api/v1/meetups", body("한강 저녁 러닝", 24, 10))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["participant_count"], 1);
    assert_eq!(r.json["region"], 1);
    assert_eq!(r.json["status"], "open");
    let d = r.json["distance_m"].as_i64().unwrap();
    assert!((1_300..1_500).contains(&d), "route length {d}");
    assert_eq!(r.json["route"].as_array().unwrap().len(), 3);
    let id = r.json["id"].as_str().unwrap();
    // Only the host edits; the host cannot leave.
    let (other, _) = app.quick_user("other").await;
    let r = other
        .patch(&format!("/api/v1/meetups/{id}"), body("남의 모임", 24, 10))
        .await;
    assert_eq!(r.code(), "host_only");
    let r = h
        .patch(
            &format!("/api/v1/meetups/{id}"),
            body("한강 밤 러닝", 30, 12),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["title"], "한강 밤 러닝");
    assert_eq!(r.json["capacity"], 12);
    let r = h
        .delete(&format!("/api/v1/meetups/{id}/participation"))
        .await;
    assert_eq!(r.code(), "host_cannot_leave");
    // After the start: no edits, no applying or cancelling.
    set_start(&app, id, moim_core::time::now_millis() - 1000).await;
    let r = h
        .patch(&format!("/api/v1/meetups/{id}"), body("늦은 수정", 30, 12))
        .await;
    assert_eq!(r.code(), "meetup_started");
    let r = other
        .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
        .await;
    assert_eq!(r.code(), "meetup_closed");
}

#[tokio::test]
async fn a_hundred_concurrent_applications_fill_exactly_nine_places() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let id = host(&h, body("동시 신청 테스트", 24, 10)).await;
    let mut users = Vec::new();
    for i in 0..100 {
        users.push(app.quick_user(&format!("runner{i}")).await.0);
    }
    let tasks: Vec<_> = users
        .iter()
        .cloned()
        .map(|c| {
            let path = format!("/api/v1/meetups/{id}/participation");
            tokio::spawn(async move { c.post(&path, json!({})).await })
        })
        .collect();
    let mut joined = 0;
    let mut full = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match (r.status.as_u16(), r.code()) {
            (200, _) if r.json["outcome"] == "joined" => joined += 1,
            (409, "meetup_full") => full += 1,
            other => panic!("unexpected {other:?}: {}", r.text),
        }
    }
    assert_eq!((joined, full), (9, 91), "on {}", app.backend());
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["participant_count"], 10);
    let ps = h.get(&format!("/api/v1/meetups/{id}/participants")).await;
    assert_eq!(
        ps.json
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "joined")
            .count(),
        10
    );
}

#[tokio::test]
async fn with_a_waitlist_the_rest_wait_and_each_cancellation_promotes_one() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let mut b = body("대기열 테스트", 24, 10);
    b["waitlist"] = json!(true);
    let id = host(&h, b).await;
    let mut users = Vec::new();
    for i in 0..100 {
        users.push(app.quick_user(&format!("w{i}")).await);
    }
    let tasks: Vec<_> = users
        .iter()
        .map(|(c, u)| {
            let c = c.clone();
            let u = *u;
            let path = format!("/api/v1/meetups/{id}/participation");
            tokio::spawn(async move { (u, c.post(&path, json!({})).await) })
        })
        .collect();
    let mut joined = Vec::new();
    let mut waiting = 0;
    for t in tasks {
        let (u, r) = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        match r.json["outcome"].as_str().unwrap() {
            "joined" => joined.push(u),
            "waitlisted" => waiting += 1,
            o => panic!("unexpected {o}"),
        }
    }
    assert_eq!((joined.len(), waiting), (9, 91), "on {}", app.backend());
    // The first in line, as the server ordered them.
    let ps = h.get(&format!("/api/v1/meetups/{id}/participants")).await;
    let line: Vec<String> = ps
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "waitlisted")
        .map(|p| p["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(line.len(), 91);
    // Two joined people cancel at the same moment: exactly two promotions, in order.
    let leavers: Vec<_> = users
        .iter()
        .filter(|(_, u)| joined[..2].contains(u))
        .map(|(c, _)| c.clone())
        .collect();
    let tasks: Vec<_> = leavers
        .into_iter()
        .map(|c| {
            let path = format!("/api/v1/meetups/{id}/participation");
            tokio::spawn(async move { c.delete(&path).await })
        })
        .collect();
    let mut promoted = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        promoted.push(r.json["promoted"].as_str().unwrap().to_owned());
    }
    promoted.sort();
    let mut expect = line[..2].to_vec();
    expect.sort();
    assert_eq!(promoted, expect);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["participant_count"], 10);
    let ps = h.get(&format!("/api/v1/meetups/{id}/participants")).await;
    let rows = ps.json.as_array().unwrap();
    assert_eq!(rows.iter().filter(|p| p["status"] == "joined").count(), 10);
    assert_eq!(
        rows.iter().filter(|p| p["status"] == "waitlisted").count(),
        89
    );
    // The promoted people are told so; the host heard about the applications.
    for id in &expect {
        let (c, _) = users.iter().find(|(_, u)| u.to_string() == *id).unwrap();
        let n = c.get("/api/v1/notifications").await;
        assert!(n.text.contains("meetup.promoted"), "{}", n.text);
    }
    let n = h.get("/api/v1/notifications?limit=100").await;
    assert!(n.text.contains("meetup.applied"), "{}", n.text);
    // A waitlisted person leaving promotes nobody.
    let (third, _) = users
        .iter()
        .find(|(_, u)| u.to_string() == line[2])
        .unwrap();
    let r = third
        .delete(&format!("/api/v1/meetups/{id}/participation"))
        .await;
    assert!(r.json["promoted"].is_null(), "{}", r.text);
    assert_eq!(
        h.get(&format!("/api/v1/meetups/{id}")).await.json["participant_count"],
        10
    );
}

#[tokio::test]
async fn approval_mode_attendance_rating_and_manner_score() {
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, b_id) = app.quick_user("bob").await;
    let (c, c_id) = app.quick_user("carol").await;
    let (d, d_id) = app.quick_user("dave").await;
    let mut mb = body("승인제 모임", 2, 4);
    mb["approval"] = json!(true);
    let id = host(&h, mb).await;
    for u in [&a, &b, &c, &d] {
        let r = u
            .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "pending", "{}", r.text);
    }
    assert_eq!(
        h.get(&format!("/api/v1/meetups/{id}")).await.json["participant_count"],
        1
    );
    assert_eq!(
        a.post(
            &format!("/api/v1/meetups/{id}/participants/{b_id}/approve"),
            json!({})
        )
        .await
        .code(),
        "host_only"
    );
    for u in [a_id, b_id, c_id] {
        let r = h
            .post(
                &format!("/api/v1/meetups/{id}/participants/{u}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    // Capacity 4 with the host: dave cannot be approved.
    assert_eq!(
        h.post(
            &format!("/api/v1/meetups/{id}/participants/{d_id}/approve"),
            json!({})
        )
        .await
        .code(),
        "meetup_full"
    );

    // Attendance opens 30 minutes before the start.
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [a_id]}),
        )
        .await;
    assert_eq!(r.code(), "attendance_not_open");
    let now = moim_core::time::now_millis();
    set_start(&app, &id, now + 20 * 60 * 1000).await;
    assert_eq!(
        a.put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [a_id]})
        )
        .await
        .code(),
        "host_only"
    );
    // A list longer than any meetup can hold is refused without taking the sheet.
    let many: Vec<uuid::Uuid> = (0..21).map(|_| uuid::Uuid::now_v7()).collect();
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": many}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["field"], "present", "{}", r.text);
    // Dave (pending) and the host are not on the sheet, whatever the host sends.
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [a_id, b_id, host_id, d_id]}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [c_id]}),
        )
        .await;
    assert_eq!(r.code(), "attendance_submitted");
    let ps = h.get(&format!("/api/v1/meetups/{id}/participants")).await;
    let by = |u: uuid::Uuid| {
        ps.json
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["user_id"] == u.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(by(a_id)["attended"], true);
    assert_eq!(by(b_id)["attended"], true);
    assert_eq!(by(c_id)["attended"], false);
    assert!(by(host_id)["attended"].is_null());
    assert!(by(d_id)["attended"].is_null());
    // Nobody rates before the start.
    assert_eq!(
        a.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 1})
        )
        .await
        .code(),
        "rating_not_open"
    );

    let before = h.get(&format!("/api/v1/users/{host_id}/manner")).await;
    assert_eq!(before.json["score"], 50);
    set_start(&app, &id, now - 60 * 60 * 1000).await;
    assert_eq!(
        h.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 1})
        )
        .await
        .code(),
        "host_cannot_rate"
    );
    assert_eq!(
        c.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 1})
        )
        .await
        .code(),
        "not_an_attendee"
    );
    assert_eq!(
        d.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 1})
        )
        .await
        .code(),
        "not_an_attendee"
    );
    let r = a
        .post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 11}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["field"], "reason");
    let r = a
        .post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 2}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        a.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 7})
        )
        .await
        .code(),
        "already_rated"
    );
    let after = h.get(&format!("/api/v1/users/{host_id}/manner")).await;
    assert_eq!(after.json["score"], 51);
    assert_eq!(after.json["reasons"][1], 1);
    assert_eq!(after.json["good"], 1);
    // Attending counts for the attendee; a no-show gets nothing.
    assert_eq!(
        a.get(&format!("/api/v1/users/{a_id}/manner")).await.json["score"],
        51
    );
    assert_eq!(
        a.get(&format!("/api/v1/users/{c_id}/manner")).await.json["score"],
        50
    );
    // The rating window closes 7 days after the start.
    set_start(&app, &id, now - 8 * 24 * 3600 * 1000).await;
    assert_eq!(
        b.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 6})
        )
        .await
        .code(),
        "rating_closed"
    );
    assert_eq!(
        h.get(&format!("/api/v1/users/{host_id}/manner")).await.json["score"],
        51
    );
    // The user's pages: hosted, joined, attended.
    let hosted = a
        .get(&format!("/api/v1/users/{host_id}/meetups?kind=hosted"))
        .await;
    assert_eq!(hosted.json.as_array().unwrap().len(), 1, "{}", hosted.text);
    assert_eq!(
        a.get(&format!("/api/v1/users/{a_id}/meetups?kind=attended"))
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        a.get(&format!("/api/v1/users/{c_id}/meetups?kind=joined"))
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        a.get(&format!("/api/v1/users/{c_id}/meetups?kind=attended"))
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        a.get(&format!("/api/v1/users/{d_id}/meetups?kind=joined"))
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn members_only_meetups_stay_inside_their_group() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let outsider = app.user("x@x.io", "outsider").await;
    let g = super::make_group(&owner, "러닝 크루", 10, "invite").await;
    let mut b = body("크루 전용 러닝", 24, 5);
    b["group_id"] = json!(g);
    b["is_public"] = json!(false);
    let id = host(&owner, b.clone()).await;
    assert_eq!(
        outsider.get(&format!("/api/v1/meetups/{id}")).await.status,
        404
    );
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/meetups/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        outsider
            .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
            .await
            .status,
        404
    );
    let list = outsider.get("/api/v1/meetups?include_closed=true").await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        0,
        "{}",
        list.text
    );
    let list = owner.get(&format!("/api/v1/meetups?group={g}")).await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        1,
        "{}",
        list.text
    );
    // The focused search (one theme at every time of day near a point, which picks its page
    // from the (theme, start hour) index before fetching rows) hides it the same way, in every
    // sort order, and a member still finds it there.
    let focused = "theme=river&time=1,2,3,4,5,6&near_lat=37.556&near_lng=126.896&within_km=20";
    for sort in ["soonest", "newest", "nearest"] {
        let url = format!("/api/v1/meetups?{focused}&sort={sort}");
        for (who, want) in [(&outsider, 0), (&owner, 1)] {
            let list = who.get(&url).await;
            assert_eq!(
                list.json["items"].as_array().unwrap().len(),
                want,
                "{url}: {}",
                list.text
            );
        }
    }
    // Outsiders cannot host inside the group.
    assert_eq!(outsider.post("/api/v1/meetups", b).await.status, 404);
}

#[tokio::test]
async fn filters_combine_sort_and_page() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    // 06:00 and 19:00 local, river/park, Seoul/Busan, short and long routes.
    let mk = |title: &str, hours: i64, theme: &str, addr: &str, route: Value, level: &str| {
        let mut b = body(title, hours, 10);
        b["theme"] = json!(theme);
        b["address"] = json!(addr);
        b["route"] = route;
        b["level"] = json!(level);
        b
    };
    let short = json!([[37.5550, 126.8950], [37.5650, 126.9050]]); // ~1.4 km
    let long = json!([[37.50, 127.00], [37.62, 127.00]]); // ~13.3 km
    let busan = json!([[35.1587, 129.1604], [35.1600, 129.1700]]);
    let a = host(
        &h,
        mk(
            "서울 강변 짧게",
            30,
            "river",
            "서울 마포구",
            short.clone(),
            "beginner",
        ),
    )
    .await;
    let b = host(
        &h,
        mk(
            "서울 공원 길게",
            54,
            "park",
            "서울 강남구",
            long,
            "advanced",
        ),
    )
    .await;
    let c = host(
        &h,
        mk("부산 해변 러닝", 78, "beach", "부산 해운대구", busan, "any"),
    )
    .await;
    let ids = |r: &moim_testkit::Reply| -> Vec<String> {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = h.get("/api/v1/meetups").await;
    assert_eq!(
        ids(&all),
        vec![a.clone(), b.clone(), c.clone()],
        "soonest first: {}",
        all.text
    );
    assert_eq!(
        ids(&h.get("/api/v1/meetups?sort=newest").await),
        vec![c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        ids(&h.get("/api/v1/meetups?region=1").await),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(ids(&h.get("/api/v1/meetups?region=7,1").await).len(), 3);
    assert_eq!(
        ids(&h.get("/api/v1/meetups?theme=park,beach").await),
        vec![b.clone(), c.clone()]
    );
    assert_eq!(
        ids(&h.get("/api/v1/meetups?distance=3").await),
        vec![b.clone()]
    );
    assert_eq!(
        ids(&h
            .get("/api/v1/meetups?distance=1&region=1&theme=river&level=beginner")
            .await),
        vec![a.clone()]
    );
    // Near a point within N km, nearest first.
    let near = h
        .get("/api/v1/meetups?near_lat=35.16&near_lng=129.16&within_km=10")
        .await;
    assert_eq!(ids(&near), vec![c.clone()]);
    let near = h
        .get("/api/v1/meetups?near_lat=37.556&near_lng=126.896&within_km=50&sort=nearest")
        .await;
    assert_eq!(ids(&near), vec![a.clone(), b.clone()], "{}", near.text);
    // 4 filters + near-point together.
    let r = h.get("/api/v1/meetups?region=1&theme=river,park&distance=1,2&level=beginner,any&near_lat=37.556&near_lng=126.896&within_km=5").await;
    assert_eq!(ids(&r), vec![a.clone()]);
    // Time-of-day slots follow the local start hour.
    let slot = all.json["items"][0]["time_slot"].as_i64().unwrap();
    assert!(ids(&h.get(&format!("/api/v1/meetups?time={slot}")).await).contains(&a));
    let other_slot = if slot == 1 { 2 } else { 1 };
    assert!(!ids(&h.get(&format!("/api/v1/meetups?time={other_slot}")).await).contains(&a));
    // A narrow search (few themes and times of day near a point) takes the (theme, start
    // hour) index instead of the start-ordered walk: the same answers.
    let near = "near_lat=37.556&near_lng=126.896&within_km=50";
    assert_eq!(
        ids(&h
            .get(&format!(
                "/api/v1/meetups?theme=river,park&time=1,2,3,4,5,6&{near}"
            ))
            .await),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        ids(&h
            .get(&format!("/api/v1/meetups?theme=river&time={slot}&{near}"))
            .await),
        vec![a.clone()]
    );
    assert!(
        ids(&h
            .get(&format!(
                "/api/v1/meetups?theme=river&time={other_slot}&{near}"
            ))
            .await)
        .is_empty()
    );
    assert!(
        ids(&h
            .get(&format!(
                "/api/v1/meetups?theme=beach&time=1,2,3,4,5,6&{near}"
            ))
            .await)
        .is_empty()
    );
    // Date range.
    let (d_from, _) = local_in(54);
    let r = h
        .get(&format!("/api/v1/meetups?from={d_from}&to={d_from}"))
        .await;
    assert_eq!(ids(&r), vec![b.clone()]);
    // Pages of one: the cursor walks the whole list once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = h
            .get(&format!("/api/v1/meetups?limit=1&cursor={cursor}"))
            .await;
        seen.extend(ids(&r));
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, vec![a.clone(), b.clone(), c.clone()]);
    // Closed ones (under 4 h) appear only with include_closed.
    set_start(&app, &a, moim_core::time::now_millis() + 3600 * 1000).await;
    assert!(!ids(&h.get("/api/v1/meetups").await).contains(&a));
    assert!(ids(&h.get("/api/v1/meetups?include_closed=true").await).contains(&a));
    // For me: my region and distance band.
    let r = h
        .put(
            "/api/v1/me/meetup-preferences",
            json!({"region": 7, "distance_band": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ids(&h.get("/api/v1/meetups?for_me=true").await),
        vec![c.clone()]
    );
    assert_eq!(
        app.client().get("/api/v1/meetups?for_me=true").await.status,
        401
    );
}

#[tokio::test]
async fn nearest_pages_by_distance_and_id_without_skips_or_repeats() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    // Seven meetups on one spot (equal distances) and four elsewhere, hosted in mixed order.
    let same = (37.5700, 126.9000);
    let spots = [
        same,
        (37.5650, 126.9050),
        same,
        same,
        (37.5800, 126.9000),
        same,
        (37.5600, 126.9000),
        same,
        same,
        (37.6000, 126.9500),
        same,
    ];
    for (i, (lat, lng)) in spots.iter().enumerate() {
        let mut b = body(&format!("근처 모임 {i:02}"), 24 + 3 * i as i64, 10);
        b["lat"] = json!(lat);
        b["lng"] = json!(lng);
        host(&h, b).await;
    }
    let items = |r: &moim_testkit::Reply| -> Vec<Value> {
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["items"].as_array().unwrap().clone()
    };
    let id = |m: &Value| m["id"].as_str().unwrap().to_owned();
    // Every sort order, through the walk and through the focused search (one theme at every
    // time of day near a point takes the (theme, start hour) index).
    let near = "near_lat=37.5610&near_lng=126.9010&within_km=20";
    for filters in [
        near.to_owned(),
        format!("{near}&theme=river&time=1,2,3,4,5,6"),
    ] {
        for sort in ["nearest", "soonest", "newest"] {
            let base = format!("/api/v1/meetups?{filters}&sort={sort}");
            let whole = items(&h.get(&format!("{base}&limit=100")).await);
            assert_eq!(whole.len(), spots.len(), "{base}");
            if sort == "nearest" {
                // Nearest first, ties in id order.
                let d = |m: &Value| {
                    let (lat, lng) = (m["lat"].as_f64().unwrap(), m["lng"].as_f64().unwrap());
                    (lat - 37.561).powi(2)
                        + ((lng - 126.901) * 37.561f64.to_radians().cos()).powi(2)
                };
                for w in whole.windows(2) {
                    assert!(
                        d(&w[0]) < d(&w[1]) || (d(&w[0]) == d(&w[1]) && id(&w[0]) < id(&w[1])),
                        "{base}: {} before {}",
                        w[0],
                        w[1]
                    );
                }
            }
            let whole: Vec<String> = whole.iter().map(id).collect();
            for limit in [1, 2, 3, 4] {
                let mut seen = Vec::new();
                let mut cursor = String::new();
                loop {
                    let r = h
                        .get(&format!("{base}&limit={limit}&cursor={cursor}"))
                        .await;
                    seen.extend(items(&r).iter().map(id));
                    match r.json["next_cursor"].as_str() {
                        Some(c) => cursor = c.to_owned(),
                        None => break,
                    }
                }
                assert_eq!(seen, whole, "{base}&limit={limit}");
            }
        }
    }
    // A meetup hosted on the point itself while someone scrolls sorts first: the next page
    // carries on after the last row shown (paging by position would show that row again).
    let base = format!("/api/v1/meetups?{near}&sort=nearest");
    let first = h.get(&format!("{base}&limit=3")).await;
    let first_ids: Vec<String> = items(&first).iter().map(id).collect();
    let cursor = first.json["next_cursor"].as_str().unwrap().to_owned();
    let mut b = body("한가운데 모임", 30, 10);
    b["lat"] = json!(37.5610);
    b["lng"] = json!(126.9010);
    let newest = host(&h, b).await;
    let rest = h.get(&format!("{base}&cursor={cursor}&limit=100")).await;
    let rest: Vec<String> = items(&rest).iter().map(id).collect();
    assert_eq!(rest.len(), spots.len() - 3, "{rest:?}");
    assert!(!rest.iter().any(|r| first_ids.contains(r) || *r == newest));
}

#[tokio::test]
async fn hostile_input_in_every_filter_is_refused_or_harmless() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let id = host(&h, body("평범한 모임", 24, 10)).await;
    let evil = [
        "'",
        "\"",
        "' OR '1'='1",
        "1; DROP TABLE meetups; --",
        "/* x */",
        "1) OR (1=1",
        "river' --",
        "%27%20OR%201=1",
    ];
    let params = [
        "from",
        "to",
        "time",
        "distance",
        "theme",
        "region",
        "level",
        "near_lat",
        "near_lng",
        "within_km",
        "include_closed",
        "sort",
        "for_me",
        "group",
        "cursor",
        "limit",
    ];
    for p in params {
        for e in evil {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair(p, e)
                .finish();
            let r = h.get(&format!("/api/v1/meetups?{q}")).await;
            super::assert_clean(&r);
            assert!(
                r.status.is_client_error(),
                "{p}={e:?} gave {}: {}",
                r.status,
                r.text
            );
        }
    }
    // Still there, table intact.
    let r = h.get("/api/v1/meetups").await;
    assert_eq!(r.json["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn pages_share_card_and_ical() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let mut b = body("공유; 테스트, 모임", 24, 10);
    b["description"] = json!("첫 줄\n둘째 줄 <b>굵게</b>");
    let id = host(&h, b).await;
    // Signed out, Korean by default: the detail page carries the Open Graph card, escaped.
    let page = app.client().get(&format!("/meetups/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text
            .contains("<meta property=\"og:title\" content=\"공유; 테스트, 모임\">"),
        "{}",
        page.text
    );
    assert!(page.text.contains("og:url"));
    assert!(!page.text.contains("<b>굵게</b>"), "user text is escaped");
    assert!(page.text.contains("참가자"));
    // English on request.
    let c = app.client();
    c.set_cookie("moim_lang", "en");
    let en = c.get(&format!("/meetups/{id}")).await;
    assert!(en.text.contains("Participants"), "{}", en.text);
    // iCal: escaped text, UTC start, one event.
    let ics = app
        .client()
        .get(&format!("/meetups/{id}/calendar.ics"))
        .await;
    assert_eq!(ics.status, 200);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(
        ics.text.contains("SUMMARY:공유\\; 테스트\\, 모임\r\n"),
        "{}",
        ics.text
    );
    assert!(
        ics.text.contains("DESCRIPTION:첫 줄\\n둘째 줄"),
        "{}",
        ics.text
    );
    assert!(
        ics.text
            .lines()
            .any(|l| l.starts_with("DTSTART:") && l.ends_with('Z'))
    );
    assert_eq!(ics.text.matches("BEGIN:VEVENT").count(), 1);
    // The list page and its htmx next-page fragment.
    for i in 0..3 {
        host(&h, body(&format!("목록 모임 {i}"), 30 + i, 10)).await;
    }
    let list = app.client().get("/meetups").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.text.matches("data-testid=\"meetup-card\"").count(), 4);
    let api = app.client().get("/api/v1/meetups?limit=2").await;
    let cursor = api.json["next_cursor"].as_str().unwrap().to_owned();
    let req = axum::http::Request::builder()
        .uri(format!("/meetups?cursor={cursor}"))
        .header("hx-request", "true")
        .body(axum::body::Body::empty())
        .unwrap();
    let frag = app.client().send(req).await;
    assert!(!frag.text.contains("<html"), "a fragment, not a page");
    assert_eq!(
        frag.text.matches("data-testid=\"meetup-card\"").count(),
        2,
        "{}",
        frag.text
    );
    // Bad filters on the page: a readable message, not an error page.
    let bad = app.client().get("/meetups?time=9").await;
    assert_eq!(bad.status, 200);
    assert!(bad.text.contains("role=\"alert\""));
    // The host form re-renders with field messages next to the fields.
    assert_eq!(h.get("/meetups/new").await.status, 200);
    let r = h
        .form(
            "/meetups",
            &[
                ("title", "ab"),
                ("date", "2020-01-01"),
                ("time", "07:00"),
                ("address", "서울"),
                ("route", "37.5,127.0"),
                ("theme", "river"),
                ("capacity", "99"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("id=\"title-error\""), "{}", r.text);
    assert!(r.text.contains("aria-invalid=\"true\""));
}

/// The reminder job of one person, by its key.
async fn reminder_job(
    app: &TestApp,
    id: &str,
    key: &str,
    user: uuid::Uuid,
) -> Option<moim_store::jobs::Job> {
    moim_store::jobs::get_by_key(&app.db, &format!("remind:meetup:{id}:{key}:{user}"))
        .await
        .unwrap()
}

/// Makes one person's queued reminder due now (tests cannot wait for the clock).
async fn make_due(app: &TestApp, id: &str, key: &str, user: uuid::Uuid) {
    let key = format!("remind:meetup:{id}:{key}:{user}");
    assert!(
        moim_store::jobs::reschedule(&app.db, &key, moim_core::time::now_millis() - 1000)
            .await
            .unwrap(),
        "{key} is not queued"
    );
}

fn kinds(rows: &[moim_store::notifications::Notification]) -> Vec<String> {
    rows.iter().map(|n| n.kind.clone()).collect()
}

#[tokio::test]
async fn edit_and_cancel_pages_notify_participants_and_move_or_cancel_reminders() {
    use super::notify::{inbox, runner};
    let app = super::app().await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, b_id) = app.quick_user("bob").await;
    let id = host(&h, body("강변 러닝", 48, 5)).await;
    let starts = |r: &moim_testkit::Reply| -> i64 {
        r.json["starts_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    };
    let start = starts(&h.get(&format!("/api/v1/meetups/{id}")).await);
    // The host's reminders exist from hosting; applying adds the person to them.
    for who in [&a, &b] {
        let r = who
            .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    }
    let after = reminder_job(&app, &id, "after", host_id)
        .await
        .expect("after");
    assert_eq!(
        after.run_at,
        start + 3 * 3600 * 1000,
        "1 h after the 2 h meetup"
    );
    for u in [a_id, b_id] {
        assert!(
            reminder_job(&app, &id, "after", u).await.is_none(),
            "nobody is asked to rate before the host marks them present"
        );
    }
    for u in [host_id, a_id, b_id] {
        let before = reminder_job(&app, &id, "before-30m", u)
            .await
            .expect("30 min");
        assert_eq!(before.status, "queued");
        assert_eq!(before.run_at, start - 30 * 60 * 1000);
        let dday = reminder_job(&app, &id, "d-day", u).await.expect("d-day");
        let local = jiff::Timestamp::from_millisecond(dday.run_at)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get("Asia/Seoul").unwrap());
        assert!(
            (local.hour() == 8 || local.hour() == 20) && local.minute() == 0,
            "D-day reminder at {local}"
        );
        assert!(dday.run_at < start);
    }
    // Leaving takes the person off the reminders.
    let r = b
        .delete(&format!("/api/v1/meetups/{id}/participation"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for key in ["d-day", "before-30m"] {
        assert_eq!(
            reminder_job(&app, &id, key, b_id).await.unwrap().status,
            "cancelled"
        );
    }

    // The edit page: the host only, prefilled; place and route stay fixed.
    assert_eq!(a.get(&format!("/meetups/{id}/edit")).await.status, 403);
    let page = h.get(&format!("/meetups/{id}/edit")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("value=\"강변 러닝\""), "{}", page.text);
    assert!(!page.text.contains("name=\"address\""));
    // A bad value re-renders the form with the message next to the field.
    let (date, time) = local_in(72);
    let bad = h
        .form(
            &format!("/meetups/{id}/edit"),
            &[
                ("title", "ab"),
                ("date", &date),
                ("time", &time),
                ("theme", "river"),
                ("capacity", "5"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("id=\"title-error\""));
    let r = h
        .form(
            &format!("/meetups/{id}/edit"),
            &[
                ("title", "강변 러닝 (변경)"),
                ("date", &date),
                ("time", &time),
                ("theme", "river"),
                ("level", "beginner"),
                ("pace", "6'00\""),
                ("capacity", "6"),
                ("description", "하루 미뤘어요"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["title"], "강변 러닝 (변경)");
    assert_eq!(m.json["capacity"], 6);
    assert_eq!(m.json["address"], "서울 마포구 망원한강공원", "place kept");
    assert_eq!(m.json["route"].as_array().unwrap().len(), 3, "route kept");
    let moved = starts(&m);
    assert!(moved > start + 23 * 3600 * 1000);
    assert_eq!(kinds(&inbox(&app, a_id).await), vec!["meetup.updated"]);
    assert!(
        !kinds(&inbox(&app, b_id).await).contains(&"meetup.updated".to_owned()),
        "bob left before the edit"
    );
    // Everyone's reminders moved with the start.
    for u in [host_id, a_id] {
        assert_eq!(
            reminder_job(&app, &id, "before-30m", u)
                .await
                .unwrap()
                .run_at,
            moved - 30 * 60 * 1000
        );
    }

    // Thirty minutes before: the host's message links to attendance, the others' does not.
    make_due(&app, &id, "before-30m", host_id).await;
    make_due(&app, &id, "before-30m", a_id).await;
    assert_eq!(runner(&app).drain().await.unwrap(), 2);
    let host_rows = inbox(&app, host_id).await;
    let starting = host_rows
        .iter()
        .find(|n| n.kind == "meetup.starting_host")
        .expect("host reminder");
    assert_eq!(starting.link, format!("/meetups/{id}/attendance"));
    let a_rows = inbox(&app, a_id).await;
    let mine = a_rows
        .iter()
        .find(|n| n.kind == "meetup.starting")
        .expect("participant reminder");
    assert_eq!(mine.link, format!("/meetups/{id}"));
    let (title, body_ko) = moim_web::flows::notify::render(
        &moim_web::i18n::Tr::new(moim_core::accounts::Locale::Ko),
        mine,
    );
    assert!(title.contains("강변 러닝 (변경)"), "{title}");
    assert!(body_ko.contains("alice님"), "{body_ko}");
    // After the end: the host's message thanks them (the participants' comes with the
    // attendance sheet, see the_reminder_links_open_...).
    make_due(&app, &id, "after", host_id).await;
    assert_eq!(runner(&app).drain().await.unwrap(), 1);
    let host_rows = inbox(&app, host_id).await;
    let fin = host_rows
        .iter()
        .find(|n| n.kind == "meetup.finished_host")
        .expect("after reminder");
    assert_eq!(fin.link, format!("/meetups/{id}"));

    // Cancelling from the page: participants are told, the rest of the reminders go.
    assert_eq!(
        a.form(&format!("/meetups/{id}/cancel"), &[]).await.status,
        403
    );
    let r = h.form(&format!("/meetups/{id}/cancel"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(kinds(&inbox(&app, a_id).await).contains(&"meetup.cancelled".to_owned()));
    for u in [host_id, a_id] {
        assert_eq!(
            reminder_job(&app, &id, "d-day", u).await.unwrap().status,
            "cancelled"
        );
    }
    assert_eq!(runner(&app).drain().await.unwrap(), 0, "nothing fires");
    let detail = h.get(&format!("/meetups/{id}")).await;
    assert!(!detail.text.contains("data-testid=\"edit\""));
    let again = h.get(&format!("/meetups/{id}/edit")).await;
    assert_eq!(again.status, 409);
    assert!(again.text.contains("취소된 모임"), "{}", again.text);
}

#[tokio::test]
async fn a_host_cannot_host_twice_within_ten_seconds_even_concurrently() {
    let app = TestApp::with_config(|c| {
        c.meetup_host_cooldown = std::time::Duration::from_secs(10);
    })
    .await;
    let (h, host_id) = app.quick_user("host").await;
    let (other, _) = app.quick_user("other").await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let c = h.clone();
            tokio::spawn(async move {
                c.post("/api/v1/meetups", body(&format!("동시 모임 {i}"), 24, 10))
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 429, "{}", r.text);
        assert_eq!(r.code(), "hosting_too_fast");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let mine = h
        .get(&format!("/api/v1/users/{host_id}/meetups?kind=hosted"))
        .await;
    assert_eq!(mine.json.as_array().unwrap().len(), 1);
    // Someone else is not held up.
    assert_eq!(
        other
            .post("/api/v1/meetups", body("다른 사람 모임", 24, 10))
            .await
            .status,
        201
    );
    // The page form keeps what was typed and says why.
    let (date, time) = local_in(24);
    let r = h
        .form(
            "/meetups",
            &[
                ("title", "폼으로 또 열기"),
                ("date", &date),
                ("time", &time),
                ("address", "서울 마포구"),
                ("route", "37.5,127.0"),
                ("theme", "river"),
                ("capacity", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.text.contains("value=\"폼으로 또 열기\""));
    assert!(r.text.contains("10초"), "{}", r.text);
    // Ten seconds later (moved back in the database) the host can host again.
    let sql = "UPDATE meetup_host_throttle SET last_created_at = last_created_at - 11000 WHERE host_id = $1";
    match &app.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query(sql)
                .bind(host_id)
                .execute(p)
                .await
                .unwrap();
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query(sql)
                .bind(host_id)
                .execute(p)
                .await
                .unwrap();
        }
    }
    assert_eq!(
        h.post("/api/v1/meetups", body("10초 뒤 모임", 24, 10))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn profiles_show_the_manner_score_with_its_breakdown_and_upcoming_meetups() {
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let id = host(&h, body("평가 받을 모임", 2, 5)).await;
    let later = host(&h, body("다음 주 모임", 24 * 7, 5)).await;
    for m in [&id, &later] {
        let r = a
            .post(&format!("/api/v1/meetups/{m}/participation"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "joined");
    }
    let now = moim_core::time::now_millis();
    set_start(&app, &id, now + 20 * 60 * 1000).await;
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [a_id]}),
        )
        .await;
    assert_eq!(r.status, 204);
    set_start(&app, &id, now - 3600 * 1000).await;
    let r = a
        .post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 3}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // Anyone, signed out too, sees the host's score and the reasons behind it.
    let page = app.client().get(&format!("/users/{host_id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("data-testid=\"manner-score\">51<"),
        "{}",
        page.text
    );
    assert!(page.text.contains("data-testid=\"manner-good\">1<"));
    let reason3 = page
        .text
        .split("data-testid=\"reason-count-3\"")
        .nth(1)
        .unwrap();
    assert!(
        reason3
            .split("</li>")
            .next()
            .unwrap()
            .contains("<strong>1</strong>"),
        "{reason3}"
    );
    assert!(page.text.contains("궁금한 점에 대해 빠르게 답해줬어요!"));
    assert!(
        !page.text.contains("@quick.test"),
        "no e-mail on a public profile"
    );
    // The hosted list and the upcoming list (D-day) of the participant.
    assert!(page.text.contains("평가 받을 모임"));
    let ap = a.get(&format!("/users/{a_id}")).await;
    assert!(
        ap.text.contains("data-testid=\"manner-score\">51<"),
        "attended +1"
    );
    let upcoming = ap
        .text
        .split("data-testid=\"profile-upcoming\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap()
        .to_owned();
    assert!(
        upcoming.contains("다음 주 모임") && upcoming.contains("D-"),
        "{upcoming}"
    );
    assert!(
        !upcoming.contains("평가 받을 모임"),
        "started meetups are not upcoming"
    );
    let api = a
        .get(&format!("/api/v1/users/{a_id}/meetups?kind=upcoming"))
        .await;
    assert_eq!(api.json.as_array().unwrap().len(), 1, "{}", api.text);
    // The detail page links the host's profile and shows the score.
    let d = app.client().get(&format!("/meetups/{later}")).await;
    assert!(d.text.contains(&format!("href=\"/users/{host_id}\"")));
    assert!(d.text.contains("data-testid=\"host-score\">51<"));
    // English, and unknown users.
    let c = app.client();
    c.set_cookie("moim_lang", "en");
    assert!(
        c.get(&format!("/users/{host_id}"))
            .await
            .text
            .contains("Answered questions quickly!")
    );
    assert_eq!(
        app.client()
            .get(&format!("/users/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        404
    );
    assert_eq!(app.client().get("/users/not-a-uuid").await.status, 404);
}

#[tokio::test]
async fn maps_are_vendored_and_only_the_tile_host_may_serve_images() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let id = host(&h, body("지도 모임", 24, 10)).await;
    let list = app.client().get("/meetups").await;
    let csp = list.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;"),
        "{csp}"
    );
    assert!(
        !csp.contains(" https:;") && !csp.contains(" http:"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"));
    assert!(
        list.text
            .contains("data-tiles=\"https://tile.openstreetmap.org/{z}/{x}/{y}.png\"")
    );
    assert!(list.text.contains("/assets/vendor/leaflet/leaflet.js"));
    // Without tiles (or without JavaScript) the detail page still has the address and every
    // coordinate as text.
    let d = app.client().get(&format!("/meetups/{id}")).await;
    assert!(d.text.contains("data-testid=\"meetup-map\""));
    assert!(d.text.contains("서울 마포구 망원한강공원"));
    assert_eq!(
        d.text.matches("<li>37.5").count(),
        3,
        "route points listed as text"
    );
    let js = app.client().get("/assets/vendor/leaflet/leaflet.js").await;
    assert_eq!(js.status, 200);
    assert!(js.text.contains("1.9.4"));
    assert_eq!(
        app.client()
            .get("/assets/vendor/leaflet/leaflet.css")
            .await
            .status,
        200
    );
    // Maps turned off: no map markup, no outside image host.
    let off = TestApp::with_config(|c| c.map_tiles = String::new()).await;
    let (h2, _) = off.quick_user("host").await;
    let id2 = host(&h2, body("지도 없는 모임", 24, 10)).await;
    let d = off.client().get(&format!("/meetups/{id2}")).await;
    assert!(!d.text.contains("meetup-map"));
    assert!(d.text.contains("data-testid=\"route-points\""));
    let csp = d.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
    // A custom tile server with a subdomain placeholder.
    let custom = TestApp::with_config(|c| {
        c.map_tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png".into()
    })
    .await;
    let r = custom.client().get("/meetups").await;
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("https://*.tiles.example.org;")
    );
}

/// The start of a meetup as the API reports it, in ms.
fn start_ms(r: &moim_testkit::Reply) -> i64 {
    r.json["starts_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

#[tokio::test]
async fn the_duration_sets_the_end_the_after_reminder_the_ical_file_and_the_share_card() {
    let app = super::app().await;
    let (h, host_id) = app.quick_user("host").await;
    // Out of range or off the 5-minute grid: a field error.
    for bad in [10, 1445, 92] {
        let mut b = body("시간 틀린 모임", 24, 10);
        b["duration_min"] = json!(bad);
        let r = h.post("/api/v1/meetups", b).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.json["errors"][0]["field"], "duration_min", "{}", r.text);
    }
    // Omitted: two hours.
    let r = h
        .post("/api/v1/meetups", body("기본 두 시간", 24, 10))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["duration_min"], 120);
    // Ninety minutes: the end, the reminder one hour after it, the iCal end.
    let mut b = body("90분 러닝", 30, 10);
    b["duration_min"] = json!(90);
    let r = h.post("/api/v1/meetups", b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let start = start_ms(&r);
    assert_eq!(r.json["duration_min"], 90);
    let end = r.json["ends_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    assert_eq!(end, start + 90 * 60_000);
    let after = reminder_job(&app, &id, "after", host_id).await.unwrap();
    assert_eq!(after.run_at, end + 3600 * 1000, "1 h after the end");
    let ics = app
        .client()
        .get(&format!("/meetups/{id}/calendar.ics"))
        .await;
    let stamp = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .unwrap()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    assert!(
        ics.text.contains(&format!("DTSTART:{}\r\n", stamp(start))),
        "{}",
        ics.text
    );
    assert!(
        ics.text.contains(&format!("DTEND:{}\r\n", stamp(end))),
        "{}",
        ics.text
    );
    // The share card and the page say when it ends.
    let zone = jiff::tz::TimeZone::get("Asia/Seoul").unwrap();
    let local_end = jiff::Timestamp::from_millisecond(end)
        .unwrap()
        .to_zoned(zone.clone());
    let page = app.client().get(&format!("/meetups/{id}")).await;
    let card = page
        .text
        .split("<meta property=\"og:description\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        card.contains(&local_end.strftime("%H:%M").to_string()),
        "{card}"
    );
    assert!(page.text.contains("1시간 30분"), "{}", page.text);

    // Editing the duration (API) moves the after reminder and the iCal end.
    let mut b = body("90분 러닝", 30, 10);
    b["duration_min"] = json!(180);
    let r = h.patch(&format!("/api/v1/meetups/{id}"), b).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let start = start_ms(&r);
    assert_eq!(r.json["duration_min"], 180);
    assert_eq!(
        reminder_job(&app, &id, "after", host_id)
            .await
            .unwrap()
            .run_at,
        start + 4 * 3600 * 1000
    );
    assert!(
        app.client()
            .get(&format!("/meetups/{id}/calendar.ics"))
            .await
            .text
            .contains(&format!("DTEND:{}\r\n", stamp(start + 3 * 3600 * 1000)))
    );

    // The edit page shows the duration and saves a new one; a bad one is shown at the field.
    let form = h.get(&format!("/meetups/{id}/edit")).await;
    assert!(
        form.text.contains("<option value=\"180\" selected>"),
        "{}",
        form.text
    );
    let (date, time) = local_in(40);
    let fields = |d: &'static str| {
        vec![
            ("title", "90분 러닝"),
            ("theme", "river"),
            ("capacity", "10"),
            ("duration_min", d),
        ]
    };
    let mut bad = fields("abc");
    bad.push(("date", &date));
    bad.push(("time", &time));
    let r = h.form(&format!("/meetups/{id}/edit"), &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("id=\"duration-error\""), "{}", r.text);
    let mut good = fields("60");
    good.push(("date", &date));
    good.push(("time", &time));
    let r = h.form(&format!("/meetups/{id}/edit"), &good).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    let start = start_ms(&m);
    assert_eq!(m.json["duration_min"], 60);
    assert_eq!(
        reminder_job(&app, &id, "after", host_id)
            .await
            .unwrap()
            .run_at,
        start + 2 * 3600 * 1000,
        "moved with the start and the new duration"
    );
    // Hosting from the page takes it too.
    let (date, time) = local_in(50);
    let r = h
        .form(
            "/meetups",
            &[
                ("title", "네 시간 모임"),
                ("date", &date),
                ("time", &time),
                ("duration_min", "240"),
                ("address", "서울 마포구"),
                ("route", "37.55,126.89\n37.56,126.90"),
                ("theme", "games"),
                ("capacity", "6"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let new_id = r
        .location()
        .unwrap()
        .split('/')
        .nth(2)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let m = h.get(&format!("/api/v1/meetups/{new_id}")).await;
    assert_eq!(m.json["duration_min"], 240, "{}", m.text);
}

#[tokio::test]
async fn the_reminder_links_open_the_attendance_and_rating_pages_inside_their_windows() {
    use super::notify::{inbox, runner};
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, b_id) = app.quick_user("bob").await;
    let (d, d_id) = app.quick_user("dora").await;
    let (c, _) = app.quick_user("carol").await;
    let mut mb = body("출석 평가 모임", 3, 6);
    mb["duration_min"] = json!(60);
    let id = host(&h, mb).await;
    for u in [&a, &b, &d] {
        let r = u
            .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    }
    let sheet = format!("/meetups/{id}/attendance");
    let rating = format!("/meetups/{id}/rating");

    // Before the window: the sheet says when it opens; submitting is refused.
    let p = h.get(&sheet).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert!(
        p.text.contains("data-testid=\"attendance-closed\""),
        "{}",
        p.text
    );
    assert!(!p.text.contains("data-testid=\"attendance-form\""));
    assert!(p.text.contains("data-testid=\"attendance-opens\""));
    let p = h
        .form(&sheet, &[(format!("p-{a_id}").as_str(), "present")])
        .await;
    assert_eq!(p.status, 409, "{}", p.text);
    assert!(p.text.contains("시작 30분 전부터"), "{}", p.text);
    // Only the host has a sheet.
    assert_eq!(a.get(&sheet).await.status, 403);
    assert_eq!(
        app.client().get(&sheet).await.status,
        303,
        "signed out → log in"
    );

    // The 30-minute reminder: the host's links to the sheet, which now takes attendance.
    let now = moim_core::time::now_millis();
    set_start(&app, &id, now + 20 * 60 * 1000).await;
    make_due(&app, &id, "before-30m", host_id).await;
    assert_eq!(runner(&app).drain().await.unwrap(), 1);
    let link = inbox(&app, host_id)
        .await
        .into_iter()
        .find(|n| n.kind == "meetup.starting_host")
        .expect("host reminder")
        .link;
    assert_eq!(link, sheet);
    let p = h.get(&link).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert!(
        p.text.contains("data-testid=\"attendance-form\""),
        "{}",
        p.text
    );
    for nick in ["alice", "bob", "dora"] {
        assert!(p.text.contains(&format!("data-testid=\"present-{nick}\"")));
        assert!(p.text.contains(&format!("data-testid=\"absent-{nick}\"")));
    }
    assert!(
        !p.text.contains("data-testid=\"present-host\""),
        "not the host"
    );
    // Alice and Dora came, Bob did not.
    let r = h
        .form(
            &sheet,
            &[
                (format!("p-{a_id}").as_str(), "present"),
                (format!("p-{b_id}").as_str(), "absent"),
                (format!("p-{d_id}").as_str(), "present"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let p = h.get(r.location().unwrap()).await;
    assert!(
        p.text.contains("data-testid=\"present-count\">2 / 3<"),
        "{}",
        p.text
    );
    assert!(p.text.contains("data-testid=\"notice\""));
    // Once only, with a readable message.
    let again = h
        .form(&sheet, &[(format!("p-{b_id}").as_str(), "present")])
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again.text.contains("이미 제출한 출석 명단"),
        "{}",
        again.text
    );
    let ps = h.get(&format!("/api/v1/meetups/{id}/participants")).await;
    let attended = |u: uuid::Uuid| {
        ps.json
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["user_id"] == u.to_string())
            .unwrap()["attended"]
            .clone()
    };
    assert_eq!(attended(a_id), true);
    assert_eq!(attended(b_id), false);
    assert_eq!(attended(d_id), true);
    // The no-show will not be asked to rate; the attendees will, an hour after the end.
    assert!(reminder_job(&app, &id, "after", b_id).await.is_none());
    let after = reminder_job(&app, &id, "after", d_id).await.unwrap();
    assert_eq!(after.status, "queued");
    assert_eq!(after.run_at, now + 20 * 60 * 1000 + 2 * 3600 * 1000);
    // Someone who joins after the sheet was saved (applying stays open until the start) did
    // not attend: no invitation to rate is scheduled for them, and they cannot rate.
    let (e, e_id) = app.quick_user("emma").await;
    let r = e
        .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    assert!(reminder_job(&app, &id, "after", e_id).await.is_none());
    // Attendees cannot rate before the start.
    let p = a.get(&rating).await;
    assert_eq!(p.status, 409, "{}", p.text);
    assert!(p.text.contains("data-testid=\"rating-closed\""));

    // An hour after the end (60 min meetup): the participants' reminder links to the rating.
    set_start(&app, &id, now - 2 * 3600 * 1000).await;
    make_due(&app, &id, "after", a_id).await;
    assert_eq!(runner(&app).drain().await.unwrap(), 1);
    let link = inbox(&app, a_id)
        .await
        .into_iter()
        .find(|n| n.kind == "meetup.finished")
        .expect("after reminder")
        .link;
    assert_eq!(link, rating);
    let p = a.get(&link).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert!(p.text.contains("data-testid=\"rating-form\""), "{}", p.text);
    assert!(p.text.contains("data-testid=\"reason-10\""));
    // Not for the no-show, the late joiner, the host or an outsider.
    for (who, status) in [(&b, 403), (&e, 403), (&h, 403), (&c, 403)] {
        let p = who.get(&rating).await;
        assert_eq!(p.status, status, "{}", p.text);
        assert!(!p.text.contains("data-testid=\"rating-form\""));
    }
    // No reason chosen: the page says so.
    let r = a.form(&rating, &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("data-testid=\"error\""));
    let r = a.form(&rating, &[("reason", "2")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let p = a.get(r.location().unwrap()).await;
    assert!(p.text.contains("data-testid=\"my-rating\""), "{}", p.text);
    assert!(p.text.contains("사람들을 잘 이끌어줬어요!"));
    let r = a.form(&rating, &[("reason", "7")]).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("이미 모임장을 평가했어요"), "{}", r.text);
    assert_eq!(
        h.get(&format!("/api/v1/users/{host_id}/manner")).await.json["score"],
        51
    );
    // The same state through the API.
    let api = format!("/api/v1/meetups/{id}/rating");
    let r = a.get(&api).await;
    assert_eq!(
        (&r.json["reason"], &r.json["can_rate"]),
        (&json!(2), &json!(false)),
        "{}",
        r.text
    );
    let r = d.get(&api).await;
    assert_eq!(r.json["can_rate"], true, "{}", r.text);
    assert_eq!(b.get(&api).await.json["refusal"], "not_an_attendee");
    assert_eq!(h.get(&api).await.json["refusal"], "host_cannot_rate");
    // Seven days after the end both windows close: Dora can no longer rate.
    set_start(&app, &id, now - (7 * 24 + 1) * 3600 * 1000 - 60_001).await;
    let p = d.get(&rating).await;
    assert_eq!(p.status, 409, "{}", p.text);
    assert!(p.text.contains("평가 기간"), "{}", p.text);
    assert_eq!(
        d.post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 1})
        )
        .await
        .code(),
        "rating_closed"
    );
    // Still within: an end 7 days minus a minute ago.
    set_start(&app, &id, now - 7 * 24 * 3600 * 1000 - 60 * 60_000 + 60_000).await;
    assert_eq!(d.get(&rating).await.status, 200);
    // A sheet saved after the end (within the week) invites its attendees at once.
    let tardy = host(&h, body("나중에 낸 출석", 3, 4)).await;
    let r = e
        .post(&format!("/api/v1/meetups/{tardy}/participation"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    set_start(&app, &tardy, now - 26 * 3600 * 1000).await;
    let r = h
        .put(
            &format!("/api/v1/meetups/{tardy}/attendance"),
            json!({"present": [e_id]}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let invite = reminder_job(&app, &tardy, "after", e_id).await.unwrap();
    assert_eq!(invite.status, "queued");
    assert!(invite.run_at <= moim_core::time::now_millis());
    assert_eq!(runner(&app).drain().await.unwrap(), 1);
    assert!(
        inbox(&app, e_id)
            .await
            .iter()
            .any(|n| n.kind == "meetup.finished" && n.link == format!("/meetups/{tardy}/rating"))
    );
    // The submitted sheet stays readable; an unsubmitted one closes with the rating window.
    let late = host(&h, body("늦은 출석", 3, 4)).await;
    set_start(&app, &late, now - 9 * 24 * 3600 * 1000).await;
    let p = h.get(&format!("/meetups/{late}/attendance")).await;
    assert!(
        p.text.contains("data-testid=\"attendance-closed\""),
        "{}",
        p.text
    );
    // Closed for good: no "attendance opens" with a time long past.
    assert!(
        !p.text.contains("data-testid=\"attendance-opens\""),
        "{}",
        p.text
    );
    assert_eq!(
        h.put(
            &format!("/api/v1/meetups/{late}/attendance"),
            json!({"present": []})
        )
        .await
        .code(),
        "attendance_closed"
    );
    // English.
    a.set_cookie("moim_lang", "en");
    assert!(a.get(&rating).await.text.contains("Your rating"));
}

/// The titles of the cards with `testid`, in page order.
fn card_titles(html: &str, testid: &str) -> Vec<String> {
    html.split(&format!("data-testid=\"{testid}\""))
        .skip(1)
        .map(|s| {
            s.split("<h2>")
                .nth(1)
                .unwrap_or("")
                .split('<')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_home_page_shows_the_three_soonest_open_meetups_and_the_group_home_its_next_ones() {
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let owner = app.user("o@x.io", "owner").await;
    let outsider = app.user("x@x.io", "outsider").await;
    let (h, _) = app.quick_user("host").await;
    // Hosted out of order; one closes for lists (under 4 h), one is cancelled.
    host(&h, body("삼십 시간 뒤", 30, 10)).await;
    host(&h, body("열 시간 뒤", 10, 10)).await;
    host(&h, body("오십 시간 뒤", 50, 10)).await;
    host(&h, body("칠십 시간 뒤", 70, 10)).await;
    host(&h, body("곧 마감", 2, 10)).await;
    let gone = host(&h, body("취소된 모임", 5, 10)).await;
    assert_eq!(
        h.delete(&format!("/api/v1/meetups/{gone}")).await.status,
        204
    );
    // A members-only meetup of a group, sooner than the rest, and a closing one there.
    let g = super::make_group(&owner, "러닝 크루", 10, "invite").await;
    let mut b = body("크루 전용", 8, 5);
    b["group_id"] = json!(g);
    b["is_public"] = json!(false);
    host(&owner, b).await;
    let mut b = body("크루 번개", 1, 5);
    b["group_id"] = json!(g);
    b["is_public"] = json!(true);
    host(&owner, b).await;

    // Signed out: the landing page's three soonest open public meetups.
    let page = app.client().get("/").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        card_titles(&page.text, "soonest-card"),
        vec!["열 시간 뒤", "삼십 시간 뒤", "오십 시간 뒤"],
        "{}",
        page.text
    );
    // Signed in, the home is "my groups": the member sees the group's members-only one too.
    let home = owner.get("/groups").await;
    assert_eq!(
        card_titles(&home.text, "soonest-card"),
        vec!["크루 전용", "열 시간 뒤", "삼십 시간 뒤"],
        "{}",
        home.text
    );
    let home = outsider.get("/groups").await;
    assert_eq!(
        card_titles(&home.text, "soonest-card"),
        vec!["열 시간 뒤", "삼십 시간 뒤", "오십 시간 뒤"]
    );
    // English.
    let en = app.client();
    en.set_cookie("moim_lang", "en");
    assert!(en.get("/").await.text.contains("Coming up soon"));

    // The group home lists the group's next meetups, closing ones included.
    let gh = owner.get(&format!("/groups/{g}")).await;
    assert_eq!(gh.status, 200, "{}", gh.text);
    let section = gh
        .text
        .split("data-testid=\"group-meetups\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap()
        .to_owned();
    let first = section.find("크루 번개").expect("closing one listed");
    let second = section.find("크루 전용").expect("members-only one listed");
    assert!(first < second, "soonest first: {section}");
    assert!(!section.contains("열 시간 뒤"), "other meetups stay out");
    // Hosting from the group home: the form carries the group; members-only by default.
    assert!(section.contains(&format!("href=\"/meetups/new?group={g}\"")));
    let form = owner.get(&format!("/meetups/new?group={g}")).await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(form.text.contains("러닝 크루"));
    assert!(
        form.text
            .contains(&format!("name=\"group_id\" value=\"{g}\""))
    );
    assert_eq!(
        outsider
            .get(&format!("/meetups/new?group={g}"))
            .await
            .status,
        404
    );
    let (date, time) = local_in(20);
    let r = owner
        .form(
            "/meetups",
            &[
                ("group_id", &g),
                ("title", "그룹에서 연 모임"),
                ("date", &date),
                ("time", &time),
                ("address", "서울 마포구"),
                ("route", "37.55,126.89"),
                ("theme", "park"),
                ("capacity", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let id = r
        .location()
        .unwrap()
        .split('/')
        .nth(2)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let m = owner.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["group_id"], json!(g));
    assert_eq!(m.json["is_public"], false);
    assert_eq!(
        outsider.get(&format!("/api/v1/meetups/{id}")).await.status,
        404
    );
    // An outsider cannot slip a group id into the form.
    let r = outsider
        .form(
            "/meetups",
            &[
                ("group_id", &g),
                ("title", "남의 그룹 모임"),
                ("date", &date),
                ("time", &time),
                ("address", "서울 마포구"),
                ("route", "37.55,126.89"),
                ("theme", "park"),
                ("capacity", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

/// Uploads a distinct photo (its colour decides its bytes, so its hash) and returns its
/// medium URL and hash.
async fn upload_distinct(c: &Client, shade: u8) -> (String, String) {
    let img = image::RgbImage::from_fn(320, 200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, shade])
    });
    let r = c
        .upload(
            axum::http::Method::POST,
            "/api/v1/media",
            "file",
            "photo.jpg",
            &super::media::jpeg(&img),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.json["url_medium"].as_str().unwrap().to_owned();
    let hash = url.split('/').nth(2).unwrap().to_owned();
    (url, hash)
}

/// Runs one statement on the test database (tests cannot wait for the clock).
async fn exec(app: &TestApp, sql: &'static str) {
    match &app.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query(sql).execute(p).await.unwrap();
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

/// Makes every upload look as if it was last uploaded two days ago, past the grace an unused
/// upload is left for.
async fn age_uploads(app: &TestApp) {
    exec(app, "UPDATE media SET created_at = created_at - 172800000").await;
}

/// A runner that knows the media jobs.
fn media_runner(app: &TestApp) -> moim_jobs::Runner {
    let mut reg = moim_jobs::Registry::new();
    moim_web::media::register(&mut reg, app.state.clone());
    moim_web::flows::notify::register(&mut reg, app.state.clone());
    moim_jobs::Runner::new(app.db.clone(), reg, moim_jobs::RunnerConfig::default())
}

#[tokio::test]
async fn photos_of_a_cancelled_meetup_or_taken_off_by_an_edit_leave_storage_unless_still_used() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let (only, only_hash) = upload_distinct(&h, 10).await;
    let (shared, shared_hash) = upload_distinct(&h, 20).await;
    let (dropped, dropped_hash) = upload_distinct(&h, 30).await;
    let (kept, kept_hash) = upload_distinct(&h, 40).await;
    let mut b = body("사진 있는 모임", 24, 5);
    b["images"] = json!([only, shared]);
    let id = host(&h, b).await;
    // The shared photo is also on another meetup.
    let mut b = body("사진 같이 쓰는 모임", 30, 5);
    b["images"] = json!([shared]);
    host(&h, b).await;
    let mut b = body("사진 바꾸는 모임", 40, 5);
    b["images"] = json!([dropped, kept]);
    let edited = host(&h, b).await;
    for hash in [&only_hash, &shared_hash, &dropped_hash, &kept_hash] {
        assert_eq!(h.get(&format!("/media/{hash}/w384")).await.status, 200);
    }

    // Cancelling answers at once; the photos go in a job.
    assert_eq!(h.delete(&format!("/api/v1/meetups/{id}")).await.status, 204);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["status"], "cancelled");
    assert_eq!(m.json["images"].as_array().unwrap().len(), 0, "{}", m.text);
    // An edit that keeps one photo and drops the other.
    let mut b = body("사진 바꾸는 모임", 40, 5);
    b["images"] = json!([kept]);
    assert_eq!(
        h.patch(&format!("/api/v1/meetups/{edited}"), b)
            .await
            .status,
        200
    );
    assert!(
        moim_store::media::get(&app.db, &only_hash)
            .await
            .unwrap()
            .is_some(),
        "nothing is removed on the request"
    );
    // Uploaded moments ago, they are left alone for a while; a day later they go.
    assert!(media_runner(&app).drain().await.unwrap() >= 2);
    assert_eq!(h.get(&format!("/media/{only_hash}/w384")).await.status, 200);
    age_uploads(&app).await;
    exec(
        &app,
        "UPDATE jobs SET run_at = 0 WHERE kind = 'media.cleanup' AND status = 'queued'",
    )
    .await;
    assert!(media_runner(&app).drain().await.unwrap() >= 1);
    for (hash, gone) in [
        (&only_hash, true),
        (&shared_hash, false),
        (&dropped_hash, true),
        (&kept_hash, false),
    ] {
        let status = h.get(&format!("/media/{hash}/w384")).await.status;
        assert_eq!(status == 404, gone, "{hash}: {status}");
        assert_eq!(
            h.get(&format!("/media/{hash}/full")).await.status == 404,
            gone
        );
        assert_eq!(
            moim_store::media::get(&app.db, hash)
                .await
                .unwrap()
                .is_none(),
            gone
        );
    }
    // The same photo uploaded again is stored again and served.
    let (_, again) = upload_distinct(&h, 10).await;
    assert_eq!(again, only_hash);
    assert_eq!(h.get(&format!("/media/{again}/w758")).await.status, 200);
}

#[tokio::test]
async fn my_pages_link_hosted_joined_attended_courses_and_bookmarks() {
    let app = super::app().await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, _) = app.quick_user("bob").await;
    let img = super::courses::image(&a).await;
    super::courses::post(&a, super::courses::body("앨리스 코스", "서울 마포구", &img)).await;
    let profile = format!("/users/{a_id}");
    let links = [
        ("my-nav-hosted", "/meetups/mine#hosted"),
        ("my-nav-joined", "/meetups/mine#joined"),
        ("my-nav-attended", "/meetups/mine#attended"),
        ("my-nav-courses", "/courses/mine"),
        ("my-nav-bookmarks", "/courses/bookmarks"),
        ("my-nav-profile", profile.as_str()),
    ];
    // The own profile links every "my" page; the user's courses are listed.
    let own = a.get(&format!("/users/{a_id}")).await;
    assert_eq!(own.status, 200);
    for (testid, href) in links {
        let tag = own
            .text
            .split(&format!("data-testid=\"{testid}\""))
            .next()
            .unwrap()
            .rsplit("<a ")
            .next()
            .unwrap()
            .to_owned();
        assert!(tag.contains(&format!("href=\"{href}\"")), "{testid}: {tag}");
    }
    let courses = own
        .text
        .split("data-testid=\"profile-courses\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap()
        .to_owned();
    assert!(courses.contains("앨리스 코스"), "{courses}");
    // Someone else's profile: her courses and the manner breakdown, not her "my" links.
    let other = b.get(&format!("/users/{a_id}")).await;
    assert!(!other.text.contains("data-testid=\"my-nav\""));
    assert!(other.text.contains("앨리스 코스"));
    assert!(other.text.contains("data-testid=\"reason-count-10\""));
    assert!(
        !app.client()
            .get(&format!("/users/{a_id}"))
            .await
            .text
            .contains("my-nav")
    );
    // Every "my" page carries the links, and each leads somewhere that works.
    for path in [
        "/meetups/mine",
        "/courses/mine",
        "/courses/bookmarks",
        "/profile",
    ] {
        let p = a.get(path).await;
        assert_eq!(p.status, 200, "{path}");
        assert!(p.text.contains("data-testid=\"my-nav\""), "{path}");
    }
    let mine = a.get("/meetups/mine").await;
    for anchor in ["hosted", "joined", "attended"] {
        assert!(mine.text.contains(&format!("id=\"{anchor}\"")), "{anchor}");
    }
    // "For me" is set on the same page.
    let r = a
        .form(
            "/meetups/preferences",
            &[("region", "5"), ("distance_band", "2")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let prefs = a.get("/api/v1/me/meetup-preferences").await;
    assert_eq!(
        (&prefs.json["region"], &prefs.json["distance_band"]),
        (&json!(5), &json!(2))
    );
    let p = a.get("/meetups/mine").await;
    assert!(
        p.text.contains("<option value=\"5\" selected>"),
        "{}",
        p.text
    );
    let r = a
        .form(
            "/meetups/preferences",
            &[("region", "12"), ("distance_band", "2")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // The current page is marked.
    let p = a.get("/courses/bookmarks").await;
    assert!(
        p.text
            .contains("href=\"/courses/bookmarks\" aria-current=\"page\""),
        "{}",
        p.text
    );
}

#[tokio::test]
async fn the_host_approves_or_declines_applications_from_the_page() {
    use super::notify::inbox;
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, b_id) = app.quick_user("bob").await;
    let mut mb = body("승인 페이지 모임", 24, 5);
    mb["approval"] = json!(true);
    let id = host(&h, mb).await;
    for u in [&a, &b] {
        let r = u
            .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "pending", "{}", r.text);
    }
    // The host sees a button pair per pending application; others do not.
    let page = h.get(&format!("/meetups/{id}")).await;
    assert!(
        page.text.contains("data-testid=\"approve-alice\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("data-testid=\"decline-bob\""));
    assert!(
        !a.get(&format!("/meetups/{id}"))
            .await
            .text
            .contains("data-testid=\"approve-")
    );
    // Only the host may decide.
    assert_eq!(
        a.form(&format!("/meetups/{id}/participants/{b_id}/decline"), &[])
            .await
            .status,
        403
    );
    let r = h
        .form(&format!("/meetups/{id}/participants/{a_id}/approve"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = h
        .form(&format!("/meetups/{id}/participants/{b_id}/decline"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["participant_count"], 2);
    assert_eq!(
        a.get(&format!("/api/v1/meetups/{id}")).await.json["my_status"],
        "joined"
    );
    assert!(b.get(&format!("/api/v1/meetups/{id}")).await.json["my_status"].is_null());
    assert!(kinds(&inbox(&app, a_id).await).contains(&"meetup.approved".to_owned()));
    assert!(kinds(&inbox(&app, b_id).await).contains(&"meetup.declined".to_owned()));
    // Declining again (API): nothing pending.
    assert_eq!(
        h.post(
            &format!("/api/v1/meetups/{id}/participants/{b_id}/decline"),
            json!({})
        )
        .await
        .code(),
        "application_not_found"
    );
    // Bob may apply again.
    let r = b
        .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "pending");
}

#[tokio::test]
async fn a_meetup_cancelled_after_attendance_is_neither_rated_nor_counted() {
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let id = host(&h, body("취소될 모임", 2, 4)).await;
    let r = a
        .post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    // Attendance opens 30 minutes before the start; the host takes it, then cancels (still
    // before the start, so cancelling is allowed).
    let now = moim_core::time::now_millis();
    set_start(&app, &id, now + 20 * 60 * 1000).await;
    let r = h
        .put(
            &format!("/api/v1/meetups/{id}/attendance"),
            json!({"present": [a_id]}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(h.delete(&format!("/api/v1/meetups/{id}")).await.status, 204);
    // After the would-be start, the attendee cannot rate a meetup that never happened...
    set_start(&app, &id, now - 60 * 60 * 1000).await;
    let r = a
        .post(
            &format!("/api/v1/meetups/{id}/rating"),
            json!({"reason": 7}),
        )
        .await;
    assert_eq!(r.code(), "meetup_cancelled", "{}", r.text);
    let mine = a.get(&format!("/api/v1/meetups/{id}/rating")).await;
    assert_eq!(mine.json["can_rate"], false, "{}", mine.text);
    assert_eq!(mine.json["refusal"], "meetup_cancelled");
    let page = a.get(&format!("/meetups/{id}/rating")).await;
    assert_eq!(page.status, 409, "{}", page.text);
    // ...and it earns nobody a manner point.
    assert_eq!(
        a.get(&format!("/api/v1/users/{host_id}/manner")).await.json["score"],
        50
    );
    assert_eq!(
        a.get(&format!("/api/v1/users/{a_id}/manner")).await.json["score"],
        50
    );
}

#[tokio::test]
async fn a_photo_uploaded_again_while_its_removal_is_queued_is_kept() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    let (photo, hash) = upload_distinct(&h, 50).await;
    let mut b = body("취소하고 다시 여는 모임", 24, 5);
    b["images"] = json!([photo]);
    let id = host(&h, b).await;
    age_uploads(&app).await;
    assert_eq!(h.delete(&format!("/api/v1/meetups/{id}")).await.status, 204);
    // The host re-hosts it with the same photo: the upload hands out the same URL...
    let (again, again_hash) = upload_distinct(&h, 50).await;
    assert_eq!(again_hash, hash);
    // ...and the removal queued by the cancellation runs while the form is being filled in.
    assert!(media_runner(&app).drain().await.unwrap() >= 1);
    for v in ["w384", "w758", "full"] {
        assert_eq!(
            h.get(&format!("/media/{hash}/{v}")).await.status,
            200,
            "{v}"
        );
    }
    let mut b = body("다시 여는 모임", 30, 5);
    b["images"] = json!([again]);
    let new_id = host(&h, b).await;
    let m = h.get(&format!("/api/v1/meetups/{new_id}")).await;
    assert_eq!(m.json["images"].as_array().unwrap().len(), 1, "{}", m.text);
    // The removal was put off, not dropped: once the new meetup is cancelled too and the
    // grace has passed, the photo goes.
    assert_eq!(
        h.delete(&format!("/api/v1/meetups/{new_id}")).await.status,
        204
    );
    age_uploads(&app).await;
    exec(
        &app,
        "UPDATE jobs SET run_at = 0 WHERE kind = 'media.cleanup' AND status = 'queued'",
    )
    .await;
    assert!(media_runner(&app).drain().await.unwrap() >= 1);
    assert_eq!(h.get(&format!("/media/{hash}/w384")).await.status, 404);
    assert!(
        moim_store::media::get(&app.db, &hash)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_public_group_home_shows_its_meetups_only_to_members() {
    let app = super::app().await;
    let (owner, _) = app.quick_user("owner").await;
    let (outsider, _) = app.quick_user("outsider").await;
    let r = owner
        .post(
            "/api/v1/groups",
            json!({"name": "열린 크루", "category": "hobby", "capacity": 5, "visibility": "public", "join_policy": "open"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let g = r.json["id"].as_str().unwrap().to_owned();
    let mut b = body("크루 전용 모임", 24, 5);
    b["group_id"] = json!(g);
    b["is_public"] = json!(false);
    host(&owner, b).await;
    let gh = owner.get(&format!("/groups/{g}")).await;
    assert!(gh.text.contains("크루 전용 모임"), "{}", gh.text);
    // A visitor of the public group sees its page, but neither a "no meetups planned" that
    // is not true nor a "host one here" link that answers 403.
    let gh = outsider.get(&format!("/groups/{g}")).await;
    assert_eq!(gh.status, 200, "{}", gh.text);
    assert!(!gh.text.contains("크루 전용 모임"));
    assert!(
        !gh.text.contains("data-testid=\"group-meetups\""),
        "{}",
        gh.text
    );
    assert!(!gh.text.contains("data-testid=\"host-in-group\""));
}

/// Makes every write of a meetup reminder job fail (a trigger), or lifts that again.
async fn block_meetup_reminders(app: &TestApp, on: bool) {
    let statements: &[&'static str] = match (&app.db, on) {
        (moim_store::Db::Sqlite(_), true) => &[
            "CREATE TRIGGER block_reminders_i BEFORE INSERT ON jobs \
             WHEN substr(NEW.unique_key, 1, 14) = 'remind:meetup:' \
             BEGIN SELECT RAISE(ABORT, 'reminders blocked'); END",
            "CREATE TRIGGER block_reminders_u BEFORE UPDATE ON jobs \
             WHEN substr(NEW.unique_key, 1, 14) = 'remind:meetup:' \
             BEGIN SELECT RAISE(ABORT, 'reminders blocked'); END",
        ],
        (moim_store::Db::Sqlite(_), false) => &[
            "DROP TRIGGER block_reminders_i",
            "DROP TRIGGER block_reminders_u",
        ],
        (moim_store::Db::Postgres(_), true) => &[
            "CREATE FUNCTION block_reminders() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF substr(NEW.unique_key, 1, 14) = 'remind:meetup:' THEN \
             RAISE EXCEPTION 'reminders blocked'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER block_reminders BEFORE INSERT OR UPDATE ON jobs \
             FOR EACH ROW EXECUTE FUNCTION block_reminders()",
        ],
        (moim_store::Db::Postgres(_), false) => &[
            "DROP TRIGGER block_reminders ON jobs",
            "DROP FUNCTION block_reminders()",
        ],
    };
    for sql in statements {
        exec(app, sql).await;
    }
}

#[tokio::test]
async fn reminders_change_in_the_same_transaction_as_the_meetup_or_not_at_all() {
    let app = TestApp::with_config(|c| c.meetup_min_lead = std::time::Duration::ZERO).await;
    let (h, host_id) = app.quick_user("host").await;
    let (a, a_id) = app.quick_user("alice").await;
    let (b, b_id) = app.quick_user("bob").await;
    let (c, c_id) = app.quick_user("carol").await;
    let mut mb = body("함께 커밋", 5, 3);
    mb["waitlist"] = json!(true);
    let id = host(&h, mb).await;
    let join = |who: &Client| {
        let who = who.clone();
        let id = id.clone();
        async move {
            who.post(&format!("/api/v1/meetups/{id}/participation"), json!({}))
                .await
        }
    };
    let status_of = |who: &Client| {
        let who = who.clone();
        let id = id.clone();
        async move { who.get(&format!("/api/v1/meetups/{id}")).await.json["my_status"].clone() }
    };
    assert_eq!(join(&a).await.json["outcome"], "joined");

    // While reminders cannot be written, no change that moves them is stored either.
    block_meetup_reminders(&app, true).await;
    let r = join(&b).await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(
        status_of(&b).await.is_null(),
        "bob's application rolled back"
    );
    let r = a
        .delete(&format!("/api/v1/meetups/{id}/participation"))
        .await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(status_of(&a).await, "joined", "alice kept her place");
    let mut edit = body("함께 커밋 (변경)", 8, 3);
    edit["waitlist"] = json!(true);
    let r = h
        .patch(&format!("/api/v1/meetups/{id}"), edit.clone())
        .await;
    assert_eq!(r.status, 500, "{}", r.text);
    let m = h.get(&format!("/api/v1/meetups/{id}")).await;
    assert_eq!(m.json["title"], "함께 커밋", "the edit rolled back");
    assert!(
        super::notify::inbox(&app, a_id)
            .await
            .iter()
            .all(|n| n.kind != "meetup.updated"),
        "nor its notice"
    );
    let r = h.post("/api/v1/meetups", body("새 모임", 6, 4)).await;
    assert_eq!(r.status, 500, "{}", r.text);
    let hosted = h
        .get(&format!("/api/v1/users/{host_id}/meetups?kind=hosted"))
        .await;
    assert_eq!(hosted.json.as_array().unwrap().len(), 1, "{}", hosted.text);
    block_meetup_reminders(&app, false).await;

    // Once they can, each change and its reminders are there right after it.
    assert_eq!(join(&b).await.json["outcome"], "joined");
    assert_eq!(join(&c).await.json["outcome"], "waitlisted");
    assert!(reminder_job(&app, &id, "before-30m", c_id).await.is_none());
    for u in [host_id, a_id, b_id] {
        assert_eq!(
            reminder_job(&app, &id, "before-30m", u)
                .await
                .unwrap()
                .status,
            "queued"
        );
    }
    // Alice leaves: her reminders go and Carol, promoted, gets hers, in that transaction.
    let r = a
        .delete(&format!("/api/v1/meetups/{id}/participation"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(status_of(&c).await, "joined");
    assert_eq!(
        reminder_job(&app, &id, "before-30m", a_id)
            .await
            .unwrap()
            .status,
        "cancelled"
    );
    // (Her D-day reminder exists only when this morning's 08:00 is still ahead.)
    assert!(
        reminder_job(&app, &id, "d-day", a_id)
            .await
            .is_none_or(|j| j.status == "cancelled")
    );
    let start = |m: &moim_testkit::Reply| {
        m.json["starts_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    };
    let before = reminder_job(&app, &id, "before-30m", c_id).await.unwrap();
    assert_eq!(before.status, "queued");
    assert_eq!(before.run_at, start(&m) - 30 * 60 * 1000);
    // The edit moves everyone's, the host's too.
    let r = h.patch(&format!("/api/v1/meetups/{id}"), edit).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let moved = start(&r);
    for u in [host_id, b_id, c_id] {
        assert_eq!(
            reminder_job(&app, &id, "before-30m", u)
                .await
                .unwrap()
                .run_at,
            moved - 30 * 60 * 1000
        );
    }
}

#[tokio::test]
async fn a_meetup_without_photos_shows_its_theme_picture_and_shares_a_raster_one() {
    let app = super::app().await;
    let (h, _) = app.quick_user("host").await;
    // Every theme has both pictures, served from the binary.
    for t in moim_core::meetups::THEMES {
        for (ext, mime) in [("svg", "image/svg+xml"), ("png", "image/png")] {
            let r = app.client().get(&format!("/assets/themes/{t}.{ext}")).await;
            assert_eq!(r.status, 200, "{t}.{ext}");
            assert_eq!(r.header("content-type").unwrap(), mime, "{t}.{ext}");
            if ext == "png" {
                assert_eq!(&r.bytes[..8], b"\x89PNG\r\n\x1a\n", "{t}.png is a PNG");
            } else {
                assert!(r.text.starts_with("<svg"), "{t}.svg");
            }
        }
    }
    let mut b = body("사진 없는 산행", 24, 6);
    b["theme"] = json!("mountain");
    let id = host(&h, b).await;
    let page = app.client().get(&format!("/meetups/{id}")).await;
    assert!(
        page.text.contains("src=\"/assets/themes/mountain.svg?v="),
        "{}",
        page.text
    );
    let og = page
        .text
        .split("<meta property=\"og:image\" content=\"")
        .nth(1)
        .unwrap();
    let og = &og[..og.find('"').unwrap()];
    assert!(
        og.starts_with("http") && og.ends_with("/assets/themes/mountain.png"),
        "{og}"
    );
    let list = app.client().get("/meetups").await;
    let card = &list.text[list
        .text
        .find("사진 없는 산행")
        .unwrap()
        .saturating_sub(900)..];
    assert!(card.contains("data-testid=\"theme-picture\""), "{card}");
    // With a photo, the photo (no theme picture).
    let (url, _) = upload_distinct(&h, 9).await;
    let mut b = body("사진 있는 산행", 30, 6);
    b["images"] = json!([url]);
    let with = host(&h, b).await;
    let page = app.client().get(&format!("/meetups/{with}")).await;
    assert!(!page.text.contains("data-testid=\"theme-picture\""));
    assert!(!page.text.contains("/assets/themes/"), "{}", page.text);
}

#[tokio::test]
async fn postgres_sessions_run_without_jit() {
    let app = super::app().await;
    let moim_store::Db::Postgres(p) = &app.db else {
        eprintln!("skipped: PostgreSQL only (set MOIM_TEST_DATABASE_URL)");
        return;
    };
    // Every pooled session, not just one: take several at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = p.acquire().await.unwrap();
        let (jit,): (String,) = moim_store::sqlx::query_as("SHOW jit")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(jit, "off");
        held.push(c);
    }
}
