//! `keyfence datastore merge OUT IN...`: joins the datastores of separate shards into one.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::datastore::open_store;
use crate::cli::output::sanitize;
use crate::cli::ExitCode;

/// Runs `keyfence datastore merge`.
pub(crate) fn merge(out: &Path, inputs: &[PathBuf]) -> Result<ExitCode> {
    let mut store = open_store(out)?;
    for input in inputs {
        store.merge_from(input)?;
        eprintln!(
            "keyfence: merged {} into {}",
            sanitize(&input.display().to_string()),
            sanitize(store.file())
        );
    }
    Ok(ExitCode::Clean)
}
