#!/usr/bin/env bash
# Prints the device figures of docs/BENCHMARKS.md ("Device (Cortex-M4F, QEMU)"):
#  - flash and RAM of the inference-only (`infer`) and fine-tuning (`finetune`) builds:
#    text/data/bss from llvm-size, and bss + data + stack high-water measured by the running
#    firmware (cortex-m-rt paints the stack at reset);
#  - instruction counts (QEMU -icount shift=0 + SysTick: 1 tick = 40 instructions) of the
#    784×100 dense kernels, an inference, and a last-layer fine-tuning step (`bench`).
# Deterministic: the same code gives the same figures. Re-run after changing the core's kernels.
# Needs: thumbv7em-none-eabihf target, llvm-tools (rustup component add llvm-tools),
# qemu-system-arm.
set -euo pipefail
cd "$(dirname "$0")"

elf_dir=target/thumbv7em-none-eabihf/release
size="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-size"
[[ -x "$size" ]] || { echo "llvm-size not found: rustup component add llvm-tools" >&2; exit 1; }
qemu=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -serial none -monitor none
      -semihosting-config enable=on,target=native)

cargo build --release --bins >&2
cargo build --release --features bench --bin bench >&2

echo "## Memory (declared part: 1 MiB flash, 256 KiB RAM; memory/part.x)"
echo
echo "| build | text (flash) | data | bss | RAM at run time: bss + data + stack high-water |"
echo "|---|---:|---:|---:|---|"
for bin in infer finetune; do
    elf="$elf_dir/$bin"
    read -r text data bss _ < <("$size" -B "$elf" | tail -1)
    ram="$("${qemu[@]}" -kernel "$elf" 2>&1 >/dev/null | sed -n 's/^ram //p')"
    echo "| $bin | $text | $data | $bss | $ram |"
done
trainable="$("${qemu[@]}" -kernel "$elf_dir/finetune" 2>&1 >/dev/null | sed -n 's/^trainable-ram //p')"
echo
echo "Trainable part of the fine-tuning build (size_of, asserted at compile time): ${trainable% *} B (budget ${trainable#* } B)"
echo
echo "## Instructions (QEMU -icount shift=0, SysTick; instruction counts, not cycles)"
echo
echo "| measurement | instructions | multiply-adds | instructions per multiply-add |"
echo "|---|---:|---:|---:|"
"${qemu[@]}" -icount shift=0 -kernel "$elf_dir/bench" 2>&1 >/dev/null |
    sed -n 's/^bench \([a-z0-9_]*\) instructions=\([0-9]*\)\( macs=\([0-9]*\) per_mac=\([0-9.]*\)\)\{0,1\}$/| \1 | \2 | \4 | \5 |/p'
