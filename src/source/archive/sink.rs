//! The [`BlobScanner`] as an archive [`Sink`]: each entry of an archive is scanned like any blob
//! (binary check, engine, suppression by content) and its findings carry the entry's place
//! below the archive (`!dir/entry`) in their `path` until the path step joins it to the
//! archive's own path. (A child module of `scanner`, kept in this folder with the archive code.)

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::BlobScanner;
use crate::report::{Finding, ScanError, Subject};
use crate::source::archive::{self, Sink};
use crate::source::{show_path, Blob, Origin, Scanned};

/// The entries of one archive being scanned.
struct Entries<'s, 'a> {
    scanner: &'s mut BlobScanner<'a>,
    path: Option<&'s Path>,
    counted: bool,
    findings: Vec<Finding>,
}

impl Sink for Entries<'_, '_> {
    fn member(&mut self, inner: &str, bytes: &[u8]) {
        let s = &mut *self.scanner;
        let Some(mut found) = s.detect_whole(bytes, self.counted) else {
            return;
        };
        let capped = s.take_capped();
        if let Some(path) = self.path {
            s.report_capped(&joined(path, inner), capped);
        }
        for f in &mut found {
            inner.clone_into(&mut f.path);
        }
        self.findings.append(&mut found);
    }

    fn problem(&mut self, inner: &str, message: String) {
        let shown = match self.path {
            Some(path) => format!("{}{inner}", show_path(path)),
            None => format!("<packed blob>{inner}"),
        };
        // The archive was read as far as it could be: a warning unless `--strict`.
        self.scanner
            .errors
            .push(ScanError::partial(Subject::Path(shown), message));
    }
}

/// True when `head`, the start of a blob, is an archive that `scanner` expands.
pub(super) fn expands(scanner: &BlobScanner<'_>, head: &[u8]) -> bool {
    scanner.archives.enabled && archive::sniff(head).is_some()
}

/// Scans the entries of `blob` when it is an archive (`None` when it is not, or archives are
/// off, or it could not be opened: it is then scanned as a blob); the findings have their path
/// when the origin has one.
pub(super) fn scan_entries(scanner: &mut BlobScanner<'_>, blob: Blob<'_>) -> Option<Scanned> {
    if !expands(scanner, blob.bytes) {
        return None;
    }
    let opts = scanner.archives;
    let path = blob.origin.path();
    let mut entries = Entries {
        scanner,
        path,
        counted: blob.origin.is_counted(),
        findings: Vec::new(),
    };
    if !archive::expand(blob.bytes, &opts, &mut entries) {
        return None;
    }
    let mut findings = entries.findings;
    if let Some(path) = path {
        scanner.keep_at_path(path, &mut findings);
    }
    Some(Scanned::Text(findings))
}

/// Scans the entries of the archive in `file` (`len` bytes, too large to read whole) when it is
/// one (`None` when it is not, or archives are off, or it could not be opened: the caller scans
/// it as usual); its entries are read from the file one at a time.
pub(super) fn scan_file_entries(
    scanner: &mut BlobScanner<'_>,
    file: &mut File,
    len: u64,
    origin: Origin<'_>,
) -> io::Result<Option<Vec<Finding>>> {
    if !scanner.archives.enabled {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(archive::SNIFF_LEN);
    file.by_ref()
        .take(archive::SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    let Some(kind) = archive::sniff(&head) else {
        return Ok(None);
    };
    let opts = scanner.archives;
    let path = origin.path();
    let mut entries = Entries {
        scanner,
        path,
        counted: origin.is_counted(),
        findings: Vec::new(),
    };
    let opened = archive::expand_reader(
        kind,
        io::BufReader::new(&mut *file),
        len,
        &opts,
        &mut entries,
    );
    if !opened {
        file.seek(SeekFrom::Start(0))?;
        return Ok(None);
    }
    let mut findings = entries.findings;
    if let Some(path) = path {
        scanner.keep_at_path(path, &mut findings);
    }
    Ok(Some(findings))
}

/// The path step for findings of which some lie inside an archive at `path` (their `path` is
/// where: `!dir/entry`). A `paths` allowlist glob drops such a finding when it matches the
/// archive's own path, the path of an archive inside it that holds the entry
/// (`path!lib/inner.jar`), or the whole entry path (`path!lib/inner.jar!config.properties`);
/// the finding reports the whole entry path.
pub(super) fn keep_at_path(scanner: &BlobScanner<'_>, path: &Path, findings: &mut Vec<Finding>) {
    let mut all = std::mem::take(findings);
    all.sort_by(|a, b| a.path.cmp(&b.path));
    let mut rest = all.into_iter().peekable();
    while let Some(first) = rest.next() {
        let inner = first.path.clone();
        let mut group = vec![first];
        while rest.peek().is_some_and(|f| f.path == inner) {
            group.extend(rest.next());
        }
        let full = joined(path, &inner);
        let shown = show_path(&full);
        // The archive's own path first, then each archive's inside it, then the entry's.
        let nested = inner.match_indices('!').map(|(i, _)| i).filter(|&i| i > 0);
        let prefixes = nested.map(|i| joined(path, &inner[..i]));
        for at in std::iter::once(path.to_path_buf()).chain(prefixes) {
            scanner
                .suppressor
                .keep_at_path(scanner.rules(), &at, &shown, &mut group);
        }
        if !inner.is_empty() {
            scanner
                .suppressor
                .keep_at_path(scanner.rules(), &full, &shown, &mut group);
        }
        findings.append(&mut group);
    }
}

/// `path` followed by `inner` (`!dir/entry`), as one path; its bytes kept as they are.
fn joined(path: &Path, inner: &str) -> PathBuf {
    let mut full = OsString::from(path.as_os_str());
    full.push(inner);
    PathBuf::from(full)
}
