/* plugins.h - finding, loading and checking network plugins.
 *
 * Each plugin is a shared object in the plugin folder (or one level
 * below it). A plugin that cannot be used is refused with a message naming
 * its file and the reason; the others load. */
#ifndef JADE_PLUGINS_H
#define JADE_PLUGINS_H

#include "../jade-plugin.h"

#include <stdbool.h>

struct jade_buf;

/* The core reads a plugin through copies of its descriptor and limits,
 * made at load: members the plugin's struct_size does not cover are zero
 * (NULL, "none"), so nothing past a plugin's struct is ever read. */
struct jade_loaded_plugin {
    char *path;
    void *handle;                      /* dlopen's */
    const struct jade_plugin *plugin;  /* the copy below */
    struct jade_plugin *descriptor;    /* owned; its limits point at limits */
    struct jade_plugin_limits *limits; /* owned */
};

struct jade_plugins {
    struct jade_loaded_plugin *items;
    size_t count;
    char **refused; /* one message per refused file */
    size_t n_refused;
};

/* Loads one file; on failure returns -1 with the reason in err. */
int jade_plugin_load(const char *path, struct jade_loaded_plugin *out, struct jade_buf *err);
/* Loads every *.so in dir and in its immediate sub-folders. */
void jade_plugins_load_dir(const char *dir, struct jade_plugins *out);
const struct jade_loaded_plugin *jade_plugins_find(const struct jade_plugins *p,
                                                   const char *network);
void jade_plugins_free(struct jade_plugins *p);

/* Where plugins are when no configuration says: $JADE_PLUGIN_DIR, else
 * beside the binary in a build tree (../plugins), else the installed
 * folder as seen from the installed binary (<bindir>/../<libdir>/jade/
 * plugins: a DESTDIR or a tree moved whole keeps its own), else the
 * installed folder's absolute path. Returns a malloc'd path. */
char *jade_default_plugin_dir(void);

#endif
