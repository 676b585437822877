//! Files on disk: a parallel walk with `ignore` (its threads are this source's workers), each file
//! read into a per-thread buffer and scanned;
//! files larger than [`CHUNK_LEN`] are scanned in overlapping chunks in bounded memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ignore::{WalkBuilder, WalkState};

use super::decode::{self, Encoding, TranscodingReader};
use super::pool::Merged;
use super::{looks_binary, show_path, Blob, BlobScanner, Origin, Scanned, STDIN};
use crate::report::{is_keyfence_report, Finding, ScanError, ScanReport, Subject};
use crate::scan::{ScanEngine, CONTEXT_BYTES};
use crate::suppress::Suppressor;

/// Files up to this size are read whole; larger ones are scanned chunk by chunk.
pub const CHUNK_LEN: usize = 32 << 20;

/// Files up to this size are read without asking for their size; a larger one is asked once its
/// first `SMALL_LEN + 1` bytes are read.
const SMALL_LEN: usize = 1 << 20;

/// Bytes each chunk shares with the next: the context the engine needs.
const CHUNK_OVERLAP: usize = CONTEXT_BYTES;

/// How the file walk behaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct FsOptions {
    /// Scan files that .gitignore/.ignore exclude.
    pub no_ignore: bool,
    /// Scan files that look binary instead of skipping them.
    pub scan_binary: bool,
    /// Follow symbolic links.
    pub follow_symlinks: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Whether and how far archives are expanded.
    pub archives: super::archive::ArchiveOptions,
}

/// What one worker thread accumulates; merged into the shared report when the thread ends.
struct Worker<'a> {
    scanner: BlobScanner<'a>,
    shared: &'a Merged<ScanReport>,
    local: ScanReport,
    buf: Vec<u8>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        self.local.stats.merge(&self.scanner.stats);
        self.local.errors.append(&mut self.scanner.errors);
        let local = &mut self.local;
        self.shared.add(|shared| {
            shared.findings.append(&mut local.findings);
            shared.errors.append(&mut local.errors);
            shared.stats.merge(&local.stats);
        });
    }
}

impl Worker<'_> {
    fn error(&mut self, subject: Subject, message: impl Into<String>) {
        self.local.errors.push(ScanError {
            subject,
            message: message.into(),
        });
    }

    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>, display: &Display<'_>) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let subject = error_path(&e)
                    .map_or(Subject::Walk, |p| Subject::Path(show_path(display.rel(&p))));
                self.error(subject, describe_walk_error(&e));
                return;
            }
        };
        let path = entry.path();
        // The path as reported, borrowed; its text only made for an error.
        let rel = display.rel(path);
        let shown = || show_path(rel);
        let Some(ft) = entry.file_type() else {
            // Standard input: never produced by the walker.
            return;
        };
        if ft.is_symlink() {
            match std::fs::metadata(path) {
                Err(e) => self.error(Subject::Path(shown()), format!("broken symbolic link: {e}")),
                Ok(_) => self.local.stats.symlinks_skipped += 1,
            }
            return;
        }
        if !ft.is_file() {
            if !ft.is_dir() {
                // Devices, FIFOs and sockets: reading them could block or never end.
                self.local.stats.special_skipped += 1;
                if entry.depth() == 0 {
                    self.error(
                        Subject::Path(shown()),
                        "not a regular file or directory: not scanned",
                    );
                }
            }
            return;
        }
        if let Err(e) = self.scan_file(path, rel) {
            self.error(Subject::Path(shown()), format!("cannot read: {e}"));
        }
    }

    fn scan_file(&mut self, path: &Path, shown: &Path) -> io::Result<()> {
        let mut file = File::open(path)?;
        // Most files are small: they are read before their size is asked for (a statx per file
        // was a tenth of the system calls of a tree of small files).
        let mut n = read_until(&mut file, &mut self.buf, 0, SMALL_LEN + 1)?;
        if n > SMALL_LEN {
            let len = file.metadata()?.len() as usize;
            if len > CHUNK_LEN {
                file.seek(SeekFrom::Start(0))?;
                let origin = Origin::File(shown);
                if let Some(found) = self
                    .scanner
                    .scan_archive_file(&mut file, len as u64, origin)?
                {
                    self.local.findings.extend(found);
                    return Ok(());
                }
                return self.scan_chunked(&mut file, origin);
            }
            n = read_whole(&mut file, len, n, &mut self.buf)?;
        }
        let blob = Blob {
            bytes: &self.buf[..n],
            origin: Origin::File(shown),
        };
        if let Scanned::Text(found) = self.scanner.scan(blob) {
            self.local.findings.extend(found);
        }
        Ok(())
    }

    fn scan_chunked(&mut self, reader: &mut dyn Read, origin: Origin<'_>) -> io::Result<()> {
        if let Some(found) = scan_chunks(&mut self.scanner, reader, origin)? {
            self.local.findings.extend(found);
        }
        Ok(())
    }
}

