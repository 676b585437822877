//! Files on disk: a parallel walk with `ignore`, each file read into a per-thread buffer and scanned;
//! files larger than [`CHUNK_LEN`] are scanned in overlapping chunks in bounded memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use ignore::{WalkBuilder, WalkState};

use super::looks_binary;
use crate::finding::Finding;
use crate::report_model::{ScanError, ScanReport};
use crate::scan::ScanEngine;
use crate::validate::aws::PAIRING_WINDOW_BYTES;
use crate::validate::token::SESSION_TOKEN_MAX_LEN;

/// Files up to this size are read whole; larger ones are scanned chunk by chunk.
pub const CHUNK_LEN: usize = 32 << 20;

/// Bytes each chunk shares with the next, so a credential split by a chunk border is still whole
/// in one of them (it covers the pairing window on both sides and the longest token).
pub const CHUNK_OVERLAP: usize = 4 * PAIRING_WINDOW_BYTES + SESSION_TOKEN_MAX_LEN;

/// How the file walk behaves.
#[derive(Debug, Clone, Default)]
pub struct FsOptions {
    /// Scan files that .gitignore/.ignore exclude.
    pub no_ignore: bool,
    /// Scan files that look binary instead of skipping them.
    pub scan_binary: bool,
    /// Follow symbolic links.
    pub follow_symlinks: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// What one worker thread accumulates; merged into the shared report when the thread ends.
struct Worker<'a> {
    engine: &'a ScanEngine,
    opts: &'a FsOptions,
    shared: &'a Mutex<ScanReport>,
    local: ScanReport,
    buf: Vec<u8>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.findings.append(&mut self.local.findings);
        shared.errors.append(&mut self.local.errors);
        shared.stats.merge(&self.local.stats);
    }
}

impl Worker<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.local.errors.push(ScanError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn visit(
        &mut self,
        entry: Result<ignore::DirEntry, ignore::Error>,
        display: &dyn Fn(&Path) -> String,
    ) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = error_path(&e).map_or_else(|| "<walk>".to_string(), |p| display(&p));
                self.error(&path, describe_walk_error(&e));
                return;
            }
        };
        let path = entry.path();
        let shown = display(path);
        let Some(ft) = entry.file_type() else {
            // Standard input: never produced by the walker.
            return;
        };
        if ft.is_symlink() {
            match std::fs::metadata(path) {
                Err(e) => self.error(&shown, format!("broken symbolic link: {e}")),
                Ok(_) => self.local.stats.symlinks_skipped += 1,
            }
            return;
        }
        if !ft.is_file() {
            if !ft.is_dir() {
                // Devices, FIFOs and sockets: reading them could block or never end.
                self.local.stats.special_skipped += 1;
                if entry.depth() == 0 {
                    self.error(&shown, "not a regular file or directory: not scanned");
                }
            }
            return;
        }
        if let Err(e) = self.scan_file(path, &shown) {
            self.error(&shown, format!("cannot read: {e}"));
        }
    }

    fn scan_file(&mut self, path: &Path, shown: &str) -> io::Result<()> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len() as usize;
        if len > CHUNK_LEN {
            return self.scan_chunked(&mut file, shown);
        }
        self.buf.clear();
        file.read_to_end(&mut self.buf)?;
        let data = std::mem::take(&mut self.buf);
        self.scan_blob(&data, shown);
        self.buf = data;
        Ok(())
    }

    /// Scans whole data already in memory (a file or standard input).
    fn scan_blob(&mut self, data: &[u8], shown: &str) {
        if !self.opts.scan_binary && looks_binary(data) {
            self.local.stats.binary_skipped += 1;
            return;
        }
        self.local.stats.files_scanned += 1;
        self.local.stats.bytes_scanned += data.len() as u64;
        self.local.findings.extend(self.engine.scan(data, shown));
    }

    fn scan_chunked(&mut self, reader: &mut dyn Read, shown: &str) -> io::Result<()> {
        let findings = scan_chunks(self.engine, reader, shown, self.opts.scan_binary)?;
        match findings {
            None => self.local.stats.binary_skipped += 1,
            Some((findings, bytes)) => {
                self.local.stats.files_scanned += 1;
                self.local.stats.bytes_scanned += bytes;
                self.local.findings.extend(findings);
            }
        }
        Ok(())
    }
}

