//! What to do about one credential, in order, filled in with what keyfence knows: the key ID,
//! the IAM user or role from the verified ARN (a placeholder when not verified), the AWS CLI
//! commands that deactivate, investigate and delete; for the kinds IAM does not manage, what
//! their owner's console calls the action. Never the secret: commands name the key ID only.
//!
//! Every value put into a command is checked against the characters AWS allows for it (key IDs
//! `[A-Z0-9]`, IAM names `[A-Za-z0-9+=,.@_-]`), so a command is safe to paste into a shell.

use super::group::Credential;

/// One step of a remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// What the step does, for people.
    pub title: String,
    /// The command to run, when there is one (POSIX shell, AWS CLI).
    pub command: Option<String>,
}

fn step(title: impl Into<String>, command: Option<String>) -> Step {
    Step {
        title: title.into(),
        command,
    }
}

/// The placeholder of an IAM user name not known offline.
pub(crate) const USER_PLACEHOLDER: &str = "<IAM-USER-NAME>";
/// The placeholder of an IAM role name not known offline.
pub(crate) const ROLE_PLACEHOLDER: &str = "<ROLE-NAME>";

/// True for a value AWS allows as an IAM user or role name (so a shell word as is).
fn iam_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// True for the characters of an access key ID.
fn key_id_ok(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What an ARN names: an IAM user (`…:user/path/NAME`), the account root, an assumed role
/// (`…:assumed-role/ROLE/SESSION`), or something else.
#[derive(Debug, PartialEq, Eq)]
enum Principal<'a> {
    User(&'a str),
    Root,
    Role(&'a str),
    Other,
}

fn principal(arn: &str) -> Principal<'_> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    if resource == "root" {
        return Principal::Root;
    }
    if let Some(rest) = resource.strip_prefix("user/") {
        let name = rest.rsplit('/').next().unwrap_or("");
        if iam_name_ok(name) {
            return Principal::User(name);
        }
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role = rest.split('/').next().unwrap_or("");
        if iam_name_ok(role) {
            return Principal::Role(role);
        }
    }
    Principal::Other
}

/// The CloudTrail look-up of a key's use.
fn cloudtrail(key: &str) -> Step {
    step(
        "Review what the key did (CloudTrail keeps 90 days of management events; run it in \
         every region you use, with --region)",
        Some(format!(
            "aws cloudtrail lookup-events --lookup-attributes \
             AttributeKey=AccessKeyId,AttributeValue={key} --max-results 50"
        )),
    )
}

/// The steps for a long-term IAM access key (AKIA).
fn long_term(key: &str, arn: Option<&str>) -> Vec<Step> {
    let mut steps = Vec::new();
    let user = match arn.map(principal) {
        Some(Principal::User(u)) => Some(u),
        Some(Principal::Root) => {
            steps.push(step(
                "This is the account root user's key: sign in as root and deactivate, then \
                 delete it in the console (Security credentials > Access keys); the commands \
                 below work when run with root credentials, without --user-name",
                None,
            ));
            None
        }
        _ => {
            steps.push(step(
                format!(
                    "Find the IAM user that owns the key (the answer's UserName replaces \
                     {USER_PLACEHOLDER} below)"
                ),
                Some(format!(
                    "aws iam get-access-key-last-used --access-key-id {key}"
                )),
            ));
            Some(USER_PLACEHOLDER)
        }
    };
    let user_arg = user.map_or(String::new(), |u| format!(" --user-name {u}"));
    steps.push(step(
        "Deactivate the key now (reversible: anything that breaks shows who used it)",
        Some(format!(
            "aws iam update-access-key{user_arg} --access-key-id {key} --status Inactive"
        )),
    ));
    steps.push(cloudtrail(key));
    steps.push(step(
        "Create a replacement for the users of the key, if it is still needed, and store it \
         in a secrets manager, not in the repository",
        Some(format!("aws iam create-access-key{user_arg}")),
    ));
    steps.push(step(
        "Delete the key",
        Some(format!(
            "aws iam delete-access-key{user_arg} --access-key-id {key}"
        )),
    ));
    steps
}

/// The command that revokes every session of `role` issued before now (what the IAM console's
/// "Revoke active sessions" does: an inline deny on older tokens).
fn revoke_sessions(role: &str) -> String {
    // In double quotes for the shell: `$(date …)` is the time the command runs.
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"*\"],\"Resource\":[\"*\"],\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"#;
    format!(
        "aws iam put-role-policy --role-name {role} --policy-name AWSRevokeOlderSessions \
         --policy-document \"{policy}\""
    )
}

