#!/bin/sh
# `make run`: starts the default guest on the terminal.  Until a machine
# boots Linux (pc machine + TCG), this is the `none` machine with the
# monitor on the terminal: type `help`, `info status`, `quit`.
set -eu
BUILD=${QUASAR_BUILD:-build}
echo "Quasar: the 'none' machine with the monitor on this terminal ('quit' to leave)."
exec "$BUILD/qemu-system-x86_64" -M none -nographic
