pub mod alert_checks;
pub mod harness;
pub mod rollout_checks;
