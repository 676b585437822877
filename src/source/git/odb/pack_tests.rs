use std::io::Write;

use super::super::idx::build_idx;
use super::super::testing::{git, noise};
use super::*;

#[test]
fn finds_small_and_large_offsets_and_misses() {
    let a = [0x01; 20];
    let mut b = [0x7f; 20];
    b[19] = 0;
    let c = [0xff; 20];
    let order = PackOrder {
        indexes: vec![PackIndex::parse(
            build_idx(&[(a, 12), (b, 5_000_000_000), (c, 99)]),
            PathBuf::new(),
            PathBuf::new(),
        )
        .unwrap()],
        unread: 0,
    };
    assert_eq!(order.key(Oid::from_bytes(&a).unwrap()), (0, 12));
    assert_eq!(order.key(Oid::from_bytes(&b).unwrap()), (0, 5_000_000_000));
    assert_eq!(order.key(Oid::from_bytes(&c).unwrap()), (0, 99));
    let missing = Oid::from_bytes(&[0x7f; 20]).unwrap();
    assert_eq!(order.key(missing), (usize::MAX, u64::MAX));
    assert!(PackIndex::parse(b"not an index".to_vec(), PathBuf::new(), PathBuf::new()).is_err());
}

#[test]
fn agrees_with_a_real_pack() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| git(dir.path(), args);
    run(&["init", "-q"]);
    std::fs::write(dir.path().join("a"), "one\n").unwrap();
    std::fs::write(dir.path().join("b"), "two\n").unwrap();
    run(&["add", "."]);
    run(&["commit", "-qm", "m"]);
    run(&["repack", "-adq"]);
    let order = PackOrder::load(&dir.path().join(".git/objects"));
    let idx = std::fs::read_dir(dir.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let listing = run(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let mut checked = 0;
    for line in listing.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && f[0].len() == 40 {
            let oid = Oid::from_str(f[0]).unwrap();
            assert_eq!(order.key(oid), (0, f[4].parse().unwrap()), "{line}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "{listing}");
    let mut blobs: Vec<String> = order.packs()[0]
        .entries
        .iter()
        .filter(|e| e.is_blob())
        .map(|e| e.oid.to_string())
        .collect();
    blobs.sort();
    let mut expected: Vec<String> = listing
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("blob"))
        .map(|l| l[..40].to_string())
        .collect();
    expected.sort();
    assert_eq!(blobs, expected);
}

/// Headers are read a stretch at a time: a pack where large entries (incompressible, several
/// times [`HeaderWindow::SPAN`]) sit between runs of small ones, and small ones run on past a
/// stretch, is typed entry for entry as `git verify-pack` types it.
#[test]
fn types_every_entry_across_stretches_and_large_entries() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| git(dir.path(), args);
    run(&["init", "-q"]);
    for i in 0..12u64 {
        let large = noise(i, (HeaderWindow::SPAN as usize * (1 + i as usize % 3)) / 8);
        std::fs::write(dir.path().join(format!("large{i}.bin")), large).unwrap();
        for j in 0..400u64 {
            // Small and incompressible: 400 of them fill more than one stretch.
            let small = noise(1000 * i + j + 100, 100);
            std::fs::write(dir.path().join(format!("small{i}-{j}")), small).unwrap();
        }
        run(&["add", "."]);
        run(&["commit", "-qm", "m"]);
    }
    run(&["repack", "-adq"]);
    let idx = std::fs::read_dir(dir.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let expected: HashMap<String, String> = run(&["verify-pack", "-v", idx.to_str().unwrap()])
        .lines()
        .filter(|l| l.len() > 41 && l.as_bytes()[40] == b' ')
        .map(|l| {
            (
                l[..40].to_string(),
                l.split_whitespace().nth(1).unwrap().to_string(),
            )
        })
        .collect();
    let order = PackOrder::load(&dir.path().join(".git/objects"));
    let pack = &order.packs()[0];
    assert!(pack.data_end > 20 * HeaderWindow::SPAN, "{}", pack.data_end);
    assert_eq!(pack.entries.len(), expected.len());
    for e in &pack.entries {
        let kind = match e.kind {
            Some(ObjectType::Blob) => "blob",
            Some(ObjectType::Tree) => "tree",
            Some(ObjectType::Commit) => "commit",
            other => panic!("{}: {other:?}", e.oid),
        };
        assert_eq!(expected[&e.oid.to_string()], kind, "{}", e.oid);
    }
}

/// Deltas (offset deltas after `repack -f`) inherit their base's type.
#[test]
fn lists_deltified_blobs_as_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| git(dir.path(), args);
    run(&["init", "-q"]);
    let body: String = (0..200).map(|i| format!("line {i} of a file\n")).collect();
    for v in 0..5 {
        std::fs::write(dir.path().join("f"), format!("{body}version {v}\n")).unwrap();
        run(&["add", "."]);
        run(&["commit", "-qm", "m"]);
    }
    run(&["repack", "-adfq"]);
    let all = run(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objecttype) %(deltabase)",
    ]);
    assert!(
        all.lines()
            .any(|l| l.starts_with("blob ") && !l.ends_with(&"0".repeat(40))),
        "the test needs a deltified blob: {all}"
    );
    let order = PackOrder::load(&dir.path().join(".git/objects"));
    let packs = order.packs();
    assert_eq!(packs[0].entries.iter().filter(|e| e.is_blob()).count(), 5);
}

