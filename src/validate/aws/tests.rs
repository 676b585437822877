use super::*;
use crate::validate::synthetic::{
    bedrock_short_term_key, key_id, presigned_query, secret, ses_smtp_password, session_token,
};

fn run(text: &str) -> Vec<AwsMatch> {
    let data = text.as_bytes();
    let finder = |needles: &[&str]| -> Vec<usize> {
        let mut hits: Vec<usize> = needles
            .iter()
            .flat_map(|n| text.match_indices(n).map(|(i, _)| i))
            .collect();
        hits.sort_unstable();
        hits
    };
    let hits = AwsHits {
        key_ids: finder(&["AKIA", "ASIA", "ABIA", "ACCA"]),
        encoded_key_ids: finder(&crate::validate::key_id::ENCODED_CREDENTIAL_PREFIXES),
        secret_keywords: finder(&["secret", "Secret", "SECRET"]),
        token_starts: finder(&["IQoJb3JpZ2luX2Vj", "FQoGZXIvYXdz"]),
        token_keywords: finder(&["session_token", "SessionToken", "Security-Token"]),
        presigned: finder(&["X-Amz-Credential", "AWSAccessKeyId"]),
        bedrock: finder(&["bedrock-api-key-"]),
    };
    analyse(data, &hits, &AwsSettings::default())
}

#[test]
fn pairs_key_and_secret_as_one_finding() {
    let (id, sk) = (key_id("AKIA", 1), secret(1));
    let m = run(&format!(
        "aws_access_key_id = {id}\naws_secret_access_key = {sk}\n"
    ));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::AccessKey);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sk);
}

#[test]
fn pairing_window_edge() {
    let (id, sk) = (key_id("AKIA", 2), secret(2));
    let at = |n: usize| format!("{id}{}x = \"{sk}\"\n", "\n".repeat(n));
    let inside = run(&at(PAIRING_WINDOW_LINES));
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].kind, AwsKind::AccessKey);
    let outside = run(&at(PAIRING_WINDOW_LINES + 1));
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0].kind, AwsKind::KeyIdOnly);
}

#[test]
fn byte_window_bounds_minified_lines() {
    let (id, sk) = (key_id("AKIA", 3), secret(3));
    let near = format!("{id} {} {sk}", "x".repeat(PAIRING_WINDOW_BYTES - 2));
    assert_eq!(run(&near)[0].kind, AwsKind::AccessKey);
    let far = format!("{id} {} {sk}", "x".repeat(PAIRING_WINDOW_BYTES));
    assert_eq!(run(&far)[0].kind, AwsKind::KeyIdOnly);
}

#[test]
fn two_profiles_pair_with_their_own_secrets() {
    let (a, b) = (key_id("AKIA", 4), key_id("AKIA", 5));
    let (sa, sb) = (secret(4), secret(5));
    let text = format!("[a]\nid = {a}\nsecret = {sa}\n\n[b]\nid = {b}\nsecret = {sb}\n");
    let m = run(&text);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sa);
    assert_eq!(m[1].secret.as_ref().unwrap().text, sb);
}

#[test]
fn temporary_credentials_with_and_without_token() {
    let (id, sk, tok) = (key_id("ASIA", 6), secret(6), session_token(6, 600));
    let full = run(&format!(
        "aws_access_key_id={id}\naws_secret_access_key={sk}\naws_session_token={tok}\n"
    ));
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].kind, AwsKind::TemporaryCredentials);
    assert_eq!(full[0].session_token.as_ref().unwrap().text, tok);
    let missing = run(&format!(
        "AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\n"
    ));
    assert_eq!(missing[0].kind, AwsKind::TemporaryMissingToken);
}

/// A session token keeps its `=` padding: STS refuses the token without it.
#[test]
fn session_tokens_keep_their_padding() {
    let (id, sk) = (key_id("ASIA", 8), secret(8));
    for pad in ["=", "=="] {
        let tok = format!("{}{pad}", session_token(8, 354));
        let m = run(&format!(
            "aws_access_key_id={id}\naws_secret_access_key={sk}\naws_session_token={tok}\n"
        ));
        assert_eq!(m[0].session_token.as_ref().unwrap().text, tok);
    }
}

#[test]
fn sts_xml_with_token_before_the_key() {
    let (id, sk, tok) = (key_id("ASIA", 7), secret(7), session_token(7, 900));
    let xml = format!(
        "<Credentials><SessionToken>{tok}</SessionToken><SecretAccessKey>{sk}</SecretAccessKey>\
         <Expiration>2026-11-22T12:00:00Z</Expiration><AccessKeyId>{id}</AccessKeyId></Credentials>"
    );
    let m = run(&xml);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::TemporaryCredentials);
}

