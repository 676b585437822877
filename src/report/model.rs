//! The collected result of a scan: findings, non-fatal problems and statistics, sorted once.

use serde::{Deserialize, Serialize};

use super::coverage::SetAside;
use super::finding::Finding;
use crate::rules::Severity;

/// What a scan error is about: never a made-up path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Subject {
    /// A file, directory or blob path as reports show it (`<stdin>` for standard input).
    Path(String),
    /// A git blob met at a path.
    Blob {
        /// Its path where it was met.
        path: String,
        /// The object id.
        oid: String,
    },
    /// A commit that could not be read fully.
    Commit(String),
    /// The history as a whole (a shallow clone's missing part).
    History,
    /// The file walk, when the walker names no path.
    Walk,
    /// The subject was read as far as it could be, and the rest not (an archive that is
    /// truncated or holds an entry it cannot read, or a limit reached; the history before a
    /// shallow clone's edge): a warning, not an error, unless `--strict`.
    Partial(Box<Subject>),
}

impl Subject {
    /// The subject itself, whether it was read in part or not.
    fn inner(&self) -> &Subject {
        match self {
            Subject::Partial(s) => s.inner(),
            s => s,
        }
    }
}

/// Something that could not be scanned; the scan goes on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    /// What is at fault.
    pub subject: Subject,
    /// What went wrong.
    pub message: String,
}

impl ScanError {
    /// An error about a path.
    pub(crate) fn path(path: impl Into<String>, message: impl Into<String>) -> ScanError {
        ScanError {
            subject: Subject::Path(path.into()),
            message: message.into(),
        }
    }

    /// A problem with something that was read as far as it could be: a warning (see
    /// [`Subject::Partial`]).
    pub(crate) fn partial(subject: Subject, message: impl Into<String>) -> ScanError {
        ScanError {
            subject: Subject::Partial(Box::new(subject)),
            message: message.into(),
        }
    }

    /// True when the subject was read in part (a warning unless `--strict`).
    pub(crate) fn is_partial(&self) -> bool {
        matches!(self.subject, Subject::Partial(_))
    }

    /// The path the error is about, when it is about one.
    pub(crate) fn file_path(&self) -> Option<&str> {
        match self.subject.inner() {
            Subject::Path(p) | Subject::Blob { path: p, .. } => Some(p),
            Subject::Commit(_) | Subject::History | Subject::Walk | Subject::Partial(_) => None,
        }
    }

    /// The subject as a message prefix: the path, `PATH (blob OID)`, `commit OID`, or the
    /// scope (`history`, `file walk`).
    pub(crate) fn subject(&self) -> String {
        match self.subject.inner() {
            Subject::Path(p) => p.clone(),
            Subject::Blob { path, oid } => format!("{path} (blob {oid})"),
            Subject::Commit(c) => format!("commit {c}"),
            Subject::History => "history".to_string(),
            Subject::Walk => "file walk".to_string(),
            Subject::Partial(_) => unreachable!("inner() unwraps every Partial"),
        }
    }
}

impl Serialize for ScanError {
    /// `path` (null when the error is not about a path), `object` for a blob, `commit` for a
    /// commit, and `message`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self.subject.inner() {
            Subject::Path(p) => m.serialize_entry("path", p)?,
            Subject::Blob { path, oid } => {
                m.serialize_entry("path", path)?;
                m.serialize_entry("object", oid)?;
            }
            Subject::Commit(c) => {
                m.serialize_entry("path", &None::<String>)?;
                m.serialize_entry("commit", c)?;
            }
            Subject::History | Subject::Walk | Subject::Partial(_) => {
                m.serialize_entry("path", &None::<String>)?
            }
        }
        m.serialize_entry("message", &self.message)?;
        m.end()
    }
}

/// Counters of what a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Stats {
    /// Files (or blobs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Files skipped because they look binary (a NUL byte near the start).
    pub binary_skipped: u64,
    /// Symbolic links not followed.
    pub symlinks_skipped: u64,
    /// Devices, FIFOs and sockets, which are never read.
    pub special_skipped: u64,
    /// Commits walked (git modes).
    pub commits_scanned: u64,
    /// History: commit messages, tag annotations and notes scanned.
    pub messages_scanned: u64,
    /// Submodules (gitlinks) skipped (git modes).
    pub submodules_skipped: u64,
    /// Credentials not reported because they were there before the change: in the HEAD version
    /// (staged) or in the base (a range).
    pub preexisting: u64,
    /// Findings suppressed by allowlists, inline directives or the baseline.
    pub suppressed: u64,
    /// `suppressed` by reason.
    pub suppressed_by: SuppressedBy,
    /// Findings reported.
    pub findings: u64,
    /// Problems reported in `errors`.
    pub errors: u64,
    /// Parts read as far as they could be, reported in `warnings` (`--strict` makes them
    /// errors).
    pub warnings: u64,
    /// Wall time of the scan in milliseconds.
    pub elapsed_ms: u64,
    /// Blobs not read because the datastore had them scanned under the same rules.
    pub blobs_known: u64,
    /// Findings not reported because they were triaged false-positive or revoked.
    pub closed_by_triage: u64,
}

