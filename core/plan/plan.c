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
                        const char *channel, const char *lang, int64_t original,
                        unsigned char out[16])
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
    memcpy(out, digest, 16);
}

void jade_occurrence_key(const char *campaign, const char *post, const char *channel,
                         const char *lang, int64_t original, char out[33])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char key[16];
    compute_key(ctx, campaign, post, channel, lang, original, key);
    EVP_MD_CTX_free(ctx);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 16; i++) {
        out[2 * i] = hex[key[i] >> 4];
        out[2 * i + 1] = hex[key[i] & 15];
    }
    out[32] = '\0';
}

/* ---- what posts give before policy: kept between plans --------------- */

/* One time of one post on one channel in one language, before policy. It
 * depends only on the campaign as loaded and on the root files, so a
 * campaign that did not change gives the same ones at the next plan. */
struct raw {
    int64_t original;
    uint32_t post;         /* its index in the campaign */
    uint32_t channel : 18; /* its index in channels.json (1 MiB holds far fewer than 2^18) */
    uint32_t text : 6;     /* its index in the post's texts (at most 64 are read) */
    uint32_t rank : 7;     /* the language's place on the channel (below 128) */
    uint32_t keyed : 1;    /* key holds its key */
    unsigned char key[16];
}; /* 32 bytes: there is one for every time of every post, past ones too */

_Static_assert(sizeof(struct raw) == 32, "a raw time stays small");
#define RAW_CHANNELS (1u << 18)

/* A campaign's raw times over [start, hi]. Shared between the caches of
 * successive plans (reference counted); keys are filled in as plans need
 * them, by one plan at a time. */
struct cached_campaign {
    unsigned refs;
    const struct jade_file *file; /* which campaign, as loaded */
    int64_t start, hi;
    struct raw *items;
    size_t n, cap;
};

struct jade_plan_cache {
    struct cached_campaign **items; /* sorted by file */
    size_t count;
};

static int by_file(const void *a, const void *b)
{
    const struct jade_file *fa = (*(struct cached_campaign *const *)a)->file;
    const struct jade_file *fb = (*(struct cached_campaign *const *)b)->file;
    return (fa > fb) - (fa < fb);
}

static struct cached_campaign *cache_find(const struct jade_plan_cache *cache,
                                          const struct jade_file *file)
{
    if (!cache) return NULL;
    struct cached_campaign probe = {.file = file}, *p = &probe;
    struct cached_campaign **hit =
        bsearch(&p, cache->items, cache->count, sizeof *cache->items, by_file);
    return hit ? *hit : NULL;
}

