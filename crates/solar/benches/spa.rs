//! NREL SPA for one year at 1-minute steps (527,040 instants, 2020, Golden CO), the same
//! work as `benches/compare/pvlib_solarposition_speed.py` times for pvlib's
//! `spa_python(how='numpy')`; and five sites sharing the time terms.
//!
//! `cargo bench -p terrawatt-solar --bench spa`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use terrawatt_solar::spa::{self, Site};

fn bench(c: &mut Criterion) {
    let start = 1_577_836_800.0; // 2020-01-01T00:00:00Z
    let times: Vec<f64> = (0..527_040).map(|i| start + 60.0 * i as f64).collect();
    let golden = Site {
        elevation: 1829.0,
        ..Site::new(39.74, -105.18)
    };
    let mut g = c.benchmark_group("spa");
    g.sample_size(10);
    g.bench_function("one year at 1 min, one site", |b| {
        b.iter(|| black_box(spa::positions(&times, &[golden], 67.0)))
    });
    let sites: Vec<Site> = [
        (39.74, -105.18),
        (-33.87, 151.21),
        (64.84, -147.72),
        (1.29, 103.85),
        (-77.85, 166.67),
    ]
    .iter()
    .map(|(la, lo)| Site::new(*la, *lo))
    .collect();
    g.bench_function("one year at 1 min, five sites", |b| {
        b.iter(|| black_box(spa::positions(&times, &sites, 67.0)))
    });
    // weather → AC for a TMY3 year (8,760 hours), as pvlib's ModelChain does it
    let tmy3 = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("../../../shared/data/solar/723170TYA.CSV");
    if let Ok(w) = terrawatt_solar::weather::read_tmy3(&tmy3, 1990) {
        use terrawatt_solar::system::{System, simulate};
        // PVWatts' defaults (Perez sky, SAPM open rack glass/glass) with pvlib's 3.84 kW inverter
        let system = System {
            inverter_kw: 3.84,
            ..System::pvwatts(4.0, 30.0, 180.0).unwrap()
        };
        g.bench_function("TMY3 year, weather to AC", |b| {
            b.iter(|| {
                black_box(simulate(
                    &w,
                    &system,
                    terrawatt_solar::weather::Label::End,
                    67.0,
                ))
            })
        });
    } else {
        eprintln!(
            "notice: skipping the TMY3 simulation: {} is absent",
            tmy3.display()
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
