//! UTF-16 and UTF-32 text: told from its byte-order mark or, without one, from the NUL pattern
//! that mostly-ASCII text has in its first bytes (`a\0b\0` is UTF-16LE), and transcoded to UTF-8
//! so that the engine reads it like any text file.
//!
//! Transcoding maps each character of the file to one character of the UTF-8 text (an unpaired
//! surrogate or an out-of-range code point becomes one U+FFFD), and newlines to newlines: a
//! credential's line and its column counted in characters are the same in both.

use std::io::{self, Read};

use crate::report::Decoding;

/// A text encoding keyfence transcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// UTF-32, little-endian.
    Utf32Le,
    /// UTF-32, big-endian.
    Utf32Be,
}

/// How a blob's text is stored, when it needs transcoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sniffed {
    /// The encoding.
    pub encoding: Encoding,
    /// Bytes of byte-order mark before the text (0 when there is none).
    pub bom: usize,
}

/// Bytes of the head looked at (the same as the binary check's).
const SNIFF_LEN: usize = crate::source::BINARY_SNIFF_LEN;

/// Without a byte-order mark, at least this share (in 1/100) of the head's characters must be
/// ASCII for the NUL pattern to count as text.
const MIN_ASCII_PERCENT: usize = 70;

impl Encoding {
    /// Bytes per code unit.
    pub(crate) fn unit(self) -> usize {
        match self {
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            Encoding::Utf32Le | Encoding::Utf32Be => 4,
        }
    }

    /// How reports name it.
    pub(crate) fn decoding(self) -> Decoding {
        match self {
            Encoding::Utf16Le => Decoding::Utf16Le,
            Encoding::Utf16Be => Decoding::Utf16Be,
            Encoding::Utf32Le => Decoding::Utf32Le,
            Encoding::Utf32Be => Decoding::Utf32Be,
        }
    }

    fn unit_at(self, b: &[u8]) -> u32 {
        match self {
            Encoding::Utf16Le => u32::from(u16::from_le_bytes([b[0], b[1]])),
            Encoding::Utf16Be => u32::from(u16::from_be_bytes([b[0], b[1]])),
            Encoding::Utf32Le => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Encoding::Utf32Be => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        }
    }
}

/// Tells whether `data` is UTF-16 or UTF-32 text. Cheap on the fast path: a look at the first
/// four bytes and, only when the head holds a NUL (`has_nul`, what the binary check found), a
/// look at the head's code units.
pub(crate) fn sniff(data: &[u8], has_nul: bool) -> Option<Sniffed> {
    let boms: [(&[u8], Encoding); 4] = [
        (&[0xFF, 0xFE, 0, 0], Encoding::Utf32Le),
        (&[0, 0, 0xFE, 0xFF], Encoding::Utf32Be),
        (&[0xFF, 0xFE], Encoding::Utf16Le),
        (&[0xFE, 0xFF], Encoding::Utf16Be),
    ];
    for (bom, encoding) in boms {
        if data.starts_with(bom) {
            // A byte-order mark alone proves little (text in any encoding may start with those
            // bytes): the head must also read as text holding an ASCII character, which any
            // UTF-16 or UTF-32 file with a line break, a space or a digit in its head does.
            let head = &data[bom.len()..data.len().min(SNIFF_LEN)];
            let ascii = text_profile(head, encoding).is_some_and(|(_, ascii)| ascii > 0);
            return ascii.then_some(Sniffed {
                encoding,
                bom: bom.len(),
            });
        }
    }
    if !has_nul {
        return None;
    }
    let head = &data[..data.len().min(SNIFF_LEN)];
    [
        Encoding::Utf32Le,
        Encoding::Utf32Be,
        Encoding::Utf16Le,
        Encoding::Utf16Be,
    ]
    .into_iter()
    .find(|&e| {
        text_profile(head, e).is_some_and(|(chars, ascii)| ascii * 100 >= chars * MIN_ASCII_PERCENT)
    })
    .map(|encoding| Sniffed { encoding, bom: 0 })
}

