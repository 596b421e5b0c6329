/* schema.c - a JSON Schema draft-07 validator over jansson values.
 *
 * Compilation walks the schema document once and builds a tree of nodes,
 * one per subschema, with regexes compiled (PCRE2) and every $ref resolved
 * to its target node. Validation walks the instance against the nodes.
 * Errors are reported with the instance's JSON pointer; inside anyOf, oneOf,
 * not and if, validation runs quietly, since those branches are allowed to
 * fail. See schema.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "schema.h"

#include "../util/embedded.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/jsonpos.h"
#include "../util/suggest.h"
#include "../util/utf8.h"
#include "../util/timeparse.h"

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

const char *const jade_schema_keywords[] = {
    /* structure and annotations */
    "$schema", "$id", "$comment", "title", "description", "default", "examples", "definitions",
    "readOnly", "writeOnly", "contentMediaType", "contentEncoding",
    /* any instance */
    "type", "enum", "const", "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "format",
    /* objects */
    "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
    "minProperties", "maxProperties", "dependencies",
    /* arrays */
    "items", "additionalItems", "contains", "minItems", "maxItems", "uniqueItems",
    /* strings */
    "minLength", "maxLength", "pattern",
    /* numbers */
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", NULL};

const char *const jade_schema_formats[] = {"date-time", "date",          "time", "regex",
                                           "uri",       "uri-reference", NULL};

enum format { FMT_NONE, FMT_DATE_TIME, FMT_DATE, FMT_TIME, FMT_REGEX, FMT_URI, FMT_URI_REF };

enum {
    T_NULL = 1 << 0,
    T_BOOLEAN = 1 << 1,
    T_OBJECT = 1 << 2,
    T_ARRAY = 1 << 3,
    T_NUMBER = 1 << 4,
    T_STRING = 1 << 5,
    T_INTEGER = 1 << 6,
};
static const char *const type_names[] = {"null",   "boolean", "object", "array",
                                         "number", "string",  "integer"};

struct node;

struct named_node {
    const char *name; /* borrowed from the schema document */
    struct node *schema;
};

struct pattern_node {
    pcre2_code *re;
    const char *source;
    struct node *schema;
};

struct dependency {
    const char *name;
    const json_t *required; /* array of names, or NULL when schema is set */
    struct node *schema;
};

struct node_list {
    struct node **items;
    size_t count;
};

struct node {
    bool is_bool, bool_value;
    const char *title;
    unsigned types; /* 0: no "type" keyword */
    const json_t *enum_values, *const_value;
    struct named_node *props;
    size_t n_props;
    struct pattern_node *pattern_props;
    size_t n_pattern_props;
    struct node *additional_props, *property_names;
    const json_t *required;
    long long min_props, max_props; /* -1: absent */
    struct dependency *deps;
    size_t n_deps;
    struct node *items;           /* one schema for every item */
    struct node_list items_tuple; /* or one per position */
    bool has_items_tuple;
    struct node *additional_items, *contains;
    long long min_items, max_items, min_length, max_length;
    bool unique_items;
    pcre2_code *pattern;
    const char *pattern_source;
    bool has_min, has_max, has_xmin, has_xmax, has_multiple;
    double minimum, maximum, xminimum, xmaximum, multiple_of;
    const char *ref; /* resolved into ref_target after compilation */
    struct node *ref_target;
    struct node_list all_of, any_of, one_of;
    struct node *not_schema, *if_schema, *then_schema, *else_schema;
    enum format format;
    char *base_uri; /* the base URI in force here, for resolving $ref */
};

/* Where each subschema sits, so that $refs can find it. */
struct location {
    char *uri;     /* absolute URI of the enclosing resource, no fragment */
    char *pointer; /* JSON pointer from that resource's root */
    char *anchor;  /* plain-name fragment ("#foo" $id), or NULL */
    struct node *node;
};

struct jade_schema {
    json_t *doc, *meta_doc;
    struct node *root;
    struct node **nodes; /* every node, for freeing */
    size_t n_nodes, cap_nodes;
    struct location *locs;
    size_t n_locs, cap_locs;
};

struct compiler {
    struct jade_schema *s;
    const char *name;
    struct jade_buf *err;
    bool failed;
    json_t *ref_targets; /* local "#/..." $ref fragments, decoded, as a set */
};

static const char DEFAULT_BASE[] = "jade:schema";
static const char META_URI[] = "http://json-schema.org/draft-07/schema";

/* ---- URIs ------------------------------------------------------------- */

static char *strip_fragment(const char *uri)
{
    const char *hash = strchr(uri, '#');
    return hash ? jade_xstrndup(uri, (size_t)(hash - uri)) : jade_xstrdup(uri);
}

static bool has_scheme(const char *uri)
{
    const char *c = uri;
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) return false;
    while (*c && *c != ':' && *c != '/' && *c != '?' && *c != '#') c++;
    return *c == ':';
}

/* Resolves ref against base (RFC 3986 §5.2, without dot-segment removal,
 * which the schemas jade meets do not need). */
