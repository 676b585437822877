//! The collected result of a scan: findings, non-fatal problems and statistics, sorted once.

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::suppress::UnusedEntry;

/// Something that could not be scanned; the scan goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The file, blob or object at fault.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Counters of what a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
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
    /// Wall time of the scan in milliseconds.
    pub elapsed_ms: u64,
}

impl Stats {
    /// Adds another worker's counters.
    pub fn merge(&mut self, other: &Stats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.binary_skipped += other.binary_skipped;
        self.symlinks_skipped += other.symlinks_skipped;
        self.special_skipped += other.special_skipped;
        self.commits_scanned += other.commits_scanned;
        self.submodules_skipped += other.submodules_skipped;
        self.preexisting += other.preexisting;
        self.suppressed += other.suppressed;
        self.suppressed_by.add(&other.suppressed_by);
    }
}

/// Suppressed findings by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SuppressedBy {
    /// By an inline directive (`keyfence:allow`, `gitleaks:allow`, `pragma: allowlist secret`).
    pub inline: u64,
    /// By the global allowlist or a rule's allowlist.
    pub allowlist: u64,
    /// By the baseline.
    pub baseline: u64,
}

impl SuppressedBy {
    /// Adds other counts.
    pub fn add(&mut self, other: &SuppressedBy) {
        self.inline += other.inline;
        self.allowlist += other.allowlist;
        self.baseline += other.baseline;
    }
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Problems, sorted by path.
    pub errors: Vec<ScanError>,
    /// Counters.
    pub stats: Stats,
    /// Allowlist and baseline entries that matched nothing, when `--report-unused` asked.
    pub unused: Option<Vec<UnusedEntry>>,
}

impl ScanReport {
    /// Sorts findings and errors deterministically and fills the derived counters.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        self.errors
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        self.errors.dedup();
        self.stats.findings = self.findings.len() as u64;
        self.stats.errors = self.errors.len() as u64;
    }

    /// Findings per severity, most severe first, omitting zeros.
    pub fn by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|&s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// The process exit code: 1 with findings, 2 when something could not be scanned and nothing
    /// was found, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        if !self.findings.is_empty() {
            1
        } else if !self.errors.is_empty() {
            2
        } else {
            0
        }
    }
}
