//! Finding the comments that make GitHub reject a review (422 "Line could not be
//! resolved"), without IO: adaptive group testing as a sans-IO state machine.
//!
//! GitHub rejects the whole review when any one anchor is bad and does not say
//! which. The machine is told the full batch already failed, then asks for probes
//! (subsets to validate) one at a time and is told whether each was accepted.
//! A failing set is split in halves; when the left half passes, the right half is
//! known to fail without asking. Finding k bad among n costs at most about
//! k·⌈log2 n⌉ + k probes (one bad among 64: 6), never one probe per comment.

/// Sans-IO bisection over comment indices `0..n`.
#[derive(Debug)]
pub struct Bisector {
    /// Sets still to settle; `true` when the set is already known to fail.
    stack: Vec<(Vec<usize>, bool)>,
    pending: Option<Pending>,
    bad: Vec<usize>,
    probes: u32,
}

#[derive(Debug)]
enum Pending {
    /// Probing the left half of a set known to fail.
    Left { left: Vec<usize>, right: Vec<usize> },
    /// Probing a set whose fate is unknown.
    Check(Vec<usize>),
}

impl Bisector {
    /// Starts from a batch of `n` comments that GitHub has rejected as a whole.
    pub fn new(n: usize) -> Self {
        let stack = if n == 0 { Vec::new() } else { vec![((0..n).collect(), true)] };
        Self { stack, pending: None, bad: Vec::new(), probes: 0 }
    }

    /// The next subset to validate, or `None` when every bad comment is known.
    /// Each subset returned must be answered with [`Bisector::report`] before the
    /// next call.
    pub fn next_probe(&mut self) -> Option<Vec<usize>> {
        assert!(self.pending.is_none(), "report the previous probe first");
        while let Some((set, known_bad)) = self.stack.pop() {
            match (known_bad, set.len()) {
                (_, 0) => {}
                (true, 1) => self.bad.push(set[0]),
                (true, len) => {
                    let mut left = set;
                    let right = left.split_off(len / 2);
                    self.pending = Some(Pending::Left { left: left.clone(), right });
                    self.probes += 1;
                    return Some(left);
                }
                (false, _) => {
                    self.pending = Some(Pending::Check(set.clone()));
                    self.probes += 1;
                    return Some(set);
                }
            }
        }
        None
    }

    /// The answer to the last probe: `true` when GitHub accepted that subset.
    pub fn report(&mut self, accepted: bool) {
        match self.pending.take().expect("no probe pending") {
            Pending::Left { left, right } => {
                if accepted {
                    // The parent failed and its left half is fine: the fault is on the right.
                    self.stack.push((right, true));
                } else {
                    self.stack.push((right, false));
                    self.stack.push((left, true));
                }
            }
            Pending::Check(set) => {
                if !accepted {
                    self.stack.push((set, true));
                }
            }
        }
    }

    pub fn is_done(&self) -> bool {
        self.pending.is_none() && self.stack.is_empty()
    }

    /// Indices of the comments found bad so far, ascending.
    pub fn bad(&self) -> Vec<usize> {
        let mut bad = self.bad.clone();
        argus_core::sort::sort(&mut bad);
        bad
    }

    /// How many probes were asked for.
    pub fn probes(&self) -> u32 {
        self.probes
    }
}

/// Runs a [`Bisector`] against a synchronous oracle; returns (bad indices, probes).
/// Used by tests and the bench to tabulate probe counts.
pub fn bisect_with(n: usize, mut accepts: impl FnMut(&[usize]) -> bool) -> (Vec<usize>, u32) {
    let mut b = Bisector::new(n);
    while let Some(probe) = b.next_probe() {
        let ok = accepts(&probe);
        b.report(ok);
    }
    (b.bad(), b.probes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize, bad: &[usize]) -> (Vec<usize>, u32) {
        bisect_with(n, |set| !set.iter().any(|i| bad.contains(i)))
    }

    #[test]
    fn print_probe_table() {
        // `cargo test -p argus-github -- --nocapture print_probe_table` shows the figures.
        println!("{:>5} {:>3} {:>14} {:>14}", "n", "k", "worst probes", "bound 2k·⌈log2 n⌉");
        for n in [8usize, 32, 64, 100, 300] {
            for k in [1usize, 2, 4] {
                let log = (n as f64).log2().ceil() as u32;
                // Worst over a spread of placements: first, last, evenly spaced, adjacent.
                let placements: Vec<Vec<usize>> =
                    vec![(0..k).collect(), (n - k..n).collect(), (0..k).map(|i| i * n / k).collect(), (0..k).map(|i| (i * 7919 + 13) % n).collect()];
                let mut worst = 0;
                for mut bad in placements {
                    bad.sort_unstable();
                    bad.dedup();
                    let (found, probes) = run(n, &bad);
                    assert_eq!(found, bad);
                    assert!(probes <= 2 * bad.len() as u32 * log, "n={n} bad={bad:?}: {probes}");
                    worst = worst.max(probes);
                }
                println!("{n:>5} {k:>3} {worst:>14} {:>14}", 2 * k as u32 * log);
            }
        }
    }

    #[test]
    fn finds_exactly_the_bad_ones_within_the_bound() {
        // (n, bad indices, exact probes), each worked out by hand: a failing set is
        // split; its left half is probed; if the left half passes the right half is
        // known bad for free, if it fails the right half must be probed too.
        let table: &[(usize, &[usize], u32)] = &[
            (1, &[0], 0),
            (2, &[0], 2),
            (2, &[1], 1),
            (2, &[0, 1], 2),
            // Bad at the far right: every left half passes, log2(n) probes.
            (8, &[7], 3),
            (64, &[63], 6),
            // Bad at the far left: every right half needs a check, 2·log2(n) probes.
            (8, &[0], 6),
            (64, &[17], 10),
            (64, &[0, 63], 17),
        ];
        for (n, bad, want_probes) in table {
            let (found, probes) = run(*n, bad);
            assert_eq!(found, bad.to_vec(), "n={n} bad={bad:?}");
            assert_eq!(probes, *want_probes, "n={n} bad={bad:?}");
        }
        // Every comment bad (GitHub rejected all): still fewer than 2n probes.
        let all: Vec<usize> = (0..100).collect();
        let (found, probes) = run(100, &all);
        assert_eq!(found, all);
        assert!(probes < 200, "{probes}");
    }

    #[test]
    fn exhaustive_small_batches_never_miss_and_never_accuse() {
        for n in 1..=10usize {
            for mask in 1u32..(1 << n) {
                let bad: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                let (found, probes) = run(n, &bad);
                assert_eq!(found, bad, "n={n} mask={mask:b}");
                assert!(probes < 2 * n as u32, "n={n} mask={mask:b}: {probes} probes");
            }
        }
    }

    proptest::proptest! {
        /// Any bad subset of up to 300 comments is found exactly, within 2k·⌈log2 n⌉ probes.
        #[test]
        fn finds_any_bad_subset(n in 1usize..300, picks in proptest::collection::vec(0usize..300, 1..6)) {
            let mut bad: Vec<usize> = picks.into_iter().map(|p| p % n).collect();
            bad.sort_unstable();
            bad.dedup();
            let (found, probes) = run(n, &bad);
            proptest::prop_assert_eq!(&found, &bad);
            let log = (n as f64).log2().ceil().max(1.0) as u32;
            proptest::prop_assert!(probes <= 2 * bad.len() as u32 * log, "n={} bad={:?} probes={}", n, bad, probes);
        }
    }

    #[test]
    fn empty_batch_needs_no_probe() {
        assert_eq!(run(0, &[]), (vec![], 0));
    }
}