impl Stats {
    /// Adds another worker's counters.
    pub(crate) fn merge(&mut self, other: &Stats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.binary_skipped += other.binary_skipped;
        self.symlinks_skipped += other.symlinks_skipped;
        self.special_skipped += other.special_skipped;
        self.commits_scanned += other.commits_scanned;
        self.messages_scanned += other.messages_scanned;
        self.submodules_skipped += other.submodules_skipped;
        self.preexisting += other.preexisting;
        self.suppressed += other.suppressed;
        self.suppressed_by.add(&other.suppressed_by);
        self.blobs_known += other.blobs_known;
        self.closed_by_triage += other.closed_by_triage;
    }
}

/// Suppressed findings by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SuppressedBy {
    /// By an inline directive (`keyfence:allow`, `gitleaks:allow`, `pragma: allowlist secret`).
    pub inline: u64,
    /// By the global allowlist or a rule's allowlist.
    pub allowlist: u64,
    /// By the baseline.
    pub baseline: u64,
}

impl SuppressedBy {
    /// Adds other counts.
    pub(crate) fn add(&mut self, other: &SuppressedBy) {
        self.inline += other.inline;
        self.allowlist += other.allowlist;
        self.baseline += other.baseline;
    }
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScanReport {
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Problems, sorted by path.
    pub errors: Vec<ScanError>,
    /// What was read only in part ([`Subject::Partial`]), sorted by path: they do not change
    /// the exit code unless `--strict` makes them errors ([`ScanReport::make_strict`]).
    pub warnings: Vec<ScanError>,
    /// Counters.
    pub stats: Stats,
    /// Allowlist and baseline entries that matched nothing, when `--report-unused` asked.
    pub unused: Option<Vec<UnusedEntry>>,
    /// Findings the baseline or a commit allowlist covers, kept aside (not reported, not
    /// counted as findings) when a grouped view asked for them (see `report::group`).
    pub set_aside: Vec<SetAside>,
    /// History with a grouped view: the other places of reported credentials (a history
    /// reports each credential once, at its first place); not findings of their own.
    pub also_at: Vec<Finding>,
    /// Git scans with a grouped view: the (fingerprint, path) pairs still present in the tree
    /// of a scanned tip; `None` when not worked out (see `report::group`).
    pub at_tip: Option<std::collections::BTreeSet<(String, String)>>,
}

impl ScanReport {
    /// Sorts findings and errors deterministically and fills the derived counters.
    pub(crate) fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        let (partial, errors) = std::mem::take(&mut self.errors)
            .into_iter()
            .partition(ScanError::is_partial);
        self.errors = errors;
        self.warnings.extend::<Vec<ScanError>>(partial);
        for list in [&mut self.errors, &mut self.warnings] {
            list.sort_by(|a, b| (&a.subject, &a.message).cmp(&(&b.subject, &b.message)));
            list.dedup();
        }
        self.stats.findings = self.findings.len() as u64;
        self.stats.errors = self.errors.len() as u64;
        self.stats.warnings = self.warnings.len() as u64;
    }

    /// `--strict`: every part read only in part is an error.
    pub(crate) fn make_strict(&mut self) {
        self.errors.append(&mut self.warnings);
        self.errors
            .sort_by(|a, b| (&a.subject, &a.message).cmp(&(&b.subject, &b.message)));
        self.stats.errors = self.errors.len() as u64;
        self.stats.warnings = 0;
    }

    /// Findings per severity, most severe first, omitting zeros.
    pub(crate) fn by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|&s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// An allowlist or baseline entry that matched nothing, for `--report-unused`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct UnusedEntry {
    /// Where the entry is: `baseline`, `allowlist.paths`, `rules.<id>.allowlist.regexes`, …
    pub entry: String,
    /// The entry as written (a fingerprint for the baseline).
    pub value: String,
    /// For baseline entries: rule and path, to recognise them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
