//! The impact table as text, JSON (`{"version": 1, "namespaces": [...], "totals": {...}}`) and
//! Markdown.

use std::io::Write;

use serde::Serialize;

use super::{Class, Impact};

/// The seed's reference points, printed under the table: a published case measured 30,000
/// lease writes/s at about 150 pods with per-pod leases, against 120 writes/s with one lease
/// per namespace.
const REFERENCE: &str = "reference: a published case measured 30,000 lease writes/s (47 ms fsync queueing) at ~150 \
                         pods with per-pod leases, and 120 writes/s with one lease per namespace";

fn namespace_name(ns: Option<&str>) -> &str {
    ns.unwrap_or("(release namespace)")
}

use crate::k8s::quantity::number as rate;

/// Columns: namespace, Leases per class, total, writes/s, and the same under the policy.
fn table(impact: &Impact) -> Vec<Vec<String>> {
    let mut header = vec!["namespace".to_string()];
    header.extend(Class::ALL.iter().map(|c| c.as_str().to_string()));
    header.extend(["leases", "writes/s", "policy leases", "policy writes/s"].map(String::from));
    // One row: its name, the count per class, then the four figures.
    let row = |name: &str, per_class: &dyn Fn(Class) -> u64, figures: (u64, f64, u64, f64)| {
        let mut row = vec![name.to_string()];
        row.extend(Class::ALL.iter().map(|c| per_class(*c).to_string()));
        row.extend([figures.0.to_string(), rate(figures.1), figures.2.to_string(), rate(figures.3)]);
        row
    };
    let mut rows = vec![header];
    for r in &impact.namespaces {
        let per_class = |c: Class| r.by_class.get(c.as_str()).copied().unwrap_or(0);
        let figures = (r.leases, r.writes_per_second, r.policy_leases, r.policy_writes_per_second);
        rows.push(row(namespace_name(r.namespace.as_deref()), &per_class, figures));
    }
    let t = &impact.totals;
    let total_of = |c: Class| impact.namespaces.iter().map(|r| r.by_class.get(c.as_str()).copied().unwrap_or(0)).sum();
    rows.push(row("total", &total_of, (t.leases, t.writes_per_second, t.policy_leases, t.policy_writes_per_second)));
    rows
}

/// How `report` estimates rates (printed under its table).
pub(crate) const MANIFEST_NOTE: &str =
    "estimated from manifests: renewals every --leader-elect-retry-period, else client-go's 2s";

/// `note`: how the rates were found (printed under the table).
pub(crate) fn render_human(impact: &Impact, note: Option<&str>, out: &mut impl Write) -> std::io::Result<()> {
    let rows = table(impact);
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if i == 0 { format!("{c:<w$}") } else { format!("{c:>w$}") }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    let t = &impact.totals;
    if let Some(note) = note {
        writeln!(out, "\n{note}")?;
    }
    if t.writes_per_second > 0.0 {
        writeln!(
            out,
            "under the namespace lease policy: {} → {} Leases, {} → {} writes/s",
            t.leases,
            t.policy_leases,
            rate(t.writes_per_second),
            rate(t.policy_writes_per_second)
        )?;
    }
    writeln!(out, "{REFERENCE}")
}

pub(crate) fn render_markdown(impact: &Impact, note: Option<&str>, out: &mut impl Write) -> std::io::Result<()> {
    let rows = table(impact);
    writeln!(out, "## Lease impact\n")?;
    for (i, row) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        let cells: Vec<String> = row
            .iter()
            .map(|c| if last { format!("**{}**", c.replace('|', "\\|")) } else { c.replace('|', "\\|") })
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
        if i == 0 {
            writeln!(out, "|---|{}", "---:|".repeat(row.len().saturating_sub(1)))?;
        }
    }
    writeln!(out)?;
    if let Some(note) = note {
        writeln!(out, "{note}.\n")?;
    }
    writeln!(out, "{}", REFERENCE.replacen("reference: ", "Reference: ", 1))
}

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    namespaces: &'a [super::NamespaceRow],
    totals: &'a super::Totals,
}

pub(crate) fn render_json(impact: &Impact, out: &mut impl Write) -> std::io::Result<()> {
    let json = Json { version: 1, namespaces: &impact.namespaces, totals: &impact.totals };
    serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// Namespaces drawn by [`render_svg`] (the largest; the rest are summed in the caption).
const SVG_NAMESPACES: usize = 20;

/// The impact table as an SVG bar chart (plotters' SVG backend): for each namespace, largest
/// first, writes/s now and under the namespace lease policy side by side. Returns the SVG text.
pub(crate) fn render_svg(impact: &Impact, estimated: bool) -> Result<String, String> {
    use plotters::prelude::*;
    let shown: Vec<&super::NamespaceRow> = impact.namespaces.iter().take(SVG_NAMESPACES).collect();
    let n = u32::try_from(shown.len()).unwrap_or(u32::MAX).max(1);
    let top = shown.iter().map(|r| r.writes_per_second.max(r.policy_writes_per_second)).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let width = (160 + 90 * n).max(800);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 440)).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| e.to_string();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let t = &impact.totals;
        let caption = format!(
            "Lease writes/s: {} now, {} under the policy{}",
            rate(t.writes_per_second),
            rate(t.policy_writes_per_second),
            if estimated { " (estimated)" } else { "" }
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(70)
            .y_label_area_size(60)
            // A discrete range holds its end: `0..n-1` is n segments (one needs two points).
            .build_cartesian_2d((0u32..(n - 1).max(1)).into_segmented(), 0f64..top)
            .map_err(|e| err(&e))?;
        let names: Vec<String> = shown.iter().map(|r| namespace_name(r.namespace.as_deref()).to_string()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(shown.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc("writes/s")
            .draw()
            .map_err(|e| err(&e))?;
        let now = RGBColor(0xd6, 0x27, 0x28);
        let policy = RGBColor(0x1f, 0x77, 0xb4);
        // Two bars per namespace, side by side in its segment: now, then under the policy.
        let segments = (n - 1).max(1) + 1;
        let segment_px = f64::from(width.saturating_sub(60 + 24)) / f64::from(segments);
        let px = |share: f64| (segment_px * share).round() as u32;
        let bar = |i: u32, value: f64, left: bool, color: RGBColor| {
            let (x0, x1) = if left { (0.1, 0.49) } else { (0.51, 0.9) };
            let mut r =
                Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), value)], color.filled());
            r.set_margin(0, 0, px(x0), px(1.0 - x1));
            r
        };
        chart
            .draw_series(shown.iter().enumerate().map(|(i, r)| bar(i as u32, r.writes_per_second, true, now)))
            .map_err(|e| err(&e))?
            .label("now")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], now.filled()));
        chart
            .draw_series(
                shown.iter().enumerate().map(|(i, r)| bar(i as u32, r.policy_writes_per_second, false, policy)),
            )
            .map_err(|e| err(&e))?
            .label("under the policy")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], policy.filled()));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
