/* log_escape.h - what a log record may carry to a terminal. Much of what
 * fern logs came from elsewhere (a manifest, a URL, a program's output, a
 * control client), and a terminal obeys control bytes: a newline would
 * forge a record of fern's, ESC and the C1 controls move the cursor,
 * rewrite lines, set the title. So every record is escaped where it is
 * built, by one rule:
 *
 *  - the C0 controls but TAB (0x00-0x1f), DEL (0x7f), the C1 controls
 *    U+0080-U+009F (as UTF-8: c2 80 .. c2 9f) become `\xHH`, one per byte;
 *  - a byte that is not part of well-formed UTF-8 becomes `\xHH` too (a
 *    terminal in an 8-bit mode reads a lone 0x9b as CSI);
 *  - everything else passes, TAB and backslash included.
 *
 * TAB passes because it can neither end a line nor move back over one, and
 * programs align columns with it. A backslash passes because escaping it
 * would double every one in paths, regular expressions and JSON that
 * programs print; the price is that a program printing the four characters
 * `\x1b` reads the same as one printing ESC. The log is for people, and
 * nothing in it can act on the terminal. This is systemd's rule for text
 * it shows (src/basic/utf8.c: unichar_is_control(),
 * utf8_escape_non_printable_full()), with the newline escaped as well:
 * here a record is one line. */
#ifndef FERN_CORE_LOG_ESCAPE_H
#define FERN_CORE_LOG_ESCAPE_H

#include <stddef.h>

/* Writes `in` (`len` bytes, NULs included) escaped to `out`, at most
 * `size` bytes, and returns how many it wrote. What does not fit is left
 * out whole: no escape and no character is ever cut. No NUL is added. */
size_t fern__log_escape(char *out, size_t size, const char *in, size_t len);

/* The NUL-terminated string `in` escaped by the same rule into `out`
 * (`size` bytes, NUL-terminated), for text a command prints to a person
 * (tables of `fern tree`, `list`, `show`, `events`); returns `out`. */
char *fern__escape_shown(char *out, size_t size, const char *in);

/* The length of the well-formed UTF-8 sequence of two to four bytes that
 * starts `s` (`len` bytes available), or 0 (an ASCII byte included). */
size_t fern__utf8_length(const unsigned char *s, size_t len);

#endif
