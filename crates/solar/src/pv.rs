//! Module temperature and PVWatts power: SAPM (King et al. 2004), PVsyst and Faiman cell
//! temperature; PVWatts DC (Dobos 2014) with its default system losses and inverter.
//! NaN in gives NaN out.

use serde::{Deserialize, Serialize};

/// SAPM temperature parameters: a, b (exp(a + b·WS)) and ΔT (°C at 1000 W/m²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SapmParams {
    pub a: f64,
    pub b: f64,
    pub delta_t: f64,
}

impl SapmParams {
    /// King et al. (2004), table 1: glass/cell/glass, open rack.
    pub const OPEN_RACK_GLASS_GLASS: SapmParams = SapmParams {
        a: -3.47,
        b: -0.0594,
        delta_t: 3.0,
    };
    /// Glass/cell/polymer sheet, open rack.
    pub const OPEN_RACK_GLASS_POLYMER: SapmParams = SapmParams {
        a: -3.56,
        b: -0.075,
        delta_t: 3.0,
    };
    /// Glass/cell/glass, close (roof) mount.
    pub const CLOSE_MOUNT_GLASS_GLASS: SapmParams = SapmParams {
        a: -2.98,
        b: -0.0471,
        delta_t: 1.0,
    };
    /// Glass/cell/polymer sheet, insulated back.
    pub const INSULATED_BACK_GLASS_POLYMER: SapmParams = SapmParams {
        a: -2.81,
        b: -0.0455,
        delta_t: 0.0,
    };
}

/// SAPM back-of-module temperature.
pub fn sapm_module(poa: f64, temp_air: f64, wind: f64, p: &SapmParams) -> f64 {
    poa * (p.a + p.b * wind).exp() + temp_air
}

/// SAPM cell temperature.
pub fn sapm_cell(poa: f64, temp_air: f64, wind: f64, p: &SapmParams) -> f64 {
    sapm_module(poa, temp_air, wind, p) + poa / 1000.0 * p.delta_t
}

/// PVsyst cell temperature: T_a + α·E·(1 − η) / (U_c + U_v·WS).
pub fn pvsyst_cell(
    poa: f64,
    temp_air: f64,
    wind: f64,
    u_c: f64,
    u_v: f64,
    efficiency: f64,
    absorption: f64,
) -> f64 {
    temp_air + absorption * poa * (1.0 - efficiency) / (u_c + u_v * wind)
}

/// Faiman (2008) module temperature: T_a + E / (U0 + U1·WS).
pub fn faiman(poa: f64, temp_air: f64, wind: f64, u0: f64, u1: f64) -> f64 {
    temp_air + poa / (u0 + u1 * wind)
}

/// PVWatts DC power: E/1000 · P_dc0 · (1 + γ (T_cell − T_ref)).
pub fn pvwatts_dc(poa_effective: f64, temp_cell: f64, pdc0: f64, gamma: f64, temp_ref: f64) -> f64 {
    poa_effective / 1000.0 * pdc0 * (1.0 + gamma * (temp_cell - temp_ref))
}

/// PVWatts system losses (%), each a percentage; a key left out takes PVWatts' default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Losses {
    pub soiling: f64,
    pub shading: f64,
    pub snow: f64,
    pub mismatch: f64,
    pub wiring: f64,
    pub connections: f64,
    pub lid: f64,
    pub nameplate_rating: f64,
    pub age: f64,
    pub availability: f64,
}

impl Default for Losses {
    /// PVWatts version 5 defaults (total 14.08 %).
    fn default() -> Self {
        Losses {
            soiling: 2.0,
            shading: 3.0,
            snow: 0.0,
            mismatch: 2.0,
            wiring: 2.0,
            connections: 0.5,
            lid: 1.5,
            nameplate_rating: 1.0,
            age: 0.0,
            availability: 3.0,
        }
    }
}

