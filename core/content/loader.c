/* loader.c - reading a content tree into a snapshot.
 *
 * Three steps. (1) Classify every listed path: which kind of file it is and
 * which campaign it belongs to. (2) Check each file on its own - size,
 * UTF-8, JSON, schema, secrets - on libuv's thread pool: these checks share
 * nothing but read-only schemas, and each file collects its own
 * diagnostics. (3) Index campaigns and posts and run the cross-file rules
 * (rules.c) on the main thread. */
#include "content.h"

#include "schema.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/embedded.h"
#include "../util/i18n.h"
#include "../util/jsonpos.h"
#include "../util/parallel.h"
#include "../util/suggest.h"
#include "../util/utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema_names[] = {
    [JADE_KIND_PROGRAMME] = "jade.schema.json",    [JADE_KIND_REGIONS] = "regions.schema.json",
    [JADE_KIND_PEOPLE] = "people.schema.json",     [JADE_KIND_CHANNELS] = "channels.schema.json",
    [JADE_KIND_CAMPAIGN] = "campaign.schema.json", [JADE_KIND_POST] = "post.schema.json",
    [JADE_KIND_RUMOUR] = "rumour.schema.json",
};

static const char *const root_files[] = {
    [JADE_KIND_PROGRAMME] = "jade.json",
    [JADE_KIND_REGIONS] = "regions.json",
    [JADE_KIND_PEOPLE] = "people.json",
    [JADE_KIND_CHANNELS] = "channels.json",
};

/* ---- step 1: classification ------------------------------------------- */

#define RUMOURS "rumours/"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The campaign folder that dir_end-terminated prefix of path names, if any. */
static const char *campaign_at(json_t *campaign_dirs, const char *path, size_t prefix_len)
{
    char *dir = jade_xstrndup(path, prefix_len);
    json_t *hit = json_object_get(campaign_dirs, dir);
    free(dir);
    return hit ? json_string_value(hit) : NULL;
}

static void classify_in_campaign(struct jade_file *f, json_t *campaign_dirs, struct jade_diags *d)
{
    const char *path = f->path;
    /* posts: <campaign>/posts/<post>.json or <campaign>/posts/<post>.<lang>.txt */
    const char *posts = strstr(path, "/posts/");
    if (posts && !strchr(posts + 7, '/')) {
        const char *cdir = campaign_at(campaign_dirs, path, (size_t)(posts - path));
        if (!cdir) {
            jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("a posts folder outside any campaign: %.*s has no campaign.json"),
                           (int)(posts - path), path);
            return;
        }
        f->campaign = jade_xstrdup(cdir);
        const char *name = posts + 7;
        const char *dot = strchr(name, '.');
        if (dot && strcmp(dot, ".json") == 0) {
            f->kind = JADE_KIND_POST;
            f->post = jade_xstrndup(name, (size_t)(dot - name));
            return;
        }
        const char *last = strrchr(name, '.');
        if (dot && last && dot != last && strcmp(last, ".txt") == 0) {
            f->kind = JADE_KIND_TEXT;
            f->post = jade_xstrndup(name, (size_t)(dot - name));
            f->lang = jade_xstrndup(dot + 1, (size_t)(last - dot - 1));
            return;
        }
        jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                       _("unexpected file in a posts folder: expected <post>.json or "
                         "<post>.<language>.txt"));
        return;
    }
    /* media: anything below <campaign>/... is the campaign's own file */
    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        const char *cdir = campaign_at(campaign_dirs, path, (size_t)(slash - path));
        if (cdir && !has_suffix(path, "/campaign.json")) {
            f->campaign = jade_xstrdup(cdir);
            f->kind = JADE_KIND_MEDIA;
        }
    }
}