/// A repository of twelve versions of a file, deltified in one pack.
fn deltified_repository(dir: &Path) {
    let run = |args: &[&str]| git(dir, args);
    run(&["init", "-q"]);
    let body: String = (0..300)
        .map(|i| format!("line {i}: some text here\n"))
        .collect();
    for v in 0..12 {
        let mut text = body.clone();
        text.insert_str(v * 40, &format!("edit number {v}\n"));
        std::fs::write(dir.join("f.txt"), &text).unwrap();
        std::fs::write(dir.join(format!("n{}.txt", v % 3)), format!("{v}\n")).unwrap();
        run(&["add", "."]);
        run(&["commit", "-qm", "m"]);
    }
    run(&["repack", "-adfq", "--depth=5"]);
}

/// Every object of a real, deltified pack reads back as libgit2 reads it.
#[test]
fn reads_a_real_pack_like_libgit2() {
    let dir = tempfile::tempdir().unwrap();
    deltified_repository(dir.path());
    let packs = PackOrder::load(&dir.path().join(".git/objects")).packs();
    let repo = git2::Repository::open(dir.path()).unwrap();
    let odb = repo.odb().unwrap();
    let mut deltas = 0;
    for pack in &packs {
        let mut reader = PackReader::open(pack).unwrap();
        for (k, e) in pack.entries.iter().enumerate() {
            deltas += usize::from(e.base().is_some());
            let data = reader.read(k).unwrap();
            assert_eq!(&data[..], odb.read(e.oid).unwrap().data(), "{}", e.oid);
        }
        // Out of order, from a cold cache.
        let mut cold = PackReader::open(pack).unwrap();
        let last = pack.entries.len() - 1;
        assert_eq!(
            &cold.read(last).unwrap()[..],
            &reader.read(last).unwrap()[..]
        );
    }
    assert!(deltas > 5, "the pack must hold deltas");
}

/// Peeking inflates only the head of a whole object, and agrees with the full read.
#[test]
fn peeks_at_the_head_of_a_large_whole_object() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| git(dir.path(), args);
    run(&["init", "-q"]);
    let big = noise(9, 50_000);
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    run(&["add", "."]);
    run(&["commit", "-qm", "m"]);
    run(&["repack", "-adq"]);
    let packs = PackOrder::load(&dir.path().join(".git/objects")).packs();
    let pack = &packs[0];
    let k = pack
        .entries
        .iter()
        .position(|e| e.is_blob())
        .expect("the blob");
    let mut reader = PackReader::open(pack).unwrap();
    let (head, size) = reader.peek(k, 8000).unwrap().unwrap();
    assert_eq!(size, big.len() as u64);
    assert_eq!(head, big[..8000]);
    assert_eq!(&reader.read(k).unwrap()[..], &big[..]);
}

/// A pack cut short: the entries before the cut read as before, every later one is an error
/// naming the pack and the entry's offset, and none panics.
#[test]
fn a_truncated_pack_names_the_pack_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    deltified_repository(dir.path());
    std::fs::write(dir.path().join("big.bin"), noise(3, 4000)).unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "big"]);
    git(dir.path(), &["repack", "-adq"]);
    let objects = dir.path().join(".git/objects");
    let intact = PackOrder::load(&objects).packs().remove(0);
    let mut reader = PackReader::open(&intact).unwrap();
    let before: Vec<Arc<Vec<u8>>> = (0..intact.entries.len())
        .map(|k| reader.read(k).unwrap())
        .collect();
    let len = std::fs::metadata(&intact.pack).unwrap().len();
    let cut = len / 2;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&intact.pack)
        .unwrap();
    file.set_len(cut).unwrap();
    drop(file);

    let cut_packs = PackOrder::load(&objects).packs();
    let pack = &cut_packs[0];
    assert_eq!(pack.entries.len(), intact.entries.len());
    let mut reader = PackReader::open(pack).unwrap();
    let (mut kept, mut failed) = (0, 0);
    for (k, e) in intact.entries.iter().enumerate() {
        assert!(pack.end(k) <= (cut - PACK_CHECKSUM).max(e.offset));
        match reader.read(k) {
            Ok(data) => {
                assert_eq!(data, before[k]);
                kept += 1;
            }
            Err(err) => {
                assert!(intact.end(k) > cut - PACK_CHECKSUM, "{err}");
                let text = err.to_string();
                let at = format!("{}: offset {}: ", pack.pack.display(), e.offset);
                assert!(text.starts_with(&at), "{text}");
                if e.offset >= cut - PACK_CHECKSUM {
                    assert!(text.ends_with("truncated entry header"), "{text}");
                }
                failed += 1;
            }
        }
        let _ = reader.peek(k, 100);
    }
    assert!(kept > 0 && failed > 0, "{kept} read, {failed} failed");
}

