//! Rosters through the API on both backends: setup, background generation, hand edits with
//! rule checks, undo, publish, share links, swaps, exports read back by independent parsers.

use super::invite_code;
use moim_testkit::{Client, TestApp, json};
use serde_json::Value;

async fn me(c: &Client) -> String {
    c.get("/api/v1/me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A group with an owner and `n` members who joined by invite; returns (group, owner, members).
async fn team(app: &TestApp, n: usize, time_zone: &str) -> (String, Client, Vec<Client>) {
    let owner = app.user("boss@x.io", "수간호사").await;
    let r = owner
        .post(
            "/api/v1/groups",
            json!({"name": "7병동", "category": "work", "capacity": 60, "time_zone": time_zone}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let g = r.json["id"].as_str().unwrap().to_owned();
    let code = invite_code(&owner, &g).await;
    let mut members = Vec::new();
    for i in 0..n {
        let c = app.user(&format!("m{i}@x.io"), &format!("간호사{i}")).await;
        let j = c
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await;
        assert_eq!(j.json["outcome"], "joined", "{}", j.text);
        members.push(c);
    }
    (g, owner, members)
}

async fn add_shift(owner: &Client, g: &str, name: &str, start: &str, end: &str, n: u32) -> String {
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/shift-types"),
            json!({"name": name, "start": start, "end": end, "headcount": n, "colour": "#aa3355"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["shift_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits for the background generation to finish and returns the roster.
async fn wait_ready(c: &Client, g: &str, r: &str) -> Value {
    for _ in 0..200 {
        let v = c.get(&format!("/api/v1/groups/{g}/rosters/{r}")).await;
        assert_eq!(v.status, 200, "{}", v.text);
        if v.json["status"] != "generating" {
            return v.json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("generation did not finish");
}

fn shift_of(roster: &Value, user: &str, date: &str) -> Option<String> {
    roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == user && c["date"] == date)
        .and_then(|c| c["shift_type_id"].as_str().map(str::to_owned))
}

fn count_on(roster: &Value, date: &str, shift: &str) -> usize {
    roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["date"] == date && c["shift_type_id"] == shift)
        .count()
}

#[tokio::test]
async fn a_manager_sets_up_generates_edits_and_publishes_while_members_only_read() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 5, "Asia/Seoul").await;
    let outsider = app.user("out@x.io", "outsider").await;
    let m0 = me(&members[0]).await;
    // Members cannot change the setup; outsiders do not even see it.
    let body = json!({"name": "주간", "start": "07:00", "end": "15:00", "headcount": 2});
    let r = members[0]
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/shift-types"),
            body.clone(),
        )
        .await;
    assert_eq!(r.code(), "manager_only");
    assert_eq!(
        outsider
            .get(&format!("/api/v1/groups/{g}/roster-setup"))
            .await
            .status,
        404
    );
    // Bad input is a field error, not a 500.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/shift-types"),
            json!({"name": "x", "start": "25:00", "end": "07:00", "headcount": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["field"], "start");
    let day = add_shift(&owner, &g, "주간", "07:00", "15:00", 2).await;
    let night = add_shift(&owner, &g, "야간", "23:00", "07:00", 1).await;
    // A hard condition with its generated sentence.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/conditions"),
            json!({"hard": true, "rule": {"kind": "forbidden_succession", "from": night, "to": day}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = &r.json["conditions"][0];
    assert_eq!(
        c["sentence_ko"],
        "모든 인원은(는) 야간 근무 다음 날 주간 근무를 하지 않습니다 (반드시 지킴)"
    );
    assert!(
        c["sentence_en"]
            .as_str()
            .unwrap()
            .contains("never works 주간 the day after 야간")
    );
    // A condition naming an unknown shift type is refused.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/conditions"),
            json!({"hard": true, "rule": {"kind": "forbidden_succession", "from": night, "to": m0}}),
        )
        .await;
    assert_eq!(
        r.json["errors"][0]["code"], "unknown_shift_type",
        "{}",
        r.text
    );
    // A member enters their own leave, but not someone else's.
    let r = members[0]
        .put(
            &format!("/api/v1/groups/{g}/roster-setup/leave"),
            json!({"user_id": m0, "dates": ["2026-03-03", "2026-03-04"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m1 = me(&members[1]).await;
    let r = members[0]
        .put(
            &format!("/api/v1/groups/{g}/roster-setup/leave"),
            json!({"user_id": m1, "dates": ["2026-03-05"]}),
        )
        .await;
    assert_eq!(r.code(), "manager_only");
    // Only managers generate.
    let new = json!({"name": "3월 1주", "starts_on": "2026-03-02", "ends_on": "2026-03-08", "time_limit_secs": 1});
    assert_eq!(
        members[0]
            .post(&format!("/api/v1/groups/{g}/rosters"), new.clone())
            .await
            .code(),
        "manager_only"
    );
    let r = owner
        .post(&format!("/api/v1/groups/{g}/rosters"), new)
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["status"], "generating");
    let rid = r.json["id"].as_str().unwrap().to_owned();
    // Progress over SSE ends with a `done` event.
    let sse = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/events"))
        .await;
    assert_eq!(sse.status, 200);
    assert!(
        sse.header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(sse.text.contains("event: done"), "{}", sse.text);
    let roster = wait_ready(&owner, &g, &rid).await;
    assert_eq!(roster["status"], "ready", "{roster}");
    let ev = &roster["evaluation"];
    assert_eq!(ev["feasible"], true, "{ev}");
    assert!(!roster["progress"].as_array().unwrap().is_empty());
    // Headcount holds every day, leave is honoured, and the hard condition holds.
    let days: Vec<String> = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(days.len(), 7);
    assert_eq!(roster["days"][0]["weekday"], 0, "2 March 2026 is a Monday");
    assert_eq!(roster["days"][5]["weekend"], true);
    for d in &days {
        assert_eq!(count_on(&roster, d, &day), 2, "{d}");
        assert_eq!(count_on(&roster, d, &night), 1, "{d}");
    }
    assert_eq!(shift_of(&roster, &m0, "2026-03-03"), None);
    assert_eq!(shift_of(&roster, &m0, "2026-03-04"), None);
    let by_member = ev["by_member"].as_array().unwrap();
    assert_eq!(by_member.len(), 6);
    let total: i64 = by_member
        .iter()
        .map(|m| m["shifts"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 21);
    // Members read the roster but cannot edit it; outsiders see nothing.
    let version = roster["version"].as_i64().unwrap();
    assert_eq!(
        members[1]
            .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
            .await
            .status,
        200
    );
    assert_eq!(
        outsider
            .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
            .await
            .status,
        404
    );
    let edit =
        json!({"user_id": m0, "date": "2026-03-03", "shift_type_id": day, "version": version});
    assert_eq!(
        members[1]
            .put(
                &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
                edit.clone()
            )
            .await
            .code(),
        "manager_only"
    );
    // The manager puts m0 on a leave day: the cell is flagged with the reason at once.
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            edit.clone(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["evaluation"]["feasible"], false);
    let cell = r.json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == m0.as_str() && c["date"] == "2026-03-03")
        .unwrap()
        .clone();
    assert!(!cell["problems"].as_array().unwrap().is_empty(), "{cell}");
    // A stale version is refused instead of overwriting.
    let r2 = owner
        .put(&format!("/api/v1/groups/{g}/rosters/{rid}/cells"), edit)
        .await;
    assert_eq!(r2.status, 409);
    assert_eq!(r2.code(), "stale_version");
    // Undo restores the previous assignment.
    let v = r.json["version"].as_i64().unwrap();
    let u = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/undo"),
            json!({"version": v}),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(u.json["evaluation"]["feasible"], true);
    assert_eq!(shift_of(&u.json, &m0, "2026-03-03"), None);
    // Lock a cell, publish, then a later change shows as a change.
    let v = u.json["version"].as_i64().unwrap();
    let m2 = me(&members[2]).await;
    let current = shift_of(&u.json, &m2, "2026-03-06");
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            json!({"user_id": m2, "date": "2026-03-06", "shift_type_id": current, "locked": true, "version": v}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json["version"].as_i64().unwrap();
    assert_eq!(
        members[0]
            .post(
                &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
                json!({"version": v})
            )
            .await
            .code(),
        "manager_only"
    );
    let p = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
            json!({"version": v}),
        )
        .await;
    assert_eq!(p.status, 204, "{}", p.text);
    let after = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    assert!(after["published_at"].is_string());
    // Members are notified in the app; the manager who published is not.
    let n = members[1].get("/api/v1/notifications").await;
    let item = n.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "roster.published")
        .unwrap_or_else(|| panic!("no roster.published notice: {}", n.text))
        .clone();
    assert_eq!(item["link"], format!("/groups/{g}/rosters/{rid}"));
    assert!(item["body"].as_str().unwrap().contains("3월 1주"), "{item}");
    let mine = owner.get("/api/v1/notifications").await;
    assert!(!mine.text.contains("roster.published"), "{}", mine.text);
    let v = after["version"].as_i64().unwrap();
    let before = shift_of(&after, &m2, "2026-03-07");
    let other = if before.as_deref() == Some(day.as_str()) {
        None
    } else {
        Some(day.clone())
    };
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            json!({"user_id": m2, "date": "2026-03-07", "shift_type_id": other, "version": v}),
        )
        .await;
    assert_eq!(r.status, 200);
    let seen = members[2]
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    let changed = seen["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == m2.as_str() && c["date"] == "2026-03-07")
        .unwrap();
    assert_eq!(changed["changed"], true, "{changed}");
    let locked = seen["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == m2.as_str() && c["date"] == "2026-03-06")
        .unwrap();
    assert_eq!(locked["locked"], true);
    // Share: a logged-out client reads it through the link; revoking kills the link.
    assert_eq!(
        members[0]
            .post(
                &format!("/api/v1/groups/{g}/rosters/{rid}/share"),
                json!({})
            )
            .await
            .code(),
        "manager_only"
    );
    let s = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/share"),
            json!({}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let token = s.json["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 40);
    let anon = app.client();
    let pub_r = anon.get(&format!("/api/v1/shared/rosters/{token}")).await;
    assert_eq!(pub_r.status, 200, "{}", pub_r.text);
    assert_eq!(pub_r.json["name"], "3월 1주");
    assert!(pub_r.json["share_url"].is_null());
    // The roster id itself opens nothing for an outsider.
    assert_eq!(
        anon.get(&format!("/api/v1/shared/rosters/{rid}"))
            .await
            .status,
        404
    );
    assert_eq!(
        owner
            .delete(&format!("/api/v1/groups/{g}/rosters/{rid}/share"))
            .await
            .status,
        204
    );
    assert_eq!(
        anon.get(&format!("/api/v1/shared/rosters/{token}"))
            .await
            .status,
        404
    );
    // Copy as text for KakaoTalk lists every day with names.
    let t = members[0]
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/text"))
        .await;
    assert!(
        t.json["text"].as_str().unwrap().contains("3/2(월)"),
        "{}",
        t.text
    );
    // CSV has a row per member and a column per day.
    let csv = members[0]
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/export.csv"))
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text.lines().count(), 7);
    assert!(csv.text.lines().next().unwrap().ends_with("2026-03-08"));
}

#[tokio::test]
async fn impossible_rules_are_explained_with_links_to_the_settings() {
    let app = super::app().await;
    let (g, owner, _members) = team(&app, 2, "Asia/Seoul").await;
    let shift = add_shift(&owner, &g, "당직", "18:00", "08:00", 4).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "x", "starts_on": "2026-04-01", "ends_on": "2026-04-03", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    assert_eq!(roster["status"], "failed", "{roster}");
    let issues = roster["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    let links: Vec<&str> = issues
        .iter()
        .flat_map(|i| {
            i["links"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l.as_str())
        })
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.ends_with(&format!("#shift-{shift}"))),
        "{links:?}"
    );
    // Bad ranges are field errors.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "x", "starts_on": "2026-04-05", "ends_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(r.json["errors"][0]["field"], "ends_on", "{}", r.text);
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "x", "starts_on": "2026-13-01", "ends_on": "2027-04-01"}),
        )
        .await;
    assert_eq!(r.status, 422);
    super::assert_clean(&r);
}

async fn published_roster(app: &TestApp, tz: &str) -> (String, String, Client, Vec<Client>, Value) {
    let (g, owner, members) = team(app, 3, tz).await;
    let _day = add_shift(&owner, &g, "Day", "07:00", "15:00", 1).await;
    let _night = add_shift(&owner, &g, "Night", "22:00", "06:00", 1).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "March", "starts_on": "2026-03-26", "ends_on": "2026-04-01", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    assert_eq!(roster["status"], "ready");
    let v = roster["version"].as_i64().unwrap();
    let p = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
            json!({"version": v}),
        )
        .await;
    assert_eq!(p.status, 204);
    let roster = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    (g, rid, owner, members, roster)
}

fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn the_ical_feed_parses_with_python_icalendar_and_keeps_local_times_across_dst() {
    if !python_has("icalendar") {
        eprintln!(
            "SKIPPED: python3 with the `icalendar` package is missing (pip install icalendar)"
        );
        return;
    }
    let app = super::app().await;
    // Europe/Berlin moves to summer time on 29 March 2026.
    let (g, rid, owner, _members, roster) = published_roster(&app, "Europe/Berlin").await;
    let s = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/share"),
            json!({}),
        )
        .await;
    let cal_url = s.json["calendar_url"].as_str().unwrap().to_owned();
    let ics = app.client().get(&cal_url).await;
    assert_eq!(ics.status, 200);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let dir = std::env::temp_dir().join(format!("moim-ics-{}", uuid::Uuid::now_v7()));
    std::fs::write(&dir, &ics.text).unwrap();
    // Besides the parser's own reading of TZID, every event is also placed with the feed's
    // VTIMEZONE alone (the observance in force at its local start): a client without the zone
    // database relies on exactly that.
    let script = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
tzs = cal.walk('VTIMEZONE')
assert len(tzs) == 1, 'one VTIMEZONE expected, got %d' % len(tzs)
assert str(tzs[0]['TZID']) == 'Europe/Berlin'
obs = []
for o in tzs[0].subcomponents:
    start = o['DTSTART'].dt.replace(tzinfo=None)
    to = o['TZOFFSETTO'].td.total_seconds() / 3600
    obs.append((start, to, o.name))
    print('OBS', o.name, start.strftime('%Y-%m-%d %H:%M'), to)
obs.sort()
own = tzs[0].to_tz(lookup_tzid=False)
for ev in cal.walk('VEVENT'):
    s = ev.decoded('DTSTART'); e = ev.decoded('DTEND')
    local = s.replace(tzinfo=None)
    by_vtz = [to for (start, to, _) in obs if start <= local][-1]
    by_own = own.utcoffset(local).total_seconds() / 3600 if hasattr(own, 'utcoffset') else by_vtz
    assert by_vtz == by_own, (local, by_vtz, by_own)
    print(str(ev.get('SUMMARY')), s.strftime('%Y-%m-%d %H:%M'), s.utcoffset().total_seconds() / 3600, 'vtz', by_vtz, e.strftime('%Y-%m-%d %H:%M'), str(s.tzinfo))
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (obs, lines): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with("OBS "));
    // The zone's definition covers the change to summer time on 29 March 2026 at 02:00 local.
    assert!(obs.contains(&"OBS DAYLIGHT 2026-03-29 02:00 2.0"), "{text}");
    assert!(
        obs.iter()
            .any(|o| o.starts_with("OBS STANDARD") && o.ends_with(" 1.0")),
        "{text}"
    );
    // 7 days × (1 day + 1 night) shifts.
    assert_eq!(lines.len(), 14, "{text}");
    let expect = |date: &str, name: &str, start: &str, offset: &str, end: &str| {
        assert!(
            lines.iter().any(|l| l.starts_with(name)
                && l.contains(&format!("{date} {start} {offset} vtz {offset} "))
                && l.contains(end)
                && l.ends_with("Europe/Berlin")),
            "{name} on {date} at {start} (UTC+{offset}) until {end}: {text}"
        );
    };
    // Before the change: UTC+1; after: UTC+2; same wall-clock times.
    expect("2026-03-27", "Day", "07:00", "1.0", "2026-03-27 15:00");
    expect("2026-03-30", "Day", "07:00", "2.0", "2026-03-30 15:00");
    // The night into the change ends at 06:00 local the next morning.
    expect("2026-03-28", "Night", "22:00", "1.0", "2026-03-29 06:00");
    let _ = roster;
}

#[tokio::test]
async fn the_xlsx_export_reads_back_with_openpyxl_as_the_same_assignments() {
    if !python_has("openpyxl") {
        eprintln!("SKIPPED: python3 with the `openpyxl` package is missing (pip install openpyxl)");
        return;
    }
    let app = super::app().await;
    let (g, rid, _owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let x = members[0]
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/export.xlsx"))
        .await;
    assert_eq!(x.status, 200);
    let path = std::env::temp_dir().join(format!("moim-{}.xlsx", uuid::Uuid::now_v7()));
    std::fs::write(&path, &x.bytes).unwrap();
    let script = r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
rows = list(ws.iter_rows(values_only=True))
head = rows[0]
for r in rows[1:]:
    for i, v in enumerate(r[1:], start=1):
        if v:
            print(r[0], head[i], v)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    got.sort();
    let name_of = |id: &str, list: &str, key: &str, val: &str| -> String {
        roster[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x[key] == id)
            .unwrap()[val]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut want: Vec<String> = roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let s = c["shift_type_id"].as_str()?;
            Some(format!(
                "{} {} {}",
                name_of(c["user_id"].as_str().unwrap(), "members", "user_id", "name"),
                c["date"].as_str().unwrap(),
                name_of(s, "shift_types", "id", "name")
            ))
        })
        .collect();
    want.sort();
    assert_eq!(got.len(), 14);
    assert_eq!(got, want);
}

#[tokio::test]
async fn swaps_touch_only_the_requesters_own_shifts_and_are_rule_checked() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let ids = [
        me(&members[0]).await,
        me(&members[1]).await,
        me(&members[2]).await,
    ];
    let owner_id = me(&owner).await;
    let days: Vec<String> = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    // Find a day where member 0 works and one where they do not.
    let works = days
        .iter()
        .find(|d| shift_of(&roster, &ids[0], d).is_some())
        .unwrap()
        .clone();
    let free = days
        .iter()
        .find(|d| shift_of(&roster, &ids[0], d).is_none())
        .unwrap()
        .clone();
    let url = format!("/api/v1/groups/{g}/rosters/{rid}/swaps");
    // Offering a day you do not work is refused: only your own shifts.
    let r = members[0].post(&url, json!({"date": free})).await;
    assert_eq!(r.json["errors"][0]["code"], "not_your_shift", "{}", r.text);
    // Hand over to someone who is free that day.
    let taker = (1..3)
        .chain(std::iter::once(99))
        .find(|&i| i == 99 || shift_of(&roster, &ids[i], &works).is_none());
    let (taker_client, taker_id) = match taker {
        Some(99) | None => (&owner, owner_id.clone()),
        Some(i) => (&members[i], ids[i].clone()),
    };
    let r = members[0]
        .post(&url, json!({"date": works, "target_user_id": taker_id}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let sid = r.json["id"].as_str().unwrap().to_owned();
    // Nobody else can accept it, and the requester cannot accept their own.
    let bystander = (0..3).find(|&i| ids[i] != taker_id && i != 0);
    if let Some(b) = bystander {
        assert_eq!(
            members[b]
                .post(&format!("{url}/{sid}/accept"), json!({}))
                .await
                .code(),
            "not_your_swap"
        );
    }
    assert_eq!(
        members[0]
            .post(&format!("{url}/{sid}/accept"), json!({}))
            .await
            .code(),
        "not_your_swap"
    );
    let a = taker_client
        .post(&format!("{url}/{sid}/accept"), json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["status"], "applied");
    let after = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    assert_eq!(shift_of(&after, &ids[0], &works), None);
    assert_eq!(
        shift_of(&after, &taker_id, &works),
        shift_of(&roster, &ids[0], &works)
    );
    // Accepting twice does nothing more.
    assert_eq!(
        taker_client
            .post(&format!("{url}/{sid}/accept"), json!({}))
            .await
            .status,
        409
    );
    // With approval required, an accepted swap waits for a manager.
    let r = owner
        .patch(
            &format!("/api/v1/groups/{g}/roster-setup"),
            json!({"swap_needs_approval": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let back = taker_client
        .post(&url, json!({"date": works, "target_user_id": ids[0]}))
        .await;
    assert_eq!(back.status, 201, "{}", back.text);
    let sid2 = back.json["id"].as_str().unwrap().to_owned();
    let a = members[0]
        .post(&format!("{url}/{sid2}/accept"), json!({}))
        .await;
    assert_eq!(a.json["status"], "accepted", "{}", a.text);
    assert_eq!(
        members[0]
            .post(&format!("{url}/{sid2}/approve"), json!({}))
            .await
            .code(),
        "manager_only"
    );
    let ap = owner
        .post(&format!("{url}/{sid2}/approve"), json!({}))
        .await;
    assert_eq!(ap.json["status"], "applied", "{}", ap.text);
    let again = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    assert_eq!(
        shift_of(&again, &ids[0], &works),
        shift_of(&roster, &ids[0], &works)
    );
}

#[tokio::test]
async fn concurrent_edits_of_one_version_cannot_both_win() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let v = roster["version"].as_i64().unwrap();
    let ids = [me(&members[0]).await, me(&members[1]).await];
    let url = format!("/api/v1/groups/{g}/rosters/{rid}/cells");
    let a = owner.put(
        &url,
        json!({"user_id": ids[0], "date": "2026-03-26", "shift_type_id": null, "version": v}),
    );
    let b = owner.put(
        &url,
        json!({"user_id": ids[1], "date": "2026-03-27", "shift_type_id": null, "version": v}),
    );
    let (a, b) = tokio::join!(a, b);
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
}

#[tokio::test]
async fn regenerating_keeps_locked_and_published_cells_and_a_long_run_can_be_cancelled() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let m0 = me(&members[0]).await;
    // Lock a day off for member 0 on a day they work.
    let days: Vec<String> = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    let v = roster["version"].as_i64().unwrap();
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            json!({"user_id": m0, "date": days[6], "shift_type_id": null, "locked": true, "version": v}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json["version"].as_i64().unwrap();
    let edited = r.json.clone();
    assert_eq!(
        members[0]
            .post(
                &format!("/api/v1/groups/{g}/rosters/{rid}/regenerate"),
                json!({"version": v})
            )
            .await
            .code(),
        "manager_only"
    );
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/regenerate"),
            json!({"version": v, "time_limit_secs": 1}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let again = wait_ready(&owner, &g, &rid).await;
    assert_eq!(again["status"], "ready");
    // The locked day off stays off; every published shift other than that one stays.
    assert_eq!(shift_of(&again, &m0, &days[6]), None);
    for c in roster["cells"].as_array().unwrap() {
        let (u, d) = (c["user_id"].as_str().unwrap(), c["date"].as_str().unwrap());
        if u == m0 && d == days[6] {
            continue;
        }
        if let Some(s) = c["shift_type_id"].as_str() {
            assert_eq!(shift_of(&again, u, d).as_deref(), Some(s), "{u} {d}");
        }
    }
    let _ = edited;

    // A long generation stops on request and keeps its best roster so far.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/conditions"),
            json!({"hard": false, "weight": 5, "rule": {"kind": "hours", "period": "roster", "min": 500}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "long", "starts_on": "2026-05-01", "ends_on": "2026-05-31", "time_limit_secs": 30}),
        )
        .await;
    let long = r.json["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let started = std::time::Instant::now();
    let c = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{long}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(c.status, 202, "{}", c.text);
    let done = wait_ready(&owner, &g, &long).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "cancel took effect"
    );
    assert_eq!(done["status"], "ready");
    assert_eq!(
        done["evaluation"]["feasible"], true,
        "{}",
        done["evaluation"]
    );
    assert_eq!(
        owner
            .post(
                &format!("/api/v1/groups/{g}/rosters/{long}/cancel"),
                json!({})
            )
            .await
            .code(),
        "not_generating"
    );
}

#[tokio::test]
async fn a_generation_lost_to_a_restart_does_not_hang_forever() {
    let app = super::app().await;
    let (g, rid, owner, _members, _roster) = published_roster(&app, "Asia/Seoul").await;
    // As if the process died mid-run: still `generating`, last progress long ago.
    let id: uuid::Uuid = rid.parse().unwrap();
    moim_store::dispatch!(&app.db, pool => {
        moim_store::sqlx::query("UPDATE rosters SET status = 'generating', updated_at = 0 WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    });
    let r = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await;
    assert_eq!(r.json["status"], "ready", "{}", r.text);
    assert_eq!(r.json["evaluation"]["feasible"], true);
}

#[tokio::test]
async fn members_import_from_csv_links_members_adds_people_and_reports_bad_lines() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let url = format!("/api/v1/groups/{g}/roster-setup/people/import");
    let m0 = me(&members[0]).await;
    let m1 = me(&members[1]).await;
    // Bad lines are reported by number and nothing is stored.
    let bad = owner
        .post(
            &url,
            json!({"csv": "이름,이메일 또는 닉네임,직위\n김민지,m0@x.io,수간호사\n,x@y.io,\n박서연,not@mail,간호사\n"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    super::assert_clean(&bad);
    let fields: Vec<&str> = bad.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["csv.line.3.name", "csv.line.4.contact"],
        "{}",
        bad.text
    );
    assert!(
        bad.json["errors"][1]["message"]
            .as_str()
            .unwrap()
            .starts_with("Line 4:")
    );
    let setup = owner.get(&format!("/api/v1/groups/{g}/roster-setup")).await;
    assert_eq!(setup.json["people"].as_array().unwrap().len(), 0);
    // Members may not import.
    let r = members[0].post(&url, json!({"csv": "x,,"})).await;
    assert_eq!(r.status, 403);
    // A good file: two members matched by e-mail and nickname, one roster-only person.
    let ok = owner
        .post(
            &url,
            json!({"csv": "name,email or nickname,position\r\n김민지,M0@x.io,수간호사\r\n\"이, 도윤\",간호사1,책임간호사\r\n박서연,,간호사\r\n"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let actions: Vec<(&str, &str)> = ok.json["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("김민지", "linked"),
            ("이, 도윤", "linked"),
            ("박서연", "added")
        ]
    );
    let seoyeon = ok.json["imported"][2]["roster_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = &ok.json["setup"]["members"];
    let name_of = |id: &str| {
        staff
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .map(|m| m["name"].as_str().unwrap().to_owned())
    };
    assert_eq!(name_of(&m0).as_deref(), Some("김민지"));
    assert_eq!(name_of(&m1).as_deref(), Some("이, 도윤"));
    assert_eq!(name_of(&seoyeon).as_deref(), Some("박서연"));
    assert_eq!(
        staff.as_array().unwrap().len(),
        4,
        "owner, two members, one person"
    );
    // Importing again updates instead of adding.
    let again = owner.post(&url, json!({"csv": "박서연,,책임간호사"})).await;
    assert_eq!(again.json["imported"][0]["action"], "updated");
    let people = again.json["setup"]["people"].as_array().unwrap().clone();
    assert_eq!(people.len(), 3);
    assert!(
        people.iter().any(|p| p["name"] == "박서연"
            && p["position"] == "책임간호사"
            && p["user_id"].is_null())
    );
    // The roster-only person is rostered like anyone else.
    let shift = add_shift(&owner, &g, "주간", "09:00", "18:00", 1).await;
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/roster-setup/leave"),
            json!({"user_id": seoyeon, "dates": ["2026-06-02"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "6월", "starts_on": "2026-06-01", "ends_on": "2026-06-04", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    assert_eq!(roster["status"], "ready", "{roster}");
    assert!(
        roster["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == seoyeon.as_str() && m["name"] == "박서연")
    );
    assert_eq!(shift_of(&roster, &seoyeon, "2026-06-02"), None, "on leave");
    assert_eq!(count_on(&roster, "2026-06-02", &shift), 1);
    // Publishing notifies the account holders only (a roster-only person has no inbox).
    let p = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
            json!({"version": roster["version"]}),
        )
        .await;
    assert_eq!(p.status, 204, "{}", p.text);
    let inbox = members[0].get("/api/v1/notifications").await;
    assert!(inbox.text.contains("roster.published"), "{}", inbox.text);
    // Nobody can offer a swap to someone without an account.
    let mine = roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == m0.as_str() && c["shift_type_id"].is_string())
        .map(|c| c["date"].as_str().unwrap().to_owned());
    if let Some(date) = mine {
        let r = members[0]
            .post(
                &format!("/api/v1/groups/{g}/rosters/{rid}/swaps"),
                json!({"date": date, "target_user_id": seoyeon}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json["errors"][0]["code"], "no_account");
    }
    // Removing the person removes their leave too.
    let pid = people.iter().find(|p| p["name"] == "박서연").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = owner
        .delete(&format!("/api/v1/groups/{g}/roster-setup/people/{pid}"))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert!(d.json["leave"].as_array().unwrap().is_empty());
    assert_eq!(d.json["members"].as_array().unwrap().len(), 3);
}

/// Opens a web session on a client (the pages use the session cookie, not the bearer token).
async fn web_login(c: &Client, email: &str) {
    let r = c
        .form(
            "/login",
            &[("email", email), ("password", "correct horse 9")],
        )
        .await;
    assert_eq!(r.status, 303, "log-in of {email}: {}", r.text);
}

#[tokio::test]
async fn explanations_follow_the_viewers_language() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 1, "Asia/Seoul").await;
    add_shift(&owner, &g, "야간", "22:00", "07:00", 3).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "x", "starts_on": "2026-05-04", "ends_on": "2026-05-05", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    assert_eq!(roster["status"], "failed");
    let issue = &roster["issues"][0];
    let ko = issue["message_ko"].as_str().unwrap();
    let en = issue["message_en"].as_str().unwrap();
    assert!(ko.starts_with("5/4(월) 야간: 3명이 필요한데"), "{ko}");
    assert!(
        en.starts_with("Mon 4 May, 야간: needs 3, but only 2"),
        "{en}"
    );
    assert_eq!(issue["message"], ko, "a Korean account reads Korean");
    // An English-speaking member reads English, on the API and on the page.
    let r = members[0]
        .patch("/api/v1/me", json!({"locale": "en"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let theirs = members[0]
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await;
    assert_eq!(theirs.json["issues"][0]["message"], en);
    web_login(&members[0], "m0@x.io").await;
    web_login(&owner, "boss@x.io").await;
    let page = members[0].get(&format!("/groups/{g}/rosters/{rid}")).await;
    assert!(page.text.contains("needs 3, but only 2"), "{}", page.text);
    assert!(
        page.text
            .contains(&format!("/groups/{g}/rosters/setup#shift-"))
    );
    let page = owner.get(&format!("/groups/{g}/rosters/{rid}")).await;
    assert!(page.text.contains("3명이 필요한데"));
}

#[tokio::test]
async fn the_setup_page_edits_headcounts_who_may_work_holidays_requests_leave_and_conditions() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let setup = format!("/groups/{g}/rosters/setup");
    let m0 = me(&members[0]).await;
    let m1 = me(&members[1]).await;
    let api = format!("/api/v1/groups/{g}/roster-setup");
    web_login(&owner, "boss@x.io").await;
    web_login(&members[0], "m0@x.io").await;
    web_login(&members[1], "m1@x.io").await;
    // A shift type, then per-weekday headcounts, a holiday figure and who may work it.
    let r = owner
        .form(
            &format!("{setup}/shift-types"),
            &[
                ("name", "야간"),
                ("start", "22:00"),
                ("end", "07:00"),
                ("colour", "#334455"),
                ("headcount", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let sid = owner.get(&api).await.json["shift_types"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut form: Vec<(&str, &str)> = vec![
        ("name", "야간"),
        ("start", "22:00"),
        ("end", "07:00"),
        ("colour", "#334455"),
        ("headcount", "1"),
        ("by_weekday", "1"),
        ("wd0", "1"),
        ("wd1", "1"),
        ("wd2", "1"),
        ("wd3", "1"),
        ("wd4", "2"),
        ("wd5", "2"),
        ("wd6", "1"),
        ("holiday_headcount", "3"),
        ("allowed", &m0),
        ("allowed", &m1),
    ];
    let r = owner
        .form(&format!("{setup}/shift-types/{sid}"), &form)
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let s = owner.get(&api).await.json;
    let st = &s["shift_types"][0];
    assert_eq!(st["weekday_headcount"], json!([1, 1, 1, 1, 2, 2, 1]));
    assert_eq!(st["holiday_headcount"], 3);
    let mut allowed: Vec<&str> = st["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    allowed.sort();
    let mut want = vec![m0.as_str(), m1.as_str()];
    want.sort();
    assert_eq!(allowed, want);
    // A plain member cannot change it.
    let r = members[0]
        .form(&format!("{setup}/shift-types/{sid}"), &form)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // A bad weekday figure is shown on the page, not a 500.
    form[7] = ("wd1", "lots");
    let r = owner
        .form(&format!("{setup}/shift-types/{sid}"), &form)
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("role=\"alert\""));
    // A condition for two chosen members; its sentence names them.
    let preview = owner
        .form(
            &format!("{setup}/conditions/preview"),
            &[
                ("kind", "max_weekends"),
                ("value", "1"),
                ("strength", "soft"),
                ("weight", "7"),
                ("members", &m0),
            ],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(
        preview
            .text
            .contains("간호사0은(는) 주말(토·일)에 최대 1번 근무합니다")
            && preview.text.contains("가중치 7"),
        "{}",
        preview.text
    );
    let r = owner
        .form(
            &format!("{setup}/conditions"),
            &[
                ("kind", "min_consecutive_days_off"),
                ("value", "2"),
                ("strength", "hard"),
                ("members", &m0),
                ("members", &m1),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let s = owner.get(&api).await.json;
    assert_eq!(s["conditions"][0]["members"].as_array().unwrap().len(), 2);
    let page = owner.get(&setup).await.text;
    assert!(
        page.contains("간호사0, 간호사1은(는) 쉴 때 최소 2일 연속으로 쉽니다"),
        "{page}"
    );
    let cid = s["conditions"][0]["id"].as_str().unwrap().to_owned();
    // A member files their own request; another member's is refused.
    let r = members[0]
        .form(
            &format!("{setup}/requests"),
            &[
                ("user_id", &m0),
                ("date", "2026-12-24"),
                ("shift_type_id", ""),
                ("want", "0"),
                ("weight", "25"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = members[0]
        .form(
            &format!("{setup}/requests"),
            &[("user_id", &m1), ("date", "2026-12-25"), ("want", "1")],
        )
        .await;
    assert_eq!(r.status, 403);
    let s = owner.get(&api).await.json;
    assert_eq!(s["requests"].as_array().unwrap().len(), 1);
    assert_eq!(s["requests"][0]["want"], false);
    assert_eq!(s["requests"][0]["weight"], 25);
    // Leave picked on the calendar replaces the days of the months shown only.
    let r = members[1]
        .put(
            &format!("/api/v1/groups/{g}/roster-setup/leave"),
            json!({"user_id": m1, "dates": ["2026-10-05", "2026-12-01"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = members[1]
        .form(
            &format!("{setup}/leave"),
            &[
                ("user_id", &m1),
                ("months", "2026-12,2027-01"),
                ("date", "2026-12-30"),
                ("date", "2027-01-02"),
                ("kind", "leave"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let s = owner.get(&api).await.json;
    let mut days: Vec<&str> = s["leave"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["date"].as_str().unwrap())
        .collect();
    days.sort();
    assert_eq!(days, ["2026-10-05", "2026-12-30", "2027-01-02"]);
    let cal = members[1].get(&format!("{setup}?month=2026-12")).await.text;
    assert!(
        cal.contains("value=\"2026-12-30\" checked"),
        "the calendar shows the picked day"
    );
    // The holiday table: Korea's by default, then the group's own, then back.
    assert!(cal.contains("2026-12-25 성탄절"));
    let r = owner
        .form(
            &format!("{setup}/holidays"),
            &[("holidays", "2026-12-24 병원 창립기념일\n2026-12-25 성탄절")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let s = owner.get(&api).await.json;
    assert_eq!(s["holidays"].as_array().unwrap().len(), 2);
    assert_eq!(s["holidays"][0]["name"], "병원 창립기념일");
    let r = owner
        .form(
            &format!("{setup}/holidays"),
            &[("holidays", "24 Dec party")],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = owner
        .form(
            &format!("{setup}/holidays"),
            &[("reset", "1"), ("holidays", "")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        owner.get(&api).await.json["holidays"]
            .as_array()
            .unwrap()
            .len()
            > 40
    );
    // Import through the page: errors by line in the reader's language, then success.
    let r = owner
        .form(
            &format!("{setup}/import"),
            &[("csv", "김민지,bad@,수간호사\n")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("1번째 줄: 이메일 형식이 아니에요."),
        "{}",
        r.text
    );
    let r = owner
        .form(&format!("{setup}/import"), &[("csv", "김민지,,수간호사\n")])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(owner.get(&setup).await.text.contains("수간호사"));
    // Deleting a condition and a shift type.
    let r = owner
        .form(&format!("{setup}/conditions/{cid}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    let r = owner
        .form(&format!("{setup}/shift-types/{sid}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    let s = owner.get(&api).await.json;
    assert!(s["conditions"].as_array().unwrap().is_empty());
    assert!(s["shift_types"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn today_is_marked_in_the_groups_time_zone() {
    let app = super::app().await;
    // Samoa (UTC−11) and Seoul (UTC+9) are on different dates for 20 hours of every day.
    let tz = "Pacific/Pago_Pago";
    let (g, owner, _members) = team(&app, 1, tz).await;
    add_shift(&owner, &g, "D", "09:00", "17:00", 1).await;
    let today = moim_core::time::today_in(tz);
    let from = today.checked_sub(jiff::Span::new().days(2)).unwrap();
    let to = today.checked_add(jiff::Span::new().days(2)).unwrap();
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "t", "starts_on": from.to_string(), "ends_on": to.to_string(), "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    let marked: Vec<&str> = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["today"] == true)
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(marked, [today.to_string().as_str()]);
    // The page highlights that one day: its column in the grid and its calendar cell.
    web_login(&owner, "boss@x.io").await;
    let page = owner.get(&format!("/groups/{g}/rosters/{rid}")).await;
    let head = section(&page.text, "by-member");
    let head = &head[..head.find("</thead>").unwrap()];
    // Pieces after "<thead", the member column, then one per day.
    let cols: Vec<&str> = head.split("<th").skip(3).collect();
    let lit: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.split_once("class=\"")
                .is_some_and(|(_, r)| r[..r.find('"').unwrap()].split(' ').any(|x| x == "today"))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lit, [2], "the middle of five days is today");
    let cal = table_rows(section(&page.text, "calendar"));
    let today_cells: Vec<&String> = cal
        .iter()
        .flat_map(|(_, cells)| cells.iter())
        .filter(|(cl, _)| cl.split(' ').any(|x| x == "today"))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(today_cells.len(), 1);
    assert!(
        today_cells[0].starts_with(&today.day().to_string()),
        "{today_cells:?}"
    );
}

/// A swap on a published roster: member 0 hands a day they work to someone free that day.
/// Returns (works day, taker index into `clients` where 3 = owner, swap id).
struct Offer {
    works: String,
    taker: usize,
    sid: String,
}

async fn offer_to_someone_free(
    g: &str,
    rid: &str,
    roster: &Value,
    owner: &Client,
    members: &[Client],
) -> (Offer, Vec<String>) {
    let mut ids = Vec::new();
    for m in members {
        ids.push(me(m).await);
    }
    ids.push(me(owner).await);
    let days: Vec<String> = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    let (works, taker) = days
        .iter()
        .filter(|d| shift_of(roster, &ids[0], d).is_some())
        .find_map(|d| {
            (1..ids.len())
                .find(|&i| on_roster(roster, &ids[i]) && shift_of(roster, &ids[i], d).is_none())
                .map(|i| (d.clone(), i))
        })
        .expect("a day member 0 works and someone else is free");
    let r = members[0]
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/swaps"),
            json!({"date": works, "target_user_id": ids[taker]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let sid = r.json["id"].as_str().unwrap().to_owned();
    (Offer { works, taker, sid }, ids)
}

fn on_roster(roster: &Value, user: &str) -> bool {
    roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["user_id"] == user)
}

async fn swap_status(c: &Client, g: &str, rid: &str, sid: &str) -> String {
    let l = c
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/swaps"))
        .await;
    l.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sid)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_applied_swap_stays_applied_and_accept_racing_cancel_has_one_winner() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let (o, ids) = offer_to_someone_free(&g, &rid, &roster, &owner, &members).await;
    let taker = if o.taker == 3 {
        &owner
    } else {
        &members[o.taker]
    };
    let url = format!("/api/v1/groups/{g}/rosters/{rid}/swaps/{}", o.sid);
    // The taker accepts while the requester withdraws: exactly one of them wins.
    let accept_url = format!("{url}/accept");
    let (a, c) = tokio::join!(taker.post(&accept_url, json!({})), members[0].delete(&url));
    let accepted = a.status == 200;
    let cancelled = c.status == 204;
    assert!(accepted != cancelled, "{} / {}", a.text, c.text);
    assert_eq!(
        if accepted { c.status } else { a.status },
        409,
        "{} / {}",
        a.text,
        c.text
    );
    let now = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    let status = swap_status(&owner, &g, &rid, &o.sid).await;
    if accepted {
        assert_eq!(status, "applied");
        assert_eq!(shift_of(&now, &ids[0], &o.works), None);
    } else {
        assert_eq!(status, "cancelled");
        assert_eq!(
            shift_of(&now, &ids[0], &o.works),
            shift_of(&roster, &ids[0], &o.works)
        );
    }
    // Whichever won, the swap is closed: neither withdrawing, declining nor accepting moves it.
    let c = members[0].delete(&url).await;
    assert_eq!(
        (c.status.as_u16(), c.code()),
        (409, "swap_closed"),
        "{}",
        c.text
    );
    let d = owner.post(&format!("{url}/decline"), json!({})).await;
    assert_eq!(
        (d.status.as_u16(), d.code()),
        (409, "swap_closed"),
        "{}",
        d.text
    );
    assert_eq!(
        taker.post(&format!("{url}/accept"), json!({})).await.status,
        409
    );
    assert_eq!(swap_status(&owner, &g, &rid, &o.sid).await, status);

    // Deterministically too: once applied, withdrawing leaves it applied with the cells swapped.
    if !accepted {
        let (o2, _) = offer_to_someone_free(&g, &rid, &now, &owner, &members).await;
        let taker = if o2.taker == 3 {
            &owner
        } else {
            &members[o2.taker]
        };
        let url2 = format!("/api/v1/groups/{g}/rosters/{rid}/swaps/{}", o2.sid);
        let a = taker.post(&format!("{url2}/accept"), json!({})).await;
        assert_eq!(a.json["status"], "applied", "{}", a.text);
        assert_eq!(members[0].delete(&url2).await.code(), "swap_closed");
        assert_eq!(
            owner
                .post(&format!("{url2}/decline"), json!({}))
                .await
                .code(),
            "swap_closed"
        );
        assert_eq!(swap_status(&owner, &g, &rid, &o2.sid).await, "applied");
        let after = owner
            .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
            .await
            .json;
        assert_eq!(shift_of(&after, &ids[0], &o2.works), None);
    }
}

#[tokio::test]
async fn undo_reverts_only_hand_edits_and_refuses_past_a_swap_or_a_regeneration() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let base = format!("/api/v1/groups/{g}/rosters/{rid}");
    let (o, ids) = offer_to_someone_free(&g, &rid, &roster, &owner, &members).await;
    // A hand edit first: member 2 gets a day off on the last day, where member 0's swap is not.
    let last = roster["days"].as_array().unwrap().last().unwrap()["date"]
        .as_str()
        .unwrap()
        .to_owned();
    let edit_day = if last == o.works {
        roster["days"][0]["date"].as_str().unwrap().to_owned()
    } else {
        last
    };
    let who = if shift_of(&roster, &ids[1], &edit_day).is_some() {
        &ids[1]
    } else {
        &ids[2]
    };
    let v = roster["version"].as_i64().unwrap();
    let e = owner
        .put(
            &format!("{base}/cells"),
            json!({"user_id": who, "date": edit_day, "shift_type_id": null, "version": v}),
        )
        .await;
    assert_eq!(e.status, 200, "{}", e.text);
    // Then the swap is applied.
    let taker = if o.taker == 3 {
        &owner
    } else {
        &members[o.taker]
    };
    let a = taker
        .post(&format!("{base}/swaps/{}/accept", o.sid), json!({}))
        .await;
    assert_eq!(a.json["status"], "applied", "{}", a.text);
    let swapped = owner.get(&base).await.json;
    assert_eq!(shift_of(&swapped, &ids[0], &o.works), None);
    // Undo does not reach past the swap to the older hand edit.
    let u = owner
        .post(
            &format!("{base}/undo"),
            json!({"version": swapped["version"]}),
        )
        .await;
    assert_eq!(
        (u.status.as_u16(), u.code()),
        (409, "undo_blocked_by_swap"),
        "{}",
        u.text
    );
    let still = owner.get(&base).await.json;
    assert_eq!(still["version"], swapped["version"]);
    assert_eq!(shift_of(&still, &ids[0], &o.works), None);
    assert_eq!(shift_of(&still, who, &edit_day), None);
    assert_eq!(swap_status(&owner, &g, &rid, &o.sid).await, "applied");

    // A regeneration is a barrier too.
    let r = owner
        .post(
            &format!("{base}/regenerate"),
            json!({"version": still["version"], "time_limit_secs": 1}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let regen = wait_ready(&owner, &g, &rid).await;
    let u = owner
        .post(
            &format!("{base}/undo"),
            json!({"version": regen["version"]}),
        )
        .await;
    assert_eq!(
        (u.status.as_u16(), u.code()),
        (409, "undo_blocked_by_regeneration"),
        "{}",
        u.text
    );
    assert_eq!(owner.get(&base).await.json["version"], regen["version"]);
    // A hand edit after the regeneration is undone exactly, and then the barrier holds again.
    let cell = regen["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["shift_type_id"].is_string())
        .unwrap()
        .clone();
    let (cu, cd) = (
        cell["user_id"].as_str().unwrap(),
        cell["date"].as_str().unwrap(),
    );
    let e = owner
        .put(
            &format!("{base}/cells"),
            json!({"user_id": cu, "date": cd, "shift_type_id": null, "version": regen["version"]}),
        )
        .await;
    assert_eq!(e.status, 200, "{}", e.text);
    let u = owner
        .post(
            &format!("{base}/undo"),
            json!({"version": e.json["version"]}),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(shift_of(&u.json, cu, cd), shift_of(&regen, cu, cd));
    let u = owner
        .post(
            &format!("{base}/undo"),
            json!({"version": u.json["version"]}),
        )
        .await;
    assert_eq!(u.code(), "undo_blocked_by_regeneration", "{}", u.text);
}

#[tokio::test]
async fn a_swap_that_would_break_a_hard_rule_is_refused_and_changes_nothing() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let mut ids = Vec::new();
    for m in &members {
        ids.push(me(m).await);
    }
    ids.push(me(&owner).await);
    // Member 0 offers a shift to someone who already works that day: one shift a day at most.
    let (works, taker) = roster["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .filter(|d| shift_of(&roster, &ids[0], d).is_some())
        .find_map(|d| {
            (1..ids.len())
                .find(|&i| shift_of(&roster, &ids[i], &d).is_some())
                .map(|i| (d, i))
        })
        .expect("a day member 0 shares with someone");
    let url = format!("/api/v1/groups/{g}/rosters/{rid}/swaps");
    let r = members[0]
        .post(&url, json!({"date": works, "target_user_id": ids[taker]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let sid = r.json["id"].as_str().unwrap().to_owned();
    let taker_client = if taker == 3 { &owner } else { &members[taker] };
    let a = taker_client
        .post(&format!("{url}/{sid}/accept"), json!({}))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (409, "rule_violation"),
        "{}",
        a.text
    );
    let after = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    assert_eq!(after["version"], roster["version"]);
    assert_eq!(swap_status(&owner, &g, &rid, &sid).await, "pending");
}

/// iCalendar text with folded lines joined again (RFC 5545 §3.1).
fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The events of a progress stream, in order: (event name, data).
fn sse_events(text: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("event: "))
            .map(str::to_owned);
        let data = block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .and_then(|d| serde_json::from_str(d).ok());
        if let (Some(n), Some(d)) = (name, data) {
            out.push((n, d));
        }
    }
    out
}

#[tokio::test]
async fn a_generation_shows_a_complete_roster_at_once_and_better_ones_while_it_searches() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 5, "Asia/Seoul").await;
    let day = add_shift(&owner, &g, "주간", "07:00", "15:00", 2).await;
    let night = add_shift(&owner, &g, "야간", "23:00", "07:00", 1).await;
    web_login(&members[0], "m0@x.io").await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "3월", "starts_on": "2026-03-01", "ends_on": "2026-03-31", "time_limit_secs": 3}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let rid = r.json["id"].as_str().unwrap().to_owned();
    // The stream runs until the end; read it on the side.
    let sse = {
        let c = members[0].clone();
        let path = format!("/api/v1/groups/{g}/rosters/{rid}/events");
        tokio::spawn(async move { c.get(&path).await })
    };
    // While the solver still searches, a complete roster can already be fetched.
    let live = loop {
        let l = members[0]
            .get(&format!("/api/v1/groups/{g}/rosters/{rid}/live"))
            .await;
        if l.status == 200 {
            break l.json;
        }
        assert_eq!(l.status, 409, "{}", l.text);
        assert_eq!(l.code(), "no_roster_yet");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    // (How soon is a benchmark's question: `benches/rosters_live.rs`. Once the search ends,
    // `live` answers with the final roster, so a live roster that never came fails here.)
    assert_eq!(
        live["status"], "generating",
        "shown while the search goes on"
    );
    // The page: while generating it has the live slot, and the grid fragment it swaps in.
    let page = members[0].get(&format!("/groups/{g}/rosters/{rid}")).await;
    assert!(page.text.contains(r#"id="progress""#), "{}", page.text);
    assert!(
        page.text.contains(&format!(
            r#"<div id="live-roster" data-live="/groups/{g}/rosters/{rid}/live""#
        )),
        "{}",
        page.text
    );
    let frag = members[0]
        .get(&format!("/groups/{g}/rosters/{rid}/live"))
        .await;
    assert_eq!(frag.status, 200, "{}", frag.text);
    assert!(frag.text.contains(r#"data-testid="grid""#), "{}", frag.text);
    assert!(!frag.text.contains("<html"), "a fragment, not a page");
    assert_eq!(frag.text.matches("class=\"pill\"").count(), 31 * 3);
    let days: Vec<String> = live["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(days.len(), 31);
    for d in &days {
        assert_eq!(count_on(&live, d, &day), 2, "{d}");
        assert_eq!(count_on(&live, d, &night), 1, "{d}");
    }
    assert_eq!(
        live["evaluation"]["feasible"], true,
        "{}",
        live["evaluation"]
    );
    // The stream: `roster` events (numbered) while generating, progress, then `done`.
    let sse = sse.await.unwrap();
    assert_eq!(sse.status, 200);
    let events = sse_events(&sse.text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let first_roster = names
        .iter()
        .position(|n| *n == "roster")
        .expect("a roster event");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert!(first_roster < names.len() - 1);
    assert!(names.contains(&"progress"), "{names:?}");
    let seqs: Vec<i64> = events
        .iter()
        .filter(|(n, _)| n == "roster")
        .map(|(_, d)| {
            assert_eq!(d["status"], "generating");
            d["seq"].as_i64().unwrap()
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(events.last().unwrap().1["status"], "ready");
    // Once done, `live` is the final roster.
    let fin = wait_ready(&owner, &g, &rid).await;
    let after = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}/live"))
        .await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json["status"], "ready");
    assert_eq!(after.json["cells"], fin["cells"]);
    // Outsiders see nothing, live or not.
    let outsider = app.user("out@x.io", "outsider").await;
    assert_eq!(
        outsider
            .get(&format!("/api/v1/groups/{g}/rosters/{rid}/live"))
            .await
            .status,
        404
    );
    // The page: the generating page has the live slot; the fragment is the grid.
    // After the end the fragment is the final grid.
    let frag = members[0]
        .get(&format!("/groups/{g}/rosters/{rid}/live"))
        .await;
    assert_eq!(frag.status, 200);
    assert!(frag.text.contains(r#"data-testid="grid""#), "{}", frag.text);
    assert_eq!(frag.text.matches("class=\"pill\"").count(), 31 * 3);
}

#[tokio::test]
async fn a_personal_feed_works_signed_out_rotates_and_dies_with_the_membership() {
    let app = super::app().await;
    let (g, rid, owner, members, roster) = published_roster(&app, "Asia/Seoul").await;
    let m0 = me(&members[0]).await;
    let m1 = me(&members[1]).await;
    let f0 = members[0]
        .get(&format!("/api/v1/groups/{g}/roster-feed"))
        .await;
    assert_eq!(f0.status, 200, "{}", f0.text);
    let url0 = f0.json["calendar_url"].as_str().unwrap().to_owned();
    assert!(f0.json["token"].as_str().unwrap().len() >= 40);
    // Asking again gives the same feed; another member gets another one.
    assert_eq!(
        members[0]
            .get(&format!("/api/v1/groups/{g}/roster-feed"))
            .await
            .json["calendar_url"],
        url0.as_str()
    );
    let url1 = members[1]
        .get(&format!("/api/v1/groups/{g}/roster-feed"))
        .await
        .json["calendar_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(url0, url1);
    // Signed out: exactly member 0's shifts, none of anyone else's.
    let anon = app.client();
    let ics = anon.get(&url0).await;
    assert_eq!(ics.status, 200, "{}", ics.text);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let mine: Vec<&Value> = roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user_id"] == m0.as_str() && c["shift_type_id"].is_string())
        .collect();
    assert!(!mine.is_empty());
    assert_eq!(
        ics.text.matches("BEGIN:VEVENT").count(),
        mine.len(),
        "{}",
        ics.text
    );
    let text = unfold(&ics.text);
    for c in &mine {
        let uid = format!("{rid}-{m0}-{}@moim", c["date"].as_str().unwrap());
        assert!(text.contains(&uid), "{uid}");
    }
    assert!(!text.contains(&m1), "another member's shift leaked");
    // Another group's published roster (member 0 is on it too) never shows in this feed.
    let oid = {
        let r = owner
            .post(
                "/api/v1/groups",
                json!({"name": "다른 모임", "category": "work", "capacity": 10}),
            )
            .await;
        let og = r.json["id"].as_str().unwrap().to_owned();
        let code = invite_code(&owner, &og).await;
        members[0]
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await;
        add_shift(&owner, &og, "당직", "18:00", "08:00", 1).await;
        let r = owner
            .post(
                &format!("/api/v1/groups/{og}/rosters"),
                json!({"name": "Other", "starts_on": "2026-03-26", "ends_on": "2026-03-27", "time_limit_secs": 1}),
            )
            .await;
        let oid = r.json["id"].as_str().unwrap().to_owned();
        let o = wait_ready(&owner, &og, &oid).await;
        owner
            .post(
                &format!("/api/v1/groups/{og}/rosters/{oid}/publish"),
                json!({"version": o["version"]}),
            )
            .await;
        oid
    };
    let ics = anon.get(&url0).await;
    assert!(
        !unfold(&ics.text).contains(&oid),
        "the other group's roster leaked"
    );
    assert_eq!(ics.text.matches("BEGIN:VEVENT").count(), mine.len());
    // A bad or made-up token is a 404 problem, not a 500.
    let r = anon
        .get("/api/v1/feeds/rosters/not-a-real-token-at-all-xxxxxxxx/calendar.ics")
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "feed_not_found");
    // Rotating kills the old URL and gives a working new one.
    let rot = members[0]
        .post(&format!("/api/v1/groups/{g}/roster-feed/rotate"), json!({}))
        .await;
    assert_eq!(rot.status, 200, "{}", rot.text);
    let url0b = rot.json["calendar_url"].as_str().unwrap().to_owned();
    assert_ne!(url0b, url0);
    assert_eq!(anon.get(&url0).await.status, 404);
    assert_eq!(anon.get(&url0b).await.status, 200);
    // Outsiders have no feed of the group.
    let outsider = app.user("out@x.io", "outsider").await;
    assert_eq!(
        outsider
            .get(&format!("/api/v1/groups/{g}/roster-feed"))
            .await
            .status,
        404
    );
    // A removed member's feed stops working, also if they come back later.
    let r = owner
        .delete(&format!("/api/v1/groups/{g}/members/{m1}"))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(anon.get(&url1).await.status, 404);
    let code = invite_code(&owner, &g).await;
    let j = members[1]
        .post(&format!("/api/v1/invites/{code}/join"), json!({}))
        .await;
    if j.json["outcome"] == "joined" {
        assert_eq!(anon.get(&url1).await.status, 404, "old token revived");
    }
}

#[tokio::test]
async fn the_share_link_shows_the_published_roster_not_later_draft_edits() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 3, "Asia/Seoul").await;
    add_shift(&owner, &g, "Day", "07:00", "15:00", 1).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "Week", "starts_on": "2026-03-02", "ends_on": "2026-03-08", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let roster = wait_ready(&owner, &g, &rid).await;
    let s = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/share"),
            json!({}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let token = s.json["token"].as_str().unwrap().to_owned();
    let anon = app.client();
    // Never published: the API says so, the page says so and shows no assignments, the
    // calendar is empty (a subscription fills in once it is published).
    let r = anon.get(&format!("/api/v1/shared/rosters/{token}")).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "not_published");
    let page = anon.get(&format!("/r/{token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(r#"data-testid="not-published""#));
    assert!(!page.text.contains(r#"data-testid="grid""#));
    let ics = anon
        .get(&format!("/api/v1/shared/rosters/{token}/calendar.ics"))
        .await;
    assert_eq!(ics.status, 200);
    assert_eq!(ics.text.matches("BEGIN:VEVENT").count(), 0);
    // Publish, then a draft edit: who works on 2 March moves from A to B.
    let v = roster["version"].as_i64().unwrap();
    owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
            json!({"version": v}),
        )
        .await;
    let published = owner
        .get(&format!("/api/v1/groups/{g}/rosters/{rid}"))
        .await
        .json;
    let mut ids = vec![me(&owner).await];
    for m in &members {
        ids.push(me(m).await);
    }
    let worker = ids
        .iter()
        .find(|u| shift_of(&published, u, "2026-03-02").is_some())
        .unwrap()
        .clone();
    let idle = ids
        .iter()
        .find(|u| shift_of(&published, u, "2026-03-02").is_none())
        .unwrap()
        .clone();
    let day = shift_of(&published, &worker, "2026-03-02").unwrap();
    let v = published["version"].as_i64().unwrap();
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            json!({"user_id": worker, "date": "2026-03-02", "shift_type_id": null, "version": v}),
        )
        .await;
    let v = r.json["version"].as_i64().unwrap();
    let r = owner
        .put(
            &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
            json!({"user_id": idle, "date": "2026-03-02", "shift_type_id": day, "version": v}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The manager sees the draft; the share link still shows the published assignment.
    assert_eq!(
        shift_of(&r.json, &idle, "2026-03-02").as_deref(),
        Some(day.as_str())
    );
    let shared = anon.get(&format!("/api/v1/shared/rosters/{token}")).await;
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(
        shift_of(&shared.json, &worker, "2026-03-02").as_deref(),
        Some(day.as_str())
    );
    assert_eq!(shift_of(&shared.json, &idle, "2026-03-02"), None);
    assert_eq!(shared.json["cells"], published["cells"]);
    let ics = anon
        .get(&format!("/api/v1/shared/rosters/{token}/calendar.ics"))
        .await;
    let text = unfold(&ics.text);
    assert!(
        text.contains(&format!("{rid}-{worker}-2026-03-02@moim")),
        "{text}"
    );
    assert!(!text.contains(&format!("{rid}-{idle}-2026-03-02@moim")));
    let page = anon.get(&format!("/r/{token}")).await;
    let row = |u: &str| {
        let at = page
            .text
            .find(&format!(r#"data-user="{u}" data-date="2026-03-02""#))
            .unwrap();
        let cell = &page.text[at..];
        cell[..cell.find("</td>").unwrap()].to_owned()
    };
    assert!(row(&worker).contains("Day"), "{}", row(&worker));
    assert!(!row(&idle).contains("pill"), "{}", row(&idle));
    assert!(!page.text.contains(r#" chg""#) && !page.text.contains("chg\""));
    // Publishing again makes the edit public.
    let v = r.json["version"].as_i64().unwrap();
    owner
        .post(
            &format!("/api/v1/groups/{g}/rosters/{rid}/publish"),
            json!({"version": v}),
        )
        .await;
    let shared = anon.get(&format!("/api/v1/shared/rosters/{token}")).await;
    assert_eq!(
        shift_of(&shared.json, &idle, "2026-03-02").as_deref(),
        Some(day.as_str())
    );
}

/// The part of a page from `<section id="{id}"` to its `</section>`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let s = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let e = s + html[s..].find("</section>").unwrap();
    &html[s..e]
}

/// Text with tags removed, whitespace collapsed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The body rows of a table fragment: (row header text, [(cell classes, cell text)]).
fn table_rows(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let body = &html[html.find("<tbody>").unwrap()..];
    body.split("<tr>")
        .skip(1)
        .map(|tr| {
            let tr = &tr[..tr.find("</tr>").unwrap_or(tr.len())];
            let head = tr
                .find("<th")
                .map(|a| text_of(&tr[a..a + tr[a..].find("</th>").unwrap()]))
                .unwrap_or_default();
            let cells = tr
                .split("<td")
                .skip(1)
                .map(|td| {
                    let class = td
                        .split_once("class=\"")
                        .map(|(_, r)| {
                            r[..r.find('"').unwrap()]
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default();
                    let inner = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    (class, text_of(inner))
                })
                .collect();
            (head, cells)
        })
        .collect()
}

#[tokio::test]
async fn the_views_show_a_hand_made_roster_exactly() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let (a, b, c) = (
        me(&owner).await,
        me(&members[0]).await,
        me(&members[1]).await,
    );
    let day = add_shift(&owner, &g, "Day", "07:00", "15:00", 1).await;
    let night = add_shift(&owner, &g, "Night", "23:00", "07:00", 1).await;
    for rule in [
        json!({"hard": true, "rule": {"kind": "forbidden_succession", "from": night, "to": day}}),
        json!({"hard": false, "weight": 7, "rule": {"kind": "max_consecutive_work", "max": 3}}),
    ] {
        let r = owner
            .post(&format!("/api/v1/groups/{g}/roster-setup/conditions"), rule)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // 4–10 May 2026, Monday to Sunday; 5 May is Children's Day.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "5월 1주", "starts_on": "2026-05-04", "ends_on": "2026-05-10", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let mut roster = wait_ready(&owner, &g, &rid).await;
    // The roster, set by hand (D = Day, N = Night, - = off):
    //        Mon4 Tue5 Wed6 Thu7 Fri8 Sat9 Sun10
    //   A     D    D    N    -    D    D    -
    //   B     N    -    D    D    N    N    D
    //   C     -    N    -    N    -    -    N
    let plan = [(&a, "DDN-DD-"), (&b, "N-DDNND"), (&c, "-N-N--N")];
    for (u, row) in plan {
        for (i, ch) in row.chars().enumerate() {
            let date = format!("2026-05-{:02}", 4 + i);
            let want = match ch {
                'D' => Some(day.clone()),
                'N' => Some(night.clone()),
                _ => None,
            };
            if shift_of(&roster, u, &date) == want {
                continue;
            }
            let r = owner
                .put(
                    &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
                    json!({"user_id": u, "date": date, "shift_type_id": want, "version": roster["version"]}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            roster = r.json;
        }
    }
    // Fairness figures, counted by hand: A works 5 (1 night, Saturday), B 6 (3 nights,
    // Saturday and Sunday), C 3 (3 nights, Sunday).
    let ev = &roster["evaluation"];
    let fig = |u: &str| {
        let m = ev["by_member"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == u)
            .unwrap();
        (
            m["shifts"].as_i64().unwrap(),
            m["nights"].as_i64().unwrap(),
            m["weekend_days"].as_i64().unwrap(),
        )
    };
    assert_eq!(fig(&a), (5, 1, 1));
    assert_eq!(fig(&b), (6, 3, 2));
    assert_eq!(fig(&c), (3, 3, 1));
    // Breakdown by rule: B's Saturday night → Sunday day breaks the hard rule once; B's run
    // Wednesday–Sunday is 2 days over 3 (weight 7: 14); the built-in balance costs its weight
    // (3) per shift of spread (6 − 3 = 3: 9).
    assert_eq!(ev["hard_violations"], 1, "{ev}");
    assert_eq!(ev["cost"], 14 + 9, "{ev}");
    let rules = ev["by_rule"].as_array().unwrap();
    let rule = |needle: &str| {
        rules
            .iter()
            .find(|r| r["label"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no rule {needle} in {rules:?}"))
    };
    let succ = rule("Night 근무 다음 날 Day 근무");
    assert_eq!(
        (succ["hard"].as_bool(), succ["hard_units"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(rule("최대 3일까지 연속 근무")["cost"], 14);
    assert_eq!(rule("근무 횟수 균등 배분")["cost"], 9);
    assert_eq!(rules.len(), 3, "{rules:?}");
    let bad: Vec<(&str, &str)> = roster["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["problems"].as_array().unwrap().is_empty())
        .map(|c| (c["user_id"].as_str().unwrap(), c["date"].as_str().unwrap()))
        .collect();
    assert!(bad.contains(&(b.as_str(), "2026-05-10")), "{bad:?}");
    // Days: weekends and the holiday are marked.
    let days = roster["days"].as_array().unwrap();
    let flags: Vec<(bool, Option<&str>)> = days
        .iter()
        .map(|d| (d["weekend"].as_bool().unwrap(), d["holiday"].as_str()))
        .collect();
    assert_eq!(
        flags,
        [
            (false, None),
            (false, Some("어린이날")),
            (false, None),
            (false, None),
            (false, None),
            (true, None),
            (true, None)
        ]
    );

    // The page, as member B.
    web_login(&members[0], "m0@x.io").await;
    let page = members[0].get(&format!("/groups/{g}/rosters/{rid}")).await;
    assert_eq!(page.status, 200);
    let html = &page.text;
    // Days × members, with the figures at the end of each row.
    let grid = table_rows(section(html, "by-member"));
    let names: Vec<&str> = grid.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(names, ["수간호사", "간호사0", "간호사1"]);
    let row_text = |i: usize| -> Vec<String> { grid[i].1.iter().map(|(_, t)| t.clone()).collect() };
    assert_eq!(
        row_text(0),
        ["Day", "Day", "Night", "", "Day", "Day", "", "5", "1", "1"]
    );
    assert_eq!(
        row_text(1),
        [
            "Night", "", "Day", "Day", "Night", "Night", "Day", "6", "3", "2"
        ]
    );
    assert_eq!(
        row_text(2),
        ["", "Night", "", "Night", "", "", "Night", "3", "3", "1"]
    );
    // B's Sunday is red; the holiday and weekend columns are marked.
    let classes = |i: usize, d: usize| grid[i].1[d].0.clone();
    assert!(
        classes(1, 6).split(' ').any(|c| c == "bad"),
        "{}",
        classes(1, 6)
    );
    assert!(!classes(0, 6).split(' ').any(|c| c == "bad"));
    assert!(classes(0, 1).split(' ').any(|c| c == "hol"));
    assert!(classes(0, 5).split(' ').any(|c| c == "we"));
    assert!(!classes(0, 2).split(' ').any(|c| c == "we" || c == "hol"));
    assert!(section(html, "by-member").contains(r#"title="어린이날""#));
    // Days × shift types.
    let by_shift = table_rows(section(html, "by-shift"));
    let rows: Vec<(String, Vec<String>)> = by_shift
        .iter()
        .map(|(h, cells)| (h.clone(), cells.iter().map(|(_, t)| t.clone()).collect()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "Day".to_owned(),
                [
                    "수간호사",
                    "수간호사",
                    "간호사0",
                    "간호사0",
                    "수간호사",
                    "수간호사",
                    "간호사0"
                ]
                .map(String::from)
                .to_vec()
            ),
            (
                "Night".to_owned(),
                [
                    "간호사0",
                    "간호사1",
                    "수간호사",
                    "간호사1",
                    "간호사0",
                    "간호사0",
                    "간호사1"
                ]
                .map(String::from)
                .to_vec()
            ),
        ]
    );
    // The month calendar (Korean: weeks shown from Sunday, so Monday 4 – Sunday 10 May spans
    // two rows); each day lists its shifts; the holiday carries its name.
    let cal = section(html, "calendar");
    assert!(text_of(&cal[..cal.find("</thead>").unwrap()]).ends_with("일 월 화 수 목 금 토"));
    let weeks = table_rows(cal);
    assert_eq!(weeks.len(), 2, "{weeks:?}");
    let (first, second) = (&weeks[0].1, &weeks[1].1);
    assert!(
        first[0].0.split(' ').any(|c| c == "out"),
        "3 May is not rostered"
    );
    assert_eq!(first[1].1, "4 Day 수간호사 Night 간호사0");
    assert_eq!(first[2].1, "5 어린이날 Day 수간호사 Night 간호사1");
    assert_eq!(second[0].1, "10 Day 간호사0 Night 간호사1");
    assert!(first[2].0.split(' ').any(|c| c == "hol"));
    assert!(first[6].0.split(' ').any(|c| c == "we") && second[0].0.split(' ').any(|c| c == "we"));
    // My shifts: B's six, with times.
    let mine = text_of(section(html, "mine"));
    for line in [
        "2026-05-04 (월) · Night 23:00–07:00",
        "2026-05-06 (수) · Day 07:00–15:00",
        "2026-05-07 (목) · Day 07:00–15:00",
        "2026-05-08 (금) · Night 23:00–07:00",
        "2026-05-09 (토) · Night 23:00–07:00",
        "2026-05-10 (일) · Day 07:00–15:00",
    ] {
        assert!(mine.contains(line), "{line} in {mine}");
    }
    assert_eq!(mine.matches(" · ").count(), 6, "{mine}");
    // Filter by member: only C everywhere.
    let page = members[0]
        .get(&format!("/groups/{g}/rosters/{rid}?member={c}"))
        .await;
    let html = &page.text;
    let grid = table_rows(section(html, "by-member"));
    assert_eq!(grid.len(), 1);
    assert_eq!(grid[0].0, "간호사1");
    let by_shift = table_rows(section(html, "by-shift"));
    let day_row: Vec<&str> = by_shift[0].1.iter().map(|(_, t)| t.as_str()).collect();
    let night_row: Vec<&str> = by_shift[1].1.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(day_row, ["", "", "", "", "", "", ""]);
    assert_eq!(night_row, ["", "간호사1", "", "간호사1", "", "", "간호사1"]);
    let week = &table_rows(section(html, "calendar"))[0].1;
    assert_eq!(week[1].1, "4");
    assert_eq!(week[2].1, "5 어린이날 Night 간호사1");
    // Filter by shift type: nights only.
    let page = members[0]
        .get(&format!("/groups/{g}/rosters/{rid}?shift={night}"))
        .await;
    let html = &page.text;
    let grid = table_rows(section(html, "by-member"));
    assert_eq!(grid.len(), 3);
    let row0: Vec<&str> = grid[0].1.iter().take(7).map(|(_, t)| t.as_str()).collect();
    assert_eq!(row0, ["", "", "Night", "", "", "", ""]);
    let by_shift = table_rows(section(html, "by-shift"));
    assert_eq!(by_shift.len(), 1);
    assert_eq!(by_shift[0].0, "Night");
    let week = &table_rows(section(html, "calendar"))[0].1;
    assert_eq!(week[1].1, "4 Night 간호사0");
}

#[tokio::test]
async fn conditions_are_edited_in_place_on_the_page_and_through_the_api() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let m1 = me(&members[1]).await;
    let night = add_shift(&owner, &g, "야간", "23:00", "07:00", 1).await;
    let day = add_shift(&owner, &g, "주간", "07:00", "15:00", 1).await;
    let api = format!("/api/v1/groups/{g}/roster-setup");
    let r = owner
        .post(
            &format!("{api}/conditions"),
            json!({"hard": true, "rule": {"kind": "shift_count", "shift_types": [night], "period": "week", "max": 2}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.json["conditions"][0]["id"].as_str().unwrap().to_owned();
    // Through the API: replace it (same id), soft with a weight, for one member.
    let body = json!({"name": "야간 줄이기", "hard": false, "weight": 12, "members": [m1],
        "rule": {"kind": "shift_count", "shift_types": [night], "period": "month", "max": 6}});
    assert_eq!(
        members[0]
            .put(&format!("{api}/conditions/{cid}"), body.clone())
            .await
            .code(),
        "manager_only"
    );
    let r = owner.put(&format!("{api}/conditions/{cid}"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = &r.json["conditions"][0];
    assert_eq!(c["id"], cid.as_str());
    assert_eq!(r.json["conditions"].as_array().unwrap().len(), 1);
    assert_eq!(
        c["sentence_ko"],
        "선택한 1명은(는) 매달 야간 근무를 최대 6회 합니다 (가능하면 지킴, 가중치 12)"
    );
    // Bad edits are field errors and change nothing; an unknown id is a 404.
    let r = owner
        .put(
            &format!("{api}/conditions/{cid}"),
            json!({"hard": true, "rule": {"kind": "forbidden_succession", "from": night, "to": m1}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["code"], "unknown_shift_type");
    let r = owner
        .put(
            &format!("{api}/conditions/{}", uuid::Uuid::now_v7()),
            json!({"hard": true, "rule": {"kind": "max_weekends", "max": 1}}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "condition_not_found");
    // On the page: the condition's edit form is filled in with what it holds now…
    web_login(&owner, "boss@x.io").await;
    let setup = format!("/groups/{g}/rosters/setup");
    let page = owner.get(&setup).await;
    let at = page
        .text
        .find(&format!(r#"data-testid="edit-condition-{cid}""#))
        .expect("an edit form per condition");
    let form = &page.text[at..at + page.text[at..].find("</form>").unwrap()];
    assert!(
        form.contains(r#"<option value="shift_count" selected>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"<option value="month" selected>"#),
        "{form}"
    );
    assert!(form.contains(r#"name="max" min="0" value="6""#), "{form}");
    assert!(
        form.contains(r#"name="weight" min="1" max="1000" value="12""#),
        "{form}"
    );
    assert!(form.contains(&format!(r#"value="{m1}" checked"#)), "{form}");
    assert!(form.contains(r#"<option value="soft" selected>"#), "{form}");
    assert!(
        form.contains("간호사1은(는) 매달 야간 근무를 최대 6회 합니다"),
        "{form}"
    );
    // …and saving it changes the rule in place, with the new sentence under it.
    let r = owner
        .form(
            &format!("{setup}/conditions/{cid}"),
            &[
                ("kind", "forbidden_succession"),
                ("name", ""),
                ("shift_a", &night),
                ("shift_b", &day),
                ("strength", "hard"),
                ("weight", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let s = owner.get(&api).await.json;
    assert_eq!(s["conditions"].as_array().unwrap().len(), 1);
    assert_eq!(s["conditions"][0]["id"], cid.as_str());
    assert_eq!(s["conditions"][0]["hard"], true);
    assert_eq!(s["conditions"][0]["members"], json!([]));
    let page = owner.get(&setup).await;
    assert!(
        page.text
            .contains("모든 인원은(는) 야간 근무 다음 날 주간 근무를 하지 않습니다 (반드시 지킴)"),
        "{}",
        page.text
    );
    // A bad edit on the page shows the form again with the error, and changes nothing.
    let r = owner
        .form(
            &format!("{setup}/conditions/{cid}"),
            &[
                ("kind", "max_consecutive_work"),
                ("value", "0"),
                ("strength", "hard"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(owner.get(&api).await.json["conditions"], s["conditions"]);
    // Members cannot edit on the page either.
    web_login(&members[0], "m0@x.io").await;
    let r = members[0]
        .form(
            &format!("{setup}/conditions/{cid}"),
            &[
                ("kind", "max_weekends"),
                ("value", "1"),
                ("strength", "hard"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(owner.get(&api).await.json["conditions"], s["conditions"]);
}

#[tokio::test]
async fn weekly_rules_count_monday_weeks_and_calendars_start_weeks_by_language() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let b = me(&members[0]).await;
    let day = add_shift(&owner, &g, "Day", "07:00", "15:00", 1).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/roster-setup/conditions"),
            json!({"hard": true, "rule": {"kind": "shift_count", "shift_types": [day], "period": "week", "max": 1}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The sentence states the week start.
    assert!(
        r.json["conditions"][0]["sentence_ko"]
            .as_str()
            .unwrap()
            .contains("매주(월요일 시작)")
    );
    // Wednesday 6 – Tuesday 12 May 2026: the week boundary falls between Sunday 10 and
    // Monday 11.
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "w", "starts_on": "2026-05-06", "ends_on": "2026-05-12", "time_limit_secs": 1}),
        )
        .await;
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let mut roster = wait_ready(&owner, &g, &rid).await;
    let set = async |roster: &Value, date: &str, on: bool| -> Value {
        let r = owner
            .put(
                &format!("/api/v1/groups/{g}/rosters/{rid}/cells"),
                json!({"user_id": b, "date": date, "shift_type_id": if on { Some(day.clone()) } else { None }, "version": roster["version"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    };
    // B works only Sunday 10 and Monday 11 of the seven days: two weeks, no breach of "at most
    // one a week" (other violations are headcount, which is not what this checks).
    for d in 6..=12 {
        let on = d == 10 || d == 11;
        if shift_of(&roster, &b, &format!("2026-05-{d:02}")).is_some() != on {
            roster = set(&roster, &format!("2026-05-{d:02}"), on).await;
        }
    }
    let weekly = |roster: &Value| -> i64 {
        roster["evaluation"]["by_rule"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["label"].as_str().unwrap().contains("매주(월요일 시작)"))
            .map(|r| r["hard_units"].as_i64().unwrap())
            .sum()
    };
    let mine = |roster: &Value| -> Vec<String> {
        roster["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["user_id"] == b.as_str())
            .flat_map(|c| c["problems"].as_array().unwrap().iter())
            .filter_map(|p| p.as_str().filter(|p| p.contains("매주")).map(str::to_owned))
            .collect()
    };
    assert!(
        mine(&roster).is_empty(),
        "Sunday and Monday are two weeks: {:?}",
        mine(&roster)
    );
    let base = weekly(&roster);
    // Saturday 9 and Sunday 10 are one week: one shift too many.
    roster = set(&roster, "2026-05-09", true).await;
    assert_eq!(weekly(&roster), base + 1);
    assert!(!mine(&roster).is_empty());
    // The calendar shows weeks as the viewer's language starts them (display only): in Korean
    // Sunday first (일 월 화 …), so Sunday 10 opens the second row; in English Monday first,
    // so Sunday 10 ends the first row and Monday 11 opens the next. Both say how rules count.
    web_login(&owner, "boss@x.io").await;
    let calendar = async || {
        let page = owner.get(&format!("/groups/{g}/rosters/{rid}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let cal = section(&page.text, "calendar").to_owned();
        let heads: Vec<String> = cal
            .split("<th scope=\"col\">")
            .skip(1)
            .map(|h| h[..h.find("</th>").unwrap()].to_owned())
            .collect();
        let weeks: Vec<Vec<String>> = cal
            .split("<tr>")
            .skip(2)
            .map(|tr| {
                tr.split("data-date=\"")
                    .skip(1)
                    .map(|d| d[..10].to_owned())
                    .collect()
            })
            .collect();
        (heads, weeks, text_of(&cal))
    };
    let (heads, weeks, text) = calendar().await;
    assert_eq!(heads, ["일", "월", "화", "수", "목", "금", "토"]);
    let day = |w: &[String]| -> Vec<String> { w.iter().map(|d| d[8..].to_owned()).collect() };
    assert_eq!(weeks.len(), 2);
    assert_eq!(day(&weeks[0]), ["03", "04", "05", "06", "07", "08", "09"]);
    assert_eq!(day(&weeks[1]), ["10", "11", "12", "13", "14", "15", "16"]);
    assert!(
        text.contains(
            "달력은 일요일부터 표시합니다. 주 단위 조건은 월요일부터 일요일까지를 한 주로 셉니다."
        ),
        "{text}"
    );
    owner
        .get(&format!("/lang/en?next=/groups/{g}/rosters/{rid}"))
        .await;
    let (heads, weeks, text) = calendar().await;
    assert_eq!(heads, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
    assert_eq!(weeks.len(), 2);
    assert_eq!(day(&weeks[0]), ["04", "05", "06", "07", "08", "09", "10"]);
    assert_eq!(day(&weeks[1]), ["11", "12", "13", "14", "15", "16", "17"]);
    assert!(text.contains("Monday-to-Sunday weeks"), "{text}");
    // The leave picker too: Friday 1 May 2026 is in the fifth column in English (Mon first)…
    let picker = async || {
        let page = owner
            .get(&format!("/groups/{g}/rosters/setup?month=2026-05"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let t = &page.text[page.text.find("data-month=\"2026-05\"").unwrap()..];
        let t = &t[..t.find("</table>").unwrap()];
        let heads: Vec<String> = t
            .split("<th scope=\"col\">")
            .skip(1)
            .map(|h| h[..h.find("</th>").unwrap()].to_owned())
            .collect();
        let first_row = &t[t.find("<tbody>").unwrap()..];
        let first_row = &first_row[..first_row.find("</tr>").unwrap()];
        let column = first_row[..first_row.find("value=\"2026-05-01\"").unwrap()]
            .matches("<td>")
            .count()
            - 1;
        (heads, column)
    };
    let (heads, column) = picker().await;
    assert_eq!(heads[0], "Mon");
    assert_eq!(column, 4);
    // …and in the sixth in Korean (Sunday first).
    owner
        .get(&format!("/lang/ko?next=/groups/{g}/rosters/{rid}"))
        .await;
    let (heads, column) = picker().await;
    assert_eq!(heads[0], "일");
    assert_eq!(column, 5);
}

#[tokio::test]
async fn a_manager_renames_and_deletes_a_roster_and_copies_its_share_link() {
    let app = super::app().await;
    let (g, owner, members) = team(&app, 2, "Asia/Seoul").await;
    let outsider = app.user("out@x.io", "outsider").await;
    add_shift(&owner, &g, "주간", "07:00", "15:00", 1).await;
    let r = owner
        .post(
            &format!("/api/v1/groups/{g}/rosters"),
            json!({"name": "5월", "starts_on": "2026-05-01", "ends_on": "2026-05-07", "time_limit_secs": 1}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let rid = r.json["id"].as_str().unwrap().to_owned();
    let before = wait_ready(&owner, &g, &rid).await;
    let path = format!("/api/v1/groups/{g}/rosters/{rid}");
    // Only managers rename; outsiders do not even see the roster; a blank name is a field error.
    let r = members[0].patch(&path, json!({"name": "x"})).await;
    assert_eq!(r.code(), "manager_only", "{}", r.text);
    assert_eq!(
        outsider.patch(&path, json!({"name": "x"})).await.status,
        404
    );
    let r = owner.patch(&path, json!({"name": "   "})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["field"], "name");
    let r = owner
        .patch(&path, json!({"name": "5월 근무표 (확정)"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["name"], "5월 근무표 (확정)");
    assert_eq!(
        r.json["cells"], before["cells"],
        "renaming keeps the roster"
    );
    let list = members[0]
        .get(&format!("/api/v1/groups/{g}/rosters"))
        .await
        .text;
    assert!(list.contains("5월 근무표 (확정)"), "{list}");
    // On the page: rename, then share and copy the public link (also from the public page,
    // which shows the roster once published).
    let r = owner
        .post(
            &format!("{path}/publish"),
            json!({"version": owner.get(&path).await.json["version"]}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    web_login(&owner, "boss@x.io").await;
    let r = owner
        .form(
            &format!("/groups/{g}/rosters/{rid}/rename"),
            &[("name", "6월")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(owner.get(&path).await.json["name"], "6월");
    let r = owner
        .form(&format!("/groups/{g}/rosters/{rid}/share"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let link = owner.get(&path).await.json["share_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let copy_value = |html: &str| -> String {
        let at = html
            .find(r#"id="share-url""#)
            .unwrap_or_else(|| panic!("the link to copy in {html}"));
        let input = &html[html[..at].rfind("<input").unwrap()..];
        let v = &input[input.find("value=\"").unwrap() + 7..];
        v[..v.find('"').unwrap()].to_owned()
    };
    let page = owner.get(&format!("/groups/{g}/rosters/{rid}")).await;
    assert!(page.text.contains(r#"id="copy-share""#));
    let copied = copy_value(&page.text);
    assert!(
        copied.starts_with("http") && copied.ends_with(&link),
        "{copied} for {link}"
    );
    let public = app.client().get(&link).await;
    assert_eq!(public.status, 200);
    assert_eq!(copy_value(&public.text), copied);
    // A member cannot delete it from the page; the manager can, and it is gone.
    web_login(&members[0], "m0@x.io").await;
    let r = members[0]
        .form(&format!("/groups/{g}/rosters/{rid}/delete"), &[])
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(owner.get(&path).await.status, 200);
    let r = owner
        .form(&format!("/groups/{g}/rosters/{rid}/delete"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        r.header("location"),
        Some(format!("/groups/{g}/rosters").as_str())
    );
    assert_eq!(owner.get(&path).await.status, 404);
    assert_eq!(
        app.client().get(&link).await.status,
        404,
        "the link dies with it"
    );
}
