/* test-schema-suite.c - the official JSON-Schema-Test-Suite (draft7) against
 * jade's validator: every case of the file of every supported keyword, and
 * of every supported format, must pass. The folder comes from argv[1].
 *
 * The files to run are derived from jade_schema_keywords, so adding a
 * keyword to the validator adds its tests here. */
#include "test.h"

#include "content/schema.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

/* Keywords whose tests live in a file of another name, or in none
 * (annotations have no assertions to test). */
static const char *suite_file_of(const char *keyword)
{
    static const char *const map[][2] = {
        {"$ref", "ref"},
        {"if", "if-then-else"},
        {"then", NULL},
        {"else", NULL},
        {"$schema", NULL},
        {"$id", NULL},
        {"$comment", NULL},
        {"title", NULL},
        {"description", NULL},
        {"examples", NULL},
        {"readOnly", NULL},
        {"writeOnly", NULL},
        {"contentMediaType", NULL},
        {"contentEncoding", NULL},
        {"format", NULL},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], keyword) == 0) return map[i][1];
    return keyword;
}

static void run_file(const char *dir, const char *name)
{
    char *path = jade_xasprintf("%s/%s.json", dir, name);
    json_error_t jerr;
    json_t *groups = json_load_file(path, 0, &jerr);
    if (!groups) {
        printf("# cannot read %s: %s\n", path, jerr.text);
        test_report(path, 1);
        free(path);
        return;
    }
    size_t gi;
    json_t *group;
    json_array_foreach (groups, gi, group) {
        const char *gdesc = json_string_value(json_object_get(group, "description"));
        struct jade_buf err = {0};
        struct jade_schema *schema =
            jade_schema_compile(json_object_get(group, "schema"), name, &err);
        size_t ti;
        json_t *tc;
        json_array_foreach (json_object_get(group, "tests"), ti, tc) {
            char *label = jade_xasprintf("%s: %s: %s", name, gdesc,
                                         json_string_value(json_object_get(tc, "description")));
            bool want = json_is_true(json_object_get(tc, "valid"));
            if (!schema) {
                printf("# schema does not compile: %s\n", jade_buf_str(&err));
                test_report(label, 1);
            } else {
                bool got = jade_schema_validate(schema, json_object_get(tc, "data"), NULL, NULL);
                if (got != want) printf("# expected %s\n", want ? "valid" : "invalid");
                test_report(label, got != want);
            }
            free(label);
        }
        jade_schema_free(schema);
        jade_buf_free(&err);
    }
    json_decref(groups);
    free(path);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/json-schema-test-suite/tests/draft7";
    if (access(dir, R_OK) != 0) {
        printf("# the JSON-Schema-Test-Suite is not at %s (apt-get install "
               "json-schema-test-suite)\n",
               dir);
        test_report("test suite present", 1);
        return test_done();
    }
    /* Files already run: several keywords share one (if/then/else). */
    json_t *done = json_object();
    for (const char *const *k = jade_schema_keywords; *k; k++) {
        const char *file = suite_file_of(*k);
        if (!file || json_object_get(done, file)) continue;
        char *path = jade_xasprintf("%s/%s.json", dir, file);
        bool exists = access(path, R_OK) == 0;
        free(path);
        if (!exists) continue; /* e.g. "definitions" has its own file; others may not */
        json_object_set_new(done, file, json_true());
        run_file(dir, file);
    }
    run_file(dir, "boolean_schema"); /* a schema may be true or false */
    for (const char *const *f = jade_schema_formats; *f; f++) {
        char *name = jade_xasprintf("optional/format/%s", *f);
        char *path = jade_xasprintf("%s/%s.json", dir, name);
        if (access(path, R_OK) == 0) run_file(dir, name);
        free(path);
        free(name);
    }
    json_decref(done);
    return test_done();
}