static char *resolve_uri(const char *base, const char *ref)
{
    if (has_scheme(ref)) return jade_xstrdup(ref);
    char *b = strip_fragment(base);
    char *out;
    if (ref[0] == '#' || ref[0] == '\0') {
        out = jade_xasprintf("%s%s", b, ref);
    } else if (ref[0] == '/') {
        const char *auth = strstr(b, "://");
        const char *path = auth ? strchr(auth + 3, '/') : strchr(b, ':') + 1;
        size_t keep = path ? (size_t)(path - b) : strlen(b);
        out = jade_xasprintf("%.*s%s", (int)keep, b, ref);
    } else {
        const char *slash = strrchr(b, '/');
        const char *colon = strchr(b, ':');
        size_t keep = slash ? (size_t)(slash - b) + 1 : colon ? (size_t)(colon - b) + 1 : 0;
        out = jade_xasprintf("%.*s%s", (int)keep, b, ref);
    }
    free(b);
    return out;
}

static char *percent_decode(const char *s)
{
    struct jade_buf out = {0};
    jade_buf_append(&out, "", 0);
    for (; *s; s++) {
        if (s[0] == '%' && s[1] && s[2]) {
            char hex[3] = {s[1], s[2], 0};
            char c = (char)strtol(hex, NULL, 16);
            jade_buf_append(&out, &c, 1);
            s += 2;
        } else {
            jade_buf_append(&out, s, 1);
        }
    }
    return jade_buf_steal(&out);
}

/* ---- compilation ------------------------------------------------------- */

static void compile_fail(struct compiler *c, const char *pointer, const char *fmt, const char *arg)
{
    if (c->failed) return;
    c->failed = true;
    jade_buf_printf(c->err, "%s: %s: ", c->name, *pointer ? pointer : "/");
    jade_buf_printf(c->err, fmt, arg);
}

static struct node *new_node(struct jade_schema *s)
{
    struct node *n = jade_xcalloc(1, sizeof *n);
    n->min_props = n->max_props = n->min_items = n->max_items = -1;
    n->min_length = n->max_length = -1;
    if (s->n_nodes == s->cap_nodes) {
        s->cap_nodes = s->cap_nodes ? s->cap_nodes * 2 : 32;
        s->nodes = jade_xrealloc(s->nodes, s->cap_nodes * sizeof *s->nodes);
    }
    s->nodes[s->n_nodes++] = n;
    return n;
}

static void add_location(struct jade_schema *s, const char *uri, const char *pointer,
                         const char *anchor, struct node *node)
{
    if (s->n_locs == s->cap_locs) {
        s->cap_locs = s->cap_locs ? s->cap_locs * 2 : 32;
        s->locs = jade_xrealloc(s->locs, s->cap_locs * sizeof *s->locs);
    }
    struct location *l = &s->locs[s->n_locs++];
    l->uri = jade_xstrdup(uri);
    l->pointer = jade_xstrdup(pointer);
    l->anchor = anchor ? jade_xstrdup(anchor) : NULL;
    l->node = node;
}

static bool is_known_keyword(const char *key)
{
    for (const char *const *k = jade_schema_keywords; *k; k++)
        if (strcmp(*k, key) == 0) return true;
    return false;
}

static struct node *compile_node(struct compiler *c, const json_t *js, const char *base,
                                 const char *res_uri, struct jade_buf *res_ptr,
                                 struct jade_buf *doc_ptr);

/* Compiles the subschema at member `key` (and optional index/name) of js. */
static struct node *compile_child(struct compiler *c, const json_t *child, const char *base,
                                  const char *res_uri, struct jade_buf *res_ptr,
                                  struct jade_buf *doc_ptr, const char *key, const char *sub)
{
    size_t res_len = res_ptr->len, doc_len = doc_ptr->len;
    jade_json_pointer_push(res_ptr, key);
    jade_json_pointer_push(doc_ptr, key);
    if (sub) {
        jade_json_pointer_push(res_ptr, sub);
        jade_json_pointer_push(doc_ptr, sub);
    }
    struct node *n = compile_node(c, child, base, res_uri, res_ptr, doc_ptr);
    jade_buf_truncate(res_ptr, res_len);
    jade_buf_truncate(doc_ptr, doc_len);
    return n;
}

static bool get_count(struct compiler *c, const json_t *v, const char *ptr, const char *key,
                      long long *out)
{
    double d = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
                                  : -1;
    if (d < 0 || d != floor(d)) {
        compile_fail(c, ptr, _("\"%s\" must be a non-negative integer"), key);
        return false;
    }
    *out = (long long)d;
    return true;
}

static bool get_number(struct compiler *c, const json_t *v, const char *ptr, const char *key,
                       double *out)
{
    if (!json_is_number(v)) {
        compile_fail(c, ptr, _("\"%s\" must be a number"), key);
        return false;
    }
    *out = json_number_value(v);
    return true;
}

static pcre2_code *compile_regex(struct compiler *c, const char *source, const char *ptr)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)source, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
    if (!re) {
        compile_fail(c, ptr, _("invalid regular expression \"%s\""), source);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimisation: failure is fine */
    return re;
}

static void compile_list(struct compiler *c, const json_t *v, struct node_list *list,
                         const char *base, const char *res_uri, struct jade_buf *res_ptr,
                         struct jade_buf *doc_ptr, const char *key)
{
    if (!json_is_array(v) || json_array_size(v) == 0) {
        compile_fail(c, jade_buf_str(doc_ptr), _("\"%s\" must be a non-empty array of schemas"),
                     key);
        return;
    }
    list->count = json_array_size(v);
    list->items = jade_xcalloc(list->count, sizeof *list->items);
    for (size_t i = 0; i < list->count; i++) {
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        list->items[i] =
            compile_child(c, json_array_get(v, i), base, res_uri, res_ptr, doc_ptr, key, idx);
    }
}