static void cached_unref(struct cached_campaign *cc)
{
    if (!cc || __atomic_sub_fetch(&cc->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    free(cc->items);
    free(cc);
}

void jade_plan_cache_free(struct jade_plan_cache *cache)
{
    if (!cache) return;
    for (size_t i = 0; i < cache->count; i++) cached_unref(cache->items[i]);
    free(cache->items);
    free(cache);
}

/* ---- the builder -------------------------------------------------------- */

struct channel_info {
    const json_t *json;
    const char *id;
    const char *tz; /* where it publishes */
};

/* One occurrence as policy places it: written out at the end, once its
 * place in the plan is known. */
struct pending {
    int64_t due;
    struct raw *raw;
    uint32_t campaign : 30; /* its place among the plan's campaigns (each one a loaded file:
                               far fewer than 2^30) */
    uint32_t shift : 2;     /* enum jade_shift */
    uint32_t blackout;      /* 1 + the place of the blackout that postponed it, or 0 */
}; /* 24 bytes: there is one for every time of every post on every channel */

_Static_assert(sizeof(struct pending) == 24 || sizeof(void *) != 8, "pending stays small");
_Static_assert(JADE_SHIFT_QUIET < 4, "a shift fits in two bits");

struct builder {
    const struct jade_content *c;
    const struct jade_plan_filter *filter;
    struct jade_policy policy;
    struct channel_info *channels; /* channels.json's list */
    size_t n_channels;
    json_t **language_ranks;                /* per channel: language -> rank, filled as asked */
    const struct jade_campaign **campaigns; /* the active ones, in order (of folder) */
    int64_t *ends;                          /* the end of each one's window */
    struct pending *pending;
    size_t count;
    /* What policy pushed past its campaign's end, when asked for. */
    bool keep_dropped;
    struct pending *dropped;
    size_t n_dropped;
};

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
    for (size_t i = 0; i < b->n_channels; i++)
        if (b->channels[i].json == ch) return (uint32_t)i;
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

static void add_raw(struct cached_campaign *cc, const struct raw *r)
{
    if (cc->n == cc->cap) {
        cc->cap = cc->cap ? cc->cap * 2 : 64;
        cc->items = jade_xrealloc(cc->items, cc->cap * sizeof *cc->items);
    }
    cc->items[cc->n++] = *r;
}

/* The raw times of one post over [lo, hi], into cc. */
static void expand_post(struct builder *b, struct cached_campaign *cc,
                        const struct jade_campaign *cp, uint32_t post_index, int64_t lo, int64_t hi,
                        struct jade_diags *diags)
{
    enum { MAX_TARGETS = 1024 };
    const struct jade_post *post = &cp->posts[post_index];
    const json_t *targets[MAX_TARGETS];
    struct zone_times zones[MAX_TARGETS];
    size_t n_zones = 0;
    const json_t *pj = post->file->json;
    size_t n = jade_post_channels(b->c, pj, cp->file->json, targets, MAX_TARGETS);
    bool reported = false;
    for (size_t k = 0; k < n; k++) {
        const json_t *ch = targets[k];
        if (!channel_selected(ch, b->filter)) continue;
        uint32_t order = channel_order(b, ch);
        if (order >= RAW_CHANNELS) continue;
        const char *tz = b->channels[order].tz;
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
        int ranks[64]; /* where each text's language stands on this channel */
        size_t n_texts = post->n_texts < 64 ? post->n_texts : 64;
        for (size_t l = 0; l < n_texts; l++)
            ranks[l] = language_rank(b, order, ch, post->texts[l].lang);
        for (size_t t = 0; t < z->n; t++)
            for (size_t l = 0; l < n_texts; l++)
                if (ranks[l] >= 0 && ranks[l] < 128)
                    add_raw(cc, &(struct raw){.original = z->times[t],
                                              .post = post_index,
                                              .channel = order,
                                              .text = (uint32_t)l,
                                              .rank = (uint32_t)ranks[l]});
    }
    for (size_t i = 0; i < n_zones; i++)
        if (!zones[i].borrowed) free(zones[i].times);
}

/* The order policy walks a channel in: by channel, time, post, and the
 * language's place on the channel. A campaign's raw times are kept in it,
 * so that a plan merges campaigns instead of sorting everything. */
static int raw_order(const void *pa, const void *pb)
{
    const struct raw *x = pa, *y = pb;
    if (x->channel != y->channel) return x->channel < y->channel ? -1 : 1;
    if (x->original != y->original) return x->original < y->original ? -1 : 1;
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Sorts cc's times from sorted on, and merges them with those before. */
static void sort_from(struct cached_campaign *cc, size_t sorted)
{
    if (sorted == cc->n) return; /* nothing new (items may be NULL) */
    qsort(cc->items + sorted, cc->n - sorted, sizeof *cc->items, raw_order);
    if (sorted == 0) return;
    struct raw *merged = jade_xmalloc(cc->n * sizeof *merged);
    size_t i = 0, j = sorted, k = 0;
    while (i < sorted && j < cc->n)
        merged[k++] = raw_order(&cc->items[j], &cc->items[i]) < 0 ? cc->items[j++] : cc->items[i++];
    while (i < sorted) merged[k++] = cc->items[i++];
    while (j < cc->n) merged[k++] = cc->items[j++];
    free(cc->items);
    cc->items = merged;
    cc->cap = cc->n;
}

/* The campaign's raw times over [start, hi], in raw_order: from reuse
 * when it has them (times after what it covers are added), else expanded
 * now. */
static struct cached_campaign *campaign_times(struct builder *b, const struct jade_campaign *cp,
                                              int64_t start, int64_t hi,
                                              const struct jade_plan_cache *reuse,
                                              struct jade_diags *diags)
{
    struct cached_campaign *cc = cache_find(reuse, cp->file);
    if (cc && cc->start == start && cc->hi <= hi) {
        __atomic_add_fetch(&cc->refs, 1, __ATOMIC_RELAXED);
        if (cc->hi == hi) return cc;
        /* The horizon moved: a copy, with the times after it covered. */
        struct cached_campaign *more = jade_xcalloc(1, sizeof *more);
        *more = (struct cached_campaign){.refs = 1, .file = cp->file, .start = start, .hi = hi};
        more->cap = more->n = cc->n;
        more->items = jade_xmalloc((cc->n + 1) * sizeof *more->items);
        if (cc->n) memcpy(more->items, cc->items, cc->n * sizeof *cc->items);
        for (uint32_t k = 0; k < cp->n_posts; k++)
            if (json_is_object(cp->posts[k].file->json) &&
                !json_object_get(cp->posts[k].file->json, "retracted"))
                expand_post(b, more, cp, k, cc->hi + 1, hi, diags);
        sort_from(more, cc->n);
        cached_unref(cc);
        return more;
    }
    cc = jade_xcalloc(1, sizeof *cc);
    *cc = (struct cached_campaign){.refs = 1, .file = cp->file, .start = start, .hi = hi};
    for (uint32_t k = 0; k < cp->n_posts; k++)
        if (json_is_object(cp->posts[k].file->json) &&
            !json_object_get(cp->posts[k].file->json, "retracted"))
            expand_post(b, cc, cp, k, start, hi, diags);
    sort_from(cc, 0);
    return cc;
}

/* ---- merging sorted runs ------------------------------------------------- */

/* A k-way merge: a binary heap of runs (by number), the one whose next
 * item comes first on top. before() compares two runs' next items. */
struct merge {
    uint32_t *heap;
    size_t n;
    bool (*before)(const void *ctx, uint32_t a, uint32_t b);
    const void *ctx;
};

static void sift_down(struct merge *m, size_t i)
{
    for (;;) {
        size_t first = i, l = 2 * i + 1, r = l + 1;
        if (l < m->n && m->before(m->ctx, m->heap[l], m->heap[first])) first = l;
        if (r < m->n && m->before(m->ctx, m->heap[r], m->heap[first])) first = r;
        if (first == i) return;
        uint32_t t = m->heap[i];
        m->heap[i] = m->heap[first];
        m->heap[first] = t;
        i = first;
    }
}

/* Call with heap[0..n) holding the runs that are not empty. */
static void merge_start(struct merge *m)
{
    for (size_t i = m->n / 2; i-- > 0;) sift_down(m, i);
}

/* After the top run's next item was taken: exhausted tells whether the
 * run has no more. */
static void merge_next(struct merge *m, bool exhausted)
{
    if (exhausted) m->heap[0] = m->heap[--m->n];
    sift_down(m, 0);
}

/* Campaigns' raw times, each in raw_order: merged in the same order, a
 * campaign before the next at equal times (its posts come first). */
struct raw_run {
    struct raw *at, *end;
};

static bool raw_run_before(const void *ctx, uint32_t a, uint32_t b)
{
    const struct raw_run *runs = ctx;
    int order = raw_order(runs[a].at, runs[b].at);
    return order < 0 || (order == 0 && a < b);
}

/* FNV-1a over the key's text: keys are hashes already, but any text works. */
static uint64_t key_hash(const char *key)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < 32 && key[i]; i++)
        h = (h ^ (unsigned char)key[i]) * UINT64_C(1099511628211);
    return h;
}

void jade_plan_index_build(const struct jade_plan *plan, struct jade_plan_index *out)
{
    size_t size = 16;
    while (size < plan->count * 2) size *= 2; /* at most half full: short probes */
    out->items = plan->items;
    out->slots = jade_parallel_zalloc(size * sizeof *out->slots);
    out->mask = size - 1;
    out->duplicates = false;
    for (size_t i = 0; i < plan->count; i++) {
        const char *key = plan->items[i].key;
        size_t at = key_hash(key) & out->mask;
        for (; out->slots[at]; at = (at + 1) & out->mask)
            if (!strncmp(plan->items[out->slots[at] - 1].key, key, sizeof plan->items[i].key))
                out->duplicates = true;
        out->slots[at] = (uint32_t)(i + 1);
    }
}

const struct jade_occurrence *jade_plan_index_find(const struct jade_plan_index *index,
                                                   const char *key)
{
    if (!index || !index->slots) return NULL;
    for (size_t at = key_hash(key) & index->mask; index->slots[at]; at = (at + 1) & index->mask) {
        const struct jade_occurrence *o = &index->items[index->slots[at] - 1];
        if (!strncmp(o->key, key, sizeof o->key)) return o;
    }
    return NULL;
}

void jade_plan_index_free(struct jade_plan_index *index)
{
    free(index->slots);
    index->slots = NULL;
    index->mask = 0;
}

/* ---- policy ------------------------------------------------------------- */

/* Every campaign's raw times as pending occurrences, by channel, time and
 * post (the campaigns merged). */
static void gather(struct builder *b, const struct jade_plan_cache *cache, size_t total)
{
    b->pending = jade_parallel_zalloc((total + 1) * sizeof *b->pending);
    struct raw_run *runs = jade_xcalloc(cache->count + 1, sizeof *runs);
    struct merge m = {.heap = jade_xcalloc(cache->count + 1, sizeof *m.heap),
                      .before = raw_run_before,
                      .ctx = runs};
    for (size_t i = 0; i < cache->count; i++) {
        runs[i] =
            (struct raw_run){cache->items[i]->items, cache->items[i]->items + cache->items[i]->n};
        if (runs[i].at < runs[i].end) m.heap[m.n++] = (uint32_t)i;
    }
    merge_start(&m);
    while (m.n) {
        uint32_t i = m.heap[0];
        struct raw *r = runs[i].at++;
        b->pending[b->count++] = (struct pending){.due = r->original, .raw = r, .campaign = i};
        merge_next(&m, runs[i].at == runs[i].end);
    }
    free(m.heap);
    free(runs);
}

/* Blackouts: postpone to their end, or skip (marked with due = INT64_MIN).
 * Tells whether it changed the time. */
static bool apply_blackouts(struct builder *b, struct pending *o)
{
    const char *tz = b->channels[o->raw->channel].tz;
    int64_t original = o->raw->original;
    for (size_t i = 0; i < b->policy.n_blackouts; i++) {
        const struct jade_blackout *bo = &b->policy.blackouts[i];
        struct jade_time from, to;
        int64_t f, t;
        if (jade_time_parse_content(bo->from, &from) != 0 ||
            jade_time_parse_content(bo->to, &to) != 0 || jade_time_to_unix(&from, tz, &f) ||
            jade_time_to_unix(&to, tz, &t) || original < f || original >= t)
            continue;
        if (bo->skip) {
            o->due = INT64_MIN;
            return true;
        }
        if (t > o->due) {
            o->due = jade_policy_leave_quiet(&b->policy, t, tz);
            o->shift = JADE_SHIFT_BLACKOUT;
            o->blackout = (uint32_t)i + 1;
        }
    }
    return o->due != original;
}

/* On each channel, in order of time, campaign (by folder), post (by id),
 * the channel's language order, original time. */
static int policy_order(const void *pa, const void *pb)
{
    const struct pending *x = pa, *y = pb;
    if (x->raw->channel != y->raw->channel) return x->raw->channel < y->raw->channel ? -1 : 1;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    if (x->campaign != y->campaign) return x->campaign < y->campaign ? -1 : 1;
    if (x->raw->post != y->raw->post) return x->raw->post < y->raw->post ? -1 : 1;
    if (x->raw->rank != y->raw->rank) return x->raw->rank < y->raw->rank ? -1 : 1;
    return (x->raw->original > y->raw->original) - (x->raw->original < y->raw->original);
}

static void drop(struct builder *b, const struct pending *o)
{
    if (!b->keep_dropped) return;
    b->dropped = jade_xrealloc(b->dropped, (b->n_dropped + 1) * sizeof *b->dropped);
    b->dropped[b->n_dropped++] = *o;
}

/* Blackouts, then min_gap: on each channel, in policy_order, an
 * occurrence less than min_gap after the previous one kept (as already
 * moved) moves to exactly min_gap after it, then past the quiet hours if
 * it lands in them. Times only move later, so the order holds. An
 * occurrence moved past its campaign's end is dropped: the window bounds
 * what is published. What gather gave is in policy_order already unless a
 * blackout moved something. */
static void apply_policy(struct builder *b)
{
    bool moved = false;
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        struct pending *o = &b->pending[i];
        if (b->policy.n_blackouts) moved |= apply_blackouts(b, o);
        if (o->due != INT64_MIN) b->pending[n++] = *o;
    }
    b->count = n;
    if (moved) qsort(b->pending, b->count, sizeof *b->pending, policy_order);
    int64_t gap = (int64_t)b->policy.min_gap_minutes * 60;
    n = 0;
    for (size_t i = 0; i < b->count; i++) {
        struct pending *o = &b->pending[i];
        const struct pending *prev = n ? &b->pending[n - 1] : NULL;
        if (gap > 0 && prev && prev->raw->channel == o->raw->channel && o->due < prev->due + gap) {
            const char *tz = b->channels[o->raw->channel].tz;
            o->due = prev->due + gap;
            o->shift = JADE_SHIFT_MIN_GAP;
            int64_t out = jade_policy_leave_quiet(&b->policy, o->due, tz);
            if (out != o->due) o->due = out, o->shift = JADE_SHIFT_QUIET;
        }
        if (o->due > b->ends[o->campaign])
            drop(b, o);
        else
            b->pending[n++] = *o;
    }
    b->count = n;
}

