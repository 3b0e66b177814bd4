//! One module per calling tool's protocol. A caller knows the broker and the config, never a
//! provider; each takes its streams as parameters so unit tests drive it with byte buffers.

pub mod kubectl;
pub mod plain;