static void compile_type(struct compiler *c, struct node *n, const json_t *v, const char *ptr)
{
    const json_t *one = v;
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < count; i++) {
        if (json_is_array(v)) one = json_array_get(v, i);
        const char *name = json_string_value(one);
        size_t t = 0;
        while (name && t < sizeof type_names / sizeof *type_names && strcmp(type_names[t], name))
            t++;
        if (!name || t == sizeof type_names / sizeof *type_names) {
            compile_fail(c, ptr, _("unknown type \"%s\""), name ? name : "?");
            return;
        }
        n->types |= 1u << t;
    }
}

static enum format format_of(const char *name)
{
    static const enum format values[] = {FMT_DATE_TIME, FMT_DATE, FMT_TIME,
                                         FMT_REGEX,     FMT_URI,  FMT_URI_REF};
    for (size_t i = 0; name && jade_schema_formats[i]; i++)
        if (strcmp(jade_schema_formats[i], name) == 0) return values[i];
    return FMT_NONE;
}

/* A member that is not a keyword is refused, unless a $ref points at it or
 * into it: then it is a place that keeps schemas, as "definitions" is. */
static void compile_ref_container(struct compiler *c, const json_t *v, const char *base,
                                  const char *res_uri, struct jade_buf *res_ptr,
                                  struct jade_buf *doc_ptr, const char *key)
{
    size_t doc_len = doc_ptr->len, res_len = res_ptr->len;
    jade_json_pointer_push(doc_ptr, key);
    const char *here = jade_buf_str(doc_ptr);
    size_t here_len = strlen(here);
    bool exact = json_object_get(c->ref_targets, here) != NULL, inside = false;
    const char *target;
    json_t *unused;
    json_object_foreach (c->ref_targets, target, unused)
        inside |= strncmp(target, here, here_len) == 0 && target[here_len] == '/';
    if (exact) {
        jade_buf_truncate(doc_ptr, doc_len);
        compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        return;
    }
    if (inside && json_is_object(v)) {
        jade_json_pointer_push(res_ptr, key);
        const char *name;
        const json_t *sub;
        json_object_foreach ((json_t *)v, name, sub)
            compile_ref_container(c, sub, base, res_uri, res_ptr, doc_ptr, name);
    } else {
        compile_fail(c, here, _("unsupported keyword \"%s\""), key);
    }
    jade_buf_truncate(doc_ptr, doc_len);
    jade_buf_truncate(res_ptr, res_len);
}