/// A pack entry header for an object of `kind` and `size` bytes.
fn entry_header(kind: u8, size: usize) -> Vec<u8> {
    let mut out = vec![(kind << 4) | (size & 0x0f) as u8];
    let mut rest = size >> 4;
    while rest != 0 {
        *out.last_mut().unwrap() |= 0x80;
        out.push((rest & 0x7f) as u8);
        rest >>= 7;
    }
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// A pack file of `entries` (raw entry bytes, and the position of a delta's base) in `dir`,
/// listed as [`PackEntries::read`] would list it.
fn handmade_pack(dir: &Path, entries: &[(Vec<u8>, Option<usize>)]) -> PackEntries {
    let mut data = b"PACK\0\0\0\x02\0\0\0\0".to_vec();
    let mut listed = Vec::new();
    for (bytes, base) in entries {
        let offset = data.len() as u64;
        data.extend(bytes);
        let mut entry = PackEntry::new(Oid::zero(), offset, Some(ObjectType::Blob), *base);
        entry.is_base = entries.iter().any(|(_, b)| *b == Some(listed.len()));
        listed.push(entry);
    }
    let data_end = data.len() as u64;
    data.extend([0u8; 20]);
    let pack = dir.join("pack-1234.pack");
    std::fs::write(&pack, data).unwrap();
    PackEntries {
        pack,
        entries: listed,
        data_end,
    }
}

/// A whole blob entry of `data`.
fn blob(data: &[u8]) -> Vec<u8> {
    [entry_header(3, data.len()), deflate(data)].concat()
}

/// An offset delta entry, `back` bytes after its base (less than 128), of `delta`.
fn ofs_delta(back: u8, delta: &[u8]) -> Vec<u8> {
    [entry_header(6, delta.len()), vec![back], deflate(delta)].concat()
}

/// Corrupt entries give errors naming the pack and the entry's offset, never a panic, and
/// never an allocation of what a header merely claims.
#[test]
fn corrupt_entries_name_the_pack_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let base = blob(b"hello, world");
    let back = base.len() as u8;
    let good = ofs_delta(back, &[12, 11, 0x91, 0, 5, 2, b'!', b'!', 0x91, 8, 4]);
    let bad_delta = ofs_delta(back, &[12, 5, 0x91, 10, 5]);
    let mut bad_zlib = blob(b"some text of a blob");
    bad_zlib[2] = 0xff; // the zlib header, after a two-byte entry header
    let mut bad_deflate = blob(b"some text of a blob");
    bad_deflate[4] = 0xff; // the first deflate block: a reserved block type
    let mut bad_adler = blob(b"inflates whole, to its size");
    *bad_adler.last_mut().unwrap() ^= 1; // the Adler-32 that ends the zlib stream
    let huge = [entry_header(3, 1 << 40), deflate(b"small")].concat();
    let short = [entry_header(3, 50), deflate(b"fewer than fifty")].concat();
    let long = [entry_header(3, 5), deflate(b"more than five")].concat();
    let pack = handmade_pack(
        dir.path(),
        &[
            (base, None),
            (good, Some(0)),
            (bad_delta, Some(0)),
            (bad_zlib, None),
            (huge, None),
            (short, None),
            (ofs_delta(1, &[0]), None),
            (ofs_delta(1, &[0]), Some(7)),
            (bad_deflate, None),
            (bad_adler, None),
            (long, None),
        ],
    );
    let at = |k: usize| pack.entries[k].offset;
    let name = pack.pack.display().to_string();
    let mut reader = PackReader::open(&pack).unwrap();
    assert_eq!(&reader.read(1).unwrap()[..], b"hello!!orld");
    // The base is kept for the next delta on it; the delta, which nothing is based on, is not.
    assert!(pack.entries[0].is_base && !pack.entries[1].is_base);
    assert!(reader.cache.contains_key(&0) && !reader.cache.contains_key(&1));

    let err = reader.read(2).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{name}: delta at offset {}: byte 2: copy out of range \
             (5 bytes at 10 of a 12-byte base)",
            at(2)
        )
    );
    let err = reader.read(3).unwrap_err();
    assert!(
        matches!(err, OdbError::Deflate { offset, .. } if offset == at(3)),
        "{err}"
    );
    let err = reader.read(9).unwrap_err();
    assert!(
        matches!(err, OdbError::Deflate { offset, .. } if offset == at(9)),
        "a checksum that does not match is caught: {err}"
    );
    let err = reader.read(8).unwrap_err();
    assert!(
        matches!(err, OdbError::Deflate { offset, .. } if offset == at(8)),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{name}: offset {}: zlib stream corrupt", at(8))),
        "{err}"
    );
    let err = reader.read(4).unwrap_err();
    assert!(
        matches!(err, OdbError::ImplausibleSize { offset, size: 1_099_511_627_776, .. } if offset == at(4)),
        "{err}"
    );
    let err = reader.read(5).unwrap_err();
    assert!(
        matches!(err, OdbError::InflatedSize { expected: 50, actual: 16, offset, .. } if offset == at(5)),
        "{err}"
    );
    let err = reader.read(10).unwrap_err();
    assert!(
        matches!(err, OdbError::InflatesPast { expected: 5, offset, .. } if offset == at(10)),
        "{err}"
    );
    let err = reader.read(6).unwrap_err();
    assert!(
        matches!(err, OdbError::DeltaBaseMissing { offset, .. } if offset == at(6)),
        "{err}"
    );
    let err = reader.read(7).unwrap_err();
    assert!(
        matches!(err, OdbError::DeltaChain { offset, .. } if offset == at(7)),
        "{err}"
    );
    assert!(matches!(
        reader.peek(3, 100).unwrap_err(),
        OdbError::Zlib { .. }
    ));
    assert!(matches!(
        reader.peek(8, 100).unwrap_err(),
        OdbError::Zlib { .. }
    ));
    assert!(reader.peek(1, 100).unwrap().is_none(), "a delta");
}

