//! The solar tasks run on the meter's span: their phases, outputs and summaries.

use terrawatt_meter::{Meter, MeterConfig};
use terrawatt_solar::spa::Site;
use terrawatt_solar::tasks::{Instants, clearsky, position};

fn instants(n: i64) -> Instants {
    Instants {
        start: 1_592_697_600, // 2020-06-21T00:00:00Z
        step: 3600,
        n,
        zone: None,
        offset: 0,
    }
}

#[test]
fn clearsky_writes_its_table_in_its_phases() {
    let dir = std::env::temp_dir().join(format!("terrawatt-solar-tasks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("clearsky.csv");
    let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
    let mut span = meter.span("task");
    let settings = clearsky::Settings {
        site: Site {
            elevation: 1600.0,
            ..Site::new(40.0, -105.0)
        },
        model: clearsky::Model::Ineichen,
        linke: clearsky::Linke::Constant(3.0),
        aod700: 0.1,
        precipitable_water: 1.0,
        instants: instants(24),
        out: out.clone(),
    };
    let report = clearsky::run(&settings, &mut span).unwrap();
    let rec = span.finish();
    let phases: Vec<&str> = rec.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(phases, ["compute", "write"]);
    assert_eq!(
        report.text(),
        format!("24 clear-sky values written to {}\n", out.display())
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "time,ghi,dni,dhi");
    assert_eq!(rows.len(), 25);
    // solar noon at 105° W is near 19:00 UTC: clear-sky GHI well above 900 W/m²
    let noon: f64 = rows[20].split(',').nth(1).unwrap().parse().unwrap();
    assert!(noon > 900.0, "{}", rows[20]);
    // a Linke turbidity under 1 (0.3: a tenth of 3 typed) gave a negative diffuse
    std::fs::remove_file(&out).unwrap();
    for linke in [
        clearsky::Linke::Constant(0.3),
        clearsky::Linke::Monthly([3.0, 3.0, 3.0, 3.0, 3.0, 30.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]),
    ] {
        let e = clearsky::run(
            &clearsky::Settings {
                linke,
                ..settings.clone()
            },
            &mut meter.span("refused"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("a Linke turbidity lies within 1–10"), "{e}");
        assert!(!out.exists());
    }
}

#[test]
fn positions_stop_when_asked_and_leave_no_file() {
    let dir = std::env::temp_dir().join(format!("terrawatt-solar-stop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("positions.csv");
    let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
    let mut span = meter.span("task");
    let settings = position::Settings {
        site: Site::new(40.0, -105.0),
        delta_t: 67.0,
        instants: instants(48),
        out: out.clone(),
        format: position::Format::Csv,
    };
    let e = position::run(&settings, &mut span, &|_, _| {}, &|| true).unwrap_err();
    assert!(matches!(e, terrawatt_solar::SolarError::Interrupted));
    assert!(!out.exists());
    let report = position::run(&settings, &mut span, &|_, _| {}, &|| false).unwrap();
    assert!(
        report
            .text()
            .starts_with("48 solar positions (2020-06-21T00:00:00+00:00 to ")
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 49);
}
