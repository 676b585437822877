//! A real local STS for the verification tests: moto's server (`moto[server]` from PyPI) on
//! 127.0.0.1 with authentication on, users and keys made through its API by boto3
//! (`tests/data/moto_fixture.py`), and the server killed when the test ends.
//!
//! When `python3` cannot import moto, it is installed once into a virtualenv under the target
//! directory; a test fails loudly when moto cannot be had, never passes without it.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// How many unauthenticated calls moto lets through: the three of `bootstrap`.
const BOOTSTRAP_CALLS: &str = "3";

/// The fixture script.
fn fixture_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/moto_fixture.py")
}

fn imports_moto(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import moto.server, boto3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python that imports moto and boto3: `python3` when it does, else a virtualenv made once
/// under the target directory.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_or_install) {
        Ok(p) => p,
        Err(e) => panic!("moto is needed for the verification tests and could not be had: {e}"),
    }
}

fn find_or_install() -> Result<PathBuf, String> {
    let system = PathBuf::from("python3");
    if imports_moto(&system) {
        return Ok(system);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = dir.join("moto-venv");
    let py = venv.join("bin/python");
    if imports_moto(&py) {
        return Ok(py);
    }
    // Built beside and renamed into place, so that test processes running at once never
    // see a half-made virtualenv (the loser of the rename uses the winner's).
    let tmp = dir.join(format!("moto-venv.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&tmp))?;
    run(Command::new(tmp.join("bin/python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "moto[server]",
    ]))?;
    if std::fs::rename(&tmp, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if imports_moto(&py) {
        Ok(py)
    } else {
        Err(format!(
            "{} cannot import moto after pip install",
            py.display()
        ))
    }
}

/// A free port on 127.0.0.1 (free when asked; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub endpoint: String,
    /// The CA that signed the server's certificate (TLS only).
    pub ca: Option<PathBuf>,
    /// moto's standard error: its request log.
    log: PathBuf,
    _dir: TempDir,
    admin: (String, String),
}

impl Moto {
    /// Starts moto with authentication on and makes the admin user the fixture script signs
    /// with.
    pub fn start() -> Moto {
        Moto::start_with(false)
    }

    /// [`Moto::start`] serving HTTPS with a certificate for 127.0.0.1 signed by a test CA
    /// ([`Moto::ca`]).
    pub fn start_tls() -> Moto {
        Moto::start_with(true)
    }

    fn start_with(tls: bool) -> Moto {
        let python = python();
        let mut last = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let log = dir.path().join("moto.log");
            let port = free_port();
            let mut cmd = Command::new(python);
            cmd.args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
                .arg(port.to_string());
            let ca = tls.then(|| {
                let out = Command::new(python)
                    .arg(fixture_script())
                    .args(["-", "make-tls"])
                    .arg(dir.path())
                    .output()
                    .expect("python runs");
                assert!(
                    out.status.success(),
                    "make-tls failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                cmd.arg("-c")
                    .arg(dir.path().join("cert.pem"))
                    .arg("-k")
                    .arg(dir.path().join("key.pem"));
                dir.path().join("ca.pem")
            });
            let scheme = if tls { "https" } else { "http" };
            let child = cmd
                .env("INITIAL_NO_AUTH_ACTION_COUNT", BOOTSTRAP_CALLS)
                .env("PYTHONUNBUFFERED", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("moto server starts");
            let mut moto = Moto {
                child,
                endpoint: format!("{scheme}://127.0.0.1:{port}"),
                ca,
                log,
                _dir: dir,
                admin: (String::new(), String::new()),
            };
            match moto.wait_ready(port) {
                Ok(()) => {
                    let admin = moto.fixture(&["bootstrap"]);
                    moto.admin = (
                        admin["key_id"].as_str().unwrap().to_string(),
                        admin["secret"].as_str().unwrap().to_string(),
                    );
                    return moto;
                }
                Err(e) => last = e, // the port was taken meanwhile: another try
            }
        }
        panic!("moto server did not start: {last}");
    }

    fn wait_ready(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto exited ({status}): {}", self.log_text()));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "moto did not listen within 60 s: {}",
            self.log_text()
        ))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs a command of `tests/data/moto_fixture.py` and returns its JSON.
    pub fn fixture(&self, args: &[&str]) -> Value {
        let out = Command::new(python())
            .arg(fixture_script())
            .arg(&self.endpoint)
            .args(args)
            .env("MOTO_ADMIN_KEY_ID", &self.admin.0)
            .env("MOTO_ADMIN_SECRET", &self.admin.1)
            .envs(self.ca.iter().map(|ca| ("AWS_CA_BUNDLE", ca)))
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "moto_fixture.py {args:?} failed: {}\nserver log: {}",
            String::from_utf8_lossy(&out.stderr),
            self.log_text()
        );
        serde_json::from_slice(&out.stdout).expect("fixture prints JSON")
    }

    /// The admin user's key ID and secret (allowed everything), for other clients.
    pub fn admin(&self) -> (&str, &str) {
        (&self.admin.0, &self.admin.1)
    }

    /// A new access key for `user` (created when new): key ID and secret.
    pub fn create_key(&self, user: &str) -> (String, String) {
        let k = self.fixture(&["create-key", user]);
        (
            k["key_id"].as_str().unwrap().to_string(),
            k["secret"].as_str().unwrap().to_string(),
        )
    }

    /// Temporary credentials from AssumeRole: key ID, secret, session token.
    pub fn assume_role(&self) -> (String, String, String) {
        let k = self.fixture(&["assume-role"]);
        let s = |f: &str| k[f].as_str().unwrap().to_string();
        (s("key_id"), s("secret"), s("token"))
    }

    /// How many POST requests the server has logged (werkzeug's request log).
    pub fn posts(&self) -> usize {
        self.log_text()
            .lines()
            .filter(|l| l.contains("\"POST / HTTP/1.1\""))
            .count()
    }

    /// Waits until the server has logged `n` POSTs (a request is logged right after its
    /// answer), then returns the count; gives up after 10 s and returns what it saw.
    pub fn posts_reaching(&self, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.posts() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.posts()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
