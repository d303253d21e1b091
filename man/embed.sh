#!/bin/sh
# embed.sh TEMPLATE SOURCE: the template with @EXAMPLE@ replaced by SOURCE,
# escaped for roff (backslashes as \e, lines starting with . or ' guarded).
set -eu
sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" "$2" > "$1.example"
awk -v example="$1.example" '
  $0 == "@EXAMPLE@" { while ((getline line < example) > 0) print line; next }
  { print }' "$1"
rm -f "$1.example"
