# md2man.awk - a page of docs/ as a man page, so that each is written once.
#
#   awk -v name=fern-runner -v section=3 -v version=0.2.0 \
#       -v summary="writing a runner plugin for fern" -v root=. \
#       -f man/md2man.awk docs/runner-plugins.md
#
# The Markdown the docs use, and no more: "# title" (left out: the man page
# has NAME), "## section" (.SH), "### subsection" (.SS), paragraphs, "- "
# lists (with indented continuation lines), ``` blocks (.nf), tables (one
# .TP per row: the first cell, then the others), `code` and **bold** (bold),
# [text](link) (the text). "<!-- example: FILE -->" puts FILE in as a
# block, between ".\" example-begin" and ".\" example-end" (where the
# install test finds it and compiles it). The paragraph that links back to
# the front page ("Part of fern's reference...") is left out. Several pages
# make one man page in the order given; their "See also" sections go last.

# Lines of the "See also" sections, whichever page they are in, go last.
function out(line) {
  if (in_seealso)
    seealso = seealso line "\n"
  else
    print line
}

function escape(s) {
  gsub(/\\/, "\\e", s)
  return s
}

function guard(s) { # a line roff would take for a request
  if (s ~ /^[.']/)
    return "\\&" s
  return s
}

function inline(s, done, pre, code) {
  s = escape(s)
  gsub(/\\e\|/, "|", s) # "\|" in a table cell is a bar
  done = ""
  while (match(s, /`[^`]*`/)) {
    pre = substr(s, 1, RSTART - 1)
    code = substr(s, RSTART + 1, RLENGTH - 2)
    done = done pre "\\fB" code "\\fR"
    s = substr(s, RSTART + RLENGTH)
  }
  s = done s
  while (match(s, /\*\*[^*]+\*\*/))
    s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) \
        "\\fR" substr(s, RSTART + RLENGTH)
  while (match(s, /\[[^]]*\]\([^)]*\)/)) {
    code = substr(s, RSTART, RLENGTH)
    sub(/\]\(.*/, "", code)
    s = substr(s, 1, RSTART - 1) substr(code, 2) substr(s, RSTART + RLENGTH)
  }
  return guard(s)
}

function paragraph() {
  if (!in_para) {
    out(".PP")
    in_para = 1
  }
}

function cells(line, part, n, i) {
  sub(/^ *\| */, "", line)
  sub(/ *\| *$/, "", line)
  gsub(/\\\|/, "\001", line)
  n = split(line, part, / *\| */)
  for (i = 1; i <= n; i++)
    gsub(/\001/, "\\|", part[i])
  return n
}

function example(file, line) {
  out(".nf")
  out(".\\\" example-begin")
  while ((getline line < file) > 0)
    out(guard(escape(line)))
  close(file)
  out(".\\\" example-end")
  out(".fi")
}

BEGIN {
  printf ".TH %s %s \"2026\" \"fern %s\" \"fern manual\"\n", toupper(name),
         section, version
  out(".SH NAME")
  printf "%s \\- %s\n", name, summary
}

in_code && /^```/ { out(".fi"); out(".RE"); in_code = 0; next }
in_code { out(guard(escape($0))); next }
/^```/ { out(".RS 2"); out(".nf"); in_code = 1; in_para = 0; next }

/^<!-- example: .* -->$/ {
  file = $0
  sub(/^<!-- example: /, "", file)
  sub(/ -->$/, "", file)
  example(root "/" file)
  in_para = 0
  next
}
/^<!--/ { next }
/^Part of fern's reference/ { skipping = 1 }
skipping && /^$/ { skipping = 0; next }
skipping { next }
/^# / { in_seealso = 0; next }
/^## See also$/ { in_seealso = 1; in_para = 0; next }
/^## / { in_seealso = 0; out(".SH " toupper(substr($0, 4))); in_para = 0; next }
/^### / { out(".SS " substr($0, 5)); in_para = 0; next }

/^\|/ {
  n = cells($0, cell)
  if (cell[1] ~ /^-+$/) next         # the line under the header
  if (!in_table) { in_table = 1; next } # the header itself
  out(".TP")
  out(inline(cell[1]))
  for (i = 2; i <= n; i++)
    out(inline(cell[i]))
  in_para = 0
  next
}
{ in_table = 0 }

/^- / { out(".IP \\(bu 2"); out(inline(substr($0, 3))); in_list = 1; next }
in_list && /^  +[^ ]/ { line = $0; sub(/^ +/, "", line); out(inline(line)); next }
/^$/ { in_para = 0; in_list = 0; next }
{ in_list = 0; paragraph(); out(inline($0))}
END {
  if (seealso != "") {
    print ".SH SEE ALSO"
    printf "%s", seealso
  }
}
