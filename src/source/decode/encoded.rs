//! Encoded values: base64 (standard and URL-safe) and hex runs that hold text are decoded and
//! scanned, so that a credential stored encoded (a `.dockerconfigjson`, a base64 JSON document
//! holding a key pair) is found.
//!
//! Only runs the prefilter pointed at are looked at: a run around a hit of an encoded
//! credential prefix (`QUtJQ`, `FLSU`, `BS0lB` for `AKIA` at the three alignments of base64,
//! `414b4941` in hex) or of an encoded `"auth"` key (a Docker configuration). Blobs without
//! such a hit cost nothing more. A run is decoded only when its decoded head is text; the
//! decoded text goes through the engine again (its own encoded runs included) down to
//! [`MAX_DEPTH`] levels. The findings in it point at the encoded run in the blob and list how
//! they were decoded.
//!
//! Bounds: runs are disjoint and at most [`MAX_RUN`] bytes, so the text decoded from a blob is
//! at most 3/4 of its size (base64; 1/2 for hex) at the first level and 9/16 at the second; a
//! run is decoded whole only after its first [`HEAD_CHECK`] decoded bytes passed the text check,
//! so random base64 (images, certificates) costs a few hundred bytes of work per hit.

use std::ops::Range;

use crate::report::Decoding;
use crate::scan::{Detection, EncodedHit, Form, ScanEngine};

/// How many levels of encoding are peeled: a value encoded inside an encoded document.
pub(crate) const MAX_DEPTH: usize = 2;

/// The longest encoded run decoded, in bytes: configuration values and documents, not inline
/// images or archives.
pub(crate) const MAX_RUN: usize = 1 << 20;

/// Decoded bytes checked to be text before a run is decoded whole.
const HEAD_CHECK: usize = 256;

/// A run holding only a key ID decodes to 20 bytes: the AWS validator reads those in place (a
/// Kubernetes Secret's values), pairing the key ID with its encoded secret; shorter or equal
/// runs are left to it.
const MIN_DECODED: usize = 21;

/// An encoded run in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodedRun {
    /// Bytes of the run (padding included) in the blob.
    pub span: Range<usize>,
    /// Where the decodable characters start (a base64 run is aligned on 4-character groups).
    pub body: Range<usize>,
    /// base64 or hex.
    pub decoding: Decoding,
}

/// The distinct runs around `hits` (sorted by offset) that start in `owned`. Each byte is
/// walked over a bounded number of times however many hits a run holds: hits inside a run
/// already met (taken or refused as too long) are skipped.
pub(crate) fn runs_at(data: &[u8], hits: &[EncodedHit], owned: &Range<usize>) -> Vec<EncodedRun> {
    let mut runs: Vec<EncodedRun> = Vec::new();
    let mut skip_until = 0;
    for hit in hits {
        if hit.offset < skip_until {
            continue;
        }
        match run_at(data, hit) {
            Ok(run) => {
                skip_until = run.span.end;
                if owned.contains(&run.span.start) {
                    runs.push(run);
                }
            }
            Err(end) => skip_until = end,
        }
    }
    runs
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The run a hit lies in, aligned by what the hit's form says of its position; or, when there
/// is none to decode, the offset up to which later hits need no look.
fn run_at(data: &[u8], hit: &EncodedHit) -> Result<EncodedRun, usize> {
    let refused = hit.offset + 1;
    let (unit, is_char, back): (usize, fn(u8) -> bool, usize) = match hit.form {
        Form::Base64 { phase } => (4, is_base64_char, usize::from(phase)),
        Form::Hex { back } => (2, |b: u8| b.is_ascii_hexdigit(), usize::from(back)),
    };
    // The characters of the hit's group before it belong to the run too.
    let group = hit.offset.checked_sub(back).ok_or(refused)?;
    if !data[group..hit.offset].iter().all(|&b| is_char(b)) {
        return Err(refused);
    }
    let whole = |at: usize| data[at..at + unit].iter().all(|&b| is_char(b));
    let mut start = group;
    let mut too_long = false;
    while start >= unit && whole(start - unit) {
        start -= unit;
        if hit.offset - start > MAX_RUN {
            too_long = true;
            break;
        }
    }
    let mut end = hit.offset;
    while end < data.len() && is_char(data[end]) {
        end += 1;
    }
    crate::scan::work::add(end - start);
    if too_long || end - start > MAX_RUN {
        return Err(end);
    }
    let body = start..end;
    let mut span_end = end;
    if unit == 4 {
        while span_end < data.len() && data[span_end] == b'=' && span_end - end < 2 {
            span_end += 1;
        }
    }
    let decoding = if unit == 4 {
        Decoding::Base64
    } else {
        Decoding::Hex
    };
    Ok(EncodedRun {
        span: start..span_end,
        body,
        decoding,
    })
}

/// Decodes `text` (base64 in either alphabet, or hex), at most `max_out` bytes.
fn decode(text: &[u8], decoding: Decoding, max_out: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(max_out.min(text.len()));
    match decoding {
        Decoding::Hex => {
            for pair in text.chunks_exact(2).take(max_out) {
                let v = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push((v(pair[0]) << 4) | v(pair[1]));
            }
        }
        _ => {
            let (mut acc, mut bits) = (0u32, 0);
            for &c in text {
                let v = match c {
                    b'A'..=b'Z' => c - b'A',
                    b'a'..=b'z' => c - b'a' + 26,
                    b'0'..=b'9' => c - b'0' + 52,
                    b'+' | b'-' => 62,
                    _ => 63,
                };
                acc = (acc << 6) | u32::from(v);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push((acc >> bits) as u8);
                    if out.len() == max_out {
                        break;
                    }
                }
            }
        }
    }
    out
}

