//! The rhythm of one Lease's renewals (serve's lease metrics, SPEC §11): the interval between two
//! renewals, and how late a renewal came against the Lease's usual interval. Pure: times are the
//! Lease's own `spec.renewTime` values (microseconds since the epoch), never this process's clock.

/// How many of a Lease's latest intervals its usual interval is taken from.
pub(crate) const RECENT_INTERVALS: usize = 8;
/// How many intervals a Lease needs before its renewals are judged late: the first ones only
/// teach its usual interval.
pub(crate) const MIN_INTERVALS: usize = 3;

/// One renewal of a Lease, as the metrics see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Renewal {
    /// Seconds from the previous `renewTime` to this one; `None` when there is no previous one
    /// seen, or when the time did not move forward (a new holder whose clock is behind).
    pub(crate) interval: Option<f64>,
    /// Seconds the renewal came after the Lease's usual interval (0 when on time or early);
    /// `None` while fewer than [`MIN_INTERVALS`] intervals are known.
    pub(crate) lag: Option<f64>,
}

/// The last [`RECENT_INTERVALS`] intervals of one Lease (seconds, in a ring) and its last
/// `renewTime`: 56 bytes, whatever the Lease's age.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rhythm {
    recent: [f32; RECENT_INTERVALS],
    len: u8,
    next: u8,
    /// The last `spec.renewTime` seen, microseconds since the epoch.
    last: Option<i64>,
}

impl Rhythm {
    /// The Lease's usual interval, seconds: the median of its last [`RECENT_INTERVALS`] intervals
    /// (the mean of the two middle ones for an even count), once [`MIN_INTERVALS`] are known. A
    /// median, not a mean: one late renewal (or a leader's handover) barely moves it, and a
    /// Lease whose period changes (a new `--leader-elect-retry-period`) is judged by the new one
    /// after half the ring.
    pub(crate) fn usual(&self) -> Option<f64> {
        let len = usize::from(self.len);
        if len < MIN_INTERVALS {
            return None;
        }
        let mut sorted = self.recent;
        let sorted = sorted.get_mut(..len)?;
        sorted.sort_by(f32::total_cmp);
        let middle = f64::from(*sorted.get(len / 2)?);
        if len % 2 == 1 { Some(middle) } else { Some((f64::from(*sorted.get(len / 2 - 1)?) + middle) / 2.0) }
    }

    /// Takes in a `renewTime` known without a renewal being seen (a list, a Lease first seen):
    /// the next renewal's interval is measured from it.
    pub(crate) fn set_last(&mut self, renew_time: Option<i64>) {
        self.last = renew_time;
    }

    /// The `renewTime` the next renewal is measured from.
    pub(crate) fn last(&self) -> Option<i64> {
        self.last
    }

    /// A renewal at `renew_time` (microseconds since the epoch): its interval from the previous
    /// `renewTime` and its lag against the usual interval before it; the interval then joins
    /// the recent ones. The caller decides what is a renewal (the time moved).
    pub(crate) fn renew(&mut self, renew_time: i64) -> Renewal {
        let previous = self.last.replace(renew_time);
        let interval = previous.map(|p| (renew_time - p) as f64 / 1e6).filter(|s| *s > 0.0);
        let Some(seconds) = interval else { return Renewal { interval: None, lag: None } };
        let lag = self.usual().map(|usual| (seconds - usual).max(0.0));
        if let Some(slot) = self.recent.get_mut(usize::from(self.next)) {
            *slot = seconds as f32;
        }
        self.next = ((usize::from(self.next) + 1) % RECENT_INTERVALS) as u8;
        self.len = (usize::from(self.len) + 1).min(RECENT_INTERVALS) as u8;
        Renewal { interval, lag }
    }
}

#[cfg(test)]
mod tests {
    use super::{Renewal, Rhythm};

    const S: i64 = 1_000_000;

    /// Renews at each time (seconds) and returns every renewal.
    fn run(times: &[f64]) -> Vec<Renewal> {
        let mut r = Rhythm::default();
        times.iter().map(|t| r.renew((t * 1e6).round() as i64)).collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn the_state_is_small() {
        assert!(std::mem::size_of::<Rhythm>() <= 56);
    }

    #[test]
    fn the_first_renewal_has_no_interval() {
        assert_eq!(run(&[10.0]), [Renewal { interval: None, lag: None }]);
    }

    #[test]
    fn a_listed_renew_time_starts_the_first_interval() {
        let mut r = Rhythm::default();
        r.set_last(Some(8 * S));
        let first = r.renew(10 * S);
        assert!(close(first.interval, 2.0));
        assert_eq!(first.lag, None);
    }

    #[test]
    fn lag_waits_for_three_intervals() {
        let out = run(&[0.0, 2.0, 4.0, 6.0, 8.0]);
        let lags: Vec<Option<f64>> = out.iter().map(|r| r.lag).collect();
        assert_eq!(lags, [None, None, None, None, Some(0.0)]);
        assert!(out.iter().skip(1).all(|r| close(r.interval, 2.0)));
    }

    #[test]
    fn a_late_renewal_lags_by_what_it_adds_to_the_usual_interval() {
        let out = run(&[0.0, 2.0, 4.0, 6.0, 8.0, 13.5, 15.5]);
        assert!(close(out[5].interval, 5.5));
        assert!(close(out[5].lag, 3.5));
        // The median ignores the one late interval: the next on-time renewal lags 0.
        assert!(close(out[6].lag, 0.0));
    }

    #[test]
    fn early_and_on_time_renewals_lag_zero() {
        let out = run(&[0.0, 10.0, 20.0, 30.0, 39.5, 50.0]);
        assert!(close(out[4].lag, 0.0), "early");
        assert!(close(out[5].lag, 0.5), "10.5 s against a median of 10 s");
    }

    #[test]
    fn the_usual_interval_is_the_median_of_the_last_eight() {
        let mut r = Rhythm::default();
        let mut t = 0;
        r.renew(t);
        for gap in [1, 1, 1, 9, 9, 9, 9, 9, 9] {
            t += gap * S;
            r.renew(t);
        }
        // The ring holds 1, 1, 9 × 6 (the first 1 dropped): the median is 9.
        assert!(close(r.usual(), 9.0));
        let mut even = Rhythm::default();
        for t in [0, 2, 4, 8, 14] {
            even.renew(t * S);
        }
        // Intervals 2, 2, 4, 6: the mean of the two middle ones.
        assert!(close(even.usual(), 3.0));
    }

    #[test]
    fn a_time_that_did_not_move_forward_has_no_interval() {
        let mut r = Rhythm::default();
        r.renew(10 * S);
        assert_eq!(r.renew(9 * S), Renewal { interval: None, lag: None });
        assert!(close(r.renew(11 * S).interval, 2.0), "measured from the latest time");
    }
}
