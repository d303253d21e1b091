/* capstan_repo.h - Capstan repositories for the e2e tests, laid out as
 * `capstan package pull` and the recipes' builds leave them. */
#ifndef FERN_TESTS_E2E_CAPSTAN_REPO_H
#define FERN_TESTS_E2E_CAPSTAN_REPO_H

/* Packs `root`/`dir` as Capstan's BuildPackage does (a gzip'd tar, its
 * members named from "/") into repository `repo`'s packages/NAME.mpm,
 * with NAME.yaml beside it, and removes `root`/`dir`. */
void capstan_pack_into_repository(const char *root, const char *dir,
                                  const char *repo, const char *name);

/* Package `name` in repository `repo` (a CAPSTAN_ROOT), as a recipe's
 * build.sh lays it out and `capstan package init` describes it: the real
 * run.yaml of `recipe` (tests/capstan/recipes/RECIPE.run.yaml), its
 * program a stand-in built -shared (argv-echo.so) at `program`, `link`
 * ("PATH=TARGET") if any, and directory `dir` if any. */
void capstan_recipe_into(const char *repo, const char *name,
                         const char *recipe, const char *program,
                         const char *link, const char *dir);

#endif
