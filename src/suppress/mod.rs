//! Suppression: what keeps a detection out of the report, and the counts of what was kept out.
//!
//! Two places decide. The [`Suppressor`] runs inside the scan engine for every blob, because
//! inline directives and `line`/`match` regexes need the blob's bytes: inline directives, the
//! global allowlist and each rule's allowlist (all fields but `commits`). [`finish_report`] runs
//! once over the collected [`ScanReport`], in every mode: commit allowlists (findings know their
//! commit only there, in git modes) and the baseline, and it adds the engine's counts to the stats.

pub mod allowlist;
pub mod baseline;
pub mod inline;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;

pub use allowlist::{Allowlist, Candidate, Field};
pub use baseline::{Baseline, BaselineEntry, BaselineFile, BASELINE_FILE};

use crate::report_model::{ScanReport, SuppressedBy};
use crate::rules::Rule;
use crate::scan::ScanEngine;

/// Why a finding was not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An inline directive.
    Inline,
    /// The global allowlist or the rule's.
    Allowlist,
    /// The baseline.
    Baseline,
}

/// The suppression state the engine carries: the global allowlist, the root that relative
/// allowlist paths start from, keyfence's own files, and counters shared by every thread.
#[derive(Debug, Clone, Default)]
pub struct Suppressor {
    allowlist: Allowlist,
    root: Option<PathBuf>,
    own_files: Vec<String>,
    inline: Arc<AtomicU64>,
    allowlisted: Arc<AtomicU64>,
}

/// What the engine knows of a detection when it asks the [`Suppressor`].
#[derive(Debug, Clone)]
pub struct Detected<'a> {
    /// The finding's path as reported.
    pub path: &'a str,
    /// Byte span of the credential in the blob.
    pub span: Range<usize>,
    /// The key ID, if any.
    pub key_id: Option<&'a str>,
    /// The secret, if any.
    pub secret: Option<&'a str>,
    /// The decoded account, if any.
    pub account_id: Option<&'a str>,
}

impl Suppressor {
    /// A suppressor with a global allowlist; `root` (absolute) turns absolute finding paths back
    /// into root-relative ones for `paths` globs.
    pub fn new(allowlist: Allowlist, root: Option<PathBuf>) -> Suppressor {
        Suppressor {
            allowlist,
            root,
            ..Suppressor::default()
        }
    }

    /// Adds keyfence's own files (root-relative paths: the configuration and the baseline in
    /// use). Findings in them are allowed: the baseline lists key IDs by design, and a
    /// configuration holds allowlisted key IDs and custom rules' examples.
    pub fn with_own_files(mut self, files: impl IntoIterator<Item = String>) -> Suppressor {
        self.own_files.extend(files);
        self
    }

    /// The global allowlist.
    pub fn allowlist(&self) -> &Allowlist {
        &self.allowlist
    }

    /// Decides whether a detection in `data` found by `rule` is suppressed. The caller counts
    /// each suppressed finding once with [`Suppressor::count`].
    pub fn check(&self, rule: &Rule, data: &[u8], d: Detected<'_>) -> Option<Reason> {
        let lines = inline::finding_lines(data, d.span.start, d.span.end);
        if inline::suppressed(&lines) {
            return Some(Reason::Inline);
        }
        let path = self.relative(d.path);
        if self.own_files.contains(&path) {
            return Some(Reason::Allowlist);
        }
        let c = Candidate {
            path: &path,
            key_id: d.key_id,
            secret: d.secret,
            account_id: d.account_id,
            matched: data.get(d.span.clone()).unwrap_or_default(),
            lines: lines.lines,
        };
        // Both lists are asked so that each marks its matching entries as used.
        let global = self.allowlist.allows(&c);
        let own = rule.allowlist.as_ref().is_some_and(|a| a.allows(&c));
        if global || own {
            return Some(Reason::Allowlist);
        }
        None
    }

    /// Decides the path-only part of [`Suppressor::check`] for a finding whose blob was scanned
    /// before its path was known (a history scan reads blobs in pack order while the commit
    /// walk finds their paths): keyfence's own files and `paths` allowlists. Counts what it
    /// suppresses.
    pub fn check_path(&self, rule: &Rule, path: &str) -> bool {
        let path = self.relative(path);
        // Both lists are asked so that each marks its matching entries as used.
        let global = self.allowlist.allows_path(&path);
        let own = rule
            .allowlist
            .as_ref()
            .is_some_and(|a| a.allows_path(&path));
        let allowed = self.own_files.contains(&path) || global || own;
        if allowed {
            self.count(Reason::Allowlist);
        }
        allowed
    }