/* ---- the plan's occurrences ------------------------------------------------ */

/* Keys of the pending occurrences kept, computed once per raw time. */
struct keying {
    struct builder *b;
    const uint32_t *kept;
};

static void compute_keys(void *ctx, int worker, size_t begin, size_t end)
{
    (void)worker;
    struct keying *k = ctx;
    EVP_MD_CTX *md = NULL;
    for (size_t i = begin; i < end; i++) {
        const struct pending *o = &k->b->pending[k->kept[i]];
        struct raw *r = o->raw;
        if (r->keyed) continue;
        const struct jade_campaign *cp = k->b->campaigns[o->campaign];
        const struct jade_post *post = &cp->posts[r->post];
        if (!md) md = EVP_MD_CTX_new();
        compute_key(md, cp->id, post->id, k->b->channels[r->channel].id, post->texts[r->text].lang,
                    r->original, r->key);
        r->keyed = 1;
    }
    EVP_MD_CTX_free(md);
}

/* Each channel's occurrences kept, in time order (after apply_policy):
 * merged by time, then channel (as listed); equal ones by key below. */
struct span {
    const struct pending *at, *end;
};

static bool span_before(const void *ctx, uint32_t a, uint32_t b)
{
    const struct span *spans = ctx;
    return spans[a].at->due < spans[b].at->due || (spans[a].at->due == spans[b].at->due && a < b);
}

