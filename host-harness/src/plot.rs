//! PNG plots with `plotters` (bitmap backend, pure Rust): training curves, the confusion matrix,
//! a grid of misclassified digits, and the loss curves of a sweep.
//!
//! Text is rendered with `ab_glyph` from a TrueType font found at run time
//! (`$STACKNN_FONT`, else DejaVu Sans or Liberation Sans in the usual Debian locations). Without
//! a font the plots are drawn without text.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::idx::{Dataset, SIDE};
use crate::train::History;

const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Registers a font for plot text once; `true` if one was found.
pub fn font_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let env = std::env::var("STACKNN_FONT").ok();
        let candidates = env
            .iter()
            .map(String::as_str)
            .chain(FONT_PATHS.iter().copied());
        for p in candidates {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn err<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> anyhow::Error + '_ {
    move |e| anyhow!("drawing {}: {e}", path.display())
}

/// Loss (train and test, left) and test accuracy (right) per epoch, plus the per-step training
/// loss, from a run's history.
pub fn curves(h: &History, path: &Path) -> Result<()> {
    let text = font_available();
    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let (left, right) = root.split_horizontally(600);
    let steps_per_epoch = h
        .epochs
        .first()
        .map_or(1.0, |r| r.iterations as f64 / r.epoch.max(1e-9));
    let it: Vec<(f64, f64)> = h
        .iteration_loss
        .iter()
        .enumerate()
        .map(|(i, &l)| ((i + 1) as f64 / steps_per_epoch, l as f64))
        .filter(|p| p.1.is_finite())
        .collect();
    let max_epoch = h.epochs.last().map_or(1.0, |r| r.epoch).max(1e-3);
    let ymax = it
        .iter()
        .map(|p| p.1)
        .chain(h.epochs.iter().map(|r| r.test_loss))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-6);
    {
        let mut b = ChartBuilder::on(&left);
        b.margin(15);
        if text {
            b.caption("loss", ("sans-serif", 22))
                .x_label_area_size(35)
                .y_label_area_size(55);
        }
        let mut chart = b
            .build_cartesian_2d(0.0..max_epoch, 0.0..ymax * 1.05)
            .map_err(err(path))?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc("epoch");
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(err(path))?;
        chart
            .draw_series(LineSeries::new(it, RGBColor(170, 200, 235)))
            .map_err(err(path))?
            .label("train loss per step")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RGBColor(170, 200, 235)));
        chart
            .draw_series(LineSeries::new(
                h.epochs.iter().map(|r| (r.epoch, r.train_loss)),
                BLUE.stroke_width(2),
            ))
            .map_err(err(path))?
            .label("train loss (epoch mean)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(LineSeries::new(
                h.epochs.iter().map(|r| (r.epoch, r.test_loss)),
                RED.stroke_width(2),
            ))
            .map_err(err(path))?
            .label("test loss")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        if text {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(err(path))?;
        }
    }
    {
        let accs: Vec<f64> = h.epochs.iter().map(|r| 100.0 * r.test_accuracy).collect();
        let lo = accs
            .iter()
            .copied()
            .fold(100.0f64, f64::min)
            .clamp(0.0, 90.0);
        let mut b = ChartBuilder::on(&right);
        b.margin(15);
        if text {
            b.caption("test accuracy (%)", ("sans-serif", 22))
                .x_label_area_size(35)
                .y_label_area_size(55);
        }
        let mut chart = b
            .build_cartesian_2d(0.0..max_epoch, lo..100.0)
            .map_err(err(path))?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc("epoch");
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(err(path))?;
        chart
            .draw_series(LineSeries::new(
                h.epochs.iter().map(|r| (r.epoch, 100.0 * r.test_accuracy)),
                GREEN.stroke_width(2),
            ))
            .map_err(err(path))?;
        chart
            .draw_series(
                h.epochs
                    .iter()
                    .map(|r| Circle::new((r.epoch, 100.0 * r.test_accuracy), 3, GREEN.filled())),
            )
            .map_err(err(path))?;
    }
    root.present().map_err(err(path))?;
    Ok(())
}