/* Compiles the object-valued keywords of one schema object. */
static void compile_object_keywords(struct compiler *c, struct node *n, const json_t *js,
                                    const char *base, const char *res_uri, struct jade_buf *res_ptr,
                                    struct jade_buf *doc_ptr)
{
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)js, key, v) {
        if (c->failed) return;
        size_t doc_len = doc_ptr->len;
        jade_json_pointer_push(doc_ptr, key);
        const char *ptr = jade_buf_str(doc_ptr);
        char *ptr_copy = jade_xstrdup(ptr);
        jade_buf_truncate(doc_ptr, doc_len);
        ptr = ptr_copy;

        if (!is_known_keyword(key)) {
            compile_ref_container(c, v, base, res_uri, res_ptr, doc_ptr, key);
        } else if (!strcmp(key, "title")) {
            n->title = json_string_value(v);
        } else if (!strcmp(key, "type")) {
            compile_type(c, n, v, ptr);
        } else if (!strcmp(key, "enum")) {
            if (!json_is_array(v)) compile_fail(c, ptr, _("\"%s\" must be an array"), key);
            n->enum_values = v;
        } else if (!strcmp(key, "const")) {
            n->const_value = v;
        } else if (!strcmp(key, "properties") || !strcmp(key, "patternProperties") ||
                   !strcmp(key, "definitions")) {
            if (!json_is_object(v)) {
                compile_fail(c, ptr, _("\"%s\" must be an object of schemas"), key);
                free(ptr_copy);
                continue;
            }
            bool props = !strcmp(key, "properties"), patterns = !strcmp(key, "patternProperties");
            size_t count = json_object_size(v), i = 0;
            if (props) n->props = jade_xcalloc(count, sizeof *n->props), n->n_props = count;
            if (patterns)
                n->pattern_props = jade_xcalloc(count, sizeof *n->pattern_props),
                n->n_pattern_props = count;
            const char *name;
            const json_t *sub;
            json_object_foreach ((json_t *)v, name, sub) {
                struct node *child =
                    compile_child(c, sub, base, res_uri, res_ptr, doc_ptr, key, name);
                if (props) n->props[i] = (struct named_node){name, child};
                if (patterns)
                    n->pattern_props[i] =
                        (struct pattern_node){compile_regex(c, name, ptr), name, child};
                i++;
            }
        } else if (!strcmp(key, "additionalProperties")) {
            n->additional_props = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "propertyNames")) {
            n->property_names = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "additionalItems")) {
            n->additional_items = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "contains")) {
            n->contains = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "not")) {
            n->not_schema = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "if")) {
            n->if_schema = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "then")) {
            n->then_schema = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "else")) {
            n->else_schema = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
        } else if (!strcmp(key, "items")) {
            if (json_is_array(v)) {
                n->has_items_tuple = true;
                n->items_tuple.count = json_array_size(v);
                n->items_tuple.items = jade_xcalloc(n->items_tuple.count, sizeof(struct node *));
                for (size_t i = 0; i < n->items_tuple.count; i++) {
                    char idx[24];
                    snprintf(idx, sizeof idx, "%zu", i);
                    n->items_tuple.items[i] = compile_child(c, json_array_get(v, i), base, res_uri,
                                                            res_ptr, doc_ptr, key, idx);
                }
            } else {
                n->items = compile_child(c, v, base, res_uri, res_ptr, doc_ptr, key, NULL);
            }
        } else if (!strcmp(key, "allOf")) {
            compile_list(c, v, &n->all_of, base, res_uri, res_ptr, doc_ptr, key);
        } else if (!strcmp(key, "anyOf")) {
            compile_list(c, v, &n->any_of, base, res_uri, res_ptr, doc_ptr, key);
        } else if (!strcmp(key, "oneOf")) {
            compile_list(c, v, &n->one_of, base, res_uri, res_ptr, doc_ptr, key);
        } else if (!strcmp(key, "required")) {
            if (!json_is_array(v)) compile_fail(c, ptr, _("\"%s\" must be an array"), key);
            n->required = v;
        } else if (!strcmp(key, "dependencies")) {
            if (!json_is_object(v)) {
                compile_fail(c, ptr, _("\"%s\" must be an object"), key);
                free(ptr_copy);
                continue;
            }
            n->n_deps = json_object_size(v);
            n->deps = jade_xcalloc(n->n_deps, sizeof *n->deps);
            size_t i = 0;
            const char *name;
            const json_t *sub;
            json_object_foreach ((json_t *)v, name, sub) {
                n->deps[i].name = name;
                if (json_is_array(sub))
                    n->deps[i].required = sub;
                else
                    n->deps[i].schema =
                        compile_child(c, sub, base, res_uri, res_ptr, doc_ptr, key, name);
                i++;
            }
        } else if (!strcmp(key, "minProperties")) {
            get_count(c, v, ptr, key, &n->min_props);
        } else if (!strcmp(key, "maxProperties")) {
            get_count(c, v, ptr, key, &n->max_props);
        } else if (!strcmp(key, "minItems")) {
            get_count(c, v, ptr, key, &n->min_items);
        } else if (!strcmp(key, "maxItems")) {
            get_count(c, v, ptr, key, &n->max_items);
        } else if (!strcmp(key, "minLength")) {
            get_count(c, v, ptr, key, &n->min_length);
        } else if (!strcmp(key, "maxLength")) {
            get_count(c, v, ptr, key, &n->max_length);
        } else if (!strcmp(key, "uniqueItems")) {
            n->unique_items = json_is_true(v);
        } else if (!strcmp(key, "pattern")) {
            n->pattern_source = json_string_value(v);
            if (!n->pattern_source)
                compile_fail(c, ptr, _("\"%s\" must be a string"), key);
            else
                n->pattern = compile_regex(c, n->pattern_source, ptr);
        } else if (!strcmp(key, "minimum")) {
            n->has_min = get_number(c, v, ptr, key, &n->minimum);
        } else if (!strcmp(key, "maximum")) {
            n->has_max = get_number(c, v, ptr, key, &n->maximum);
        } else if (!strcmp(key, "exclusiveMinimum")) {
            n->has_xmin = get_number(c, v, ptr, key, &n->xminimum);
        } else if (!strcmp(key, "exclusiveMaximum")) {
            n->has_xmax = get_number(c, v, ptr, key, &n->xmaximum);
        } else if (!strcmp(key, "multipleOf")) {
            n->has_multiple = get_number(c, v, ptr, key, &n->multiple_of);
            if (n->has_multiple && n->multiple_of <= 0)
                compile_fail(c, ptr, _("\"%s\" must be greater than 0"), key);
        } else if (!strcmp(key, "$ref")) {
            if (!json_is_string(v)) compile_fail(c, ptr, _("\"%s\" must be a string"), key);
            n->ref = json_string_value(v);
        } else if (!strcmp(key, "format")) {
            n->format = format_of(json_string_value(v));
            if (n->format == FMT_NONE)
                compile_fail(c, ptr, _("unsupported format \"%s\""),
                             json_string_value(v) ? json_string_value(v) : "?");
        }
        free(ptr_copy);
    }
}

static struct node *compile_node(struct compiler *c, const json_t *js, const char *base,
                                 const char *res_uri, struct jade_buf *res_ptr,
                                 struct jade_buf *doc_ptr)
{
    struct node *n = new_node(c->s);
    if (json_is_boolean(js)) {
        n->is_bool = true;
        n->bool_value = json_is_true(js);
        add_location(c->s, res_uri, jade_buf_str(res_ptr), NULL, n);
        return n;
    }
    if (!json_is_object(js)) {
        compile_fail(c, jade_buf_str(doc_ptr), _("a schema must be an object or a boolean%s"), "");
        return n;
    }
    /* $id changes the base URI, and starts a new resource (except with $ref,
     * whose siblings draft-07 ignores). */
    const char *id = json_string_value(json_object_get(js, "$id"));
    struct jade_buf local_ptr = {0};
    char *new_res = NULL, *anchor = NULL;
    bool has_ref = json_object_get(js, "$ref") != NULL;
    if (id && !has_ref) {
        char *abs = resolve_uri(base, id);
        n->base_uri = strip_fragment(abs);
        const char *hash = strchr(abs, '#');
        if (id[0] == '#') {
            anchor = jade_xstrdup(hash + 1);
        } else {
            new_res = jade_xstrdup(n->base_uri);
            res_uri = new_res;
            res_ptr = &local_ptr;
            jade_buf_append(res_ptr, "", 0);
        }
        free(abs);
    } else {
        n->base_uri = strip_fragment(base);
    }
    add_location(c->s, res_uri, jade_buf_str(res_ptr), anchor, n);
    free(anchor);