static void write_occurrence(const struct builder *b, const struct pending *p,
                             struct jade_occurrence *o)
{
    static const char hex[] = "0123456789abcdef";
    const struct raw *r = p->raw;
    const struct jade_campaign *cp = b->campaigns[p->campaign];
    const struct jade_post *post = &cp->posts[r->post];
    const struct channel_info *ch = &b->channels[r->channel];
    *o = (struct jade_occurrence){
        .due = p->due,
        .original = r->original,
        .shift = (uint8_t)p->shift,
        .shift_reason = p->blackout ? b->policy.blackouts[p->blackout - 1].reason : NULL,
        .campaign = cp,
        .post = post,
        .channel = ch->json,
        .channel_id = ch->id,
        .lang = post->texts[r->text].lang,
        .tz = ch->tz};
    for (size_t j = 0; j < 16; j++) {
        o->key[2 * j] = hex[r->key[j] >> 4];
        o->key[2 * j + 1] = hex[r->key[j] & 15];
    }
    o->key[32] = '\0';
}

struct writing {
    const struct builder *b;
    const uint32_t *order; /* pending occurrences, in plan order */
    struct jade_occurrence *items;
};

static void write_occurrences(void *ctx, int worker, size_t begin, size_t end)
{
    (void)worker;
    const struct writing *w = ctx;
    for (size_t i = begin; i < end; i++)
        write_occurrence(w->b, &w->b->pending[w->order[i]], &w->items[i]);
}