static void classify(struct jade_content *c, const struct jade_source_entry *entries,
                     struct jade_diags *d, const char *prefix)
{
    /* A campaign folder holds a campaign.json file: a symbolic link or a
     * submodule of that name is refused below and makes none, so no post
     * belongs to a campaign that is not there. */
    json_t *campaign_dirs = json_object();
    for (size_t i = 0; i < c->n_files; i++) {
        const char *p = entries[i].path;
        if (entries[i].type == JADE_ENTRY_FILE && has_suffix(p, "/campaign.json")) {
            char *dir = jade_xstrndup(p, strlen(p) - strlen("/campaign.json"));
            json_object_set_new(campaign_dirs, dir, json_string(dir));
            free(dir);
        }
    }
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        const struct jade_source_entry *e = &entries[i];
        f->path = jade_xstrdup(e->path);
        f->display = jade_xasprintf("%s%s", prefix, e->path);
        f->size = e->size;
        f->kind = JADE_KIND_OTHER;
        if (e->type == JADE_ENTRY_SYMLINK) {
            jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("symbolic links are not allowed in a content tree: commit the "
                             "file itself"));
            continue;
        }
        if (e->type == JADE_ENTRY_OTHER) {
            jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("not a regular file (a submodule or a device): remove it"));
            continue;
        }
        bool at_root = !strchr(e->path, '/');
        for (int k = JADE_KIND_PROGRAMME; k <= JADE_KIND_CHANNELS; k++)
            if (at_root && strcmp(e->path, root_files[k]) == 0) f->kind = (enum jade_file_kind)k;
        if (f->kind != JADE_KIND_OTHER) continue;
        if (strcmp(e->path, "campaign.json") == 0) {
            jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("a campaign cannot sit at the root beside jade.json: move it into "
                             "a folder named after its id"));
        } else if (has_suffix(e->path, "/campaign.json")) {
            f->kind = JADE_KIND_CAMPAIGN;
            f->campaign = jade_xstrndup(e->path, strlen(e->path) - strlen("/campaign.json"));
        } else if (strncmp(e->path, "posts/", 6) == 0) {
            jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("a posts folder outside any campaign: put it in a campaign's "
                             "folder, beside campaign.json"));
        } else if (strncmp(e->path, RUMOURS, strlen(RUMOURS)) == 0 &&
                   !json_object_get(campaign_dirs, "rumours")) {
            const char *name = e->path + strlen(RUMOURS);
            if (!strchr(name, '/') && has_suffix(name, ".json") && strlen(name) > 5)
                f->kind = JADE_KIND_RUMOUR;
            else
                jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                               _("unexpected file in the rumours folder: expected "
                                 "rumours/<rumour>.json"));
        } else {
            classify_in_campaign(f, campaign_dirs, d);
        }
        if (f->kind == JADE_KIND_OTHER && has_suffix(e->path, ".json") && !f->campaign) {
            const char *base = strrchr(e->path, '/');
            base = base ? base + 1 : e->path;
            const char *names[] = {"jade.json", "regions.json", "people.json", "channels.json",
                                   "campaign.json"};
            const char *hint = jade_suggest(base, names, 5);
            if (hint)
                jade_diags_add(d, JADE_WARNING, f->display, 0, 0, NULL,
                               _("not part of the content tree, ignored (did you mean \"%s\"?)"),
                               hint);
        }
    }
    json_decref(campaign_dirs);
}

/* ---- step 2: per-file checks ------------------------------------------ */

struct check_job {
    struct jade_source *src;
    struct jade_file *files;
    size_t n_files;
    struct jade_diags *file_diags; /* one list per file: no locking */
    struct jade_schema *schemas[JADE_KIND_RUMOUR + 1];
    const struct jade_secret_scanner *secrets;
};

struct schema_error_ctx {
    struct jade_file *file;
    struct jade_diags *diags;
};

static void schema_error_cb(void *ctx, const char *pointer, bool at_key, const char *message)
{
    struct schema_error_ctx *e = ctx;
    jade_content_report(e->diags, e->file, JADE_ERROR, pointer, at_key, "%s", message);
}

static void scan_string_for_secret(const struct check_job *job, struct jade_file *f,
                                   struct jade_diags *d, const char *s, size_t len,
                                   const char *pointer)
{
    size_t off, n;
    const char *what;
    if (!jade_secret_find(job->secrets, s, len, &off, &n, &what)) return;
    if (pointer) {
        jade_content_report(d, f, JADE_ERROR, pointer, false,
                            _("this looks like %s: content is public, so never put a "
                              "credential here; name it in channels.json \"secret\" instead"),
                            what);
    } else {
        int line, col;
        jade_utf8_line_col(f->text, f->len, off, &line, &col);
        jade_diags_add(d, JADE_ERROR, f->display, line, col, NULL,
                       _("this looks like %s: content is public, so never put a credential "
                         "here"),
                       what);
    }
}

static void scan_json_for_secrets(const struct check_job *job, struct jade_file *f,
                                  struct jade_diags *d, const json_t *j, struct jade_buf *ptr)
{
    size_t len = ptr->len;
    if (json_is_string(j)) {
        scan_string_for_secret(job, f, d, json_string_value(j), json_string_length(j),
                               jade_buf_str(ptr));
    } else if (json_is_object(j)) {
        const char *key;
        const json_t *v;
        json_object_foreach ((json_t *)j, key, v) {
            jade_json_pointer_push(ptr, key);
            scan_json_for_secrets(job, f, d, v, ptr);
            jade_buf_truncate(ptr, len);
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            jade_json_pointer_push(ptr, idx);
            scan_json_for_secrets(job, f, d, json_array_get(j, i), ptr);
            jade_buf_truncate(ptr, len);
        }
    }
}