    if (has_ref) {
        /* draft-07: "All other properties in a "$ref" object MUST be ignored." */
        n->ref = json_string_value(json_object_get(js, "$ref"));
        if (!n->ref) compile_fail(c, jade_buf_str(doc_ptr), _("\"%s\" must be a string"), "$ref");
        /* Its siblings are compiled too, only so that $refs into them resolve. */
        struct node *siblings = new_node(c->s);
        siblings->base_uri = jade_xstrdup(n->base_uri);
        compile_object_keywords(c, siblings, js, n->base_uri, res_uri, res_ptr, doc_ptr);
        siblings->ref = NULL;
    } else {
        compile_object_keywords(c, n, js, n->base_uri, res_uri, res_ptr, doc_ptr);
    }
    jade_buf_free(&local_ptr);
    free(new_res);
    return n;
}

static struct node *find_location(struct jade_schema *s, const char *uri, const char *frag)
{
    for (size_t i = 0; i < s->n_locs; i++) {
        struct location *l = &s->locs[i];
        if (strcmp(l->uri, uri) != 0) continue;
        if (frag[0] == '/' || frag[0] == '\0') {
            if (strcmp(l->pointer, frag) == 0) return l->node;
        } else if (l->anchor && strcmp(l->anchor, frag) == 0) {
            return l->node;
        }
    }
    return NULL;
}

/* Collects the local pointer fragments of every $ref in doc. */
static void collect_ref_targets(const json_t *j, json_t *set)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            collect_ref_targets(json_array_get(j, i), set);
        return;
    }
    if (!json_is_object(j)) return;
    const char *ref = json_string_value(json_object_get(j, "$ref"));
    if (ref && strncmp(ref, "#/", 2) == 0) {
        char *frag = percent_decode(ref + 1);
        json_object_set_new(set, frag, json_true());
        free(frag);
    }
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)j, key, v) collect_ref_targets(v, set);
}

static struct node *compile_document(struct compiler *c, const json_t *doc, const char *uri)
{
    json_decref(c->ref_targets);
    c->ref_targets = json_object();
    collect_ref_targets(doc, c->ref_targets);
    struct jade_buf res_ptr = {0}, doc_ptr = {0};
    jade_buf_append(&res_ptr, "", 0);
    jade_buf_append(&doc_ptr, "", 0);
    struct node *root = compile_node(c, doc, uri, uri, &res_ptr, &doc_ptr);
    jade_buf_free(&res_ptr);
    jade_buf_free(&doc_ptr);
    return root;
}

static bool resolve_refs(struct compiler *c)
{
    for (size_t i = 0; i < c->s->n_nodes && !c->failed; i++) {
        struct node *n = c->s->nodes[i];
        if (!n->ref || n->ref_target) continue;
        char *abs = resolve_uri(n->base_uri, n->ref);
        char *uri = strip_fragment(abs);
        const char *hash = strchr(abs, '#');
        char *frag = percent_decode(hash ? hash + 1 : "");
        if (!strcmp(uri, META_URI) && !c->s->meta_doc) {
            json_error_t jerr;
            c->s->meta_doc = json_loads(jade_embedded_meta_schema[0].data, 0, &jerr);
            compile_document(c, c->s->meta_doc, META_URI);
        }
        n->ref_target = find_location(c->s, uri, frag);
        if (!n->ref_target)
            compile_fail(c, "",
                         _("cannot resolve $ref \"%s\" (only references inside the "
                           "schema and to the draft-07 meta-schema are supported)"),
                         n->ref);
        free(abs);
        free(uri);
        free(frag);
    }
    return !c->failed;
}

struct jade_schema *jade_schema_compile(json_t *doc, const char *name, struct jade_buf *err)
{
    struct jade_schema *s = jade_xcalloc(1, sizeof *s);
    s->doc = json_incref(doc);
    struct compiler c = {s, name, err, false, NULL};
    s->root = compile_document(&c, doc, DEFAULT_BASE);
    if (!c.failed) resolve_refs(&c);
    json_decref(c.ref_targets);
    if (c.failed) {
        jade_schema_free(s);
        return NULL;
    }
    return s;
}

void jade_schema_free(struct jade_schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        struct node *n = s->nodes[i];
        for (size_t k = 0; k < n->n_pattern_props; k++) pcre2_code_free(n->pattern_props[k].re);
        pcre2_code_free(n->pattern);
        free(n->props);
        free(n->pattern_props);
        free(n->deps);
        free(n->items_tuple.items);
        free(n->all_of.items);
        free(n->any_of.items);
        free(n->one_of.items);
        free(n->base_uri);
        free(n);
    }
    for (size_t i = 0; i < s->n_locs; i++) {
        free(s->locs[i].uri);
        free(s->locs[i].pointer);
        free(s->locs[i].anchor);
    }
    free(s->locs);
    free(s->nodes);
    json_decref(s->doc);
    json_decref(s->meta_doc);
    free(s);
}

/* ---- validation -------------------------------------------------------- */

struct validator {
    jade_schema_error_cb cb;
    void *ctx;
    int quiet; /* > 0 inside branches that may fail */
    struct jade_buf ptr;
    pcre2_match_data *match;
    int depth;
};

#define MAX_DEPTH 512 /* a $ref cycle on the same instance must end */

static bool validate(struct validator *v, const struct node *n, const json_t *inst);

