//! Works out which commits a CI run should scan from the CI system's environment: a pull or merge
//! request's range, a push's range, or an explicit `--base`.

use std::path::Path;

use thiserror::Error;

/// A commit that does not exist: what GitHub sends as `before` for a new branch.
const NULL_SHA: &str = "0000000000000000000000000000000000000000";

/// The commits to scan: those reachable from `head` and not from `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CiRange {
    /// The base revision (excluded).
    pub base: String,
    /// The head revision (included).
    pub head: String,
    /// Where the range came from, for messages.
    pub origin: String,
}

/// Why no range could be worked out.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum CiError {
    /// No known CI environment and no `--base`.
    #[error("cannot tell what to scan: no GitHub Actions or GitLab CI range in the environment; pass --base REF (e.g. --base origin/main)")]
    NoRange,
    /// The GitHub event file is missing or malformed.
    #[error("{path}: cannot read the GitHub event: {message}")]
    Event {
        /// GITHUB_EVENT_PATH.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads the range from `env` (a variable lookup, `std::env::var` in production). `base`, when
/// given, wins: the range is `base..HEAD`.
pub(crate) fn detect_range(
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&str>,
) -> Result<CiRange, CiError> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(base) = base {
        return Ok(CiRange {
            base: base.to_string(),
            head: "HEAD".into(),
            origin: format!("--base {base}"),
        });
    }
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        return github_range(&var);
    }
    if var("GITLAB_CI").as_deref() == Some("true") {
        let head = var("CI_COMMIT_SHA").unwrap_or_else(|| "HEAD".into());
        if let Some(base) = var("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
            return Ok(CiRange {
                base,
                head,
                origin: "GitLab merge request (CI_MERGE_REQUEST_DIFF_BASE_SHA)".into(),
            });
        }
        if let Some(before) = var("CI_COMMIT_BEFORE_SHA").filter(|s| s != NULL_SHA) {
            return Ok(CiRange {
                base: before,
                head,
                origin: "GitLab push (CI_COMMIT_BEFORE_SHA)".into(),
            });
        }
        if let Some(branch) = var("CI_DEFAULT_BRANCH") {
            return Ok(CiRange {
                base: format!("origin/{branch}"),
                head,
                origin: "GitLab pipeline on a new branch (CI_DEFAULT_BRANCH)".into(),
            });
        }
    }
    Err(CiError::NoRange)
}

fn github_range(var: &dyn Fn(&str) -> Option<String>) -> Result<CiRange, CiError> {
    let event_name = var("GITHUB_EVENT_NAME").unwrap_or_default();
    let event = match var("GITHUB_EVENT_PATH") {
        Some(path) => read_event(Path::new(&path))?,
        None => serde_json::Value::Null,
    };
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let head = var("GITHUB_SHA").unwrap_or_else(|| "HEAD".into());
    match event_name.as_str() {
        "pull_request" | "pull_request_target" | "merge_group" => {
            let pr = &event["pull_request"];
            let base = text(&pr["base"]["sha"])
                .or_else(|| text(&event["merge_group"]["base_sha"]))
                .or_else(|| var("GITHUB_BASE_REF").map(|b| format!("origin/{b}")))
                .ok_or(CiError::NoRange)?;
            let head = text(&pr["head"]["sha"])
                .or_else(|| text(&event["merge_group"]["head_sha"]))
                .unwrap_or(head);
            Ok(CiRange {
                base,
                head,
                origin: format!("GitHub {event_name} (base and head from the event)"),
            })
        }
        "push" => {
            let after = text(&event["after"]).unwrap_or(head);
            match text(&event["before"]).filter(|b| b != NULL_SHA) {
                Some(before) => Ok(CiRange {
                    base: before,
                    head: after,
                    origin: "GitHub push (before and after from the event)".into(),
                }),
                None => {
                    let branch =
                        text(&event["repository"]["default_branch"]).ok_or(CiError::NoRange)?;
                    Ok(CiRange {
                        base: format!("origin/{branch}"),
                        head: after,
                        origin: "GitHub push of a new branch (compared with the default branch)"
                            .into(),
                    })
                }
            }
        }
        _ => Err(CiError::NoRange),
    }
}

fn read_event(path: &Path) -> Result<serde_json::Value, CiError> {
    let err = |message: String| CiError::Event {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn detect(vars: &[(&str, &str)], base: Option<&str>) -> Result<CiRange, CiError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        detect_range(&|k| map.get(k).cloned(), base)
    }

    fn event(json: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), json).unwrap();
        f
    }

    #[test]
    fn explicit_base_wins() {
        let r = detect(&[("GITHUB_ACTIONS", "true")], Some("origin/main")).unwrap();
        assert_eq!((r.base.as_str(), r.head.as_str()), ("origin/main", "HEAD"));
    }

    #[test]
    fn github_pull_request() {
        let e = event(r#"{"pull_request":{"base":{"sha":"b1"},"head":{"sha":"h1"}}}"#);
        let path = e.path().to_str().unwrap();
        let r = detect(
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_EVENT_PATH", path),
                ("GITHUB_BASE_REF", "main"),
            ],
            None,
        )
        .unwrap();
        assert_eq!((r.base.as_str(), r.head.as_str()), ("b1", "h1"));
        let r = detect(
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_BASE_REF", "main"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(r.base, "origin/main");
    }

    #[test]
    fn github_push_and_new_branch() {
        let e = event(r#"{"before":"b2","after":"a2"}"#);
        let vars = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", e.path().to_str().unwrap()),
        ];
        let r = detect(&vars, None).unwrap();
        assert_eq!((r.base.as_str(), r.head.as_str()), ("b2", "a2"));
        let e = event(&format!(
            r#"{{"before":"{NULL_SHA}","after":"a3","repository":{{"default_branch":"trunk"}}}}"#
        ));
        let vars = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", e.path().to_str().unwrap()),
        ];
        let r = detect(&vars, None).unwrap();
        assert_eq!((r.base.as_str(), r.head.as_str()), ("origin/trunk", "a3"));
    }

    #[test]
    fn gitlab_merge_request_and_push() {
        let r = detect(
            &[
                ("GITLAB_CI", "true"),
                ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "mb"),
                ("CI_COMMIT_SHA", "c"),
            ],
            None,
        )
        .unwrap();
        assert_eq!((r.base.as_str(), r.head.as_str()), ("mb", "c"));
        let r = detect(
            &[
                ("GITLAB_CI", "true"),
                ("CI_COMMIT_BEFORE_SHA", "p"),
                ("CI_COMMIT_SHA", "c"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(r.base, "p");
    }

    #[test]
    fn nothing_known_and_bad_events_are_errors() {
        assert_eq!(detect(&[], None), Err(CiError::NoRange));
        let vars = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", "/nonexistent/event.json"),
        ];
        assert!(matches!(detect(&vars, None), Err(CiError::Event { .. })));
    }
}