    /// Counts one suppressed finding.
    pub fn count(&self, reason: Reason) {
        match reason {
            Reason::Inline => self.inline.fetch_add(1, Ordering::Relaxed),
            Reason::Allowlist | Reason::Baseline => {
                self.allowlisted.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// `path` relative to the root when it is under it (as allowlist paths are), else as given.
    pub fn relative(&self, path: &str) -> String {
        let p = Path::new(path);
        match &self.root {
            Some(root) if p.has_root() => p.strip_prefix(root).map_or_else(
                |_| path.to_string(),
                |r| r.to_string_lossy().replace('\\', "/"),
            ),
            _ => path.strip_prefix("./").unwrap_or(path).to_string(),
        }
    }

    /// Takes the counts so far (inline, allowlist) and resets them.
    pub fn take_counts(&self) -> (u64, u64) {
        (
            self.inline.swap(0, Ordering::Relaxed),
            self.allowlisted.swap(0, Ordering::Relaxed),
        )
    }
}

/// An allowlist or baseline entry that matched nothing, for `--report-unused`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnusedEntry {
    /// Where the entry is: `baseline`, `allowlist.paths`, `rules.<id>.allowlist.regexes`, …
    pub entry: String,
    /// The entry as written (a fingerprint for the baseline).
    pub value: String,
    /// For baseline entries: rule and path, to recognise them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Applies what only a whole report can decide and fills the suppression stats: commit
/// allowlists (global and per rule) and the baseline; then adds the engine's counts. With
/// `report_unused`, lists the entries that matched nothing in `report.unused`.
pub fn finish_report(
    report: &mut ScanReport,
    engine: &ScanEngine,
    baseline: Option<&Baseline>,
    report_unused: bool,
) {
    let global = engine.suppressor().allowlist();
    let mut used_fps = BTreeSet::new();
    let mut by = SuppressedBy::default();
    report.findings.retain(|f| {
        if let Some(c) = &f.commit {
            let rule = engine.rules().get(&f.rule_id);
            let g = global.is_allowed_commit(&c.id);
            let own = rule
                .and_then(|r| r.allowlist.as_ref())
                .is_some_and(|a| a.is_allowed_commit(&c.id));
            if g || own {
                by.allowlist += 1;
                return false;
            }
        }
        if let Some(b) = baseline {
            if b.contains(&f.fingerprint) {
                used_fps.insert(f.fingerprint.clone());
                by.baseline += 1;
                return false;
            }
        }
        true
    });
    let (inline, allowlisted) = engine.suppressor().take_counts();
    by.inline += inline;
    by.allowlist += allowlisted;
    report.stats.suppressed_by.add(&by);
    report.stats.suppressed += by.inline + by.allowlist + by.baseline;
    if report_unused {
        report.unused = Some(unused_entries(engine, baseline, &used_fps));
    }
    report.finish();
}

fn unused_entries(
    engine: &ScanEngine,
    baseline: Option<&Baseline>,
    used: &BTreeSet<String>,
) -> Vec<UnusedEntry> {
    let mut out = Vec::new();
    if let Some(b) = baseline {
        out.extend(b.unused(used).into_iter().map(|e| UnusedEntry {
            entry: "baseline".into(),
            value: e.fingerprint.clone(),
            detail: Some(format!("{} in {}", e.rule_id, e.path)),
        }));
    }
    let list = |prefix: &str, a: &Allowlist, out: &mut Vec<UnusedEntry>| {
        out.extend(a.unused().into_iter().map(|(field, value)| UnusedEntry {
            entry: format!("{prefix}.{}", field.as_str()),
            value,
            detail: None,
        }));
    };
    list("allowlist", engine.suppressor().allowlist(), &mut out);
    for r in &engine.rules().rules {
        if let Some(a) = &r.allowlist {
            list(&format!("rules.{}.allowlist", r.id), a, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EffectiveConfig;
    use crate::finding::CommitInfo;
    use crate::synthetic::expand_template;

    /// Git modes set `commit` on findings; `finish_report` applies commit allowlists (global and
    /// per rule) and the baseline to them, and counts what it removed.
    #[test]
    fn finish_report_applies_commit_allowlists_and_the_baseline() {
        let config = EffectiveConfig::from_toml(
            "[allowlist]\ncommits = ['aaaaaaa']\n[[rules]]\nid = 'tok'\ndescription = 'd'\n\
             severity = 'low'\nkeywords = ['tok_']\nregex = 'tok_[a-z]{8}'\n\
             [rules.allowlist]\ncommits = ['bbbbbbbbbb']\n",
            "k.toml",
            Path::new("."),
        )
        .unwrap();
        let engine = config.engine(&[]);
        let text =
            expand_template("id = ${keyid:AKIA:1}\nx\nx\nx\nx\nx\nx\nx\nx\nx\ntok_abcdefgh\n");
        let found = engine.scan(text.as_bytes(), "f");
        assert_eq!(found.len(), 2);
        let with_commit = |f: &crate::finding::Finding, id: &str| {
            let mut f = f.clone();
            f.commit = Some(CommitInfo {
                id: id.to_string(),
                author: String::new(),
                date: String::new(),
            });
            f
        };
        let (key, tok) = (&found[0], &found[1]);
        let mut report = ScanReport {
            findings: vec![
                with_commit(key, &"a".repeat(40)), // global commit allowlist
                with_commit(key, &"c".repeat(40)), // reported
                with_commit(tok, &"b".repeat(40)), // the rule's commit allowlist
                with_commit(key, &"b".repeat(40)), // not the key rule's allowlist
                tok.clone(),                       // no commit: baseline
            ],
            ..ScanReport::default()
        };
        let baseline = Baseline::from_json(
            &BaselineFile {
                version: 1,
                findings: vec![BaselineEntry {
                    fingerprint: tok.fingerprint.clone(),
                    rule_id: "tok".into(),
                    path: "f".into(),
                    preview: String::new(),
                }],
            }
            .to_json(),
            "b.json",
        )
        .unwrap();
        finish_report(&mut report, &engine, Some(&baseline), true);
        let commits: Vec<_> = report
            .findings
            .iter()
            .map(|f| f.commit.as_ref().unwrap().id.chars().next().unwrap())
            .collect();
        assert_eq!(commits, vec!['c', 'b']);
        assert_eq!(report.findings[1].rule_id, key.rule_id);
        assert_eq!(report.stats.suppressed_by.allowlist, 2);
        assert_eq!(report.stats.suppressed_by.baseline, 1);
        assert_eq!(report.stats.suppressed, 3);
        assert_eq!(report.unused, Some(vec![]));
    }
}
