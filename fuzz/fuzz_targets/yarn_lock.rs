//! Fuzz the YarnLock cataloger: any bytes give packages or an error, never a panic.
#![no_main]

use crabox_sbom::Format;
use crabox_sbom::catalog::{Context, parse};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(Format::YarnLock, text, &Context::default());
    }
});
