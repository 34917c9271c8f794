//! `sluice demo --once`: the showcase runs its own requests and checks what it shows.

#[test]
fn demo_once_runs_the_showcase() {
    sluice_proxy::demo::run(sluice_proxy::DemoOptions {
        once: true,
        ..Default::default()
    })
    .unwrap();
}
