//! The seam between sources and the scan: every source hands its blobs to a [`BlobScanner`],
//! which does the one binary check, counts the one set of stats, runs the engine and the
//! suppression steps, and gives back findings that carry the blob's path.

#[cfg(doc)]
use super::Origin;
use std::path::Path;

use super::archive::ArchiveOptions;
use super::decode::{self, Encoding};
use super::{looks_binary, show_path, Blob};
use crate::report::{is_keyfence_report, Finding, ScanError, Stats, Subject};
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::scan::MAX_MATCHES_PER_WINDOW;
use crate::suppress::Suppressor;

/// What scanning a blob gave.
#[derive(Debug)]
pub(crate) enum Scanned {
    /// It looked binary and was not scanned.
    Binary,
    /// Its findings (with their path, unless the origin is [`Origin::Packed`]).
    Text(Vec<Finding>),
}

/// One worker's scanner: shared engine and suppressor, its own counters.
#[derive(Debug)]
pub(crate) struct BlobScanner<'a> {
    engine: &'a ScanEngine,
    suppressor: &'a Suppressor,
    scan_binary: bool,
    /// What this worker scanned and skipped.
    pub stats: Stats,
    /// Problems with blobs whose path is known; the worker hands them on.
    pub errors: Vec<ScanError>,
    /// Regex rules capped in what was detected since the last [`BlobScanner::take_capped`].
    capped: Vec<String>,
    /// Whether and how far archives are expanded (on, with the default limits, unless
    /// [`BlobScanner::with_archives`] says otherwise).
    archives: ArchiveOptions,
}