static bool read_text(struct check_job *job, struct jade_file *f, struct jade_diags *d,
                      size_t limit)
{
    if (f->size != JADE_SIZE_UNKNOWN && f->size > limit) {
        jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                       _("file is too large (%llu bytes; the limit is %zu KiB)"),
                       (unsigned long long)f->size, limit / 1024);
        return false;
    }
    struct jade_buf err = {0};
    if (jade_source_read(job->src, f->path, limit + 1, &f->text, &f->len, &err) != 0) {
        jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL, _("cannot read: %s"),
                       jade_buf_str(&err));
        jade_buf_free(&err);
        return false;
    }
    if (f->len > limit) { /* it grew since it was listed */
        jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL,
                       _("file is too large (over %zu KiB, the limit)"), limit / 1024);
        return false;
    }
    size_t bad;
    if (!jade_utf8_valid(f->text, f->len, &bad)) {
        int line, col;
        jade_utf8_line_col(f->text, f->len, bad, &line, &col);
        jade_diags_add(d, JADE_ERROR, f->display, line, col, NULL,
                       _("not valid UTF-8 (byte 0x%02x): save the file as UTF-8"),
                       (unsigned char)f->text[bad]);
        return false;
    }
    if (f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0) {
        jade_diags_add(d, JADE_ERROR, f->display, 1, 1, NULL,
                       _("starts with a byte order mark: save it as UTF-8 without BOM"));
        return false;
    }
    if (memchr(f->text, '\0', f->len)) {
        size_t off = (size_t)((char *)memchr(f->text, '\0', f->len) - f->text);
        int line, col;
        jade_utf8_line_col(f->text, f->len, off, &line, &col);
        jade_diags_add(d, JADE_ERROR, f->display, line, col, NULL,
                       _("contains a NUL byte: this is not a text file"));
        return false;
    }
    size_t i = 0;
    while (i < f->len && strchr(" \t\r\n", f->text[i])) i++;
    if (i == f->len) {
        jade_diags_add(d, JADE_ERROR, f->display, 0, 0, NULL, _("file is empty"));
        return false;
    }
    return true;
}

/* jansson's column is the end of the offending token, which its message
 * quotes ("... near 'TOKEN'"); people look for where the token starts. */
static int token_start_column(const json_error_t *e)
{
    size_t n = strlen(e->text);
    const char *near = strstr(e->text, " near '");
    if (!near || e->column < 1 || n == 0 || e->text[n - 1] != '\'') return e->column;
    const char *token = near + 7;
    int len = (int)jade_utf8_length(token, (size_t)(e->text + n - 1 - token));
    return len >= 1 && e->column - len + 1 >= 1 ? e->column - len + 1 : e->column;
}

static void check_json_file(struct check_job *job, struct jade_file *f, struct jade_diags *d)
{
    if (!read_text(job, f, d, JADE_MAX_JSON_BYTES)) return;
    json_error_t jerr;
    f->json = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!f->json) {
        int line = jerr.line > 0 ? jerr.line : 1, col = token_start_column(&jerr);
        if (col < 1) col = 1;
        jade_diags_add(d, JADE_ERROR, f->display, line, col, NULL, _("not valid JSON: %s"),
                       jerr.text);
        return;
    }
    struct schema_error_ctx ctx = {f, d};
    f->ok = jade_schema_validate(job->schemas[f->kind], f->json, schema_error_cb, &ctx);
    struct jade_buf ptr = {0};
    jade_buf_append(&ptr, "", 0);
    scan_json_for_secrets(job, f, d, f->json, &ptr);
    jade_buf_free(&ptr);
}

static void check_text_file(struct check_job *job, struct jade_file *f, struct jade_diags *d)
{
    if (!read_text(job, f, d, JADE_MAX_TEXT_BYTES)) return;
    /* What is published, and counted against limits, is the text without
     * the line end (and blank space) a file ends with. */
    while (f->len > 0 && strchr(" \t\r\n", f->text[f->len - 1])) f->text[--f->len] = '\0';
    f->ok = true;
    scan_string_for_secret(job, f, d, f->text, f->len, NULL);
}

