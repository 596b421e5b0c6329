/* test-schema.c - the validator's behaviour beyond the official suite:
 * what it refuses at compile time, and the errors it reports. */
#include "test.h"

#include "content/schema.h"
#include "util/buf.h"
#include "util/embedded.h"

#include <stdlib.h>

struct collected {
    struct jade_buf text; /* "pointer|key|message\n" per error */
    int count;
};

static void collect_cb(void *ctx, const char *pointer, bool at_key, const char *message)
{
    struct collected *c = ctx;
    jade_buf_printf(&c->text, "%s|%s|%s\n", pointer, at_key ? "key" : "value", message);
    c->count++;
}

static struct jade_schema *compile(const char *text, struct jade_buf *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc) printf("# bad JSON in test: %s\n", jerr.text);
    struct jade_schema *s = jade_schema_compile(doc, "test", err);
    json_decref(doc);
    return s;
}

/* Validates instance against schema; returns the errors as text. */
static char *errors_of(const char *schema_text, const char *instance_text, int *count)
{
    struct jade_buf err = {0};
    struct jade_schema *s = compile(schema_text, &err);
    if (!s) {
        printf("# schema failed: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return jade_xstrdup("(schema failed)");
    }
    json_t *inst = json_loads(instance_text, JSON_DECODE_ANY, NULL);
    struct collected c = {{0}, 0};
    jade_schema_validate(s, inst, collect_cb, &c);
    json_decref(inst);
    jade_schema_free(s);
    if (count) *count = c.count;
    return jade_buf_steal(&c.text);
}

static void unsupported_keyword_is_refused(void)
{
    struct jade_buf err = {0};
    struct jade_schema *s = compile("{\"properties\": {\"a\": {\"minimumm\": 3}}}", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "unsupported keyword \"minimumm\"");
    CHECK_CONTAINS(jade_buf_str(&err), "/properties/a/minimumm");
    jade_buf_free(&err);
}

static void unsupported_format_is_refused(void)
{
    struct jade_buf err = {0};
    struct jade_schema *s = compile("{\"format\": \"email\"}", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "unsupported format \"email\"");
    jade_buf_free(&err);
}

static void remote_ref_is_refused(void)
{
    struct jade_buf err = {0};
    struct jade_schema *s = compile("{\"$ref\": \"http://example.com/other.json\"}", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "cannot resolve $ref");
    jade_buf_free(&err);
}

static void bad_regex_is_refused(void)
{
    struct jade_buf err = {0};
    struct jade_schema *s = compile("{\"pattern\": \"a(b\"}", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "invalid regular expression");
    jade_buf_free(&err);
}

static void unknown_field_points_at_name_with_suggestion(void)
{
    int n = 0;
    char *e = errors_of("{\"properties\": {\"title\": {}, \"status\": {}}, "
                        "\"additionalProperties\": false}",
                        "{\"titel\": 1}", &n);
    CHECK_INT_EQ(n, 1);
    CHECK_STR_EQ(e, "/titel|key|unknown field \"titel\" (did you mean \"title\"?)\n");
    free(e);
}

static void enum_suggests_the_closest_value(void)
{
    char *e = errors_of("{\"enum\": [\"draft\", \"active\", \"paused\"]}", "\"actve\"", NULL);
    CHECK_CONTAINS(e, "did you mean \"active\"?");
    free(e);
}

static void array_element_error_has_its_index(void)
{
    char *e = errors_of("{\"items\": {\"type\": \"string\"}}", "[\"a\", 2, \"c\"]", NULL);
    CHECK_STR_EQ(e, "/1|value|must be string, not a number\n");
    free(e);
}

static void required_reports_on_the_object(void)
{
    char *e = errors_of("{\"properties\": {\"w\": {\"required\": [\"start\", \"end\"]}}}",
                        "{\"w\": {\"start\": 1}}", NULL);
    CHECK_STR_EQ(e, "/w|value|missing required field \"end\"\n");
    free(e);
}

static void pattern_message_uses_the_title(void)
{
    char *e =
        errors_of("{\"title\": \"identifier\", \"pattern\": \"^[a-z]+$\"}", "\"Kayes\"", NULL);
    CHECK_STR_EQ(e, "|value|\"Kayes\" is not a valid identifier (expected to match ^[a-z]+$)\n");
    free(e);
}

static void every_error_is_reported(void)
{
    int n = 0;
    char *e = errors_of("{\"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"maxLength\": "
                        "2}}, \"required\": [\"c\"]}",
                        "{\"a\": \"x\", \"b\": \"xyz\"}", &n);
    CHECK_INT_EQ(n, 3);
    free(e);
}

static void length_counts_code_points(void)
{
    int n = 0;
    char *e = errors_of("{\"maxLength\": 3}", "\"\xc3\xa9t\xc3\xa9\"", &n); /* "été" */
    CHECK_INT_EQ(n, 0);
    free(e);
}

static void branches_of_any_of_stay_quiet(void)
{
    int n = 0;
    char *e =
        errors_of("{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}", "1.5", &n);
    CHECK_INT_EQ(n, 1);
    CHECK_CONTAINS(e, "does not match any of the allowed forms");
    free(e);
}

static void ref_cycle_on_same_instance_ends(void)
{
    int n = 0;
    char *e = errors_of("{\"definitions\": {\"a\": {\"$ref\": \"#/definitions/b\"}, \"b\": "
                        "{\"$ref\": \"#/definitions/a\"}}, \"$ref\": \"#/definitions/a\"}",
                        "1", &n);
    CHECK_CONTAINS(e, "nest too deeply");
    free(e);
}

static void if_then_reports_the_branch(void)
{
    char *e = errors_of("{\"if\": {\"properties\": {\"kind\": {\"const\": \"debunk\"}}}, \"then\": "
                        "{\"required\": [\"sources\"]}}",
                        "{\"kind\": \"debunk\"}", NULL);
    CHECK_STR_EQ(e, "|value|missing required field \"sources\"\n");
    free(e);
}

static void every_shipped_schema_compiles(void)
{
    size_t count = 0;
    for (const struct jade_embedded *e = jade_embedded_schemas; e->name; e++, count++) {
        struct jade_buf err = {0};
        struct jade_schema *s = compile(e->data, &err);
        if (!s) printf("# %s: %s\n", e->name, jade_buf_str(&err));
        CHECK(s != NULL);
        jade_schema_free(s);
        jade_buf_free(&err);
    }
    CHECK_INT_EQ(count, 8); /* seven content kinds and the service configuration */
}

int main(void)
{
    RUN(every_shipped_schema_compiles);
    RUN(unsupported_keyword_is_refused);
    RUN(unsupported_format_is_refused);
    RUN(remote_ref_is_refused);
    RUN(bad_regex_is_refused);
    RUN(unknown_field_points_at_name_with_suggestion);
    RUN(enum_suggests_the_closest_value);
    RUN(array_element_error_has_its_index);
    RUN(required_reports_on_the_object);
    RUN(pattern_message_uses_the_title);
    RUN(every_error_is_reported);
    RUN(length_counts_code_points);
    RUN(branches_of_any_of_stay_quiet);
    RUN(ref_cycle_on_same_instance_ends);
    RUN(if_then_reports_the_branch);
    return test_done();
}
