//! Credentials behind encodings (issue 11): UTF-16 and UTF-32 files in every mode (directory,
//! standard input, the pre-commit hook, history, packed or loose), and base64 values
//! (a Kubernetes Secret, a `.dockerconfigjson`) found with how they were decoded.

use std::io::Write;
use std::process::Stdio;

use keyfence::synthetic::base64_encode;

use crate::common::*;
use crate::gitrepo::*;

/// A credentials file whose key ID starts on line 3 at character column 24 (after `é`, one
/// character of two UTF-8 bytes, and an emoji: one character, a surrogate pair in UTF-16).
fn credentials(seed: u64) -> (String, String) {
    let id = key_id("AKIA", seed);
    let text = format!(
        "# café 😀\n[default]\né😀 aws_access_key_id = {id}\naws_secret_access_key = {}\n",
        secret(seed)
    );
    (text, id)
}

const LINE: u64 = 3;
const COLUMN: u64 = 24;

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in s.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn utf32le(s: &str) -> Vec<u8> {
    s.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect()
}

/// The encoded files of one test, each with its own credential (git modes report a credential
/// once), or all with the same one (`same`): name, bytes, the `decoded` a finding reports.
fn encoded_files(seed: u64, same: bool) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let text = |i: u64| credentials(if same { seed } else { seed * 10 + i }).0;
    vec![
        ("utf16le-bom.ini", utf16(&text(0), true, true), "utf-16le"),
        ("utf16le.ini", utf16(&text(1), true, false), "utf-16le"),
        ("utf16be.ini", utf16(&text(2), false, true), "utf-16be"),
        ("utf32le.ini", utf32le(&text(3)), "utf-32le"),
    ]
}

/// Each finding of `doc` as `(path, line, column, decoded)`.
fn placed(doc: &serde_json::Value) -> Vec<(String, u64, u64, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            let decoded: Vec<&str> = f["decoded"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                decoded.join(","),
            )
        })
        .collect()
}

