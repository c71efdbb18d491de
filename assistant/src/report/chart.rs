//! The report's series as an SVG bar chart, drawn on the server: one blue bar per bucket of the
//! current period and, beside it, a grey bar for the bucket at the same position of the period
//! before. Every bar carries its bucket and count (`data-start`, `data-count`) and its height
//! is exactly `count × scale`, so tests (and readers of the source) can check the chart against
//! the series. No scripts, no external fonts or images: it embeds as is in Markdown and HTML.

use std::fmt::Write as _;

use saker_tools::analytics::compare_periods::{BucketCount, ComparePeriodsOutput};

use super::ReconReport;
use super::words::{self, bucket_label};
use crate::conversation::Language;
use crate::markup;

/// Width of the drawing, in SVG units.
pub const WIDTH: f64 = 720.0;
/// Height of the drawing.
pub const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 28.0;
/// Height of the plotting area: a bar of the axis' maximum is this tall.
pub const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;
/// Colour of the current period's bars.
pub const CURRENT_COLOUR: &str = "#2563eb";
/// Colour of the previous period's bars.
pub const PREVIOUS_COLOUR: &str = "#94a3b8";

/// The chart of a report.
pub fn svg(report: &ReconReport) -> String {
    series_svg(&report.figures, report.language, &report.last)
}

/// The top of the value axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (1 for an empty
/// series, so that zero bars stay flat).
pub fn axis_max(max: u64) -> u64 {
    if max == 0 {
        return 1;
    }
    let mut magnitude = 1u64;
    loop {
        for step in [1u64, 2, 5] {
            let candidate = step.saturating_mul(magnitude);
            if candidate >= max {
                return candidate;
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// The height of a bar of `count` on an axis up to `axis`, rounded to hundredths.
pub fn bar_height(count: u64, axis: u64) -> f64 {
    round(count as f64 / axis.max(1) as f64 * PLOT_HEIGHT)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The chart of `figures`' current and previous series.
pub fn series_svg(figures: &ComparePeriodsOutput, language: Language, last: &str) -> String {
    let current = &figures.current.series;
    let previous = &figures.previous.series;
    let buckets = current.len().max(1);
    let max = current.iter().chain(previous.iter()).map(|bucket| bucket.count).max().unwrap_or(0);
    let axis = axis_max(max);
    let word = words::words(language);
    let title = word.chart_title.replace("{period}", &words::period(language, last));
    let description: Vec<String> = current
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let before = previous.get(index).map_or(0, |bucket| bucket.count);
            format!(
                "{} {}: {} {}, {} {}",
                word.column_day,
                bucket_label(&bucket.start, figures.bucket),
                word.column_current,
                bucket.count,
                word.column_previous,
                before
            )
        })
        .collect();

    let mut svg = String::with_capacity(4096);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"saker-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\" font-family=\"system-ui, -apple-system, 'Segoe UI', 'Noto Sans JP', sans-serif\" font-size=\"12\" data-axis-max=\"{axis}\" data-plot-height=\"{PLOT_HEIGHT}\">",
        markup::html(&title)
    );
    let _ =
        write!(svg, "<title>{}</title><desc>{}</desc>", markup::html(&title), markup::html(&description.join("; ")));
    let _ = write!(svg, "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>");

    // Grid and value axis: five lines from 0 to the axis maximum.
    svg.push_str("<g class=\"grid\" stroke=\"#e2e8f0\" fill=\"#475569\">");
    for step in 0..=4u64 {
        let value = axis as f64 * step as f64 / 4.0;
        let y = round(TOP + PLOT_HEIGHT - PLOT_HEIGHT * step as f64 / 4.0);
        let label = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" stroke=\"none\">{label}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    svg.push_str("</g>");

    // Bars: previous (grey) then current (blue) in each bucket's slot.
    let slot = (WIDTH - LEFT - RIGHT) / buckets as f64;
    let bar_width = round(slot * 0.36);
    let label_every = buckets.div_ceil(12).max(1);
    svg.push_str("<g class=\"bars\">");
    for (index, bucket) in current.iter().enumerate() {
        let slot_left = LEFT + slot * index as f64;
        let before = previous.get(index);
        let previous_x = round(slot_left + slot * 0.12);
        let current_x = round(previous_x + bar_width);
        if let Some(before) = before {
            bar(&mut svg, "previous", PREVIOUS_COLOUR, before, previous_x, bar_width, axis, figures, word);
        }
        bar(&mut svg, "current", CURRENT_COLOUR, bucket, current_x, bar_width, axis, figures, word);
        if index % label_every == 0 {
            let _ = write!(
                svg,
                "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#334155\">{}</text>",
                round(slot_left + slot / 2.0),
                HEIGHT - 10.0,
                markup::html(&bucket_label(&bucket.start, figures.bucket))
            );
        }
    }
    svg.push_str("</g>");

    // Legend.
    let _ = write!(
        svg,
        "<g class=\"legend\" fill=\"#334155\"><rect x=\"{LEFT}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{CURRENT_COLOUR}\"/><text x=\"{}\" y=\"18\">{}</text><rect x=\"{}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{PREVIOUS_COLOUR}\"/><text x=\"{}\" y=\"18\">{} ({})</text></g>",
        LEFT + 18.0,
        markup::html(word.current_period),
        LEFT + 200.0,
        LEFT + 218.0,
        markup::html(word.previous_period),
        markup::html(word.legend_previous)
    );
    svg.push_str("</svg>");
    svg
}

#[allow(clippy::too_many_arguments)]
fn bar(
    svg: &mut String,
    period: &str,
    colour: &str,
    bucket: &BucketCount,
    x: f64,
    width: f64,
    axis: u64,
    figures: &ComparePeriodsOutput,
    word: &words::Words,
) {
    let height = bar_height(bucket.count, axis);
    let y = round(TOP + PLOT_HEIGHT - height);
    let period_word = if period == "current" { word.column_current } else { word.column_previous };
    let _ = write!(
        svg,
        "<rect class=\"bar {period}\" data-period=\"{period}\" data-start=\"{}\" data-count=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" fill=\"{colour}\"><title>{} {}: {}</title></rect>",
        markup::html(&bucket.start),
        bucket.count,
        markup::html(period_word),
        markup::html(&bucket_label(&bucket.start, figures.bucket)),
        bucket.count
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_at_a_round_number_at_or_above_the_maximum() {
        assert_eq!(axis_max(0), 1);
        assert_eq!(axis_max(1), 1);
        assert_eq!(axis_max(3), 5);
        assert_eq!(axis_max(12), 20);
        assert_eq!(axis_max(50), 50);
        assert_eq!(axis_max(51), 100);
        assert_eq!(axis_max(u64::MAX), u64::MAX);
    }

    #[test]
    fn bar_heights_are_proportional_to_counts() {
        assert_eq!(bar_height(0, 20), 0.0);
        assert_eq!(bar_height(20, 20), PLOT_HEIGHT);
        assert_eq!(bar_height(10, 20), PLOT_HEIGHT / 2.0);
    }
}
