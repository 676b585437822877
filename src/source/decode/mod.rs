//! What a blob's bytes say once decoded: UTF-16 and UTF-32 text transcoded to UTF-8
//! ([`transcode`]), and base64 and hex values decoded where the prefilter saw an encoded
//! credential prefix ([`encoded`]). Every source reaches this through [`BlobScanner`], so
//! directories, standard input, staged files, history and ranges all see through encodings
//! the same way.
//!
//! Positions: a finding in transcoded text has the line of the original file and a column
//! counted in characters (1-based; a surrogate pair is one character), which transcoding keeps.
//! A finding in a decoded value points at the encoded run: its first line and column.
//!
//! [`BlobScanner`]: super::BlobScanner

mod encoded;
mod transcode;

use std::ops::Range;

use crate::scan::{Detections, ScanEngine};

pub(crate) use transcode::{sniff, transcode, Encoding, TranscodingReader};

/// Detects the credentials of `data` that start in `owned`, those in its encoded values
/// included. `transcoded` is the encoding `data` was transcoded from: columns are then counted
/// in characters and each finding lists it as its first decoding.
pub(crate) fn detect(
    engine: &ScanEngine,
    data: &[u8],
    owned: Range<usize>,
    transcoded: Option<Encoding>,
) -> Detections {
    let mut detections = engine.detect(data, owned.clone());
    if !detections.encoded.is_empty() {
        let hits = std::mem::take(&mut detections.encoded);
        let found = encoded::detect_encoded(engine, data, &hits, &owned, 1, &mut detections.capped);
        if !found.is_empty() {
            detections.list.extend(found);
            detections.list.sort_by_key(|d| (d.span.start, d.rule));
        }
        detections.capped.sort();
        detections.capped.dedup();
    }
    if let Some(encoding) = transcoded {
        for d in &mut detections.list {
            d.finding.column = char_column(data, d.span.start);
            d.finding.decoded.insert(0, encoding.decoding());
        }
    }
    detections
}

/// The 1-based column of `offset` in UTF-8 `data`, counted in characters.
pub(crate) fn char_column(data: &[u8], offset: usize) -> usize {
    let before = &data[..offset.min(data.len())];
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |nl| nl + 1);
    chars_in(&before[line_start..]) + 1
}

/// How many characters UTF-8 `bytes` hold (continuation bytes are not counted).
pub(crate) fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests;
