//! Hostile archives through `expand`: bytes flipped and cut in zip, tar, tar.gz and tar.bz2
//! never panic, never hang, and every problem names where it is.

use std::io::Write;

use super::*;

/// Records what `expand` hands on.
#[derive(Default)]
struct Record {
    members: Vec<(String, usize)>,
    problems: Vec<(String, String)>,
}

impl Sink for Record {
    fn member(&mut self, inner: &str, bytes: &[u8]) {
        self.members.push((inner.to_string(), bytes.len()));
    }
    fn problem(&mut self, inner: &str, message: String) {
        self.problems.push((inner.to_string(), message));
    }
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn samples() -> Vec<Vec<u8>> {
    let text: Vec<u8> = (0..5000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let inner = zip_of(&[("a.txt", &text), ("b.txt", b"short\n")]);
    let zip = zip_of(&[("x/inner.jar", &inner), ("c.txt", &text)]);
    let tar = tar_of(&[("one.txt", &text), ("two.zip", &inner)]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar).unwrap();
    vec![zip, tar, gz.finish().unwrap(), bz.finish().unwrap()]
}

#[test]
fn intact_samples_expand_whole() {
    for s in samples() {
        let mut r = Record::default();
        assert!(expand(&s, &ArchiveOptions::default(), &mut r));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.members.len() >= 3, "{:?}", r.members);
    }
}

#[test]
fn flipped_and_cut_archives_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for s in samples() {
        for round in 0..300 {
            let mut bytes = s.clone();
            if round % 3 == 0 {
                let cut = (next() as usize) % bytes.len();
                bytes.truncate(cut.max(8));
            } else {
                for _ in 0..1 + round % 8 {
                    let at = (next() as usize) % bytes.len();
                    // Keep the magic bytes so that the reader, not the sniffing, is tried.
                    if at >= 6 {
                        bytes[at] ^= (next() as u8) | 1;
                    }
                }
            }
            let mut r = Record::default();
            expand(&bytes, &ArchiveOptions::default(), &mut r);
            for (inner, _) in &r.problems {
                assert!(inner.is_empty() || inner.starts_with('!'), "{inner}");
            }
        }
    }
}