/* The occurrences due in [from, to), by due time, channel (as listed) and
 * key, into out. */
static void write_plan(struct builder *b, int64_t from, int64_t to, struct jade_plan *out)
{
    struct span *spans = jade_xcalloc(b->n_channels + 1, sizeof *spans);
    uint32_t *kept = jade_xmalloc((b->count + 1) * sizeof *kept);
    size_t n_kept = 0;
    for (size_t i = 0; i < b->count;) {
        uint32_t channel = b->pending[i].raw->channel;
        const struct pending *first = NULL, *end = NULL;
        for (; i < b->count && b->pending[i].raw->channel == channel; i++) {
            if (b->pending[i].due < from || b->pending[i].due >= to) continue;
            if (!first) first = &b->pending[i];
            end = &b->pending[i] + 1;
            kept[n_kept++] = (uint32_t)i;
        }
        spans[channel] = (struct span){first, end};
    }
    jade_parallel_for(n_kept, 1024, compute_keys, &(struct keying){b, kept});
    /* The plan's order, into kept (read by now)... */
    uint32_t *order = kept;
    size_t n = 0;
    struct merge m = {.heap = jade_xcalloc(b->n_channels + 1, sizeof *m.heap),
                      .before = span_before,
                      .ctx = spans};
    for (size_t c = 0; c < b->n_channels; c++)
        if (spans[c].at) m.heap[m.n++] = (uint32_t)c;
    merge_start(&m);
    while (m.n) {
        uint32_t c = m.heap[0];
        size_t k = n++;
        order[k] = (uint32_t)(spans[c].at++ - b->pending);
        /* Equal times on one channel (without min_gap) go by key. */
        const struct pending *p = b->pending;
        while (k > 0 && p[order[k - 1]].due == p[order[k]].due &&
               p[order[k - 1]].raw->channel == c &&
               memcmp(p[order[k - 1]].raw->key, p[order[k]].raw->key, 16) > 0) {
            uint32_t t = order[k - 1];
            order[k - 1] = order[k];
            order[k] = t;
            k--;
        }
        merge_next(&m, spans[c].at == spans[c].end);
    }
    free(m.heap);
    free(spans);
    /* ... then the occurrences in it: in parallel, as writing this much
     * fresh memory is most of what a plan costs. */
    out->items = jade_xmalloc((n_kept + 1) * sizeof *out->items);
    out->count = n_kept;
    jade_parallel_for(n_kept, 4096, write_occurrences, &(struct writing){b, order, out->items});
    free(order);
}