/// The steps for temporary credentials (ASIA key IDs, session tokens, short-term keys).
fn temporary(key: Option<&str>, arn: Option<&str>) -> Vec<Step> {
    let mut steps = Vec::new();
    let role = match arn.map(principal) {
        Some(Principal::Role(r)) => r,
        _ => {
            steps.push(step(
                format!(
                    "Find the role the session belongs to (CloudTrail's events of the key name \
                     it in userIdentity.sessionContext.sessionIssuer; it replaces \
                     {ROLE_PLACEHOLDER} below). Sessions of an IAM user or federated user \
                     cannot be revoked this way: deactivate the user's access keys instead"
                ),
                None,
            ));
            ROLE_PLACEHOLDER
        }
    };
    steps.push(step(
        "Revoke the role's active sessions: every session issued before now is denied \
         (IAM console: Roles > the role > Revoke active sessions)",
        Some(revoke_sessions(role)),
    ));
    if let Some(key) = key {
        steps.push(cloudtrail(key));
    }
    steps.push(step(
        "Find out how the session leaked (a CI log, a debug dump, an instance profile copied \
         out) and stop the source",
        None,
    ));
    steps
}

/// A step without a command: what the owner's console calls the action.
fn console(text: &str) -> Vec<Step> {
    vec![step(text, None)]
}

