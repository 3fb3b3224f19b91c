use super::{invite_code, make_group};
use moim_testkit::json;

#[tokio::test]
async fn create_edit_and_read_a_group_with_roles_checked() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let member = app.user("m@x.io", "member").await;
    let outsider = app.user("out@x.io", "outsider").await;
    let r = owner
        .post(
            "/api/v1/groups",
            json!({"name": "새벽 러닝", "category": "running", "capacity": 12, "pledge": "매일 5km",
                   "starts_on": "2020-01-01", "ends_on": "2099-12-31", "visibility": "private"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let g = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json["my_role"], "owner");
    assert_eq!(r.json["member_count"], 1);
    assert_eq!(r.json["d_day"]["kind"], "running");
    assert!(r.json["invite_code"].as_str().unwrap().len() == 8);
    let code = invite_code(&owner, &g).await;
    let j = member
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    assert_eq!(j.json["outcome"], "joined");
    // Members read but do not see the invite code and cannot edit.
    let r = member.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(r.json["my_role"], "member");
    assert!(r.json["invite_code"].is_null());
    let edit = json!({"name": "새벽 러닝 크루", "category": "running", "capacity": 15});
    assert_eq!(
        member
            .patch(&format!("/api/v1/groups/{g}"), edit.clone())
            .await
            .code(),
        "manager_only"
    );
    // Outsiders do not learn that a private group exists.
    assert_eq!(
        outsider.get(&format!("/api/v1/groups/{g}")).await.status,
        404
    );
    let r = owner.patch(&format!("/api/v1/groups/{g}"), edit).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["name"], "새벽 러닝 크루");
    // Capacity cannot drop below the member count.
    let r = owner
        .patch(
            &format!("/api/v1/groups/{g}"),
            json!({"name": "x", "category": "running", "capacity": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "2 >= 2 members is fine: {}", r.text);
    let r = owner
        .patch(
            &format!("/api/v1/groups/{g}"),
            json!({"name": "x", "category": "running", "capacity": 1}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["field"], "capacity");
    // Owner promotes the member to manager; managers may edit.
    let mid = member.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .patch(
                &format!("/api/v1/groups/{g}/members/{mid}"),
                json!({"role": "manager"})
            )
            .await
            .status,
        204
    );
    let r = member
        .patch(
            &format!("/api/v1/groups/{g}"),
            json!({"name": "y", "category": "study", "capacity": 5}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Managers cannot change roles (owner only).
    let oid = owner.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        member
            .patch(
                &format!("/api/v1/groups/{g}/members/{oid}"),
                json!({"role": "member"})
            )
            .await
            .code(),
        "owner_only"
    );
}

#[tokio::test]
async fn approval_groups_queue_requests_and_capacity_holds_on_approval() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let a = app.user("a@x.io", "applicant").await;
    let b = app.user("b@x.io", "second").await;
    let g = make_group(&owner, "승인제 모임", 2, "approval").await;
    let code = invite_code(&owner, &g).await;
    let r = a
        .post(
            &format!("/api/v1/invites/{code}/join"),
            json!({"message": "안녕하세요"}),
        )
        .await;
    assert_eq!(r.json["outcome"], "requested");
    let r = b
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    assert_eq!(r.json["outcome"], "requested");
    // Pending applicants cannot see the member list.
    assert_eq!(
        a.get(&format!("/api/v1/groups/{g}/members")).await.status,
        404
    );
    let pending = owner
        .get(&format!("/api/v1/groups/{g}/members?status=pending"))
        .await;
    assert_eq!(pending.json["items"].as_array().unwrap().len(), 2);
    assert_eq!(pending.json["items"][0]["message"], "안녕하세요");
    let aid = pending.json["items"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bid = pending.json["items"][1]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .post(
                &format!("/api/v1/groups/{g}/members/{aid}/approve"),
                json!({})
            )
            .await
            .status,
        204
    );
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/members/{bid}/approve"),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "group_full"));
    // Declining removes the request; the applicant can ask again later.
    assert_eq!(
        owner
            .delete(&format!("/api/v1/groups/{g}/members/{bid}"))
            .await
            .status,
        204
    );
    let r = owner.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(r.json["member_count"], 2);
}

#[tokio::test]
async fn concurrent_joins_never_overfill_a_group() {
    let app = super::app().await;
    let owner = app.user("owner@x.io", "owner").await;
    // Capacity counts the owner: 11 places, 10 of them open for the 50 who rush in.
    let g = make_group(&owner, "선착순", 11, "invite").await;
    let code = invite_code(&owner, &g).await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(
            app.user(&format!("u{i}@x.io"), &format!("user{i:02}"))
                .await,
        );
    }
    let mut tasks = Vec::new();
    for u in users {
        let path = format!("/api/v1/invites/{code}/join");
        tasks.push(tokio::spawn(async move { u.post(&path, json!({})).await }));
    }
    let (mut joined, mut full) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match (r.status.as_u16(), r.json["outcome"].as_str(), r.code()) {
            (200, Some("joined"), _) => joined += 1,
            (409, _, "group_full") => full += 1,
            other => panic!("unexpected answer {other:?}: {}", r.text),
        }
    }
    assert_eq!(joined, 10, "exactly the free places are taken");
    assert_eq!(full, 40);
    let r = owner.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(r.json["member_count"], 11);
    let members = owner
        .get(&format!("/api/v1/groups/{g}/members?limit=100"))
        .await;
    assert_eq!(members.json["items"].as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn leave_remove_rejoin_rotate_transfer_and_disband() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let m = app.user("m@x.io", "member").await;
    let n = app.user("n@x.io", "nomad").await;
    let g = make_group(&owner, "모임", 10, "invite").await;
    let code = invite_code(&owner, &g).await;
    for c in [&m, &n] {
        assert_eq!(
            c.post(&format!("/api/v1/invites/{code}/join"), json!({}))
                .await
                .json["outcome"],
            "joined"
        );
    }
    // Joining twice is harmless.
    assert_eq!(
        m.post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await
            .json["outcome"],
        "already_member"
    );
    // The owner cannot just leave.
    assert_eq!(
        owner
            .post(&format!("/api/v1/groups/{g}/leave"), json!({}))
            .await
            .code(),
        "owner_cannot_leave"
    );
    // A member leaves and may come back (rejoin allowed by default).
    assert_eq!(
        n.post(&format!("/api/v1/groups/{g}/leave"), json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        n.post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await
            .json["outcome"],
        "joined"
    );
    // A removed member may not.
    let nid = n.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .delete(&format!("/api/v1/groups/{g}/members/{nid}"))
            .await
            .status,
        204
    );
    assert_eq!(
        n.post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await
            .code(),
        "rejoin_not_allowed"
    );
    assert_eq!(n.get(&format!("/api/v1/groups/{g}")).await.status, 404);
    // Members cannot remove anyone.
    let oid = owner.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        m.delete(&format!("/api/v1/groups/{g}/members/{oid}"))
            .await
            .code(),
        "manager_only"
    );
    // Rotating the code kills the old one.
    let r = owner
        .post(&format!("/api/v1/groups/{g}/invite/rotate"), json!({}))
        .await;
    let new_code = r.json["code"].as_str().unwrap().to_owned();
    assert_ne!(new_code, code);
    assert!(
        r.json["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/join/{new_code}"))
    );
    let stranger = app.user("s@x.io", "stranger").await;
    assert_eq!(
        stranger
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await
            .code(),
        "invite_not_found"
    );
    assert_eq!(
        stranger
            .get(&format!("/api/v1/invites/{new_code}"))
            .await
            .json["member_count"],
        2
    );
    // Transfer: the member becomes owner, the old owner a manager.
    let mid = m.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .post(
                &format!("/api/v1/groups/{g}/transfer"),
                json!({"user_id": mid})
            )
            .await
            .status,
        204
    );
    assert_eq!(
        owner.get(&format!("/api/v1/groups/{g}")).await.json["my_role"],
        "manager"
    );
    assert_eq!(
        m.get(&format!("/api/v1/groups/{g}")).await.json["my_role"],
        "owner"
    );
    assert_eq!(
        owner
            .post(&format!("/api/v1/groups/{g}/disband"), json!({}))
            .await
            .code(),
        "owner_only"
    );
    // Disband: a 3-day grace period that the owner can cancel.
    let r = m
        .post(&format!("/api/v1/groups/{g}/disband"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let at: jiff::Timestamp = r.json["disband_at"].as_str().unwrap().parse().unwrap();
    let days = (at - jiff::Timestamp::now())
        .total(jiff::Unit::Hour)
        .unwrap()
        / 24.0;
    assert!((2.99..=3.01).contains(&days), "grace period {days} days");
    assert_eq!(
        stranger
            .post(&format!("/api/v1/invites/{new_code}/join"), json!({}))
            .await
            .code(),
        "group_disbanding",
        "no joining a group on its way out"
    );
    let edit = json!({"name": "x", "category": "study", "capacity": 5});
    assert_eq!(
        m.patch(&format!("/api/v1/groups/{g}"), edit).await.code(),
        "group_disbanding"
    );
    assert_eq!(
        m.delete(&format!("/api/v1/groups/{g}/disband"))
            .await
            .status,
        204
    );
    assert!(m.get(&format!("/api/v1/groups/{g}")).await.json["disband_at"].is_null());
    // Once the grace period is over the group is gone for everyone.
    m.post(&format!("/api/v1/groups/{g}/disband"), json!({}))
        .await;
    moim_store::groups::purge_disbanded(
        &app.db,
        moim_core::time::now_millis() + 4 * moim_core::time::DAY,
    )
    .await
    .unwrap();
    assert_eq!(m.get(&format!("/api/v1/groups/{g}")).await.status, 404);
    assert_eq!(
        m.get("/api/v1/groups").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn public_groups_can_be_joined_without_a_code() {
    let app = super::app().await;
    let owner = app.user("o@x.io", "owner").await;
    let x = app.user("x@x.io", "visitor").await;
    let r = owner
        .post("/api/v1/groups", json!({"name": "열린 모임", "category": "hobby", "capacity": 5, "visibility": "public", "join_policy": "open"}))
        .await;
    let g = r.json["id"].as_str().unwrap().to_owned();
    let preview = x.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(preview.status, 200);
    assert!(preview.json["my_role"].is_null());
    assert!(preview.json["invite_code"].is_null());
    assert_eq!(
        x.get(&format!("/api/v1/groups/{g}/members")).await.code(),
        "not_a_member"
    );
    assert_eq!(
        x.post(&format!("/api/v1/groups/{g}/join"), json!({}))
            .await
            .json["outcome"],
        "joined"
    );
    // A private invite-only group cannot be joined by id.
    let p = super::make_group(&owner, "비밀", 5, "invite").await;
    assert_eq!(
        x.post(&format!("/api/v1/groups/{p}/join"), json!({}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn my_groups_pages_with_a_cursor() {
    let app = super::app().await;
    let u = app.user("p@x.io", "pager").await;
    for i in 0..5 {
        make_group(&u, &format!("모임 {i}"), 5, "invite").await;
    }
    let p1 = u.get("/api/v1/groups?limit=2").await;
    let items = p1.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "모임 4", "newest first");
    let c1 = p1.json["next_cursor"].as_str().unwrap().to_owned();
    let p2 = u.get(&format!("/api/v1/groups?limit=2&cursor={c1}")).await;
    assert_eq!(p2.json["items"][0]["name"], "모임 2");
    let c2 = p2.json["next_cursor"].as_str().unwrap().to_owned();
    let p3 = u.get(&format!("/api/v1/groups?limit=2&cursor={c2}")).await;
    assert_eq!(p3.json["items"].as_array().unwrap().len(), 1);
    assert!(p3.json["next_cursor"].is_null());
    assert_eq!(
        u.get("/api/v1/groups?cursor=garbage!").await.code(),
        "invalid_cursor"
    );
    assert_eq!(u.get("/api/v1/groups?limit=0").await.status, 422);
    assert_eq!(
        u.get("/api/v1/groups?limit=abc").await.code(),
        "invalid_query"
    );
}
