//! Suppression: what keeps a detection out of the report, and the counts of what was kept out.
//! The same steps run for every source, in this order:
//!
//! 1. [`Suppressor::keep`], while the blob's bytes are at hand: inline directives, then the
//!    allowlists' content fields (regexes, stopwords, key IDs, accounts), global and per rule;
//!    what is left becomes findings, repeats of one credential in a blob merged into one.
//! 2. [`Suppressor::keep_at_path`], once the blob's path is known (right away for files and
//!    staged blobs, at attribution for a history blob read in pack order): keyfence's own files
//!    and the allowlists' `paths`.
//! 3. [`finish_report`], once over the collected report: commit allowlists (findings know their
//!    commit only there) and the baseline; it adds the counts to the stats.

mod baseline;
mod inline;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) use baseline::{Baseline, BaselineFile, BASELINE_FILE};

use crate::report::{Coverage, Finding, ScanReport, SetAside, SuppressedBy, UnusedEntry};
use crate::rules::{Allowlist, Candidate, Matcher, Rule, RuleSet};
use crate::scan::Detection;

/// Why a finding was not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// An inline directive.
    Inline,
    /// The global allowlist or the rule's.
    Allowlist,
}

/// The suppression state shared by every worker: the global allowlist, the root that relative
/// allowlist paths start from, keyfence's own files, and counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Suppressor {
    allowlist: Allowlist,
    root: Option<PathBuf>,
    own_files: Vec<PathBuf>,
    inline: Arc<AtomicU64>,
    allowlisted: Arc<AtomicU64>,
    keep_aside: bool,
}

impl Suppressor {
    /// A suppressor with a global allowlist; `root` (absolute) turns absolute finding paths back
    /// into root-relative ones for `paths` globs.
    pub(crate) fn new(allowlist: Allowlist, root: Option<PathBuf>) -> Suppressor {
        Suppressor {
            allowlist,
            root,
            ..Suppressor::default()
        }
    }

    /// Adds keyfence's own files (root-relative paths: the configuration and the baseline in
    /// use). Findings in them are allowed: the baseline lists key IDs by design, and a
    /// configuration holds allowlisted key IDs and custom rules' examples.
    pub(crate) fn with_own_files(mut self, files: impl IntoIterator<Item = PathBuf>) -> Suppressor {
        self.own_files.extend(files);
        self
    }

    /// Step 1: drops the detections in `data` that an inline directive or an allowlist's
    /// content fields allow, and turns the rest into findings (without a path), one per
    /// credential with its occurrence count. A credential repeated in a blob is one finding, so
    /// one suppression.
    pub(crate) fn keep(
        &self,
        rules: &RuleSet,
        data: &[u8],
        detections: Vec<Detection>,
    ) -> Vec<Finding> {
        let mut findings: Vec<Finding> = Vec::new();
        let mut by_fingerprint: HashMap<String, usize> = HashMap::new();
        let mut suppressed: HashSet<String> = HashSet::new();
        let mut lines = inline::LineCache::new(data);
        for d in detections {
            let fp = &d.finding.fingerprint;
            if let Some(reason) = self.by_content(&rules.rules[d.rule], data, &mut lines, &d) {
                if !by_fingerprint.contains_key(fp) && suppressed.insert(fp.clone()) {
                    self.count(reason);
                }
                continue;
            }
            if let Some(&i) = by_fingerprint.get(fp) {
                findings[i].occurrences += 1;
                continue;
            }
            by_fingerprint.insert(fp.clone(), findings.len());
            findings.push(d.finding);
        }
        findings
    }

