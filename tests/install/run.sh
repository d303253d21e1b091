#!/bin/sh
# The plugin author's path, as an outsider walks it: install fern into a
# staging directory, build the two skeleton plugins from examples/ with
# nothing but the installed headers and fern.pc, boot a tree that uses both
# with the installed fern, then uninstall. Prints "N passed, M failed".
set -u
O=${1:-.}
stage=$(mktemp -d /tmp/fern-install-XXXXXX)
passed=0
failed=0
check() { # check NAME COMMAND...
  name=$1
  shift
  if "$@" >"$stage/out" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
    sed 's/^/    /' "$stage/out"
  fi
}

walk() { # walk PREFIX: the whole path, installed under PREFIX
prefix=$1
root=$stage$prefix
check "make install into a staging directory" \
  make -s O="$O" install DESTDIR="$stage" PREFIX=$prefix
check "the installed fern finds the installed plugins" \
  sh -c "'$root/bin/fern' plugins | grep -q 'elf .*bin/../lib/fern/plugins/elf.so'"

# An outsider's build: only the staged headers and fern.pc.
# fern.pc names its own place (${pcfiledir}): no sysroot is needed.
pc() { PKG_CONFIG_PATH="$root/lib/pkgconfig" pkg-config "$@"; }
plugins="$stage/mine"
mkdir -p "$plugins"
check "pkg-config knows fern" sh -c "[ \"\$(PKG_CONFIG_PATH='$root/lib/pkgconfig' pkg-config --modversion fern)\" = 0.2.0 ]"
check "pkg-config --cflags names the staged headers" \
  sh -c "inc=\$(PKG_CONFIG_PATH='$root/lib/pkgconfig' pkg-config --cflags-only-I fern | sed 's/^-I//; s/ *\$//') && [ \"\$(cd \"\$inc\" && pwd -P)\" = \"\$(cd '$root/include' && pwd -P)\" ] && test -f \"\$inc/fern/runner.h\""
check "the runner skeleton builds with one line" \
  sh -c "cc -shared -fPIC -Werror -Wall $(pc --cflags fern) examples/runner-skeleton/hello_runner.c -o '$plugins/hello_runner.so'"
check "the resolver skeleton builds with one line" \
  sh -c "cc -shared -fPIC -Werror -Wall $(pc --cflags fern) examples/resolver-skeleton/memo_resolver.c -o '$plugins/memo_resolver.so'"

# The man pages are installed, render cleanly, and their examples compile.
man3="$root/share/man/man3"
check "the man pages are installed" \
  test -f "$root/share/man/man1/fern.1" -a -f "$root/share/man/man5/fern-manifest.5" \
  -a -f "$man3/fern-runner.3" -a -f "$man3/fern-resolver.3"
if command -v groff >/dev/null; then
  check "the man pages render without warnings" \
    sh -c "groff -man -Tutf8 -ww -z '$root'/share/man/man*/* 2>&1 | (! grep .)"
else
  echo "skipped the man page rendering check: groff is not installed"
fi
example() { # the EXAMPLE section of a man page, as C
  sed -n '/example-begin/,/example-end/p' "$1" | sed '1d;$d' |
    sed -e 's/^\\&//' -e 's/\\e/\\/g'
}
for page in fern-runner fern-resolver; do
  example "$man3/$page.3" >"$stage/$page-example.c"
  check "the example in $page(3) compiles" \
    sh -c "cc -shared -fPIC -Werror -Wall $(pc --cflags fern) '$stage/$page-example.c' -o '$stage/$page-example.so'"
done

mkdir -p "$stage/tree/meta"
cat >"$stage/tree/meta/root.cm" <<'JSON'
{
  "capabilities": [
    { "resolver": "memo", "plugin": "memo_resolver", "config": { "manifests": {
      "hello": "{\"program\": {\"runner\": \"hello_runner\", \"greeting\": [\"hi from an out-of-tree runner\"]}}"
    } } }
  ],
  "environments": [
    { "name": "mine", "extends": "realm",
      "resolvers": [ { "resolver": "memo", "scheme": "memo", "from": "self" } ] }
  ],
  "children": [
    { "name": "greeter", "url": "memo:///hello#meta/hello.cm", "startup": "eager",
      "environment": "#mine" }
  ]
}
JSON
cat >"$stage/fern.json" <<'JSON'
{ "root_environment": { "runners": [ { "runner": "elf" }, { "runner": "hello_runner" } ] } }
JSON
check "the installed fern boots a tree through both skeletons" \
  sh -c "'$root/bin/fern' run --config '$stage/fern.json' --plugin-dir '$plugins' --control '$stage/c/s.sock' '$stage/tree/meta/root.cm' 2>&1 | tee /dev/stderr | grep -q '\[/greeter\] hi from an out-of-tree runner'"

# The conformance suite, as an author runs it on an installed fern
# (FERN_BINARY), on the installed ELF runner: once, under /usr/local.
if [ "$prefix" = /usr/local ]; then
  check "the conformance suite runs against the installed fern" \
    env FERN_BINARY="$root/bin/fern" FERN_BUILD="$(cd "$O" && pwd)" \
      FERN_CONFORMANCE_RUNNER="$root/lib/fern/plugins/elf.so" \
      "$O/tests/conformance/run"
  # A runner on the host's process service, built out of tree against the
  # staged headers, passes the whole suite on the installed fern.
  check "a runner on the process service builds with one line" \
    sh -c "cc -shared -fPIC -Werror -Wall $(pc --cflags fern) tests/plugins/script.c -o '$plugins/script.so'"
  check "it passes the conformance suite against the installed fern" \
    env FERN_BINARY="$root/bin/fern" FERN_BUILD="$(cd "$O" && pwd)" \
      FERN_CONFORMANCE_RUNNER="$plugins/script.so" \
      FERN_CONFORMANCE_TEMPLATE=tests/conformance/script-template.json \
      FERN_CONFORMANCE_FILES="tool.sh=tests/conformance/tool.sh" \
      "$O/tests/conformance/run"
fi

check "make uninstall removes what install put" \
  sh -c "make -s O='$O' uninstall DESTDIR='$stage' PREFIX=$prefix && [ -z \"\$(find '$root' -type f)\" ]"

}

for prefix in /usr /usr/local; do
  walk "$prefix"
done
rm -rf "$stage"
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