#[test]
fn presigned_url_has_key_and_token_but_no_secret() {
    let (id, tok) = (key_id("ASIA", 8), session_token(8, 700));
    let url = format!(
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={id}%2F20261101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={}",
        tok.replace('/', "%2F").replace('+', "%2B")
    );
    let m = run(&url);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::KeyIdOnly);
    assert_eq!(m[0].session_token.as_ref().unwrap().text, tok);
}

#[test]
fn escaped_json_secret() {
    let (id, sk) = (key_id("AKIA", 9), secret(9));
    let text = format!(
        "{{\"AccessKeyId\":\"{id}\",\"SecretAccessKey\":\"{}\"}}",
        sk.replace('/', "\\/")
    );
    let m = run(&text);
    assert_eq!(m[0].kind, AwsKind::AccessKey);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sk);
}

#[test]
fn secret_only_and_key_only() {
    let sk = secret(10);
    let m = run(&format!("AWS_SECRET_ACCESS_KEY={sk}\n"));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::SecretOnly);
    let id = key_id("ABIA", 10);
    let m = run(&format!("bearer key {id} in a log\n"));
    assert_eq!(m[0].kind, AwsKind::KeyIdOnly);
}

#[test]
fn slices_of_longer_base64_runs_are_not_secrets() {
    let id = key_id("AKIA", 11);
    let blob = format!("{}{}", secret(11), secret(12));
    let m = run(&format!("{id}\nblob: {blob}\n"));
    assert_eq!(m[0].kind, AwsKind::KeyIdOnly);
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn kubernetes_secret_with_base64_values() {
    let (id, sk) = (key_id("AKIA", 13), secret(13));
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n",
        b64(&id),
        b64(&sk)
    );
    let m = run(&manifest);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::AccessKey);
    assert_eq!(m[0].key_id.as_ref().unwrap().0.text, id);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sk);
    let only_secret = run(&format!("  AWS_SECRET_ACCESS_KEY: {}\n", b64(&sk)));
    assert_eq!(only_secret[0].kind, AwsKind::SecretOnly);
    assert_eq!(only_secret[0].secret.as_ref().unwrap().text, sk);
}

#[test]
fn credentials_inside_json_strings_with_escaped_newlines() {
    let (id, sk) = (key_id("AKIA", 14), secret(14));
    let json = format!("{{\"csv\": \"Access key ID,Secret access key\\n{id},{sk}\\n\"}}");
    let m = run(&json);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::AccessKey);
    let json = format!("{{\"lines\": \"{id}\\n{sk}\\n\"}}");
    assert_eq!(run(&json)[0].kind, AwsKind::AccessKey);
}

