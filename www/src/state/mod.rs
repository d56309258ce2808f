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

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages' stores reduce through [`Reduce`]: the same transitions as the reducers'.
    #[test]
    fn the_stores_reduce_with_the_pages_reducers() {
        let via_trait = |s: credentials::State, a| Reduce::reduce(s, a);
        let s = via_trait(credentials::State::default(), credentials::Action::Busy(3));
        assert_eq!(s, credentials::State::default().reduce(credentials::Action::Busy(3)));
        assert!(s.busy && s.run == 3);
        let r = Reduce::reduce(release::ReleaseState::default(), release::ReleaseAction::Loading(2));
        assert_eq!(r, release::ReleaseState::default().reduce(release::ReleaseAction::Loading(2)));
        assert_eq!(r.load, 2);
    }
}
