//! Percentile-distribution plots (SVG), so a person can look instead of read.
//!
//! What holds: the x axis is the percentile on the "nines" scale
//! (`log10(1 / (1 - p))`: 50, 90, 99, 99.9, 99.99 evenly spaced from 90 on,
//! as HdrHistogram plots them), with the maximum drawn one step to the right
//! and labelled `max`; the y axis is latency in microseconds on a log scale,
//! shared by every panel of a figure so panels compare at a glance. One line
//! per series, with a legend; one panel per group (profile, rate, ...).
//!
//! What it must never do: need anything from the system to build or render
//! (plotters' SVG backend only: text is written as SVG `<text>` elements and
//! laid out by the viewer, no font files are read).

use crate::latency::{Percentiles, PERCENTILES};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// One line: a label and its percentiles. Series with the same `key` get
/// the same colour in every panel of a figure.
#[derive(Clone, Debug)]
pub struct Series {
    pub key: String,
    pub label: String,
    pub pcts: Percentiles,
}

/// One chart of a figure.
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

/// Where the maximum is drawn on the x axis.
const X_MAX: f64 = 5.0;

/// `log10(1 / (1 - p/100))`.
pub fn nines(p: f64) -> f64 {
    (1.0 / (1.0 - p / 100.0)).log10()
}

/// The points of a series: the five percentiles, then the maximum at `X_MAX`.
fn points(p: &Percentiles) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = PERCENTILES
        .iter()
        .zip(p.at.iter())
        .map(|((pct, _), ns)| (nines(*pct), *ns as f64 / 1000.0))
        .collect();
    v.push((X_MAX, p.max_ns as f64 / 1000.0));
    v
}

/// The x axis: key points exactly at the plotted percentiles.
struct NinesAxis;

impl Ranged for NinesAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = self.range();
        let f = (v - r.start) / (r.end - r.start);
        limit.0 + (f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() || hint.max_num_points() < 6 {
            return Vec::new();
        }
        let mut v: Vec<f64> = PERCENTILES.iter().map(|(p, _)| nines(*p)).collect();
        v.push(X_MAX);
        v
    }

    fn range(&self) -> Range<f64> {
        0.15..X_MAX + 0.15
    }
}

impl ValueFormatter<f64> for NinesAxis {
    fn format_ext(&self, v: &f64) -> String {
        x_label(*v)
    }
}

fn x_label(x: f64) -> String {
    if (x - X_MAX).abs() < 1e-6 {
        return "max".into();
    }
    for (p, _) in PERCENTILES {
        if (nines(p) - x).abs() < 1e-6 {
            return format!("{p}");
        }
    }
    String::new()
}

