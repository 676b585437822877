//! Clone URLs of a many-repository history run: each mirrored once (`git clone --mirror`) into
//! a cache directory and fetched again on later runs. The `git` binary does the network part
//! (keyfence's libgit2 is built without transports).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::output::sanitize;
use super::url::without_userinfo;

/// True when `s` is a clone URL (`scheme://…` or scp-like `user@host:path`), not a local path.
pub(super) fn is_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    match s.split_once(':') {
        Some((host, _)) => host.contains('@') && !host.contains('/'),
        None => false,
    }
}

/// The cache directory's name for `url`: readable, and unique by a hash of the whole URL.
fn mirror_name(url: &str) -> String {
    let shown: String = without_userinfo(url)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let shown: String = shown
        .chars()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let digest = Sha256::digest(url.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}.git", shown.trim_start_matches('.'))
}

/// The mirror of `url` in `cache`, cloned now when missing, else fetched.
pub(super) fn mirror(url: &str, cache: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(cache)
        .with_context(|| format!("cannot create the clone cache {}", cache.display()))?;
    let name = mirror_name(url);
    let dir = cache.join(&name);
    if dir.join("HEAD").exists() {
        git(&[
            "--git-dir".as_ref(),
            dir.as_os_str(),
            "remote".as_ref(),
            "update".as_ref(),
            "--prune".as_ref(),
        ])
        .with_context(|| format!("fetching {}", sanitize(&without_userinfo(url))))?;
        return Ok(dir);
    }
    // Cloned beside its place and renamed into it: a clone killed halfway is never taken for
    // a mirror.
    let partial = cache.join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    git(&[
        "clone".as_ref(),
        "--mirror".as_ref(),
        "--quiet".as_ref(),
        "--".as_ref(),
        url.as_ref(),
        partial.as_os_str(),
    ])
    .with_context(|| format!("cloning {}", sanitize(&without_userinfo(url))))?;
    std::fs::rename(&partial, &dir)
        .with_context(|| format!("cannot move the clone into {}", dir.display()))?;
    Ok(dir)
}

/// Runs `git` with no terminal prompt; its error output is the error.
fn git(args: &[&std::ffi::OsStr]) -> Result<()> {
    let out = Command::new("git")
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git failed: {}",
            sanitize(String::from_utf8_lossy(&out.stderr).trim())
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("https://example.com/a/b.git"));
        assert!(is_url("file:///tmp/x"));
        assert!(is_url("git@example.com:a/b.git"));
        assert!(!is_url("/tmp/repo"));
        assert!(!is_url("repos/a:b"));
        assert!(!is_url("./x"));
        let a = mirror_name("https://u:p@example.com/a/b.git");
        assert!(a.starts_with("https___example.com_a_b.git-"), "{a}");
        assert_ne!(a, mirror_name("https://example.com/a/b.git"));
    }
}
