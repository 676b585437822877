//! What `keyfence pre-receive` tells the pusher and the administrator: lines on standard error,
//! which git relays to the pusher as `remote: …` (prefixed `GL-HOOK-ERR:` under GitLab, so its
//! web interface shows them), and JSON lines appended to the audit log.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::pre_receive_env::PushEnv;
use crate::cli::output::sanitize;
use crate::source::git::{rfc3339_utc, RefUpdate};

/// Writes the hook's messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Say {
    /// Prefix every line with `GL-HOOK-ERR: ` (GitLab shows only such lines in its interface).
    pub gitlab: bool,
}

impl Say {
    /// Writes each line of `text` to standard error, sanitised, with GitLab's prefix if needed.
    pub(super) fn line(&self, text: &str) {
        let prefix = if self.gitlab { "GL-HOOK-ERR: " } else { "" };
        let mut err = std::io::stderr().lock();
        for line in text.lines() {
            let _ = writeln!(err, "{prefix}{}", sanitize(line));
        }
    }
}

/// The audit log and what every record says about the push.
#[derive(Debug, Clone)]
pub(super) struct Audit {
    /// The JSON Lines file, when one is configured.
    pub path: Option<PathBuf>,
    /// The repository pushed to.
    pub repository: String,
    /// Who pushed.
    pub user: Value,
    /// The ref updates of the push.
    pub updates: Vec<RefUpdate>,
}

impl Audit {
    /// An audit of a push to `repository` by the pusher `env` names.
    pub(super) fn new(
        path: Option<PathBuf>,
        repository: String,
        env: &PushEnv,
        updates: Vec<RefUpdate>,
    ) -> Audit {
        let user = match &env.user {
            Some((var, name)) => json!({ "name": name, "source": var }),
            None => Value::Null,
        };
        Audit {
            path,
            repository,
            user,
            updates,
        }
    }

    /// The refs of the push as the log records them; `commits` adds, per ref index, the commits
    /// it brings and whether the list was cut.
    pub(super) fn refs(&self, commits: &[(usize, Vec<String>, bool)]) -> Value {
        let refs: Vec<Value> = self
            .updates
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let mut r =
                    json!({ "ref": u.name, "old": u.old.to_string(), "new": u.new.to_string() });
                if let Some((_, list, cut)) = commits.iter().find(|(k, _, _)| *k == i) {
                    r["commits"] = json!(list);
                    r["commits_truncated"] = json!(cut);
                }
                r
            })
            .collect();
        Value::Array(refs)
    }

    /// Appends one record: `event`, the time, the repository, the pusher, `refs` and `detail`.
    /// Without a log, nothing. A log that cannot be written is an error naming it.
    pub(super) fn record(&self, event: &str, refs: Value, detail: Value) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let record = json!({
            "time": rfc3339_utc(now),
            "event": event,
            "repository": self.repository,
            "user": self.user,
            "refs": refs,
            "detail": detail,
        });
        let mut line = record.to_string();
        line.push('\n');
        // One write of the whole line to a file opened for appending: records of concurrent
        // pushes do not interleave.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| format!("cannot write the audit log {}: {e}", path.display()))
    }

    /// Like [`Audit::record`], but a failure is only a warning on standard error.
    pub(super) fn record_or_warn(&self, say: &Say, event: &str, refs: Value, detail: Value) {
        if let Err(e) = self.record(event, refs, detail) {
            say.line(&format!("keyfence: warning: {e}"));
        }
    }
}
