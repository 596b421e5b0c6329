/* sync.c - one cycle of following the branch (see sync.h). */
#include "sync.h"

#include "config.h"
#include "../source/fetch.h"
#include "../source/source.h"
#include "../source/sshsig.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <git2.h>
#include <uv.h>
#include <stdlib.h>
#include <string.h>

/* ---- snapshots and generations ------------------------------------------- */

/* References are taken on the thread pool (a sync cycle) and let go on
 * the loop (a request done): atomic. */
static struct jade_snapshot *snapshot_ref(struct jade_snapshot *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

static void snapshot_unref(struct jade_snapshot *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    jade_content_free(s->content);
    jade_source_free(s->source);
    free(s->commit);
    free(s->signer);
    free(s);
}

struct jade_generation *jade_generation_ref(struct jade_generation *g)
{
    if (g) __atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
    return g;
}

void jade_generation_unref(struct jade_generation *g)
{
    if (!g || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    jade_plan_free(&g->plan);
    jade_plan_cache_free(g->plan_cache);
    jade_plan_index_free(&g->by_key);
    jade_content_free(g->view);
    for (size_t i = 0; i < g->n_parts; i++) snapshot_unref(g->parts[i]);
    free(g->parts);
    for (size_t i = 0; i < g->n_kept; i++) free(g->kept[i]);
    free(g->kept);
    free(g);
}

const struct jade_occurrence *jade_generation_find(const struct jade_generation *g, const char *key)
{
    return jade_plan_index_find(&g->by_key, key);
}

/* The part of g whose files hold campaign cp. */
static struct jade_snapshot *part_of(const struct jade_generation *g,
                                     const struct jade_campaign *cp)
{
    for (size_t i = 0; i < g->n_parts; i++) {
        const struct jade_content *c = g->parts[i]->content;
        if (cp->file >= c->files && cp->file < c->files + c->n_files) return g->parts[i];
    }
    return NULL;
}

static void add_part(struct jade_generation *g, struct jade_snapshot *s)
{
    for (size_t i = 0; i < g->n_parts; i++)
        if (g->parts[i] == s) return;
    g->parts = jade_xrealloc(g->parts, (g->n_parts + 1) * sizeof *g->parts);
    g->parts[g->n_parts++] = snapshot_ref(s);
}

/* Plans g's view over [now - catch-up, now + horizon), from earlier when
 * a retry still waits for an occurrence due before that (a retry is late
 * by design: a new plan must not turn it into a miss). What base (or
 * NULL) planned of the same campaigns is reused: base's root files must
 * say what g's do. */
static void plan_generation(struct jade_generation *g, const struct jade_generation *base,
                            const struct jade_sync_input *in, struct jade_diags *diags)
{
    const struct jade_config *cfg = in->config;
    int64_t now = in->now;
    const json_t *pol = json_object_get(g->view->programme->json, "policy");
    const json_t *cu = json_object_get(pol, "catch_up_minutes");
    g->catch_up_minutes = json_is_integer(cu) ? (int)json_integer_value(cu) : 60;
    g->plan_from = now - (int64_t)g->catch_up_minutes * 60;
    if (in->retry_due_from && in->retry_due_from < g->plan_from) g->plan_from = in->retry_due_from;
    g->plan_to = now + (int64_t)cfg->horizon_days * 86400;
    jade_plan_build_cached(g->view, g->plan_from, g->plan_to, NULL, base ? base->plan_cache : NULL,
                           &g->plan_cache, &g->plan, diags);
    jade_plan_index_build(&g->plan, &g->by_key);
}

/* ---- the cycle ------------------------------------------------------------ */

static void set_reason(struct jade_sync_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_reason(struct jade_sync_result *r, const char *fmt, ...)
{
    struct jade_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(r->reason);
    r->reason = jade_buf_steal(&b);
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

/* "dir@commit" when g keeps campaign dir at an older commit, else NULL. */
static const char *kept_entry(const struct jade_generation *g, const char *dir)
{
    size_t len = strlen(dir);
    for (size_t i = 0; i < g->n_kept; i++)
        if (!strncmp(g->kept[i], dir, len) && g->kept[i][len] == '@') return g->kept[i];
    return NULL;
}

static bool in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s)) return true;
    return false;
}

/* The branch's tip: fetched into the mirror (or, with in->ref, the
 * commit asked for, from the mirror as it is), into tip. */
static int find_tip(const struct jade_sync_input *in, char tip[GIT_OID_HEXSZ + 1],
                    struct jade_buf *err)
{
    const struct jade_config *cfg = in->config;
    git_oid oid;
    if (in->ref) {
        git_repository *repo = NULL;
        git_object *obj = NULL;
        int rc = git_repository_open_ext(&repo, in->mirror, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
        git_object *commit = NULL;
        if (rc == 0) rc = git_revparse_single(&obj, repo, in->ref);
        if (rc == 0) rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
        if (rc == 0) git_oid_cpy(&oid, git_object_id(commit));
        git_object_free(commit);
        if (rc != 0) {
            const git_error *e = git_error_last();
            jade_buf_printf(err, "%s: %s", in->ref, e && e->message ? e->message : "?");
        }
        git_object_free(obj);
        git_repository_free(repo);
        if (rc != 0) return -1;
    } else if (jade_fetch(cfg->source_url, cfg->branch, in->mirror, in->credentials, &oid, err) !=
               0) {
        return -1;
    }
    git_oid_tostr(tip, GIT_OID_HEXSZ + 1, &oid);
    return 0;
}

/* The campaign of view v whose folder holds path, or NULL. */
static const struct jade_campaign *campaign_holding(const struct jade_content *v, const char *path)
{
    char *dir = jade_xstrdup(path);
    const struct jade_campaign *hit = NULL;
    for (char *slash = strrchr(dir, '/'); slash && !hit; slash = strrchr(dir, '/')) {
        *slash = '\0';
        hit = jade_content_find_campaign(v, dir);
    }
    free(dir);
    return hit;
}

static bool hidden(const char *path)
{
    return path[0] == '.' || strstr(path, "/.");
}

/* The campaign folders that commit tip changes from the one cur adopted,
 * when nothing else changes: then only those are read again. False when
 * the whole tree is to be read: a root file (or any file of no campaign)
 * changed, a campaign was added or removed, or campaigns nest (rules span
 * them). */
static bool changed_campaigns(const struct jade_sync_input *in, const struct jade_generation *cur,
                              const char *tip, char ***dirs, size_t *n_dirs)
{
    *dirs = NULL;
    *n_dirs = 0;
    const char *from = cur ? cur->parts[0]->commit : NULL;
    if (!from || in->config->source_dir) return false;
    const struct jade_content *v = cur->view;
    for (size_t i = 0; i < v->n_campaigns; i++)
        if (campaign_holding(v, v->campaigns[i].dir)) return false;
    struct jade_change *changes;
    size_t n_changes;
    struct jade_buf err = {0};
    int rc = jade_git_changes(in->mirror, from, tip, in->config->path, &changes, &n_changes, &err);
    jade_buf_free(&err);
    if (rc != 0) return false;
    bool partial = true;
    for (size_t i = 0; i < n_changes && partial; i++) {
        const char *path = changes[i].path;
        if (hidden(path)) continue; /* never read: names starting with '.' */
        const struct jade_campaign *cp = campaign_holding(v, path);
        size_t len = cp ? strlen(cp->dir) : 0;
        partial = cp && !(changes[i].added_or_deleted && !strcmp(path + len, "/campaign.json"));
        bool listed = false;
        for (size_t k = 0; partial && k < *n_dirs && !listed; k++)
            listed = !strcmp((*dirs)[k], cp->dir);
        if (partial && !listed) {
            *dirs = jade_xrealloc(*dirs, (*n_dirs + 1) * sizeof **dirs);
            (*dirs)[(*n_dirs)++] = jade_xstrdup(cp->dir);
        }
    }
    jade_changes_free(changes, n_changes);
    /* A campaign's id is its folder's name: one read again must not take
     * the id of another (the rule that finds it reads every campaign). */
    for (size_t i = 0; i < *n_dirs && partial; i++) {
        const char *slash = strrchr((*dirs)[i], '/');
        const char *name = slash ? slash + 1 : (*dirs)[i];
        for (size_t k = 0; k < v->n_campaigns && partial; k++)
            partial = !v->campaigns[k].id || strcmp(v->campaigns[k].id, name) != 0 ||
                      !strcmp(v->campaigns[k].dir, (*dirs)[i]);
    }
    if (!partial) {
        free_list(*dirs, *n_dirs);
        *dirs = NULL;
        *n_dirs = 0;
    }
    return partial;
}

/* The campaign folder a problem's file belongs to, or NULL for a root
 * file (or a file of no campaign). */
static const char *campaign_of_diag(const struct jade_content *c, const struct jade_diag *d)
{
    for (size_t i = 0; i < c->n_files; i++)
        if (c->files[i].display && !strcmp(c->files[i].display, d->file))
            return c->files[i].campaign;
    return NULL;
}

/* Signed mode: the tip is adopted only with a valid signature by a key of
 * the allowed signers. */
static int verify_tip(const struct jade_sync_input *in, const char *commit, char **signer,
                      struct jade_sync_result *out)
{
    git_repository *repo = NULL;
    git_oid oid;
    if (git_repository_open_ext(&repo, in->mirror, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0 ||
        git_oid_fromstr(&oid, commit) != 0) {
        const git_error *e = git_error_last();
        set_reason(out, _("cannot open %s: %s"), in->mirror, e && e->message ? e->message : "?");
        git_repository_free(repo);
        return -1;
    }
    struct jade_verdict v = {0};
    int rc = jade_commit_verify(repo, &oid, in->signers, &v);
    git_repository_free(repo);
    if (rc == 0 && v.status == JADE_VERIFY_OK) {
        *signer = v.principal;
        v.principal = NULL;
        jade_verdict_clear(&v);
        return 0;
    }
    set_reason(out, "%s", v.message ? v.message : _("the signature could not be checked"));
    jade_verdict_clear(&v);
    return -1;
}

static double ms_since(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e6;
}

/* The same content as cur, planned again from now: the horizon moved. */
static struct jade_generation *replanned(struct jade_generation *cur,
                                         const struct jade_sync_input *in,
                                         struct jade_sync_result *out)
{
    struct jade_generation *g = jade_xcalloc(1, sizeof *g);
    g->refs = 1;
    for (size_t i = 0; i < cur->n_parts; i++) add_part(g, cur->parts[i]);
    g->view =
        jade_content_view(cur->parts[0]->content, cur->view->campaigns, cur->view->n_campaigns);
    for (size_t i = 0; i < cur->n_kept; i++) {
        g->kept = jade_xrealloc(g->kept, (g->n_kept + 1) * sizeof *g->kept);
        g->kept[g->n_kept++] = jade_xstrdup(cur->kept[i]);
    }
    g->load_ms = 0;
    uint64_t t0 = uv_hrtime();
    plan_generation(g, cur, in, &out->diags);
    out->plan_ms = g->plan_ms = ms_since(t0);
    return g;
}

static void sync_once(const struct jade_sync_input *in, struct jade_sync_result *out);

void jade_sync_run(const struct jade_sync_input *in, struct jade_sync_result *out)
{
    git_libgit2_init(); /* counted: the mirror is opened here and there in a cycle */
    sync_once(in, out);
    git_libgit2_shutdown();
    /* The tip waits or the branch cannot be read: publishing goes on from
     * what was adopted, planned further when the horizon moved. */
    if (!out->generation && in->replan && in->current)
        out->generation = replanned(in->current, in, out);
}

static void sync_once(const struct jade_sync_input *in, struct jade_sync_result *out)
{
    memset(out, 0, sizeof *out);
    struct jade_generation *cur = in->current;
    const struct jade_config *cfg = in->config;
    struct jade_buf err = {0};
    struct jade_source *src = NULL;
    char tip[GIT_OID_HEXSZ + 1] = "";
    uint64_t t0 = uv_hrtime();
    int opened = cfg->source_dir ? jade_source_open_dir(cfg->source_dir, &src, &err)
                                 : find_tip(in, tip, &err);
    out->fetch_ms = ms_since(t0);
    if (opened != 0) {
        out->outcome = JADE_SYNC_FAILED;
        set_reason(out, "%s", jade_buf_str(&err));
        jade_buf_free(&err);
        return;
    }
    snprintf(out->commit, sizeof out->commit, "%s", tip);
    const char *adopted = cur ? cur->parts[0]->commit : NULL;
    bool same = *tip && adopted && !strcmp(tip, adopted);
    if ((same && !in->replan) || (*tip && in->refused_tip && !strcmp(tip, in->refused_tip))) {
        jade_source_free(src);
        out->outcome = JADE_SYNC_UNCHANGED;
        return;
    }
    if (same) {
        out->generation = replanned(cur, in, out);
        out->outcome = JADE_SYNC_ADOPT;
        return;
    }
    char *signer = NULL;
    if (in->signers && (!*tip || verify_tip(in, tip, &signer, out) != 0)) {
        if (!*tip) set_reason(out, _("signed mode needs a git source"));
        jade_source_free(src);
        out->outcome = JADE_SYNC_REFUSED;
        return;
    }
    /* Only the campaigns that changed are read again, when nothing else did. */
    t0 = uv_hrtime();
    char **touched = NULL;
    size_t n_touched = 0;
    bool partial = !src && !in->read_whole && changed_campaigns(in, cur, tip, &touched, &n_touched);
    /* A partial read keeps the root files and the rumours, which posts of
     * the touched campaigns may answer. */
    const char **only = NULL;
    if (partial) {
        only = jade_xcalloc(n_touched + 1, sizeof *only);
        for (size_t i = 0; i < n_touched; i++) only[i] = touched[i];
        only[n_touched] = "rumours";
    }
    int opened_only = src ? 0
                          : jade_source_open_git_only(in->mirror, tip, cfg->path, only,
                                                      partial ? n_touched + 1 : 0, &src, &err);
    free(only);
    if (opened_only != 0) {
        out->outcome = JADE_SYNC_FAILED;
        set_reason(out, "%s", jade_buf_str(&err));
        jade_buf_free(&err);
        free(signer);
        free_list(touched, n_touched);
        return;
    }
    if (!partial) free_list(touched, n_touched), touched = NULL, n_touched = 0;
    struct jade_snapshot *snap = jade_xcalloc(1, sizeof *snap);
    snap->refs = 1;
    snap->source = src;
    snap->commit = src->commit ? jade_xstrdup(src->commit) : NULL;
    snap->signer = signer;
    snap->content = jade_content_load(src, in->networks, &out->diags);
    out->load_ms = ms_since(t0);
    if (!snap->content) {
        out->outcome = JADE_SYNC_REFUSED;
        set_reason(out, _("the content cannot be read"));
        snapshot_unref(snap);
        free_list(touched, n_touched);
        return;
    }
    for (size_t i = 0; i < snap->content->n_campaigns; i++)
        snap->content->campaigns[i].signer = snap->signer;
    /* Which campaigns are broken; any other error keeps the whole last
     * good commit. */
    char **broken = NULL;
    size_t n_broken = 0, root_errors = 0;
    for (size_t i = 0; i < out->diags.count; i++) {
        const struct jade_diag *d = &out->diags.items[i];
        if (d->severity != JADE_ERROR) continue;
        const char *dir = campaign_of_diag(snap->content, d);
        if (!dir) {
            root_errors++;
        } else if (!in_list(broken, n_broken, dir)) {
            broken = jade_xrealloc(broken, (n_broken + 1) * sizeof *broken);
            broken[n_broken++] = jade_xstrdup(dir);
        }
    }
    if (root_errors) {
        out->outcome = JADE_SYNC_REFUSED;
        set_reason(out, _("invalid content: %zu error(s) outside any campaign"), root_errors);
        snapshot_unref(snap);
        free_list(broken, n_broken);
        free_list(touched, n_touched);
        return;
    }
    /* The generation: the tip's campaigns, but a broken one as it was. */
    struct jade_generation *g = jade_xcalloc(1, sizeof *g);
    g->refs = 1;
    add_part(g, snap);
    snapshot_unref(snap);
    const struct jade_content *loaded = snap->content;
    struct jade_campaign *campaigns = jade_xcalloc(
        loaded->n_campaigns + (cur ? cur->view->n_campaigns : 0) + 1, sizeof *campaigns);
    size_t n = 0;
    for (size_t i = 0; i < loaded->n_campaigns; i++)
        if (!in_list(broken, n_broken, loaded->campaigns[i].dir))
            campaigns[n++] = loaded->campaigns[i];
    for (size_t i = 0; cur && i < n_broken; i++) {
        struct jade_campaign *old = jade_content_find_campaign(cur->view, broken[i]);
        struct jade_snapshot *from = old ? part_of(cur, old) : NULL;
        if (!old || !from) continue;
        campaigns[n++] = *old;
        add_part(g, from);
        g->kept = jade_xrealloc(g->kept, (g->n_kept + 1) * sizeof *g->kept);
        g->kept[g->n_kept++] = jade_xasprintf("%s@%s", old->dir, old->commit ? old->commit : "");
    }
    /* Read in part: the campaigns that did not change, as adopted. */
    for (size_t i = 0; partial && i < cur->view->n_campaigns; i++) {
        const struct jade_campaign *old = &cur->view->campaigns[i];
        if (in_list(touched, n_touched, old->dir)) continue;
        add_part(g, part_of(cur, old));
        campaigns[n] = *old;
        const char *kept = kept_entry(cur, old->dir);
        if (kept) {
            g->kept = jade_xrealloc(g->kept, (g->n_kept + 1) * sizeof *g->kept);
            g->kept[g->n_kept++] = jade_xstrdup(kept);
        } else { /* the same in the tip */
            campaigns[n].commit = snap->commit;
            campaigns[n].signer = snap->signer;
        }
        n++;
    }
    g->view = jade_content_view(loaded, campaigns, n);
    free(campaigns);
    free_list(broken, n_broken);
    free_list(touched, n_touched);
    t0 = uv_hrtime();
    /* Root files as adopted: what the current plan expanded still holds. */
    plan_generation(g, partial ? cur : NULL, in, &out->diags);
    out->plan_ms = g->plan_ms = ms_since(t0);
    g->load_ms = out->load_ms;
    g->reread = partial ? (long)n_touched : -1;
    out->generation = g;
    out->outcome = JADE_SYNC_ADOPT;
}

void jade_sync_result_free(struct jade_sync_result *r)
{
    free(r->reason);
    jade_diags_free(&r->diags);
    jade_generation_unref(r->generation);
    memset(r, 0, sizeof *r);
}

const char *jade_generation_cancel_reason(void *ctx, const char *campaign, const char *post,
                                          const char *channel)
{
    const struct jade_generation *g = ctx;
    const struct jade_content *v = g->view;
    const struct jade_campaign *cp = campaign ? jade_content_find_campaign(v, campaign) : NULL;
    if (!cp) return N_("campaign removed");
    const char *status = json_string_value(json_object_get(cp->file->json, "status"));
    if (status && !strcmp(status, "paused")) return N_("campaign paused");
    if (status && !strcmp(status, "retired")) return N_("campaign retired");
    if (status && !strcmp(status, "draft")) return N_("campaign back to draft");
    const struct jade_post *p = NULL;
    for (size_t i = 0; post && i < cp->n_posts && !p; i++)
        if (!strcmp(cp->posts[i].id, post)) p = &cp->posts[i];
    if (!p) return N_("post removed");
    if (json_object_get(p->file->json, "retracted")) return N_("post retracted");
    if (!channel || !json_object_get(v->channel_index, channel)) return N_("channel removed");
    return NULL;
}