static void report(struct validator *v, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct validator *v, bool at_key, const char *fmt, ...)
{
    if (v->quiet || !v->cb) return;
    struct jade_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    v->cb(v->ctx, jade_buf_str(&v->ptr), at_key, jade_buf_str(&msg));
    jade_buf_free(&msg);
}

static const char *kind_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return _("an object");
    case JSON_ARRAY:
        return _("an array");
    case JSON_STRING:
        return _("a string");
    case JSON_INTEGER:
    case JSON_REAL:
        return _("a number");
    case JSON_TRUE:
    case JSON_FALSE:
        return _("a boolean");
    default:
        return _("null");
    }
}

static bool is_integral(const json_t *j)
{
    if (json_is_integer(j)) return true;
    if (!json_is_real(j)) return false;
    double d = json_real_value(j);
    return isfinite(d) && d == floor(d);
}

static bool type_matches(unsigned types, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return types & T_OBJECT;
    case JSON_ARRAY:
        return types & T_ARRAY;
    case JSON_STRING:
        return types & T_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return (types & T_NUMBER) || ((types & T_INTEGER) && is_integral(j));
    case JSON_TRUE:
    case JSON_FALSE:
        return types & T_BOOLEAN;
    default:
        return types & T_NULL;
    }
}

/* JSON equality as JSON Schema defines it: 1 and 1.0 are the same number. */
static bool values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b)) return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!values_equal(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) return false;
        const char *key;
        const json_t *va;
        json_object_foreach ((json_t *)a, key, va) {
            const json_t *vb = json_object_get(b, key);
            if (!vb || !values_equal(va, vb)) return false;
        }
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

static void describe_value(struct jade_buf *out, const json_t *j)
{
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text && strlen(text) > 60)
        jade_buf_printf(out, "%.57s...", text);
    else
        jade_buf_puts(out, text ? text : "?");
    free(text);
}

static void describe_types(struct jade_buf *out, unsigned types)
{
    bool first = true;
    for (size_t t = 0; t < sizeof type_names / sizeof *type_names; t++) {
        if (!(types & (1u << t))) continue;
        jade_buf_printf(out, "%s%s", first ? "" : _(" or "), type_names[t]);
        first = false;
    }
}

static bool check_enum(struct validator *v, const struct node *n, const json_t *inst)
{
    size_t count = json_array_size(n->enum_values);
    for (size_t i = 0; i < count; i++)
        if (values_equal(inst, json_array_get(n->enum_values, i))) return true;
    if (v->quiet || !v->cb) return false;
    struct jade_buf msg = {0}, choices = {0};
    describe_value(&msg, inst);
    const char **names = jade_xcalloc(count, sizeof *names);
    size_t n_names = 0;
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_array_get(n->enum_values, i);
        if (i) jade_buf_puts(&choices, ", ");
        describe_value(&choices, e);
        if (json_is_string(e)) names[n_names++] = json_string_value(e);
    }
    const char *hint =
        json_is_string(inst) ? jade_suggest(json_string_value(inst), names, n_names) : NULL;
    if (hint)
        report(v, false, _("%s is not one of %s (did you mean \"%s\"?)"), jade_buf_str(&msg),
               jade_buf_str(&choices), hint);
    else
        report(v, false, _("%s is not one of %s"), jade_buf_str(&msg), jade_buf_str(&choices));
    free(names);
    jade_buf_free(&msg);
    jade_buf_free(&choices);
    return false;
}

static bool regex_search(struct validator *v, pcre2_code *re, const char *s, size_t len)
{
    if (!v->match) v->match = pcre2_match_data_create(32, NULL);
    return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, v->match, NULL) >= 0;
}

static bool check_format(struct validator *v, const struct node *n, const char *s, size_t len)
{
    switch (n->format) {
    case FMT_DATE_TIME:
        return jade_time_parse_rfc3339(s, NULL) == 0;
    case FMT_DATE:
        return jade_time_parse_date(s, NULL) == 0;
    case FMT_TIME:
        return jade_time_parse_time_of_day(s, true, NULL) == 0;
    case FMT_REGEX: {
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, len, PCRE2_UTF, &code, &off, NULL);
        pcre2_code_free(re);
        return re != NULL;
    }
    case FMT_URI:
    case FMT_URI_REF:
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] <= ' ' || strchr("\"<>\\^`{|}", s[i])) return false;
        return n->format == FMT_URI_REF || has_scheme(s);
    default:
        (void)v;
        return true;
    }
}

static bool validate_string(struct validator *v, const struct node *n, const json_t *inst)
{
    bool ok = true;
    const char *s = json_string_value(inst);
    size_t bytes = json_string_length(inst);
    if (n->min_length >= 0 || n->max_length >= 0) {
        long long chars = (long long)jade_utf8_length(s, bytes);
        if (n->min_length >= 0 && chars < n->min_length) {
            ok = false;
            if (n->min_length == 1)
                report(v, false, _("must not be empty"));
            else
                report(v, false, _("must be at least %lld characters long, not %lld"),
                       n->min_length, chars);
        }
        if (n->max_length >= 0 && chars > n->max_length) {
            ok = false;
            report(v, false, _("must be at most %lld characters long, not %lld"), n->max_length,
                   chars);
        }
    }
    if (n->pattern && !regex_search(v, n->pattern, s, bytes)) {
        ok = false;
        struct jade_buf val = {0};
        describe_value(&val, inst);
        if (n->title)
            report(v, false, _("%s is not a valid %s (expected to match %s)"), jade_buf_str(&val),
                   n->title, n->pattern_source);
        else
            report(v, false, _("%s does not match the pattern %s"), jade_buf_str(&val),
                   n->pattern_source);
        jade_buf_free(&val);
    }
    if (n->format != FMT_NONE && !check_format(v, n, s, bytes)) {
        ok = false;
        static const char *const names[] = {
            "", "date-time", "date", "time", N_("regular expression"), "URI", N_("URI reference")};
        struct jade_buf val = {0};
        describe_value(&val, inst);
        report(v, false, _("%s is not a valid %s"), jade_buf_str(&val), _(names[n->format]));
        jade_buf_free(&val);
    }
    return ok;
}

