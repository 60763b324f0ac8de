//! The JSON request decoder (WebSocket text frames, HTTP bodies) and the
//! journal-dump command codec: never panic; a command that decodes
//! re-encodes to text that decodes to the same command.
#![no_main]
use wire::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = json::decode_request(text);
    let _ = json::parse_decimal(text);
    if let Ok(cmd) = json::decode_command_json(text) {
        let mut s = String::new();
        json::encode_command_json(&cmd, &mut s);
        let again = json::decode_command_json(&s)
            .unwrap_or_else(|e| panic!("re-encoded command does not decode: {e}: {s}"));
        assert_eq!(again, cmd, "command changed through encode: {s}");
    }
});
