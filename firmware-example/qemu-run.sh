#!/usr/bin/env bash
# Cargo runner: runs a firmware ELF in QEMU's mps2-an386 (Cortex-M4 with FPU).
#   ./qemu-run.sh ELF
# defmt logs (semihosting stdout) are decoded by `defmt-print`; the machine-readable report
# (semihosting stderr) passes through. The exit status is the firmware's semihosting exit code.
# QEMU_EXTRA adds QEMU flags (e.g. QEMU_EXTRA="-icount shift=0" for instruction counts).
set -euo pipefail
elf="$1"
qemu=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -serial none -monitor none
      -semihosting-config enable=on,target=native ${QEMU_EXTRA:-} -kernel "$elf")
if ! command -v qemu-system-arm >/dev/null; then
    echo "qemu-system-arm not found: apt-get install -y --no-install-recommends qemu-system-arm" >&2
    exit 127
fi
if command -v defmt-print >/dev/null; then
    "${qemu[@]}" | defmt-print -e "$elf"
else
    echo "(defmt-print not found, defmt log discarded: cargo install defmt-print --locked)" >&2
    "${qemu[@]}" >/dev/null
fi
