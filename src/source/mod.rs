//! Sources of blobs: files on disk (and standard input) and, in git modes, objects of a repository.

pub mod fs;
pub mod git;

/// Bytes inspected for a NUL to call a blob binary (git looks at the first 8000).
pub const BINARY_SNIFF_LEN: usize = 8000;

/// True when `data` looks binary: a NUL byte in its first [`BINARY_SNIFF_LEN`] bytes.
pub fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF_LEN)]).is_some()
}
