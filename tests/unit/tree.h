/* tree.h - writing a content tree to a temporary folder and loading it,
 * for tests: `base` (defined by the test) with files replaced or removed. */
#ifndef JADE_TEST_TREE_H
#define JADE_TEST_TREE_H

#include "content/content.h"
#include "source/source.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct file {
    const char *path, *text; /* text NULL: remove the base's file */
};

static inline void write_file(const char *root, const char *rel, const char *text)
{
    char *path = jade_xasprintf("%s/%s", root, rel);
    for (char *slash = strchr(path + strlen(root) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

/* Loads base + files (which replace or remove the base's) from a temporary
 * folder; diags receives the content's problems, which are also printed
 * as TAP comments. */
static inline struct jade_content *load_tree(const struct file *base, const struct file *files,
                                             struct jade_diags *diags)
{
    char root[] = "/tmp/jade-test-plan-XXXXXX";
    if (!mkdtemp(root)) return NULL;
    for (const struct file *b = base; b->path; b++) {
        bool replaced = false;
        for (const struct file *f = files; f && f->path; f++) replaced |= !strcmp(f->path, b->path);
        if (!replaced) write_file(root, b->path, b->text);
    }
    for (const struct file *f = files; f && f->path; f++)
        if (f->text) write_file(root, f->path, f->text);
    struct jade_source *src = NULL;
    struct jade_buf err = {0};
    struct jade_content *c = NULL;
    if (jade_source_open_dir(root, &src, &err) == 0) c = jade_content_load(src, NULL, diags);
    jade_source_free(src);
    jade_buf_free(&err);
    char *cmd = jade_xasprintf("rm -rf '%s'", root);
    if (system(cmd) != 0) printf("# could not remove %s\n", root);
    free(cmd);
    for (size_t i = 0; i < diags->count; i++)
        printf("# %s:%d:%d: %s\n", diags->items[i].file, diags->items[i].line, diags->items[i].col,
               diags->items[i].message);
    return c;
}

#endif
