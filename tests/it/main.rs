//! The one integration-test binary: every module runs the real `keyfence` binary on real files
//! and real git repositories built in temporary directories.

mod baseline;
mod common;
mod config;
mod config_errors;
mod formats;
mod inline_allow;
mod scan;