/// Adjacent pairs pair with their own secrets, in every common layout and in both orders (issue:
/// nearest-first pairing crossed them, key 1 with secret 2 and key 2 with secret 1).
#[test]
fn adjacent_pairs_never_cross() {
    type Layout = fn(&[(String, String)], bool) -> String;
    let ini: Layout = |pairs, key_first| {
        pairs
            .iter()
            .map(|(k, s)| {
                let (a, b) = (
                    format!("aws_access_key_id = {k}"),
                    format!("aws_secret_access_key = {s}"),
                );
                if key_first {
                    format!("{a}\n{b}\n")
                } else {
                    format!("{b}\n{a}\n")
                }
            })
            .collect()
    };
    let env: Layout = |pairs, key_first| {
        pairs
            .iter()
            .map(|(k, s)| {
                let (a, b) = (
                    format!("AWS_ACCESS_KEY_ID={k}"),
                    format!("AWS_SECRET_ACCESS_KEY={s}"),
                );
                if key_first {
                    format!("{a}\n{b}\n")
                } else {
                    format!("{b}\n{a}\n")
                }
            })
            .collect()
    };
    let yaml: Layout = |pairs, key_first| {
        let items: String = pairs
            .iter()
            .map(|(k, s)| {
                let (a, b) = (
                    format!("access_key_id: {k}"),
                    format!("secret_access_key: {s}"),
                );
                if key_first {
                    format!("  - {a}\n    {b}\n")
                } else {
                    format!("  - {b}\n    {a}\n")
                }
            })
            .collect();
        format!("credentials:\n{items}")
    };
    let json: Layout = |pairs, key_first| {
        let items: Vec<String> = pairs
            .iter()
            .map(|(k, s)| {
                let (a, b) = (
                    format!("\"AccessKeyId\": \"{k}\""),
                    format!("\"SecretAccessKey\": \"{s}\""),
                );
                if key_first {
                    format!("  {{{a}, {b}}}")
                } else {
                    format!("  {{{b}, {a}}}")
                }
            })
            .collect();
        format!("[\n{}\n]\n", items.join(",\n"))
    };
    let csv: Layout = |pairs, key_first| {
        let head = if key_first {
            "User name,Access key ID,Secret access key\n"
        } else {
            "User name,Secret access key,Access key ID\n"
        };
        let rows: String = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, s))| {
                if key_first {
                    format!("user{i},{k},{s}\n")
                } else {
                    format!("user{i},{s},{k}\n")
                }
            })
            .collect();
        format!("{head}{rows}")
    };
    let code: Layout = |pairs, key_first| {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (k, s))| {
                if key_first {
                    format!("client{i} = boto3.client('s3', aws_access_key_id='{k}', aws_secret_access_key='{s}')\n")
                } else {
                    format!("client{i} = make(secret='{s}', key='{k}')\n")
                }
            })
            .collect()
    };
    let layouts: [(&str, Layout); 6] = [
        ("ini", ini),
        ("env", env),
        ("yaml", yaml),
        ("json", json),
        ("csv", csv),
        ("code", code),
    ];
    for n in [2u64, 3, 5] {
        let pairs: Vec<(String, String)> = (0..n)
            .map(|i| (key_id("AKIA", 100 + i), secret(100 + i)))
            .collect();
        for (name, layout) in layouts {
            for key_first in [true, false] {
                let text = layout(&pairs, key_first);
                let found = run(&text);
                let got: Vec<(String, Option<String>)> = found
                    .iter()
                    .map(|m| {
                        (
                            m.key_id.as_ref().unwrap().0.text.clone(),
                            m.secret.as_ref().map(|s| s.text.clone()),
                        )
                    })
                    .collect();
                let want: Vec<(String, Option<String>)> = pairs
                    .iter()
                    .map(|(k, s)| (k.clone(), Some(s.clone())))
                    .collect();
                assert_eq!(
                    got, want,
                    "{n} pairs, {name}, key first: {key_first}\n{text}"
                );
            }
        }
    }
}

/// A lone key ID just after a pair does not take the pair's secret.
#[test]
fn a_lone_key_after_a_pair_stays_lone() {
    let (a, b, sa) = (key_id("AKIA", 110), key_id("AKIA", 111), secret(110));
    let m = run(&format!(
        "aws_access_key_id = {a}\naws_secret_access_key = {sa}\naws_access_key_id = {b}\n"
    ));
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].key_id.as_ref().unwrap().0.text, a);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sa);
    assert_eq!(m[1].kind, AwsKind::KeyIdOnly);
}

#[test]
fn a_lone_session_token_is_its_own_finding() {
    let token = session_token(5, 500);
    let m = run(&format!("[default]\naws_session_token = {token}\n"));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::SessionTokenOnly);
    assert_eq!(m[0].session_token.as_ref().unwrap().text, token);
    // With its key ID and secret it is part of the temporary credential, not a finding of its own.
    let (id, sk) = (key_id("ASIA", 5), secret(5));
    let m = run(&format!(
        "aws_access_key_id = {id}\naws_secret_access_key = {sk}\naws_session_token = {token}\n"
    ));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::TemporaryCredentials);
}

#[test]
fn a_presigned_url_is_one_finding_that_claims_its_key_and_token() {
    let id = key_id("ASIA", 6);
    let q = presigned_query(&id, "eu-west-1", "s3", "20261101T120000Z", 900, Some(6));
    let m = run(&format!("see https://b.s3.amazonaws.com/k?{q} now"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::PresignedUrl);
    assert_eq!(m[0].key_id.as_ref().unwrap().0.text, id);
    assert!(m[0].session_token.is_some());
    assert_eq!(m[0].details.region.as_deref(), Some("eu-west-1"));
    assert_eq!(m[0].details.service.as_deref(), Some("s3"));
    assert_eq!(
        m[0].details.expires,
        Some(super::clock::parse_amz_date(b"20261101T120000Z").unwrap() + 900)
    );
    // Two URLs: two findings.
    let q2 = presigned_query(
        &key_id("AKIA", 7),
        "us-east-1",
        "s3",
        "20261101T120000Z",
        60,
        None,
    );
    let m = run(&format!("a: https://x/?{q}\nb: https://y/?{q2}\n"));
    assert_eq!(
        m.iter().filter(|m| m.kind == AwsKind::PresignedUrl).count(),
        2,
        "{m:?}"
    );
    assert_eq!(m.len(), 2);
}

#[test]
fn ses_smtp_credentials_need_smtp_context() {
    let (id, pw) = (key_id("AKIA", 8), ses_smtp_password(8));
    let m = run(&format!(
        "MAIL_HOST=email-smtp.us-east-1.amazonaws.com\nMAIL_USERNAME={id}\nMAIL_PASSWORD={pw}\n"
    ));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, AwsKind::SesSmtp);
    assert_eq!(m[0].secret.as_ref().unwrap().text, pw);
    let m = run(&format!("USERNAME={id}\nPASSWORD={pw}\n"));
    assert_eq!(m[0].kind, AwsKind::KeyIdOnly);
}

