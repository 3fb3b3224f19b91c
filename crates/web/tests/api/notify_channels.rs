//! Web Push and SMS: a local HTTP server stands in for the push service and the SMS gateway.
//! The push contract test decrypts what moim sent with the subscription's private key (RFC 8291)
//! and checks the VAPID token's signature with the server's public key (RFC 8292).

use crate::notify::{inbox, notice, runner, user_id};
use axum::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use moim_testkit::{Client, TestApp, json};
use moim_web::flows::notify;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, agreement, hmac, signature};
use std::sync::{Arc, Mutex};

/// One request the fake push service / SMS gateway received.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A local stand-in for a push service and an SMS gateway: answers 410 under `/gone`, 503 under
/// `/fail`, 400 under `/bad` and 201 otherwise, and records every request.
struct FakeRemote {
    addr: std::net::SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl FakeRemote {
    async fn start() -> Self {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let h = hits.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let h = h.clone();
            async move {
                let path = req.uri().path().to_owned();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                    .collect();
                let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                    .await
                    .unwrap()
                    .to_vec();
                h.lock().unwrap().push(Hit {
                    path: path.clone(),
                    headers,
                    body,
                });
                let status = if path.starts_with("/gone") {
                    410
                } else if path.starts_with("/fail") {
                    503
                } else if path.starts_with("/bad") {
                    400
                } else {
                    201
                };
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self, prefix: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

/// A browser's side of a push subscription: its ECDH key (usable for one message, as ring's
/// ephemeral keys are) and auth secret.
struct Browser {
    key: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let key = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).unwrap();
        let public = key.compute_public_key().unwrap().as_ref().to_vec();
        let mut auth = [0u8; 16];
        rng.fill(&mut auth).unwrap();
        Self { key, public, auth }
    }

    async fn subscribe(&self, c: &Client, endpoint: &str) {
        let r = c
            .post(
                "/api/v1/notifications/push/subscriptions",
                json!({"endpoint": endpoint, "keys": {"p256dh": B64.encode(&self.public), "auth": B64.encode(self.auth)}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// Decrypts an `aes128gcm` body (RFC 8188 framing, RFC 8291 keys) the way a browser does.
    fn decrypt(self, body: &[u8]) -> Vec<u8> {
        let salt = &body[..16];
        let rs = u32::from_be_bytes(body[16..20].try_into().unwrap());
        let idlen = body[20] as usize;
        let as_public = &body[21..21 + idlen];
        let ciphertext = &body[21 + idlen..];
        assert_eq!(idlen, 65, "the key id is the sender's P-256 point");
        assert!(ciphertext.len() <= rs as usize, "one record");
        let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, as_public);
        let ecdh = agreement::agree_ephemeral(self.key, &peer, |s| s.to_vec()).unwrap();
        let hkdf = |salt: &[u8], ikm: &[u8], info: &[u8], len: usize| -> Vec<u8> {
            let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, salt), ikm);
            let mut input = info.to_vec();
            input.push(1);
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref()), &input).as_ref()[..len]
                .to_vec()
        };
        let mut key_info = b"WebPush: info\0".to_vec();
        key_info.extend_from_slice(&self.public);
        key_info.extend_from_slice(as_public);
        let ikm = hkdf(&self.auth, &ecdh, &key_info, 32);
        let cek = hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", 16);
        let nonce = hkdf(salt, &ikm, b"Content-Encoding: nonce\0", 12);
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).unwrap());
        let mut buf = ciphertext.to_vec();
        let plain = key
            .open_in_place(
                aead::Nonce::try_assume_unique_for_key(&nonce).unwrap(),
                aead::Aad::empty(),
                &mut buf,
            )
            .expect("the payload decrypts with the subscription's key")
            .to_vec();
        // Strip padding: the last non-zero byte is the delimiter, 2 for the last record.
        let end = plain.iter().rposition(|b| *b != 0).unwrap();
        assert_eq!(plain[end], 2, "last-record delimiter");
        plain[..end].to_vec()
    }
}

/// Checks the `Authorization: vapid t=<jwt>, k=<key>` header and returns the JWT claims.
fn verify_vapid(hit: &Hit, server_key: &str) -> serde_json::Value {
    let auth = hit.header("authorization").expect("Authorization header");
    let rest = auth.strip_prefix("vapid ").expect("vapid scheme");
    let mut t = None;
    let mut k = None;
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').unwrap();
        match name {
            "t" => t = Some(value.to_owned()),
            "k" => k = Some(value.to_owned()),
            _ => {}
        }
    }
    let (t, k) = (t.expect("t="), k.expect("k="));
    assert_eq!(k, server_key, "k is the key browsers subscribed with");
    let parts: Vec<&str> = t.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let public = B64.decode(&k).unwrap();
    let sig = B64.decode(parts[2]).unwrap();
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &public)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("the VAPID signature verifies with the server's public key");
    // A token signed by anyone else does not verify.
    let mut forged = sig.clone();
    forged[10] ^= 1;
    assert!(
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &forged)
            .is_err()
    );
    serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap()
}

