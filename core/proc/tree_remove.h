/* tree_remove.h - removing a directory tree fern made (an unpacked image,
 * a composed one): depth first, no symbolic link followed, no other file
 * system entered. Holds no state, so plugins build it in too (the oci
 * runner, the capstan resolver). */
#ifndef FERN_CORE_PROC_TREE_REMOVE_H
#define FERN_CORE_PROC_TREE_REMOVE_H

void tree_remove(const char *dir);

#endif