/// The confusion matrix as a heat map (rows: true class, columns: predicted), with counts.
pub fn confusion(m: &[Vec<u32>], path: &Path) -> Result<()> {
    let text = font_available();
    let cell = 56i32;
    let pad = 50i32;
    let side = (pad + 10 * cell + 20) as u32;
    let root = BitMapBackend::new(path, (side, side + 30)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let max = m
        .iter()
        .flatten()
        .enumerate()
        .filter(|(i, _)| i / 10 != i % 10)
        .map(|(_, &v)| v)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for (t, row) in m.iter().enumerate() {
        let total: u32 = row.iter().sum::<u32>().max(1);
        for (p, &v) in row.iter().enumerate() {
            let (x, y) = (pad + p as i32 * cell, pad + t as i32 * cell);
            let color = if t == p {
                let s = v as f64 / total as f64;
                RGBColor(
                    (255.0 - 200.0 * s) as u8,
                    (255.0 - 60.0 * s) as u8,
                    (255.0 - 200.0 * s) as u8,
                )
            } else {
                let s = (v as f64 / max).sqrt();
                RGBColor(255, (255.0 - 200.0 * s) as u8, (255.0 - 200.0 * s) as u8)
            };
            root.draw(&Rectangle::new(
                [(x, y), (x + cell - 2, y + cell - 2)],
                color.filled(),
            ))
            .map_err(err(path))?;
            if text {
                root.draw(&Text::new(
                    v.to_string(),
                    (x + 6, y + cell / 2 - 8),
                    ("sans-serif", 15),
                ))
                .map_err(err(path))?;
            }
        }
        if text {
            root.draw(&Text::new(
                t.to_string(),
                (pad - 20, pad + t as i32 * cell + cell / 2 - 8),
                ("sans-serif", 17),
            ))
            .map_err(err(path))?;
            root.draw(&Text::new(
                t.to_string(),
                (pad + t as i32 * cell + cell / 2 - 5, pad - 24),
                ("sans-serif", 17),
            ))
            .map_err(err(path))?;
        }
    }
    if text {
        root.draw(&Text::new(
            "rows: true digit, columns: predicted",
            (pad, pad + 10 * cell + 8),
            ("sans-serif", 17),
        ))
        .map_err(err(path))?;
    }
    root.present().map_err(err(path))?;
    Ok(())
}

/// A grid of up to 100 misclassified test digits, each captioned `predicted/true`.
pub fn misclassified(test: &Dataset, wrong: &[(usize, u8, u8)], path: &Path) -> Result<()> {
    let text = font_available();
    let cols = 10usize;
    let shown = wrong.len().min(100);
    let rows = shown.div_ceil(cols).max(1);
    let scale = 3i32;
    let cell_w = SIDE as i32 * scale + 10;
    let cell_h = SIDE as i32 * scale + 26;
    let root = BitMapBackend::new(
        path,
        ((cols as i32 * cell_w) as u32, (rows as i32 * cell_h) as u32),
    )
    .into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    for (k, &(i, pred, truth)) in wrong.iter().take(shown).enumerate() {
        let (cx, cy) = (
            (k % cols) as i32 * cell_w + 5,
            (k / cols) as i32 * cell_h + 4,
        );
        let px = &test.pixels[i];
        for r in 0..SIDE {
            for c in 0..SIDE {
                let v = 255 - px[r * SIDE + c];
                let (x, y) = (cx + c as i32 * scale, cy + r as i32 * scale);
                root.draw(&Rectangle::new(
                    [(x, y), (x + scale, y + scale)],
                    RGBColor(v, v, v).filled(),
                ))
                .map_err(err(path))?;
            }
        }
        if text {
            root.draw(&Text::new(
                format!("{pred} (true {truth})"),
                (cx, cy + SIDE as i32 * scale + 2),
                ("sans-serif", 15).into_font().color(&RED),
            ))
            .map_err(err(path))?;
        }
    }
    root.present().map_err(err(path))?;
    Ok(())
}

/// Per-step training loss of several runs on one chart (smoothed by a moving mean of 50 steps,
/// log scale), one colour per run.
pub fn loss_curves(runs: &[(String, Vec<f32>)], title: &str, path: &Path) -> Result<()> {
    let text = font_available();
    let window = 50usize;
    let smooth: Vec<(String, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|(n, l)| {
            let mut pts = Vec::new();
            let mut sum = 0.0f64;
            for (i, &v) in l.iter().enumerate() {
                sum += v as f64;
                if i >= window {
                    sum -= l[i - window] as f64;
                }
                let k = (i + 1).min(window) as f64;
                let m = sum / k;
                if m.is_finite() && m > 0.0 {
                    pts.push(((i + 1) as f64, m));
                }
            }
            (n.clone(), pts)
        })
        .collect();
    let xmax = smooth
        .iter()
        .flat_map(|(_, p)| p.last().map(|q| q.0))
        .fold(1.0f64, f64::max);
    let all = || smooth.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
    let ymin = all().fold(f64::INFINITY, f64::min).max(1e-4);
    // Diverging runs are clipped at the top: the scale follows the runs that train.
    let ymax = all().fold(0.0f64, f64::max).min(10.0).max(ymin * 10.0);
    let root = BitMapBackend::new(path, (1200, 750)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let mut b = ChartBuilder::on(&root);
    b.margin(15);
    if text {
        b.caption(title, ("sans-serif", 24))
            .x_label_area_size(40)
            .y_label_area_size(60);
    }
    let mut chart = b
        .build_cartesian_2d(0.0..xmax, (ymin * 0.9..ymax * 1.1).log_scale())
        .map_err(err(path))?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("step")
            .y_desc("training loss (moving mean of 50 steps)");
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(err(path))?;
    for (k, (name, pts)) in smooth.into_iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(err(path))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3)));
    }
    if text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err(path))?;
    }
    root.present().map_err(err(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EpochRecord, TrainConfig};

    #[test]
    fn writes_pngs() {
        let dir = tempfile::tempdir().unwrap();
        let h = History {
            config: TrainConfig::default(),
            lr: 1e-3,
            epochs: (1..=3)
                .map(|e| EpochRecord {
                    epoch: e as f64,
                    iterations: 10 * e,
                    train_loss: 1.0 / e as f64,
                    test_loss: 1.1 / e as f64,
                    test_accuracy: 0.9 + 0.02 * e as f64,
                    seconds: e as f64,
                })
                .collect(),
            iteration_loss: (1..=30).map(|i| 1.0 / i as f32).collect(),
            stopped: None,
            seconds: 3.0,
        };
        let p = dir.path().join("c.png");
        curves(&h, &p).unwrap();
        let mut m = vec![vec![0u32; 10]; 10];
        m[3][5] = 4;
        m[1][1] = 90;
        confusion(&m, &dir.path().join("m.png")).unwrap();
        let d = Dataset {
            pixels: vec![[100u8; 784]; 3],
            labels: vec![1, 2, 3],
        };
        misclassified(&d, &[(0, 7, 1), (2, 5, 3)], &dir.path().join("w.png")).unwrap();
        loss_curves(
            &[
                ("a".into(), vec![1.0, 0.5, 0.25]),
                ("b".into(), vec![2.0, 1.0]),
            ],
            "t",
            &dir.path().join("l.png"),
        )
        .unwrap();
        for f in ["c.png", "m.png", "w.png", "l.png"] {
            let bytes = std::fs::read(dir.path().join(f)).unwrap();
            assert_eq!(&bytes[1..4], b"PNG", "{f}");
            assert!(bytes.len() > 1000, "{f}");
        }
    }
}