static bool validate_number(struct validator *v, const struct node *n, const json_t *inst)
{
    bool ok = true;
    double x = json_number_value(inst);
    if (n->has_min && x < n->minimum)
        ok = false, report(v, false, _("must be at least %g, not %g"), n->minimum, x);
    if (n->has_max && x > n->maximum)
        ok = false, report(v, false, _("must be at most %g, not %g"), n->maximum, x);
    if (n->has_xmin && x <= n->xminimum)
        ok = false, report(v, false, _("must be greater than %g, not %g"), n->xminimum, x);
    if (n->has_xmax && x >= n->xmaximum)
        ok = false, report(v, false, _("must be less than %g, not %g"), n->xmaximum, x);
    if (n->has_multiple) {
        bool multiple;
        if (json_is_integer(inst) && n->multiple_of == floor(n->multiple_of) &&
            n->multiple_of < 9.2e18) {
            multiple = json_integer_value(inst) % (long long)n->multiple_of == 0;
        } else {
            double q = x / n->multiple_of;
            multiple = isfinite(q) && fabs(q - round(q)) < 1e-9;
        }
        if (!multiple)
            ok = false, report(v, false, _("must be a multiple of %g, not %g"), n->multiple_of, x);
    }
    return ok;
}

static bool validate_child(struct validator *v, const struct node *n, const json_t *inst,
                           const char *token)
{
    size_t len = v->ptr.len;
    jade_json_pointer_push(&v->ptr, token);
    bool ok = validate(v, n, inst);
    jade_buf_truncate(&v->ptr, len);
    return ok;
}

static void report_unknown_field(struct validator *v, const struct node *n, const char *key)
{
    const char **names = jade_xcalloc(n->n_props + 1, sizeof *names);
    for (size_t i = 0; i < n->n_props; i++) names[i] = n->props[i].name;
    const char *hint = jade_suggest(key, names, n->n_props);
    size_t len = v->ptr.len;
    jade_json_pointer_push(&v->ptr, key);
    if (hint)
        report(v, true, _("unknown field \"%s\" (did you mean \"%s\"?)"), key, hint);
    else if (n->n_props)
        report(v, true, _("unknown field \"%s\""), key);
    else
        report(v, true, _("field \"%s\" is not allowed here"), key);
    jade_buf_truncate(&v->ptr, len);
    free(names);
}

static bool validate_object(struct validator *v, const struct node *n, const json_t *inst)
{
    bool ok = true;
    size_t count = json_object_size(inst);
    if (n->min_props >= 0 && (long long)count < n->min_props)
        ok = false, report(v, false, _("must have at least %lld fields"), n->min_props);
    if (n->max_props >= 0 && (long long)count > n->max_props)
        ok = false, report(v, false, _("must have at most %lld fields"), n->max_props);
    for (size_t i = 0; i < json_array_size(n->required); i++) {
        const char *name = json_string_value(json_array_get(n->required, i));
        if (name && !json_object_get(inst, name))
            ok = false, report(v, false, _("missing required field \"%s\""), name);
    }
    const char *key;
    const json_t *val;
    json_object_foreach ((json_t *)inst, key, val) {
        bool matched = false;
        for (size_t i = 0; i < n->n_props; i++) {
            if (strcmp(n->props[i].name, key) != 0) continue;
            matched = true;
            ok &= validate_child(v, n->props[i].schema, val, key);
        }
        for (size_t i = 0; i < n->n_pattern_props; i++) {
            if (!regex_search(v, n->pattern_props[i].re, key, strlen(key))) continue;
            matched = true;
            ok &= validate_child(v, n->pattern_props[i].schema, val, key);
        }
        if (!matched && n->additional_props) {
            const struct node *ap = n->additional_props;
            if (ap->is_bool && !ap->bool_value) {
                ok = false;
                report_unknown_field(v, n, key);
            } else {
                ok &= validate_child(v, ap, val, key);
            }
        }
        if (n->property_names) {
            json_t *name = json_string(key);
            size_t len = v->ptr.len;
            jade_json_pointer_push(&v->ptr, key);
            v->quiet++;
            bool name_ok = validate(v, n->property_names, name);
            v->quiet--;
            if (!name_ok) ok = false, report(v, true, _("field name \"%s\" is not allowed"), key);
            jade_buf_truncate(&v->ptr, len);
            json_decref(name);
        }
    }
    for (size_t i = 0; i < n->n_deps; i++) {
        const struct dependency *d = &n->deps[i];
        if (!json_object_get(inst, d->name)) continue;
        if (d->schema) {
            ok &= validate(v, d->schema, inst);
            continue;
        }
        for (size_t k = 0; k < json_array_size(d->required); k++) {
            const char *need = json_string_value(json_array_get(d->required, k));
            if (need && !json_object_get(inst, need))
                ok = false,
                report(v, false, _("field \"%s\" requires field \"%s\""), d->name, need);
        }
    }
    return ok;
}

