//! Work under way that other calls of one isolate may wait for: the first call does it, the others await its
//! outcome (single flight). Never across requests in workerd, where a request must not await a promise another
//! request created — the caller decides when to share. Owns waiting and waking; what the work is belongs to the
//! caller.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// An outcome that will be known once the work finishes: `Some(value)`, or `None` when the work was abandoned
/// (its caller dropped before it finished).
pub(crate) struct InFlight<T> {
    outcome: RefCell<Option<Option<T>>>,
    wakers: RefCell<Vec<Waker>>,
}

impl<T> Default for InFlight<T> {
    fn default() -> Self {
        InFlight { outcome: RefCell::new(None), wakers: RefCell::new(Vec::new()) }
    }
}

impl<T: Clone> InFlight<T> {
    /// Records the outcome (the first one counts) and wakes every waiter.
    pub(crate) fn finish(&self, outcome: Option<T>) {
        self.outcome.borrow_mut().get_or_insert(outcome);
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    /// Waits for the outcome.
    pub(crate) fn wait(self: &Rc<Self>) -> Wait<T> {
        Wait(self.clone())
    }
}

/// Waits for an [`InFlight`] to finish.
pub(crate) struct Wait<T>(Rc<InFlight<T>>);

impl<T: Clone> Future for Wait<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.0.outcome.borrow().as_ref() {
            return Poll::Ready(outcome.clone());
        }
        self.0.wakers.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::client::tests::block_on;
    use std::future::poll_fn;
    use std::pin::pin;

    #[test]
    fn waiters_get_the_first_outcome_and_an_abandoned_work_wakes_them_with_none() {
        let work: Rc<InFlight<u32>> = Rc::default();
        let (mut a, mut b) = (pin!(work.wait()), pin!(work.wait()));
        let pending =
            block_on(poll_fn(|cx| Poll::Ready(a.as_mut().poll(cx).is_pending() && b.as_mut().poll(cx).is_pending())));
        assert!(pending, "nothing yet");
        work.finish(Some(7));
        work.finish(Some(8));
        assert_eq!((block_on(a), block_on(b)), (Some(7), Some(7)), "the first outcome counts");
        let abandoned: Rc<InFlight<u32>> = Rc::default();
        abandoned.finish(None);
        assert_eq!(block_on(abandoned.wait()), None);
    }
}
