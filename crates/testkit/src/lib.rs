//! Test support: an app on a fresh database per test, an HTTP client with a cookie jar that talks
//! to the router in-process, the mail outbox, and a real server on port 0 for browser tests.
//!
//! The backend comes from `MOIM_TEST_DATABASE_URL`: unset means a fresh SQLite file per test;
//! a `postgres://` URL (pointing at any database the user may `CREATE DATABASE` from) means a
//! fresh PostgreSQL database per test, dropped when the test ends. Logs stay silent unless
//! `TEST_LOG` is set.
//!
//! # Layout
//! - [`TestApp`]: build, call, read the outbox, sign users up.
//! - [`Client`]: requests with a cookie jar and the CSRF dance a browser would do.
//! - [`Reply`]: status, headers and body of a response.
#![forbid(unsafe_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use moim_store::Db;
use moim_web::{AppState, WebConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower::ServiceExt as _;

pub use serde_json::json;

/// An app on its own database and data folder.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: Db,
    pub dir: PathBuf,
    pg_drop: Option<(String, String)>,
}

fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(if filter.is_empty() {
                    "info".into()
                } else {
                    filter
                }))
                .with_test_writer()
                .try_init();
        }
    });
}

/// The PostgreSQL URL for tests, when the PostgreSQL suite is requested.
pub fn postgres_url() -> Option<String> {
    std::env::var("MOIM_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(tweak: impl FnOnce(&mut WebConfig)) -> Self {
        init_logs();
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("moim-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (db, pg_drop) = match postgres_url() {
            Some(admin_url) => {
                let name = format!("moim_test_{id}");
                let admin =
                    moim_store::connect(&admin_url, &moim_store::PoolConfig { max_connections: 1 })
                        .await
                        .expect("connect to MOIM_TEST_DATABASE_URL");
                if let Db::Postgres(pool) = &admin {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(pool)
                        .await
                        .expect("create test database");
                }
                admin.close().await;
                let url = replace_db_name(&admin_url, &name);
                let db = moim_store::connect(
                    &url,
                    &moim_store::PoolConfig {
                        max_connections: 20,
                    },
                )
                .await
                .expect("connect test database");
                (db, Some((admin_url, name)))
            }
            None => {
                let url = format!("sqlite://{}", dir.join("moim.db").display());
                (
                    moim_store::connect(&url, &moim_store::PoolConfig { max_connections: 8 })
                        .await
                        .expect("sqlite"),
                    None,
                )
            }
        };
        moim_store::migrate(&db).await.expect("migrate");
        let mut cfg = WebConfig::for_tests(dir.clone());
        tweak(&mut cfg);
        let state = AppState::new(db.clone(), cfg).await.expect("state");
        let router = moim_web::app(state.clone());
        TestApp {
            router,
            state,
            db,
            dir,
            pg_drop,
        }
    }

    /// A second instance on the same database (its own state, router, real-time hub and data
    /// folder), like another `moim serve` sharing the database. Dropping it leaves the database.
    pub async fn sibling(&self, tweak: impl FnOnce(&mut WebConfig)) -> TestApp {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("moim-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut cfg = self.state.config.clone();
        cfg.data_dir = dir.clone();
        tweak(&mut cfg);
        let state = AppState::new(self.db.clone(), cfg).await.expect("state");
        let router = moim_web::app(state.clone());
        TestApp {
            router,
            state,
            db: self.db.clone(),
            dir,
            pg_drop: None,
        }
    }

    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// A new client (its own cookie jar, like a separate browser).
    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            jar: Arc::new(Mutex::new(BTreeMap::new())),
            bearer: None,
        }
    }

    /// Every e-mail written to the outbox so far, oldest first, as raw RFC 5322 text.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.dir.join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|raw| decode_mail(&raw))
            .collect()
    }

    /// The latest six-digit code mailed to `email`.
    pub fn last_code(&self, email: &str) -> String {
        let mail = self
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("To: {email}")))
            .unwrap_or_else(|| panic!("no mail to {email}"));
        find_code(&mail).unwrap_or_else(|| panic!("no code in mail to {email}"))
    }

    /// The latest reset link token mailed to `email`.
    pub fn last_reset_token(&self, email: &str) -> String {
        let mail = self
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("To: {email}")) && m.contains("/reset/"))
            .unwrap_or_else(|| panic!("no reset mail to {email}"));
        let start = mail.find("/reset/").expect("link") + "/reset/".len();
        mail[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// Signs up and verifies a user through the API; returns a client holding an access token.
    pub async fn user(&self, email: &str, nickname: &str) -> Client {
        let c = self.client();
        let r = c
            .post(
                "/api/v1/auth/signup",
                json!({"email": email, "password": "correct horse 9", "nickname": nickname}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "signup {email}: {}", r.text);
        let code = self.last_code(email);
        let r = c
            .post("/api/v1/auth/verify", json!({"email": email, "code": code}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "verify {email}: {}", r.text);
        let r = c
            .post(
                "/api/v1/auth/token",
                json!({"grant_type": "password", "email": email, "password": "correct horse 9"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "token {email}: {}", r.text);
        let token = r.json["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        c.with_bearer(&token)
    }

    /// A verified user created directly in the store, with a bearer token: for tests that need
    /// many users at once (sign-up over HTTP is rate limited per address).
    pub async fn quick_user(&self, nickname: &str) -> (Client, uuid::Uuid) {
        let email = format!("{}@quick.test", uuid::Uuid::now_v7().simple());
        let id = moim_store::accounts::create_user(
            &self.db,
            &moim_store::accounts::NewUser {
                email: &email,
                password_hash: "x",
                nickname,
                nickname_key: &format!(
                    "{}-{}",
                    nickname.to_lowercase(),
                    uuid::Uuid::now_v7().simple()
                ),
                locale: "ko",
                time_zone: "Asia/Seoul",
            },
        )
        .await
        .expect("create user");
        moim_store::accounts::mark_verified(&self.db, id)
            .await
            .expect("verify");
        let user = moim_store::accounts::user_by_id(&self.db, id)
            .await
            .expect("load user")
            .expect("user");
        let token = self
            .state
            .tokens
            .issue(&user, std::time::Duration::from_secs(3600))
            .expect("token");
        (self.client().with_bearer(&token), id)
    }

    /// Serves the app on 127.0.0.1 with a random port, for browser tests and load tests.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = self.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        addr
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.pg_drop.take() {
            // Drop cannot await, and the test's own runtime is blocked while we wait here, so a
            // short-lived runtime on another thread drops the database. FORCE ends the test
            // pool's connections (closing that pool would need the blocked runtime).
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(Db::Postgres(pool)) = moim_store::connect(
                        &admin_url,
                        &moim_store::PoolConfig { max_connections: 1 },
                    )
                    .await
                    {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&pool)
                        .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let mut out = match path_start {
        Some(i) => format!("{}/{}", &base[..i], name),
        None => format!("{base}/{name}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A raw RFC 5322 message with its MIME parts decoded (base64 and quoted-printable), so tests can
/// search the text a person would read.
pub fn decode_mail(raw: &str) -> String {
    use base64::Engine as _;
    let raw = raw.replace("\r\n", "\n");
    let mut out = String::new();
    for section in raw.split("\n--") {
        let (head, body) = section.split_once("\n\n").unwrap_or((section, ""));
        out.push_str(head);
        out.push('\n');
        let lower = head.to_ascii_lowercase();
        if lower.contains("content-transfer-encoding: base64") {
            let compact: String = body
                .lines()
                .take_while(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("");
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.trim()) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        } else if lower.contains("content-transfer-encoding: quoted-printable") {
            out.push_str(&decode_qp(body));
        } else {
            out.push_str(body);
        }
        out.push('\n');
    }
    out
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first run of exactly six digits in a mail body.
pub fn find_code(mail: &str) -> Option<String> {
    let bytes: Vec<char> = mail.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let after_ok = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
            if i - start == 6 && before_ok && after_ok {
                return Some(bytes[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON, or `Null`.
    pub json: Value,
    /// The raw body (binary downloads).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
    /// The problem `code` of an error response.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
}

/// An in-process HTTP client with a cookie jar.
#[derive(Clone)]
pub struct Client {
    router: Router,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
    bearer: Option<String>,
}

impl Client {
    pub fn with_bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }
    pub fn bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().ok()?.get(name).cloned()
    }
    pub fn set_cookie(&self, name: &str, value: &str) {
        if let Ok(mut j) = self.jar.lock() {
            j.insert(name.into(), value.into());
        }
    }

    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        let cookies = self
            .jar
            .lock()
            .map(|j| {
                j.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        if !cookies.is_empty() && !req.headers().contains_key(header::COOKIE) {
            req.headers_mut().insert(
                header::COOKIE,
                HeaderValue::from_str(&cookies).expect("cookie header"),
            );
        }
        if let Some(t) = &self.bearer
            && !req.headers().contains_key(header::AUTHORIZATION)
        {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {t}")).expect("auth"),
            );
        }
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut()
                .insert(header::HOST, HeaderValue::from_static("localhost"));
        }
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("infallible router");
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            if let Ok(s) = v.to_str()
                && let Some((kv, _)) = s.split_once(';').or(Some((s, "")))
                && let Some((k, v)) = kv.split_once('=')
                && let Ok(mut j) = self.jar.lock()
            {
                if v.is_empty() || s.contains("Max-Age=0") {
                    j.remove(k.trim());
                } else {
                    j.insert(k.trim().to_owned(), v.to_owned());
                }
            }
        }
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut b = Request::builder().method(method).uri(path);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }
    /// A raw body with a content type (for malformed-input tests).
    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: &str) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(req).await
    }

    /// A `multipart/form-data` upload of one file part.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        field: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "----moimtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Submits an HTML form the way a browser on our own pages does: it first loads a page to
    /// get the CSRF cookie, then posts the fields plus `_csrf`.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.cookie("moim_csrf").is_none() {
            self.get("/healthz").await;
        }
        let token = self.cookie("moim_csrf").unwrap_or_default();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &token));
        let body = serde_urlencoded::to_string(&all).expect("form");
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://localhost")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }
}