/// When `head` read as `encoding` is text (whole code units, a cut at the end aside; no NUL or
/// other control character but tab, newline, carriage return and form feed; no unpaired
/// surrogate; at least one character), how many characters it holds and how many are ASCII.
fn text_profile(head: &[u8], encoding: Encoding) -> Option<(usize, usize)> {
    let unit = encoding.unit();
    let units = head.chunks_exact(unit).map(|u| encoding.unit_at(u));
    let (mut chars, mut ascii) = (0usize, 0usize);
    let mut pending_high = false;
    for u in units {
        let surrogate = (0xD800..0xE000).contains(&u);
        if encoding.unit() == 2 && surrogate {
            let high = u < 0xDC00;
            if high == pending_high {
                return None;
            }
            pending_high = high;
            if high {
                continue;
            }
        } else if pending_high || surrogate || u > 0x10FFFF {
            return None;
        }
        if u < 0x20 && !matches!(u, 0x09 | 0x0A | 0x0C | 0x0D) || u == 0x7F {
            return None;
        }
        chars += 1;
        ascii += usize::from(u < 0x80);
    }
    (chars > 0).then_some((chars, ascii))
}

/// Transcodes `data` (after its byte-order mark) to UTF-8, appending to `out`. A trailing
/// incomplete code unit is dropped; an unpaired surrogate becomes U+FFFD. Returns how many
/// bytes of `data` were consumed (whole code units; a high surrogate at the very end is left
/// for the next call).
pub(crate) fn transcode_into(data: &[u8], encoding: Encoding, out: &mut Vec<u8>) -> usize {
    let unit = encoding.unit();
    let mut buf = [0u8; 4];
    let mut push =
        |c: char, out: &mut Vec<u8>| out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    let mut i = 0;
    while i + unit <= data.len() {
        let u = encoding.unit_at(&data[i..]);
        if unit == 4 {
            push(
                char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER),
                out,
            );
            i += 4;
            continue;
        }
        if (0xD800..0xDC00).contains(&u) {
            if i + 4 > data.len() {
                break;
            }
            let low = encoding.unit_at(&data[i + 2..]);
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                push(
                    char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
                    out,
                );
                i += 4;
                continue;
            }
        }
        push(
            char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER),
            out,
        );
        i += 2;
    }
    i
}

/// The whole of `data`, as `sniffed` says it is stored, in UTF-8.
pub(crate) fn transcode(data: &[u8], sniffed: Sniffed) -> Vec<u8> {
    let body = &data[sniffed.bom.min(data.len())..];
    // ASCII takes half (UTF-16) or a quarter (UTF-32) of the bytes; other text at most 3/2.
    let mut out = Vec::with_capacity(body.len() / sniffed.encoding.unit() + 16);
    let used = transcode_into(body, sniffed.encoding, &mut out);
    if used < body.len() / sniffed.encoding.unit() * sniffed.encoding.unit() {
        // A high surrogate at the very end.
        out.extend_from_slice(char::REPLACEMENT_CHARACTER.to_string().as_bytes());
    }
    out
}

/// A reader that transcodes a UTF-16 or UTF-32 stream to UTF-8 as it is read, in bounded memory:
/// how standard input and files too large to read whole are scanned.
pub(crate) struct TranscodingReader<R> {
    inner: R,
    encoding: Encoding,
    /// Bytes read but not yet transcoded (an incomplete code unit or surrogate pair).
    raw: Vec<u8>,
    /// Transcoded bytes not yet handed out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    /// Byte-order-mark bytes still to drop.
    skip: usize,
    eof: bool,
}

/// Raw bytes read from the inner reader at a time.
const READ_LEN: usize = 64 << 10;

