//! keyfence: a fast scanner for AWS credentials in files and git history.
//!
//! A source yields blobs; a [`scan::ScanEngine`] turns each blob into [`finding::Finding`]s; a
//! collector ([`report_model::ScanReport`]) sorts findings and scan errors and hands them to a
//! reporter.

pub mod app;
pub mod app_config;
pub mod app_git;
pub mod ci_env;
pub mod cli;
pub mod config;
pub mod finding;
pub mod install;
pub mod lines;
pub mod prefilter;
pub mod report;
pub mod report_model;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod synthetic;
pub mod validate;
pub mod windows;