/// The remediation of a credential, in order.
pub(crate) fn steps(c: &Credential<'_>) -> Vec<Step> {
    let key = c.key_id().filter(|k| key_id_ok(k));
    let arn = c.arn();
    let rule = c.rule_id();
    match (rule, key) {
        ("aws-bedrock-api-key", _) => vec![
            step(
                "List the user's Amazon Bedrock API keys (service-specific credentials) to \
                 find this one's ServiceSpecificCredentialId",
                Some(format!(
                    "aws iam list-service-specific-credentials --service-name \
                     bedrock.amazonaws.com --user-name {USER_PLACEHOLDER}"
                )),
            ),
            step(
                "Deactivate it, then delete it (IAM console: Users > Security credentials > \
                 API keys for Amazon Bedrock)",
                Some(format!(
                    "aws iam update-service-specific-credential --user-name {USER_PLACEHOLDER} \
                     --service-specific-credential-id <CREDENTIAL-ID> --status Inactive"
                )),
            ),
        ],
        ("aws-bedrock-short-term-key" | "aws-codeartifact-token" | "aws-ecr-docker-auth", _) => {
            let mut s = console(
                "The token expires within 12 hours of its issue; if it has not, revoke the \
                 sessions of the identity that requested it",
            );
            s.extend(temporary(None, arn));
            s
        }
        ("aws-codecommit-credentials", _) => vec![
            step(
                "List the user's CodeCommit HTTPS Git credentials",
                Some(format!(
                    "aws iam list-service-specific-credentials --service-name \
                     codecommit.amazonaws.com --user-name {USER_PLACEHOLDER}"
                )),
            ),
            step(
                "Reset the leaked one (IAM console: Users > Security credentials > HTTPS Git \
                 credentials for AWS CodeCommit > Reset password), then use the credential \
                 helper instead of URLs",
                Some(format!(
                    "aws iam reset-service-specific-credential --user-name {USER_PLACEHOLDER} \
                     --service-specific-credential-id <CREDENTIAL-ID>"
                )),
            ),
        ],
        ("amazon-mws-auth-token", _) => console(
            "Seller Central: Settings > User Permissions > Third-party developer and apps: \
             revoke the developer's access, and have a new token issued",
        ),
        ("amazon-lwa-client-secret", _) => console(
            "Solution Provider Portal (or Login with Amazon console): the app's LWA \
             credentials > Rotate client secret, then update every client",
        ),
        ("amazon-lwa-refresh-token", _) => console(
            "Seller Central: Apps and Services > Manage Your Apps: remove the app's \
             authorization, then authorize it again",
        ),
        (_, Some(k)) if k.starts_with("ASIA") => temporary(Some(k), arn),
        ("aws-session-token", _) => temporary(None, arn),
        (_, Some(k)) if k.starts_with("AKIA") => {
            let mut s = long_term(k, arn);
            if rule == "aws-ses-smtp-credentials" {
                s.push(step(
                    "Create new SMTP credentials (SES console: SMTP settings > Create SMTP \
                     credentials) and check the sending statistics for mail you did not send",
                    None,
                ));
            }
            s
        }
        (_, Some(k)) => vec![
            step(
                format!(
                    "{k} is not an IAM user's access key (ABIA: an STS service bearer token, \
                     ACCA: context-specific credentials): revoke the sessions of the identity \
                     that obtained it"
                ),
                None,
            ),
            cloudtrail(k),
        ],
        ("aws-secret-access-key", None) => vec![step(
            "A secret access key without its key ID: find the key ID (same file or commit, \
                 CI variables), then follow the long-term key steps; when it cannot be found, \
                 rotate the keys of the users who may have held it",
            Some(format!(
                "aws iam list-access-keys --user-name {USER_PLACEHOLDER}"
            )),
        )],
        _ => console(&c.lead.remediation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::group::{credentials, tests::finding};
    use crate::report::{ScanReport, Verification};
    use crate::validate::synthetic::key_id;

    fn steps_of(rule: &str, key: &str, verified: Option<&str>) -> Vec<Step> {
        let mut f = finding(rule, key, "p", 1, None);
        f.verification = verified.map(|arn| Verification::Active {
            arn: arn.into(),
            account: "123456789012".into(),
            user_id: "AIDA".into(),
        });
        let secret = f.secret.clone().unwrap();
        let report = ScanReport {
            findings: vec![f],
            ..ScanReport::default()
        };
        let s = steps(&credentials(&report)[0]);
        for st in &s {
            let text = format!("{} {:?}", st.title, st.command);
            assert!(!text.contains(secret.expose()), "{text}");
        }
        s
    }

    fn commands(s: &[Step]) -> Vec<&str> {
        s.iter().filter_map(|s| s.command.as_deref()).collect()
    }

    #[test]
    fn long_term_keys_carry_the_verified_user_or_a_placeholder() {
        let k = key_id("AKIA", 1);
        let s = steps_of(
            "aws-access-key",
            &k,
            Some("arn:aws:iam::123456789012:user/ops/deploy-bot"),
        );
        let c = commands(&s);
        assert_eq!(
            c[0],
            format!("aws iam update-access-key --user-name deploy-bot --access-key-id {k} --status Inactive")
        );
        assert!(c[1].contains(&format!("AttributeValue={k}")));
        assert_eq!(
            c[3],
            format!("aws iam delete-access-key --user-name deploy-bot --access-key-id {k}")
        );
        let s = steps_of("aws-access-key", &k, None);
        let c = commands(&s);
        assert!(c[0].starts_with("aws iam get-access-key-last-used"));
        assert!(c[1].contains(USER_PLACEHOLDER));
        let root = steps_of("aws-access-key", &k, Some("arn:aws:iam::123456789012:root"));
        assert!(!commands(&root)[0].contains("--user-name"));
    }

    #[test]
    fn temporary_credentials_revoke_the_roles_sessions() {
        let k = key_id("ASIA", 2);
        let s = steps_of(
            "aws-temporary-credentials",
            &k,
            Some("arn:aws:sts::123456789012:assumed-role/Deployer/ci-run"),
        );
        let c = commands(&s);
        assert!(c[0].starts_with("aws iam put-role-policy --role-name Deployer "));
        assert!(c[0].contains("aws:TokenIssueTime"));
        let s = steps_of("aws-temporary-credentials", &k, None);
        assert!(commands(&s)[0].contains(ROLE_PLACEHOLDER));
    }

    #[test]
    fn names_that_are_not_iam_names_never_reach_a_command() {
        assert_eq!(
            principal("arn:aws:iam::1:user/$(rm -rf ~)"),
            Principal::Other
        );
        assert_eq!(principal("arn:aws:iam::1:user/a b"), Principal::Other);
        assert_eq!(
            principal("arn:aws:iam::1:user/p/ok.name"),
            Principal::User("ok.name")
        );
        let s = steps_of(
            "aws-access-key",
            &key_id("AKIA", 3),
            Some("arn:aws:iam::1:user/a;b"),
        );
        assert!(commands(&s)[1].contains(USER_PLACEHOLDER));
        // A custom rule gets its own remediation text.
        let s = steps_of("custom", "not-a-key", None);
        assert_eq!(s, vec![step("r", None)]);
    }
}
