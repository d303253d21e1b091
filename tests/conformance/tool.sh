#!/bin/sh
# The test program for a script runner: the package's bin/tool, run by
# the script the runner was given (the conformance suite puts it in the
# package with FERN_CONFORMANCE_FILES).
exec "$(dirname "$0")/bin/tool" "$@"