impl Losses {
    /// Each loss with its key in the system file's `[losses]`.
    pub fn named(&self) -> [(&'static str, f64); 10] {
        [
            ("soiling", self.soiling),
            ("shading", self.shading),
            ("snow", self.snow),
            ("mismatch", self.mismatch),
            ("wiring", self.wiring),
            ("connections", self.connections),
            ("lid", self.lid),
            ("nameplate_rating", self.nameplate_rating),
            ("age", self.age),
            ("availability", self.availability),
        ]
    }

    /// Total loss (%): 100 · (1 − Π (1 − l_i/100)).
    pub fn total(&self) -> f64 {
        100.0
            * (1.0
                - self
                    .named()
                    .iter()
                    .map(|(_, x)| 1.0 - x / 100.0)
                    .product::<f64>())
    }

    /// Refuses a loss outside 0..100 %, and losses written as fractions: three or more
    /// above zero and every one under 1 (soiling 0.02 for 2 %), which PVWatts' percentages
    /// never are together (its defaults are 0.5–3 %, 14.08 % in all); read as percentages
    /// they would take a fiftieth of the losses meant.
    pub fn check(&self) -> Result<(), crate::SolarError> {
        use crate::SolarError as E;
        for (key, v) in self.named() {
            if !(0.0..100.0).contains(&v) {
                return Err(E::setting(
                    "losses",
                    format!("[losses] {key} = {v} is outside 0..100 (a percentage)"),
                ));
            }
        }
        let given: Vec<_> = self.named().into_iter().filter(|(_, v)| *v > 0.0).collect();
        if given.len() >= 3 && given.iter().all(|(_, v)| *v < 1.0) {
            let list: Vec<String> = given.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            return Err(E::setting(
                "losses",
                format!(
                    "[losses] are percentages, and every one given is under 1 ({}; {:.2} % in all): fractions? Write soiling = 2 for 2 % (PVWatts' defaults total 14.08 %)",
                    list.join(", "),
                    self.total()
                ),
            ));
        }
        Ok(())
    }
}

/// PVWatts inverter: AC power from DC power `pdc` for an inverter of DC input rating
/// `pdc0` (W), nominal efficiency `eta_nom` (0.96) and reference efficiency `eta_ref`
/// (0.9637); clipped to [0, eta_nom·pdc0].
pub fn pvwatts_inverter(pdc: f64, pdc0: f64, eta_nom: f64, eta_ref: f64) -> f64 {
    if pdc.is_nan() {
        return f64::NAN;
    }
    let pac0 = eta_nom * pdc0;
    let zeta = pdc / pdc0;
    let eta = if zeta == 0.0 {
        0.0
    } else {
        eta_nom / eta_ref * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    };
    (eta * pdc).min(pac0).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pvwatts_default_losses_total() {
        // 100·(1 − 0.98·0.97·1·0.98·0.98·0.995·0.985·0.99·1·0.97)
        assert!((Losses::default().total() - 14.075_660_688_264_469).abs() < 1e-9);
    }

    #[test]
    fn inverter_limits() {
        assert_eq!(pvwatts_inverter(0.0, 4000.0, 0.96, 0.9637), 0.0);
        assert!((pvwatts_inverter(10_000.0, 4000.0, 0.96, 0.9637) - 3840.0).abs() < 1e-9);
        assert!(pvwatts_inverter(f64::NAN, 4000.0, 0.96, 0.9637).is_nan());
    }
}

/// Fuentes (1987) settings: installed nominal operating cell temperature (°C), module height
/// and wind-measurement height (m), emissivity, absorptance, tilt (°), module width and
/// length (m).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fuentes {
    pub noct_installed: f64,
    pub module_height: f64,
    pub wind_height: f64,
    pub emissivity: f64,
    pub absorption: f64,
    pub surface_tilt: f64,
    pub module_width: f64,
    pub module_length: f64,
    /// PVWatts' implementation: free convection with sin(tilt) fixed at 0.5 (Fuentes'
    /// 30° test array) whatever the tilt, and the module back at air temperature (and
    /// no absorbed sun) after every interval without sun.
    pub pvwatts_variant: bool,
}

impl Fuentes {
    /// The model as Fuentes (1987) and pvlib state it, with PVWatts' geometry.
    pub fn pvlib(noct_installed: f64, surface_tilt: f64) -> Fuentes {
        Fuentes {
            noct_installed,
            module_height: 5.0,
            wind_height: 9.144,
            emissivity: 0.84,
            absorption: 0.83,
            surface_tilt,
            module_width: 0.31579,
            module_length: 1.2,
            pvwatts_variant: false,
        }
    }

    /// The model as PVWatts runs it (see `pvwatts_variant`).
    pub fn pvwatts(noct_installed: f64, surface_tilt: f64) -> Fuentes {
        Fuentes {
            pvwatts_variant: true,
            ..Fuentes::pvlib(noct_installed, surface_tilt)
        }
    }
}

const BOLTZ: f64 = 5.669e-8;

/// The convective coefficient: free, laminar and (above Re = 1.2e5, when asked) turbulent
/// convection combined (Fuentes 1987).
fn fuentes_hconv(
    tave: f64,
    wind: f64,
    temp_delta: f64,
    xlen: f64,
    sin_tilt: f64,
    check_reynolds: bool,
) -> f64 {
    let densair = 0.003484 * 101_325.0 / tave;
    let visair = 0.24237e-6 * tave.powf(0.76) / densair;
    let condair = 2.1695e-4 * tave.powf(0.84);
    let reynolds = wind * xlen / visair;
    let hforce = if check_reynolds && reynolds > 1.2e5 {
        0.0282 / reynolds.powf(0.2) * densair * wind * 1007.0 / 0.71f64.powf(0.4)
    } else {
        0.8600 / reynolds.powf(0.5) * densair * wind * 1007.0 / 0.71f64.powf(0.67)
    };
    let grashof = 9.8 / tave * temp_delta * xlen.powi(3) / (visair * visair) * sin_tilt;
    let hfree = 0.21 * (grashof * 0.71).powf(0.32) * condair / xlen;
    (hfree.powi(3) + hforce.powi(3)).cbrt()
}

