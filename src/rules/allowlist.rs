//! Compiled allowlists: the global `[allowlist]` and each rule's `[rules.allowlist]`.
//!
//! An allowlist decides whether one finding is allowed (not reported). It remembers which of its
//! entries matched something, so that `--report-unused` can list the ones that never did; the
//! marks are atomic because one allowlist serves every scanning thread.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use regex::bytes::{Regex, RegexBuilder};

use super::pattern::REGEX_SIZE_LIMIT;
use super::syntax::{AllowlistSyntax, RegexTarget};

/// The message kinds `origin` names (`message` is all of them), as findings name them.
const MESSAGE_ORIGINS: [&str; 3] = ["commit-message", "tag-message", "note"];

/// Shortest commit id prefix an allowlist accepts.
pub(crate) const MIN_COMMIT_PREFIX: usize = 7;

/// An allowlist problem: the span of the faulty value in the TOML text and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowlistError {
    /// Byte span of the value in the configuration text.
    pub span: Range<usize>,
    /// What is wrong, starting with the field name.
    pub message: String,
}

/// The fields of an allowlist, for reports of unused entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    /// `paths`.
    Paths,
    /// `regexes`.
    Regexes,
    /// `stopwords`.
    Stopwords,
    /// `key_ids`.
    KeyIds,
    /// `accounts`.
    Accounts,
    /// `commits`.
    Commits,
    /// `origin`.
    Origin,
}

impl Field {
    /// The TOML key.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Field::Paths => "paths",
            Field::Regexes => "regexes",
            Field::Stopwords => "stopwords",
            Field::KeyIds => "key_ids",
            Field::Accounts => "accounts",
            Field::Commits => "commits",
            Field::Origin => "origin",
        }
    }
}

/// What an allowlist looks at in one finding.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Candidate<'a> {
    /// The access key ID, if any.
    pub key_id: Option<&'a str>,
    /// The secret, if any.
    pub secret: Option<&'a str>,
    /// The account decoded from the key ID, if any.
    pub account_id: Option<&'a str>,
    /// The matched text, from the first to the last part of the credential.
    pub matched: &'a [u8],
    /// The line(s) the finding is on.
    pub lines: &'a [u8],
}

/// A compiled allowlist.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allowlist {
    paths: Option<Gitignore>,
    regexes: Vec<Regex>,
    target: RegexTarget,
    stopwords: Vec<String>,
    key_ids: Vec<String>,
    accounts: Vec<String>,
    commits: Vec<String>,
    /// `origin`: the message kinds (`commit-message`, …) whose findings are all allowed.
    origins: Vec<&'static str>,
    /// Every entry as written, in field order; `used` has one mark per entry.
    entries: Vec<(Field, String)>,
    used: Arc<Vec<AtomicBool>>,
}

