//! Fuzz the crabox.toml parser and its error locator: a located error or a config, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crabox_config::parse(std::path::Path::new("crabox.toml"), text);
    }
});
