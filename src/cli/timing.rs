//! Phase timings of the git modes (`KEYFENCE_TIMING=1`): the library reports them as `log`
//! records with the target [`TIMING`]; this logger prints them on stderr when asked.

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::source::TIMING;

struct TimingLogger;

impl Log for TimingLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TIMING && metadata.level() <= Level::Info
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("keyfence: timing: {}", record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: TimingLogger = TimingLogger;

/// Installs the logger when `KEYFENCE_TIMING` is set; otherwise timing records cost a check.
pub(super) fn init() {
    if std::env::var_os("KEYFENCE_TIMING").is_some() && log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}