async fn server_key(c: &Client) -> String {
    let r = c.get("/api/v1/notifications/push/key").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let k = r.json["public_key"].as_str().unwrap().to_owned();
    assert_eq!(B64.decode(&k).unwrap().len(), 65);
    k
}

#[tokio::test]
async fn web_push_contract_the_payload_decrypts_and_the_vapid_token_verifies() {
    let remote = FakeRemote::start().await;
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let key = server_key(&ac).await;
    // The key is stored: a second app on the same database (another instance) signs alike.
    let again = t.sibling(|_| {}).await;
    assert_eq!(again.state.vapid.public_key(), key);

    let browser = Browser::new();
    browser.subscribe(&ac, &remote.url("/push/alice-1")).await;
    let mut n = notice(a, None, "Your shift starts at 9");
    n.link = "/groups".into();
    // Bob, notified in the same call, has no subscription: no push job for him.
    let b = user_id(&t.user("b@example.com", "bob").await).await;
    notify::notify(&t.state, vec![n, notice(b, None, "for bob")])
        .await
        .unwrap();
    let bobs = inbox(&t, b).await[0].id;
    assert!(
        moim_store::jobs::get_by_key(&t.db, &format!("push:{bobs}"))
            .await
            .unwrap()
            .is_none()
    );
    runner(&t).drain().await.unwrap();

    let hits = remote.hits("/push/");
    assert_eq!(hits.len(), 1, "one push to the one subscription");
    let hit = &hits[0];
    assert_eq!(hit.header("content-encoding"), Some("aes128gcm"));
    assert!(
        hit.header("ttl")
            .is_some_and(|v| v.parse::<u32>().unwrap() > 0)
    );
    let claims = verify_vapid(hit, &key);
    assert_eq!(claims["aud"], format!("http://{}", remote.addr));
    assert_eq!(claims["sub"], "mailto:no-reply@moim.local");
    let exp = claims["exp"].as_i64().unwrap();
    let now = moim_core::time::now_millis() / 1000;
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp within 24 h: {exp}"
    );

    let plain = browser.decrypt(&hit.body);
    let msg: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(msg["title"], "Your shift starts at 9");
    assert_eq!(msg["body"], "Your shift starts at 9 body");
    assert_eq!(msg["url"], "/groups");
    assert_eq!(msg["id"], inbox(&t, a).await[0].id.to_string());

    // The runner's metrics count the job per kind and time it.
    let m = ac.get("/metrics").await;
    assert!(
        m.text
            .contains("moim_jobs_claimed_total{kind=\"notify.push\"}"),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("moim_jobs_succeeded_total{kind=\"notify.push\"}"),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("moim_job_duration_seconds_bucket{kind=\"notify.push\""),
        "{}",
        m.text
    );
}

