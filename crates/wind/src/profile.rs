//! Vertical profiles at hub height. Heights in m, speeds in m/s, temperatures in K,
//! pressure in Pa, density in kg/m³. NaN in gives NaN out.

/// Logarithmic wind profile: v·ln((h_hub − 0.7·d)/z0) / ln((h − 0.7·d)/z0), with obstacle
/// height d (the displacement 0.7·d must lie below the measurement height).
pub fn logarithmic(v: f64, height: f64, hub_height: f64, z0: f64, obstacle_height: f64) -> f64 {
    let d = 0.7 * obstacle_height;
    v * ((hub_height - d) / z0).ln() / ((height - d) / z0).ln()
}

/// Hellman power law: v·(h_hub/h)^α; α = 1/ln(h_hub/z0) when not given.
pub fn hellman(
    v: f64,
    height: f64,
    hub_height: f64,
    z0: Option<f64>,
    exponent: Option<f64>,
) -> f64 {
    let a = match (exponent, z0) {
        (Some(a), _) => a,
        (None, Some(z)) => 1.0 / (hub_height / z).ln(),
        (None, None) => 1.0 / 7.0,
    };
    v * (hub_height / height).powf(a)
}

/// Temperature at hub height from a measurement at `height` with the standard
/// atmosphere's gradient of −6.5 K/km.
pub fn linear_gradient(t: f64, height: f64, hub_height: f64) -> f64 {
    t - 0.0065 * (hub_height - height)
}

/// Air density at hub height by the barometric height equation: pressure falls 1/8 hPa per
/// metre from the pressure measurement's height.
pub fn barometric(pressure: f64, pressure_height: f64, hub_height: f64, t_hub: f64) -> f64 {
    (pressure / 100.0 - (hub_height - pressure_height) / 8.0) * 1.225 * 288.15 * 100.0
        / (101_330.0 * t_hub)
}

/// Air density at hub height from the ideal gas law, the pressure carried to hub height by
/// the same 1/8 hPa per metre.
pub fn ideal_gas(pressure: f64, pressure_height: f64, hub_height: f64, t_hub: f64) -> f64 {
    (pressure - (hub_height - pressure_height) * 100.0 / 8.0) / (287.058 * t_hub)
}
