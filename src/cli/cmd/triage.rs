//! `keyfence triage FINGERPRINT|KEY_ID --status STATUS [--note TEXT]`: sets the triage of a
//! finding (or of every finding of a key ID) in a datastore, with who and when.

use anyhow::{bail, Result};

use crate::cli::args::TriageArgs;
use crate::cli::datastore::{now, open_existing, user};
use crate::cli::output::sanitize;
use crate::cli::ExitCode;
use crate::report::Triage;

/// Runs `keyfence triage`.
pub(crate) fn run(args: &TriageArgs) -> Result<ExitCode> {
    let mut store = open_existing(&args.datastore)?;
    let fingerprints = store.resolve_target(&args.target)?;
    if fingerprints.is_empty() {
        bail!(
            "{}: no finding has the fingerprint or key ID {}",
            sanitize(store.file()),
            sanitize(&args.target)
        );
    }
    let triage = Triage {
        status: args.status,
        note: args.note.clone(),
        by: user(args.by.as_deref()),
        at: now(),
    };
    store.set_triage(&fingerprints, &triage)?;
    for fp in &fingerprints {
        eprintln!(
            "keyfence: {fp} is now {} (by {})",
            triage.status,
            sanitize(&triage.by)
        );
    }
    Ok(ExitCode::Clean)
}