impl<R: Read> TranscodingReader<R> {
    /// A reader over `inner`, which starts with the byte-order mark `sniffed` found (if any).
    pub(crate) fn new(inner: R, sniffed: Sniffed) -> TranscodingReader<R> {
        TranscodingReader {
            inner,
            encoding: sniffed.encoding,
            raw: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            skip: sniffed.bom,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.eof {
            let start = self.raw.len();
            self.raw.resize(start + READ_LEN, 0);
            let n = self.inner.read(&mut self.raw[start..])?;
            self.raw.truncate(start + n);
            if n == 0 {
                self.eof = true;
            }
            let skip = self.skip.min(self.raw.len());
            self.raw.drain(..skip);
            self.skip -= skip;
            let used = transcode_into(&self.raw, self.encoding, &mut self.out);
            self.raw.drain(..used);
            if self.eof && !self.raw.is_empty() {
                if self.raw.len() >= self.encoding.unit() {
                    // A high surrogate with nothing after it.
                    self.out
                        .extend_from_slice(char::REPLACEMENT_CHARACTER.to_string().as_bytes());
                }
                self.raw.clear();
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for TranscodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    fn utf32(s: &str, le: bool) -> Vec<u8> {
        s.chars()
            .flat_map(|c| {
                if le {
                    u32::from(c).to_le_bytes()
                } else {
                    u32::from(c).to_be_bytes()
                }
            })
            .collect()
    }

    fn sniff_all(data: &[u8]) -> Option<Sniffed> {
        sniff(data, memchr::memchr(0, data).is_some())
    }

    #[test]
    fn tells_each_encoding_with_and_without_bom() {
        let text = "key = value\r\nnaïve café 😀\n";
        let cases = [
            (utf16le(text), Encoding::Utf16Le, vec![0xFF, 0xFE]),
            (utf16be(text), Encoding::Utf16Be, vec![0xFE, 0xFF]),
            (utf32(text, true), Encoding::Utf32Le, vec![0xFF, 0xFE, 0, 0]),
            (
                utf32(text, false),
                Encoding::Utf32Be,
                vec![0, 0, 0xFE, 0xFF],
            ),
        ];
        for (body, encoding, bom) in cases {
            let plain = sniff_all(&body).expect("sniffed without a BOM");
            assert_eq!(plain, Sniffed { encoding, bom: 0 });
            assert_eq!(transcode(&body, plain), text.as_bytes());
            let with_bom = [bom.clone(), body].concat();
            let sniffed = sniff_all(&with_bom).expect("sniffed with a BOM");
            assert_eq!(
                sniffed,
                Sniffed {
                    encoding,
                    bom: bom.len()
                }
            );
            assert_eq!(transcode(&with_bom, sniffed), text.as_bytes());
        }
    }

    #[test]
    fn binary_and_utf8_are_not_taken_for_utf16() {
        assert_eq!(sniff_all(b"plain text\n"), None);
        assert_eq!(sniff_all("caf\u{e9}\n".as_bytes()), None);
        // A binary header with a NUL in it.
        assert_eq!(sniff_all(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0"), None);
        // NUL characters are not text, nor is UTF-16 of mostly non-ASCII without a BOM.
        assert_eq!(sniff_all(&utf16le("ab\0c")), None);
        // A byte-order mark before text that is not UTF-16 (the code units read as CJK
        // characters, none ASCII): the fuzz target scan_planted found a credential hidden so.
        assert_eq!(
            sniff_all(b"\xfe\xff\xff\xff\naws_access_key_id = x\n"),
            None
        );
        assert_eq!(sniff_all(b"\xff\xfekey = value\n"), None);
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.extend(std::iter::repeat_n(0u8, 64));
        assert_eq!(sniff_all(&elf), None);
    }

    #[test]
    fn unpaired_surrogates_become_replacement_characters() {
        let data = [0x41, 0, 0x00, 0xD8, 0x42, 0];
        let s = Sniffed {
            encoding: Encoding::Utf16Le,
            bom: 0,
        };
        assert_eq!(transcode(&data, s), "A\u{FFFD}B".as_bytes());
        assert_eq!(transcode(&[0x41, 0, 0x00, 0xD8], s), "A\u{FFFD}".as_bytes());
    }

    /// The stream reader gives the same text as the whole-blob transcoder, whatever the reads'
    /// sizes (a surrogate pair cut between two reads included).
    #[test]
    fn the_reader_matches_the_whole_transcoder() {
        let text = "😀 a\n".repeat(40_000);
        let data = [vec![0xFF, 0xFE], utf16le(&text)].concat();
        let sniffed = sniff_all(&data).unwrap();
        let mut out = Vec::new();
        TranscodingReader::new(&data[..], sniffed)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text.as_bytes());
    }
}
