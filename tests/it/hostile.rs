//! keyfence under hostile input: repositories other people wrote (pull requests from forks,
//! cloned third-party code) with corrupt, truncated or crafted packs and indexes, looping delta
//! chains, absurd object sizes, hostile tree entry names, deep trees, many refs and long
//! histories. Every repository is built in the test (the `git` binary, `git fast-import`, or
//! bytes written here: no binary fixture is committed). Each case must be either a correct scan
//! or a clear error naming the object or file at fault (exit 2, or an error listed in the JSON
//! report), and never a panic, a hang or unbounded memory: every run is watched, and killed and
//! failed past [`TIME_LIMIT`] or [`RSS_LIMIT_KB`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::gitrepo::*;

/// A run taking longer is a hang.
const TIME_LIMIT: Duration = Duration::from_secs(120);
/// A run whose resident memory grows past this (1.5 GiB) is unbounded.
const RSS_LIMIT_KB: u64 = 1536 << 10;

/// How a watched run of keyfence ended.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident memory as last sampled (`VmHWM`), in KiB; 0 where /proc is not there.
    peak_kb: u64,
    secs: f64,
}

impl Run {
    /// The JSON report, when the run wrote one.
    fn doc(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.stdout).ok()
    }

    /// Everything the run said: standard error and the report's errors.
    fn said(&self) -> String {
        let mut s = self.stderr.clone();
        if let Some(doc) = self.doc() {
            s.push_str(&doc["errors"].to_string());
        }
        s
    }
}