/// Scans a stream in chunks of [`CHUNK_LEN`] that overlap by [`CHUNK_OVERLAP`], with line numbers
/// carried across chunks. Each chunk reports the credentials that start in its own part (the
/// overlaps split in the middle), so nothing is reported twice and occurrence counts are exact.
/// Counts the stream as one blob; `None` when it looks binary. A UTF-16 or UTF-32 stream is
/// transcoded as it is read.
fn scan_chunks(
    scanner: &mut BlobScanner<'_>,
    reader: &mut dyn Read,
    origin: Origin<'_>,
) -> io::Result<Option<Vec<Finding>>> {
    scan_chunks_as(scanner, reader, origin, None, None)
}

/// A reader that counts the bytes read through it: the size of a transcoded stream as stored.
struct Counted<'r, R> {
    inner: R,
    count: &'r std::cell::Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// [`scan_chunks`] of a stream already transcoded from `transcoded` (columns in characters;
/// `stored` counts the bytes of the stream as stored, which the stats report).
fn scan_chunks_as(
    scanner: &mut BlobScanner<'_>,
    reader: &mut dyn Read,
    origin: Origin<'_>,
    transcoded: Option<Encoding>,
    stored: Option<&std::cell::Cell<u64>>,
) -> io::Result<Option<Vec<Finding>>> {
    let mut buf = vec![0u8; CHUNK_LEN + CHUNK_OVERLAP];
    let mut filled = 0;
    let mut lines_before = 0;
    // Bytes of the line the chunk starts in that lie before the chunk: columns on the chunk's
    // first line count from the start of the file's line, not of the chunk.
    let mut columns_before = 0;
    let mut total = 0u64;
    let mut first = true;
    let mut findings: Vec<Finding> = Vec::new();
    let mut report = false;
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
        if first && scanner.expands(chunk) {
            if eof {
                // An archive read whole (standard input): its entries are scanned.
                let blob = Blob {
                    bytes: chunk,
                    origin,
                };
                return Ok(match scanner.scan(blob) {
                    Scanned::Text(found) => Some(found),
                    Scanned::Binary => None,
                });
            }
            let at = origin.path().map_or_else(String::new, show_path);
            scanner.errors.push(ScanError::path(
                at,
                format!(
                    "an archive larger than {} MiB on a stream: not expanded (scan it as a file)",
                    CHUNK_LEN >> 20
                ),
            ));
        }
        if first && transcoded.is_none() {
            if let Some(sniffed) = decode::sniff(chunk, looks_binary(chunk)) {
                let head = io::Cursor::new(chunk.to_vec());
                let count = std::cell::Cell::new(0);
                let inner = Counted {
                    inner: head.chain(reader),
                    count: &count,
                };
                let mut utf8 = TranscodingReader::new(inner, sniffed);
                let encoding = Some(sniffed.encoding);
                return scan_chunks_as(scanner, &mut utf8, origin, encoding, Some(&count));
            }
        }
        if first && scanner.skips(chunk) {
            scanner.stats.binary_skipped += 1;
            return Ok(None);
        }
        let owned_from = if first { 0 } else { CHUNK_OVERLAP / 2 };
        let owned_to = if eof {
            filled
        } else {
            filled - CHUNK_OVERLAP / 2
        };
        if first {
            report = is_keyfence_report(chunk);
        }
        first = false;
        let mut found = scanner.detect_as(chunk, owned_from..owned_to, transcoded);
        if report {
            scanner.keep_in_report(&mut found);
        }
        for mut f in found {
            if f.line == 1 {
                f.column += columns_before;
            }
            f.line += lines_before;
            f.end_line += lines_before;
            match findings.iter_mut().find(|g| g.fingerprint == f.fingerprint) {
                Some(g) => g.occurrences += f.occurrences,
                None => findings.push(f),
            }
        }
        if eof {
            scanner.count_scanned(stored.map_or(total, std::cell::Cell::get));
            if let Some(path) = origin.path() {
                scanner.keep_at_path(path, &mut findings);
                let capped = scanner.take_capped();
                scanner.report_capped(path, capped);
            }
            return Ok(Some(findings));
        }
        let keep_from = filled - CHUNK_OVERLAP;
        lines_before += memchr::memchr_iter(b'\n', &buf[..keep_from]).count();
        let line_start = memchr::memrchr(b'\n', &buf[..keep_from]).map_or(0, |nl| nl + 1);
        let carried = if line_start == 0 { columns_before } else { 0 };
        columns_before = carried
            + match transcoded {
                Some(_) => decode::chars_in(&buf[line_start..keep_from]),
                None => keep_from - line_start,
            };
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

/// The path findings in a file report: relative to the root when one directory is scanned, else
/// as walked.
struct Display<'a> {
    /// The one directory scanned, if so (asked once: per file it was a stat of the root).
    single_dir: Option<&'a Path>,
}

