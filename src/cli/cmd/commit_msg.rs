//! `keyfence commit-msg FILE`: what the commit-msg hook runs. The message git is about to
//! commit, its comment lines dropped as git's default cleanup drops them (`core.commentChar`,
//! default `#`; `auto` is taken as `#`), scanned as a commit message.

use anyhow::{Context, Result};

use crate::cli::args::CommitMsgArgs;
use crate::cli::git::git_scan;
use crate::cli::verify::refuse;
use crate::cli::ExitCode;
use crate::source::git::{scan_commit_message, strip_comments};

/// The largest message file read (a message is text a person wrote; git's own limit is far
/// above what a hook should hold in memory).
const MAX_MESSAGE_BYTES: u64 = 64 << 20;

/// Runs `keyfence commit-msg FILE`.
pub(crate) fn run(args: CommitMsgArgs) -> Result<ExitCode> {
    refuse("commit-msg", &args.no_verify)?;
    let file = args.file.clone();
    git_scan(&args.scan, |g| {
        let len = std::fs::metadata(&file)
            .with_context(|| format!("cannot read the commit message {}", file.display()))?
            .len();
        if len > MAX_MESSAGE_BYTES {
            anyhow::bail!(
                "{}: the commit message is {len} bytes, more than {MAX_MESSAGE_BYTES}",
                file.display()
            );
        }
        let text = std::fs::read(&file)
            .with_context(|| format!("cannot read the commit message {}", file.display()))?;
        let comment = g
            .repo
            .config()
            .ok()
            .and_then(|c| c.get_string("core.commentChar").ok())
            .and_then(|c| c.bytes().next().filter(|_| c != "auto"))
            .unwrap_or(b'#');
        let text = strip_comments(&text, comment);
        Ok(scan_commit_message(
            &text,
            &file.display().to_string(),
            g.engine,
            g.suppressor,
        ))
    })
}
