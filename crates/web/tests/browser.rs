//! Real-browser tests: headless Chromium driven through chromedriver with fantoccini.
//!
//! They walk the flow a person walks — sign up, verify the mailed code, log out and in again,
//! create a group, invite, and join from a second browser — in a desktop and a phone viewport.
//! They need Chromium and its driver (Debian: `apt-get install chromium chromium-driver`) and run
//! only when `MOIM_CHROMEDRIVER` names the driver binary; otherwise each test says so on stderr
//! and passes, so `cargo test` works on a machine without a browser.
//!
//! - `MOIM_CHROMEDRIVER=/usr/bin/chromedriver`: run the browser tests.
//! - `MOIM_CHROMIUM`: the browser binary (default `/usr/bin/chromium`).
//! - `MOIM_SCREENSHOT_DIR`: save a full-page PNG of every step, and a tour of every page in
//!   Korean and English at 1280, 390 and 360 px, for people reviewing the UI.
//! - `MOIM_TEST_DATABASE_URL`: run the app on PostgreSQL instead of SQLite (see moim-testkit).
//!
//! # Layout
//! - [`Driver`]: chromedriver on a free port, killed together with its browsers when dropped.
//! - [`Browser`]: one WebDriver session with its own profile directory, so its own cookies.
//! - [`invite_sign_up_and_join`]: the scenario, run once per [`Viewport`].
//! - [`tour`]: the screenshot tour.

use fantoccini::{Client, ClientBuilder, Locator};
use moim_testkit::{TestApp, find_code};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one expectation (an element, a navigation, a mail) may take. Generous because
/// CI machines are shared; a passing run never waits this long.
const TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);
const PASSWORD: &str = "blue lantern 42";

#[derive(Clone, Copy, Debug)]
struct Viewport {
    name: &'static str,
    width: u32,
    height: u32,
}

const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
};
const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
};
/// The narrowest phone we promise to support; only used by the screenshot tour.
const SMALL_PHONE: Viewport = Viewport {
    name: "small",
    width: 360,
    height: 740,
};

/// Desktop and phone; with `MOIM_SCREENSHOT_DIR` set, the 360 px phone too, so a review sees
/// every step of a flow at the narrowest width we support.
fn review_viewports() -> Vec<Viewport> {
    let mut v = vec![DESKTOP, PHONE];
    if std::env::var_os("MOIM_SCREENSHOT_DIR").is_some_and(|d| !d.is_empty()) {
        v.push(SMALL_PHONE);
    }
    v
}

