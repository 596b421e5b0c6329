/* plan.c - expansion, targeting and policy: the occurrences to publish.
 *
 * For each post of each active campaign: its times (expand.c), on every
 * channel it reaches (target.c), in every language that channel reads and
 * the post has a text in. Then, channel by channel, the policy: blackouts
 * postpone (to their end) or skip; occurrences closer than min_gap_minutes
 * are spread, the later one moving; a time moved into the quiet hours moves
 * on to their end. Everything is computed from the campaign's start, so an
 * occurrence's due time does not depend on the range asked for. */
#include "plan.h"

#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void jade_format_utc(int64_t t, char out[32])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    /* civil_from_days (Howard Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

void jade_format_local(int64_t t, const char *tz, char out[40])
{
    struct jade_time local;
    if (!tz || jade_time_from_unix(t, tz, &local) != 0) {
        char utc[32];
        jade_format_utc(t, utc);
        snprintf(out, 40, "%.19s+00:00", utc);
        return;
    }
    int64_t wall = jade_days_from_civil(local.year, local.month, local.day) * 86400 +
                   local.hour * 3600 + local.minute * 60 + local.second;
    int offset = (int)((wall - t) / 60);
    int a = offset < 0 ? -offset : offset;
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", local.year, local.month,
             local.day, local.hour, local.minute, local.second, offset < 0 ? '-' : '+', a / 60,
             a % 60);
}

void jade_occurrence_key(const char *campaign, const char *post, const char *channel,
                         const char *lang, int64_t original, char out[33])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const char *parts[] = {campaign, post, channel, lang};
    for (size_t i = 0; i < 4; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    char when[32];
    jade_format_utc(original, when);
    crypto_hash_sha256_update(&st, (const unsigned char *)when, strlen(when));
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, 33, digest, 16);
}

struct builder {
    const struct jade_content *c;
    struct jade_policy policy;
    struct jade_occurrence *items;
    size_t count, cap;
};

static const char *str(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static void add(struct builder *b, const struct jade_occurrence *o)
{
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->items = jade_xrealloc(b->items, b->cap * sizeof *b->items);
    }
    b->items[b->count++] = *o;
}

static bool channel_selected(const json_t *ch, const struct jade_plan_filter *f)
{
    if (!f) return true;
    if (f->channel && strcmp(str(ch, "id") ? str(ch, "id") : "", f->channel) != 0) return false;
    if (f->region) {
        const json_t *regions = json_object_get(ch, "regions");
        bool hit = false;
        for (size_t i = 0; i < json_array_size(regions) && !hit; i++) {
            const char *r = json_string_value(json_array_get(regions, i));
            hit = r && (!strcmp(r, f->region) || !strcmp(r, "all"));
        }
        if (!hit) return false;
    }
    return true;
}

static void expand_post(struct builder *b, const struct jade_campaign *cp,
                        const struct jade_post *post, int64_t lo, int64_t hi,
                        const struct jade_plan_filter *filter, struct jade_diags *diags)
{
    enum { MAX_TARGETS = 1024 };
    const json_t *targets[MAX_TARGETS];
    const json_t *pj = post->file->json;
    size_t n = jade_post_channels(b->c, pj, cp->file->json, targets, MAX_TARGETS);
    bool reported = false;
    for (size_t k = 0; k < n; k++) {
        const json_t *ch = targets[k];
        if (!channel_selected(ch, filter)) continue;
        const char *tz = jade_channel_timezone(b->c, &b->policy, ch);
        int64_t *times;
        size_t n_times;
        struct jade_buf err = {0};
        if (jade_schedule_expand(json_object_get(pj, "schedule"), tz, lo, hi, &times, &n_times,
                                 &err) != 0) {
            if (!reported)
                jade_content_report(diags, post->file, JADE_ERROR, "/schedule", false, "%s",
                                    jade_buf_str(&err));
            reported = true;
        }
        jade_buf_free(&err);
        for (size_t t = 0; t < n_times; t++) {
            for (size_t l = 0; l < post->n_texts; l++) {
                const char *lang = post->texts[l].lang;
                int rank = jade_channel_language_rank(b->c, ch, lang);
                if (rank < 0) continue;
                struct jade_occurrence o = {.due = times[t],
                                            .original = times[t],
                                            .campaign = cp,
                                            .post = post,
                                            .channel = ch,
                                            .lang = lang,
                                            .lang_rank = rank,
                                            .tz = tz};
                add(b, &o);
            }
        }
        free(times);
    }
}

