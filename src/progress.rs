//! Progress of a run on stderr.
//!
//! On a terminal: an indicatif bar with cases done, differing, errors and
//! the ETA; each case that is not at parity is printed above it. When stderr
//! is not a terminal, or `CI=true`: plain lines, one per case that is not at
//! parity and one every 10% of the cases, so CI logs stay short and greppable.
//!
//! ```no_run
//! # fn results() -> Vec<edgeparity::model::CaseResult> { Vec::new() }
//! let cases = results();
//! let mut p = edgeparity::progress::Progress::new(cases.len(), false);
//! for r in &cases {
//!     p.case_done(r);
//! }
//! p.finish();
//! ```

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::model::{CaseResult, Verdict};

enum Mode {
    Bar(indicatif::ProgressBar),
    Lines {
        out: Box<dyn Write + Send>,
        /// The next tenth (1..=10) to print a line at.
        next_tenth: usize,
    },
}

pub struct Progress {
    total: usize,
    done: usize,
    differing: usize,
    errors: usize,
    started: Instant,
    mode: Mode,
}

impl Progress {
    /// A bar on a terminal; plain lines on stderr otherwise or under CI.
    pub fn new(total: usize, ci: bool) -> Progress {
        if std::io::stderr().is_terminal() && !ci {
            Progress::bar(total)
        } else {
            Progress::lines(total, Box::new(std::io::stderr()))
        }
    }

    /// Plain lines into `out` (what CI logs get).
    pub fn lines(total: usize, out: Box<dyn Write + Send>) -> Progress {
        Progress::with_mode(total, Mode::Lines { out, next_tenth: 1 })
    }

    fn bar(total: usize) -> Progress {
        let bar = indicatif::ProgressBar::new(total as u64);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} cases · {msg} · ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("0 differing, 0 errors");
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::with_mode(total, Mode::Bar(bar))
    }

    fn with_mode(total: usize, mode: Mode) -> Progress {
        Progress {
            total,
            done: 0,
            differing: 0,
            errors: 0,
            started: Instant::now(),
            mode,
        }
    }

    /// Count one finished case.
    pub fn case_done(&mut self, r: &CaseResult) {
        self.done += 1;
        match r.verdict {
            Verdict::Differs | Verdict::Flaky => self.differing += 1,
            Verdict::Error | Verdict::NoGolden => self.errors += 1,
            Verdict::Parity => {}
        }
        let line = (r.verdict != Verdict::Parity).then(|| {
            format!(
                "[{}/{}] {:<9} {}",
                self.done,
                self.total,
                r.verdict.as_str(),
                r.id
            )
        });
        let counts = self.counts();
        let eta = self.eta();
        match &mut self.mode {
            Mode::Bar(bar) => {
                if let Some(line) = line {
                    bar.println(line);
                }
                bar.set_message(counts);
                bar.inc(1);
            }
            Mode::Lines { out, next_tenth } => {
                if let Some(line) = line {
                    let _ = writeln!(out, "{line}");
                }
                let total = self.total.max(1);
                let mut reached = None;
                while *next_tenth <= 10 && self.done * 10 >= *next_tenth * total {
                    reached = Some(*next_tenth);
                    *next_tenth += 1;
                }
                if let Some(tenth) = reached {
                    let eta = if self.done < self.total {
                        format!(", ETA {}s", eta.as_secs())
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "progress: {}% ({}/{} cases, {counts}{eta})",
                        tenth * 10,
                        self.done,
                        self.total
                    );
                }
            }
        }
    }

    fn counts(&self) -> String {
        format!(
            "{} differing, {} error{}",
            self.differing,
            self.errors,
            if self.errors == 1 { "" } else { "s" }
        )
    }

    fn eta(&self) -> Duration {
        if self.done == 0 {
            return Duration::ZERO;
        }
        let per = self.started.elapsed() / self.done as u32;
        per * (self.total.saturating_sub(self.done)) as u32
    }

    /// Clear the bar (the run's summary follows) or flush the lines.
    pub fn finish(self) {
        match self.mode {
            Mode::Bar(bar) => bar.finish_and_clear(),
            Mode::Lines { mut out, .. } => {
                let _ = out.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn case(i: usize, verdict: Verdict) -> CaseResult {
        serde_json::from_value(serde_json::json!({
            "id": format!("s::c{i}"), "suite": "s", "name": format!("c{i}"),
            "verdict": verdict, "differences": [], "error": null,
            "failures": [], "responses": [], "probes": {}
        }))
        .unwrap()
    }

    #[test]
    fn plain_lines_per_non_parity_case_and_every_tenth() {
        let buf = Buf::default();
        let mut p = Progress::lines(20, Box::new(buf.clone()));
        for i in 0..20 {
            let v = match i {
                3 => Verdict::Differs,
                7 => Verdict::Error,
                _ => Verdict::Parity,
            };
            p.case_done(&case(i, v));
        }
        p.finish();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 12, "{text}");
        assert_eq!(lines[1], "[4/20] differs   s::c3");
        assert!(lines.contains(&"[8/20] error     s::c7"), "{text}");
        assert!(
            lines[0].starts_with("progress: 10% (2/20 cases, 0 differing, 0 errors, ETA"),
            "{text}"
        );
        assert_eq!(
            lines[11],
            "progress: 100% (20/20 cases, 1 differing, 1 error)"
        );
    }

    #[test]
    fn few_cases_still_reach_100_percent_once() {
        let buf = Buf::default();
        let mut p = Progress::lines(3, Box::new(buf.clone()));
        for i in 0..3 {
            p.case_done(&case(i, Verdict::Parity));
        }
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("progress:").count(), 3, "{text}");
        assert!(text.ends_with("progress: 100% (3/3 cases, 0 differing, 0 errors)\n"));
    }
}