/* The builder of a plan of c: its policy and channels. */
static void builder_start(struct builder *b, const struct jade_content *c,
                          const struct jade_plan_filter *filter)
{
    *b = (struct builder){.c = c, .filter = filter};
    jade_policy_read(c, &b->policy);
    const json_t *channels = c->channels ? json_object_get(c->channels->json, "channels") : NULL;
    b->n_channels = json_array_size(channels);
    b->channels = jade_xcalloc(b->n_channels + 1, sizeof *b->channels);
    b->language_ranks = jade_xcalloc(b->n_channels + 1, sizeof *b->language_ranks);
    for (size_t i = 0; i < b->n_channels; i++) {
        const json_t *ch = json_array_get(channels, i);
        b->channels[i] = (struct channel_info){ch, jade_json_str(ch, "id"),
                                               jade_channel_timezone(c, &b->policy, ch)};
        b->language_ranks[i] = json_object();
    }
    b->campaigns = jade_xcalloc(c->n_campaigns + 1, sizeof *b->campaigns);
    b->ends = jade_xcalloc(c->n_campaigns + 1, sizeof *b->ends);
}

static void builder_free(struct builder *b)
{
    free(b->pending);
    free(b->dropped);
    free(b->campaigns);
    free(b->ends);
    for (size_t i = 0; i < b->n_channels; i++) json_decref(b->language_ranks[i]);
    free(b->language_ranks);
    free(b->channels);
    jade_policy_free(&b->policy);
}

