//! The only part of heap-audit that touches the network or the disk.
pub mod robots;
