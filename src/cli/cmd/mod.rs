//! One module per command: each resolves its arguments, runs a source through the scan and
//! hands the report to `output`.

pub(super) mod baseline;
pub(super) mod ci;
mod ci_env;
mod ci_shallow;
mod ci_summary;
pub(super) mod commit_msg;
pub(super) mod completions;
pub(super) mod config;
pub(super) mod datastore;
pub(super) mod doctor;
pub(super) mod findings;
pub(super) mod history;
mod history_store;
pub(super) mod install;
pub(super) mod manpage;
pub(super) mod pre_push;
pub(super) mod pre_receive;
mod pre_receive_env;
mod pre_receive_out;
pub(super) mod rules;
pub(super) mod scan;
pub(super) mod staged;
pub(super) mod triage;
pub(super) mod verify;