static bool validate_array(struct validator *v, const struct node *n, const json_t *inst)
{
    bool ok = true;
    size_t count = json_array_size(inst);
    if (n->min_items >= 0 && (long long)count < n->min_items)
        ok = false, report(v, false,
                           ngettext("must have at least %lld item", "must have at least %lld items",
                                    (unsigned long)n->min_items),
                           n->min_items);
    if (n->max_items >= 0 && (long long)count > n->max_items)
        ok = false, report(v, false,
                           ngettext("must have at most %lld item", "must have at most %lld items",
                                    (unsigned long)n->max_items),
                           n->max_items);
    for (size_t i = 0; i < count; i++) {
        const struct node *item = n->items;
        if (n->has_items_tuple)
            item = i < n->items_tuple.count ? n->items_tuple.items[i] : n->additional_items;
        if (!item) continue;
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        ok &= validate_child(v, item, json_array_get(inst, i), idx);
    }
    if (n->unique_items) {
        for (size_t i = 0; i < count; i++) {
            for (size_t k = i + 1; k < count; k++) {
                if (!values_equal(json_array_get(inst, i), json_array_get(inst, k))) continue;
                ok = false;
                char idx[24];
                snprintf(idx, sizeof idx, "%zu", k);
                size_t len = v->ptr.len;
                jade_json_pointer_push(&v->ptr, idx);
                report(v, false, _("duplicate of item %zu"), i);
                jade_buf_truncate(&v->ptr, len);
                i = count; /* one report per array is enough */
                break;
            }
        }
    }
    if (n->contains) {
        bool found = false;
        v->quiet++;
        for (size_t i = 0; i < count && !found; i++)
            found = validate(v, n->contains, json_array_get(inst, i));
        v->quiet--;
        if (!found) ok = false, report(v, false, _("no item matches what the list must contain"));
    }
    return ok;
}

static size_t count_matches(struct validator *v, const struct node_list *list, const json_t *inst,
                            size_t stop_at)
{
    size_t matches = 0;
    v->quiet++;
    for (size_t i = 0; i < list->count && matches < stop_at; i++)
        if (validate(v, list->items[i], inst)) matches++;
    v->quiet--;
    return matches;
}

static bool validate_combinators(struct validator *v, const struct node *n, const json_t *inst)
{
    bool ok = true;
    for (size_t i = 0; i < n->all_of.count; i++) ok &= validate(v, n->all_of.items[i], inst);
    if (n->any_of.count && count_matches(v, &n->any_of, inst, 1) == 0)
        ok = false, report(v, false, _("does not match any of the allowed forms"));
    if (n->one_of.count) {
        size_t m = count_matches(v, &n->one_of, inst, 2);
        if (m == 0) ok = false, report(v, false, _("does not match any of the allowed forms"));
        if (m > 1) ok = false, report(v, false, _("matches more than one of the allowed forms"));
    }
    if (n->not_schema) {
        v->quiet++;
        bool matched = validate(v, n->not_schema, inst);
        v->quiet--;
        if (matched) ok = false, report(v, false, _("is a form that is not allowed here"));
    }
    if (n->if_schema) {
        v->quiet++;
        bool cond = validate(v, n->if_schema, inst);
        v->quiet--;
        const struct node *branch = cond ? n->then_schema : n->else_schema;
        if (branch) ok &= validate(v, branch, inst);
    }
    return ok;
}

static bool validate(struct validator *v, const struct node *n, const json_t *inst)
{
    if (n->is_bool) {
        if (!n->bool_value) report(v, false, _("no value is allowed here"));
        return n->bool_value;
    }
    if (n->ref_target) {
        if (++v->depth > MAX_DEPTH) {
            v->depth--;
            report(v, false, _("schema references nest too deeply"));
            return false;
        }
        bool ok = validate(v, n->ref_target, inst);
        v->depth--;
        return ok;
    }
    if (n->types && !type_matches(n->types, inst)) {
        struct jade_buf want = {0};
        describe_types(&want, n->types);
        report(v, false, _("must be %s%s, not %s"),
               (n->types & (n->types - 1)) ? _("one of: ") : "", jade_buf_str(&want),
               kind_name(inst));
        jade_buf_free(&want);
        return false; /* the other keywords would only repeat the point */
    }
    bool ok = true;
    if (n->const_value && !values_equal(inst, n->const_value)) {
        struct jade_buf want = {0};
        describe_value(&want, n->const_value);
        ok = false, report(v, false, _("must be %s"), jade_buf_str(&want));
        jade_buf_free(&want);
    }
    if (n->enum_values) ok &= check_enum(v, n, inst);
    if (json_is_string(inst)) ok &= validate_string(v, n, inst);
    if (json_is_number(inst)) ok &= validate_number(v, n, inst);
    if (json_is_object(inst)) ok &= validate_object(v, n, inst);
    if (json_is_array(inst)) ok &= validate_array(v, n, inst);
    ok &= validate_combinators(v, n, inst);
    return ok;
}

bool jade_schema_validate(const struct jade_schema *schema, const json_t *instance,
                          jade_schema_error_cb cb, void *ctx)
{
    struct validator v = {cb, ctx, 0, {0}, NULL, 0};
    jade_buf_append(&v.ptr, "", 0);
    bool ok = validate(&v, schema->root, instance);
    jade_buf_free(&v.ptr);
    pcre2_match_data_free(v.match);
    return ok;
}