/// A reference delta that is its own base, or two that are each other's (a crafted pack: git
/// never writes one) is a loop, found after one turn: each turn holds its deltas inflated, and
/// turning until the chain limit held a large delta ten thousand times.
#[test]
fn a_delta_loop_is_an_error_after_one_turn() {
    let dir = tempfile::tempdir().unwrap();
    // Ref-delta entries (type 7; the base id is not read here, the listing gives the base) of
    // 1 MiB deltas that deflate to about a kilobyte.
    let large = [vec![0x80, 0x80, 0x40, 0x01, 0x01], vec![0x41; 1 << 20]].concat();
    let ref_delta = || [entry_header(7, large.len()), vec![0; 20], deflate(&large)].concat();
    let pack = handmade_pack(
        dir.path(),
        &[
            (ref_delta(), Some(0)),
            (ref_delta(), Some(2)),
            (ref_delta(), Some(1)),
        ],
    );
    let mut reader = PackReader::open(&pack).unwrap();
    for k in 0..3 {
        let err = reader.read(k).unwrap_err();
        assert!(
            matches!(err, OdbError::DeltaChain { offset, .. } if offset == pack.entries[k].offset),
            "{err}"
        );
    }
}

/// An offset delta based on a reference delta whose base comes later in the pack (as packs that
/// git completes or rewrites can hold): the listing types the whole chain, and the reader
/// resolves it (it used to be taken for a loop).
#[test]
fn a_chain_through_a_later_base_is_typed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let whole = b"hello world\n";
    // Copy the 12 bytes of the base; then the same and insert `!`.
    let copy = [12, 12, 0x90, 12];
    let copy_insert = [12, 13, 0x90, 12, 1, b'!'];
    let (a, r, o) = ([0x30; 20], [0x10; 20], [0x20; 20]);
    let mut data = b"PACK\0\0\0\x02\0\0\0\x03".to_vec();
    let r_at = data.len() as u64;
    data.extend([entry_header(7, copy.len()), a.to_vec(), deflate(&copy)].concat());
    let o_at = data.len() as u64;
    let back = u8::try_from(o_at - r_at).unwrap();
    data.extend(ofs_delta(back, &copy_insert));
    let a_at = data.len() as u64;
    data.extend(blob(whole));
    data.extend([0u8; 20]);
    let pack = dir.path().join("pack-5678.pack");
    std::fs::write(&pack, &data).unwrap();
    let idx = build_idx(&[(r, r_at), (o, o_at), (a, a_at)]);
    let index = PackIndex::parse(idx, dir.path().join("pack-5678.idx"), pack).unwrap();
    let entries = PackEntries::read(&index).unwrap();
    assert!(
        entries
            .entries
            .iter()
            .all(|e| e.kind == Some(ObjectType::Blob)),
        "{:?}",
        entries.entries
    );
    let mut reader = PackReader::open(&entries).unwrap();
    let read: Vec<Vec<u8>> = (0..3).map(|k| reader.read(k).unwrap().to_vec()).collect();
    assert_eq!(
        read,
        vec![whole.to_vec(), b"hello world\n!".to_vec(), whole.to_vec()]
    );
}

