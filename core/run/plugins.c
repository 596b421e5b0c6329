/* plugins.c - the plugin loader (see plugins.h and jade-plugin.h). */
#include "plugins.h"

#include "../content/schema.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef JADE_PLUGIN_INSTALL_DIR
#define JADE_PLUGIN_INSTALL_DIR "/usr/local/lib/jade/plugins"
#endif

/* The oldest layout this core reads: 1.1 (1.0 held the limits by value). */
#define MIN_ABI_MINOR 1
#define MIN_PLUGIN_SIZE (offsetof(struct jade_plugin, fini) + sizeof(void (*)(void *)))

/* Whether a plugin's account schema is JSON and a schema jade can apply
 * (every keyword known); when not, why in detail. */
static bool account_schema_ok(const char *text, char *detail, size_t size)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    struct jade_buf err = {0};
    struct jade_schema *schema = doc ? jade_schema_compile(doc, "account_schema", &err) : NULL;
    bool ok = schema != NULL;
    if (!doc)
        snprintf(detail, size, _("its account schema is not JSON (line %d, column %d: %s)"),
                 jerr.line, jerr.column, jerr.text);
    else if (!schema)
        snprintf(detail, size, _("its account schema is not one jade can apply: %s"),
                 jade_buf_str(&err));
    jade_schema_free(schema);
    json_decref(doc);
    jade_buf_free(&err);
    return ok;
}

/* A zero-filled copy of size bytes of which the first given bytes come
 * from src: what a smaller (older) struct lacks reads as zero. */
static void *copy_struct(const void *src, size_t given, size_t size)
{
    void *copy = jade_xcalloc(1, size);
    if (src) memcpy(copy, src, given < size ? given : size);
    return copy;
}

int jade_plugin_load(const char *path, struct jade_loaded_plugin *out, struct jade_buf *err)
{
    memset(out, 0, sizeof *out);
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        jade_buf_printf(err, _("%s: cannot load: %s"), path, dlerror());
        return -1;
    }
    jade_plugin_entry_fn entry;
    *(void **)&entry = dlsym(handle, JADE_PLUGIN_ENTRY);
    const struct jade_plugin *p = entry ? entry() : NULL;
    const char *why = NULL;
    char detail[400] = "";
    unsigned major = p ? p->abi_version >> 16 : 0, minor = p ? p->abi_version & 0xFFFF : 0;
    if (!entry) {
        why = _("no jade_plugin_entry symbol: not a jade plugin");
    } else if (!p) {
        why = _("jade_plugin_entry returned nothing");
    } else if (major != JADE_PLUGIN_ABI_MAJOR || minor < MIN_ABI_MINOR) {
        snprintf(detail, sizeof detail,
                 _("built for plugin ABI %u.%u, but this jade speaks %u.%u: rebuild it"), major,
                 minor, JADE_PLUGIN_ABI_MAJOR, JADE_PLUGIN_ABI_MINOR);
        why = detail;
    } else if (minor > JADE_PLUGIN_ABI_MINOR) {
        snprintf(detail, sizeof detail,
                 _("built for plugin ABI %u.%u, newer than this jade's %u.%u: it may need what "
                   "this jade lacks; upgrade jade or build the plugin for %u.%u"),
                 major, minor, JADE_PLUGIN_ABI_MAJOR, JADE_PLUGIN_ABI_MINOR, JADE_PLUGIN_ABI_MAJOR,
                 JADE_PLUGIN_ABI_MINOR);
        why = detail;
    } else if (p->struct_size < MIN_PLUGIN_SIZE) {
        snprintf(detail, sizeof detail,
                 _("its struct jade_plugin is %u bytes, jade needs at least %zu: rebuild it"),
                 p->struct_size, (size_t)MIN_PLUGIN_SIZE);
        why = detail;
    } else if (!p->name || !*p->name || !p->init || !p->publish || !p->fini) {
        why = _("incomplete: a plugin needs a name, init, publish and fini");
    } else if (p->limits &&
               p->limits->struct_size < offsetof(struct jade_plugin_limits, text_max)) {
        why = _("its limits have no struct_size: rebuild it");
    } else if (p->limits && p->limits->counting > JADE_COUNT_GRAPHEMES) {
        snprintf(detail, sizeof detail, _("its limits count text in a way jade does not know (%u)"),
                 p->limits->counting);
        why = detail;
    } else if (p->account_schema && !account_schema_ok(p->account_schema, detail, sizeof detail)) {
        why = detail;
    }
    if (why) {
        jade_buf_printf(err, "%s: %s", path, why);
        dlclose(handle);
        return -1;
    }
    out->path = jade_xstrdup(path);
    out->handle = handle;
    out->descriptor = copy_struct(p, p->struct_size, sizeof *out->descriptor);
    out->limits =
        copy_struct(p->limits, p->limits ? p->limits->struct_size : 0, sizeof *out->limits);
    out->limits->struct_size = sizeof *out->limits;
    out->descriptor->struct_size = sizeof *out->descriptor;
    out->descriptor->limits = out->limits;
    out->plugin = out->descriptor;
    return 0;
}

