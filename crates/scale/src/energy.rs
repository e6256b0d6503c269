//! The energy of a run: the tasks' energy reports summed, in total, by node and by method.
//!
//! Each task's figure is its own process's share of its node's measured energy (or a model
//! estimate, labelled so): the sums add those shares. The band of a sum adds the tasks'
//! bands (their errors are treated as fully correlated: the same counter or model on every
//! node), so it is never narrower than the widest task's.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::ScaleError;
use terrawatt_meter::EnergyReport;

/// One task's energy, as read from its report.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEnergy {
    pub task_id: usize,
    pub node: String,
    pub method: String,
    pub estimate: bool,
    /// Energy × PUE, J (what the carbon is computed on).
    pub joules: f64,
    pub it_joules: f64,
    pub joules_low: f64,
    pub joules_high: f64,
    pub co2e_g: f64,
    pub wall_s: f64,
    pub cpu_s: f64,
}

impl TaskEnergy {
    /// From a task report: its `energy` record read as the meter's typed
    /// [`EnergyReport`] (what the task wrote, through the same serde types), and the node
    /// from `results.placement`. An error says what is missing or wrong.
    pub fn of_report(task_id: usize, report: &Value) -> Result<TaskEnergy, ScaleError> {
        let e = &report["energy"];
        if e.is_null() {
            return Err(ScaleError::Report(
                "the report has no energy figure (no 'energy' record)".into(),
            ));
        }
        let e: EnergyReport = serde_json::from_value(e.clone()).map_err(|err| {
            ScaleError::Report(format!(
                "the report's energy record is not whole: no energy figure ({err})"
            ))
        })?;
        let f = &e.footprint;
        Ok(TaskEnergy {
            task_id,
            node: report["results"]["placement"]["node"]
                .as_str()
                .unwrap_or("unknown")
                .to_string(),
            method: f.method.to_string(),
            estimate: f.estimate,
            joules: f.joules,
            it_joules: f.it_joules,
            joules_low: f.joules_low,
            joules_high: f.joules_high,
            co2e_g: f.co2e_g,
            wall_s: e.span.wall_s,
            cpu_s: e.span.cpu_s(),
        })
    }
}

/// A sum over some tasks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sum {
    pub tasks: usize,
    pub joules: f64,
    pub it_joules: f64,
    pub wh: f64,
    pub joules_low: f64,
    pub joules_high: f64,
    pub co2e_g: f64,
    pub wall_s: f64,
    pub cpu_s: f64,
}

impl Sum {
    fn add(&mut self, t: &TaskEnergy) {
        self.tasks += 1;
        self.joules += t.joules;
        self.it_joules += t.it_joules;
        self.wh = self.joules / 3600.0;
        self.joules_low += t.joules_low;
        self.joules_high += t.joules_high;
        self.co2e_g += t.co2e_g;
        self.wall_s += t.wall_s;
        self.cpu_s += t.cpu_s;
    }
}

/// The run's energy.
#[derive(Debug, Clone, Serialize)]
pub struct RunEnergy {
    pub total: Sum,
    pub by_node: BTreeMap<String, Sum>,
    pub by_method: BTreeMap<String, Sum>,
    /// True when any task's figure is a model estimate.
    pub includes_estimates: bool,
    /// Failed attempts (their reports under reports/failed), summed apart.
    pub failed_attempts: Sum,
    pub tasks: Vec<TaskEnergy>,
}

/// Sums the tasks (in task order) and the failed attempts.
pub fn sum(tasks: Vec<TaskEnergy>, failed: &[TaskEnergy]) -> RunEnergy {
    let mut total = Sum::default();
    let mut by_node: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_method: BTreeMap<String, Sum> = BTreeMap::new();
    for t in &tasks {
        total.add(t);
        by_node.entry(t.node.clone()).or_default().add(t);
        by_method.entry(t.method.clone()).or_default().add(t);
    }
    let mut failed_attempts = Sum::default();
    for t in failed {
        failed_attempts.add(t);
    }
    RunEnergy {
        includes_estimates: tasks.iter().any(|t| t.estimate),
        total,
        by_node,
        by_method,
        failed_attempts,
        tasks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task report whose energy record is a real one, its figures set to `j` and `method`.
    fn report(node: &str, method: &str, j: f64) -> Value {
        use terrawatt_meter::{Meter, MeterConfig, Method};
        let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
        let mut r = EnergyReport::new(
            &meter,
            meter.span("task").finish(),
            Default::default(),
            None,
        );
        let f = &mut r.footprint;
        f.method = if method == "model" {
            Method::Model
        } else {
            Method::Rapl
        };
        f.estimate = method == "model";
        (f.joules, f.it_joules, f.joules_low, f.joules_high) = (j, j, 0.9 * j, 1.1 * j);
        f.co2e_g = j / 3.6e6 * 400.0;
        (r.span.wall_s, r.span.cpu_user_s, r.span.cpu_system_s) = (1.0, 0.5, 0.25);
        serde_json::json!({
            "results": {"placement": {"node": node}},
            "energy": r,
        })
    }

    #[test]
    fn sums_by_node_and_method() {
        let t: Vec<TaskEnergy> = [
            ("n1", "rapl", 10.0),
            ("n2", "rapl", 20.0),
            ("n1", "model", 5.0),
        ]
        .iter()
        .enumerate()
        .map(|(i, (n, m, j))| TaskEnergy::of_report(i, &report(n, m, *j)).unwrap())
        .collect();
        let r = sum(t, &[]);
        assert_eq!(r.total.joules, 35.0);
        assert_eq!(r.by_node["n1"].joules, 15.0);
        assert_eq!(r.by_node["n2"].tasks, 1);
        assert_eq!(r.by_method["model"].joules, 5.0);
        assert!(r.includes_estimates);
        assert!((r.total.joules_high - 38.5).abs() < 1e-12);
        assert_eq!(r.total.cpu_s, 2.25);
    }

    #[test]
    fn a_report_without_energy_is_named() {
        let e = TaskEnergy::of_report(0, &serde_json::json!({"energy": {}})).unwrap_err();
        assert!(e.to_string().contains("no energy figure"), "{e}");
        let e = TaskEnergy::of_report(0, &serde_json::json!({"results": {}})).unwrap_err();
        assert!(e.to_string().contains("no energy figure"), "{e}");
    }
}
