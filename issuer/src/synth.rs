//! Synthetic registrants (being written).
