//! The exit codes: the one place they are defined. 0 clean, 1 findings, 2 error.

/// What the process tells its caller: a contract that hooks and CI pipelines depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing found.
    Clean = 0,
    /// Findings.
    Findings = 1,
    /// An error: bad usage, a target that does not exist, or input that could not be scanned
    /// while nothing was found.
    Error = 2,
}

impl ExitCode {
    /// The code of a finished scan: findings win over per-blob errors, which win over clean.
    pub(crate) fn of_scan(findings: usize, errors: usize) -> ExitCode {
        if findings > 0 {
            ExitCode::Findings
        } else if errors > 0 {
            ExitCode::Error
        } else {
            ExitCode::Clean
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