/// A tick of the y axis, in microseconds: `0.5`, `20`, `1,000`, `250,000`.
fn y_label(us: f64) -> String {
    if us < 10.0 {
        let s = format!("{us:.2}");
        return s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    crate::summary::group_int(us.round() as i128)
}

const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i` (the same label gets the same colour in every
/// panel when callers keep the order).
pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// Rows and columns for `n` panels.
fn grid(n: usize) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 => (1, 2),
        3 | 4 => (2, 2),
        5 | 6 => (2, 3),
        n => (n.div_ceil(3), 3),
    }
}

/// Writes the figure as an SVG file.
pub fn write_svg(path: &Path, title: &str, panels: &[Panel]) -> Result<(), String> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let (rows, cols) = grid(panels.len());
    let (w, h) = (620 * cols as u32, 40 + 440 * rows as u32);
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    draw(&root, title, panels, rows, cols).map_err(|e| format!("plot {}: {e}", path.display()))?;
    root.present()
        .map_err(|e| format!("plot {}: {e}", path.display()))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The corner of a panel where the legend hides the fewest points: the
/// first of lower right, upper left, lower left, upper right that is empty
/// (a legend covers about the outer 40% of the width and, per line, 6% of
/// the height), else the one with the fewest points under it.
fn legend_corner(panel: &Panel, y: &Range<f64>, lines: usize) -> SeriesLabelPosition {
    let (lo, hi) = (y.start.ln(), y.end.ln());
    let h = (0.08 + 0.06 * lines as f64).min(0.9);
    let pts: Vec<(f64, f64)> = panel
        .series
        .iter()
        .flat_map(|s| points(&s.pcts))
        .filter(|(_, v)| *v > 0.0)
        .map(|(x, v)| (x / X_MAX, (v.ln() - lo) / (hi - lo)))
        .collect();
    let count = |right: bool, top: bool| {
        pts.iter()
            .filter(|(x, y)| {
                let in_x = if right { *x >= 0.55 } else { *x <= 0.45 };
                let in_y = if top { *y >= 1.0 - h } else { *y <= h };
                in_x && in_y
            })
            .count()
    };
    let corners = [
        (SeriesLabelPosition::LowerRight, count(true, false)),
        (SeriesLabelPosition::UpperLeft, count(false, true)),
        (SeriesLabelPosition::LowerLeft, count(false, false)),
        (SeriesLabelPosition::UpperRight, count(true, true)),
    ];
    let best = corners.iter().map(|c| c.1).min().unwrap_or(0);
    corners
        .into_iter()
        .find(|c| c.1 == best)
        .map(|c| c.0)
        .unwrap_or(SeriesLabelPosition::LowerRight)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    panels: &[Panel],
    rows: usize,
    cols: usize,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let body = root.titled(title, ("sans-serif", 22))?;
    // One y range for all panels.
    let (mut lo, mut hi) = (f64::MAX, 0f64);
    for s in panels.iter().flat_map(|p| p.series.iter()) {
        for (_, y) in points(&s.pcts) {
            if y > 0.0 {
                lo = lo.min(y);
                hi = hi.max(y);
            }
        }
    }
    if hi <= 0.0 {
        (lo, hi) = (1.0, 10.0);
    }
    let y_range = (lo / 1.6).max(0.01)..hi * 1.6;
    // Colours by key, in order of first appearance.
    let mut keys: Vec<&str> = Vec::new();
    for s in panels.iter().flat_map(|p| p.series.iter()) {
        if !keys.contains(&s.key.as_str()) {
            keys.push(&s.key);
        }
    }
    for (panel, area) in panels.iter().zip(body.split_evenly((rows, cols))) {
        let mut chart = ChartBuilder::on(&area)
            .caption(&panel.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(NinesAxis, y_range.clone().log_scale())?;
        chart
            .configure_mesh()
            .x_desc("percentile (%)")
            .y_desc("latency (µs, log scale)")
            .x_label_formatter(&|x| x_label(*x))
            .y_label_formatter(&|y| y_label(*y))
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for s in &panel.series {
            let c = color(keys.iter().position(|k| *k == s.key).unwrap_or(0));
            let pts: Vec<(f64, f64)> = points(&s.pcts)
                .into_iter()
                .filter(|(_, y)| *y > 0.0)
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(legend_corner(panel, &y_range, panel.series.len()))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 13))
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nines_scale() {
        assert!((nines(90.0) - 1.0).abs() < 1e-9);
        assert!((nines(99.99) - 4.0).abs() < 1e-9);
        assert_eq!(x_label(nines(99.9)), "99.9");
        assert_eq!(x_label(X_MAX), "max");
        assert_eq!(y_label(2500.0), "2,500");
        assert_eq!(y_label(12.0), "12");
        assert_eq!(y_label(0.5), "0.5");
    }

    #[test]
    fn writes_an_svg_with_title_axes_and_legend() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.svg");
        let pcts = Percentiles {
            count: 10,
            at: [1_000, 2_000, 5_000, 9_000, 20_000],
            max_ns: 40_000,
            mean_ns: 1500.0,
        };
        let panels = vec![Panel {
            title: "default".into(),
            series: vec![Series {
                key: "a".into(),
                label: "1M/s".into(),
                pcts,
            }],
        }];
        write_svg(&path, "test figure", &panels).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for needle in [
            "test figure",
            "percentile (%)",
            "latency",
            "1M/s",
            "99.99",
            "max",
        ] {
            assert!(svg.contains(needle), "{needle} missing");
        }
    }
}
