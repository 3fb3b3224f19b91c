//! Course posts over HTTP: validation and author-only edits, bookmarks / ratings / views from
//! many concurrent users with exact counts, the five sort orders (sorted before paging), the
//! region filter, the top-3 ranking, "my courses" / "my bookmarks", and hostile input in every
//! filter.

use moim_testkit::{Client, TestApp, json};
use serde_json::Value;

pub async fn image(c: &Client) -> String {
    super::media::upload_photo(c).await["url_medium"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn body(title: &str, address: &str, img: &str) -> Value {
    json!({
        "title": title, "description": "한강 따라 달리기 좋은 코스", "address": address,
        "route": [[37.5550, 126.8950], [37.5600, 126.9000], [37.5650, 126.9050]],
        "theme": "river", "images": [img], "parking": "공영주차장", "baggage": "편의점"
    })
}

pub async fn post(c: &Client, b: Value) -> String {
    let r = c.post("/api/v1/courses", b).await;
    assert_eq!(r.status, 201, "create course: {}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

fn ids(r: &moim_testkit::Reply) -> Vec<String> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", r.text))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn courses_are_validated_and_only_the_author_edits() {
    let app = super::app().await;
    let (a, _) = app.quick_user("author").await;
    let (other, _) = app.quick_user("other").await;
    let img = image(&a).await;

    // Every bad field at once; the course needs at least one image and two route points.
    let r = a
        .post(
            "/api/v1/courses",
            json!({"title": "ab", "description": " ", "address": "", "route": [[37.5, 127.0]],
                   "theme": "moon", "images": [], "parking": "p".repeat(41)}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let errs: Vec<(String, String)> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (f, c) in [
        ("title", "too_short"),
        ("description", "required"),
        ("address", "required"),
        ("route", "too_few_points"),
        ("theme", "invalid_choice"),
        ("images", "required"),
        ("parking", "too_long"),
    ] {
        assert!(
            errs.contains(&(f.into(), c.into())),
            "{f}/{c} missing in {errs:?}"
        );
    }
    // Images must be our own uploads; four are too many.
    let mut b = body("망원 한강 코스", "서울 마포구 망원동", &img);
    b["images"] = json!([format!("/media/{}/w758", "a".repeat(64))]);
    assert_eq!(
        a.post("/api/v1/courses", b).await.json["errors"][0]["code"],
        "unknown_image"
    );
    let mut b = body("망원 한강 코스", "서울 마포구 망원동", &img);
    b["images"] = json!([img, img, img, img]);
    assert_eq!(
        a.post("/api/v1/courses", b).await.json["errors"][0]["code"],
        "too_many"
    );
    // Latitude out of range.
    let mut b = body("망원 한강 코스", "서울 마포구 망원동", &img);
    b["route"] = json!([[37.5, 127.0], [91.0, 127.0]]);
    assert_eq!(
        a.post("/api/v1/courses", b).await.json["errors"][0]["field"],
        "route"
    );

    let r = a
        .post(
            "/api/v1/courses",
            body("망원 한강 코스", "서울 마포구 망원동", &img),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    // Distance from the route (haversine, ~1.4 km), time at 10 km/h, region from the address.
    let d = r.json["distance_m"].as_i64().unwrap();
    assert!((1_300..1_500).contains(&d), "route length {d}");
    assert_eq!(r.json["duration_min"], (d * 60 + 9_999) / 10_000);
    assert_eq!(r.json["region"], 1);
    assert_eq!(r.json["route"].as_array().unwrap().len(), 3);
    let small = r.json["images"][0]["small"].as_str().unwrap().to_owned();
    assert_eq!(a.get(&small).await.status, 200);
    // A client-sent distance is not a field: the server computes it.
    let mut b = body("망원 한강 코스", "서울 마포구 망원동", &img);
    b["distance_m"] = json!(42_195);
    assert_eq!(a.post("/api/v1/courses", b).await.status, 422);

    // Only the author edits or deletes.
    let mut edit = body("남의 코스", "부산 해운대구", &img);
    let r = other
        .patch(&format!("/api/v1/courses/{id}"), edit.clone())
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "author_only");
    assert_eq!(
        other.delete(&format!("/api/v1/courses/{id}")).await.code(),
        "author_only"
    );
    assert_eq!(
        app.client()
            .patch(&format!("/api/v1/courses/{id}"), edit.clone())
            .await
            .status,
        401
    );
    edit["title"] = json!("해운대 해변 코스");
    edit["duration_min"] = json!(75);
    edit["theme"] = json!("beach");
    let r = a.patch(&format!("/api/v1/courses/{id}"), edit).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["title"], "해운대 해변 코스");
    assert_eq!(r.json["region"], 7);
    assert_eq!(r.json["duration_min"], 75);
    // Keeping the same image on an edit works (the reference failed here).
    assert_eq!(r.json["images"].as_array().unwrap().len(), 1);
    let r = other.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["title"], "해운대 해변 코스");

    assert_eq!(a.delete(&format!("/api/v1/courses/{id}")).await.status, 204);
    assert_eq!(
        other.get(&format!("/api/v1/courses/{id}")).await.status,
        404
    );
    assert_eq!(
        a.get("/api/v1/courses/not-a-uuid").await.status,
        404,
        "malformed ids are a 404"
    );
}

#[tokio::test]
async fn concurrent_bookmarks_ratings_and_views_give_exact_counts() {
    let app = super::app().await;
    let (a, _) = app.quick_user("author").await;
    let img = image(&a).await;
    let id = post(&a, body("동시성 코스", "서울 성동구 서울숲", &img)).await;
    let mut users = Vec::new();
    for i in 0..40 {
        users.push(app.quick_user(&format!("runner{i}")).await.0);
    }
    // Each user bookmarks twice, rates, and opens the course twice, all at once.
    let mut tasks = Vec::new();
    for (i, c) in users.iter().enumerate() {
        let stars = (i % 5) as i64 + 1;
        for step in 0..5 {
            let c = c.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                let r = match step {
                    0 | 1 => {
                        c.put(&format!("/api/v1/courses/{id}/bookmark"), json!({}))
                            .await
                    }
                    2 => {
                        c.put(
                            &format!("/api/v1/courses/{id}/rating"),
                            json!({"stars": stars}),
                        )
                        .await
                    }
                    _ => c.get(&format!("/api/v1/courses/{id}")).await,
                };
                assert_eq!(r.status, 200, "{}", r.text);
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = a.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["bookmark_count"], 40, "{}", r.text);
    // 40 viewers, each counted once (plus the author's own open just now).
    assert_eq!(r.json["view_count"], 41, "{}", r.text);
    assert_eq!(r.json["rating_count"], 40);
    // stars 1..5 eight times each: average 3.0
    assert_eq!(r.json["rating_average"], "3.0");
    let rating = app
        .client()
        .get(&format!("/api/v1/courses/{id}/rating"))
        .await;
    assert_eq!(rating.json["raters"], 40);
    assert_eq!(rating.json["mine"], 0);

    // Changing a rating moves the average without adding a rater: 1 → 5 adds 4 to the sum.
    let r = users[0]
        .put(&format!("/api/v1/courses/{id}/rating"), json!({"stars": 5}))
        .await;
    assert_eq!(r.json["raters"], 40, "{}", r.text);
    assert_eq!(r.json["average"], "3.1"); // 124 / 40 = 3.1
    assert_eq!(r.json["mine"], 5);
    let r = users[0].get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["my_rating"], 5);
    assert_eq!(r.json["bookmarked"], true);
    assert_eq!(r.json["view_count"], 41, "a second open is not a new view");
    // Concurrent re-ratings by everyone to 2 stars: exactly 40 raters, average 2.0.
    let mut tasks = Vec::new();
    for c in &users {
        let c = c.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            c.put(&format!("/api/v1/courses/{id}/rating"), json!({"stars": 2}))
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let r = a.get(&format!("/api/v1/courses/{id}/rating")).await;
    assert_eq!(r.json["average"], "2.0", "{}", r.text);
    assert_eq!(r.json["raters"], 40);

    // Half take their bookmark back, concurrently and twice each.
    let mut tasks = Vec::new();
    for c in users.iter().take(20) {
        for _ in 0..2 {
            let c = c.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                c.delete(&format!("/api/v1/courses/{id}/bookmark"))
                    .await
                    .status
            }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let r = a.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["bookmark_count"], 20);
    // Bad stars, signed-out writes, unknown courses.
    let r = users[1]
        .put(&format!("/api/v1/courses/{id}/rating"), json!({"stars": 6}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["errors"][0]["field"], "stars");
    assert_eq!(
        app.client()
            .put(&format!("/api/v1/courses/{id}/bookmark"), json!({}))
            .await
            .status,
        401
    );
    let ghost = uuid::Uuid::now_v7();
    assert_eq!(
        users[1]
            .put(&format!("/api/v1/courses/{ghost}/bookmark"), json!({}))
            .await
            .status,
        404
    );
}

/// Sets up five courses with distinct counts; returns (author, ids in creation order).
async fn five_courses(app: &TestApp) -> (Client, Vec<String>, Vec<Client>) {
    let (a, _) = app.quick_user("author").await;
    let img = image(&a).await;
    let places = [
        ("서울 코스 하나", "서울 마포구"),
        ("서울 코스 둘", "서울 강남구"),
        ("부산 코스 하나", "부산 해운대구"),
        ("서울 코스 셋", "서울 종로구"),
        ("부산 코스 둘", "부산 수영구"),
    ];
    let mut ids = Vec::new();
    for (t, addr) in places {
        ids.push(post(&a, body(t, addr, &img)).await);
    }
    let mut users = Vec::new();
    for i in 0..4 {
        users.push(app.quick_user(&format!("u{i}")).await.0);
    }
    // views: c0 4, c1 1, c2 2, c3 0, c4 3
    for (ci, n) in [(0, 4), (1, 1), (2, 2), (4, 3)] {
        for u in users.iter().take(n) {
            u.get(&format!("/api/v1/courses/{}", ids[ci])).await;
        }
    }
    // bookmarks: c3 4, c1 3, c0 1
    for (ci, n) in [(3, 4), (1, 3), (0, 1)] {
        for u in users.iter().take(n) {
            let r = u
                .put(&format!("/api/v1/courses/{}/bookmark", ids[ci]), json!({}))
                .await;
            assert_eq!(r.status, 200);
        }
    }
    // ratings: c2 5.0, c4 4.5, c1 2.0
    for (ci, stars) in [(2, vec![5]), (4, vec![5, 4]), (1, vec![2, 2])] {
        for (u, s) in users.iter().zip(stars) {
            u.put(
                &format!("/api/v1/courses/{}/rating", ids[ci]),
                json!({"stars": s}),
            )
            .await;
        }
    }
    // comments: c4 3, c0 2, c2 1
    for (ci, n) in [(4, 3), (0, 2), (2, 1)] {
        for u in users.iter().take(n) {
            let r = u
                .post(
                    &format!("/api/v1/courses/{}/comments", ids[ci]),
                    json!({"body": "좋아요"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
    }
    (a, ids, users)
}

#[tokio::test]
async fn lists_sort_before_paging_filter_by_region_and_rank_the_top_three() {
    let app = super::app().await;
    let (a, c, users) = five_courses(&app).await;
    let anon = app.client();
    let order = |idx: &[usize]| -> Vec<String> { idx.iter().map(|i| c[*i].clone()).collect() };
    let r = anon.get("/api/v1/courses").await;
    assert_eq!(ids(&r), order(&[4, 3, 2, 1, 0]), "newest first");
    let r = anon.get("/api/v1/courses?sort=views").await;
    assert_eq!(ids(&r), order(&[0, 4, 2, 1, 3]));
    let r = anon.get("/api/v1/courses?sort=bookmarks").await;
    assert_eq!(ids(&r)[..3], order(&[3, 1, 0])[..]);
    let r = anon.get("/api/v1/courses?sort=rating").await;
    assert_eq!(ids(&r)[..3], order(&[2, 4, 1])[..]);
    let r = anon.get("/api/v1/courses?sort=comments").await;
    assert_eq!(ids(&r)[..3], order(&[4, 0, 2])[..]);
    let r = anon.get(&format!("/api/v1/courses/{}", c[4])).await;
    assert_eq!(r.json["comment_count"], 3);
    assert_eq!(r.json["rating_average"], "4.5");

    // Paging two at a time walks the same order, every course once, for every sort.
    for sort in ["new", "rating", "comments", "views", "bookmarks"] {
        let full = ids(&anon.get(&format!("/api/v1/courses?sort={sort}")).await);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(k) => format!("/api/v1/courses?sort={sort}&limit=2&cursor={k}"),
                None => format!("/api/v1/courses?sort={sort}&limit=2"),
            };
            let r = anon.get(&url).await;
            assert_eq!(r.status, 200, "{}", r.text);
            seen.extend(ids(&r));
            match r.json["next_cursor"].as_str() {
                Some(k) => cursor = Some(k.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, full, "paged {sort}");
    }

    // Region filter: Busan (7) only.
    let r = anon.get("/api/v1/courses?region=7").await;
    assert_eq!(ids(&r), order(&[4, 2]));
    let r = anon.get("/api/v1/courses?region=7&sort=views").await;
    assert_eq!(ids(&r), order(&[4, 2]));
    let r = anon.get("/api/v1/courses?region=0&theme=river").await;
    assert_eq!(ids(&r).len(), 5);
    assert_eq!(ids(&anon.get("/api/v1/courses?theme=beach").await).len(), 0);

    // Top 3 by comments + average + views: c4 (3+4.5+3), c2 (1+5+2), c0 (2+0+4).
    let r = anon.get("/api/v1/courses/ranking").await;
    let top: Vec<String> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(top, order(&[4, 2, 0]), "{}", r.text);
    let r = anon.get("/api/v1/courses/ranking?region=1").await;
    let top: Vec<String> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(top, order(&[0, 1, 3]), "{}", r.text);
    // A signed-in user's ranking defaults to their preferred region.
    let r = users[0]
        .put(
            "/api/v1/me/meetup-preferences",
            json!({"region": 7, "distance_band": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = users[0].get("/api/v1/courses/ranking").await;
    let top: Vec<String> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(top, order(&[4, 2]));

    // My courses and my bookmarks.
    assert_eq!(ids(&a.get("/api/v1/courses?author=me").await).len(), 5);
    assert_eq!(
        ids(&users[0].get("/api/v1/courses?author=me").await).len(),
        0
    );
    let r = users[3].get("/api/v1/courses?bookmarked=true").await;
    assert_eq!(ids(&r), order(&[3]));
    let r = users[0].get("/api/v1/courses?bookmarked=true").await;
    assert_eq!(ids(&r), order(&[3, 1, 0]));
    assert_eq!(
        anon.get("/api/v1/courses?bookmarked=true").await.status,
        401
    );
}

#[tokio::test]
async fn hostile_input_in_every_course_filter_is_refused_cleanly() {
    let app = super::app().await;
    let (a, _) = app.quick_user("author").await;
    let img = image(&a).await;
    // Quotes and comment characters are data when stored...
    let nasty = "x'); DROP TABLE courses; -- /* \" */";
    let mut b = body("따옴표 ' \" -- 코스", nasty, &img);
    b["description"] = json!(nasty);
    let id = post(&a, b).await;
    let r = a.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["address"], nasty);
    assert_eq!(r.json["region"], 0);
    // ...and refused in every filter, without leaking internals.
    let hostile = [
        "' OR '1'='1",
        "1; DROP TABLE courses; --",
        "1 /* c */",
        "\" OR \"\"=\"",
        "0) OR 1=1 --",
    ];
    for param in [
        "region",
        "theme",
        "sort",
        "author",
        "bookmarked",
        "cursor",
        "limit",
    ] {
        for v in hostile {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair(param, v)
                .finish();
            let r = a.get(&format!("/api/v1/courses?{q}")).await;
            assert!(
                r.status == 400 || r.status == 422,
                "{param}={v}: {} {}",
                r.status,
                r.text
            );
            super::assert_clean(&r);
            let r = a.get(&format!("/api/v1/courses/ranking?{q}")).await;
            assert_ne!(r.status, 500, "{}", r.text);
            super::assert_clean(&r);
            // The HTML list shows a message, never a 500.
            let r = a.get(&format!("/courses?{q}")).await;
            assert_eq!(r.status, 200, "{param}={v}: {}", r.text);
        }
    }
    // The table is still there with its one course.
    let r = a.get("/api/v1/courses").await;
    assert_eq!(ids(&r), vec![id.clone()]);
    // Comments keep quotes verbatim.
    let r = a
        .post(
            &format!("/api/v1/courses/{id}/comments"),
            json!({"body": nasty}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = a.get(&format!("/api/v1/courses/{id}/comments")).await;
    assert_eq!(r.json["items"][0]["body"], nasty);
    let r = a
        .get(&format!(
            "/api/v1/courses/{id}/comments?cursor=%27%20OR%201%3D1"
        ))
        .await;
    assert_eq!(r.status, 400);
    super::assert_clean(&r);
}

#[tokio::test]
async fn course_pages_render_for_visitors_and_the_author() {
    let app = super::app().await;
    let (a, _) = app.quick_user("author").await;
    let img = image(&a).await;
    let id = post(&a, body("페이지 코스", "서울 마포구 망원동", &img)).await;
    let anon = app.client();
    let r = anon.get(&format!("/courses/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The route on a map (Leaflet, vendored) and as text.
    assert!(
        r.text.contains("id=\"meetup-map\"") && r.text.contains("data-route=\"[[37.555,126.895]"),
        "{}",
        r.text
    );
    assert!(r.text.contains("/assets/vendor/leaflet/leaflet.js"));
    assert!(r.text.contains("37.56, 126.9"));
    assert!(!r.text.contains("data-testid=\"edit-course\""));
    let r = a.get(&format!("/courses/{id}")).await;
    assert!(r.text.contains("data-testid=\"edit-course\""));
    let r = anon.get("/courses").await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("페이지 코스"));
    assert!(r.text.contains("data-testid=\"ranking\""));
    let r = a.get("/courses/mine").await;
    assert!(r.text.contains("페이지 코스"), "{}", r.text);
    let r = a.get("/courses/bookmarks").await;
    assert!(!r.text.contains("페이지 코스"));
    assert_eq!(anon.get("/courses/mine").await.status, 303);
    let r = a.get(&format!("/courses/{id}/edit")).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("37.555,126.895"));
    // The same route editor as the host form of a meetup.
    assert!(r.text.contains("data-testid=\"route-map\""), "{}", r.text);
    assert!(
        a.get("/courses/new")
            .await
            .text
            .contains("data-testid=\"route-map\"")
    );
    let (other, _) = app.quick_user("other").await;
    assert_eq!(other.get(&format!("/courses/{id}/edit")).await.status, 403);

    // The HTML form: a bad route is shown next to its field, a good edit redirects.
    let mut fields = vec![
        ("title", "폼으로 고친 코스"),
        ("address", "부산 해운대구 우동"),
        ("route", "37.5550,126.8950\nnot a point"),
        ("description", "해변 코스"),
        ("theme", "beach"),
        ("image", img.as_str()),
    ];
    let r = a.form(&format!("/courses/{id}/edit"), &fields).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("route-error"), "{}", r.text);
    fields[2] = ("route", "35.1587,129.1604\n35.1600,129.1650");
    let r = a.form(&format!("/courses/{id}/edit"), &fields).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = anon.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["title"], "폼으로 고친 코스");
    assert_eq!(r.json["region"], 7);
    // Someone else cannot edit through the form either.
    let r = other.form(&format!("/courses/{id}/edit"), &fields).await;
    assert_eq!(r.status, 403);
    // Bookmark and rate through the plain forms (no JavaScript).
    let r = other
        .form(&format!("/courses/{id}/bookmark"), &[("on", "1")])
        .await;
    assert_eq!(r.status, 303);
    let r = other
        .form(&format!("/courses/{id}/rating"), &[("stars", "3")])
        .await;
    assert_eq!(r.status, 303);
    let r = other.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.json["bookmarked"], true);
    assert_eq!(r.json["my_rating"], 3);
    let r = other.get("/courses/bookmarks").await;
    assert!(r.text.contains("폼으로 고친 코스"));
    // Deleting through the page takes the author back to their courses.
    assert_eq!(
        other
            .form(&format!("/courses/{id}/delete"), &[])
            .await
            .status,
        403
    );
    let r = a.form(&format!("/courses/{id}/delete"), &[]).await;
    assert_eq!(r.location(), Some("/courses/mine"));
    assert_eq!(anon.get(&format!("/courses/{id}")).await.status, 404);
}

#[tokio::test]
async fn the_landing_page_shows_the_six_newest_courses() {
    let app = super::app().await;
    let (a, _) = app.quick_user("author").await;
    let img = image(&a).await;
    for i in 1..=7 {
        post(
            &a,
            body(&format!("메인 코스 {i}"), "서울 마포구 망원동", &img),
        )
        .await;
    }
    let page = app.client().get("/").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let titles: Vec<&str> = page
        .text
        .split("data-testid=\"latest-course\"")
        .skip(1)
        .map(|card| {
            let h = &card[card.find("<h2>").unwrap() + 4..];
            &h[..h.find("</h2>").unwrap()]
        })
        .collect();
    assert_eq!(
        titles,
        (2..=7)
            .rev()
            .map(|i| format!("메인 코스 {i}"))
            .collect::<Vec<_>>(),
        "newest first, six of them"
    );
}
