use std::path::Path;

use crate::report::{Decoding, Finding};
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::source::{Blob, BlobScanner, Origin, Scanned};
use crate::suppress::Suppressor;
use crate::validate::synthetic::{base64_encode, expand_template, key_id, secret};
use crate::validate::AwsSettings;

fn engine() -> ScanEngine {
    ScanEngine::new(RuleSet::builtin().unwrap(), AwsSettings::default())
}

/// One blob through the scanner as every source scans it (binary blobs skipped).
fn scan(data: &[u8]) -> Vec<Finding> {
    let engine = engine();
    let suppressor = Suppressor::default();
    let mut scanner = BlobScanner::new(&engine, &suppressor, false);
    match scanner.scan(Blob {
        bytes: data,
        origin: Origin::File(Path::new("f")),
    }) {
        Scanned::Text(found) => found,
        Scanned::Binary => panic!("taken for binary"),
    }
}

fn utf16(s: &str, le: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

fn utf32(s: &str, le: bool) -> Vec<u8> {
    s.chars()
        .flat_map(|c| {
            let c = u32::from(c);
            if le {
                c.to_le_bytes()
            } else {
                c.to_be_bytes()
            }
        })
        .collect()
}

/// A credentials file whose key ID sits on line 3 after non-ASCII text: its column counts
/// characters (`é` and the emoji are one each: column 26), the same in every encoding.
fn credentials_text() -> String {
    expand_template(
        "# réglages 😀\r\n[default]\r\n  é😀 aws_access_key_id = ${keyid:AKIA:41}\r\n\
         aws_secret_access_key = ${secret:41}\r\n",
    )
}

#[test]
fn utf16_and_utf32_are_found_at_the_original_line_and_column() {
    let text = credentials_text();
    let plain = scan(text.as_bytes());
    assert_eq!(plain.len(), 1);
    let cases: [(Vec<u8>, Decoding); 6] = [
        (
            [vec![0xFF, 0xFE], utf16(&text, true)].concat(),
            Decoding::Utf16Le,
        ),
        (utf16(&text, true), Decoding::Utf16Le),
        (
            [vec![0xFE, 0xFF], utf16(&text, false)].concat(),
            Decoding::Utf16Be,
        ),
        (utf16(&text, false), Decoding::Utf16Be),
        (
            [vec![0xFF, 0xFE, 0, 0], utf32(&text, true)].concat(),
            Decoding::Utf32Le,
        ),
        (utf32(&text, false), Decoding::Utf32Be),
    ];
    for (data, decoding) in cases {
        let found = scan(&data);
        assert_eq!(found.len(), 1, "{decoding:?}");
        let f = &found[0];
        assert_eq!((f.line, f.column, f.end_line), (3, 26, 4), "{decoding:?}");
        assert_eq!(f.rule_id, "aws-access-key");
        assert_eq!(f.decoded, vec![decoding]);
        // The same credential, the same fingerprint: baselines keep working.
        assert_eq!(f.fingerprint, plain[0].fingerprint);
    }
}

#[test]
fn inline_directives_work_in_transcoded_text() {
    let text = expand_template("id = ${keyid:AKIA:42} # keyfence:allow\n");
    assert!(scan(&utf16(&text, true)).is_empty());
    let text = expand_template("id = ${keyid:AKIA:42}\n");
    assert_eq!(scan(&utf16(&text, true)).len(), 1);
}

fn manifest(id: &str, sk: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ntype: Opaque\ndata:\n  \
         AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n",
        base64_encode(id.as_bytes()),
        base64_encode(sk.as_bytes())
    )
}

/// Two base64 values of one manifest, decoded in place, pair up into one finding that points
/// at the encoded key ID and says it was decoded.
#[test]
fn a_kubernetes_secret_pairs_its_encoded_values() {
    let (id, sk) = (key_id("AKIA", 43), secret(43));
    let found = scan(manifest(&id, &sk).as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.rule_id, "aws-access-key");
    assert_eq!(f.key_id.as_deref(), Some(id.as_str()));
    assert_eq!(f.decoded, vec![Decoding::Base64]);
    assert_eq!((f.line, f.column, f.end_line), (7, 22, 8));
    let plain = scan(format!("id = {id}\nsecret = {sk}\n").as_bytes());
    assert_eq!(f.fingerprint, plain[0].fingerprint);
}

fn docker_config(id: &str, sk: &str) -> String {
    let auth = base64_encode(format!("{id}:{sk}").as_bytes());
    format!(
        "{{\"auths\":{{\"registry.example.com\":{{\"username\":\"robot\",\"auth\":\"{auth}\"}}}}}}"
    )
}

/// A `.dockerconfigjson` whose `auth` is base64 of `KEY_ID:SECRET`, as a file and inside a
/// Kubernetes Secret (base64 of base64: two levels).
#[test]
fn docker_configs_are_decoded_one_and_two_levels_deep() {
    let (id, sk) = (key_id("AKIA", 44), secret(44));
    let json = docker_config(&id, &sk);
    let found = scan(json.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].decoded, vec![Decoding::Base64]);
    assert_eq!(found[0].rule_id, "aws-access-key");
    let auth_at = json.find("\"auth\":\"").unwrap() + 9;
    assert_eq!((found[0].line, found[0].column), (1, auth_at));

    let secret_manifest = format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  \
         .dockerconfigjson: {}\n",
        base64_encode(json.as_bytes())
    );
    let found = scan(secret_manifest.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.decoded, vec![Decoding::Base64, Decoding::Base64]);
    assert_eq!((f.line, f.column), (5, 22));
    assert_eq!(f.key_id.as_deref(), Some(id.as_str()));
    let plain = scan(format!("{id}:{sk}\n").as_bytes());
    assert_eq!(f.fingerprint, plain[0].fingerprint);
}