static void check_file(struct check_job *job, size_t i)
{
    struct jade_file *f = &job->files[i];
    struct jade_diags *d = &job->file_diags[i];
    if (f->kind <= JADE_KIND_RUMOUR)
        check_json_file(job, f, d);
    else if (f->kind == JADE_KIND_TEXT)
        check_text_file(job, f, d);
    else if (f->kind == JADE_KIND_MEDIA)
        f->ok = true; /* checked where a post names it */
}

static void check_range(void *ctx, int worker, size_t begin, size_t end)
{
    (void)worker;
    for (size_t i = begin; i < end; i++) check_file(ctx, i);
}

static struct jade_schema *load_schema(const char *name, struct jade_diags *d)
{
    const struct jade_embedded *e = jade_embedded_find(jade_embedded_schemas, name);
    json_error_t jerr;
    json_t *doc = e ? json_loadb(e->data, e->size, 0, &jerr) : NULL;
    struct jade_buf err = {0};
    struct jade_schema *s = doc ? jade_schema_compile(doc, name, &err) : NULL;
    if (!s)
        jade_diags_add(d, JADE_ERROR, name, 0, 0, NULL, _("internal schema is broken: %s"),
                       doc ? jade_buf_str(&err) : jerr.text);
    json_decref(doc);
    jade_buf_free(&err);
    return s;
}

/* ---- step 3: index ----------------------------------------------------- */

static int compare_campaigns(const void *a, const void *b)
{
    return strcmp(((const struct jade_campaign *)a)->dir, ((const struct jade_campaign *)b)->dir);
}

struct jade_campaign *jade_content_find_campaign(const struct jade_content *c, const char *dir)
{
    struct jade_campaign key = {.dir = dir};
    return bsearch(&key, c->campaigns, c->n_campaigns, sizeof key, compare_campaigns);
}

static int compare_rumours(const void *a, const void *b)
{
    return strcmp(((const struct jade_rumour *)a)->id, ((const struct jade_rumour *)b)->id);
}

const struct jade_rumour *jade_content_find_rumour(const struct jade_content *c, const char *id)
{
    if (!id || !c->n_rumours) return NULL;
    struct jade_rumour key = {.id = (char *)id};
    return bsearch(&key, c->rumours, c->n_rumours, sizeof key, compare_rumours);
}

/* Rumours by id (first_seen is read by the rules, which check it). */
static void index_rumours(struct jade_content *c)
{
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind != JADE_KIND_RUMOUR) continue;
        c->rumours = jade_xrealloc(c->rumours, (c->n_rumours + 1) * sizeof *c->rumours);
        const char *name = f->path + strlen(RUMOURS);
        c->rumours[c->n_rumours++] = (struct jade_rumour){
            .id = jade_xstrndup(name, strlen(name) - strlen(".json")), .file = f};
    }
    if (c->n_rumours > 1) qsort(c->rumours, c->n_rumours, sizeof *c->rumours, compare_rumours);
}

static void index_campaigns(struct jade_content *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_files; i++) n += c->files[i].kind == JADE_KIND_CAMPAIGN;
    c->campaigns = jade_xcalloc(n, sizeof *c->campaigns);
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind != JADE_KIND_CAMPAIGN) continue;
        struct jade_campaign *cp = &c->campaigns[c->n_campaigns++];
        cp->dir = f->campaign;
        cp->commit = c->commit;
        cp->source = c->source;
        cp->file = f;
        cp->id = json_string_value(json_object_get(f->json, "id"));
    }
    qsort(c->campaigns, c->n_campaigns, sizeof *c->campaigns, compare_campaigns);
    /* Files are sorted by path, so a campaign's posts, and each post's texts,
     * come together and in order. */
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind != JADE_KIND_POST) continue;
        struct jade_campaign *cp = jade_content_find_campaign(c, f->campaign);
        cp->posts = jade_xrealloc(cp->posts, (cp->n_posts + 1) * sizeof *cp->posts);
        cp->posts[cp->n_posts++] = (struct jade_post){.id = f->post, .file = f};
    }
}

