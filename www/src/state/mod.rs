//! The app's state, one pure reducer per page ([`credentials`], [`release`]) and the keys
//! trusted on this browser ([`trust`]). No browser APIs here, so it is tested natively; the
//! pages hold each state through `hooks::use_store`.

pub mod credentials;
pub mod release;
pub mod trust;

/// A pure reducer: the next state after an action. The pages' `use_reducer` store wraps it.
pub trait Reduce {
    /// What can happen.
    type Action;
    /// The next state after `action`.
    fn reduce(self, action: Self::Action) -> Self;
}

impl Reduce for credentials::State {
    type Action = credentials::Action;
    fn reduce(self, action: credentials::Action) -> Self {
        credentials::State::reduce(self, action)
    }
}

impl Reduce for release::ReleaseState {
    type Action = release::ReleaseAction;
    fn reduce(self, action: release::ReleaseAction) -> Self {
        release::ReleaseState::reduce(self, action)
    }
}
