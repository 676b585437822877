//! The remediation commands of the grouped view, run for real: a key moto issued is verified,
//! its commands carry the IAM user name moto returned, and run with the AWS CLI (PyPI's
//! `awscli`, installed into a virtualenv under the target directory when `aws` is not on PATH)
//! against the same moto server they deactivate and delete it; verification then says
//! `inactive`. Temporary credentials get the role's session revocation, which moto stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::*;
use crate::moto::{python, Moto};

/// A directory holding an `aws` that runs, to put first on PATH.
fn aws_dir() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = DIR.get_or_init(|| {
        let works = |aws: &Path| {
            Command::new(aws)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if let Some(dir) = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .find(|d| works(&d.join("aws")))
        {
            return Ok(dir);
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("awscli-venv");
        let bin = venv.join("bin");
        if works(&bin.join("aws")) {
            return Ok(bin);
        }
        let tmp = venv.with_extension(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&tmp);
        let run = |cmd: &mut Command| match cmd.output() {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&o.stderr))),
            Err(e) => Err(format!("{cmd:?}: {e}")),
        };
        run(Command::new(python()).args(["-m", "venv"]).arg(&tmp))?;
        run(Command::new(tmp.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "awscli"]))?;
        if std::fs::rename(&tmp, &venv).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        if works(&bin.join("aws")) {
            Ok(bin)
        } else {
            Err("aws does not run after pip install awscli".into())
        }
    });
    match found {
        Ok(d) => d,
        Err(e) => panic!("the AWS CLI is needed for the remediation tests: {e}"),
    }
}

/// Runs a command line with the AWS CLI pointed at moto with the admin's key.
fn run_aws(moto: &Moto, line: &str) -> Output {
    let (id, sk) = moto.admin();
    let path = std::env::join_paths(std::iter::once(aws_dir().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    run_exit(
        Command::new("sh")
            .args(["-c", line])
            .env_clear()
            .env("PATH", path)
            .env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", sk)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &moto.endpoint),
        0,
    )
}

/// The grouped JSON report of `scan --verify` on `fx`, and its only credential.
fn verified(fx: &Fixture, moto: &Moto) -> Value {
    let out = fx
        .keyfence()
        .args(["scan", ".", "--verify", "--verify-endpoint", &moto.endpoint])
        .args(["--group", "credential", "--format", "json"])
        .output()
        .unwrap();
    let doc = json_report(&out.stdout);
    let creds = doc["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1, "{doc:#}");
    creds[0].clone()
}

/// The command of the step whose command starts with `prefix`.
fn command<'a>(c: &'a Value, prefix: &str) -> &'a str {
    c["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["command"].as_str())
        .find(|cmd| cmd.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` step: {c:#}"))
}

#[test]
fn the_commands_for_a_verified_key_name_its_user_and_deactivate_and_delete_it_in_moto() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("deploy-bot");
    let fx = Fixture::new();
    fx.write(
        "creds",
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\n"),
    );
    let c = verified(&fx, &moto);
    assert_eq!(c["status"], "active");
    assert_eq!(c["arn"], "arn:aws:iam::123456789012:user/deploy-bot");
    let deactivate = command(&c, "aws iam update-access-key");
    assert_eq!(
        deactivate,
        format!("aws iam update-access-key --user-name deploy-bot --access-key-id {id} --status Inactive")
    );
    let delete = command(&c, "aws iam delete-access-key");
    assert!(delete.contains("--user-name deploy-bot"), "{delete}");
    assert!(command(&c, "aws cloudtrail lookup-events").contains(&id));
    assert!(!c.to_string().contains(&sk), "never the secret");

    run_aws(&moto, deactivate);
    let listed: Value = serde_json::from_slice(
        &run_aws(&moto, "aws iam list-access-keys --user-name deploy-bot").stdout,
    )
    .unwrap();
    assert_eq!(
        listed["AccessKeyMetadata"][0]["Status"], "Inactive",
        "{listed}"
    );
    // moto's STS still answers for an inactive key (AWS does not): IAM's own listing above
    // is the check; after the deletion below, verification says `inactive`.

    run_aws(&moto, delete);
    let listed: Value = serde_json::from_slice(
        &run_aws(&moto, "aws iam list-access-keys --user-name deploy-bot").stdout,
    )
    .unwrap();
    assert_eq!(
        listed["AccessKeyMetadata"],
        serde_json::json!([]),
        "the key is gone"
    );
    let c = verified(&fx, &moto);
    assert_eq!(c["status"], "inactive", "{c:#}");
    assert_eq!(c["verification"]["code"], "InvalidClientTokenId");
}

#[test]
fn temporary_credentials_revoke_the_sessions_of_the_role_moto_names() {
    let moto = Moto::start();
    let (id, sk, token) = moto.assume_role();
    let fx = Fixture::new();
    fx.write(
        "creds",
        format!(
            "[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\naws_session_token = {token}\n"
        ),
    );
    let c = verified(&fx, &moto);
    assert_eq!(c["status"], "active", "{c:#}");
    let arn = c["arn"].as_str().unwrap();
    let role = arn
        .strip_prefix("arn:aws:sts::123456789012:assumed-role/")
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("{arn}"));
    let revoke = command(&c, "aws iam put-role-policy");
    assert!(revoke.starts_with(&format!("aws iam put-role-policy --role-name {role} ")));
    assert!(!c.to_string().contains(&token[..40]), "never the token");
    // moto's AssumeRole does not need the role to exist; IAM's PutRolePolicy does.
    run_aws(
        &moto,
        &format!(
            "aws iam create-role --role-name {role} --assume-role-policy-document \
             '{{\"Version\":\"2012-10-17\",\"Statement\":[]}}'"
        ),
    );
    run_aws(&moto, revoke);
    let policy: Value = serde_json::from_slice(
        &run_aws(
            &moto,
            &format!(
                "aws iam get-role-policy --role-name {role} --policy-name AWSRevokeOlderSessions"
            ),
        )
        .stdout,
    )
    .unwrap();
    let doc = &policy["PolicyDocument"];
    let doc: Value = match doc.as_str() {
        Some(text) => serde_json::from_str(text).unwrap(),
        None => doc.clone(),
    };
    let issued = doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap();
    assert!(
        issued.len() == 20 && issued.ends_with('Z') && !issued.contains('$'),
        "the shell filled in the time: {issued}"
    );
    assert_eq!(doc["Statement"][0]["Effect"], "Deny");
}
