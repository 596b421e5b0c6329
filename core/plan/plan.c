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

#include "../util/jsonutil.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/parallel.h"
#include "../util/timeparse.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL 3 looks the digest up on every EVP_Digest(EVP_sha256()) call:
 * fetch it once. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void compute_key(EVP_MD_CTX *ctx, const char *campaign, const char *post,
                        const char *channel, const char *lang, int64_t original, char out[33])
{
    unsigned char buf[4 * 65 + 32];
    size_t len = 0;
    const char *parts[] = {campaign, post, channel, lang};
    for (size_t i = 0; i < 4; i++) {
        size_t n = strnlen(parts[i], 64); /* identifiers are at most 64 characters */
        memcpy(buf + len, parts[i], n);
        len += n;
        buf[len++] = '\0';
    }
    char when[32];
    jade_format_utc(original, when);
    memcpy(buf + len, when, 20);
    len += 20;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    pthread_once(&sha256_once, fetch_sha256);
    EVP_DigestInit_ex2(ctx, sha256 ? sha256 : EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, buf, len);
    EVP_DigestFinal_ex(ctx, digest, &digest_len);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 16; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[32] = '\0';
}

/* Hashing is most of what is left once a plan is laid out: it runs on
 * the thread pool, each worker with its own digest context. */
static void compute_keys(void *ctx, int worker, size_t begin, size_t end)
{
    (void)worker;
    struct jade_occurrence *items = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    for (size_t i = begin; i < end; i++) {
        struct jade_occurrence *o = &items[i];
        compute_key(md, o->campaign->id, o->post->id, o->channel_id, o->lang, o->original, o->key);
    }
    EVP_MD_CTX_free(md);
}

void jade_occurrence_key(const char *campaign, const char *post, const char *channel,
                         const char *lang, int64_t original, char out[33])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    compute_key(ctx, campaign, post, channel, lang, original, out);
    EVP_MD_CTX_free(ctx);
}

struct builder {
    const struct jade_content *c;
    const json_t *channels;  /* channels.json's list */
    json_t **language_ranks; /* per channel: language -> rank, filled as asked */
    struct jade_policy policy;
    struct jade_occurrence *items;
    size_t count, cap;
};

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
    if (f->channel &&
        strcmp(jade_json_str(ch, "id") ? jade_json_str(ch, "id") : "", f->channel) != 0)
        return false;
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

static uint32_t channel_order(const struct builder *b, const json_t *ch)
{
    for (size_t i = 0; i < json_array_size(b->channels); i++)
        if (json_array_get(b->channels, i) == ch) return (uint32_t)i;
    return UINT32_MAX;
}

/* jade_channel_language_rank, remembered per channel and language. */
static int language_rank(struct builder *b, uint32_t order, const json_t *ch, const char *lang)
{
    json_t *ranks = b->language_ranks[order];
    json_t *hit = json_object_get(ranks, lang);
    if (hit) return (int)json_integer_value(hit);
    int rank = jade_channel_language_rank(b->c, ch, lang);
    json_object_set_new(ranks, lang, json_integer(rank));
    return rank;
}

/* Times of one schedule in one zone: channels in the same zone share them. */
struct zone_times {
    const char *tz;
    int64_t *times;
    size_t n;
    bool borrowed; /* from the snapshot's own expansion: not ours to free */
};

/* The times validation already expanded for this zone, if they cover
 * [lo, hi]: those of them inside it. */
static bool reuse_expansion(const struct jade_post *post, const char *tz, int64_t lo, int64_t hi,
                            struct zone_times *z)
{
    for (size_t i = 0; i < post->n_expanded; i++) {
        const struct jade_times *e = &post->expanded[i];
        if (strcmp(e->tz, tz) != 0 || e->lo > lo || e->hi < hi) continue;
        size_t first = 0, end = e->n;
        while (first < end && e->times[first] < lo) first++;
        while (end > first && e->times[end - 1] > hi) end--;
        z->times = e->times + first;
        z->n = end - first;
        z->borrowed = true;
        return true;
    }
    return false;
}

static void expand_post(struct builder *b, const struct jade_campaign *cp,
                        const struct jade_post *post, uint32_t post_order, int64_t lo, int64_t hi,
                        const struct jade_plan_filter *filter, struct jade_diags *diags)
{
    enum { MAX_TARGETS = 1024 };
    const json_t *targets[MAX_TARGETS];
    struct zone_times zones[MAX_TARGETS];
    size_t n_zones = 0;
    const json_t *pj = post->file->json;
    size_t n = jade_post_channels(b->c, pj, cp->file->json, targets, MAX_TARGETS);
    bool reported = false;
    for (size_t k = 0; k < n; k++) {
        const json_t *ch = targets[k];
        if (!channel_selected(ch, filter)) continue;
        const char *tz = jade_channel_timezone(b->c, &b->policy, ch);
        struct zone_times *z = NULL;
        for (size_t i = 0; i < n_zones && !z; i++)
            if (!strcmp(zones[i].tz, tz)) z = &zones[i];
        if (!z) {
            z = &zones[n_zones++];
            *z = (struct zone_times){.tz = tz};
            if (!reuse_expansion(post, tz, lo, hi, z)) {
                struct jade_buf err = {0};
                if (jade_schedule_expand(json_object_get(pj, "schedule"), tz, lo, hi, &z->times,
                                         &z->n, &err) != 0 &&
                    !reported) {
                    jade_content_report(diags, post->file, JADE_ERROR, "/schedule", false, "%s",
                                        jade_buf_str(&err));
                    reported = true;
                }
                jade_buf_free(&err);
            }
        }
        uint32_t order = channel_order(b, ch);
        const char *channel_id = jade_json_str(ch, "id");
        int ranks[64]; /* where each text's language stands on this channel */
        size_t n_texts = post->n_texts < 64 ? post->n_texts : 64;
        for (size_t l = 0; l < n_texts; l++)
            ranks[l] = language_rank(b, order, ch, post->texts[l].lang);
        for (size_t t = 0; t < z->n; t++) {
            for (size_t l = 0; l < n_texts; l++) {
                const char *lang = post->texts[l].lang;
                int rank = ranks[l];
                if (rank < 0) continue;
                struct jade_occurrence o = {.due = z->times[t],
                                            .original = z->times[t],
                                            .campaign = cp,
                                            .post = post,
                                            .channel = ch,
                                            .lang = lang,
                                            .lang_rank = rank,
                                            .post_order = post_order,
                                            .channel_order = order,
                                            .channel_id = channel_id,
                                            .tz = tz};
                add(b, &o);
            }
        }
    }
    for (size_t i = 0; i < n_zones; i++)
        if (!zones[i].borrowed) free(zones[i].times);
}