    fn by_content(
        &self,
        rule: &Rule,
        data: &[u8],
        cache: &mut inline::LineCache<'_>,
        d: &Detection,
    ) -> Option<Reason> {
        let lines = cache.finding_lines(d.span.start, d.span.end);
        if inline::suppressed(&lines) {
            return Some(Reason::Inline);
        }
        let f = &d.finding;
        let c = Candidate {
            key_id: f.key_id.as_deref(),
            secret: f.secret.as_ref().map(|s| s.expose()),
            account_id: f.account_id.as_deref(),
            matched: data.get(d.span.clone()).unwrap_or_default(),
            lines: lines.lines,
        };
        // Both lists are asked so that each marks its matching entries as used.
        let global = self.allowlist.allows(&c);
        let own = rule.allowlist.as_ref().is_some_and(|a| a.allows(&c));
        (global || own).then_some(Reason::Allowlist)
    }

    /// Step 2: drops the findings of a blob at `path` that are in keyfence's own files or that
    /// a `paths` allowlist allows; the rest report `shown` as their path.
    pub(crate) fn keep_at_path(
        &self,
        rules: &RuleSet,
        path: &Path,
        shown: &str,
        findings: &mut Vec<Finding>,
    ) {
        if findings.is_empty() {
            return;
        }
        let relative = self.relative(path);
        let own_file = self.own_files.iter().any(|f| f == relative);
        findings.retain_mut(|f| {
            let rule = rules.get(&f.rule_id);
            // Both lists are asked so that each marks its matching entries as used.
            let global = self.allowlist.allows_path(relative);
            let own = rule
                .and_then(|r| r.allowlist.as_ref())
                .is_some_and(|a| a.allows_path(relative));
            if (own_file && may_be_in_own_file(rule, f)) || global || own {
                self.count(Reason::Allowlist);
                return false;
            }
            shown.clone_into(&mut f.path);
            true
        });
    }

    /// The origin step for findings of a git message of kind `origin` (`commit-message`,
    /// `tag-message`, `note`), in place of the path step: drops (and counts) those that the
    /// global allowlist's or their rule's `origin` allows.
    pub(crate) fn keep_in_message(
        &self,
        rules: &RuleSet,
        origin: &str,
        findings: &mut Vec<Finding>,
    ) {
        findings.retain(|f| {
            // Both lists are asked so that each marks its entry as used.
            let global = self.allowlist.allows_origin(origin);
            let own = rules
                .get(&f.rule_id)
                .and_then(|r| r.allowlist.as_ref())
                .is_some_and(|a| a.allows_origin(origin));
            if global || own {
                self.count(Reason::Allowlist);
            }
            !(global || own)
        });
    }

    /// The findings of a file that is one of keyfence's own (a report it wrote) that such a file
    /// may hold: key IDs, never an AWS secret. The rest are dropped and counted.
    pub(crate) fn keep_in_own_file(&self, rules: &RuleSet, findings: &mut Vec<Finding>) {
        findings.retain(|f| {
            let allowed = may_be_in_own_file(rules.get(&f.rule_id), f);
            if allowed {
                self.count(Reason::Allowlist);
            }
            !allowed
        });
    }

    /// With `on`, [`finish_report`] keeps the findings the baseline or a commit allowlist
    /// covers in `report.set_aside` (for a grouped view) instead of dropping them.
    pub(crate) fn set_keep_aside(&mut self, on: bool) {
        self.keep_aside = on;
    }