/* The active campaign's window, or false. */
static bool active_window(const struct builder *b, const struct jade_campaign *cp, int64_t *start,
                          int64_t *end)
{
    const char *status = jade_json_str(cp->file->json, "status");
    return cp->id && status && strcmp(status, "active") == 0 &&
           jade_campaign_window(&b->policy, cp->file->json, start, end) == 0;
}

/* Each active campaign's raw times up to `to` (from reuse where it has
 * them), gathered, and placed by policy. Returns the campaigns' times. */
static struct jade_plan_cache *builder_place(struct builder *b, int64_t to,
                                             const struct jade_plan_cache *reuse,
                                             struct jade_diags *diags)
{
    const struct jade_content *c = b->c;
    struct jade_plan_cache *cache = jade_xcalloc(1, sizeof *cache);
    cache->items = jade_xcalloc(c->n_campaigns + 1, sizeof *cache->items);
    size_t total = 0;
    for (size_t i = 0; i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        int64_t start, end;
        if (!active_window(b, cp, &start, &end)) continue;
        /* Shifts only move times later: nothing after `to` can come back. */
        int64_t hi = end < to ? end : to;
        struct cached_campaign *cc =
            campaign_times(b, cp, start, hi, b->filter ? NULL : reuse, diags);
        b->campaigns[cache->count] = cp;
        b->ends[cache->count] = end;
        cache->items[cache->count++] = cc;
        total += cc->n;
    }
    gather(b, cache, total);
    apply_policy(b);
    return cache;
}

void jade_plan_build_cached(const struct jade_content *c, int64_t from, int64_t to,
                            const struct jade_plan_filter *filter,
                            const struct jade_plan_cache *reuse, struct jade_plan_cache **keep,
                            struct jade_plan *out, struct jade_diags *diags)
{
    struct builder b;
    builder_start(&b, c, filter);
    struct jade_plan_cache *cache = builder_place(&b, to, reuse, diags);
    write_plan(&b, from, to, out);
    builder_free(&b);
    qsort(cache->items, cache->count, sizeof *cache->items, by_file);
    if (keep)
        *keep = cache;
    else
        jade_plan_cache_free(cache);
}

/* Dropped occurrences by campaign, post and time. */
static int dropped_order(const void *pa, const void *pb)
{
    const struct pending *x = pa, *y = pb;
    if (x->campaign != y->campaign) return x->campaign < y->campaign ? -1 : 1;
    if (x->raw->post != y->raw->post) return x->raw->post < y->raw->post ? -1 : 1;
    return (x->raw->original > y->raw->original) - (x->raw->original < y->raw->original);
}