impl<'a> Display<'a> {
    fn new(roots: &'a [PathBuf]) -> Display<'a> {
        let single_dir = match roots {
            [root] if root.is_dir() => Some(root.as_path()),
            _ => None,
        };
        Display { single_dir }
    }

    /// `path` as reported: a part of it, so nothing is allocated per file.
    fn rel<'p>(&self, path: &'p Path) -> &'p Path {
        let rel = strip_root(path, self.single_dir.unwrap_or(Path::new(".")));
        if rel.as_os_str().is_empty() {
            path
        } else {
            rel
        }
    }
}

/// `path` without its leading `root` (as `Path::strip_prefix`, else `path` itself). The walker
/// makes each path by appending names to its root, so the root is first compared byte by byte:
/// `strip_prefix` parses both into components, 2-3 % of the CPU of a scan of small files.
fn strip_root<'p>(path: &'p Path, root: &Path) -> &'p Path {
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let root_bytes = root.as_os_str().as_bytes();
        if let Some(rest) = path.as_os_str().as_bytes().strip_prefix(root_bytes) {
            // The root ends where a separator does (`a/b` is not under `a/bc`).
            if root_bytes.ends_with(b"/") || rest.first() == Some(&b'/') {
                let start = rest.iter().position(|&b| b != b'/').unwrap_or(rest.len());
                let rest = &rest[start..];
                // `strip_prefix` would also drop `.` components: left to it.
                if !(rest.starts_with(b"./") || rest == b".") {
                    return Path::new(OsStr::from_bytes(rest));
                }
            }
        }
    }
    path.strip_prefix(root).unwrap_or(path)
}

/// Whether the walk reached a directory named `.git` (not scanned: `history` scans what it
/// holds). Most paths are ruled out by their last bytes, without parsing their components.
fn is_git_dir(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    // Ending in a byte that is neither a separator nor `.`, the path's last component is its
    // bytes after the last separator.
    let plain_end = bytes
        .last()
        .is_some_and(|&b| b != b'.' && !std::path::is_separator(char::from(b)));
    if plain_end && !bytes.ends_with(b".git") {
        return false;
    }
    // What `ignore::DirEntry::file_name` gives.
    path.file_name().unwrap_or(path.as_os_str()) == ".git"
}

