//! The bundled carbon tables against their source files (issue 2: country table, cloud
//! regions) and the lookups by code.

mod common;

use terrawatt_meter::carbon::{find_cloud_region, find_country};
use terrawatt_meter::tables;
use terrawatt_meter::{GridIntensity, IntensityBasis, MeterError};

#[test]
fn country_table_matches_codecarbons_energy_mix() {
    let rows = tables::countries();
    assert!(rows.len() >= 200, "{} countries", rows.len());
    let Some(path) = common::reference_data("carbon/global_energy_mix.json") else {
        return;
    };
    let source: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let source = source.as_object().unwrap();
    let with_intensity = source
        .values()
        .filter(|v| v.get("carbon_intensity").is_some_and(|c| c.is_number()))
        .count();
    assert_eq!(rows.len(), with_intensity);
    for row in rows {
        let src = &source[&row.alpha3];
        let want = src["carbon_intensity"].as_f64().unwrap();
        assert!(
            (row.g_per_kwh - want).abs() < 5e-4,
            "{}: {} vs {want}",
            row.alpha3,
            row.g_per_kwh
        );
        assert_eq!(
            u64::from(row.year),
            src["year"].as_u64().unwrap(),
            "{}",
            row.alpha3
        );
        assert_eq!(row.alpha2.len(), 2, "{} has no alpha-2 code", row.alpha3);
    }
}

#[test]
fn countries_by_alpha2_and_alpha3() {
    // (code, alpha3, g/kWh, year) from global_energy_mix.json
    let cases = [
        ("FR", "FRA", 56.039, 2023),
        ("fra", "FRA", 56.039, 2023),
        ("US", "USA", 369.473, 2023),
        ("IN", "IND", 713.441, 2023),
    ];
    for (code, alpha3, g, year) in cases {
        let row = find_country(code).unwrap();
        assert_eq!(row.alpha3, alpha3, "{code}");
        assert!((row.g_per_kwh - g).abs() < 1e-9, "{code}");
        assert_eq!(row.year, year, "{code}");
    }
    let fr = GridIntensity::country("FR").unwrap();
    assert_eq!(fr.label(), "FR 2023");
    let err = find_country("XX").unwrap_err();
    assert!(matches!(err, MeterError::UnknownCountry { .. }));
    assert!(err.to_string().contains("'XX'"), "{err}");
}

#[test]
fn world_average_is_generation_weighted() {
    let w = GridIntensity::world_average();
    assert_eq!(w.basis, IntensityBasis::WorldAverage);
    assert!((w.g_per_kwh - 480.617).abs() < 0.01, "{}", w.g_per_kwh);
    assert_eq!(w.label(), "world average");
}

#[test]
fn cloud_regions() {
    let be = find_cloud_region("gcp:europe-west1").unwrap();
    assert_eq!((be.alpha3.as_str(), be.g_per_kwh), ("BEL", 122.0));
    assert_eq!(find_cloud_region("europe-west1").unwrap(), be);
    let g = GridIntensity::cloud_region("GCP:europe-west1").unwrap();
    assert_eq!(g.label(), "gcp:europe-west1");
    let err = find_cloud_region("aws:mars-north-1").unwrap_err();
    assert!(matches!(err, MeterError::UnknownCloudRegion { .. }));
    assert!(find_cloud_region("me-central1").is_ok());
    let Some(path) = common::reference_data("carbon/impact.csv") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        tables::cloud_regions().len(),
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count()
    );
}