/// Runs keyfence in `dir` with `args`, watched: killed and failed past the time or memory limit;
/// fails on a panic or a death by signal.
fn watched(dir: &Path, args: &[&str]) -> Run {
    let mut child = keyfence_in(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyfence starts");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let started = Instant::now();
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        let (slow, big) = (started.elapsed() > TIME_LIMIT, peak_kb > RSS_LIMIT_KB);
        if slow || big {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "keyfence {args:?} killed: {:.0} s, {peak_kb} KiB resident (limits {:?}, \
                 {RSS_LIMIT_KB} KiB)",
                started.elapsed().as_secs_f64(),
                TIME_LIMIT
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = started.elapsed().as_secs_f64();
    let stdout = out.join().unwrap();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    let Some(code) = status.code() else {
        panic!("keyfence {args:?} died by a signal ({status:?}): {stderr}");
    };
    assert!(
        !stderr.contains("panicked"),
        "keyfence {args:?} panicked: {stderr}"
    );
    assert!(
        (0..=2).contains(&code),
        "keyfence {args:?}: exit {code}: {stderr}"
    );
    Run {
        code,
        stdout,
        stderr,
        peak_kb,
        secs,
    }
}

/// `keyfence history --format json`, watched.
fn history(dir: &Path) -> Run {
    watched(dir, &["history", "--format", "json"])
}

/// Checks the contract on a repository holding the credential `key_id`: the credential is found
/// (exit 1), or the scan says why it could not be (exit 2) naming one of `culprits` (a file, an
/// object id); any listed error also names one. Never exit 0 (a silent skip of the credential).
/// Returns what is wrong, if anything; prints the outcome.
fn check_found_or_named(
    run: &Run,
    key_id: &str,
    culprits: &[String],
    what: &str,
) -> Option<String> {
    let said = run.said();
    let short: String = said.chars().take(300).collect();
    eprintln!(
        "{what}: exit {} in {:.2} s, {} KiB: {short}",
        run.code, run.secs, run.peak_kb
    );
    let names = |text: &str| culprits.iter().any(|c| text.contains(c.as_str()));
    let wrong = match run.code {
        1 => {
            let doc = run.doc().expect("a JSON report");
            (!findings(&doc).iter().any(|f| f["key_id"] == key_id))
                .then(|| format!("{what}: exit 1 without the credential: {doc}"))
        }
        2 => (!names(&said))
            .then(|| format!("{what}: exit 2 without naming the file or object at fault: {said}")),
        _ => Some(format!(
            "{what}: exit {}: the credential was silently skipped: {said}",
            run.code
        )),
    };
    if wrong.is_some() {
        return wrong;
    }
    let doc = run.doc()?;
    doc["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| !names(&e.to_string()))
        .map(|e| format!("{what}: an error naming no file or object: {e}"))
}

/// [`check_found_or_named`], failing at once.
fn found_or_named(run: &Run, key_id: &str, culprits: &[String], what: &str) {
    if let Some(wrong) = check_found_or_named(run, key_id, culprits, what) {
        panic!("{wrong}");
    }
}

/// Fails with every problem of `problems`.
fn no_problems(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} cases:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Objects, packs and indexes written byte by byte.

/// SHA-1 (object ids and pack checksums): the test builds objects git would refuse to write.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend((data.len() as u64 * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn hex(id: &[u8; 20]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pack entry types.
const COMMIT: u8 = 1;
const TREE: u8 = 2;
const BLOB: u8 = 3;
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;

/// The id of an object of `kind` with `data`.
fn object_id(kind: u8, data: &[u8]) -> [u8; 20] {
    let name = ["", "commit", "tree", "blob"][usize::from(kind)];
    let mut all = format!("{name} {}\0", data.len()).into_bytes();
    all.extend_from_slice(data);
    sha1(&all)
}

/// A tree object of `(mode, name, id)` entries, in the order given (a hostile tree need not be
/// sorted).
fn tree_bytes(entries: &[(&str, &[u8], [u8; 20])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (mode, name, id) in entries {
        out.extend_from_slice(mode.as_bytes());
        out.push(b' ');
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(id);
    }
    out
}

/// A commit object of `tree` with `parent`.
fn commit_bytes(tree: &[u8; 20], parent: Option<&[u8; 20]>, message: &str) -> Vec<u8> {
    let mut s = format!("tree {}\n", hex(tree));
    if let Some(p) = parent {
        s.push_str(&format!("parent {}\n", hex(p)));
    }
    let who = "T <t@example.com> 1780000000 +0000";
    s.push_str(&format!("author {who}\ncommitter {who}\n\n{message}\n"));
    s.into_bytes()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// A pack entry header: type and (declared) size.
fn entry_header(kind: u8, size: u64) -> Vec<u8> {
    let mut out = vec![(kind << 4) | (size & 0x0f) as u8];
    let mut rest = size >> 4;
    while rest != 0 {
        *out.last_mut().unwrap() |= 0x80;
        out.push((rest & 0x7f) as u8);
        rest >>= 7;
    }
    out
}

/// A delta header's size: little-endian 7-bit groups.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// An offset delta's distance back to its base, in git's encoding.
fn ofs_encoding(mut back: u64) -> Vec<u8> {
    let mut out = vec![(back & 0x7f) as u8];
    back >>= 7;
    while back != 0 {
        back -= 1;
        out.insert(0, 0x80 | (back & 0x7f) as u8);
        back >>= 7;
    }
    out
}

/// One entry of a crafted pack: the object id the index gives it, and how to write it once its
/// offset is known.
struct Entry {
    id: [u8; 20],
    bytes: Box<dyn Fn(u64) -> Vec<u8>>,
}

impl Entry {
    /// An object stored whole.
    fn whole(kind: u8, data: &[u8]) -> Entry {
        let mut bytes = entry_header(kind, data.len() as u64);
        bytes.extend(zlib(data));
        Entry {
            id: object_id(kind, data),
            bytes: Box::new(move |_| bytes.clone()),
        }
    }

    /// An object with the id `id` whose header declares `size` bytes and whose zlib data holds
    /// `data`.
    fn lying(id: [u8; 20], kind: u8, size: u64, data: &[u8]) -> Entry {
        let mut bytes = entry_header(kind, size);
        bytes.extend(zlib(data));
        Entry {
            id,
            bytes: Box::new(move |_| bytes.clone()),
        }
    }

    /// An offset delta with the id `id`, based `back` bytes before its own offset (0: itself),
    /// with `delta` as its (inflated) instructions.
    fn ofs_delta(id: [u8; 20], back: u64, delta: Vec<u8>) -> Entry {
        let z = zlib(&delta);
        Entry {
            id,
            bytes: Box::new(move |_| {
                let mut b = entry_header(OFS_DELTA, delta.len() as u64);
                b.extend(ofs_encoding(back));
                b.extend(&z);
                b
            }),
        }
    }

    /// A reference delta with the id `id` against the object `base`.
    fn ref_delta(id: [u8; 20], base: [u8; 20], delta: Vec<u8>) -> Entry {
        let mut bytes = entry_header(REF_DELTA, delta.len() as u64);
        bytes.extend(base);
        bytes.extend(zlib(&delta));
        Entry {
            id,
            bytes: Box::new(move |_| bytes.clone()),
        }
    }
}

/// Writes `entries` as a version-2 pack with its version-2 index into `repo`'s object
/// directory; returns the pack's path.
fn write_pack(repo: &Path, entries: &[Entry]) -> PathBuf {
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((entries.len() as u32).to_be_bytes());
    let mut objects = Vec::new();
    for e in entries {
        let offset = pack.len() as u64;
        let bytes = (e.bytes)(offset);
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        objects.push((e.id, crc.sum(), offset));
        pack.extend(bytes);
    }
    let checksum = sha1(&pack);
    pack.extend(checksum);
    objects.sort_by_key(|o| o.0);
    let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for b in 0..256usize {
        let n = objects.iter().filter(|o| usize::from(o.0[0]) <= b).count();
        idx.extend((n as u32).to_be_bytes());
    }
    for o in &objects {
        idx.extend(o.0);
    }
    for o in &objects {
        idx.extend(o.1.to_be_bytes());
    }
    for o in &objects {
        idx.extend((o.2 as u32).to_be_bytes());
    }
    idx.extend(checksum);
    let idx_sum = sha1(&idx);
    idx.extend(idx_sum);
    let dir = repo.join(".git/objects/pack");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = dir.join(format!("pack-{}", hex(&checksum)));
    std::fs::write(stem.with_extension("pack"), pack).unwrap();
    std::fs::write(stem.with_extension("idx"), idx).unwrap();
    stem.with_extension("pack")
}

/// A repository (`git init`) whose `main` is `commit`, for objects written by the test.
fn crafted_repo(commit: &[u8; 20]) -> Repo {
    let r = Repo::new();
    std::fs::write(
        r.path().join(".git/refs/heads/main"),
        format!("{}\n", hex(commit)),
    )
    .unwrap();
    r
}

/// With `HOSTILE_KEEP` set, leaves a copy of the repository behind for a look (and says where).
fn keep(r: &Repo, what: &str) {
    keep_dir(r.path(), what);
}

fn keep_dir(path: &Path, what: &str) {
    if std::env::var_os("HOSTILE_KEEP").is_some() {
        let dir = tempfile::Builder::new().tempdir().unwrap();
        copy_dir(path, dir.path());
        eprintln!("{what}: copy in {}", dir.keep().display());
    }
}

/// A blob holding the credential of `seed`, its id, and the credential's key ID.
fn credential_blob(seed: u64) -> (Vec<u8>, [u8; 20], String) {
    let (text, id) = pair(seed);
    let id_bytes = object_id(BLOB, text.as_bytes());
    (text.into_bytes(), id_bytes, id)
}

// ---------------------------------------------------------------------------------------------
// 1. Truncated and bit-flipped packs and pack indexes.

/// A repository with history packed into one pack (with deltas), a credential in it; returns the
/// repository, the credential's key ID and the pack's path.
fn packed_repo() -> (Repo, String, PathBuf) {
    let r = Repo::new();
    let mut big = String::new();
    for i in 0..400 {
        big.push_str(&format!(
            "line {i} of a file that changes a little in each commit\n"
        ));
    }
    r.write("notes.txt", &big);
    r.commit("one");
    let (text, id) = pair(41);
    r.write("config/credentials", &text);
    r.commit("credential");
    for k in 0..3 {
        big.push_str(&format!("appended {k}\n"));
        r.write("notes.txt", &big);
        r.write(&format!("dir{k}/file.txt"), format!("file {k}\n"));
        r.commit(&format!("change {k}"));
    }
    r.git(&["repack", "-adfq", "--depth=10"]);
    r.git(&["prune-packed"]);
    let pack = pack_files(r.path(), "pack").pop().expect("one pack");
    (r, id, pack)
}

/// The files of `.git/objects/pack` with extension `ext`.
fn pack_files(repo: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

/// What an error may name in a repository: its pack and index files and every object id.
fn culprits(r: &Repo, pack: &Path) -> Vec<String> {
    let mut c = vec![pack.file_stem().unwrap().to_string_lossy().into_owned()];
    c.extend(
        r.git(&[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ])
        .lines()
        .map(str::to_string),
    );
    c
}

/// Offsets of the entries of `pack`, from `git verify-pack` (before corrupting it).
fn entry_offsets(r: &Repo, pack: &Path) -> Vec<(String, String, u64, u64)> {
    let idx = pack.with_extension("idx");
    r.git(&["verify-pack", "-v", idx.to_str().unwrap()])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // id type size size-in-pack offset [depth base]
            (f.len() >= 5 && f[0].len() == 40).then(|| {
                (
                    f[0].to_string(),
                    f[1].to_string(),
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                )
            })
        })
        .collect()
}

/// A copy of the repository at `from` (the fixture's files), to corrupt.
fn copy_repo(from: &Path) -> Fixture {
    let fx = Fixture::new();
    copy_dir(from, fx.path());
    fx
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Runs history (and staged, with a staged credential) on a copy of `r` with `corrupt` applied
/// to the copy's file `rel`, and checks the contract.
fn corrupted(
    r: &Repo,
    key_id: &str,
    culprits: &[String],
    rel: &Path,
    what: &str,
    f: &dyn Fn(&mut Vec<u8>),
) -> Vec<String> {
    let fx = copy_repo(r.path());
    let file = fx.path().join(rel);
    let mut bytes = std::fs::read(&file).unwrap();
    f(&mut bytes);
    // Pack files are read-only as git writes them.
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    std::fs::write(&file, bytes).unwrap();
    keep_dir(fx.path(), what);
    let run = history(fx.path());
    let mut problems: Vec<String> = check_found_or_named(&run, key_id, culprits, what)
        .into_iter()
        .collect();
    // A staged change on top of the corrupt repository: its new credential is found, or the
    // run names what it could not read.
    let (text, staged_id) = pair(42);
    fx.write("staged.ini", &text);
    git_in(fx.path(), &["add", "staged.ini"]);
    let run = watched(fx.path(), &["staged", "--format", "json"]);
    problems.extend(check_found_or_named(
        &run,
        &staged_id,
        culprits,
        &format!("staged, {what}"),
    ));
    problems
}

#[test]
fn truncated_packs_are_read_or_named() {
    let (r, id, pack) = packed_repo();
    let names = culprits(&r, &pack);
    let rel = pack.strip_prefix(r.path()).unwrap().to_path_buf();
    let len = std::fs::metadata(&pack).unwrap().len() as usize;
    let offsets = entry_offsets(&r, &pack);
    // Inside the header, inside the entry of the credential's blob, halfway, inside the
    // trailing checksum.
    let cred = offsets
        .iter()
        .find(|o| o.1 == "blob" && o.2 < 200)
        .map_or(len / 3, |o| (o.3 + o.2 / 2) as usize);
    let mut problems = Vec::new();
    for cut in [6, 12, cred, len / 2, len - 10, len - 1] {
        problems.extend(corrupted(
            &r,
            &id,
            &names,
            &rel,
            &format!("pack cut at {cut} of {len}"),
            &|b| b.truncate(cut),
        ));
    }
    no_problems(problems);
}

#[test]
fn bit_flipped_packs_and_indexes_are_read_or_named() {
    let (r, id, pack) = packed_repo();
    let names = culprits(&r, &pack);
    let pack_rel = pack.strip_prefix(r.path()).unwrap().to_path_buf();
    let idx_rel = pack_rel.with_extension("idx");
    let offsets = entry_offsets(&r, &pack);
    let count = offsets.len();
    let flip = |at: usize, mask: u8| move |b: &mut Vec<u8>| b[at] ^= mask;
    // The pack: its signature, version and count; the first entry's type; every entry's type
    // and size byte, and a byte in the middle of each entry's compressed data.
    let mut pack_flips = vec![(0, 0x01), (7, 0x01), (11, 0x04), (12, 0x70)];
    for (_, _, size_in_pack, offset) in &offsets {
        pack_flips.push((*offset as usize, 0x10));
        pack_flips.push(((*offset + size_in_pack / 2) as usize, 0x20));
    }
    let mut problems = Vec::new();
    for (at, mask) in pack_flips {
        let what = format!("pack byte {at} ^ {mask:#x}");
        problems.extend(corrupted(
            &r,
            &id,
            &names,
            &pack_rel,
            &what,
            &flip(at, mask),
        ));
    }
    // The index: magic and version, fanout, an object id, a CRC, each offset (high and low
    // bytes), the pack checksum.
    let ids_at = 8 + 1024;
    let crcs_at = ids_at + 20 * count;
    let offsets_at = crcs_at + 4 * count;
    let mut idx_flips = vec![
        (1, 0x01),
        (7, 0x01),
        (8 + 4 * 0x40 + 3, 0x01),
        (8 + 4 * 0xff + 3, 0x02),
        (ids_at + 20 + 5, 0x01),
        (crcs_at + 1, 0x01),
        (offsets_at + 4 * count + 3, 0x01),
    ];
    for i in 0..count {
        idx_flips.push((offsets_at + 4 * i, 0x80));
        idx_flips.push((offsets_at + 4 * i + 3, 0x04));
    }
    for (at, mask) in idx_flips {
        let what = format!("index byte {at} ^ {mask:#x}");
        problems.extend(corrupted(&r, &id, &names, &idx_rel, &what, &flip(at, mask)));
    }
    no_problems(problems);
}

// ---------------------------------------------------------------------------------------------
// 2. Delta chains that loop; 3. an object declaring 4 GiB.

/// A delta payload of `size` bytes (its instructions are never reached: the chain loops), which
/// zlib shrinks to almost nothing, so that every link of a followed loop would cost `size`.
fn bulky_delta(size: usize) -> Vec<u8> {
    vec![0x90; size]
}

/// Writes the hostile entries of a crafted history, given the real tree's bytes and id.
type MakeEntries = dyn Fn(&[u8], [u8; 20]) -> Vec<Entry>;

/// A repository whose one commit has the root tree `tree_entry` (written by `make`, given the
/// real tree's bytes and id) beside a credential in another commit, so that a scan that
/// survives finds it. Returns the repository, the culprits and the credential's key ID.
fn crafted_history(make: &MakeEntries) -> (Repo, Vec<String>, String) {
    let (cred, cred_id, key_id) = credential_blob(51);
    let safe_tree = tree_bytes(&[("100644", b"credentials", cred_id)]);
    let safe_tree_id = object_id(TREE, &safe_tree);
    let first = commit_bytes(&safe_tree_id, None, "credential");
    let first_id = object_id(COMMIT, &first);
    let hostile_blob = b"hello\n".to_vec();
    let hostile_tree = tree_bytes(&[("100644", b"hello.txt", object_id(BLOB, &hostile_blob))]);
    let hostile_tree_id = object_id(TREE, &hostile_tree);
    let second = commit_bytes(&hostile_tree_id, Some(&first_id), "hostile");
    let second_id = object_id(COMMIT, &second);
    let mut entries = vec![
        Entry::whole(COMMIT, &second),
        Entry::whole(COMMIT, &first),
        Entry::whole(TREE, &safe_tree),
        Entry::whole(BLOB, &cred),
    ];
    entries.extend(make(&hostile_tree, hostile_tree_id));
    // The hostile tree's blob, unless `make` wrote it.
    if !entries
        .iter()
        .any(|e| e.id == object_id(BLOB, &hostile_blob))
    {
        entries.push(Entry::whole(BLOB, &hostile_blob));
    }
    let r = crafted_repo(&second_id);
    let pack = write_pack(r.path(), &entries);
    let mut names = vec![pack.file_stem().unwrap().to_string_lossy().into_owned()];
    names.extend(entries.iter().map(|e| hex(&e.id)));
    (r, names, key_id)
}

#[test]
fn delta_chains_that_loop_are_named() {
    let mut problems = Vec::new();
    let cases: Vec<(&str, Box<MakeEntries>)> = vec![
        (
            "a tree stored as an offset delta against itself",
            Box::new(|_, id| vec![Entry::ofs_delta(id, 0, bulky_delta(1 << 20))]),
        ),
        (
            "a tree stored as a reference delta against itself",
            Box::new(|_, id| vec![Entry::ref_delta(id, id, bulky_delta(1 << 20))]),
        ),
        (
            "a tree and another object as reference deltas of each other",
            Box::new(|_, id| {
                let other = sha1(b"the other end of the loop");
                vec![
                    Entry::ref_delta(id, other, bulky_delta(1 << 20)),
                    Entry::ref_delta(other, id, bulky_delta(1 << 20)),
                ]
            }),
        ),
        (
            "an offset delta and a reference delta based on each other",
            Box::new(|_, id| {
                // The tree as a reference delta against the entry after it, an offset delta
                // based on itself.
                let other = sha1(b"offset half of the loop");
                vec![
                    Entry::ref_delta(id, other, bulky_delta(1 << 20)),
                    Entry::ofs_delta(other, 0, bulky_delta(1 << 20)),
                ]
            }),
        ),
        (
            "a blob stored as an offset delta against itself",
            Box::new(|tree, _| {
                let blob = object_id(BLOB, b"hello\n");
                vec![
                    Entry::whole(TREE, tree),
                    Entry::ofs_delta(blob, 0, bulky_delta(1 << 20)),
                ]
            }),
        ),
    ];
    for (what, make) in &cases {
        let (r, names, key_id) = crafted_history(make.as_ref());
        keep(&r, what);
        problems.extend(check_found_or_named(
            &history(r.path()),
            &key_id,
            &names,
            what,
        ));
    }
    no_problems(problems);
}

#[test]
fn an_object_declaring_4_gib_is_named() {
    let mut problems = Vec::new();
    let cases: Vec<(&str, Box<MakeEntries>)> = vec![
        (
            "a blob whose header says 4 GiB",
            Box::new(|tree, _| {
                vec![
                    Entry::whole(TREE, tree),
                    Entry::lying(object_id(BLOB, b"hello\n"), BLOB, 4 << 30, b"hello\n"),
                ]
            }),
        ),
        (
            "a tree whose header says 4 GiB",
            Box::new(|tree, id| vec![Entry::lying(id, TREE, 4 << 30, tree)]),
        ),
        (
            "a delta whose result is said to be 4 GiB",
            Box::new(|_, id| {
                let base_data = b"the base of a delta";
                let base = Entry::whole(BLOB, base_data);
                // Base size, result size (4 GiB), then one insert of 5 bytes.
                let mut delta = varint(base_data.len() as u64);
                delta.extend(varint(4 << 30));
                delta.extend([5, b'h', b'e', b'l', b'l', b'o']);
                let base_id = base.id;
                vec![base, Entry::ref_delta(id, base_id, delta)]
            }),
        ),
    ];
    for (what, make) in &cases {
        let (r, names, key_id) = crafted_history(make.as_ref());
        keep(&r, what);
        problems.extend(check_found_or_named(
            &history(r.path()),
            &key_id,
            &names,
            what,
        ));
    }
    no_problems(problems);
}

// ---------------------------------------------------------------------------------------------
// 4. Tree entries named `..` or with a `/`, and a path of 10,000 components.

#[test]
fn tree_entries_named_dot_dot_or_with_a_slash_are_scanned_as_stored() {
    let (cred, cred_id, key_id) = credential_blob(61);
    let (cred2, cred2_id, key_id2) = credential_blob(62);
    let inner = tree_bytes(&[("100644", b"credentials", cred2_id)]);
    let inner_id = object_id(TREE, &inner);
    let root = tree_bytes(&[
        ("100644", b"..", cred_id),
        ("40000", b"..", inner_id),
        ("100644", b"a/b", cred_id),
        ("100644", b"/etc/passwd", cred_id),
        ("40000", b".", inner_id),
    ]);
    let root_id = object_id(TREE, &root);
    let commit = commit_bytes(&root_id, None, "hostile names");
    let commit_id = object_id(COMMIT, &commit);
    let r = crafted_repo(&commit_id);
    write_pack(
        r.path(),
        &[
            Entry::whole(COMMIT, &commit),
            Entry::whole(TREE, &root),
            Entry::whole(TREE, &inner),
            Entry::whole(BLOB, &cred),
            Entry::whole(BLOB, &cred2),
        ],
    );
    let run = history(r.path());
    assert_eq!(run.code, 1, "{}", run.said());
    let doc = run.doc().unwrap();
    let mut got: Vec<(String, String)> = findings(&doc)
        .iter()
        .map(|f| (f["key_id"].to_string(), f["path"].to_string()))
        .collect();
    got.sort();
    // Each credential once, at the first path met (tree order as stored), as git stores it.
    let mut want = vec![
        (format!("{key_id:?}"), "\"..\"".to_string()),
        (format!("{key_id2:?}"), "\"../credentials\"".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
    // Nothing was written outside the repository, nothing was read from the file system.
    assert!(!r.path().join("../credentials").exists());
    // A staged change on top of that HEAD.
    let (text, staged_id) = pair(63);
    r.write("staged.ini", &text);
    r.git(&["add", "staged.ini"]);
    let run = watched(r.path(), &["staged", "--format", "json"]);
    let names = vec![hex(&root_id), hex(&commit_id)];
    found_or_named(&run, &staged_id, &names, "staged over hostile names");
}

/// `git fast-import` in `dir`, fed `stream`.
fn fast_import(dir: &Path, stream: &[u8]) {
    let mut child = git_command(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream).unwrap();
    assert!(child.wait().unwrap().success(), "fast-import failed");
}

#[test]
fn a_path_of_ten_thousand_components_is_scanned_or_named() {
    let r = Repo::new();
    let (text, key_id) = pair(71);
    let deep = vec!["d"; 10_000].join("/") + "/credentials";
    let stream = format!(
        "commit refs/heads/main\ncommitter T <t@example.com> 1780000000 +0000\ndata 4\ndeep\n\
         M 100644 inline {deep}\ndata {}\n{text}\n",
        text.len()
    );
    fast_import(r.path(), stream.as_bytes());
    let head = r.head();
    let root = r.git(&["rev-parse", "HEAD^{tree}"]).trim().to_string();
    let names = vec![head.clone(), root];
    let run = history(r.path());
    eprintln!("deep history: {:.2} s, {} KiB", run.secs, run.peak_kb);
    found_or_named(&run, &key_id, &names, "history, 10,000 components");
    if run.code == 1 {
        let doc = run.doc().unwrap();
        assert_eq!(findings(&doc)[0]["path"], deep.as_str());
    }
    // Paths as deep in the index of a repository with an ordinary HEAD.
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("init");
    let (text2, key_id2) = pair(72);
    let blob = {
        let mut c = git_command(r.path())
            .args(["hash-object", "-w", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(text2.as_bytes()).unwrap();
        String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()
    };
    let staged_path = vec!["e"; 10_000].join("/") + "/staged.ini";
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{},{staged_path}", blob.trim()),
    ]);
    let run = watched(r.path(), &["staged", "--format", "json"]);
    eprintln!("deep staged: {:.2} s, {} KiB", run.secs, run.peak_kb);
    let names = vec!["e/e/e/e/e/e/e/e".to_string()];
    found_or_named(&run, &key_id2, &names, "staged, 10,000 components");
    // 1,000 levels: scanned.
    r.git(&["rm", "-q", "--cached", &staged_path]);
    let staged_path = vec!["f"; 1_000].join("/") + "/staged.ini";
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{},{staged_path}", blob.trim()),
    ]);
    let run = watched(r.path(), &["staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.said());
    let doc = run.doc().unwrap();
    assert_eq!(findings(&doc)[0]["path"], staged_path.as_str());
}

// ---------------------------------------------------------------------------------------------
// 5. 100,000 refs; 6. a long linear history.

/// A fast-import stream of a linear history of `n` commits on `main` sharing one tree (a
/// credential added by the first), each marked with its number.
fn linear_history(n: u32, text: &str) -> Vec<u8> {
    let mut s = String::with_capacity(n as usize * 100);
    for i in 1..=n {
        s.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter T <t@example.com> {} +0000\ndata 0\n",
            1_780_000_000 + i
        ));
        if i == 1 {
            s.push_str(&format!(
                "M 100644 inline config/credentials\ndata {}\n{text}\n",
                text.len()
            ));
        }
        s.push('\n');
    }
    s.into_bytes()
}

#[test]
fn a_hundred_thousand_refs_are_walked() {
    let r = Repo::new();
    let (text, key_id) = pair(81);
    fast_import(r.path(), &linear_history(1000, &text));
    let commits: Vec<String> = r
        .git(&["rev-list", "main"])
        .lines()
        .map(str::to_string)
        .collect();
    // 100,000 refs in packed-refs: branches and tags on every commit.
    let mut packed = String::from("# pack-refs with: peeled fully-peeled sorted \n");
    let mut refs: Vec<String> = (0..100_000)
        .map(|i| {
            let kind = if i % 2 == 0 { "heads/b" } else { "tags/t" };
            format!("{} refs/{kind}{i:06}\n", commits[i % commits.len()])
        })
        .collect();
    refs.sort_by(|a, b| a[41..].cmp(&b[41..]));
    packed.extend(refs);
    std::fs::write(r.path().join(".git/packed-refs"), packed).unwrap();
    let run = history(r.path());
    eprintln!("100,000 refs: {:.2} s, {} KiB", run.secs, run.peak_kb);
    assert_eq!(run.code, 1, "{}", run.said());
    let doc = run.doc().unwrap();
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(findings(&doc)[0]["key_id"], key_id.as_str());
    assert_eq!(doc["stats"]["commits_scanned"], 1000);
}

/// A linear history of `n` commits: every commit walked, the credential found at the first.
fn long_history(n: u32) {
    let r = Repo::new();
    let (text, key_id) = pair(91);
    let t = Instant::now();
    fast_import(r.path(), &linear_history(n, &text));
    eprintln!(
        "fast-import of {n} commits: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let run = history(r.path());
    eprintln!(
        "history of {n} commits: {:.2} s, {} KiB",
        run.secs, run.peak_kb
    );
    assert_eq!(run.code, 1, "{}", run.said());
    let doc = run.doc().unwrap();
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(findings(&doc)[0]["key_id"], key_id.as_str());
    assert_eq!(doc["stats"]["commits_scanned"], u64::from(n));
}

#[test]
fn a_linear_history_of_a_hundred_thousand_commits() {
    long_history(100_000);
}

/// The million-commit chain: 13.5 s and 347 MB with the release build (README, "Resource
/// bounds"), and fast-import takes 13 s more: too slow for every `cargo test`, so run it with
/// `cargo test --test it -- --ignored million`.
#[test]
#[ignore = "a million commits take minutes in a debug build; run with --ignored"]
fn a_linear_history_of_a_million_commits() {
    long_history(1_000_000);
}