static int compare_within_channel(const void *pa, const void *pb)
{
    const struct jade_occurrence *a = pa, *b = pb;
    if (a->channel != b->channel) return a->channel < b->channel ? -1 : 1;
    if (a->due != b->due) return a->due < b->due ? -1 : 1;
    int c = strcmp(a->campaign->id, b->campaign->id);
    if (c) return c;
    if ((c = strcmp(a->post->id, b->post->id))) return c;
    if (a->lang_rank != b->lang_rank) return a->lang_rank < b->lang_rank ? -1 : 1;
    if ((c = strcmp(a->lang, b->lang))) return c;
    return a->original < b->original ? -1 : a->original > b->original;
}

static int compare_output(const void *pa, const void *pb)
{
    const struct jade_occurrence *a = pa, *b = pb;
    if (a->due != b->due) return a->due < b->due ? -1 : 1;
    int c = strcmp(str(a->channel, "id"), str(b->channel, "id"));
    return c ? c : strcmp(a->key, b->key);
}

/* Blackouts: postpone to their end, or skip (marked with due = INT64_MIN). */
static void apply_blackouts(struct builder *b, struct jade_occurrence *o)
{
    for (size_t i = 0; i < b->policy.n_blackouts; i++) {
        const struct jade_blackout *bo = &b->policy.blackouts[i];
        struct jade_time from, to;
        int64_t f, t;
        if (jade_time_parse_content(bo->from, &from) != 0 ||
            jade_time_parse_content(bo->to, &to) != 0 || jade_time_to_unix(&from, o->tz, &f) ||
            jade_time_to_unix(&to, o->tz, &t) || o->original < f || o->original >= t)
            continue;
        if (bo->skip) {
            o->due = INT64_MIN;
            return;
        }
        if (t > o->due) {
            o->due = jade_policy_leave_quiet(&b->policy, t, o->tz);
            o->shift = JADE_SHIFT_BLACKOUT;
            o->shift_reason = bo->reason;
        }
    }
}

/* On each channel, in order of time, campaign, post, then the channel's
 * language order (main language first), an
 * occurrence less than min_gap after the previous one (as already moved)
 * moves to exactly min_gap after it, then past the quiet hours if it lands
 * in them. Times only move later, so the order holds. */
static void apply_min_gap(struct builder *b)
{
    qsort(b->items, b->count, sizeof *b->items, compare_within_channel);
    int64_t gap = (int64_t)b->policy.min_gap_minutes * 60;
    for (size_t i = 1; gap > 0 && i < b->count; i++) {
        struct jade_occurrence *prev = &b->items[i - 1], *o = &b->items[i];
        if (prev->channel != o->channel || o->due >= prev->due + gap) continue;
        o->due = prev->due + gap;
        o->shift = JADE_SHIFT_MIN_GAP;
        int64_t out = jade_policy_leave_quiet(&b->policy, o->due, o->tz);
        if (out != o->due) o->due = out, o->shift = JADE_SHIFT_QUIET;
    }
}

void jade_plan_build(const struct jade_content *c, int64_t from, int64_t to,
                     const struct jade_plan_filter *filter, struct jade_plan *out,
                     struct jade_diags *diags)
{
    struct builder b = {.c = c};
    jade_policy_read(c, &b.policy);
    for (size_t i = 0; i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        const json_t *cj = cp->file->json;
        const char *status = str(cj, "status");
        int64_t start, end;
        if (!cp->id || !status || strcmp(status, "active") != 0 ||
            jade_campaign_window(&b.policy, cj, &start, &end) != 0)
            continue;
        /* Shifts only move times later: nothing after `to` can come back. */
        int64_t hi = end < to ? end : to;
        for (size_t k = 0; k < cp->n_posts; k++) {
            const struct jade_post *post = &cp->posts[k];
            if (!json_is_object(post->file->json) || json_object_get(post->file->json, "retracted"))
                continue;
            expand_post(&b, cp, post, start, hi, filter, diags);
        }
    }
    qsort(b.items, b.count, sizeof *b.items, compare_within_channel);
    for (size_t i = 0; i < b.count; i++) apply_blackouts(&b, &b.items[i]);
    size_t kept = 0;
    for (size_t i = 0; i < b.count; i++)
        if (b.items[i].due != INT64_MIN) b.items[kept++] = b.items[i];
    b.count = kept;
    apply_min_gap(&b);
    kept = 0;
    for (size_t i = 0; i < b.count; i++) {
        struct jade_occurrence *o = &b.items[i];
        if (o->due < from || o->due >= to) continue;
        jade_occurrence_key(o->campaign->id, o->post->id, str(o->channel, "id"), o->lang,
                            o->original, o->key);
        b.items[kept++] = *o;
    }
    qsort(b.items, kept, sizeof *b.items, compare_output);
    out->items = b.items;
    out->count = kept;
    jade_policy_free(&b.policy);
}

void jade_plan_free(struct jade_plan *plan)
{
    if (!plan) return;
    free(plan->items);
    plan->items = NULL;
    plan->count = 0;
}