/// Fuentes (1987) module temperature (°C) over consecutive intervals of `hours` each: the
/// transient heat balance (convection, sky and ground radiation, thermal mass) solved per
/// interval with ten fixed-point iterations, starting from 20 °C.
pub fn fuentes(
    poa: &[f64],
    temp_air: &[f64],
    wind: &[f64],
    hours: &[f64],
    f: &Fuentes,
) -> Vec<f64> {
    fuentes_with_sun(poa, temp_air, wind, hours, None, f)
}

/// [`fuentes`] told which intervals have the Sun above the horizon: PVWatts' variant does
/// not step the model through the night, so the first sunlit hour starts from the evening's
/// state (and an hour with the Sun up but no irradiance resets it to air temperature).
pub fn fuentes_with_sun(
    poa: &[f64],
    temp_air: &[f64],
    wind: &[f64],
    hours: &[f64],
    sun_up: Option<&[bool]>,
    f: &Fuentes,
) -> Vec<f64> {
    let xlen = 2.0 * f.module_width * f.module_length / (f.module_width + f.module_length);
    let (emiss, absorp) = (f.emissivity, f.absorption);
    let tinoct = f.noct_installed + 273.15;
    let sin_tilt = if f.pvwatts_variant {
        0.5
    } else {
        f.surface_tilt.to_radians().sin()
    };
    // convection at NOCT
    let tave0 = (tinoct + 293.15) / 2.0;
    let hconv0 = fuentes_hconv(tave0, 1.0, tinoct - 293.15, xlen, sin_tilt, false);
    let hground0 = emiss * BOLTZ * (tinoct * tinoct + 293.15f64.powi(2)) * (tinoct + 293.15);
    let backrat = (absorp * 800.0
        - emiss * BOLTZ * (tinoct.powi(4) - 282.21f64.powi(4))
        - hconv0 * (tinoct - 293.15))
        / ((hground0 + hconv0) * (tinoct - 293.15));
    let tground0 = (tinoct.powi(4) - backrat * (tinoct.powi(4) - 293.15f64.powi(4)))
        .powf(0.25)
        .clamp(293.15, tinoct);
    let tgrat = (tground0 - 293.15) / (tinoct - 293.15);
    let convrat = (absorp * 800.0
        - emiss * BOLTZ * (2.0 * tinoct.powi(4) - 282.21f64.powi(4) - tground0.powi(4)))
        / (hconv0 * (tinoct - 293.15));
    let mut cap = 11_000.0;
    if tinoct > 321.15 {
        cap *= 1.0 + (tinoct - 321.15) / 12.0;
    }
    let mut out = Vec::with_capacity(poa.len());
    let (mut tmod0, mut sun0) = (293.15f64, 0.0f64);
    for i in 0..poa.len() {
        let tamb = temp_air[i] + 273.15;
        let sun = poa[i] * absorp;
        if f.pvwatts_variant && sun_up.is_some_and(|u| !u[i]) {
            // the Sun down: PVWatts does not run the model; its state waits for the morning
            out.push(temp_air[i]);
            continue;
        }
        if f.pvwatts_variant && (poa[i].is_nan() || poa[i] <= 0.0) {
            // no sun: the module at air temperature, nothing absorbed
            out.push(if poa[i].is_nan() {
                f64::NAN
            } else {
                temp_air[i]
            });
            tmod0 = tamb;
            sun0 = 0.0;
            continue;
        }
        let windmod = wind[i] * (f.module_height / f.wind_height).powf(0.2) + 1e-4;
        let tsky = 0.68 * (0.0552 * tamb.powf(1.5)) + 0.32 * tamb;
        let mut tmod = tmod0;
        for _ in 0..10 {
            let tave = (tmod + tamb) / 2.0;
            let hconv =
                convrat * fuentes_hconv(tave, windmod, (tmod - tamb).abs(), xlen, sin_tilt, true);
            let hsky = emiss * BOLTZ * (tmod * tmod + tsky * tsky) * (tmod + tsky);
            let tground = tamb + tgrat * (tmod - tamb);
            let hground = emiss * BOLTZ * (tmod * tmod + tground * tground) * (tmod + tground);
            let eigen = -(hconv + hsky + hground) / cap * hours[i] * 3600.0;
            let ex = if eigen > -10.0 { eigen.exp() } else { 0.0 };
            tmod = tmod0 * ex
                + ((1.0 - ex)
                    * (hconv * tamb
                        + hsky * tsky
                        + hground * tground
                        + sun0
                        + (sun - sun0) / eigen)
                    + sun
                    - sun0)
                    / (hconv + hsky + hground);
        }
        out.push(tmod - 273.15);
        tmod0 = tmod;
        sun0 = sun;
    }
    out
}
