/* libtool - a shared library, for the test that a library is not a program. */
int libtool_answer(void);
int libtool_answer(void) { return 42; }