struct jade_content *jade_content_load(struct jade_source *src,
                                       const struct jade_networks *networks,
                                       struct jade_diags *diags)
{
    const struct jade_source_entry *entries;
    size_t count;
    struct jade_buf err = {0};
    if (jade_source_list(src, &entries, &count, &err) != 0) {
        jade_diags_add(diags, JADE_ERROR, src->description, 0, 0, NULL, "%s", jade_buf_str(&err));
        jade_buf_free(&err);
        return NULL;
    }
    struct jade_content *c = jade_xcalloc(1, sizeof *c);
    c->commit = src->commit ? jade_xstrdup(src->commit) : NULL;
    c->source = src;
    c->n_files = count;
    c->files = jade_xcalloc(count, sizeof *c->files);
    classify(c, entries, diags, src->display_prefix);
    /* Media are not read, but their size is checked: ask for it. */
    for (size_t i = 0; i < count; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind != JADE_KIND_MEDIA || f->size != JADE_SIZE_UNKNOWN) continue;
        if (jade_source_size(src, f->path, &f->size, &err) != 0) {
            jade_diags_add(diags, JADE_ERROR, f->display, 0, 0, NULL, "%s", jade_buf_str(&err));
            jade_buf_truncate(&err, 0);
            f->size = 0;
        }
    }
    jade_buf_free(&err);

    struct check_job job = {.src = src, .files = c->files, .n_files = count};
    job.file_diags = jade_xcalloc(count, sizeof *job.file_diags);
    bool schemas_ok = true;
    for (int k = JADE_KIND_PROGRAMME; k <= JADE_KIND_RUMOUR; k++)
        schemas_ok &= (job.schemas[k] = load_schema(schema_names[k], diags)) != NULL;
    struct jade_secret_scanner *secrets = jade_secret_scanner_new();
    job.secrets = secrets;
    if (schemas_ok) jade_parallel_for(count, 16, check_range, &job);
    for (size_t i = 0; i < count; i++) jade_diags_move(diags, &job.file_diags[i]);
    free(job.file_diags);
    for (int k = JADE_KIND_PROGRAMME; k <= JADE_KIND_RUMOUR; k++) jade_schema_free(job.schemas[k]);
    jade_secret_scanner_free(secrets);

    for (size_t i = 0; i < count; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind == JADE_KIND_PROGRAMME) c->programme = f;
        if (f->kind == JADE_KIND_REGIONS) c->regions = f;
        if (f->kind == JADE_KIND_PEOPLE) c->people = f;
        if (f->kind == JADE_KIND_CHANNELS) c->channels = f;
    }
    if (!c->programme) {
        jade_diags_add(diags, JADE_ERROR, src->description, 0, 0, NULL,
                       _("not a content tree: there is no jade.json at its root"));
        return c;
    }
    index_campaigns(c);
    index_rumours(c);
    if (schemas_ok) jade_content_check_rules(c, networks, diags);
    return c;
}

struct jade_content *jade_content_view(const struct jade_content *root,
                                       const struct jade_campaign *campaigns, size_t n)
{
    struct jade_content *v = jade_xcalloc(1, sizeof *v);
    v->is_view = true;
    v->commit = root->commit ? jade_xstrdup(root->commit) : NULL;
    v->source = root->source;
    v->programme = root->programme;
    v->regions = root->regions;
    v->people = root->people;
    v->channels = root->channels;
    v->rumours = root->rumours;
    v->n_rumours = root->n_rumours;
    v->campaigns = jade_xcalloc(n + 1, sizeof *v->campaigns);
    memcpy(v->campaigns, campaigns, n * sizeof *campaigns);
    v->n_campaigns = n;
    qsort(v->campaigns, n, sizeof *v->campaigns, compare_campaigns);
    v->region_index = json_incref(root->region_index);
    v->ambassador_index = json_incref(root->ambassador_index);
    v->coach_index = json_incref(root->coach_index);
    v->channel_index = json_incref(root->channel_index);
    return v;
}

/* What a view shares with its root, and owns a reference to. */
static void free_shared(struct jade_content *c)
{
    json_decref(c->region_index);
    json_decref(c->ambassador_index);
    json_decref(c->coach_index);
    json_decref(c->channel_index);
    free(c->commit);
    free(c->campaigns);
    free(c);
}

void jade_content_free(struct jade_content *c)
{
    if (!c) return;
    if (c->is_view) {
        free_shared(c);
        return;
    }
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        free(f->path);
        free(f->display);
        free(f->text);
        json_decref(f->json);
        free(f->campaign);
        free(f->post);
        free(f->lang);
    }
    for (size_t i = 0; i < c->n_campaigns; i++) {
        for (size_t k = 0; k < c->campaigns[i].n_posts; k++) {
            struct jade_post *post = &c->campaigns[i].posts[k];
            free(post->texts);
            for (size_t e = 0; e < post->n_expanded; e++) free(post->expanded[e].times);
            free(post->expanded);
        }
        free(c->campaigns[i].posts);
    }
    for (size_t i = 0; i < c->n_rumours; i++) free(c->rumours[i].id);
    free(c->rumours);
    free(c->files);
    free_shared(c);
}