#[test]
fn a_commit_tree_line_is_read_strictly() {
    let hex = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let line = format!("tree {hex}\n");
    assert_eq!(
        tree_line(line.as_bytes()),
        Some(Oid::from_str(hex).unwrap())
    );
    for bad in [
        format!("tree {hex}"),
        format!("tree {}\n", &hex[..39]),
        format!("tree {}g\n", &hex[..39]),
        format!("parent {hex}\n"),
        String::new(),
    ] {
        assert_eq!(tree_line(bad.as_bytes()), None, "{bad:?}");
    }
}

#[test]
fn reads_the_tree_of_a_packed_commit() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| git(dir.path(), args);
    run(&["init", "-q"]);
    std::fs::write(dir.path().join("a"), "one\n").unwrap();
    run(&["add", "."]);
    run(&["commit", "-qm", "m"]);
    run(&["repack", "-adq"]);
    let head = Oid::from_str(run(&["rev-parse", "HEAD"]).trim()).unwrap();
    let tree = Oid::from_str(run(&["rev-parse", "HEAD^{tree}"]).trim()).unwrap();
    let order = PackOrder::load(&dir.path().join(".git/objects"));
    let packs = order.packs();
    let mut objects = PackObjects::new(&order, &packs);
    assert_eq!(objects.commit_tree(head).unwrap(), Some(tree));
    // A tree is no commit: its first bytes are no tree line.
    assert_eq!(objects.commit_tree(tree).unwrap(), None);
    assert_eq!(objects.commit_tree(Oid::zero()).unwrap(), None);
}

/// Delta families of a real, deltified pack: every blob once, each delta after its base and in
/// its base's family, families starting at whole blobs.
#[test]
fn blob_families_put_each_delta_after_its_base() {
    let dir = tempfile::tempdir().unwrap();
    deltified_repository(dir.path());
    let pack = PackOrder::load(&dir.path().join(".git/objects"))
        .packs()
        .remove(0);
    let (order, starts) = pack.blob_families();
    let blobs: Vec<usize> = (0..pack.entries.len())
        .filter(|&k| pack.entries[k].is_blob())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, blobs, "every blob once");
    assert!(
        order.iter().any(|&k| pack.entries[k].base().is_some()),
        "the pack has blob deltas"
    );
    let family = |i: usize| starts.partition_point(|&s| s <= i);
    let at = |k: usize| order.iter().position(|&o| o == k).unwrap();
    for (i, &k) in order.iter().enumerate() {
        match pack.entries[k].base() {
            Some(b) => {
                assert!(at(b) < i, "base before delta");
                assert_eq!(family(at(b)), family(i), "one family");
            }
            None => assert!(starts.contains(&i), "a whole blob starts a family"),
        }
    }
}

/// A crafted pack: a delta chain whose bottom is no blob of the pack is still listed, last;
/// deltas of one base come in pack order, each followed by its own deltas.
#[test]
fn blob_families_of_a_handmade_pack() {
    let dir = tempfile::tempdir().unwrap();
    let pack = handmade_pack(
        dir.path(),
        &[
            (blob(b"a"), None),
            (blob(b"b"), Some(0)),
            (blob(b"c"), None),
            (blob(b"d"), Some(0)),
            (blob(b"e"), Some(1)),
            (blob(b"f"), Some(7)),
            (blob(b"g"), Some(2)),
            (blob(b"h"), Some(5)),
        ],
    );
    let (order, starts) = pack.blob_families();
    assert_eq!(order, [0, 1, 4, 3, 2, 6, 5, 7]);
    assert_eq!(starts, [0, 4, 6]);
}

/// An entry is kept for every object of every pack for the whole scan: it stays small.
#[test]
fn a_pack_entry_takes_forty_bytes() {
    assert_eq!(std::mem::size_of::<PackEntry>(), 40);
}
