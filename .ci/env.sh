# Sourced by the Makefile and .ci scripts: where Carnet keeps what outlives a clone.
# The target dir and the installed tools live outside the checkout so that a fresh
# clone (every CI run) reuses them.
export CARNET_CACHE="${CARNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/carnet}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CARNET_CACHE/target}"
export PATH="$CARNET_CACHE/tools/bin:$CARNET_CACHE/tools/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# The bootstrap records which toolchain route worked; the offline route uses Debian's
# rustc linked into rustup as `debian-system`, with wasm-ld-19 as the wasm linker.
if [ -f "$CARNET_CACHE/toolchain" ] && [ "$(cat "$CARNET_CACHE/toolchain")" = debian-system ]; then
  export RUSTUP_TOOLCHAIN=debian-system
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
fi
# Leptos reads LEPTOS_OUTPUT_NAME at compile time to name the wasm it loads; cargo-leptos
# sets it, plain `cargo build/test` would not, and a binary built without it asks for
# `carnet_bg.wasm`. Setting it for every cargo call keeps all builds identical.
export LEPTOS_OUTPUT_NAME=carnet
