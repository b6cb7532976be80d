//! Synthetic, deterministic disability-case worlds (French MDPH case files) with canary values.
