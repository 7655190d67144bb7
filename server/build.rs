//! Rebuilds the binary when a migration is added: `sqlx::migrate!` embeds
//! the migrations' folder at compile time, and stable Rust cannot tell
//! Cargo that a proc macro read it.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
