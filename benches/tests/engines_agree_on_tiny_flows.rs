//! Every engine runs a tiny version of every flow through the benchmark's
//! library entry, and does what the flow's reference model expects: same
//! number of trades, same rejects, every command accounted for. No timing is
//! checked. Data flows are skipped with a notice when the data is absent.

use benches::flowfile::{parse_flow, write_flow_to, Flow};
use benches::flows::{build, FlowError, FlowKind, FlowOptions, FlowStats};
use benches::peers::EngineKind;
use benches::throughput::{lines, measure, measure_flow};

const CMDS: u64 = 2_000;

fn tiny(kind: FlowKind) -> Option<(Flow, FlowStats)> {
    let mut o = FlowOptions::new(7, Some(CMDS), benches::data::default_data_dir());
    o.deep_symbols = Some(40);
    o.deep_orders = Some(2_000);
    match build(kind, &o) {
        Ok(x) => Some(x),
        Err(FlowError::MissingData(p)) => {
            benches::data::notice_missing(&format!("tiny {kind} flow"), &p);
            None
        }
        Err(e) => panic!("{kind}: {e}"),
    }
}

fn check(kind: FlowKind, engine: EngineKind) {
    let Some((flow, expected)) = tiny(kind) else {
        return;
    };
    assert_eq!(flow.measured.len() as u64, CMDS, "{kind}");
    let r = measure(&flow, engine, 1);
    assert!(r.error.is_none(), "{engine} on {kind}: {:?}", r.error);
    let s = r.stats.expect("stats of a run");
    assert_eq!(s.cmds, CMDS);
    assert_eq!(s.trades, expected.trades, "{engine} on {kind}: trades");
    let expected_rejects = expected.unknown_order + expected.invalid_qty + expected.market_halted;
    assert_eq!(s.rejects, expected_rejects, "{engine} on {kind}: rejects");
    match engine {
        EngineKind::Ringex => assert_eq!(s.applied, CMDS, "ringex applies every command"),
        _ => assert_eq!(
            s.applied + s.rejects + s.dropped,
            CMDS,
            "{engine} on {kind}: accounted"
        ),
    }
}

#[test]
fn matchcore_does_what_the_model_expects() {
    for kind in FlowKind::ALL {
        check(kind, EngineKind::Matchcore);
    }
}

#[test]
fn lobster_does_what_the_model_expects() {
    for kind in FlowKind::ALL {
        check(kind, EngineKind::Lobster);
    }
}

#[test]
fn ringex_does_what_the_model_expects() {
    for kind in FlowKind::ALL {
        check(kind, EngineKind::Ringex);
    }
}

#[test]
fn a_flow_survives_its_command_file() {
    let (flow, _) = tiny(FlowKind::Mix).expect("mix needs no data");
    let mut bytes = Vec::new();
    write_flow_to(&flow, &mut bytes).unwrap();
    assert_eq!(parse_flow(&bytes).unwrap(), flow);
}

#[test]
fn result_lines_have_the_documented_fields() {
    let (flow, expected) = tiny(FlowKind::Mix).expect("mix needs no data");
    let fr = measure_flow(
        &flow,
        Some(expected),
        &[EngineKind::Matchcore, EngineKind::Lobster],
        2,
    );
    let l = lines(&fr);
    assert_eq!(l.len(), 3, "one line per engine, then the ratios");
    for (v, name) in l.iter().zip(["matchcore", "lobster"]) {
        assert_eq!(v["bench"], "engine_throughput");
        assert_eq!(v["flow"], "mix");
        assert_eq!(v["engine"], name);
        assert_eq!(v["cmds"], CMDS);
        assert_eq!(v["runs"], 2);
        for k in ["secs", "cmds_per_s", "median_cmds_per_s", "trades"] {
            assert!(!v[k].is_null(), "{k} in {v}");
        }
    }
    assert_eq!(l[2]["bench"], "engine_throughput_ratio");
}