static void unload(struct jade_loaded_plugin *lp)
{
    dlclose(lp->handle);
    free(lp->path);
    free(lp->descriptor);
    free(lp->limits);
}

static bool is_plugin_file(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".so") == 0 && name[0] != '.';
}

static void refuse(struct jade_plugins *out, const char *message)
{
    out->refused = jade_xrealloc(out->refused, (out->n_refused + 1) * sizeof *out->refused);
    out->refused[out->n_refused++] = jade_xstrdup(message);
}

static void load_one(const char *path, struct jade_plugins *out)
{
    struct jade_loaded_plugin lp;
    struct jade_buf err = {0};
    if (jade_plugin_load(path, &lp, &err) != 0) {
        refuse(out, jade_buf_str(&err));
        jade_buf_free(&err);
        return;
    }
    const struct jade_loaded_plugin *same = jade_plugins_find(out, lp.plugin->name);
    if (same) {
        jade_buf_printf(&err, _("%s: network \"%s\" is already provided by %s"), path,
                        lp.plugin->name, same->path);
        refuse(out, jade_buf_str(&err));
        jade_buf_free(&err);
        unload(&lp);
        return;
    }
    out->items = jade_xrealloc(out->items, (out->count + 1) * sizeof *out->items);
    out->items[out->count++] = lp;
}

/* Loading a plugin runs its code: a folder or file that anyone but root
 * or this user could have written is refused before dlopen. st is the
 * path's (links followed: what would be loaded). */
static bool trusted(const char *path, const struct stat *st, struct jade_plugins *out)
{
    const char *what = S_ISDIR(st->st_mode) ? _("plugin folder") : _("plugin");
    struct jade_buf err = {0};
    if (st->st_uid != 0 && st->st_uid != geteuid())
        jade_buf_printf(&err, _("%s %s refused: owned by uid %u, not root or this user (uid %u)"),
                        what, path, (unsigned)st->st_uid, (unsigned)geteuid());
    else if (st->st_mode & (S_IWGRP | S_IWOTH))
        jade_buf_printf(&err, _("%s %s refused: writable by %s (mode %04o)"), what, path,
                        st->st_mode & S_IWOTH ? _("others") : _("its group"),
                        (unsigned)(st->st_mode & 07777));
    bool ok = err.len == 0;
    if (!ok) refuse(out, jade_buf_str(&err));
    jade_buf_free(&err);
    return ok;
}

/* The paths of plugin files in dir (sorted, so loading order is stable),
 * looking one level into sub-folders; untrusted folders and files are
 * refused instead. */
static void find_files(const char *dir, int depth, char ***paths, size_t *n,
                       struct jade_plugins *out)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || !trusted(dir, &st, out)) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char *path = jade_xasprintf("%s/%s", dir, de->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth == 0) {
            find_files(path, 1, paths, n, out);
        } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && is_plugin_file(de->d_name) &&
                   trusted(path, &st, out)) {
            *paths = jade_xrealloc(*paths, (*n + 1) * sizeof **paths);
            (*paths)[(*n)++] = path;
            continue;
        }
        free(path);
    }
    closedir(d);
}

void jade_plugins_load_dir(const char *dir, struct jade_plugins *out)
{
    memset(out, 0, sizeof *out);
    char **paths = NULL;
    size_t n = 0;
    find_files(dir, 0, &paths, &n, out);
    if (n > 1) qsort(paths, n, sizeof *paths, jade_compare_text);
    for (size_t i = 0; i < n; i++) {
        load_one(paths[i], out);
        free(paths[i]);
    }
    free(paths);
}

const struct jade_loaded_plugin *jade_plugins_find(const struct jade_plugins *p,
                                                   const char *network)
{
    for (size_t i = 0; p && network && i < p->count; i++)
        if (strcmp(p->items[i].plugin->name, network) == 0) return &p->items[i];
    return NULL;
}

void jade_plugins_free(struct jade_plugins *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->count; i++) unload(&p->items[i]);
    for (size_t i = 0; i < p->n_refused; i++) free(p->refused[i]);
    free(p->items);
    free(p->refused);
    memset(p, 0, sizeof *p);
}

char *jade_default_plugin_dir(void)
{
    const char *env = getenv("JADE_PLUGIN_DIR");
    if (env && *env) return jade_xstrdup(env);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *beside = jade_xasprintf("%s/../plugins", exe); /* a build tree */
            struct stat st;
            if (stat(beside, &st) == 0 && S_ISDIR(st.st_mode)) return beside;
            free(beside);
#ifdef JADE_PLUGIN_DIR_FROM_BIN
            /* installed: where meson install put them, from the binary's
             * folder, so that a tree moved whole (a DESTDIR) keeps them */
            char *installed = jade_xasprintf("%s/%s", exe, JADE_PLUGIN_DIR_FROM_BIN);
            char *real = realpath(installed, NULL);
            free(installed);
            if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode)) return real;
            free(real);
#endif
        }
    }
    return jade_xstrdup(JADE_PLUGIN_INSTALL_DIR);
}