void jade_plan_check(const struct jade_content *c, struct jade_diags *diags)
{
    struct builder b;
    builder_start(&b, c, NULL);
    b.keep_dropped = true;
    /* Up to the last end a campaign has: what comes after cannot be pushed
     * back before it. */
    int64_t to = INT64_MIN;
    for (size_t i = 0; i < c->n_campaigns; i++) {
        int64_t start, end;
        if (active_window(&b, &c->campaigns[i], &start, &end) && end != INT64_MAX && end > to)
            to = end;
    }
    /* Problems of expansion are validation's to report. */
    struct jade_diags ignored = {0};
    struct jade_plan_cache *cache = to != INT64_MIN ? builder_place(&b, to, NULL, &ignored) : NULL;
    jade_diags_free(&ignored);
    if (b.n_dropped) qsort(b.dropped, b.n_dropped, sizeof *b.dropped, dropped_order);
    static const char *const causes[] = {
        [JADE_SHIFT_NONE] = N_("the policy"),
        [JADE_SHIFT_BLACKOUT] = N_("a blackout"),
        [JADE_SHIFT_MIN_GAP] = N_("the minimum gap between posts on a channel (min_gap_minutes)"),
        [JADE_SHIFT_QUIET] = N_("the minimum gap between posts on a channel and the quiet hours")};
    for (size_t i = 0, n; i < b.n_dropped; i += n) {
        const struct pending *o = &b.dropped[i];
        for (n = 1; i + n < b.n_dropped && b.dropped[i + n].campaign == o->campaign &&
                    b.dropped[i + n].raw->post == o->raw->post;
             n++)
            ;
        const struct channel_info *ch = &b.channels[o->raw->channel];
        char when[40];
        jade_format_local(o->raw->original, ch->tz, when);
        when[16] = '\0';
        jade_content_report(
            diags, b.campaigns[o->campaign]->posts[o->raw->post].file, JADE_WARNING, "/schedule",
            true,
            _("%zu occurrence(s) of this post are pushed past the campaign's end by %s: "
              "they will not be published (the first: %s on channel %s)"),
            n, _(causes[o->shift]), when, ch->id);
    }
    builder_free(&b);
    jade_plan_cache_free(cache); /* the raw times the dropped ones point at */
}

void jade_plan_build(const struct jade_content *c, int64_t from, int64_t to,
                     const struct jade_plan_filter *filter, struct jade_plan *out,
                     struct jade_diags *diags)
{
    jade_plan_build_cached(c, from, to, filter, NULL, NULL, out, diags);
}

void jade_plan_free(struct jade_plan *plan)
{
    if (!plan) return;
    free(plan->items);
    plan->items = NULL;
    plan->count = 0;
}

static bool answered(const struct jade_content *c, const char *rumour)
{
    for (size_t i = 0; i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        const char *status = jade_json_str(cp->file->json, "status");
        if (!status || strcmp(status, "active") != 0) continue;
        for (size_t k = 0; k < cp->n_posts; k++) {
            const json_t *j = cp->posts[k].file->json;
            const char *answers = jade_json_str(j, "answers");
            if (answers && !strcmp(answers, rumour) && !json_object_get(j, "retracted"))
                return true;
        }
    }
    return false;
}

static int by_first_seen(const void *a, const void *b)
{
    const struct jade_rumour *x = *(const struct jade_rumour *const *)a;
    const struct jade_rumour *y = *(const struct jade_rumour *const *)b;
    return x->first_seen < y->first_seen   ? -1
           : x->first_seen > y->first_seen ? 1
                                           : strcmp(x->id, y->id);
}

const struct jade_rumour **jade_plan_unanswered(const struct jade_content *c, const char *region,
                                                size_t *n)
{
    const struct jade_rumour **out = jade_xcalloc(c->n_rumours + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < c->n_rumours; i++) {
        const struct jade_rumour *rm = &c->rumours[i];
        const char *status = jade_json_str(rm->file->json, "status");
        const json_t *regions = json_object_get(rm->file->json, "regions");
        if (!status || strcmp(status, "open") != 0 || answered(c, rm->id)) continue;
        if (region && !jade_json_list_has(regions, region) && !jade_json_list_has(regions, "all"))
            continue;
        out[(*n)++] = rm;
    }
    qsort(out, *n, sizeof *out, by_first_seen);
    return out;
}