/// chromedriver on its own port. It runs in its own process group so that dropping the guard
/// (also when a test panics half-way) takes the browsers it started down with it.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts the driver named by `MOIM_CHROMEDRIVER`, or returns `None` (and says why) when the
    /// variable is unset.
    fn start(test: &str) -> Option<Driver> {
        let Some(bin) = std::env::var_os("MOIM_CHROMEDRIVER").filter(|v| !v.is_empty()) else {
            eprintln!(
                "{test}: skipped: set MOIM_CHROMEDRIVER=/usr/bin/chromedriver to run the browser tests"
            );
            return None;
        };
        let port = free_port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start chromedriver {}: {e}",
                    PathBuf::from(&bin).display()
                )
            });
        let mut driver = Driver { child, port };
        driver.wait_until_ready();
        Some(driver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET /status` until the driver says it is ready.
    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited before it was ready: {status}");
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.write_all(
                    b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                )
                .is_ok()
                {
                    // Read what arrives (the driver may keep the connection open) until the
                    // answer says ready, the peer closes, or the read times out.
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = s.read(&mut buf) {
                        seen.extend_from_slice(&buf[..n]);
                        if String::from_utf8_lossy(&seen).contains("\"ready\":true") {
                            return;
                        }
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {} within {TIMEOUT:?}",
                self.port
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The negative id names the whole group: the driver and every browser it launched.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// One browser window: a WebDriver session with a fresh profile (cookies, storage) of its own.
struct Browser {
    client: Client,
    profile: PathBuf,
    base: String,
    /// The viewport it is set to now (the screenshot tour narrows a phone to 360 px).
    vp: std::cell::Cell<Viewport>,
    /// Names screenshots: `<viewport>-<who>-<step>.png`.
    who: &'static str,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Also after a failed assertion; the browser itself dies with the driver's group.
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    async fn open(driver: &Driver, base: &str, vp: Viewport, who: &'static str) -> Browser {
        let profile =
            std::env::temp_dir().join(format!("moim-chromium-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let chromium =
            std::env::var("MOIM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", vp.width, vp.height),
                ],
                // A Korean visitor: the app's default language, chosen from Accept-Language.
                "prefs": { "intl.accept_languages": "ko-KR,ko" },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| {
                let _ = std::fs::remove_dir_all(&profile);
                panic!("cannot open a Chromium session: {e}")
            });
        let b = Browser {
            client,
            profile,
            base: base.to_owned(),
            vp: std::cell::Cell::new(vp),
            who,
        };
        b.resize(vp.width, vp.height).await;
        b
    }

    /// Ends the session; the profile directory goes when the value drops.
    async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    async fn set_viewport(&self, vp: Viewport) {
        self.vp.set(vp);
        self.resize(vp.width, vp.height).await;
    }

    /// Sets the *viewport* (what CSS media queries see) to `width`×`height`: the window size
    /// WebDriver sets includes any browser chrome, so the difference is measured and added.
    async fn resize(&self, width: u32, height: u32) {
        let mut w = width;
        let mut h = height;
        for _ in 0..3 {
            self.client
                .set_window_size(w, h)
                .await
                .expect("set window size");
            let inner = self
                .js("return [window.innerWidth, window.innerHeight]")
                .await;
            let iw = inner[0].as_u64().unwrap_or(0) as u32;
            let ih = inner[1].as_u64().unwrap_or(0) as u32;
            if iw == width && ih == height {
                return;
            }
            w = (w + width).saturating_sub(iw);
            h = (h + height).saturating_sub(ih);
        }
        let inner = self.js("return window.innerWidth").await;
        assert_eq!(
            inner.as_u64(),
            Some(u64::from(width)),
            "could not make the viewport {width} px wide"
        );
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script:?} failed: {e}"))
    }

    async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Where the browser is, and what the page says, for failure messages.
    async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let text: String = text.chars().take(1500).collect();
        format!(
            "[{} {}] at {url}\n--- page text ---\n{text}\n---",
            self.vp.get().name,
            self.who
        )
    }

    /// Polls `check` until it yields a value; fails with `what` and the page after [`TIMEOUT`].
    async fn until<T>(&self, what: &str, mut check: impl AsyncFnMut(&Client) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(v) = check(&self.client).await {
                return v;
            }
            if Instant::now() > deadline {
                self.shot("FAILED").await;
                panic!("timed out waiting for {what}\n{}", self.describe().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first visible element matching `css`.
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.until(&format!("a visible `{css}`"), async |c| {
            let el = c.find(Locator::Css(css)).await.ok()?;
            el.is_displayed().await.ok()?.then_some(el)
        })
        .await
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        el.text().await.expect("element text").trim().to_owned()
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        self.find(css).await;
        let mut out = Vec::new();
        for el in self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find all")
        {
            out.push(el.text().await.expect("element text").trim().to_owned());
        }
        out
    }

    /// On a phone the signed-in navigation is folded under the avatar: open it the way a
    /// person would before reaching for something in it.
    async fn unfold_menu(&self) {
        let Ok(toggle) = self.client.find(Locator::Css("[data-menu-toggle]")).await else {
            return;
        };
        if toggle.is_displayed().await.unwrap_or(false)
            && toggle.attr("aria-expanded").await.ok().flatten().as_deref() != Some("true")
        {
            toggle.click().await.expect("open the menu");
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear `{css}`: {e}"));
        el.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into `{css}`: {e}"));
    }

    /// Clicks like a person: the element is scrolled to the middle of the viewport first, so
    /// the sticky header never covers it on a small screen.
    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        let arg = serde_json::to_value(&el).expect("element as a script argument");
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
                vec![arg],
            )
            .await
            .expect("scroll into view");
        el.click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Waits until the location's path satisfies `ok` and the page has loaded.
    async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> Here {
        self.until(&format!("the browser to reach {what}"), async |c| {
            let u = c.current_url().await.ok()?;
            let ready = c.execute("return document.readyState", vec![]).await.ok()?;
            (ok(u.path()) && ready == "complete").then(|| Here {
                path: u.path().to_owned(),
                query: u
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            })
        })
        .await
    }

    /// A full-page PNG in `$MOIM_SCREENSHOT_DIR` (no-op when unset).
    async fn shot(&self, step: &str) {
        let Some(dir) = std::env::var_os("MOIM_SCREENSHOT_DIR").filter(|d| !d.is_empty()) else {
            return;
        };
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let lang = self
            .client
            .execute("return document.documentElement.lang || 'x'", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "x".into());
        // Grow the window to the page's height so the PNG shows everything, then restore it.
        let full = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32;
        let vp = self.vp.get();
        let tall = full.clamp(vp.height, 6000);
        if tall > vp.height {
            self.resize(vp.width, tall).await;
        }
        let png = self.client.screenshot().await;
        if tall > vp.height {
            self.resize(vp.width, vp.height).await;
        }
        let name = format!("{}-{}-{lang}-{}-{step}.png", vp.name, vp.width, self.who);
        match png {
            Ok(bytes) => {
                let _ = std::fs::write(dir.join(name), bytes);
            }
            Err(e) => eprintln!("screenshot {name} failed: {e}"),
        }
    }
}

/// The latest six-digit code mailed to `email` (the mail may be written a moment after the
/// page answers).
async fn mailed_code(b: &Browser, app: &TestApp, email: &str) -> String {
    let to = format!("To: {email}");
    b.until(&format!("a code mailed to {email}"), async |_| {
        app.outbox()
            .iter()
            .rev()
            .find(|m| m.contains(&to))
            .and_then(|m| find_code(m))
    })
    .await
}

/// A location the browser reached: its path and decoded query.
struct Here {
    path: String,
    query: Vec<(String, String)>,
}

impl Here {
    fn get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Signs up on the page that is open, reads the mailed code and enters it. Returns the URL the
/// browser lands on after verifying.
async fn sign_up_and_verify(b: &Browser, app: &TestApp, email: &str, nickname: &str) -> Here {
    b.fill("#email", email).await;
    b.fill("#nickname", nickname).await;
    b.fill("#password", PASSWORD).await;
    b.shot("signup-filled").await;
    b.click("form[action='/signup'] button[type=submit]").await;
    let at = b.wait_path("the verify page", |p| p == "/verify").await;
    assert_eq!(
        at.get("email"),
        Some(email),
        "the verify page should know the address"
    );
    let code = mailed_code(b, app, email).await;
    b.shot("verify").await;
    b.fill("#code", &code).await;
    b.click("form[action='/verify'] button[type=submit]").await;
    b.wait_path("the page after verifying", |p| p != "/verify")
        .await
}

fn is_group_home(path: &str) -> bool {
    path.strip_prefix("/groups/")
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// Sign up, log out, log in, create a group and invite; a second person opens the invite link,
/// signs up from there, comes back to the invite, joins; both see each other on the members page.
async fn invite_sign_up_and_join(driver: &Driver, vp: Viewport) {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let base = format!("http://{addr}");
    let run = &uuid::Uuid::now_v7().simple().to_string()[24..];
    let owner_email = format!("owner-{run}@example.com");
    let owner_nick = format!("모임장{}", &run[..4]);
    let guest_email = format!("guest-{run}@example.com");
    let guest_nick = format!("jimin_{}", &run[..4]);
    let group_name = format!("새벽 러닝 {}", &run[..4]);

    // --- A: sign up and verify --------------------------------------------------------------
    let a = Browser::open(driver, &base, vp, "owner").await;
    a.goto("/").await;
    a.find("main h1").await;
    a.shot("landing").await;
    a.goto("/signup").await;
    a.shot("signup").await;
    let landed = sign_up_and_verify(&a, &app, &owner_email, &owner_nick).await;
    assert_eq!(
        landed.path.as_str(),
        "/welcome",
        "a new account lands on the welcome page\n{}",
        a.describe().await
    );
    assert!(
        a.text("main h1").await.contains(&owner_nick),
        "the welcome page greets by nickname\n{}",
        a.describe().await
    );
    a.shot("welcome").await;

    // --- A: log out, log in again -----------------------------------------------------------
    a.unfold_menu().await;
    a.click("form[action='/logout'] button[type=submit]").await;
    a.wait_path("the landing page after logging out", |p| p == "/")
        .await;
    a.find("header a[href='/login']").await;
    a.goto("/login").await;
    a.fill("#email", &owner_email).await;
    a.fill("#password", PASSWORD).await;
    a.shot("login").await;
    a.click("form[action='/login'] button[type=submit]").await;
    a.wait_path("my groups after logging in", |p| p == "/groups")
        .await;
    a.shot("groups-empty").await;
    a.unfold_menu().await;
    a.shot("menu").await;
    let me = a.text("[data-testid=nav-profile]").await;
    assert!(
        me.ends_with(&owner_nick),
        "the header shows who is logged in, not {me:?}"
    );

    // --- A: create a group and open its invite page -----------------------------------------
    a.goto("/groups/new").await;
    a.fill("#name", &group_name).await;
    a.fill("#capacity", "12").await;
    a.fill("#pledge", "매주 토요일 6시, 한강에서").await;
    a.shot("group-new").await;
    a.click("form[action='/groups'] button[type=submit]").await;
    let home = a.wait_path("the new group's home", is_group_home).await;
    let group_path = home.path;
    assert_eq!(a.text("[data-testid=group-name]").await, group_name);
    a.shot("group-home").await;

    a.goto(&format!("{group_path}/invite")).await;
    let code = a.text("[data-testid=invite-code]").await;
    assert!(
        code.len() >= 6 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "an invite code, not {code:?}"
    );
    let link = a
        .find("[data-testid=invite-link]")
        .await
        .prop("value")
        .await
        .expect("link value")
        .unwrap_or_default();
    let join_path = format!("/join/{code}");
    assert!(
        link.ends_with(&join_path),
        "the invite link {link:?} should end with {join_path}"
    );
    a.shot("invite").await;

    // --- B: a second person opens the invite, signs up from it, comes back, joins -----------
    let b = Browser::open(driver, &base, vp, "guest").await;
    b.goto(&join_path).await;
    assert_eq!(
        b.text("[data-testid=join-group-name]").await,
        group_name,
        "the invite shows the group"
    );
    b.shot("join-signed-out").await;
    b.click("main a[href^='/signup?next=']").await;
    let at = b.wait_path("the sign-up page", |p| p == "/signup").await;
    assert_eq!(
        at.get("next"),
        Some(join_path.as_str()),
        "sign-up should remember the invite"
    );
    let landed = sign_up_and_verify(&b, &app, &guest_email, &guest_nick).await;
    assert_eq!(
        landed.path.as_str(),
        join_path,
        "after verifying, the `next` parameter should bring the new user back to the invite\n{}",
        b.describe().await
    );
    b.shot("join-signed-in").await;
    b.click("[data-testid=join-submit]").await;
    let joined = b
        .wait_path("the group's home after joining", |p| p == group_path)
        .await;
    assert_eq!(joined.get("notice"), Some("join.joined"));
    b.find(".notice").await;
    b.shot("joined").await;

    // --- both see both on the members page --------------------------------------------------
    let members = format!("{group_path}/members");
    for br in [&b, &a] {
        br.goto(&members).await;
        let names = br.texts("[data-testid=member] .member-name").await;
        for nick in [&owner_nick, &guest_nick] {
            assert!(
                names.contains(nick),
                "{} should see {nick} among the members {names:?}",
                br.who
            );
        }
        assert_eq!(names.len(), 2, "exactly the two members: {names:?}");
        br.shot("members").await;
    }

    if std::env::var_os("MOIM_SCREENSHOT_DIR").is_some() {
        tour(driver, &base, vp, &a, &group_path, &join_path).await;
        if vp.width == PHONE.width {
            a.set_viewport(SMALL_PHONE).await;
            tour(driver, &base, SMALL_PHONE, &a, &group_path, &join_path).await;
            a.set_viewport(PHONE).await;
        }
    }

    b.close().await;
    a.close().await;
}

/// Every page, in Korean and in English, signed in (as the owner) and signed out.
async fn tour(driver: &Driver, base: &str, vp: Viewport, owner: &Browser, group: &str, join: &str) {
    let signed_in = [
        ("welcome", "/welcome".to_owned()),
        ("groups", "/groups".to_owned()),
        ("group-new", "/groups/new".to_owned()),
        ("group-home", group.to_owned()),
        ("members", format!("{group}/members")),
        ("invite", format!("{group}/invite")),
        ("edit", format!("{group}/edit")),
        ("join-member", join.to_owned()),
        ("profile", "/profile".to_owned()),
        ("not-found", "/nowhere".to_owned()),
    ];
    let visitor = Browser::open(driver, base, vp, "visitor").await;
    let signed_out = [
        ("landing", "/".to_owned()),
        ("signup", "/signup".to_owned()),
        ("verify", "/verify?email=someone%40example.com".to_owned()),
        ("login", "/login".to_owned()),
        ("forgot", "/forgot".to_owned()),
        ("join", join.to_owned()),
        ("join-invalid", "/join/NOPE0000".to_owned()),
    ];
    for lang in ["en", "ko"] {
        for (br, pages) in [(owner, &signed_in[..]), (&visitor, &signed_out[..])] {
            br.goto(&format!("/lang/{lang}")).await;
            for (name, path) in pages {
                br.goto(path).await;
                br.find("main").await;
                br.shot(&format!("tour-{name}")).await;
            }
        }
    }
    // Errors next to their fields: an empty sign-up and an empty new group.
    visitor.goto("/signup").await;
    visitor
        .click("form[action='/signup'] button[type=submit]")
        .await;
    visitor.find(".field-error").await;
    visitor.shot("tour-signup-errors").await;
    owner.goto("/groups/new").await;
    owner.fill("#capacity", "1").await;
    owner
        .click("form[action='/groups'] button[type=submit]")
        .await;
    owner.find(".field-error").await;
    owner.shot("tour-group-errors").await;
    // Keyboard focus must be visible: tab from the address bar to the first form field and on
    // to the submit button, as someone without a mouse would.
    visitor.goto("/login").await;
    visitor
        .find("#email")
        .await
        .send_keys("a@b.c")
        .await
        .expect("type");
    let tab = fantoccini::key::Key::Tab.to_string();
    for _ in 0..2 {
        let active = visitor
            .client
            .active_element()
            .await
            .expect("focused element");
        active.send_keys(&tab).await.expect("tab");
    }
    visitor.shot("tour-focus").await;
    visitor.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_invite_and_join_in_a_real_browser() {
    let Some(driver) = Driver::start("sign_up_invite_and_join_in_a_real_browser") else {
        return;
    };
    for vp in [DESKTOP, PHONE] {
        invite_sign_up_and_join(&driver, vp).await;
    }
}

/// Sets a form control's value from script (date, time, colour and select inputs differ by
/// platform when typed into) and fires `change`.
async fn set_value(b: &Browser, css: &str, value: &str) {
    b.find(css).await;
    let script = format!(
        "var e = document.querySelector({}); e.value = {}; e.dispatchEvent(new Event('change', {{bubbles: true}})); return e.value;",
        serde_json::to_string(css).expect("css"),
        serde_json::to_string(value).expect("value")
    );
    let got = b.js(&script).await;
    assert_eq!(got, Value::String(value.to_owned()), "setting {css}");
}

/// The roster flow in Chromium: a manager sets up three shift types and four conditions for a
/// group of nine, generates a month (progress first, then the grid), breaks a rule by hand and
/// sees the cell flagged, publishes, shares, and a logged-out visitor opens the link and
/// downloads the iCalendar feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_setup_generate_edit_publish_and_share_in_a_real_browser() {
    let Some(driver) =
        Driver::start("roster_setup_generate_edit_publish_and_share_in_a_real_browser")
    else {
        return;
    };
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let base = format!("http://{addr}");
    let owner_api = app.user("head@example.com", "수간호사").await;
    let a = Browser::open(&driver, &base, DESKTOP, "roster-owner").await;
    a.goto("/login").await;
    a.fill("#email", "head@example.com").await;
    a.fill("#password", "correct horse 9").await;
    a.click("form[action='/login'] button[type=submit]").await;
    a.wait_path("my groups", |p| p == "/groups").await;
    // Create the group in the UI.
    a.goto("/groups/new").await;
    a.fill("#name", "7병동 간호팀").await;
    a.fill("#capacity", "20").await;
    a.click("form[action='/groups'] button[type=submit]").await;
    let home = a.wait_path("the group home", is_group_home).await;
    let gid = home.path.trim_start_matches("/groups/").to_owned();
    // Eight members join with the invite code.
    let code = owner_api
        .get(&format!("/api/v1/groups/{gid}/invite"))
        .await
        .json["code"]
        .as_str()
        .expect("code")
        .to_owned();
    for i in 0..8 {
        let m = app
            .user(&format!("nurse{i}@example.com"), &format!("간호사{i}"))
            .await;
        let r = m
            .post(&format!("/api/v1/invites/{code}/join"), json!({}))
            .await;
        assert_eq!(r.json["outcome"], "joined", "{}", r.text);
    }
    // Three shift types.
    let setup = format!("/groups/{gid}/rosters/setup");
    for (name, start, end, n) in [
        ("주간", "07:00", "15:00", "2"),
        ("오후", "15:00", "23:00", "2"),
        ("야간", "23:00", "07:00", "1"),
    ] {
        a.goto(&setup).await;
        a.fill("#shift-form [name=name]", name).await;
        set_value(&a, "#shift-form [name=start]", start).await;
        set_value(&a, "#shift-form [name=end]", end).await;
        a.fill("#shift-form [name=headcount]", n).await;
        a.click("#shift-form button[type=submit]").await;
        // The form posts back to the same path: wait for the saved shift type itself, or the
        // next `goto` could cut the post off.
        // Read through the DOM rather than an element handle: a handle taken while the post's
        // navigation replaces the page goes stale, and WebDriver's element text has been seen
        // to keep failing after the new page had rendered the row.
        a.until(&format!("shift type {name} saved"), async |c| {
            let t = c
                .execute(
                    "var t = document.querySelector('[data-testid=shift-types]'); \
                     return t ? t.innerText : '';",
                    vec![],
                )
                .await
                .ok()?;
            t.as_str()?.contains(name).then_some(())
        })
        .await;
    }
    let shifts = a
        .texts("[data-testid=shift-types] tbody td:first-child")
        .await;
    assert_eq!(shifts, ["주간", "오후", "야간"]);
    let night_id = a
        .js("return document.querySelector('#cond-shift-a option:last-child').value")
        .await
        .as_str()
        .expect("night id")
        .to_owned();
    let day_id = a
        .js("return document.querySelector('#cond-shift-a option:nth-child(2)').value")
        .await
        .as_str()
        .expect("day id")
        .to_owned();
    // Four conditions: hard and soft, each with its sentence.
    let conditions: [&[(&str, &str)]; 4] = [
        &[
            ("#cond-kind", "forbidden_succession"),
            ("#cond-shift-a", &night_id),
            ("#cond-shift-b", &day_id),
            ("#cond-strength", "hard"),
        ],
        &[
            ("#cond-kind", "max_consecutive_work"),
            ("#cond-value", "5"),
            ("#cond-strength", "hard"),
        ],
        &[
            ("#cond-kind", "shift_count"),
            ("#cond-shift-a", &night_id),
            ("#cond-max", "2"),
            ("#cond-strength", "hard"),
        ],
        // Unreachable on purpose (nobody can work 200 hours), so the search runs its full time.
        &[
            ("#cond-kind", "hours"),
            ("#cond-min", "200"),
            ("#cond-strength", "soft"),
        ],
    ];
    for (i, fields) in conditions.into_iter().enumerate() {
        a.goto(&setup).await;
        for (css, v) in fields {
            set_value(&a, css, v).await;
        }
        a.click("#add-condition").await;
        // Posted back to the same path: wait for the "saved" redirect (see the shift types).
        a.until(&format!("condition {} saved", i + 1), async |c| {
            let u = c.current_url().await.ok()?;
            u.as_str()
                .contains("notice=rosters.notice.saved")
                .then_some(())
        })
        .await;
    }
    let sentences = a.texts("[data-testid=conditions] .sentence").await;
    assert_eq!(sentences.len(), 4, "{sentences:?}");
    assert!(
        sentences[0].contains("야간 근무 다음 날 주간 근무를 하지 않습니다"),
        "{sentences:?}"
    );
    assert!(
        sentences[1].contains("최대 5일까지 연속 근무"),
        "{sentences:?}"
    );
    // A condition being built says what it means before it is added (htmx preview).
    a.goto(&setup).await;
    set_value(&a, "#cond-kind", "max_weekends").await;
    set_value(&a, "#cond-value", "2").await;
    a.until("the sentence of the condition being built", async |c| {
        let t = c
            .find(Locator::Css("#cond-preview"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.contains("주말(토·일)에 최대 2번").then_some(())
    })
    .await;
    // Generate a month: progress first, then the roster.
    a.goto(&format!("/groups/{gid}/rosters")).await;
    a.fill("#roster-name", "12월 근무표").await;
    set_value(&a, "#roster-start", "2026-12-01").await;
    set_value(&a, "#roster-end", "2026-12-31").await;
    a.fill("[name=time_limit_secs]", "12").await;
    a.click("#generate").await;
    let at = a
        .wait_path("the new roster", |p| {
            p.starts_with(&format!("/groups/{gid}/rosters/")) && !p.ends_with("/rosters")
        })
        .await;
    a.find("#progress").await;
    a.until("a best cost on the progress chart", async |c| {
        let t = c
            .find(Locator::Css("#best-cost"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (t != "–" && !t.is_empty()).then_some(())
    })
    .await;
    // While the search goes on (its 12 s budget cannot end early: the 200-hour minimum is
    // out of reach), the first complete roster already shows under the progress chart: nine
    // rows and every place of every day filled (2 + 2 + 1 a day for 31 days).
    let live = a
        .until("the live roster while generating", async |c| {
            let v = c
                .execute(
                    "var g = document.querySelector('#live-roster [data-testid=grid]'); \
                     var s = document.querySelector('[data-testid=roster-status]'); \
                     if (!g || !s) return null; \
                     return [s.textContent.trim(), g.querySelectorAll('tbody tr').length, \
                             g.querySelectorAll('tbody td .pill').length, \
                             !document.getElementById('live-note').hidden];",
                    vec![],
                )
                .await
                .ok()?;
            (v.is_array() && v[2].as_u64() == Some(31 * 5)).then_some(v)
        })
        .await;
    assert_eq!(
        live,
        json!(["생성 중", 9, 31 * 5, true]),
        "a complete roster shows before the search is done"
    );
    // Then the final roster replaces the page.
    a.until("the finished roster", async |c| {
        let t = c
            .find(Locator::Css("[data-testid=roster-status]"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (t.trim() == "완성").then_some(())
    })
    .await;
    a.find("[data-testid=grid]").await;
    let cells = a
        .js("return document.querySelectorAll('[data-testid=grid] tbody tr').length")
        .await;
    assert_eq!(cells, json!(9), "nine rows");
    assert_eq!(
        a.js("return document.querySelectorAll('td.bad').length")
            .await,
        json!(0)
    );
    // Break the night → day rule by hand: the cell turns red and says why.
    let target = a
        .js("var tds = Array.from(document.querySelectorAll('[data-testid=grid] td[data-user]'));
             for (var i = 0; i < tds.length - 1; i++) {
               if (tds[i].textContent.indexOf('야간') >= 0 && tds[i+1].dataset.user === tds[i].dataset.user) {
                 return [tds[i+1].dataset.user, tds[i+1].dataset.date];
               }
             }
             return null;")
        .await;
    let user = target[0]
        .as_str()
        .expect("a night shift followed by a day in the roster")
        .to_owned();
    let date = target[1].as_str().expect("date").to_owned();
    set_value(&a, "#cell-user", &user).await;
    set_value(&a, "#cell-date", &date).await;
    set_value(&a, "#cell-shift", &day_id).await;
    a.click("#apply-cell").await;
    a.wait_path("the roster", |p| p == at.path).await;
    let flagged = a
        .find(&format!("td.bad[data-user='{user}'][data-date='{date}']"))
        .await;
    let why = flagged
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!(
        why.contains(
            "「모든 인원은(는) 야간 근무 다음 날 주간 근무를 하지 않습니다 (반드시 지킴)」 위반"
        ),
        "the flagged cell names the broken rule: {why}"
    );
    // The summary counts the broken must-rules, and its count is what the rule breakdown adds
    // up to, with the night → day rule among them.
    let hard = a.text("[data-testid=hard]").await;
    let (label, n) = hard.rsplit_once(':').expect("label: count");
    assert_eq!(label.trim(), "지켜지지 않은 필수 조건");
    let n: i64 = n.trim().parse().expect("a number of broken rules");
    assert!(n >= 1, "{hard}");
    let by_rule = a
        .js("var out = [];
             document.querySelectorAll('[data-testid=summary] details tr').forEach(function (tr) {
               var tds = tr.querySelectorAll('td');
               var v = tds[1].textContent.trim();
               if (v.indexOf('✗') >= 0) out.push([tds[0].textContent.trim(), parseInt(v, 10)]);
             });
             return out;")
        .await;
    let by_rule = by_rule.as_array().expect("rows").clone();
    let sum: i64 = by_rule.iter().map(|r| r[1].as_i64().unwrap_or(0)).sum();
    assert_eq!(sum, n, "{by_rule:?}");
    assert!(
        by_rule.iter().any(|r| r[0]
            .as_str()
            .is_some_and(|l| l.contains("야간 근무 다음 날 주간 근무"))
            && r[1].as_i64().unwrap_or(0) >= 1),
        "{by_rule:?}"
    );
    // Publish and share.
    a.click("#publish").await;
    a.wait_path("the roster", |p| p == at.path).await;
    a.find(".chip.green").await;
    a.click("#share").await;
    a.wait_path("the roster", |p| p == at.path).await;
    let link = a
        .find("#share-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("share link");
    a.shot("roster").await;
    // A logged-out visitor opens the link and downloads the iCalendar feed.
    let v = Browser::open(&driver, &base, PHONE, "roster-visitor").await;
    v.goto(&link).await;
    assert_eq!(v.text("[data-testid=roster-name]").await, "12월 근무표");
    v.find("[data-testid=grid]").await;
    assert_eq!(
        v.js("return document.querySelectorAll('#edit').length")
            .await,
        json!(0)
    );
    let ical = v
        .find("#ical")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("ical link");
    let got = v
        .js(&format!(
            "var x = new XMLHttpRequest(); x.open('GET', {}, false); x.send(); return [x.status, x.getResponseHeader('content-type'), x.responseText];",
            serde_json::to_string(&ical).expect("url")
        ))
        .await;
    assert_eq!(got[0], json!(200));
    assert!(
        got[1]
            .as_str()
            .unwrap_or_default()
            .starts_with("text/calendar")
    );
    let body = got[2].as_str().unwrap_or_default();
    assert!(
        body.contains("BEGIN:VCALENDAR") && body.contains("TZID=Asia/Seoul"),
        "{body:.300}"
    );
    let shown = v
        .js("return document.querySelectorAll('[data-testid=grid] td .pill').length")
        .await
        .as_u64()
        .unwrap_or_default() as usize;
    assert!(
        shown >= 31 * 5,
        "the shared grid shows every assignment ({shown})"
    );
    assert_eq!(
        body.matches("BEGIN:VEVENT").count(),
        shown,
        "one event per assignment on the page"
    );
    v.shot("shared").await;
    v.close().await;
    a.close().await;
}

/// Moves a meetup's start (the browser cannot wait for the clock).
async fn move_start(app: &TestApp, id: &str, starts_at: i64) {
    let id: uuid::Uuid = id.parse().expect("meetup id");
    let sql = "UPDATE meetups SET starts_at = $1 WHERE id = $2";
    match &app.db {
        moim_store::Db::Sqlite(p) => {
            moim_store::sqlx::query(sql)
                .bind(starts_at)
                .bind(id)
                .execute(p)
                .await
                .expect("move start");
        }
        moim_store::Db::Postgres(p) => {
            moim_store::sqlx::query(sql)
                .bind(starts_at)
                .bind(id)
                .execute(p)
                .await
                .expect("move start");
        }
    }
}

/// Clicks a Leaflet map at offsets (px) from its centre, the way a person adds route points.
async fn draw_on_map(b: &Browser, css: &str, offsets: &[(f64, f64)]) {
    use fantoccini::actions::{InputSource as _, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let map = b.find(css).await;
    let arg = serde_json::to_value(&map).expect("element as a script argument");
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
            vec![arg],
        )
        .await
        .expect("scroll into view");
    for (i, (x, y)) in offsets.iter().enumerate() {
        let clicks = MouseActions::new(format!("mouse{i}"))
            .then(PointerAction::MoveToElement {
                element: map.clone(),
                duration: None,
                x: *x,
                y: *y,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        b.client
            .perform_actions(clicks)
            .await
            .expect("click the map");
        // Leaflet tells a click from a double click by waiting a moment.
        tokio::time::sleep(Duration::from_millis(350)).await;
    }
}

/// Host a meetup with a photo and a route; a second person finds it with filters and applies;
/// the host takes attendance; the participant rates the host; the host's manner score moves.
async fn host_find_apply_attend_rate(driver: &Driver, vp: Viewport) {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let base = format!("http://{addr}");
    let run = &uuid::Uuid::now_v7().simple().to_string()[24..];
    let host_nick = format!("host{}", &run[..4]);
    let guest_nick = format!("guest{}", &run[..4]);
    let title = format!("한강 러닝 {}", &run[..4]);

    // A photo on disk for the file picker.
    let photo = std::env::temp_dir().join(format!("moim-photo-{run}.jpg"));
    let img = image::RgbImage::from_fn(900, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    img.save(&photo).expect("write photo");

    let h = Browser::open(driver, &base, vp, "host").await;
    h.goto("/signup").await;
    sign_up_and_verify(&h, &app, &format!("host-{run}@example.com"), &host_nick).await;
    h.goto("/meetups/new").await;
    h.fill("#title", &title).await;
    let start = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(48))
        .expect("time")
        .to_zoned(jiff::tz::TimeZone::get("Asia/Seoul").expect("zone"));
    h.js(&format!(
        "document.getElementById('date').value = '{}'; document.getElementById('time').value = '{}'; document.getElementById('theme').value = 'river'; document.getElementById('duration_min').value = '90';",
        start.date(),
        start.strftime("%H:%M")
    ))
    .await;
    h.fill("#address", "서울 마포구 망원한강공원").await;
    // Draw the route: three clicks on the map (no tiles load offline; clicks still count).
    draw_on_map(
        &h,
        "#route-map",
        &[(-60.0, -30.0), (0.0, 0.0), (60.0, 30.0)],
    )
    .await;
    let route_lines = h
        .js("return document.getElementById('route').value.split('\\n').filter(function (l) { return l; }).length")
        .await;
    assert_eq!(route_lines, json!(3), "{}", h.describe().await);
    let shown = h.text("[data-testid=route-distance]").await;
    let km: f64 = shown
        .trim_end_matches(" km")
        .parse()
        .unwrap_or_else(|_| panic!("distance shown as {shown:?}"));
    assert!(km > 0.2 && km < 5.0, "a short drawn route, got {shown}");
    h.fill("#capacity", "5").await;
    let picker = h.find("#photo").await;
    picker
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose a photo");
    h.find("[data-testid=photo-done]").await;
    h.shot("meetup-new").await;
    h.click("[data-testid=host-submit]").await;
    let here = h
        .wait_path("the new meetup", |p| {
            p.strip_prefix("/meetups/")
                .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
        })
        .await;
    let meetup_path = here.path.clone();
    let meetup_id = meetup_path.trim_start_matches("/meetups/").to_owned();
    assert_eq!(
        h.texts("[data-testid=route-points] li").await.len(),
        3,
        "{}",
        h.describe().await
    );
    h.find("img.meetup-photo").await;
    assert!(
        h.text("[data-testid=when]").await.contains("1시간 30분"),
        "{}",
        h.describe().await
    );
    // The place and the route on the map (an SVG path per drawn shape).
    h.find("#meetup-map path.leaflet-interactive").await;
    // The server recomputed the distance from the points: the same as the form showed.
    let heading = h.text("#route-h").await;
    let server_km: f64 = heading
        .trim_end_matches(" km")
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("distance in {heading:?}"));
    assert!((server_km - km).abs() < 0.11, "{heading} vs {km}");
    h.shot("meetup-detail").await;

    // A second person finds it with filters and applies.
    let g = Browser::open(driver, &base, vp, "guest").await;
    g.goto("/signup").await;
    sign_up_and_verify(&g, &app, &format!("guest-{run}@example.com"), &guest_nick).await;
    g.goto("/meetups?theme=park").await;
    g.find("section.empty").await;
    g.goto("/meetups").await;
    g.click("details > summary").await;
    g.click("[data-testid=theme-river]").await;
    g.click("input[name=region][value='1']").await;
    g.click("input[name=distance][value='1']").await;
    g.click("[data-testid=apply-filters]").await;
    g.wait_path("the filtered list", |p| p == "/meetups").await;
    let card = g.text("[data-testid=meetup-card] h2").await;
    assert_eq!(card, title, "{}", g.describe().await);
    g.shot("meetups-filtered").await;
    // The same results on a map, and back to the list.
    g.click("[data-testid=show-map]").await;
    g.find("#meetups-map path.leaflet-interactive").await;
    assert_eq!(
        g.js("return document.querySelector('[data-testid=meetup-card]').getClientRects().length")
            .await,
        json!(0),
        "the cards are out of sight while the map shows"
    );
    g.shot("meetups-map").await;
    g.click("[data-testid=show-list]").await;
    g.click("[data-testid=meetup-card]").await;
    g.wait_path("the meetup", |p| p == meetup_path).await;
    g.click("[data-testid=apply]").await;
    g.find("[data-testid=my-status]").await;
    assert_eq!(g.text("[data-testid=count]").await, "2 / 5");

    // The host makes room for one more on the edit page; the guest is told.
    h.click("[data-testid=edit]").await;
    h.wait_path("the edit form", |p| p.ends_with("/edit")).await;
    h.fill("#capacity", "6").await;
    h.shot("meetup-edit").await;
    h.click("[data-testid=host-submit]").await;
    h.wait_path("the meetup", |p| p == meetup_path).await;
    assert_eq!(h.text("[data-testid=count]").await, "2 / 6");
    g.goto("/notifications").await;
    assert!(
        g.describe().await.contains("모임 정보가 바뀌었어요"),
        "{}",
        g.describe().await
    );

    // The host takes attendance from 30 minutes before the start.
    move_start(
        &app,
        &meetup_id,
        moim_core::time::now_millis() + 20 * 60 * 1000,
    )
    .await;
    h.goto(&meetup_path).await;
    h.click("[data-testid=attendance-link]").await;
    h.wait_path("the attendance sheet", |p| p.ends_with("/attendance"))
        .await;
    h.click(&format!("[data-testid=present-{guest_nick}]"))
        .await;
    h.shot("attendance").await;
    h.click("[data-testid=attendance-submit]").await;
    h.find("[data-testid=notice]").await;
    assert_eq!(h.text("[data-testid=present-count]").await, "1 / 1");
    h.goto("/meetups/mine").await;
    assert_eq!(h.text("[data-testid=manner-score]").await, "50");

    // After the start the participant rates the host.
    move_start(
        &app,
        &meetup_id,
        moim_core::time::now_millis() - 60 * 60 * 1000,
    )
    .await;
    g.goto(&meetup_path).await;
    g.click("[data-testid=rating-link]").await;
    g.wait_path("the rating page", |p| p.ends_with("/rating"))
        .await;
    g.click("[data-testid=reason-2]").await;
    g.shot("rating").await;
    g.click("[data-testid=rating-submit]").await;
    g.find("[data-testid=notice]").await;
    g.find("[data-testid=my-rating]").await;
    // The guest sees the host's new score and the reason on the host's profile.
    g.click("[data-testid=host-link]").await;
    g.wait_path("the host's profile", |p| p.starts_with("/users/"))
        .await;
    assert_eq!(g.text("[data-testid=manner-score]").await, "51");
    assert!(
        g.text("[data-testid=reason-count-2]").await.ends_with('1'),
        "{}",
        g.describe().await
    );
    g.shot("host-profile").await;
    g.goto("/meetups/mine").await;
    g.shot("meetups-mine").await;
    h.goto("/meetups/mine").await;
    assert_eq!(
        h.text("[data-testid=manner-score]").await,
        "51",
        "{}",
        h.describe().await
    );
    h.shot("manner").await;
    g.close().await;
    h.close().await;
    let _ = std::fs::remove_file(&photo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_find_apply_attend_and_rate_in_a_real_browser() {
    let Some(driver) = Driver::start("host_find_apply_attend_and_rate_in_a_real_browser") else {
        return;
    };
    for vp in review_viewports() {
        host_find_apply_attend_rate(&driver, vp).await;
    }
}

/// Post a course with a photo and a route; a second person finds it, bookmarks it, rates it and
/// comments (htmx, no reload); the author gets the notification with the commenter's name.
async fn course_bookmark_rate_comment(driver: &Driver, vp: Viewport) {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let base = format!("http://{addr}");
    let run = &uuid::Uuid::now_v7().simple().to_string()[24..];
    let author_nick = format!("auth{}", &run[..4]);
    let fan_nick = format!("fan{}", &run[..4]);
    let title = format!("망원 코스 {}", &run[..4]);

    let photo = std::env::temp_dir().join(format!("moim-course-{run}.jpg"));
    let img = image::RgbImage::from_fn(900, 600, |x, y| {
        image::Rgb([(y % 256) as u8, 120, (x % 256) as u8])
    });
    img.save(&photo).expect("write photo");

    let a = Browser::open(driver, &base, vp, "author").await;
    a.goto("/signup").await;
    sign_up_and_verify(&a, &app, &format!("author-{run}@example.com"), &author_nick).await;
    a.goto("/courses/new").await;
    a.fill("#title", &title).await;
    a.fill("#address", "서울 마포구 망원한강공원").await;
    // Two points typed, the third drawn on the map (the same route editor as meetups).
    a.fill("#route", "37.5550,126.8950\n37.5600,126.9000").await;
    draw_on_map(&a, "#route-map", &[(60.0, 30.0)]).await;
    let route_lines = a
        .js("return document.getElementById('route').value.split('\\n').filter(function (l) { return l; }).length")
        .await;
    assert_eq!(route_lines, json!(3), "{}", a.describe().await);
    a.fill("#description", "강바람 맞으며 달리는 코스").await;
    a.js("document.getElementById('theme').value = 'river';")
        .await;
    let picker = a.find("#photo").await;
    picker
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose a photo");
    a.find("[data-testid=photo-done]").await;
    a.shot("course-new").await;
    a.click("[data-testid=course-submit]").await;
    let here = a
        .wait_path("the new course", |p| {
            p.strip_prefix("/courses/")
                .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
        })
        .await;
    let course_path = here.path.clone();
    assert_eq!(
        a.texts("[data-testid=route-points] li").await.len(),
        3,
        "{}",
        a.describe().await
    );
    a.find("img[data-testid=course-photo]").await;
    assert!(a.text("[data-testid=distance]").await.ends_with("km"));
    // The route on a map (an SVG path), with the points still listed as text.
    a.find("#meetup-map path.leaflet-interactive").await;
    a.shot("course-detail").await;

    // A second person finds it, bookmarks, rates and comments.
    let f = Browser::open(driver, &base, vp, "fan").await;
    f.goto("/signup").await;
    sign_up_and_verify(&f, &app, &format!("fan-{run}@example.com"), &fan_nick).await;
    f.goto("/courses?region=1").await;
    assert_eq!(
        f.text("[data-testid=course-card] h2").await,
        title,
        "{}",
        f.describe().await
    );
    f.shot("courses-list").await;
    f.click("[data-testid=course-card]").await;
    f.wait_path("the course", |p| p == course_path).await;
    f.click("[data-testid=bookmark]").await;
    f.find("[data-testid=bookmark][aria-pressed=true]").await;
    assert_eq!(f.text("[data-testid=bookmark-count]").await, "1");
    f.click("[data-testid=star-4]").await;
    f.find("[data-testid=my-rating]").await;
    assert_eq!(f.text("[data-testid=rating-average]").await, "4.0");
    f.fill("[data-testid=comment-body]", "바람이 시원했어요")
        .await;
    f.click("[data-testid=comment-submit]").await;
    assert_eq!(
        f.text("[data-testid=comment-text]").await,
        "바람이 시원했어요",
        "{}",
        f.describe().await
    );
    f.shot("course-commented").await;
    f.goto("/courses/bookmarks").await;
    assert_eq!(f.text("[data-testid=course-card] h2").await, title);
    f.shot("courses-bookmarks").await;

    // The author hears about the comment, with the commenter's name, and sees the counts.
    a.goto("/notifications").await;
    let items = a.texts("[data-testid=notification]").await;
    assert!(
        items
            .iter()
            .any(|t| t.contains(&fan_nick) && t.contains(&title)),
        "{items:?}"
    );
    a.shot("course-notified").await;
    a.goto(&course_path).await;
    assert_eq!(a.text("[data-testid=bookmark-count]").await, "1");
    assert_eq!(
        a.text("[data-testid=comment-text]").await,
        "바람이 시원했어요"
    );
    // The author replies in the thread.
    a.click("[data-testid=reply-toggle]").await;
    a.fill("[data-testid=reply-body]", "고마워요!").await;
    a.click("[data-testid=reply-submit]").await;
    assert_eq!(a.text("[data-testid=reply-text]").await, "고마워요!");
    f.close().await;
    a.close().await;
    let _ = std::fs::remove_file(&photo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn course_bookmark_rate_and_comment_in_a_real_browser() {
    let Some(driver) = Driver::start("course_bookmark_rate_and_comment_in_a_real_browser") else {
        return;
    };
    for vp in review_viewports() {
        course_bookmark_rate_comment(&driver, vp).await;
    }
}

/// Two `moim serve` instances on one PostgreSQL database (and, when `MOIM_TEST_REDIS_URL` is
/// set, a second round fanning out through Redis): a browser signed in on instance B has the
/// notification centre open; a notification made through instance A appears in its list and its
/// header badge without a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_made_on_instance_a_reaches_a_browser_on_instance_b() {
    const TEST: &str = "a_notification_made_on_instance_a_reaches_a_browser_on_instance_b";
    if moim_testkit::postgres_url().is_none() {
        eprintln!("{TEST}: skipped: set MOIM_TEST_DATABASE_URL (two instances share PostgreSQL)");
        return;
    }
    let Some(driver) = Driver::start(TEST) else {
        return;
    };
    let mut fan_outs = vec![None];
    match std::env::var("MOIM_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => fan_outs.push(Some(url)),
        _ => eprintln!("{TEST}: the Redis round is skipped: set MOIM_TEST_REDIS_URL"),
    }
    for (round, redis) in fan_outs.into_iter().enumerate() {
        let a = TestApp::with_config(|c| c.redis_url = redis.clone()).await;
        let b = a.sibling(|c| c.redis_url = redis.clone()).await;
        let _a_addr = a.serve().await;
        let base = format!("http://{}", b.serve().await);
        let br = Browser::open(&driver, &base, DESKTOP, "cross-instance").await;
        br.goto("/signup").await;
        let email = format!("cross{round}@example.com");
        sign_up_and_verify(&br, &b, &email, &format!("cross{round}")).await;
        br.goto("/notifications").await;
        br.find("#notify-empty").await;
        // Give the page's event stream a moment to connect, then notify through instance A.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let user = moim_store::accounts::user_by_email(&a.db, &email)
            .await
            .expect("look the user up")
            .expect("the user");
        let title = format!("Shift swap approved {round}");
        moim_web::flows::notify::notify(
            &a.state,
            vec![moim_web::flows::notify::Notice {
                recipient: user.id,
                kind: "system.notice",
                params: vec![("title", title.clone()), ("body", "from instance A".into())],
                link: "/notifications".into(),
                group: None,
                actor: None,
            }],
        )
        .await
        .expect("notify through instance A");
        let sent = Instant::now();
        let via = if redis.is_some() {
            "Redis"
        } else {
            "PostgreSQL LISTEN/NOTIFY"
        };
        br.until(
            &format!("the notification from instance A via {via}"),
            async |c| {
                let text = c
                    .execute(
                        "return document.querySelector('#notify-list').innerText",
                        vec![],
                    )
                    .await
                    .ok()?;
                text.as_str()?.contains(&title).then_some(())
            },
        )
        .await;
        // Streams also re-read the database every RECHECK (15 s) without a wake-up; arriving
        // well before that shows the wake-up crossed instances.
        assert!(
            sent.elapsed() < moim_web::realtime::RECHECK / 2,
            "the notification arrived after {:?}: by the periodic re-check, not via {via}",
            sent.elapsed()
        );
        br.until("the header badge to count it", async |c| {
            let v = c
                .execute(
                    "const b = document.querySelector('#unread-badge'); return b && !b.hidden ? b.textContent : ''",
                    vec![],
                )
                .await
                .ok()?;
            v.as_str()?.trim_start().starts_with('1').then_some(())
        })
        .await;
        br.shot("cross-instance-notification").await;
        if round == 0 {
            notification_settings(&br).await;
        }
        br.close().await;
    }
}

/// The notification settings page in a real browser: the switches save, and the page registers
/// the push service worker at the site root (a real push service cannot be reached from here).
async fn notification_settings(b: &Browser) {
    b.goto("/notifications/settings").await;
    b.find("#push-card").await;
    b.shot("notification-settings").await;
    b.js("navigator.serviceWorker.getRegistration('/').then(r => { window.__sw = r ? r.scope : 'none'; }); return null;")
        .await;
    let base = b.js("return location.origin + '/'").await;
    let scope = b
        .until("the service worker registration", async |c| {
            let v = c.execute("return window.__sw || ''", vec![]).await.ok()?;
            let v = v.as_str()?.to_owned();
            if v == "none" {
                // Registration may still be in flight: ask again.
                let _ = c
                    .execute(
                        "navigator.serviceWorker.getRegistration('/').then(r => { window.__sw = r ? r.scope : 'none'; }); return null;",
                        vec![],
                    )
                    .await;
                return None;
            }
            (!v.is_empty()).then_some(v)
        })
        .await;
    assert_eq!(
        Value::String(scope),
        base,
        "the worker's scope is the whole site"
    );
    // Exactly one of "turn on" / "turn off" is shown (not subscribed here: "turn on").
    let shown = b
        .js("return ['#push-on', '#push-off'].filter(s => document.querySelector(s).offsetParent !== null)")
        .await;
    assert_eq!(shown, json!(["#push-on"]));
    // Turn meetup e-mail off and save; the page comes back with it off.
    b.click("#pref-meetup-email").await;
    b.click("form[data-testid=prefs-form] button[type=submit]")
        .await;
    b.until("the saved switches", async |c| {
        let v = c
            .execute(
                "const e = document.querySelector('#pref-meetup-email'); return location.search.includes('notice') && e && !e.checked",
                vec![],
            )
            .await
            .ok()?;
        v.as_bool()?.then_some(())
    })
    .await;
    b.shot("notification-settings-saved").await;
}