/// Reads `file` into `buf` from `filled` on, until the file ends or `limit` bytes are there, and
/// returns how many bytes `buf` holds. `buf` keeps the largest size it took, its bytes
/// initialised once, so that no file pays to clear it. A file shorter than `limit` costs two
/// reads: the one that returns its bytes and the one that finds its end.
fn read_until(
    file: &mut File,
    buf: &mut Vec<u8>,
    mut filled: usize,
    limit: usize,
) -> io::Result<usize> {
    if buf.len() < limit {
        buf.resize(limit, 0);
    }
    while filled < limit {
        match file.read(&mut buf[filled..limit]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads the rest of `file`, `len` bytes long by its size, into `buf`, which holds its first
/// `filled` bytes, and returns how many bytes `buf` holds: the whole file, also when it grew
/// after its size was taken. Not `File::read_to_end`: it asks the file for its size and position
/// again (a statx and an lseek).
fn read_whole(
    file: &mut File,
    len: usize,
    mut filled: usize,
    buf: &mut Vec<u8>,
) -> io::Result<usize> {
    // One byte more than the length, so that the read that finds the end has room.
    let mut limit = len.saturating_add(1).max(filled);
    loop {
        filled = read_until(file, buf, filled, limit)?;
        if filled < limit {
            return Ok(filled);
        }
        limit = limit.saturating_mul(2);
    }
}

/// Scans files and directories; `-` is standard input. Roots must exist (checked by the caller).
pub(crate) fn scan_paths(
    roots: &[PathBuf],
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &FsOptions,
) -> ScanReport {
    let started = Instant::now();
    let shared = Merged::new(ScanReport::default());
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        roots.iter().partition(|p| p.as_os_str() == "-");
    let display = Display::new(roots);
    let new_worker = || Worker {
        scanner: BlobScanner::new(engine, suppressor, opts.scan_binary)
            .with_archives(opts.archives),
        shared: &shared,
        local: ScanReport::default(),
        buf: Vec::new(),
    };
    if !stdin.is_empty() {
        let mut worker = new_worker();
        if let Err(e) = worker.scan_chunked(&mut io::stdin().lock(), Origin::Stdin) {
            worker.error(Subject::Path(STDIN.into()), format!("cannot read: {e}"));
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
            .filter_entry(|e| !is_git_dir(e.path()));
        builder.build_parallel().run(|| {
            let mut worker = new_worker();
            let display = &display;
            Box::new(move |entry| {
                worker.visit(entry, display);
                WalkState::Continue
            })
        });
    }
    let mut report = shared.into_inner();
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `data` to `name` in `dir` and opens it for reading.
    fn written(dir: &Path, name: &str, data: &[u8]) -> File {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        File::open(p).unwrap()
    }

    /// The buffer keeps its size between files: each read returns only the file's bytes, a file
    /// longer than its opening length said is read to its end, and an empty file is empty.
    #[test]
    fn read_whole_returns_each_file_s_bytes_whatever_the_buffer_held() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, data: &[u8]| written(dir.path(), name, data);
        let mut buf = Vec::new();
        let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let n = read_whole(&mut write("big", &big), big.len(), 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], &big[..]);
        let n = read_whole(&mut write("small", b"abc"), 3, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"abc");
        // Grew after its length was taken (told 2 bytes, holds 40,000).
        let grown: Vec<u8> = big
            .iter()
            .chain(&big)
            .chain(&big)
            .chain(&big)
            .copied()
            .collect();
        let n = read_whole(&mut write("grown", &grown), 2, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], &grown[..]);
        let n = read_whole(&mut write("empty", b""), 0, 0, &mut buf).unwrap();
        assert_eq!(n, 0);
    }

    /// A file read in two steps, as `scan_file` reads one larger than `SMALL_LEN`: its head up to
    /// a limit, then the rest once its size is known, comes out whole; one shorter than the
    /// limit is whole after the first step.
    #[test]
    fn a_head_then_the_rest_is_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, data: &[u8]| written(dir.path(), name, data);
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut buf = Vec::new();
        let mut file = write("long", &data);
        let head = read_until(&mut file, &mut buf, 0, 70_001).unwrap();
        assert_eq!(head, 70_001);
        // Told less than it holds: still read to its end.
        let n = read_whole(&mut file, 100_000, head, &mut buf).unwrap();
        assert_eq!(&buf[..n], &data[..]);
        let mut file = write("short", &data[..5_000]);
        let n = read_until(&mut file, &mut buf, 0, 70_001).unwrap();
        assert_eq!(&buf[..n], &data[..5_000]);
    }

    /// Byte-wise, the root is stripped exactly as `Path::strip_prefix` strips it, for the roots a
    /// user gives (relative, absolute, `.`, with a trailing or doubled separator) and the paths
    /// the walker makes from them, and for paths not under the root.
    #[test]
    fn strip_root_agrees_with_strip_prefix() {
        let roots = [
            ".", "./", "./src", "src", "src/", "src//", "/", "/tmp/x", "/tmp/x/", "a/./b", "a/b/.",
            "..", "../a", "a/..", "x",
        ];
        let names = [
            "f", ".git", ".hidden", "..f", "d/f", "d//f", "./f", ".", "xy/f",
        ];
        let mut checked = 0;
        for root in roots {
            let mut paths: Vec<PathBuf> = names.iter().map(|n| Path::new(root).join(n)).collect();
            paths.extend(names.iter().map(|n| PathBuf::from(format!("{root}{n}"))));
            paths.extend(names.iter().map(|n| PathBuf::from(*n)));
            paths.push(PathBuf::from(root));
            for path in &paths {
                let expected = path.strip_prefix(root).unwrap_or(path);
                // As bytes: `Path`'s equality compares components (`a//b` equals `a/b`).
                assert_eq!(
                    strip_root(path, Path::new(root)).as_os_str(),
                    expected.as_os_str(),
                    "{path:?} under {root:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 400);
    }

    #[test]
    fn git_directories_are_known_by_their_last_component() {
        for git in [
            ".git", "a/.git", "./.git", "/r/.git/", "a/.git/.", "a//.git",
        ] {
            assert!(is_git_dir(Path::new(git)), "{git}");
        }
        for other in [
            "a.git",
            "a/b.git",
            ".gitignore",
            "a/.git/x",
            ".",
            "..",
            "a/..",
            "",
            "/",
        ] {
            assert!(!is_git_dir(Path::new(other)), "{other}");
        }
    }
}
