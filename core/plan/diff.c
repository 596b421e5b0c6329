/* diff.c - what a change of content does to the plan: the occurrences it
 * adds, removes, moves or re-words (see plan.h), for `jade plan --diff`.
 *
 * A key names campaign, post, channel, language and the original time, so
 * a post whose time changed loses its occurrence and gains another. Those
 * are paired back into moves within each group of the same campaign,
 * post, channel and language, in time order: the group's first removed
 * time with its first added one, and so on; what is left over is a plain
 * addition or removal. The same key at another due time (policy spread it
 * differently) is a move too. */
#include "plan.h"

#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *jade_occurrence_text(const struct jade_occurrence *o)
{
    for (size_t i = 0; i < o->post->n_texts; i++)
        if (!strcmp(o->post->texts[i].lang, o->lang)) return o->post->texts[i].file->text;
    return "";
}

/* Campaign, post, channel, language, then original time. */
static int compare_group_time(const void *a, const void *b)
{
    const struct jade_occurrence *x = *(const struct jade_occurrence *const *)a;
    const struct jade_occurrence *y = *(const struct jade_occurrence *const *)b;
    int c;
    if ((c = strcmp(x->campaign->id, y->campaign->id)) || (c = strcmp(x->post->id, y->post->id)) ||
        (c = strcmp(x->channel_id, y->channel_id)) || (c = strcmp(x->lang, y->lang)))
        return c;
    return x->original < y->original ? -1 : x->original > y->original;
}

bool jade_occurrence_same_group(const struct jade_occurrence *a, const struct jade_occurrence *b)
{
    return !strcmp(a->campaign->id, b->campaign->id) && !strcmp(a->post->id, b->post->id) &&
           !strcmp(a->channel_id, b->channel_id) && !strcmp(a->lang, b->lang);
}

static void add_change(struct jade_plan_diff *d, enum jade_change_kind kind,
                       const struct jade_occurrence *old, const struct jade_occurrence *new)
{
    d->items = jade_xrealloc(d->items, (d->count + 1) * sizeof *d->items);
    bool reworded = old && new &&strcmp(jade_occurrence_text(old), jade_occurrence_text(new));
    d->items[d->count++] = (struct jade_plan_change){kind, old, new, reworded};
}

static int64_t shown_time(const struct jade_plan_change *c)
{
    return c->new ? c->new->due : c->old->due;
}

static int compare_changes(const void *a, const void *b)
{
    const struct jade_plan_change *x = a, *y = b;
    int64_t tx = shown_time(x), ty = shown_time(y);
    if (tx != ty) return tx < ty ? -1 : 1;
    const char *kx = x->new ? x->new->key : x->old->key, *ky = y->new ? y->new->key : y->old->key;
    return strcmp(kx, ky);
}

/* The occurrences of plan that other (by key) lacks, by group and time. */
static const struct jade_occurrence **missing_from(const struct jade_plan *plan,
                                                   const struct jade_plan_index *other, size_t *n)
{
    const struct jade_occurrence **out = jade_xcalloc(plan->count + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < plan->count; i++)
        if (!jade_plan_index_find(other, plan->items[i].key)) out[(*n)++] = &plan->items[i];
    qsort(out, *n, sizeof *out, compare_group_time);
    return out;
}

void jade_plan_diff(const struct jade_plan *old, const struct jade_plan *new,
                    struct jade_plan_diff *out)
{
    memset(out, 0, sizeof *out);
    struct jade_plan_index by_old, by_new;
    jade_plan_index_build(old, &by_old);
    jade_plan_index_build(new, &by_new);
    for (size_t i = 0; i < new->count; i++) {
        const struct jade_occurrence *n = &new->items[i],
                                     *o = jade_plan_index_find(&by_old, n->key);
        if (!o) continue;
        if (o->due != n->due)
            add_change(out, JADE_CHANGE_MOVED, o, n);
        else if (strcmp(jade_occurrence_text(o), jade_occurrence_text(n)) != 0)
            add_change(out, JADE_CHANGE_REWORDED, o, n);
    }
    size_t n_gone, n_new;
    const struct jade_occurrence **gone = missing_from(old, &by_new, &n_gone);
    const struct jade_occurrence **came = missing_from(new, &by_old, &n_new);
    /* Both sorted by group then time: walk them side by side. */
    size_t i = 0, k = 0;
    while (i < n_gone || k < n_new) {
        int c = i == n_gone ? 1 : k == n_new ? -1 : compare_group_time(&gone[i], &came[k]);
        if (i < n_gone && k < n_new && jade_occurrence_same_group(gone[i], came[k]))
            add_change(out, JADE_CHANGE_MOVED, gone[i++], came[k++]);
        else if (c < 0)
            add_change(out, JADE_CHANGE_REMOVED, gone[i++], NULL);
        else
            add_change(out, JADE_CHANGE_ADDED, NULL, came[k++]);
    }
    free(gone);
    free(came);
    jade_plan_index_free(&by_old);
    jade_plan_index_free(&by_new);
    if (out->count > 1) qsort(out->items, out->count, sizeof *out->items, compare_changes);
}

