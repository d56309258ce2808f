//! The pages' stores: a pure reducer ([`crate::state::Reduce`]) as Yew's `use_reducer` wants it.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::Reduce;

/// A page's state in a `use_reducer` store; the state itself is `.0`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Store<S>(pub(crate) S);

impl<S: Reduce + Clone> Reducible for Store<S> {
    type Action = S::Action;
    fn reduce(self: Rc<Self>, action: S::Action) -> Rc<Self> {
        Rc::new(Store(self.0.clone().reduce(action)))
    }
}
