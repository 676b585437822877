//! Walking an archive: each entry read (bounded) and either expanded in turn, when it is an
//! archive itself and the depth allows, or handed to the [`Sink`] as a blob of its own.

use std::io::{self, Cursor, Read, Seek};

use super::limits::{Budget, Counted, MAX_MEMBER};
use super::sniff::{is_tar, sniff, Kind, SNIFF_LEN};
use super::Sink;

/// Problems listed per top-level archive; past this many, one more says how many were left out.
const MAX_PROBLEMS: usize = 32;

/// Memory an xz stream may ask for its dictionary (xz -9 needs 64 MiB).
const XZ_MEM_LIMIT_KB: u32 = 96 << 10;

/// The expansion stopped: a limit was hit.
#[derive(Debug)]
pub(crate) struct Stopped;

/// One top-level archive being expanded.
pub(crate) struct Expander<'s, 'b> {
    sink: &'s mut dyn Sink,
    budget: &'b Budget,
    problems: usize,
    /// The entry being read when the expansion stopped.
    pub(crate) stopped_at: String,
}

impl<'s, 'b> Expander<'s, 'b> {
    /// Expands into `sink` within `budget`.
    pub(crate) fn new(sink: &'s mut dyn Sink, budget: &'b Budget) -> Expander<'s, 'b> {
        Expander {
            sink,
            budget,
            problems: 0,
            stopped_at: String::new(),
        }
    }

    /// Problems left out past [`MAX_PROBLEMS`].
    pub(crate) fn problems_left_out(&self) -> usize {
        self.problems.saturating_sub(MAX_PROBLEMS)
    }

    /// Lists a problem with the archive (or entry) at `inner`.
    fn problem(&mut self, inner: &str, message: String) {
        self.problems += 1;
        if self.problems <= MAX_PROBLEMS {
            self.sink.problem(inner, message);
        }
    }

    /// Stops when a limit was hit (the read that hit it failed), remembering where.
    fn check(&mut self, inner: &str) -> Result<(), Stopped> {
        if self.budget.hit().is_some() {
            inner.clone_into(&mut self.stopped_at);
            return Err(Stopped);
        }
        Ok(())
    }

    /// Expands the archive of `kind` in `reader` at `inner` (level `depth`). `Ok(false)` when
    /// it could not even be opened (the problem is listed; the caller scans it as a blob).
    pub(crate) fn container<R: Read + Seek>(
        &mut self,
        kind: Kind,
        reader: R,
        inner: &str,
        depth: u32,
    ) -> Result<bool, Stopped> {
        match kind {
            Kind::Zip => self.zip(reader, inner, depth),
            Kind::Tar => self.tar(reader, inner, depth),
            Kind::Gzip => self.stream(
                kind,
                flate2::read::MultiGzDecoder::new(reader),
                inner,
                depth,
            ),
            Kind::Bzip2 => {
                self.stream(kind, bzip2::read::MultiBzDecoder::new(reader), inner, depth)
            }
            Kind::Xz => {
                let xz = lzma_rust2::XzReader::new_mem_limit(reader, true, XZ_MEM_LIMIT_KB);
                self.stream(kind, xz, inner, depth)
            }
        }
    }

    fn zip<R: Read + Seek>(&mut self, reader: R, inner: &str, depth: u32) -> Result<bool, Stopped> {
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => {
                self.problem(inner, format!("cannot read the zip archive: {e}"));
                return Ok(false);
            }
        };
        for i in 0..archive.len() {
            if self.budget.entry().is_some() {
                return self.check(inner).map(|()| true);
            }
            let name = archive.name_for_index(i).unwrap_or("?").to_string();
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.problem(
                        &entry_path(inner, &name),
                        format!("cannot read the entry: {e}"),
                    );
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let path = entry_path(inner, &name);
            let read = read_member(&mut Counted::new(&mut file, self.budget));
            drop(file);
            self.take_member(read, &path, depth)?;
        }
        Ok(true)
    }

    fn tar<R: Read>(&mut self, reader: R, inner: &str, depth: u32) -> Result<bool, Stopped> {
        let mut archive = tar::Archive::new(reader);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                self.check(inner)?;
                self.problem(inner, format!("cannot read the tar archive: {e}"));
                return Ok(false);
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.check(inner)?;
                    self.problem(inner, format!("cannot read the tar archive: {e}"));
                    break;
                }
            };
            if self.budget.entry().is_some() {
                return self.check(inner).map(|()| true);
            }
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind.is_contiguous()) {
                continue;
            }
            let path = entry_path(inner, &String::from_utf8_lossy(&entry.path_bytes()));
            let read = read_member(&mut entry);
            self.take_member(read, &path, depth)?;
        }
        Ok(true)
    }

    /// A compressed stream: a tar inside is expanded at the same level (`a.tar.gz!entry`);
    /// anything else is one member at the stream's own path.
    fn stream(
        &mut self,
        kind: Kind,
        decoder: impl Read,
        inner: &str,
        depth: u32,
    ) -> Result<bool, Stopped> {
        let mut counted = Counted::new(decoder, self.budget);
        let mut head = vec![0u8; SNIFF_LEN];
        let n = match read_full(&mut counted, &mut head) {
            Ok(n) => n,
            Err(e) => {
                self.check(inner)?;
                self.problem(
                    inner,
                    format!("cannot decompress the {} stream: {e}", kind.name()),
                );
                return Ok(false);
            }
        };
        head.truncate(n);
        if is_tar(&head) {
            return self.tar(Cursor::new(head).chain(counted), inner, depth);
        }
        let read = read_member(&mut Cursor::new(head).chain(counted));
        self.take_member(read, inner, depth)?;
        Ok(true)
    }

    /// An entry read (or not): expanded or handed on, or its problem listed.
    fn take_member(
        &mut self,
        read: io::Result<(Vec<u8>, bool)>,
        path: &str,
        depth: u32,
    ) -> Result<(), Stopped> {
        match read {
            Ok((bytes, whole)) => {
                if !whole {
                    self.problem(
                        path,
                        format!(
                            "entry larger than {} MiB: only its first {} MiB were scanned",
                            MAX_MEMBER >> 20,
                            MAX_MEMBER >> 20
                        ),
                    );
                }
                self.member(&bytes, path, depth)
            }
            Err(e) => {
                self.check(path)?;
                self.problem(path, format!("cannot read the entry: {e}"));
                Ok(())
            }
        }
    }

    /// One entry's bytes at `path`, in a container of level `depth`.
    pub(crate) fn member(&mut self, bytes: &[u8], path: &str, depth: u32) -> Result<(), Stopped> {
        if let Some(kind) = sniff(bytes) {
            let max = self.budget.opts().max_depth;
            if depth >= max {
                self.problem(
                    path,
                    format!(
                        "{} archive nested more than {max} levels deep: not expanded",
                        kind.name()
                    ),
                );
            } else if self.container(kind, Cursor::new(bytes), path, depth + 1)? {
                return Ok(());
            }
        }
        self.sink.member(path, bytes);
        Ok(())
    }
}

/// The path of entry `name` of the archive at `inner`.
fn entry_path(inner: &str, name: &str) -> String {
    format!("{inner}!{name}")
}

/// Reads an entry, at most [`MAX_MEMBER`] bytes of it; true when that was all of it.
fn read_member(r: &mut dyn Read) -> io::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let n = r.take(MAX_MEMBER as u64).read_to_end(&mut out)?;
    let whole = n < MAX_MEMBER || r.read(&mut [0u8; 1])? == 0;
    Ok((out, whole))
}

/// Reads until `buf` is full or the stream ends; how much was read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