void jade_plan_diff_free(struct jade_plan_diff *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

/* ---- output ------------------------------------------------------------------ */

static const char *const kind_names[] = {"added", "removed", "moved", "reworded"};

static void local_minutes(const struct jade_occurrence *o, char out[40])
{
    jade_format_local(o->due, o->tz, out);
    out[16] = '\0';
    out[10] = ' ';
}

static void write_text(FILE *out, const struct jade_plan_diff *d)
{
    size_t counts[4] = {0};
    for (size_t i = 0; i < d->count; i++) {
        const struct jade_plan_change *c = &d->items[i];
        const struct jade_occurrence *o = c->new ? c->new : c->old;
        char when[40], before[40];
        local_minutes(o, when);
        counts[c->kind]++;
        static const char *const words[] = {N_("added"), N_("removed"), N_("moved"),
                                            N_("re-worded")};
        fprintf(out, "%-10s ", _(words[c->kind]));
        if (c->kind == JADE_CHANGE_MOVED) {
            local_minutes(c->old, before);
            fprintf(out, "%s -> %s", before, when);
        } else {
            fputs(when, out);
        }
        fprintf(out, "  %s  %s  %s/%s", o->channel_id, o->lang, o->campaign->id, o->post->id);
        if (c->kind == JADE_CHANGE_MOVED && c->reworded) fputs(_("  (and re-worded)"), out);
        fputc('\n', out);
    }
    fprintf(out, _("%zu change(s): %zu added, %zu removed, %zu moved, %zu re-worded\n"), d->count,
            counts[JADE_CHANGE_ADDED], counts[JADE_CHANGE_REMOVED], counts[JADE_CHANGE_MOVED],
            counts[JADE_CHANGE_REWORDED]);
}

static json_t *utc(int64_t t)
{
    char s[32];
    jade_format_utc(t, s);
    return json_string(s);
}

static void write_json(FILE *out, const struct jade_plan_diff *d,
                       const struct jade_plan_diff_sides *sides)
{
    json_t *changes = json_array();
    size_t counts[4] = {0};
    for (size_t i = 0; i < d->count; i++) {
        const struct jade_plan_change *c = &d->items[i];
        const struct jade_occurrence *o = c->new ? c->new : c->old;
        counts[c->kind]++;
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s}", "change", kind_names[c->kind], "campaign",
            o->campaign->id, "post", o->post->id, "channel", o->channel_id, "network",
            json_string_value(json_object_get(o->channel, "network")) ?: "", "lang", o->lang);
        if (c->new) {
            json_object_set_new(j, "key", json_string(c->new->key));
            json_object_set_new(j, "due", utc(c->new->due));
        }
        if (c->old) {
            json_object_set_new(j, "old_key", json_string(c->old->key));
            json_object_set_new(j, "old_due", utc(c->old->due));
        }
        if (c->kind == JADE_CHANGE_MOVED)
            json_object_set_new(j, "reworded", json_boolean(c->reworded));
        bool two = c->kind == JADE_CHANGE_REWORDED || c->reworded;
        if (c->new && (two || c->kind == JADE_CHANGE_ADDED))
            json_object_set_new(j, "text", json_string(jade_occurrence_text(c->new)));
        if (c->old && (two || c->kind == JADE_CHANGE_REMOVED))
            json_object_set_new(j, "old_text", json_string(jade_occurrence_text(c->old)));
        json_array_append_new(changes, j);
    }
    json_t *doc = json_pack("{s:{s:s, s:s?}, s:{s:s, s:s?}, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o}",
                            "old", "ref", sides->old_ref, "commit", sides->old_commit, "new", "ref",
                            sides->new_ref, "commit", sides->new_commit, "from", utc(sides->from),
                            "to", utc(sides->to), "counts", "added", (json_int_t)counts[0],
                            "removed", (json_int_t)counts[1], "moved", (json_int_t)counts[2],
                            "reworded", (json_int_t)counts[3], "changes", changes);
    jade_json_dump(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
}

void jade_plan_diff_write(FILE *out, const struct jade_plan_diff *d,
                          const struct jade_plan_diff_sides *sides, bool json)
{
    if (json)
        write_json(out, d, sides);
    else
        write_text(out, d);
}