/// Scans a stream in chunks of [`CHUNK_LEN`] that overlap by [`CHUNK_OVERLAP`], with line numbers
/// carried across chunks. Each chunk reports the credentials that start in its own part (the
/// overlaps split in the middle), so nothing is reported twice and occurrence counts are exact.
/// `None` when the stream looks binary.
pub fn scan_chunks(
    engine: &ScanEngine,
    reader: &mut dyn Read,
    shown: &str,
    scan_binary: bool,
) -> io::Result<Option<(Vec<Finding>, u64)>> {
    let mut buf = vec![0u8; CHUNK_LEN + CHUNK_OVERLAP];
    let mut filled = 0;
    let mut lines_before = 0;
    let mut total = 0u64;
    let mut first = true;
    let mut findings: Vec<Finding> = Vec::new();
    loop {
        let mut eof = false;
        while filled < buf.len() {
            let n = reader.read(&mut buf[filled..])?;
            if n == 0 {
                eof = true;
                break;
            }
            filled += n;
            total += n as u64;
        }
        let chunk = &buf[..filled];
        if first && !scan_binary && looks_binary(chunk) {
            return Ok(None);
        }
        let owned_from = if first { 0 } else { CHUNK_OVERLAP / 2 };
        let owned_to = if eof {
            filled
        } else {
            filled - CHUNK_OVERLAP / 2
        };
        first = false;
        for mut f in engine.scan_owned(chunk, shown, owned_from..owned_to) {
            f.line += lines_before;
            f.end_line += lines_before;
            match findings.iter_mut().find(|g| g.fingerprint == f.fingerprint) {
                Some(g) => g.occurrences += f.occurrences,
                None => findings.push(f),
            }
        }
        if eof {
            return Ok(Some((findings, total)));
        }
        let keep_from = filled - CHUNK_OVERLAP;
        lines_before += memchr::memchr_iter(b'\n', &buf[..keep_from]).count();
        buf.copy_within(keep_from..filled, 0);
        filled = CHUNK_OVERLAP;
    }
}

fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn describe_walk_error(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            describe_walk_error(err)
        }
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}", ancestor.display())
        }
        other => other.to_string(),
    }
}

/// How paths are shown: relative to the root when one directory is scanned, else as walked.
fn display_fn(roots: &[PathBuf]) -> impl Fn(&Path) -> String + Sync + '_ {
    move |path: &Path| {
        let rel = match roots {
            [root] if root.is_dir() => path.strip_prefix(root).unwrap_or(path),
            _ => path.strip_prefix(".").unwrap_or(path),
        };
        let s = rel.to_string_lossy().replace('\\', "/");
        if s.is_empty() {
            path.to_string_lossy().into_owned()
        } else {
            s
        }
    }
}

/// Scans files and directories; `-` is standard input. Roots must exist (checked by the caller).
pub fn scan_paths(roots: &[PathBuf], engine: &ScanEngine, opts: &FsOptions) -> ScanReport {
    let started = Instant::now();
    let shared = Mutex::new(ScanReport::default());
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        roots.iter().partition(|p| p.as_os_str() == "-");
    let display = display_fn(roots);
    if !stdin.is_empty() {
        let mut worker = new_worker(engine, opts, &shared);
        if let Err(e) = worker.scan_chunked(&mut io::stdin().lock(), "<stdin>") {
            worker.error("<stdin>", format!("cannot read: {e}"));
        }
    }
    if let Some((first, rest)) = paths.split_first() {
        let mut builder = WalkBuilder::new(first);
        for p in rest {
            builder.add(p);
        }
        builder
            .hidden(false)
            .standard_filters(!opts.no_ignore)
            .hidden(false)
            .follow_links(opts.follow_symlinks)
            .threads(opts.threads)
            .filter_entry(|e| e.file_name() != ".git");
        builder.build_parallel().run(|| {
            let mut worker = new_worker(engine, opts, &shared);
            let display = &display;
            Box::new(move |entry| {
                worker.visit(entry, display);
                WalkState::Continue
            })
        });
    }
    let mut report = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    report
}

fn new_worker<'a>(
    engine: &'a ScanEngine,
    opts: &'a FsOptions,
    shared: &'a Mutex<ScanReport>,
) -> Worker<'a> {
    Worker {
        engine,
        opts,
        shared,
        local: ScanReport::default(),
        buf: Vec::new(),
    }
}
