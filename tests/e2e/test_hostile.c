/* test_hostile.c - manifests written to hurt: each is refused with a clear
 * error naming what is wrong, and a healthy sibling runs on. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* meta/NAME.cm holding `text`, and a child NAME of the root using it. */
static void hostile(const char *pkg, const char *name, const char *text,
                    char *children, size_t size) {
  char rel[64];
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  if (text != NULL)
    e2e_package_write(pkg, rel, text);
  size_t used = strlen(children);
  snprintf(children + used, size - used,
           "{\"name\": \"%s\", \"url\": \"#meta/%s.cm\", \"startup\": "
           "\"eager\"},",
           name, name);
}

static char *repeat(const char *piece, size_t times) {
  size_t len = strlen(piece);
  char *text = malloc(len * times + 1);
  ck_assert_ptr_nonnull(text);
  for (size_t i = 0; i < times; i++)
    memcpy(text + i * len, piece, len);
  text[len * times] = '\0';
  return text;
}

START_TEST(test_hostile_manifests_fail_alone_and_clearly) {
  char pkg[4096], children[4096] = "", path[4200];
  e2e_package_new(pkg, sizeof pkg);
  /* 100 MiB, sparse: the resolver refuses it by its size. */
  hostile(pkg, "big", NULL, children, sizeof children);
  snprintf(path, sizeof path, "%s/meta/big.cm", pkg);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 100 << 20), 0);
  close(fd);
  char *open_deep = repeat("[", 100000), *close_deep = repeat("]", 100000);
  char *deep = malloc(2 * 100000 + 16);
  sprintf(deep, "{\"x\": %s%s}", open_deep, close_deep);
  hostile(pkg, "deep", deep, children, sizeof children);
  free(open_deep), free(close_deep), free(deep);
  hostile(pkg, "utf8", "{\"children\": [{\"name\": \"a\xff\xfe\", \"url\": "
                       "\"#meta/fine.cm\"}]}",
          children, sizeof children);
  char *long_name = repeat("n", 101), text[512];
  snprintf(text, sizeof text,
           "{\"children\": [{\"name\": \"%s\", \"url\": \"#meta/fine.cm\"}]}",
           long_name);
  hostile(pkg, "longname", text, children, sizeof children);
  free(long_name);
  hostile(pkg, "dupkey", "{\"program\": {\"runner\": \"elf\", \"binary\": "
                         "\"bin/tool\", \"binary\": \"bin/tool\"}}",
          children, sizeof children);
  hostile(pkg, "self", "{\"children\": [{\"name\": \"again\", \"url\": "
                       "\"#meta/self.cm\", \"startup\": \"eager\"}]}",
          children, sizeof children);
  e2e_package_write(pkg, "meta/fine.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"print\", \"still here\"]}}");
  char root[4400];
  snprintf(root, sizeof root,
           "{\"children\": [%s{\"name\": \"fine\", \"url\": "
           "\"#meta/fine.cm\", \"startup\": \"eager\"}]}",
           children);
  e2e_package_write(pkg, "meta/root.cm", root);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 1);
  e2e_assert_end(&p, "/big", "cannot_start: manifest ");
  e2e_assert_has(p.err, "big.cm is 104857600 bytes; the limit is 16777216");
  e2e_assert_has(p.err, "deep.cm:1:2054: maximum parsing depth reached");
  e2e_assert_has(p.err, "utf8.cm:1:26: unable to decode byte 0xff");
  e2e_assert_has(p.err, "longname.cm:1:16: child name \"nnnnn");
  e2e_assert_has(p.err, "is not valid: expected 1 to 100 of letters");
  e2e_assert_has(p.err, "dupkey.cm");
  e2e_assert_has(p.err, "duplicate object key");
  e2e_assert_end(&p, "/self/again", "cannot_start: #meta/self.cm is "
                        "the manifest of its ancestor /self: the tree would "
                        "nest for ever");
  e2e_assert_has(p.err, "[/fine] still here\n");
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* 100,000 children: declared, resolved and listed (fern tree starts
 * nothing), in well under the test's deadline. */
START_TEST(test_a_hundred_thousand_children) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  size_t size = 100000 * 64 + 64, used = 0;
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  used += (size_t)snprintf(text, size, "{\"children\": [");
  for (int i = 0; i < 100000; i++)
    used += (size_t)snprintf(text + used, size - used,
                             "%s{\"name\": \"c%d\", \"url\": \"#meta/leaf.cm\"}",
                             i ? "," : "", i);
  snprintf(text + used, size - used, "]}");
  e2e_package_write(pkg, "meta/root.cm", text);
  free(text);
  e2e_package_write(pkg, "meta/leaf.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\"}}");
  e2e_proc p;
  const char *args[] = {"tree", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
  ck_assert_int_eq(e2e_count(p.out, "#meta/leaf.cm"), 100000);
  e2e_assert_has(p.out, "/c99999 ");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *hostile_suite(void) {
  Suite *s = suite_create("hostile");
  TCase *tc = tcase_create("hostile");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_hostile_manifests_fail_alone_and_clearly);
  tcase_add_test(tc, test_a_hundred_thousand_children);
  suite_add_tcase(s, tc);
  return s;
}