    /// Counts one suppressed finding.
    fn count(&self, reason: Reason) {
        match reason {
            Reason::Inline => self.inline.fetch_add(1, Ordering::Relaxed),
            Reason::Allowlist => self.allowlisted.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// `path` relative to the root when it is under it (as allowlist paths are), else as given.
    fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        match &self.root {
            Some(root) if path.has_root() => path.strip_prefix(root).unwrap_or(path),
            _ => path.strip_prefix(".").unwrap_or(path),
        }
    }

    /// Takes the counts so far (inline, allowlist) and resets them.
    fn take_counts(&self) -> (u64, u64) {
        (
            self.inline.swap(0, Ordering::Relaxed),
            self.allowlisted.swap(0, Ordering::Relaxed),
        )
    }
}

/// What keyfence's own files (the configuration, the baseline) may hold without a finding: key
/// IDs (allowlisted ones, baseline previews) and custom rules' matches (their examples), never an
/// AWS secret or session token, which those files have no reason to hold.
fn may_be_in_own_file(rule: Option<&Rule>, f: &Finding) -> bool {
    let aws = rule.is_some_and(|r| matches!(r.matcher, Matcher::Aws(_)));
    !aws || (f.secret.is_none() && f.session_token.is_none())
}

/// Applies what only a whole report can decide and fills the suppression stats: commit
/// allowlists (global and per rule) and the baseline; then adds the engine's counts. With
/// `report_unused`, lists the entries that matched nothing in `report.unused`.
pub(crate) fn finish_report(
    report: &mut ScanReport,
    rules: &RuleSet,
    suppressor: &Suppressor,
    baseline: Option<&Baseline>,
    report_unused: bool,
) {
    let global = &suppressor.allowlist;
    let coverage = |f: &Finding| {
        if let Some(c) = &f.commit {
            let rule = rules.get(&f.rule_id);
            let g = global.is_allowed_commit(&c.id);
            let own = rule
                .and_then(|r| r.allowlist.as_ref())
                .is_some_and(|a| a.is_allowed_commit(&c.id));
            if g || own {
                return Some(Coverage::CommitAllowlist);
            }
        }
        baseline
            .is_some_and(|b| b.contains(&f.fingerprint))
            .then_some(Coverage::Baseline)
    };
    let mut used_fps = BTreeSet::new();
    let mut by = SuppressedBy::default();
    let mut aside = Vec::new();
    report.findings.retain(|f| {
        let Some(covered) = coverage(f) else {
            return true;
        };
        match covered {
            Coverage::Baseline => {
                used_fps.insert(f.fingerprint.clone());
                by.baseline += 1;
            }
            _ => by.allowlist += 1,
        }
        if suppressor.keep_aside {
            aside.push(SetAside {
                finding: f.clone(),
                coverage: covered,
            });
        }
        false
    });
    // The other places of a credential (grouped history) follow the same rules, uncounted.
    report.also_at.retain(|f| match coverage(f) {
        Some(covered) => {
            aside.push(SetAside {
                finding: f.clone(),
                coverage: covered,
            });
            false
        }
        None => true,
    });
    report.set_aside.extend(aside);
    let (inline, allowlisted) = suppressor.take_counts();
    by.inline += inline;
    by.allowlist += allowlisted;
    report.stats.suppressed_by.add(&by);
    report.stats.suppressed += by.inline + by.allowlist + by.baseline;
    if report_unused {
        report.unused = Some(unused_entries(rules, suppressor, baseline, &used_fps));
    }
    report.finish();
}

fn unused_entries(
    rules: &RuleSet,
    suppressor: &Suppressor,
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
    list("allowlist", &suppressor.allowlist, &mut out);
    for r in &rules.rules {
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
    use crate::report::CommitInfo;
    use crate::scan::ScanEngine;
    use crate::validate::synthetic::expand_template;
    use baseline::BaselineEntry;

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
        let engine = ScanEngine::new(config.rules.clone(), config.aws);
        let suppressor = Suppressor::new(config.allowlist.clone(), None);
        let text =
            expand_template("id = ${keyid:AKIA:1}\nx\nx\nx\nx\nx\nx\nx\nx\nx\ntok_abcdefgh\n");
        let data = text.as_bytes();
        let detected = engine.detect(data, 0..data.len()).list;
        let mut found = suppressor.keep(&config.rules, data, detected);
        suppressor.keep_at_path(&config.rules, Path::new("f"), "f", &mut found);
        assert_eq!(found.len(), 2);
        let with_commit = |f: &Finding, id: &str| {
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
        finish_report(
            &mut report,
            &config.rules,
            &suppressor,
            Some(&baseline),
            true,
        );
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