impl<'a> BlobScanner<'a> {
    /// A scanner; `scan_binary` scans blobs that look binary instead of skipping them.
    pub(crate) fn new(
        engine: &'a ScanEngine,
        suppressor: &'a Suppressor,
        scan_binary: bool,
    ) -> BlobScanner<'a> {
        BlobScanner {
            engine,
            suppressor,
            scan_binary,
            stats: Stats::default(),
            errors: Vec::new(),
            capped: Vec::new(),
            archives: ArchiveOptions::default(),
        }
    }

    /// The same scanner with these archive options.
    pub(crate) fn with_archives(mut self, archives: ArchiveOptions) -> BlobScanner<'a> {
        self.archives = archives;
        self
    }

    /// Scans the entries of the archive in `file`, `len` bytes too large to read whole, when it
    /// is one this scanner expands (`None` otherwise: scan it as usual).
    pub(crate) fn scan_archive_file(
        &mut self,
        file: &mut std::fs::File,
        len: u64,
        origin: super::Origin<'_>,
    ) -> std::io::Result<Option<Vec<Finding>>> {
        archive_sink::scan_file_entries(self, file, len, origin)
    }

    /// True when a blob starting with `head` is an archive this scanner expands (a check of
    /// its magic bytes).
    pub(crate) fn expands(&self, head: &[u8]) -> bool {
        archive_sink::expands(self, head)
    }

    /// The rules the engine runs.
    pub(crate) fn rules(&self) -> &'a RuleSet {
        self.engine.rules()
    }

    /// True when `bytes` would be skipped as binary (UTF-16 and UTF-32 text is not: it is
    /// transcoded).
    pub(crate) fn skips(&self, bytes: &[u8]) -> bool {
        !self.scan_binary && looks_binary(bytes) && decode::sniff(bytes, true).is_none()
    }

    /// Scans a whole blob. Blobs that are part of what is scanned are counted (binary skips
    /// included); a base version and a packed blob are not: the first only tells what was there
    /// before, the second is counted by [`BlobScanner::attribute`] once its path is known.
    /// An archive is expanded first, before the binary check: its entries are scanned as blobs
    /// of their own, and their findings carry `archive!entry` paths.
    pub(crate) fn scan(&mut self, blob: Blob<'_>) -> Scanned {
        if let Some(entries) = archive_sink::scan_entries(self, blob) {
            return entries;
        }
        let Some(mut findings) = self.detect_whole(blob.bytes, blob.origin.is_counted()) else {
            return Scanned::Binary;
        };
        if let Some(path) = blob.origin.path() {
            self.keep_at_path(path, &mut findings);
            let capped = self.take_capped();
            self.report_capped(path, capped);
        }
        Scanned::Text(findings)
    }

    /// The content step for one whole blob (or archive entry): the binary check (UTF-16/UTF-32
    /// text is transcoded, not skipped), counting when `counted`, detection and suppression by
    /// content. `None` when the blob is skipped as binary.
    pub(crate) fn detect_whole(&mut self, bytes: &[u8], counted: bool) -> Option<Vec<Finding>> {
        let has_nul = looks_binary(bytes);
        let sniffed = decode::sniff(bytes, has_nul);
        if has_nul && sniffed.is_none() && !self.scan_binary {
            if counted {
                self.stats.binary_skipped += 1;
            }
            return None;
        }
        if counted {
            self.count_scanned(bytes.len() as u64);
        }
        let transcoded = sniffed.map(|s| decode::transcode(bytes, s));
        let text = transcoded.as_deref().unwrap_or(bytes);
        let mut findings = self.detect_as(text, 0..text.len(), sniffed.map(|s| s.encoding));
        self.keep_if_report(text, &mut findings);
        Some(findings)
    }

    /// Detects and suppresses (by content) the credentials that start inside `owned` of
    /// `bytes`: a chunk of a larger stream, whose path the caller applies.
    /// When `head` (a blob, or the first chunk of a stream) is a report keyfence wrote, drops the
    /// key IDs it lists: they were reported when the report was made.
    pub(crate) fn keep_if_report(&self, head: &[u8], findings: &mut Vec<Finding>) {
        if !findings.is_empty() && is_keyfence_report(head) {
            self.keep_in_report(findings);
        }
    }

    /// Drops the key IDs listed in a report keyfence wrote (see [`BlobScanner::keep_if_report`]).
    pub(crate) fn keep_in_report(&self, findings: &mut Vec<Finding>) {
        self.suppressor.keep_in_own_file(self.rules(), findings);
    }

    /// Regex rules that hit their match cap are remembered for [`BlobScanner::take_capped`].
    /// `transcoded` is the encoding `bytes` were transcoded from (columns are then counted in
    /// characters); encoded values in them are decoded and scanned too (see [`decode`]).
    pub(crate) fn detect_as(
        &mut self,
        bytes: &[u8],
        owned: std::ops::Range<usize>,
        transcoded: Option<Encoding>,
    ) -> Vec<Finding> {
        let detections = decode::detect(self.engine, bytes, owned, transcoded);
        for id in detections.capped {
            if !self.capped.contains(&id) {
                self.capped.push(id);
            }
        }
        if detections.list.is_empty() {
            return Vec::new();
        }
        self.suppressor.keep(self.rules(), bytes, detections.list)
    }

    /// The regex rules that hit their match cap since the last call.
    pub(crate) fn take_capped(&mut self) -> Vec<String> {
        std::mem::take(&mut self.capped)
    }

    /// Lists a scan error for each rule of `capped` in the blob at `path`: never a silent skip.
    pub(crate) fn report_capped(&mut self, path: &Path, capped: Vec<String>) {
        for id in capped {
            self.errors.push(ScanError {
                subject: Subject::Path(show_path(path)),
                message: format!(
                    "rule `{id}` matched more than {MAX_MATCHES_PER_WINDOW} times within one \
                     window; the rest of that window was not searched for it"
                ),
            });
        }
    }

    /// The origin step for findings of a git message of kind `origin` (in place of the path
    /// step: a message has no path): the allowlists' `origin` entries.
    pub(crate) fn keep_in_message(&self, origin: &str, findings: &mut Vec<Finding>) {
        if !findings.is_empty() {
            self.suppressor
                .keep_in_message(self.rules(), origin, findings);
        }
    }

    /// Counts one scanned blob of `len` bytes.
    pub(crate) fn count_scanned(&mut self, len: u64) {
        self.stats.files_scanned += 1;
        self.stats.bytes_scanned += len;
    }

    /// The path step for findings of a stream scanned in chunks, or of a packed blob now met
    /// at `path`. Findings of archive entries (their `path` holds `!entry` until now) are
    /// matched and shown at `path!entry`.
    pub(crate) fn keep_at_path(&self, path: &Path, findings: &mut Vec<Finding>) {
        if findings.iter().any(|f| !f.path.is_empty()) {
            return archive_sink::keep_at_path(self, path, findings);
        }
        if !findings.is_empty() {
            let shown = show_path(path);
            self.suppressor
                .keep_at_path(self.rules(), path, &shown, findings);
        }
    }

    /// A packed blob scanned before its path was known, now met at `path`: counts it and
    /// applies the path step to its findings.
    /// `capped` are the rules [`BlobScanner::take_capped`] gave right after it was scanned.
    pub(crate) fn attribute(
        &mut self,
        size: u64,
        scanned: Scanned,
        capped: Vec<String>,
        path: &Path,
    ) -> Vec<Finding> {
        match scanned {
            Scanned::Binary => {
                self.stats.binary_skipped += 1;
                Vec::new()
            }
            Scanned::Text(mut findings) => {
                self.count_scanned(size);
                self.keep_at_path(path, &mut findings);
                self.report_capped(path, capped);
                findings
            }
        }
    }
}

#[path = "archive/sink.rs"]
mod archive_sink;

#[cfg(test)]
#[path = "scanner_tests.rs"]
mod tests;
