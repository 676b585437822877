//! `--format html` opened in a real headless Chromium (Debian's `chromium`): the grouped rows
//! and the timeline are in the rendered DOM, a screenshot is written, and a repository whose
//! file names, author, commit message and configured rule text carry script and markup
//! payloads runs none of them (the DOM and the console say so) and makes no request (a
//! counting HTTP server on 127.0.0.1 that the payloads point at sees nothing). Control pages
//! show that the same checks do catch a script that runs and a request that is made.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use crate::report_grouped::spread;

/// Chromium on PATH (`chromium`, as Debian names it, or `chromium-browser`).
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return PathBuf::from(name);
        }
    }
    panic!("Chromium is needed for the HTML report test: apt-get install -y chromium (scripts/report_test_deps.sh)");
}

/// Runs headless Chromium on `page` with `extra` (`--dump-dom`, `--screenshot=…`); returns
/// standard output (the DOM) and standard error (the console, with --enable-logging).
fn run_chromium(page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = run_exit(
        Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .env("HOME", profile.path()),
        0,
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An HTTP server on 127.0.0.1 that counts the connections it gets and answers each with an
/// empty 404; it stops when dropped.
struct Counter {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Counter {
    fn start() -> Counter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        h.fetch_add(1, Ordering::Relaxed);
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
                        let mut buf = [0u8; 1024];
                        let _ = conn.read(&mut buf);
                        let _ = std::io::Write::write_all(
                            &mut conn,
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Counter { port, hits, stop }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What would change the page if it ran.
const PWN: &str = "document.documentElement.setAttribute('data-pwned','1')";

#[test]
fn the_html_report_renders_in_chromium_and_hostile_names_stay_data() {
    let server = Counter::start();
    let port = server.port;
    let hostile = move |i: usize| match i {
        0 => format!("<img src=x onerror={PWN}>.env"),
        1 => format!("\"><svg onload={PWN}>.ini"),
        2 => format!("<img src=http:/127.0.0.1:{port}/path.png>.env"),
        3 => format!("</script><script>{PWN}</script>.env"),
        _ => format!("x' onmouseover='{PWN}' y='.env"),
    };
    let s = spread(hostile);
    // An author and a message with payloads (git drops `<` and `>` from names: quotes stay),
    // and a configured rule whose text is markup.
    s.repo.write("third.env", credentials_file(44).0);
    s.repo.write("notes.txt", "token tok_abcdefgh\n");
    s.repo.git(&["add", "-A"]);
    run_exit(
        git_command(s.repo.path())
            .args([
                "commit",
                "-q",
                "--no-verify",
                "-m",
                &format!("<script>{PWN}</script><img src=http:/127.0.0.1:{port}/msg.png>"),
            ])
            .env(
                "GIT_AUTHOR_NAME",
                format!("Eve\" onmouseover=\"{PWN}\" x=\"&amp;"),
            )
            .env("GIT_AUTHOR_DATE", "1780009000 +0200")
            .env("GIT_COMMITTER_DATE", "1780009000 +0200"),
        0,
    );
    s.repo.write(
        ".keyfence.toml",
        format!(
            "[[rules]]\nid = 'tok'\ndescription = \"<img src=http:/127.0.0.1:{port}/rule.png onerror={PWN}>\"\n\
             remediation = \"<script>{PWN}</script>\"\nseverity = 'low'\nkeywords = ['tok_']\n\
             regex = 'tok_[a-z]{{8}}'\n"
        ),
    );
    // Outside the repository, in a directory of this test's own.
    let side = Fixture::new();
    let page = side.path().join("report.html");
    s.repo.keyfence_exit(
        &["history", "--format", "html", "-o", page.to_str().unwrap()],
        1,
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains(&s.secret), "redacted");
    assert!(!html.contains("http://"), "no URL in the page");

    let (dom, console) = run_chromium(&page, &["--dump-dom"]);
    // The page's own script ran (its hash is in the policy) ...
    assert!(
        dom.contains("data-filters=\"ready\""),
        "the inline script did not run: {console}"
    );
    // ... and no payload did.
    assert!(!dom.contains("data-pwned=\"1\""), "a payload ran: {dom}");
    assert!(!dom.contains("<img"), "markup became an element");
    assert!(!dom.contains("<svg onload"));
    assert!(dom.contains("<title>keyfence report</title>"));
    assert!(
        !console.contains("Refused to"),
        "CSP refused something: {console}"
    );
    assert!(!console.contains("Uncaught"), "{console}");
    // Grouped rows: the spread key (5 places), the other key, the third key, the custom token.
    assert_eq!(
        dom.matches("<tbody class=\"credential\"").count(),
        4,
        "{dom}"
    );
    let row = dom
        .split("<tbody class=\"credential\"")
        .skip(1)
        .find(|r| r.contains(&s.key_id))
        .unwrap();
    assert_eq!(row.matches("<tr class=\"location\">").count(), 5);
    assert!(
        row.contains("&lt;img src=x onerror="),
        "the file name is shown as text"
    );
    assert!(row.contains(&s.commits[0][..12]), "first commit");
    assert!(dom.contains("Eve\" onmouseover") || dom.contains("Eve&quot; onmouseover"));
    // The timeline: one mark per credential.
    assert!(dom.contains("id=\"timeline-svg\""));
    assert_eq!(dom.matches("<circle class=\"mark").count(), 4);

    // The filters, given in the address: by path, and by rule.
    let shown = |dom: &str| {
        dom.split("<tbody class=\"credential\"")
            .skip(1)
            .filter(|b| !b.split("<tr").next().unwrap().contains("hidden=\"\""))
            .count()
    };
    let filtered = |hash: &str| {
        let url = format!("{}#{hash}", page.display());
        run_chromium(Path::new(&url), &["--dump-dom"]).0
    };
    let dom = filtered("path=third");
    assert_eq!(shown(&dom), 1, "one credential shown for path=third");
    assert!(dom.contains("<span id=\"shown\">1</span>"));
    let dom = filtered("rule=tok");
    assert_eq!(shown(&dom), 1);
    let dom = filtered("status=covered");
    assert_eq!(shown(&dom), 0, "nothing is covered");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keyfence-report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1400",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot is written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);

    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.hits(), 0, "the report made a request");

    // Controls: the same checks see a payload that runs and a request that is made.
    let control = page.with_file_name("control.html");
    std::fs::write(
        &control,
        format!("<html><body><img src=x onerror=\"{PWN}\"><img src=\"http://127.0.0.1:{port}/c.png\"></body></html>"),
    )
    .unwrap();
    let (dom, _) = run_chromium(&control, &["--dump-dom"]);
    assert!(
        dom.contains("data-pwned"),
        "the control payload did not run: {dom}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.hits() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.hits() > 0, "the control request was not seen");
}

/// Counts, in Chromium at `width` pixels, the table headers shown and those whose text runs
/// over more than one line: a copy of `page` without its policy, so that a measuring script
/// may run, with `css` replaced by `with` in its style.
fn wrapped_headers(page: &Path, width: u32, css: &str, with: &str) -> (usize, usize) {
    let html = std::fs::read_to_string(page).unwrap();
    let policy = html
        .lines()
        .find(|l| l.starts_with("<meta http-equiv=\"Content-Security-Policy\""))
        .expect("the page has a policy");
    assert!(html.contains(css), "the style has {css}");
    let measure = "<script>const shown = [...document.querySelectorAll('thead th')]\
        .map(th => { const r = document.createRange(); r.selectNodeContents(th); \
        return r.getClientRects().length; }).filter(n => n > 0);\
        document.body.setAttribute('data-headers', shown.length);\
        document.body.setAttribute('data-wrapped', shown.filter(n => n > 1).length);</script>";
    let copy = page.with_file_name(format!("measure-{width}-{}.html", with.len()));
    std::fs::write(
        &copy,
        html.replace(policy, "")
            .replace(css, with)
            .replace("</body>", &format!("{measure}</body>")),
    )
    .unwrap();
    let (dom, console) = run_chromium(
        &copy,
        &["--dump-dom", &format!("--window-size={width},900")],
    );
    let attr = |name: &str| -> usize {
        let at = format!("{name}=\"");
        let rest = dom
            .split(&at)
            .nth(1)
            .unwrap_or_else(|| panic!("no {name} (the script did not run): {console}"));
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    (attr("data-headers"), attr("data-wrapped"))
}

#[test]
fn table_headers_stay_on_one_line_in_a_narrow_window() {
    let s = spread(|i| format!("conf/copy{i}.ini"));
    let side = Fixture::new();
    let page = side.path().join("report.html");
    s.repo.keyfence_exit(
        &["history", "--format", "html", "-o", page.to_str().unwrap()],
        1,
    );
    let nowrap = "white-space: nowrap; overflow-wrap: normal; ";
    for width in [700, 1280] {
        // The credentials table's 9, and those of the locations tables Chromium lays out.
        let (shown, wrapped) = wrapped_headers(&page, width, nowrap, nowrap);
        assert!(shown >= 9, "{shown} headers at {width} px");
        assert_eq!(
            wrapped, 0,
            "{wrapped} of {shown} headers wrapped at {width} px"
        );
    }
    // The control: without the rule, the same measure sees headers broken in a narrow window.
    let (shown, wrapped) = wrapped_headers(&page, 700, nowrap, "");
    assert!(
        shown >= 9 && wrapped > 0,
        "the control saw {wrapped} of {shown} wrapped"
    );
}
