//! Counting what every test layer ran: passed, failed, and skipped apart, with each skip's
//! reason. A layer that runs fewer tests than its minimum fails the run, so a suite that
//! quietly stops running (a filter, a skipped harness, a lost file) cannot pass unnoticed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shell::{Failure, run_reading};

/// The environment variable naming the file where tests record that they skipped themselves
/// (one `test<TAB>reason` line each). libtest counts such a test as passed; the tally moves
/// it to skipped.
pub const SKIPS_FILE_ENV: &str = "XTASK_SKIPS_FILE";

/// The counts of libtest summary lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Count {
    /// Adds the counts of a libtest summary line such as
    /// `test result: ok. 14 passed; 0 failed; 0 ignored; ...`.
    pub fn add_line(&mut self, line: &str) {
        let Some(summary) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in summary.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(count), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub test: String,
    pub reason: String,
}

/// What one layer ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub name: &'static str,
    pub count: Count,
    pub skips: Vec<Skip>,
    /// Fewer tests than this, run and passed or failed, fails the layer.
    pub minimum: u64,
}

impl Layer {
    pub fn new(name: &'static str, minimum: u64) -> Layer {
        Layer {
            name,
            count: Count::default(),
            skips: Vec::new(),
            minimum,
        }
    }

    pub fn skipped(&self) -> u64 {
        self.skips.len() as u64 + self.count.ignored
    }

    /// Passed and really run: a test that recorded a skip passed only in libtest's eyes.
    pub fn passed(&self) -> u64 {
        self.count.passed.saturating_sub(self.skips.len() as u64)
    }

    pub fn ran(&self) -> u64 {
        self.passed() + self.count.failed
    }

    /// Fails when the layer ran fewer tests than its minimum.
    pub fn check(&self) -> Result<(), Failure> {
        if self.ran() < self.minimum {
            return Err(Failure(format!(
                "the {} layer ran {} tests, fewer than its minimum of {}",
                self.name,
                self.ran(),
                self.minimum
            )));
        }
        Ok(())
    }

    /// Runs `command`, a libtest-style run, counting its summary lines and collecting the skips
    /// its tests record; then checks the minimum.
    pub fn run(&mut self, command: &mut Command, skips_file: &Path) -> Result<(), Failure> {
        let _ = std::fs::remove_file(skips_file);
        let count = &mut self.count;
        let outcome = run_reading(command.env(SKIPS_FILE_ENV, skips_file), |line| {
            count.add_line(line)
        });
        self.skips.extend(read_skips(skips_file));
        outcome.and(self.check())
    }
}

fn read_skips(file: &Path) -> Vec<Skip> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (test, reason) = line.split_once('\t')?;
            Some(Skip {
                test: test.to_owned(),
                reason: reason.to_owned(),
            })
        })
        .collect()
}

/// Every layer's counts, for the closing line.
#[derive(Debug, Default)]
pub struct Tally {
    pub layers: Vec<Layer>,
}

impl Tally {
    pub fn add(&mut self, layer: Layer) {
        self.layers.push(layer);
    }

    pub fn passed(&self) -> u64 {
        self.layers.iter().map(Layer::passed).sum()
    }

    pub fn failed(&self) -> u64 {
        self.layers.iter().map(|layer| layer.count.failed).sum()
    }

    pub fn skipped(&self) -> u64 {
        self.layers.iter().map(Layer::skipped).sum()
    }

    /// One line per skip, with its reason, then the closing line.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for layer in &self.layers {
            out.push_str(&format!(
                "{}: {} ran, {} failed (minimum {})\n",
                layer.name,
                layer.ran(),
                layer.count.failed,
                layer.minimum
            ));
            for skip in &layer.skips {
                out.push_str(&format!(
                    "skipped ({}): {}: {}\n",
                    layer.name, skip.test, skip.reason
                ));
            }
            if layer.count.ignored > 0 {
                out.push_str(&format!(
                    "skipped ({}): {} test(s) marked #[ignore]\n",
                    layer.name, layer.count.ignored
                ));
            }
        }
        out.push_str(&format!(
            "tests: {} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        ));
        out
    }
}

/// Where a layer's tests record their skips: a file of its own under the build folder.
pub fn skips_file(layer: &str) -> PathBuf {
    crate::tools::target_dir().join(format!("xtask-skips-{}", layer.replace(' ', "-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_summaries() {
        let mut count = Count::default();
        count.add_line("test result: ok. 14 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.02s");
        count.add_line(
            "test result: FAILED. 5 passed; 1 failed; 0 ignored; 0 filtered out; finished in 0.08s",
        );
        count.add_line("running 3 tests");
        count.add_line("test foo ... ok");
        assert_eq!(
            count,
            Count {
                passed: 19,
                failed: 1,
                ignored: 2
            }
        );
    }

    #[test]
    fn a_recorded_skip_moves_from_passed_to_skipped_with_its_reason() {
        let mut layer = Layer::new("host", 2);
        layer.count = Count {
            passed: 3,
            failed: 0,
            ignored: 0,
        };
        layer.skips.push(Skip {
            test: "conformance".into(),
            reason: "the spec file is absent".into(),
        });
        assert_eq!((layer.passed(), layer.skipped(), layer.ran()), (2, 1, 2));
        assert!(layer.check().is_ok());
        let mut tally = Tally::default();
        tally.add(layer);
        let report = tally.report();
        assert!(report.contains("skipped (host): conformance: the spec file is absent"));
        assert!(
            report.starts_with("host: 2 ran, 0 failed (minimum "),
            "{report}"
        );
        assert!(
            report.ends_with("tests: 2 passed, 0 failed, 1 skipped"),
            "{report}"
        );
    }

    /// A fake layer, run as a real process, that runs too few tests: the run fails and names
    /// the layer, even though every test it ran passed.
    #[test]
    fn a_layer_with_too_few_tests_fails_the_run() {
        let dir = std::env::temp_dir().join(format!("xtask-tally-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let skips = dir.join("skips");
        let mut layer = Layer::new("fake", 3);
        let outcome = layer.run(
            Command::new("sh").args([
                "-c",
                "printf 'one\\tno spec\\n' > \"$XTASK_SKIPS_FILE\"; \
                 echo 'test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out'",
            ]),
            &skips,
        );
        let failure = outcome.expect_err("too few tests ran");
        assert!(
            failure
                .0
                .contains("fake layer ran 2 tests, fewer than its minimum of 3"),
            "{failure}"
        );
        assert_eq!(layer.skipped(), 1);
        let mut enough = Layer::new("fake", 3);
        assert!(
            enough
                .run(
                    Command::new("sh").args([
                        "-c",
                        "echo 'test result: ok. 3 passed; 0 failed; 0 ignored;'"
                    ]),
                    &skips,
                )
                .is_ok()
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
