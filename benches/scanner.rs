//! Scanner throughput over clean source-like text and over text dense with near-miss candidates.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use keyfence::synthetic::{key_id, secret, Rng};
use keyfence::{AwsSettings, RuleSet, ScanEngine};

const SIZE: usize = 8 << 20;

/// Source-like text: identifiers, keywords, strings and numbers, no candidates.
fn clean_text(size: usize) -> Vec<u8> {
    let words = [
        "fn", "let", "mut", "self", "return", "struct", "impl", "match", "config", "value",
        "buffer", "index", "length", "result", "error", "String", "Vec", "Option", "request",
        "response", "handler", "region", "bucket", "upload", "timeout", "retry", "client",
        "session", "path",
    ];
    let mut rng = Rng::new(1);
    let mut out = Vec::with_capacity(size + 128);
    while out.len() < size {
        let indent = (rng.next_u64() % 4) as usize * 4;
        out.extend(std::iter::repeat_n(b' ', indent));
        for _ in 0..(3 + rng.next_u64() % 8) {
            out.extend_from_slice(words[(rng.next_u64() % words.len() as u64) as usize].as_bytes());
            out.push(if rng.next_u64() % 5 == 0 { b'(' } else { b' ' });
        }
        out.extend_from_slice(format!("\"{}\";\n", rng.next_u64() % 100_000).as_bytes());
    }
    out.truncate(size);
    out
}

/// Text where every few lines hold something that looks like a credential and is not: identifier
/// key IDs, documentation examples, glued prefixes, hex digests, `secret` keywords with references.
fn near_miss_text(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 256);
    let mut i = 0u64;
    while out.len() < size {
        let id = key_id("AKIA", i);
        let line = match i % 6 {
            0 => format!("user = \"AIDA{}\"\n", &id[4..]),
            1 => "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n".to_string(),
            2 => format!("token = X{id}Z\n"),
            3 => format!("commit {:040x}\n", u128::from(i) * 0x9E37_79B9_7F4A_7C15),
            4 => "secret = os.environ['AWS_SECRET_ACCESS_KEY']\n".to_string(),
            _ => format!("hash = \"{}{}\"\n", secret(i), secret(i + 1)),
        };
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"    let value = compute(request, timeout);\n");
        i += 1;
    }
    out.truncate(size);
    out
}

fn bench_scanner(c: &mut Criterion) {
    let engine = ScanEngine::new(RuleSet::builtin().unwrap(), AwsSettings::default());
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    for (name, data) in [
        ("clean", clean_text(SIZE)),
        ("near-miss", near_miss_text(SIZE)),
    ] {
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, data| {
            b.iter(|| black_box(engine.count(black_box(data))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_scanner);
criterion_main!(benches);
