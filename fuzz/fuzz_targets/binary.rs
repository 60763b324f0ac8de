//! The binary frame decoders (requests the server reads, replies the client
//! reads): never panic, never claim more bytes than given, and a request that
//! decodes and can be encoded again decodes to itself.
#![no_main]
use wire::binary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((req, used))) = binary::decode_frame(rest) {
        assert!(
            used > 0 && used <= rest.len(),
            "used {used} of {}",
            rest.len()
        );
        let mut out = Vec::new();
        if binary::encode_request(&req, &mut out).is_ok() {
            match binary::decode_frame(&out) {
                Ok(Some((again, n))) => {
                    assert_eq!(n, out.len());
                    assert_eq!(again, req);
                }
                other => panic!("re-encoded {req:?} does not decode: {other:?}"),
            }
        }
        rest = &rest[used..];
    }
    let mut rest = data;
    while let Ok(Some((_, used))) = binary::decode_reply(rest) {
        assert!(
            used > 0 && used <= rest.len(),
            "used {used} of {}",
            rest.len()
        );
        rest = &rest[used..];
    }
});
