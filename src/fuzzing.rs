//! Byte-level entry points for the cargo-fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by
//! default). Each runs one stage of keyfence on arbitrary input the way a real run would and
//! returns something small for a target to check. Not an API: hidden, and free to change with
//! the targets.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::config::EffectiveConfig;
use crate::report::{write_report, Format, ReportOptions, ScanReport};
use crate::scan::ScanEngine;
use crate::source::git::odb_fuzzing as odb;
use crate::source::{Blob, BlobScanner, Origin, Scanned, BINARY_SNIFF_LEN};
use crate::suppress::{finish_report, Baseline, Suppressor, BASELINE_FILE};

/// The built-in configuration and its engine, compiled once per process.
fn builtin() -> &'static (EffectiveConfig, ScanEngine) {
    static BUILTIN: OnceLock<(EffectiveConfig, ScanEngine)> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let config = EffectiveConfig::builtin(Path::new(".")).expect("built-in rules compile");
        let engine = ScanEngine::new(config.rules.clone(), config.aws);
        (config, engine)
    })
}

/// Scans `data` with `engine` and `config`'s allowlist as `keyfence scan -` scans a blob from
/// standard input (binary check, engine, inline and allowlist suppression, the report finished
/// and written in every format); returns the findings left.
fn scan_with(
    config: &EffectiveConfig,
    engine: &ScanEngine,
    data: &[u8],
) -> Vec<(String, Option<String>)> {
    let suppressor = Suppressor::new(config.allowlist.clone(), None)
        .with_own_files([PathBuf::from(BASELINE_FILE)]);
    let mut scanner = BlobScanner::new(engine, &suppressor, false);
    let findings = match scanner.scan(Blob {
        bytes: data,
        origin: Origin::Stdin,
    }) {
        Scanned::Text(found) => found,
        Scanned::Binary => Vec::new(),
    };
    let mut report = ScanReport {
        findings,
        stats: scanner.stats.clone(),
        ..ScanReport::default()
    };
    finish_report(&mut report, engine.rules(), &suppressor, None, true);
    for format in [
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Sarif,
        Format::Github,
        Format::Html,
        Format::Markdown,
        Format::Gitlab,
    ] {
        write_report(
            &report,
            engine.rules(),
            format,
            ReportOptions::default(),
            &mut io::sink(),
        )
        .expect("writing to a sink");
    }
    report
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.key_id.clone()))
        .collect()
}

/// One blob through the whole per-blob pipeline with the built-in rules: the findings reported,
/// as (rule id, key ID).
pub fn scan_bytes(data: &[u8]) -> Vec<(String, Option<String>)> {
    let (config, engine) = builtin();
    scan_with(config, engine, data)
}

/// Parses and compiles `text` as a `.keyfence.toml`; when it compiles, scans the text itself with
/// the engine it makes, and checks that the effective configuration keyfence prints
/// (`keyfence config`) compiles again. The number of rules in effect, or the error's message.
pub fn parse_config(text: &str) -> Result<usize, String> {
    let root = Path::new(".");
    let config =
        EffectiveConfig::from_toml(text, ".keyfence.toml", root).map_err(|e| e.to_string())?;
    let engine = ScanEngine::new(config.rules.clone(), config.aws);
    scan_with(&config, &engine, text.as_bytes());
    let printed = config.to_toml();
    let again = EffectiveConfig::from_toml(&printed, "printed.toml", root)
        .unwrap_or_else(|e| panic!("the printed configuration does not load: {e}\n{printed}"));
    assert_eq!(
        again.rules.rules.len(),
        config.rules.rules.len(),
        "{printed}"
    );
    Ok(config.rules.rules.len())
}

/// Parses `text` as a `.keyfence-baseline.json`.
pub fn parse_baseline(text: &str) -> Result<(), String> {
    Baseline::from_json(text, BASELINE_FILE)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Parses `data` as a `.git/index` and visits what it holds (every entry's path, every node of
/// the cache-tree): the number of entries.
pub fn parse_index(data: &[u8]) -> Result<usize, String> {
    let index = odb::IndexFile::parse(
        odb::IndexBytes::Owned(data.to_vec()),
        Path::new(".git/index"),
    )
    .map_err(|e| e.to_string())?;
    for e in &index.entries {
        let _path = &index.paths[e.path.clone()];
    }
    let mut pending: Vec<&odb::CacheTree> = index.tree.iter().collect();
    while let Some(node) = pending.pop() {
        pending.extend(node.children.values());
    }
    Ok(index.entries.len())
}

/// Parses `data` as a pack index, lists it in pack order and looks up every id it lists: the
/// number of objects.
pub fn parse_idx(data: &[u8]) -> Result<usize, String> {
    let idx = odb::PackIndex::parse(
        data.to_vec(),
        PathBuf::from("pack-fuzz.idx"),
        PathBuf::from("pack-fuzz.pack"),
    )
    .map_err(|e| e.to_string())?;
    let order = idx.in_pack_order().map_err(|e| e.to_string())?;
    for &(_, i) in &order {
        let oid = idx.oid_at(i);
        let _ = idx.lookup(oid.as_bytes());
    }
    Ok(order.len())
}

/// Parses the pack entry header at the start of `data`, an entry at `offset` in its pack:
/// (inflated size, header length).
pub fn parse_entry(data: &[u8], offset: u64) -> Result<(u64, usize), String> {
    let h = odb::EntryHeader::parse(data, Path::new("pack-fuzz.pack"), offset)
        .map_err(|e| e.to_string())?;
    assert!(h.len <= data.len(), "a header longer than its bytes");
    Ok((h.size, h.len))
}

/// Applies the git delta `delta` to `base`.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, String> {
    odb::apply_delta(base, delta).map_err(|e| e.to_string())
}

/// A version-2 pack index of `objects` (ids in sorted order, with their offsets), as git writes
/// it.
pub fn build_idx(objects: &[([u8; 20], u64)]) -> Vec<u8> {
    odb::build_idx(objects)
}

/// Reads every object of the pack `pack` described by the index `idx` as a whole-history scan
/// does: the pack listed in offset order and typed from its headers, each entry peeked at and
/// read with its delta chain resolved, then each read again by id. The two files are written to
/// a directory of this process's own under the temporary directory (the readers work on files).
/// The number of objects read; errors are what the readers are for, and ignored.
pub fn read_pack(idx: &[u8], pack: &[u8]) -> io::Result<usize> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let objects = DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("keyfence-fuzz-{}/objects", std::process::id()))
    });
    let dir = objects.join("pack");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("pack-fuzz.idx"), idx)?;
    std::fs::write(dir.join("pack-fuzz.pack"), pack)?;
    let order = odb::PackOrder::load(objects);
    let packs = order.packs();
    let mut read = 0;
    for p in &packs {
        let Ok(mut reader) = odb::PackReader::open(p) else {
            continue;
        };
        for k in 0..p.entries.len() {
            let _ = reader.peek(k, BINARY_SNIFF_LEN);
            read += usize::from(reader.read(k).is_ok());
        }
    }
    let mut by_id = odb::PackObjects::new(&order, &packs);
    for e in packs.iter().flat_map(|p| &p.entries) {
        let _ = by_id.read(e.oid);
    }
    Ok(read)
}