/// True when `bytes` are text: UTF-8 (a character cut at the end aside) with no control
/// characters but tab, newline, carriage return and form feed.
fn is_text(bytes: &[u8], cut: bool) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => cut && e.error_len().is_none(),
    };
    valid
        && bytes
            .iter()
            .all(|&b| b >= 0x20 && b != 0x7F || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

/// The decoded text of a run, when it is text and longer than a bare key ID.
pub(crate) fn decode_run(data: &[u8], run: &EncodedRun) -> Option<Vec<u8>> {
    let body = &data[run.body.clone()];
    let full = match run.decoding {
        Decoding::Hex => body.len() / 2,
        _ => body.len() * 3 / 4,
    };
    if full < MIN_DECODED {
        return None;
    }
    if full > HEAD_CHECK {
        let head = decode(body, run.decoding, HEAD_CHECK);
        if !is_text(&head, true) {
            return None;
        }
    }
    let text = decode(body, run.decoding, full);
    is_text(&text, false).then_some(text)
}

/// Detects the credentials in the encoded runs of `data` that `hits` point at and that start in
/// `owned`, at depth `depth` (1 for the runs of a blob itself): each detection points at the run
/// and lists its decoding first.
pub(crate) fn detect_encoded(
    engine: &ScanEngine,
    data: &[u8],
    hits: &[EncodedHit],
    owned: &Range<usize>,
    depth: usize,
    capped: &mut Vec<String>,
) -> Vec<Detection> {
    let mut out = Vec::new();
    for run in runs_at(data, hits, owned) {
        let Some(text) = decode_run(data, &run) else {
            continue;
        };
        let inner = engine.detect(&text, 0..text.len());
        capped.extend(inner.capped);
        let mut found = inner.list;
        if depth < MAX_DEPTH && !inner.encoded.is_empty() {
            let all = 0..text.len();
            found.extend(detect_encoded(
                engine,
                &text,
                &inner.encoded,
                &all,
                depth + 1,
                capped,
            ));
        }
        if found.is_empty() {
            continue;
        }
        let (line, column) = locate(data, run.span.start);
        let (end_line, _) = locate(data, run.span.end.saturating_sub(1));
        for mut d in found {
            d.span = run.span.clone();
            d.finding.decoded.insert(0, run.decoding);
            d.finding.line = line;
            d.finding.column = column;
            d.finding.end_line = end_line;
            out.push(d);
        }
    }
    out
}

/// 1-based line and byte column of `offset` in `data` (for the few runs that hold findings).
fn locate(data: &[u8], offset: usize) -> (usize, usize) {
    let before = &data[..offset.min(data.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let column = offset - memchr::memrchr(b'\n', before).map_or(0, |nl| nl + 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(offset: usize, form: Form) -> EncodedHit {
        EncodedHit { offset, form }
    }

    #[test]
    fn runs_are_aligned_by_the_hit() {
        // "xAKIA…" in base64: the hit "FLSU" starts 2 characters into the first group; the
        // word glued before the run by `-` is not part of it.
        let data = b"k: a-eEFLSUFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla\n";
        let at = data.windows(4).position(|w| w == b"FLSU").unwrap();
        let run = run_at(data, &hit(at, Form::Base64 { phase: 2 })).unwrap();
        assert_eq!(&data[run.body.clone()][..4], b"eEFL");
        let text = decode_run(data, &run).unwrap();
        assert!(
            text.starts_with(b"xAKIA"),
            "{:?}",
            String::from_utf8_lossy(&text)
        );
    }

    #[test]
    fn binary_runs_are_not_decoded() {
        // Base64 of bytes 0..=255.
        let bytes: Vec<u8> = (0..=255).collect();
        let encoded = crate::validate::synthetic::base64_encode(&bytes);
        let data = format!("img: {encoded}\n");
        let run = run_at(data.as_bytes(), &hit(5, Form::Base64 { phase: 0 }));
        assert!(run.is_ok_and(|r| decode_run(data.as_bytes(), &r).is_none()));
    }

    #[test]
    fn hex_runs_decode() {
        let text = b"key = some value of 24 b";
        let hex: String = text.iter().map(|b| format!("{b:02x}")).collect();
        let data = format!("v={hex}\n");
        let run = run_at(data.as_bytes(), &hit(4, Form::Hex { back: 2 })).unwrap();
        assert_eq!(decode_run(data.as_bytes(), &run).unwrap(), text.to_vec());
    }
}
