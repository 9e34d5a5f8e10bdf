//! The only part of heap-audit that touches the network or the disk.

pub mod fetch;
pub mod folder;
pub mod limits;
pub mod local;
pub mod repo;
pub mod robots;
pub mod site;