fn expected(files: &[(&str, Vec<u8>, &str)]) -> Vec<(String, u64, u64, String)> {
    let mut out: Vec<_> = files
        .iter()
        .map(|(name, _, how)| (name.to_string(), LINE, COLUMN, how.to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn utf16_and_utf32_files_are_scanned_in_a_directory() {
    let fx = Fixture::new();
    let files = encoded_files(60, true);
    for (name, bytes, _) in &files {
        fx.write(name, bytes);
    }
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_report(&out.stdout);
    assert_eq!(placed(&doc), expected(&files));
    assert_eq!(doc["stats"]["binary_skipped"], 0);
    // One credential: one fingerprint in every encoding, and the plain file's.
    fx.write("plain.ini", credentials(60).0);
    let doc = json_report(
        &fx.keyfence()
            .args(["scan", ".", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    let mut fps: Vec<String> = findings(&doc)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps.len(), 5);
    fps.dedup();
    assert_eq!(fps.len(), 1);
}

#[test]
fn utf16_on_standard_input_is_scanned() {
    let fx = Fixture::new();
    for (_, bytes, how) in encoded_files(61, true) {
        let mut child = fx
            .keyfence()
            .args(["scan", "-", "--format", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{how}");
        let doc = json_report(&out.stdout);
        assert_eq!(
            placed(&doc),
            [("<stdin>".to_string(), LINE, COLUMN, how.to_string())]
        );
        // Bytes as stored, not as transcoded.
        assert_eq!(doc["stats"]["bytes_scanned"], bytes.len());
    }
}

/// The installed pre-commit hook stops a commit of a UTF-16 file (PowerShell's `>`), and
/// `keyfence staged` places it.
#[test]
fn the_pre_commit_hook_blocks_a_utf16_credential() {
    let r = Repo::new();
    r.write("README.md", "# demo\n");
    r.commit("initial");
    let out = r.keyfence(&["install"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let files = encoded_files(62, false);
    for (name, bytes, _) in &files {
        r.write(name, bytes);
    }
    r.git(&["add", "-A"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(placed(&doc), expected(&files));
    let before = r.head();
    let commit = r.git_output(&["commit", "-q", "-m", "powershell output"]);
    assert!(!commit.status.success(), "the commit went through");
    assert!(
        String::from_utf8_lossy(&commit.stderr).contains("utf16le-bom.ini"),
        "{}",
        String::from_utf8_lossy(&commit.stderr)
    );
    assert_eq!(r.head(), before);
}

/// History finds UTF-16 and UTF-32 blobs, loose and packed (the pack-order prescan).
#[test]
fn history_finds_utf16_blobs_loose_and_packed() {
    let r = Repo::new();
    r.write("README.md", "# demo\n");
    let initial = r.commit("initial");
    let mut files = encoded_files(63, false);
    // A large blob (stored whole in the pack above the size where the prescan first peeks at
    // its head to skip binary blobs): random text, UTF-16 without a BOM, the credential last.
    let mut big = String::new();
    for seed in 0..3000 {
        big.push_str(&expand_template(&format!("${{b64:70:{seed}}}\n")));
    }
    let big_line = big.lines().count() as u64;
    big.push_str(&credentials(639).0);
    r.write("big.ini", utf16(&big, true, false));
    for (name, bytes, _) in &files {
        r.write(name, bytes);
    }
    let commit = r.commit("encoded credentials");
    for (name, _, _) in &files {
        r.git(&["rm", "-q", name]);
    }
    r.git(&["rm", "-q", "big.ini"]);
    r.commit("removed");
    let mut files: Vec<_> = files
        .drain(..)
        .map(|(name, _, how)| (name.to_string(), LINE, COLUMN, how.to_string()))
        .collect();
    files.push(("big.ini".into(), big_line + LINE, COLUMN, "utf-16le".into()));
    files.sort();
    for packed in [false, true] {
        if packed {
            r.git(&["gc", "-q", "--aggressive"]);
        }
        let (code, doc, _) = r.keyfence_json(&["history"]);
        assert_eq!(code, Some(1), "packed: {packed}");
        assert_eq!(placed(&doc), files, "packed: {packed}");
        assert!(findings(&doc)
            .iter()
            .all(|f| f["commit"] == commit.as_str()));
        let range = format!("{initial}..{commit}");
        let (code, doc, _) = r.keyfence_json(&["history", &range]);
        assert_eq!(code, Some(1), "range, packed: {packed}");
        assert_eq!(placed(&doc), files, "range, packed: {packed}");
    }
}

fn manifest(seed: u64) -> (String, String) {
    let id = key_id("AKIA", seed);
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ndata:\n  AWS_ACCESS_KEY_ID: {}\n  \
         AWS_SECRET_ACCESS_KEY: {}\n",
        base64_encode(id.as_bytes()),
        base64_encode(secret(seed).as_bytes())
    );
    (text, id)
}

fn docker_secret(seed: u64) -> (String, String) {
    let id = key_id("ASIA", seed);
    let auth = base64_encode(format!("{id}:{}", secret(seed)).as_bytes());
    let config = format!("{{\"auths\":{{\"registry.example.com\":{{\"auth\":\"{auth}\"}}}}}}");
    let text = format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  \
         .dockerconfigjson: {}\n",
        base64_encode(config.as_bytes())
    );
    (text, id)
}

#[test]
fn encoded_values_are_found_with_how_they_were_decoded() {
    let fx = Fixture::new();
    let (k8s, k8s_id) = manifest(64);
    let (docker, docker_id) = docker_secret(65);
    fx.write("k8s/aws-secret.yaml", &k8s);
    fx.write("k8s/registry.yaml", &docker);
    fx.write(
        "plain.env",
        format!(
            "AWS_ACCESS_KEY_ID={k8s_id}\nAWS_SECRET_ACCESS_KEY={}\n",
            secret(64)
        ),
    );
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_report(&out.stdout);
    let got = placed(&doc);
    assert_eq!(
        got,
        [
            ("k8s/aws-secret.yaml".into(), 6, 22, "base64".into()),
            ("k8s/registry.yaml".into(), 5, 22, "base64,base64".into()),
            ("plain.env".into(), 1, 19, String::new()),
        ]
    );
    let f = findings(&doc);
    assert_eq!(f[0]["key_id"], k8s_id.as_str());
    assert_eq!(f[0]["rule_id"], "aws-access-key");
    assert_eq!(f[1]["key_id"], docker_id.as_str());
    // Decoded or not, one credential has one fingerprint.
    assert_eq!(f[0]["fingerprint"], f[2]["fingerprint"]);

    let text = fx.keyfence().args(["scan", "k8s"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("decoded  base64, base64"), "{text}");
    let sarif = fx
        .keyfence()
        .args(["scan", "k8s", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = json_report(&sarif.stdout);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["properties"]["decoded"] == serde_json::json!(["base64"])));
}

/// Random base64 the size of images and certificates, and base64 JSON without credentials,
/// give nothing.
#[test]
fn base64_noise_gives_nothing() {
    let fx = Fixture::new();
    for seed in 0..8 {
        let blob = expand_template(&format!("${{b64:65536:{seed}}}"));
        fx.write(
            &format!("img{seed}.txt"),
            format!("data:image/png;base64,{blob}\n"),
        );
    }
    let cert: String = expand_template("${b64:1400:9}")
        .as_bytes()
        .chunks(64)
        .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
        .collect();
    fx.write(
        "cert.pem",
        format!("-----BEGIN CERTIFICATE-----\n{cert}-----END CERTIFICATE-----\n"),
    );
    let doc = base64_encode(br#"{"version":3,"sources":["a.js"],"mappings":"AAAA,SAASA"}"#);
    fx.write(
        "bundle.min.js",
        format!("var a=1;\n//# sourceMappingURL=data:application/json;base64,{doc}\n"),
    );
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Allowlists apply to transcoded and decoded credentials as to plain ones: a key ID allowlisted
/// in `.keyfence.toml` is not reported from a UTF-16 file nor from a base64 value.
#[test]
fn allowlists_apply_to_transcoded_and_decoded_credentials() {
    let fx = Fixture::new();
    let (text, id) = credentials(66);
    fx.write("utf16.ini", utf16(&text, true, true));
    fx.write("secret.yaml", manifest(66).0);
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(findings(&json_report(&out.stdout)).len(), 2);
    fx.write(
        ".keyfence.toml",
        format!("[allowlist]\nkey_ids = [\"{id}\"]\n"),
    );
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The two findings, and the key ID in the configuration itself.
    assert_eq!(json_report(&out.stdout)["stats"]["suppressed"], 3);
}

/// A UTF-16 stream longer than a chunk is transcoded as it is read: a credential on a line that
/// began in the previous chunk gets the line and the character column of the original.
#[test]
fn a_utf16_stream_longer_than_a_chunk_keeps_lines_and_columns() {
    let fx = Fixture::new();
    let filler = "é filler line of text, nothing to see\n";
    let mut text = String::new();
    // Up to 1,000 bytes (of UTF-8) before the first chunk ends, then one long line with
    // non-ASCII characters that the chunk border cuts, the credential 40 KB past the border.
    while text.len() + filler.len() < keyfence::CHUNK_LEN - 1000 {
        text.push_str(filler);
    }
    let line = text.lines().count() as u64 + 1;
    let long = "é".repeat(20_500); // 41,000 bytes, 20,500 characters
    let (id, sk) = (key_id("AKIA", 67), secret(67));
    text.push_str(&format!("{long} {id} {sk}\n"));
    let mut child = fx
        .keyfence()
        .args(["scan", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = utf16(&text, true, true);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        placed(&json_report(&out.stdout)),
        [("<stdin>".to_string(), line, 20_502, "utf-16le".to_string())]
    );
}
