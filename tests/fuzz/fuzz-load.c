/* fuzz-load.c - libFuzzer target for the parse-validate-load path.
 *
 * The input is cut into files of a small content tree: a valid base tree
 * (written once) whose file named by the input's first byte is replaced by
 * the rest of the input; the whole tree is then loaded and checked, as
 * `jade validate` does. Any crash, leak or sanitizer report is a bug.
 *
 * Build: meson setup build-fuzz -Dfuzz=true --buildtype=debugoptimized
 *        (CC=clang) ; run: tests/fuzz/README in the main README. */
#include "content/content.h"
#include "source/source.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const targets[] = {
    "jade.json",        "regions.json",     "people.json",        "channels.json",
    "c1/campaign.json", "c1/posts/p1.json", "c1/posts/p1.fr.txt",
};

static char root[] = "/tmp/jade-fuzz-XXXXXX";
static char *originals[sizeof targets / sizeof *targets];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return jade_xstrdup("");
    struct jade_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) jade_buf_append(&b, chunk, n);
    fclose(f);
    return jade_buf_steal(&b);
}

static void put(const char *rel, const char *data, size_t len)
{
    char *path = jade_xasprintf("%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
    free(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(root)) abort();
    const char *base = getenv("JADE_FUZZ_BASE");
    if (!base) base = "tests/bad/base";
    char *cmd = jade_xasprintf("cp -a '%s/.' '%s/'", base, root);
    if (system(cmd) != 0) abort();
    free(cmd);
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        char *path = jade_xasprintf("%s/%s", root, targets[i]);
        originals[i] = slurp(path);
        free(path);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t which = data[0] % (sizeof targets / sizeof *targets);
    put(targets[which], (const char *)data + 1, size - 1);
    struct jade_source *src = NULL;
    struct jade_buf err = {0};
    if (jade_source_open_dir(root, &src, &err) == 0) {
        struct jade_diags diags = {0};
        struct jade_content *c = jade_content_load(src, NULL, &diags);
        jade_diags_sort(&diags);
        jade_content_free(c);
        jade_diags_free(&diags);
        jade_source_free(src);
    }
    jade_buf_free(&err);
    put(targets[which], originals[which], strlen(originals[which]));
    return 0;
}