#[test]
fn bedrock_short_term_keys_decode() {
    let key = bedrock_short_term_key(9, "20261101T120000Z");
    let m = run(&format!("AWS_BEARER_TOKEN_BEDROCK={key}\n"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::BedrockShortTerm);
    assert_eq!(m[0].key_id.as_ref().unwrap().0.text, key_id("ASIA", 9));
    assert!(!m[0].details.undecodable);
    assert!(m[0].details.expires.is_some());
    let m = run(&format!("AWS_BEARER_TOKEN_BEDROCK={}\n", &key[..120]));
    assert_eq!(m.len(), 1);
    assert!(m[0].details.undecodable);
}

#[test]
fn instance_metadata_dumps_carry_their_expiry() {
    let (id, sk, token) = (key_id("ASIA", 10), secret(10), session_token(10, 600));
    let m = run(&format!(
        "{{\n  \"Code\" : \"Success\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"{id}\",\n  \
         \"SecretAccessKey\" : \"{sk}\",\n  \"Token\" : \"{token}\",\n  \"Expiration\" : \"2026-11-01T18:00:00Z\"\n}}"
    ));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::TemporaryCredentials);
    let (at, _) = super::clock::parse_iso8601(b"2026-11-01T18:00:00Z").unwrap();
    assert_eq!(m[0].details.expires, Some(at));
}

/// Parts of one credential in one structural block pair beyond the line window: a sorted
/// environment dump (token between key ID and secret), a long JSON object, an ini section; parts
/// in different blocks do not.
#[test]
fn parts_in_one_block_pair_beyond_the_line_window() {
    let (id, sk, tok) = (key_id("ASIA", 61), secret(61), session_token(61, 400));
    let mut env = format!("AWS_ACCESS_KEY_ID={id}\n");
    for name in [
        "CA_BUNDLE",
        "CONFIG_FILE",
        "DEFAULT_OUTPUT",
        "DEFAULT_REGION",
        "PAGER",
    ] {
        env.push_str(&format!("AWS_{name}=x\n"));
    }
    env.push_str(&format!("AWS_PROFILE=dev\nAWS_REGION=eu-west-1\nAWS_RETRY_MODE=standard\nAWS_SDK_LOAD_CONFIG=1\nAWS_SECRET_ACCESS_KEY={sk}\nAWS_SESSION_TOKEN={tok}\nAWS_SHARED_CREDENTIALS_FILE=/x\n"));
    let m = run(&env);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::TemporaryCredentials);
    assert_eq!(m[0].secret.as_ref().unwrap().text, sk);
    assert_eq!(m[0].session_token.as_ref().unwrap().text, tok);

    let (id, sk) = (key_id("AKIA", 62), secret(62));
    let filler: String = (0..10).map(|i| format!("  \"field{i}\": {i},\n")).collect();
    let json =
        format!("{{\n  \"AccessKeyId\": \"{id}\",\n{filler}  \"SecretAccessKey\": \"{sk}\"\n}}\n");
    let m = run(&json);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].kind, AwsKind::AccessKey);

    let ini = format!(
        "[prod]\naws_access_key_id = {id}\n{}aws_secret_access_key = {sk}\n",
        "region = x\n".repeat(8)
    );
    assert_eq!(run(&ini)[0].kind, AwsKind::AccessKey);
    let two = format!(
        "[a]\naws_access_key_id = {id}\n{}[b]\naws_secret_access_key = {sk}\n",
        "region = x\n".repeat(8)
    );
    let kinds: Vec<AwsKind> = run(&two).iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [AwsKind::KeyIdOnly, AwsKind::SecretOnly]);
    let objects = format!(
        "[{{\"AccessKeyId\": \"{id}\",\n{filler}\"n\": 1}},\n{{\"SecretAccessKey\": \"{sk}\"}}]"
    );
    let kinds: Vec<AwsKind> = run(&objects).iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [AwsKind::KeyIdOnly, AwsKind::SecretOnly]);
}
