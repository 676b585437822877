//! keyfence: a fast scanner for AWS credentials in files and git history.
//!
//! The data flows one way, through folders named after its stages (see ARCHITECTURE.md):
//! `cli` resolves the command line and loads the `config` and `rules`; a `source` hands blobs
//! (files, staged entries, git objects) to the `scan` engine, which turns each into findings with
//! the `validate` checks; `suppress` drops what allowlists, inline directives and the baseline
//! allow; `report` sorts what is left and writes it.
//!
//! The library is public only for the binary, the benchmarks and the integration tests: the
//! engine ([`ScanEngine`]), the rules it runs ([`RuleSet`]), the validator settings
//! ([`AwsSettings`]), synthetic credentials for tests ([`synthetic`]) and the command line
//! ([`cli`]).

#![warn(missing_docs)]

pub mod cli;
mod config;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod report;
mod rules;
mod scan;
mod source;
mod store;
mod suppress;
mod validate;
mod verify;

pub use validate::synthetic;

pub use rules::RuleSet;
pub use scan::ScanEngine;
pub use source::CHUNK_LEN;
pub use validate::AwsSettings;