/// A base64 JSON document holding a key pair, at every alignment of the key ID in it, in both
/// alphabets; and the same pair in hex.
#[test]
fn encoded_json_with_a_key_pair_is_found() {
    for pad in 0..3 {
        let (id, sk) = (key_id("ASIA", 45 + pad), secret(45 + pad));
        let doc = format!(
            "{{\"Version\":1,{}\"AccessKeyId\":\"{id}\",\"SecretAccessKey\":\"{sk}\"}}",
            " ".repeat(pad as usize)
        );
        let encoded = base64_encode(doc.as_bytes());
        for value in [encoded.clone(), encoded.replace('+', "-").replace('/', "_")] {
            let found = scan(format!("creds: {value}\n").as_bytes());
            assert_eq!(found.len(), 1, "pad {pad}: {found:?}");
            assert_eq!(found[0].key_id.as_deref(), Some(id.as_str()));
            assert!(found[0].secret.is_some());
            assert_eq!(found[0].decoded, vec![Decoding::Base64]);
            assert_eq!((found[0].line, found[0].column), (1, 8));
        }
    }
    let (id, sk) = (key_id("AKIA", 48), secret(48));
    let hex: String = format!("aws_access_key_id={id}\naws_secret_access_key={sk}\n")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let found = scan(format!("blob = \"{hex}\"\n").as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].decoded, vec![Decoding::Hex]);
    assert_eq!(found[0].column, 9);
}

/// A base64 value inside UTF-16 text: both decodings are listed, the column in characters.
#[test]
fn encoded_values_in_transcoded_text() {
    let (id, sk) = (key_id("AKIA", 49), secret(49));
    let text = format!("é {}\n", docker_config(&id, &sk));
    let found = scan(&utf16(&text, true));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].decoded, vec![Decoding::Utf16Le, Decoding::Base64]);
    let auth_at = text.chars().count()
        - text[text.find("\"auth\":\"").unwrap() + 8..]
            .chars()
            .count();
    assert_eq!(found[0].column, auth_at + 1);
}

/// Random base64 (an image, a certificate, a bundle) gives nothing, even where it happens to
/// hold the encoded forms the prefilter looks for.
#[test]
fn random_base64_gives_nothing() {
    let mut blob = String::new();
    for seed in 0..64 {
        blob.push_str(&expand_template(&format!("${{b64:4096:{seed}}}")));
        blob.push('\n');
    }
    // Every encoded form, planted in random base64.
    blob.push_str(&expand_template(
        "${b64:64:1}QUtJQ${b64:64:2}FLSU${b64:64:3}BS0lBeyJ${b64:40:4}\n",
    ));
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    blob.push_str(&format!(
        "img: \"data:image/png;base64,{}\"\n",
        base64_encode(&bytes)
    ));
    assert!(scan(blob.as_bytes()).is_empty());
}

/// Decoding is bounded: a long run is decoded once however many hits it holds, and the
/// decoder's work stays linear.
#[test]
fn many_hits_in_one_run_decode_it_once() {
    let unit = base64_encode(b"AKIA AKIA AKIA ");
    let run = unit.repeat(2000);
    let data = format!("v: {run}\n");
    let engine = engine();
    let d = engine.detect(data.as_bytes(), 0..data.len());
    assert!(d.encoded.len() > 1000);
    let runs = super::encoded::runs_at(data.as_bytes(), &d.encoded, &(0..data.len()));
    assert_eq!(runs.len(), 1);
}

/// A run longer than [`super::encoded::MAX_RUN`] full of hits is refused after one walk: the
/// work doubles with the input, never more.
#[test]
fn long_runs_full_of_hits_cost_linear_work() {
    let engine = engine();
    let work = |n: usize| {
        let data = format!("v: {}\n", "QUtJQUtJ".repeat(n));
        let d = engine.detect(data.as_bytes(), 0..data.len());
        let before = crate::scan::work::total();
        let runs = super::encoded::runs_at(data.as_bytes(), &d.encoded, &(0..data.len()));
        assert!(runs.is_empty());
        crate::scan::work::total() - before
    };
    let (one, two) = (work(300_000), work(600_000));
    assert!(two <= 2 * one + 64, "{one} then {two}");
}

/// A secret written with JSON `\u002B`/`\u002F` escapes (.NET's serializer escapes `+`) or
/// percent-encoded pairs with its key ID, with the fingerprint of the plain secret.
#[test]
fn escaped_secrets_are_decoded() {
    let seed = (50..)
        .find(|&s| secret(s).contains('+') && secret(s).contains('/'))
        .unwrap();
    let (id, sk) = (key_id("AKIA", seed), secret(seed));
    let plain =
        scan(format!("{{\"AccessKeyId\": \"{id}\", \"SecretAccessKey\": \"{sk}\"}}").as_bytes());
    assert_eq!(plain.len(), 1);
    let escapes = [
        sk.replace('+', "\\u002B").replace('/', "\\u002f"),
        sk.replace('+', "%2B").replace('/', "%2F"),
    ];
    for escaped in escapes {
        let json = format!("{{\"AccessKeyId\": \"{id}\", \"SecretAccessKey\": \"{escaped}\"}}");
        let found = scan(json.as_bytes());
        assert_eq!(found.len(), 1, "{json}");
        assert_eq!(found[0].rule_id, "aws-access-key");
        assert_eq!(found[0].secret.as_ref().unwrap().expose(), sk);
        assert_eq!(found[0].fingerprint, plain[0].fingerprint);
    }
}
