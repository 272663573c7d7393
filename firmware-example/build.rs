//! Puts the memory layout on the linker search path as `memory.x` (which cortex-m-rt's `link.x`
//! includes): `memory/part.x`, the realistic part, or `memory/an386.x` with the `bench` feature.
//! (No `memory.x` sits in the package root: the linker would find that one first.)

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let src = if env::var_os("CARGO_FEATURE_BENCH").is_some() {
        "memory/an386.x"
    } else {
        "memory/part.x"
    };
    fs::copy(src, out.join("memory.x")).expect("copy the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=build.rs");
}
