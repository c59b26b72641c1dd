pub mod harness;
pub mod rollout_checks;
