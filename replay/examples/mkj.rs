fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    replay::workload::write_journal(
        std::path::Path::new(&dir),
        replay::workload::Workload::new(replay::workload::WorkloadParams::mix(1, n)),
        None,
    )
    .unwrap();
}
