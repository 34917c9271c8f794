#!/usr/bin/env bash
# Builds the starting corpus of the `chunking` target from the redaction test corpus
# (tests/corpus/cases): each uncompressed case, prefixed with its format byte and no cuts.
# Run from anywhere; writes rules/fuzz/corpus/chunking (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/corpus/chunking"
mkdir -p "$out"
for f in "$here"/../../tests/corpus/cases/*; do
    b=$(basename "$f")
    case $b in
        *.gz | *.br | *.zst | *.deflate) continue ;;
        *.json) fm=0 ;;
        *.xml) fm=1 ;;
        *.csv) fm=2 ;;
        *.form) fm=3 ;;
        *) fm=4 ;;
    esac
    { printf "\\x$(printf %02x $fm)\\x00"; cat "$f"; } >"$out/$b"
done
echo "$(ls "$out" | wc -l) seeds in $out"
