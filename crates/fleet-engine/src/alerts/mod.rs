//! Alert rules: what a rule watches (a condition over the devices a filter or saved view
//! keeps, or over rollouts), how a person's rule is checked field by field, and what a rule's
//! state does when its condition is seen again (`lifecycle`), and what a webhook is sent
//! (`notify`). Pure: the server asks the store and the clock, and passes what it saw.

pub mod lifecycle;
pub mod notify;
mod rule;

pub use lifecycle::{Ack, AlertState, Transition, TransitionKind};
pub use rule::{
    AlertRule, CULPRITS_KEPT, Condition, Culprit, DeviceTest, FieldError, RuleInput, Scope, Seen,
};

// Host only: proptest's randomness has no wasm32 backend.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
