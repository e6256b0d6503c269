//! Waiting without sleeping while a fit's parallel work is short.
//!
//! A tree's parallel passes last a few hundred microseconds and its serial stretches tens:
//! a worker of the pool that sleeps between them (as rayon's do after a few rounds of
//! looking for work) takes longer to wake than that in a virtual machine, whose idle
//! processors halt. So the waits of a fit run the pool's pending work, and yield the
//! processor to other programs when there is none, instead of sleeping; under load they cost
//! what a yield costs.

use std::sync::Mutex;
use std::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::{Duration, Instant};

/// How long a worker kept awake looks for work in vain before it goes back to the pool's
/// own waiting (in which it soon sleeps, and takes long to wake in a virtual machine).
const AWAKE_IDLE: Duration = Duration::from_millis(2);

/// The pool's other workers kept looking for work while trees grow, each tree's serial
/// stretches being shorter than a sleeping worker takes to wake: a task on each that runs
/// the pool's pending work ([`rayon::yield_now`]), yielding the processor to other programs
/// when there is none, until the fit ends or it has found none for [`AWAKE_IDLE`].
#[derive(Debug, Default)]
pub(super) struct Awake {
    /// The workers to keep awake.
    others: usize,
    stop: AtomicBool,
    /// Tasks running or waiting to.
    tasks: AtomicUsize,
}

impl Awake {
    /// For a fit that has the pool to itself when it is not called from the pool's work (on
    /// a worker, it shares the pool with the caller's other work, which keeps it busy).
    pub fn for_fit() -> Awake {
        Awake {
            others: match rayon::current_thread_index() {
                None => rayon::current_num_threads().saturating_sub(1),
                Some(_) => 0,
            },
            ..Awake::default()
        }
    }

    /// Spawns tasks in `scope` for the workers to keep awake that have none.
    pub fn keep<'s>(&'s self, scope: &rayon::Scope<'s>) {
        let owner = rayon::current_thread_index();
        while self.tasks.load(Relaxed) < self.others {
            self.tasks.fetch_add(1, Relaxed);
            scope.spawn(move |_| self.look(owner));
        }
    }

    fn look(&self, owner: Option<usize>) {
        // the fit's own thread does not wait here: it has the trees to grow
        if rayon::current_thread_index() != owner {
            let mut idle: Option<Instant> = None;
            while !self.stop.load(Relaxed) {
                if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                    idle = None;
                    continue;
                }
                if idle.get_or_insert_with(Instant::now).elapsed() > AWAKE_IDLE {
                    break;
                }
                std::thread::yield_now();
            }
        }
        self.tasks.fetch_sub(1, Relaxed);
    }

    pub fn stop_on_drop(&self) -> impl Drop + '_ {
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Relaxed);
            }
        }
        Stop(&self.stop)
    }
}

/// Waits, running the pool's pending work, until `left` is 0: the thread does not sleep
/// (a sleeping thread takes long to wake in a virtual machine, longer than most of a
/// tree's waits last), and yields the processor to other programs when there is no work.
fn wait_awake(left: &AtomicUsize) {
    while left.load(Acquire) > 0 {
        if let Some(rayon::Yield::Idle) = rayon::yield_now() {
            std::thread::yield_now();
        }
    }
}

/// Counts a task done when dropped: when it returns, and when it panics (the scope then
/// passes the panic on, once the waiting for the task's count has ended).
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Release);
    }
}

/// `f(k, item)` for each item, as tasks of the pool: the calling thread takes the first
/// and then the others in order, other threads take them from the last, and the calling
/// thread does not sleep while another's task is not done ([`wait_awake`]). The results
/// are in the items' order.
pub(crate) fn run_awake<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(usize, T) -> R + Sync,
) -> Vec<R> {
    if items.len() <= 1 || rayon::current_num_threads() == 1 {
        return items
            .into_iter()
            .enumerate()
            .map(|(k, t)| f(k, t))
            .collect();
    }
    let out: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let left = AtomicUsize::new(items.len());
    rayon::scope(|s| {
        let (out, left, f) = (&out, &left, &f);
        let run = move |k: usize, t: T| {
            let _done = Done(left);
            let r = f(k, t);
            *out[k].lock().expect("a task's result") = Some(r);
        };
        let mut items: Vec<(usize, T)> = items.into_iter().enumerate().collect();
        let (k, first) = items.remove(0);
        // pushed last to first, so that this thread takes them first to last
        for (k, t) in items.into_iter().rev() {
            s.spawn(move |_| run(k, t));
        }
        run(k, first);
        wait_awake(left);
    });
    out.into_iter()
        .map(|r| {
            r.into_inner()
                .expect("a task's result")
                .expect("every task ran")
        })
        .collect()
}

/// [`rayon::join`] with the waiting of [`run_awake`].
pub(super) fn join_awake<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if rayon::current_num_threads() == 1 {
        return (a(), b());
    }
    let left = AtomicUsize::new(1);
    let mut rb = None;
    let ra = rayon::scope(|s| {
        let (left, rb) = (&left, &mut rb);
        s.spawn(move |_| {
            let _done = Done(left);
            *rb = Some(b());
        });
        let ra = a();
        wait_awake(left);
        ra
    });
    (ra, rb.expect("the second task ran"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_give_their_results_in_order_on_any_pool() {
        let items: Vec<u64> = (0..40).collect();
        let want: Vec<u64> = items.iter().map(|i| i * i + (0..*i).sum::<u64>()).collect();
        for k in 1..=4 {
            // each task runs tasks of its own, and a join
            let got = crate::pool_of(k).install(|| {
                run_awake(items.clone(), |j, i| {
                    assert_eq!(j as u64, i);
                    let inner = run_awake((0..i).collect(), |_, v| v);
                    let (a, b) = join_awake(|| i * i, || inner.iter().sum::<u64>());
                    a + b
                })
            });
            assert_eq!(got, want, "{k} threads");
        }
        // on no pool's thread: the global pool's
        assert_eq!(run_awake(items, |_, i| i * i)[39], 39 * 39);
    }

    #[test]
    fn a_task_that_panics_passes_its_panic_on() {
        // not a wait that never ends: the panic of a task taken by any thread reaches the
        // caller
        for k in 1..=3 {
            let tasks = std::panic::catch_unwind(|| {
                crate::pool_of(k).install(|| {
                    run_awake((0..16).collect(), |_, i: usize| {
                        assert!(i != 9, "task 9");
                        i
                    })
                })
            });
            assert!(tasks.is_err(), "{k} threads");
            let joined = std::panic::catch_unwind(|| {
                crate::pool_of(k).install(|| join_awake(|| 1, || panic!("the second task")))
            });
            assert!(joined.is_err(), "{k} threads");
        }
    }

    #[test]
    fn the_workers_kept_awake_stop_with_the_fit() {
        for k in 1..=3 {
            let p = crate::pool_of(k);
            let awake = Awake {
                others: k - 1,
                ..Awake::default()
            };
            let n = p.scope(|s| {
                let _stop = awake.stop_on_drop();
                // a fit's trees: each keeps the others awake, and has work for them
                (0..20)
                    .map(|t| {
                        awake.keep(s);
                        run_awake((0..8u64).collect(), |_, i| i + t).len()
                    })
                    .sum::<usize>()
            });
            assert_eq!(n, 160);
            // the scope returned: every task kept awake has ended
            assert_eq!(awake.tasks.load(Relaxed), 0);
        }
    }
}