#[tokio::test]
async fn gone_subscriptions_are_removed_and_what_was_read_in_the_app_is_not_pushed() {
    let remote = FakeRemote::start().await;
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let (ok, gone) = (Browser::new(), Browser::new());
    ok.subscribe(&ac, &remote.url("/push/ok")).await;
    gone.subscribe(&ac, &remote.url("/gone/1")).await;
    assert_eq!(
        moim_store::notifications::push_subscriptions(&t.db, a)
            .await
            .unwrap()
            .len(),
        2
    );
    notify::notify(&t.state, vec![notice(a, None, "one")])
        .await
        .unwrap();
    runner(&t).drain().await.unwrap();
    assert_eq!(remote.hits("/push/ok").len(), 1);
    assert_eq!(remote.hits("/gone/").len(), 1);
    let left = moim_store::notifications::push_subscriptions(&t.db, a)
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "the 410 subscription is deleted");
    assert!(left[0].endpoint.ends_with("/push/ok"));

    // Read in the app before the push job ran: nothing is pushed.
    notify::notify(&t.state, vec![notice(a, None, "two")])
        .await
        .unwrap();
    let id = inbox(&t, a).await[0].id;
    assert_eq!(
        ac.post(&format!("/api/v1/notifications/{id}/read"), json!({}))
            .await
            .status,
        204
    );
    runner(&t).drain().await.unwrap();
    assert_eq!(
        remote.hits("/push/ok").len(),
        1,
        "a read notification was pushed"
    );

    // A push service in trouble: the job is retried, not lost.
    let flaky = Browser::new();
    flaky.subscribe(&ac, &remote.url("/fail/1")).await;
    notify::notify(&t.state, vec![notice(a, None, "three")])
        .await
        .unwrap();
    let id = inbox(&t, a).await[0].id;
    runner(&t).drain().await.unwrap();
    let job = moim_store::jobs::get_by_key(&t.db, &format!("push:{id}"))
        .await
        .unwrap()
        .expect("push job");
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("queued", 1),
        "{job:?}"
    );

    // Unsubscribing is per user and per endpoint.
    let bc = t.user("b@example.com", "bob").await;
    let r = bc
        .request(
            Method::DELETE,
            "/api/v1/notifications/push/subscriptions",
            Some(json!({"endpoint": remote.url("/push/ok")})),
        )
        .await;
    assert_eq!(r.status, 404, "bob cannot remove alice's subscription");
    let r = ac
        .request(
            Method::DELETE,
            "/api/v1/notifications/push/subscriptions",
            Some(json!({"endpoint": remote.url("/push/ok")})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn bad_subscriptions_and_phone_numbers_are_refused_with_field_errors() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let b = Browser::new();
    for (endpoint, p256dh, field) in [
        (
            "http://push.example.com/x",
            B64.encode(&b.public),
            "endpoint",
        ),
        ("javascript:alert(1)", B64.encode(&b.public), "endpoint"),
        ("https://push.example.com/x", B64.encode([4u8; 65]), "keys"),
        (
            "https://push.example.com/x",
            "not base64!".to_owned(),
            "keys",
        ),
    ] {
        let r = ac
            .post(
                "/api/v1/notifications/push/subscriptions",
                json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": B64.encode(b.auth)}}),
            )
            .await;
        assert_eq!(r.status, 422, "{endpoint}: {}", r.text);
        assert_eq!(r.json["errors"][0]["field"], field, "{}", r.text);
    }
    let r = ac
        .request(
            Method::PUT,
            "/api/v1/notifications/phone",
            Some(json!({"phone": "12-34"})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"][0]["code"], "invalid_phone");
    let r = ac
        .request(
            Method::PUT,
            "/api/v1/notifications/phone",
            Some(json!({"phone": "010-1234-5678"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["phone"], "+821012345678");
    assert_eq!(
        ac.get("/api/v1/notifications/phone").await.json["phone"],
        "+821012345678"
    );
    let r = ac
        .request(
            Method::PUT,
            "/api/v1/notifications/phone",
            Some(json!({"phone": null})),
        )
        .await;
    assert_eq!(r.json["phone"], serde_json::Value::Null);
    assert_eq!(
        t.client()
            .get("/api/v1/notifications/push/key")
            .await
            .status,
        401
    );
}

async fn set_pref(c: &Client, category: &str, channel: &str, enabled: bool) {
    let r = c
        .request(
            Method::PUT,
            "/api/v1/notifications/preferences",
            Some(json!({"category": category, "channel": channel, "enabled": enabled})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn mails_to(t: &TestApp, email: &str) -> usize {
    t.outbox()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("[moim]"))
        .count()
}

/// The RECIPIENT's preference decides, on every channel; the author's never does; the app
/// always shows it.
#[tokio::test]
async fn a_category_turned_off_sends_no_email_push_or_sms_but_stays_in_the_app() {
    let remote = FakeRemote::start().await;
    let sms_url = remote.url("/sms/send");
    let t = TestApp::with_config(|c| {
        c.notify_email_delay = std::time::Duration::ZERO;
        c.sms_url = Some(sms_url);
        c.sms_key = Some("sk-test".into());
    })
    .await;
    let ac = t.user("a@example.com", "alice").await; // the author
    let bc = t.user("b@example.com", "bob").await; // the recipient
    let (a, b) = (user_id(&ac).await, user_id(&bc).await);
    let r = bc
        .request(
            Method::PUT,
            "/api/v1/notifications/phone",
            Some(json!({"phone": "+82 10 9876 5432"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The author turned everything off for the category: bob still gets all channels.
    for ch in ["email", "push", "sms"] {
        set_pref(&ac, "system", ch, false).await;
    }
    let first = Browser::new();
    first.subscribe(&bc, &remote.url("/push/bob")).await;
    notify::notify(&t.state, vec![notice(b, Some(a), "Roster published")])
        .await
        .unwrap();
    runner(&t).drain().await.unwrap();
    assert_eq!(mails_to(&t, "b@example.com"), 1, "e-mail");
    assert_eq!(remote.hits("/push/bob").len(), 1, "push");
    let sms = remote.hits("/sms/");
    assert_eq!(sms.len(), 1, "SMS");
    assert_eq!(sms[0].header("authorization"), Some("Bearer sk-test"));
    let text: serde_json::Value = serde_json::from_slice(&sms[0].body).unwrap();
    assert_eq!(text["to"], "+821098765432");
    assert!(
        text["text"].as_str().unwrap().contains("Roster published"),
        "{text}"
    );
    let msg: serde_json::Value =
        serde_json::from_slice(&first.decrypt(&remote.hits("/push/bob")[0].body)).unwrap();
    assert_eq!(msg["title"], "Roster published");

    // Now the recipient turns the category off on every channel.
    for ch in ["email", "push", "sms"] {
        set_pref(&bc, "system", ch, false).await;
    }
    let second = Browser::new();
    second.subscribe(&bc, &remote.url("/push/bob-2")).await;
    notify::notify(&t.state, vec![notice(b, Some(a), "Roster changed")])
        .await
        .unwrap();
    runner(&t).drain().await.unwrap();
    assert_eq!(mails_to(&t, "b@example.com"), 1, "no new e-mail");
    assert_eq!(remote.hits("/push/").len(), 1, "no new push");
    assert_eq!(remote.hits("/sms/").len(), 1, "no new SMS");
    let list = bc.get("/api/v1/notifications").await;
    let titles: Vec<&str> = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Roster changed", "Roster published"],
        "both are in the app"
    );

    // Another category stays on.
    set_pref(&bc, "system", "sms", true).await;
    notify::notify(&t.state, vec![notice(b, Some(a), "Back on")])
        .await
        .unwrap();
    runner(&t).drain().await.unwrap();
    assert_eq!(remote.hits("/sms/").len(), 2, "SMS on again");
    assert_eq!(remote.hits("/push/").len(), 1);
    drop(second);
}

#[tokio::test]
async fn sms_gateway_errors_retry_and_refusals_are_not_retried() {
    let remote = FakeRemote::start().await;
    for (path, status, attempts) in [("/fail/sms", "queued", 1), ("/bad/sms", "dead", 1)] {
        let url = remote.url(path);
        let t = TestApp::with_config(|c| c.sms_url = Some(url)).await;
        let ac = t.user("a@example.com", "alice").await;
        let a = user_id(&ac).await;
        let r = ac
            .request(
                Method::PUT,
                "/api/v1/notifications/phone",
                Some(json!({"phone": "+14155550100"})),
            )
            .await;
        assert_eq!(r.status, 200);
        notify::notify(&t.state, vec![notice(a, None, "hi")])
            .await
            .unwrap();
        let id = inbox(&t, a).await[0].id;
        runner(&t).drain().await.unwrap();
        let job = moim_store::jobs::get_by_key(&t.db, &format!("sms:{id}"))
            .await
            .unwrap()
            .expect("sms job");
        assert_eq!(
            (job.status.as_str(), job.attempts),
            (status, attempts),
            "{path}: {job:?}"
        );
    }
    assert_eq!(remote.hits("/fail/").len(), 1);
    assert_eq!(remote.hits("/bad/").len(), 1);
}

#[tokio::test]
async fn the_settings_page_saves_switches_and_a_phone_and_serves_the_service_worker() {
    let t = TestApp::new().await;
    let ac = t.user("a@example.com", "alice").await;
    let a = user_id(&ac).await;
    let page = ac.get("/notifications/settings").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("알림 설정"), "Korean by default");
    assert!(page.text.contains("name=\"meetup.push\""));
    // Everything on except meetup push.
    let mut fields: Vec<(String, String)> = Vec::new();
    for c in notify::CATEGORIES {
        for ch in notify::CHANNELS {
            if (c, ch) != ("meetup", "push") {
                fields.push((format!("{c}.{ch}"), "on".into()));
            }
        }
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = ac.form("/notifications/settings", &refs).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(
        !moim_store::notifications::channel_enabled(&t.db, a, "meetup", "push")
            .await
            .unwrap()
    );
    assert!(
        moim_store::notifications::channel_enabled(&t.db, a, "meetup", "email")
            .await
            .unwrap()
    );
    let r = ac
        .form("/notifications/settings/phone", &[("phone", "12")])
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("010-1234-5678"),
        "the page explains the format"
    );
    let r = ac
        .form(
            "/notifications/settings/phone",
            &[("phone", "010 2222 3333")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        ac.get("/notifications/settings")
            .await
            .text
            .contains("+821022223333")
    );

    let sw = t.client().get("/sw.js").await;
    assert_eq!(sw.status, 200);
    assert!(sw.header("content-type").unwrap().contains("javascript"));
    assert_eq!(sw.header("service-worker-allowed"), Some("/"));
    assert!(sw.text.contains("showNotification"));
}
