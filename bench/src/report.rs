//! The comparison: for each scenario, each server's median over the runs,
//! and this server's ratio to each other server.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::scenario::Measured;

/// One run of one scenario against one server, as `loadgen` writes it (one
/// JSON object per line).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// The server's name: `ours`, `socketioxide`, `node` or `bare`.
    pub server: String,
    /// The scenario's name.
    pub scenario: String,
    /// Which run (1, 2, 3...).
    pub run: u32,
    /// What it measured.
    pub measured: Measured,
}

/// The server whose ratios the report gives.
pub const OURS: &str = "ours";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The medians of one scenario on one server.
#[derive(Debug, Clone, Copy)]
struct Medians {
    cpu_us: f64,
    user_us: f64,
    ops_per_s: f64,
    p99_ms: Option<f64>,
    kib_per_conn: Option<f64>,
    /// Out-of-order deliveries over all runs, as a share of deliveries.
    out_of_order: f64,
}

fn medians(records: &[&Record]) -> Medians {
    let of = |f: &dyn Fn(&Measured) -> Option<f64>| {
        let values: Vec<f64> = records.iter().filter_map(|r| f(&r.measured)).collect();
        (!values.is_empty()).then(|| median(values))
    };
    Medians {
        cpu_us: of(&|m| Some(m.cpu_us_per_op())).unwrap_or(f64::NAN),
        user_us: of(&|m| Some(m.user_us_per_op())).unwrap_or(f64::NAN),
        ops_per_s: of(&|m| Some(m.ops_per_s())).unwrap_or(f64::NAN),
        p99_ms: of(&|m| m.p99_ms),
        kib_per_conn: of(&|m| m.rss_kib_per_conn),
        out_of_order: records.iter().map(|r| r.measured.out_of_order).sum::<u64>() as f64
            / records.iter().map(|r| r.measured.ops).sum::<u64>().max(1) as f64,
    }
}

/// The table, in Markdown: per scenario and server, the median server CPU
/// per operation (or KiB per connection for memory scenarios), throughput
/// and p99 where measured, and this server's ratio to each of the others
/// (below 1 means this server spends less).
pub fn table(records: &[Record]) -> String {
    let mut by: BTreeMap<(&str, &str), Vec<&Record>> = BTreeMap::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for record in records {
        if !scenarios.contains(&record.scenario.as_str()) {
            scenarios.push(&record.scenario);
        }
        by.entry((record.scenario.as_str(), record.server.as_str()))
            .or_default()
            .push(record);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | server | runs | server CPU µs/op (or KiB/conn) | of which user | ops/s | p99 ms | out of order | ours ÷ this (user) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for scenario in scenarios {
        let ours = by.get(&(scenario, OURS)).map(|r| medians(r));
        for ((s, server), runs) in by.range((scenario, "")..) {
            if *s != scenario {
                break;
            }
            let m = medians(runs);
            let (figure, ours_figure) = match m.kib_per_conn {
                Some(kib) => (kib, ours.and_then(|o| o.kib_per_conn)),
                None => (m.cpu_us, ours.map(|o| o.cpu_us)),
            };
            let ratio = match (ours, ours_figure) {
                (Some(o), Some(of)) if *server != OURS => match m.kib_per_conn {
                    Some(_) => format!("{:.2}x", of / figure),
                    None => format!("{:.2}x ({:.2}x)", of / figure, o.user_us / m.user_us),
                },
                _ => "-".to_owned(),
            };
            let user = match m.kib_per_conn {
                Some(_) => "-".to_owned(),
                None => format!("{:.2}", m.user_us),
            };
            let p99 = m.p99_ms.map_or("-".to_owned(), |p| format!("{p:.1}"));
            let _ = writeln!(
                out,
                "| {scenario} | {server} | {} | {figure:.2} | {user} | {:.0} | {p99} | {:.1}% | {ratio} |",
                runs.len(),
                m.ops_per_s,
                m.out_of_order * 100.0
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(server: &str, scenario: &str, cpu_s: f64) -> Record {
        let user_s = cpu_s / 2.0;
        Record {
            server: server.to_owned(),
            scenario: scenario.to_owned(),
            run: 1,
            measured: Measured {
                ops: 1_000_000,
                wall_s: 1.0,
                cpu_s,
                user_s,
                ..Measured::default()
            },
        }
    }

    #[test]
    fn ratios_are_ours_over_theirs_from_medians() {
        let records = vec![
            record("ours", "echo", 1.0),
            record("ours", "echo", 3.0),
            record("ours", "echo", 2.0),
            record("node", "echo", 8.0),
        ];
        let table = table(&records);
        assert!(table.contains("| echo | ours | 3 | 2.00 |"), "{table}");
        assert!(
            table
                .contains("| echo | node | 1 | 8.00 | 4.00 | 1000000 | - | 0.0% | 0.25x (0.25x) |"),
            "{table}"
        );
    }
}
