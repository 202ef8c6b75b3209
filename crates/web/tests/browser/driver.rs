//! Chromium through chromedriver: finding the binaries (or skipping), one chromedriver on a
//! free port per test, one browser per person (each with its own profile), and the few
//! actions the scenarios need.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The binaries, from `CHROMIUM` / `CHROMEDRIVER` or Debian's places.
fn binaries() -> Option<(String, String)> {
    let pick = |var: &str, default: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let chromium = pick("CHROMIUM", "/usr/bin/chromium");
    let driver = pick("CHROMEDRIVER", "/usr/bin/chromedriver");
    (PathBuf::from(&chromium).exists() && PathBuf::from(&driver).exists())
        .then_some((chromium, driver))
}

/// A running chromedriver; killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    chromium: String,
    profiles: Vec<tempfile::TempDir>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver, or `None` (with a notice) when the browser is not installed.
    /// Under `CI=true` a missing browser fails the test.
    pub async fn start() -> Option<Self> {
        let Some((chromium, driver)) = binaries() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but chromium/chromedriver are missing (apt-get install chromium chromium-driver)"
                );
            }
            eprintln!(
                "notice: chromium or chromedriver not found (/usr/bin, or CHROMIUM/CHROMEDRIVER); skipping the browser test"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Self {
            child,
            url,
            chromium,
            profiles: Vec::new(),
        })
    }

    /// A fresh browser (its own profile: its own cookies) aimed at `base`.
    pub async fn browser(&mut self, base: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // Phones overlay their scrollbars: keep them from taking width here either.
            "--hide-scrollbars".to_owned(),
            "--window-size=1366,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        self.profiles.push(profile);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": self.chromium, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session");
        Browser {
            client,
            base: base.to_owned(),
        }
    }
}

/// The desktop and phone viewports the suite looks at.
pub const DESKTOP: (u32, u32) = (1366, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// One person's browser.
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.client.goto(&url).await.unwrap();
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(el) => el,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path_now().await),
        }
    }

    async fn path_now(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types into the field (emptied first).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks something that does not leave the page (a checkbox, a radio button).
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks what submits a form or follows a link, and waits for the next page.
    pub async fn submit(&self, css: &str) {
        self.mark().await;
        self.click(css).await;
        self.wait_for_next_page().await;
    }

    /// [`Browser::click_text`] for a link or button that leads to another page.
    pub async fn go(&self, text: &str) {
        self.mark().await;
        self.click_text(text).await;
        self.wait_for_next_page().await;
    }

    async fn mark(&self) {
        self.run("window.__ghOld = true; return null").await;
    }

    /// Waits until the marked document is gone and the new one has loaded.
    async fn wait_for_next_page(&self) {
        for _ in 0..200 {
            let done = self
                .client
                .execute(
                    "return window.__ghOld === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            if matches!(done, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after 10 s on {}", self.path_now().await);
    }

    /// Clicks the link or button whose text is exactly `text`.
    pub async fn click_text(&self, text: &str) {
        let xpath = format!(
            "//a[normalize-space()=\"{text}\"] | //button[normalize-space()=\"{text}\"] | //summary[normalize-space()=\"{text}\"] | //label[normalize-space()=\"{text}\"]"
        );
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await;
        match found {
            Ok(el) => el.click().await.unwrap(),
            Err(e) => panic!(
                "nothing labelled `{text}` on {}: {e}",
                self.path_now().await
            ),
        }
    }

    /// Chooses the option with visible text `label` in a select.
    pub async fn select(&self, css: &str, label: &str) {
        self.find(css).await.select_by_label(label).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// The visible text of the page's main region.
    pub async fn main_text(&self) -> String {
        self.text("main").await
    }

    pub async fn run(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Saves a screenshot of the page to `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Sizes the window so that the page's viewport is `width` × `height` CSS pixels. The
    /// window may report its old size for a moment after a resize (seen on a loaded
    /// machine), so it looks again until the viewport is right.
    pub async fn viewport(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        for _ in 0..20 {
            self.client.set_window_size(w, h).await.unwrap();
            let inner = self
                .run("return [window.innerWidth, window.innerHeight]")
                .await;
            let inner: (u32, u32) = serde_json::from_value(inner).unwrap();
            if inner == (width, height) {
                return;
            }
            // Window decorations: move the window by what the viewport lacks or exceeds
            // (a stale reading throws it off once; the next one brings it back).
            let fit = |outer: u32, want: u32, got: u32| {
                let next = i64::from(outer) + i64::from(want) - i64::from(got);
                u32::try_from(next.clamp(i64::from(want), 4 * i64::from(want))).unwrap_or(want)
            };
            w = fit(w, width, inner.0);
            h = fit(h, height, inner.1);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Screenshots of the whole page at desktop (1366 px) and phone (390 px) width, saved as
    /// `<name>.png` and `<name>.phone.png`; the window is desktop-sized again afterwards.
    /// At each size axe-core checks the page, and the page must be no wider than the screen.
    pub async fn shots(&self, name: &str) {
        for (suffix, (w, h)) in [("", DESKTOP), (".phone", PHONE)] {
            self.viewport(w, h).await;
            crate::axe::check(self, &format!("{name}{suffix}")).await;
            let wide = self
                .run("return document.documentElement.scrollWidth")
                .await
                .as_u64()
                .unwrap();
            if wide > u64::from(w) {
                let culprits = self
                    .run(&format!(
                        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {w} + 1).slice(-5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
                    ))
                    .await;
                panic!("{name}: the page is {wide} px wide on a {w} px screen: {culprits}");
            }
            let full = self
                .run("return document.documentElement.scrollHeight")
                .await
                .as_u64()
                .unwrap_or(u64::from(h));
            let full = u32::try_from(full.clamp(u64::from(h), 8000)).unwrap_or(h);
            self.viewport(w, full).await;
            self.screenshot(&format!("{name}{suffix}")).await;
        }
        self.viewport(DESKTOP.0, DESKTOP.1).await;
    }

    /// Sends keys (e.g. `Key::Escape`) to whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let el = self.client.active_element().await.unwrap();
        el.send_keys(keys).await.unwrap();
    }

    /// Describes the focused element: its tag and text.
    pub async fn focused(&self) -> String {
        let v = self
            .run("const e = document.activeElement; return e.tagName + ':' + e.textContent.trim()")
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
