//! Medians and percentiles of repeated measurements.

/// Measurements of one thing, in the order taken.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// The value below which `p` percent of samples fall (nearest rank); NaN when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        let sorted = self.sorted();
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    pub fn median(&self) -> f64 {
        self.percentile(50.0)
    }

    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }

    /// "median (min–max, n runs)", in milliseconds.
    pub fn describe_ms(&self) -> String {
        format!(
            "{:.1} ms ({:.1}–{:.1}, n={})",
            self.median(),
            self.min(),
            self.max(),
            self.0.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Samples;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples = Samples((1..=100).map(f64::from).rev().collect());
        assert_eq!(samples.median(), 50.0);
        assert_eq!(samples.percentile(99.0), 99.0);
        assert_eq!(samples.min(), 1.0);
        assert_eq!(samples.max(), 100.0);
        assert!(Samples::default().median().is_nan());
    }
}