impl Allowlist {
    /// Validates and compiles an allowlist.
    pub(crate) fn compile(raw: &AllowlistSyntax) -> Result<Allowlist, AllowlistError> {
        let err = |span: Range<usize>, message: String| AllowlistError { span, message };
        let mut list = Allowlist {
            target: raw.regex_target,
            ..Allowlist::default()
        };
        if !raw.paths.is_empty() {
            let mut builder = GitignoreBuilder::new("");
            for p in &raw.paths {
                if p.get_ref().trim().is_empty() {
                    return Err(err(p.span(), "paths: empty glob".into()));
                }
                if p.get_ref().starts_with('!') || p.get_ref().starts_with('#') {
                    return Err(err(
                        p.span(),
                        "paths: negated (`!`) and comment (`#`) lines are not supported".into(),
                    ));
                }
                builder
                    .add_line(None, p.get_ref())
                    .map_err(|e| err(p.span(), format!("paths: invalid glob: {e}")))?;
                list.entries.push((Field::Paths, p.get_ref().clone()));
            }
            let gi = builder
                .build()
                .map_err(|e| err(raw.paths[0].span(), format!("paths: {e}")))?;
            list.paths = Some(gi);
        }
        for r in &raw.regexes {
            let regex = RegexBuilder::new(r.get_ref())
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| err(r.span(), format!("regexes: invalid regex: {e}")))?;
            list.regexes.push(regex);
            list.entries.push((Field::Regexes, r.get_ref().clone()));
        }
        for s in &raw.stopwords {
            if s.get_ref().is_empty() {
                return Err(err(s.span(), "stopwords: empty stopword".into()));
            }
            list.stopwords.push(s.get_ref().to_lowercase());
            list.entries.push((Field::Stopwords, s.get_ref().clone()));
        }
        for k in &raw.key_ids {
            if k.get_ref().is_empty() {
                return Err(err(k.span(), "key_ids: empty key ID".into()));
            }
            list.key_ids.push(k.get_ref().clone());
            list.entries.push((Field::KeyIds, k.get_ref().clone()));
        }
        for a in &raw.accounts {
            let v = a.get_ref();
            if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(
                    a.span(),
                    format!("accounts: `{v}` is not a 12-digit AWS account ID"),
                ));
            }
            list.accounts.push(v.clone());
            list.entries.push((Field::Accounts, v.clone()));
        }
        for c in &raw.commits {
            let v = c.get_ref();
            if !(MIN_COMMIT_PREFIX..=64).contains(&v.len())
                || !v.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(err(
                    c.span(),
                    format!(
                        "commits: `{v}` is not a commit id (at least {MIN_COMMIT_PREFIX} hex digits)"
                    ),
                ));
            }
            list.commits.push(v.to_ascii_lowercase());
            list.entries.push((Field::Commits, v.clone()));
        }
        if let Some(o) = &raw.origin {
            list.origins = match o.get_ref().as_str() {
                "message" => MESSAGE_ORIGINS.to_vec(),
                one => match MESSAGE_ORIGINS.iter().find(|k| **k == one) {
                    Some(k) => vec![*k],
                    None => {
                        return Err(err(
                            o.span(),
                            format!(
                                "origin: `{one}` is not one of `message`, `commit-message`, \
                                 `tag-message`, `note`"
                            ),
                        ))
                    }
                },
            };
            list.entries.push((Field::Origin, o.get_ref().clone()));
        }
        list.used = Arc::new(
            list.entries
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect(),
        );
        Ok(list)
    }

    fn mark(&self, field: Field, index: usize) {
        let start = self
            .entries
            .iter()
            .position(|(f, _)| *f == field)
            .unwrap_or(0);
        if let Some(m) = self.used.get(start + index) {
            m.store(true, Ordering::Relaxed);
        }
    }

    /// True when `origin` (a message kind: `commit-message`, `tag-message`, `note`) is one whose
    /// findings this allowlist allows (`origin = "message"` allows all three); marks the entry.
    pub(crate) fn allows_origin(&self, origin: &str) -> bool {
        let allowed = self.origins.contains(&origin);
        if allowed {
            self.mark(Field::Origin, 0);
        }
        allowed
    }

    /// True when the finding described by `c` is allowed by regexes, stopwords, key IDs or
    /// accounts (paths are checked by [`Allowlist::allows_path`], commits by
    /// [`Allowlist::is_allowed_commit`]). Every matching entry is marked as used.
    pub(crate) fn allows(&self, c: &Candidate<'_>) -> bool {
        let mut allowed = false;
        let target: Option<&[u8]> = match self.target {
            RegexTarget::Secret => c.secret.or(c.key_id).map(str::as_bytes),
            RegexTarget::Match => Some(c.matched),
            RegexTarget::Line => Some(c.lines),
        };
        if let Some(text) = target {
            for (i, r) in self.regexes.iter().enumerate() {
                if r.is_match(text) {
                    self.mark(Field::Regexes, i);
                    allowed = true;
                }
            }
        }
        if !self.stopwords.is_empty() {
            let parts: Vec<String> = [c.secret, c.key_id]
                .into_iter()
                .flatten()
                .map(str::to_lowercase)
                .collect();
            for (i, w) in self.stopwords.iter().enumerate() {
                if parts.iter().any(|p| p.contains(w.as_str())) {
                    self.mark(Field::Stopwords, i);
                    allowed = true;
                }
            }
        }
        if let Some(k) = c.key_id {
            for (i, _) in self.key_ids.iter().enumerate().filter(|(_, x)| *x == k) {
                self.mark(Field::KeyIds, i);
                allowed = true;
            }
        }
        if let Some(a) = c.account_id {
            for (i, _) in self.accounts.iter().enumerate().filter(|(_, x)| *x == a) {
                self.mark(Field::Accounts, i);
                allowed = true;
            }
        }
        allowed
    }

    /// True when a glob of `paths` matches `path` or one of its parent directories; the
    /// matching entry is marked as used.
    pub(crate) fn allows_path(&self, path: &Path) -> bool {
        let Some(gi) = &self.paths else {
            return false;
        };
        if path.has_root() {
            return false;
        }
        let hit = |m: Match<&ignore::gitignore::Glob>| match m {
            Match::Ignore(glob) => Some(glob.original().to_string()),
            _ => None,
        };
        let mut found = hit(gi.matched(path, false));
        let mut cur = path;
        while found.is_none() {
            match cur.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => {
                    found = hit(gi.matched(parent, true));
                    cur = parent;
                }
                _ => break,
            }
        }
        let Some(original) = found else {
            return false;
        };
        let i = self
            .entries
            .iter()
            .filter(|(f, _)| *f == Field::Paths)
            .position(|(_, v)| v.trim_end() == original.trim_end());
        if let Some(i) = i {
            self.mark(Field::Paths, i);
        }
        true
    }

    /// True when `commit` (a full commit id) is listed in full or by a prefix.
    pub(crate) fn is_allowed_commit(&self, commit: &str) -> bool {
        let commit = commit.to_ascii_lowercase();
        let mut allowed = false;
        for (i, c) in self.commits.iter().enumerate() {
            if commit.starts_with(c.as_str()) {
                self.mark(Field::Commits, i);
                allowed = true;
            }
        }
        allowed
    }

    /// Entries that have matched nothing so far, in field order.
    pub(crate) fn unused(&self) -> Vec<(Field, String)> {
        self.entries
            .iter()
            .zip(self.used.iter())
            .filter(|(_, used)| !used.load(Ordering::Relaxed))
            .map(|(e, _)| e.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(toml_text: &str) -> Allowlist {
        let raw: AllowlistSyntax = toml::from_str(toml_text).unwrap();
        Allowlist::compile(&raw).unwrap()
    }

    #[test]
    fn paths_match_files_and_directories_relative_to_the_root() {
        let l = list("paths = ['docs/', '*.md', '/fixtures/*.env']");
        assert!(l.allows_path(Path::new("docs/a/b.txt")));
        assert!(l.allows_path(Path::new("src/README.md")));
        assert!(l.allows_path(Path::new("fixtures/dev.env")));
        assert!(!l.allows_path(Path::new("src/fixtures/dev.env")));
        assert!(!l.allows_path(Path::new("src/main.rs")));
        assert!(!l.allows_path(Path::new("/abs/docs/x")));
        assert!(l.unused().is_empty());
    }

    #[test]
    fn regex_targets_and_stopwords() {
        let c = Candidate {
            key_id: Some("KEYID"),
            secret: Some("SeCrEt"),
            matched: b"KEYID = SeCrEt",
            lines: b"x: KEYID = SeCrEt # test fixture",
            ..Candidate::default()
        };
        assert!(list("regexes = ['^SeC']").allows(&c));
        assert!(!list("regexes = ['^KEY']").allows(&c));
        assert!(list("regexes = ['^KEY.*Et$']\nregex_target = 'match'").allows(&c));
        assert!(list("regexes = ['fixture']\nregex_target = 'line'").allows(&c));
        assert!(!list("regexes = ['fixture']\nregex_target = 'match'").allows(&c));
        assert!(list("stopwords = ['secret']").allows(&c));
        assert!(list("stopwords = ['keyi']").allows(&c));
        assert!(list("key_ids = ['KEYID']").allows(&c));
        assert!(!list("key_ids = ['KEYI']").allows(&c));
    }

    #[test]
    fn accounts_and_commits_are_validated_and_matched() {
        let raw: AllowlistSyntax = toml::from_str("accounts = ['12345']").unwrap();
        let e = Allowlist::compile(&raw).unwrap_err();
        assert_eq!(e.span, 12..19);
        let raw: AllowlistSyntax = toml::from_str("commits = ['abc']").unwrap();
        assert!(Allowlist::compile(&raw).is_err());
        let l = list("accounts = ['123456789012']\ncommits = ['ABCDEF1', 'fedcba9876']");
        assert!(l.allows(&Candidate {
            account_id: Some("123456789012"),
            ..Candidate::default()
        }));
        assert!(l.is_allowed_commit("abcdef1234567890abcdef1234567890abcdef12"));
        assert!(!l.is_allowed_commit("abcdee1234567890abcdef1234567890abcdef12"));
        assert_eq!(l.unused(), vec![(Field::Commits, "fedcba9876".to_string())]);
    }
}
