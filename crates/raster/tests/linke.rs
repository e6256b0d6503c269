//! The Linke climatology read through GDAL against pvlib's `lookup_linke_turbidity` (which
//! reads the same grid with h5py) on the Greensboro TMY3 hours
//! (crates/solar/tests/fixtures/pvlib_irradiance.csv.gz, column `linke_pvlib`).

use std::io::Read;

#[path = "../../meter/tests/common.rs"]
mod common;

#[test]
fn monthly_values_interpolated_equal_pvlib() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let m =
        terrawatt_raster::linke::monthly(&dir.join("LinkeTurbidities.h5"), 36.1, -79.95).unwrap();
    assert!(m.iter().all(|v| (1.0..8.0).contains(v)), "{m:?}");
    // pvlib 0.16.1's monthly values at this site (lookup_linke_turbidity, interp off)
    assert_eq!(
        m,
        [
            2.65, 2.75, 3.65, 4.05, 4.1, 4.55, 4.5, 5.05, 3.9, 3.2, 3.1, 2.85
        ]
    );
    let gz: &[u8] = include_bytes!("../../solar/tests/fixtures/pvlib_irradiance.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (iu, il) = (
        header.iter().position(|h| *h == "unix").unwrap(),
        header.iter().position(|h| *h == "linke_pvlib").unwrap(),
    );
    let mut n = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let unix: f64 = f[iu].parse().unwrap();
        let want: f64 = f[il].parse().unwrap();
        let doy = terrawatt_solar::system::day_of_year_utc(unix);
        let got = terrawatt_solar::irradiance::linke_monthly(&m, doy, false);
        assert!(
            (got - want).abs() < 1e-12,
            "unix {unix}: {got} vs pvlib {want}"
        );
        n += 1;
    }
    assert_eq!(n, 1752);
}

#[test]
fn a_file_that_is_not_the_climatology_is_refused() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let e = terrawatt_raster::linke::monthly(&dir.join("723170TYA.CSV"), 36.1, -79.95)
        .unwrap_err()
        .to_string();
    assert!(e.contains("723170TYA.CSV"), "{e}");
    assert!(terrawatt_raster::linke::monthly(&dir.join("LinkeTurbidities.h5"), 95.0, 0.0).is_err());
}