static int compare_within_channel(const void *pa, const void *pb)
{
    const struct jade_occurrence *a = pa, *b = pb;
    if (a->channel_order != b->channel_order) return a->channel_order < b->channel_order ? -1 : 1;
    if (a->due != b->due) return a->due < b->due ? -1 : 1;
    if (a->post_order != b->post_order) return a->post_order < b->post_order ? -1 : 1;
    if (a->lang_rank != b->lang_rank) return a->lang_rank < b->lang_rank ? -1 : 1;
    int c = strcmp(a->lang, b->lang);
    return c ? c : (a->original > b->original) - (a->original < b->original);
}

static int compare_output(const void *pa, const void *pb)
{
    const struct jade_occurrence *a = pa, *b = pb;
    if (a->due != b->due) return a->due < b->due ? -1 : 1;
    if (a->channel_order != b->channel_order) return a->channel_order < b->channel_order ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int compare_via_pointers(const void *a, const void *b, void *cmp)
{
    int (*compare)(const void *, const void *) = (int (*)(const void *, const void *))cmp;
    return compare(*(const void *const *)a, *(const void *const *)b);
}

/* Sorts occurrences through an array of pointers (an occurrence is large,
 * and a sort moves pointers far faster), into a new array that replaces
 * *items. */
static void sort_occurrences(struct jade_occurrence **items, size_t n,
                             int (*compare)(const void *, const void *))
{
    struct jade_occurrence **ptrs = jade_xcalloc(n + 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) ptrs[i] = &(*items)[i];
    qsort_r(ptrs, n, sizeof *ptrs, compare_via_pointers, (void *)compare);
    struct jade_occurrence *sorted = jade_xmalloc((n + 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++) sorted[i] = *ptrs[i];
    free(ptrs);
    free(*items);
    *items = sorted;
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

/* On each channel, in order of time, campaign (by folder), post (by id),
 * then the channel's language order (main language first), an
 * occurrence less than min_gap after the previous one (as already moved)
 * moves to exactly min_gap after it, then past the quiet hours if it lands
 * in them. Times only move later, so the order holds. */
static void apply_min_gap(struct builder *b)
{
    sort_occurrences(&b->items, b->count, compare_within_channel);
    b->cap = b->count;
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
    uint32_t post_order = 0; /* campaigns and their posts come sorted */
    jade_policy_read(c, &b.policy);
    b.channels = c->channels ? json_object_get(c->channels->json, "channels") : NULL;
    b.language_ranks = jade_xcalloc(json_array_size(b.channels) + 1, sizeof *b.language_ranks);
    for (size_t i = 0; i < json_array_size(b.channels); i++) b.language_ranks[i] = json_object();
    for (size_t i = 0; i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        const json_t *cj = cp->file->json;
        const char *status = jade_json_str(cj, "status");
        int64_t start, end;
        if (!cp->id || !status || strcmp(status, "active") != 0 ||
            jade_campaign_window(&b.policy, cj, &start, &end) != 0)
            continue;
        /* Shifts only move times later: nothing after `to` can come back. */
        int64_t hi = end < to ? end : to;
        for (size_t k = 0; k < cp->n_posts; k++) {
            const struct jade_post *post = &cp->posts[k];
            post_order++;
            if (!json_is_object(post->file->json) || json_object_get(post->file->json, "retracted"))
                continue;
            expand_post(&b, cp, post, post_order, start, hi, filter, diags);
        }
    }
    for (size_t i = 0; i < b.count; i++) apply_blackouts(&b, &b.items[i]);
    size_t kept = 0;
    for (size_t i = 0; i < b.count; i++)
        if (b.items[i].due != INT64_MIN) b.items[kept++] = b.items[i];
    b.count = kept;
    apply_min_gap(&b);
    kept = 0;
    for (size_t i = 0; i < b.count; i++)
        if (b.items[i].due >= from && b.items[i].due < to) b.items[kept++] = b.items[i];
    jade_parallel_for(kept, 1024, compute_keys, b.items);
    sort_occurrences(&b.items, kept, compare_output);
    out->items = b.items;
    out->count = kept;
    for (size_t i = 0; i < json_array_size(b.channels); i++) json_decref(b.language_ranks[i]);
    free(b.language_ranks);
    jade_policy_free(&b.policy);
}

void jade_plan_free(struct jade_plan *plan)
{
    if (!plan) return;
    free(plan->items);
    plan->items = NULL;
    plan->count = 0;
}
