/* publish.c - what goes out: requests built from the adopted generation,
 * dispatch channel by channel (publications, and removals of retracted
 * posts), what follows each answer, and recovery after a crash.
 *
 * A request holds a reference to the generation it was built from, and
 * owns the strings its publication points to, until the plugin's done
 * callback frees it. It leaves only once the writer's batch that marks it
 * `sending` is committed: if the ledger cannot be written, nothing leaves
 * that it does not record. */
#include "service-internal.h"

#include "config.h"
#include "dispatch.h"
#include "writer.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/file.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- requests ------------------------------------------------------------ */

static const char *network_of(const struct jade_channel *ch)
{
    return ch->net ? ch->net->plugin->name
                   : json_string_value(json_object_get(ch->json, "network"));
}

/* Says a state change in the log: what went out, what waits again, what
 * failed, was missed or cancelled, and why (the network's words, cleaned:
 * cleaned()). attempt: the attempt it settles, or 0. */
static void say(struct service *s, const struct jade_channel *ch, int attempt,
                const struct jade_update *u)
{
    static const struct {
        const char *event;
        enum jade_log_level level;
    } said[JADE_N_STATES] = {
        [JADE_PLANNED] = {"requeued", JADE_LOG_INFO},
        [JADE_SENDING] = {"sending", JADE_LOG_DEBUG},
        [JADE_SENT] = {"published", JADE_LOG_INFO},
        [JADE_RETRYING] = {"retry", JADE_LOG_WARNING},
        [JADE_FAILED] = {"failed", JADE_LOG_ERROR},
        [JADE_UNCERTAIN] = {"uncertain", JADE_LOG_WARNING},
        [JADE_CANCELLED] = {"cancelled", JADE_LOG_INFO},
        [JADE_MISSED] = {"missed", JADE_LOG_WARNING},
        [JADE_RETRACTED] = {"removed", JADE_LOG_INFO},
    };
    const char *event = "removal";
    enum jade_log_level level = JADE_LOG_WARNING;
    if (u->state < JADE_N_STATES) {
        event = said[u->state].event;
        level = said[u->state].level;
    } else if (u->removal && !strcmp(u->removal, "by hand")) {
        event = "remove_by_hand";
    } else if (u->removal && *u->removal) {
        event = "remove_failed", level = JADE_LOG_ERROR;
    }
    if (!jade_log_enabled(&s->log, level)) return;
    const struct jade_occurrence *o = jade_generation_find(s->gen, u->key);
    char url[JADE_LOG_URL_MAX];
    /* the network's words, or the core's reason for not sending */
    bool core = u->state == JADE_MISSED || u->state == JADE_CANCELLED || u->state == JADE_PLANNED ||
                u->state == JADE_RETRACTED;
    jade_log(&s->log, level, event, "key", u->key, "campaign", o ? o->campaign->id : NULL, "post",
             o ? o->post->id : NULL, "lang", o ? o->lang : NULL, "channel", ch->id, "network",
             network_of(ch), "due", o ? JADE_LOG_TIME(o->due) : NULL, "attempt",
             attempt ? JADE_LOG_INT(attempt) : NULL, "network_id", u->network_id, "url",
             jade_log_url(u->url, url), "next",
             u->state == JADE_RETRYING ? JADE_LOG_TIME(u->next_attempt) : NULL,
             core ? "reason" : "error", u->error, NULL);
}

/* A state change on channel ch, stamped with the clock, to the writer's
 * next batch, and said in the log. */
static void record(struct service *s, const struct jade_channel *ch, int attempt,
                   struct jade_update u)
{
    u.at = service_now(s);
    jade_writer_update(s->writer, &u);
    if (u.state == JADE_SENT) s->sent++;
    if (u.state == JADE_FAILED) s->failed++;
    say(s, ch, attempt, &u);
}

static void free_request(struct request *r)
{
    for (size_t i = 0; i < r->n_media; i++) free(r->media[i]);
    free(r->media);
    free(r->media_alt);
    for (size_t i = 0; i < 4; i++) free(r->removal[i]);
    jade_generation_unref(r->gen);
    free(r);
}

/* A media file's path for plugins. From a git source it is copied out of
 * the commit on first use, whole or not at all (util/file.h), so that a
 * crash never leaves a truncated copy to publish; copies are kept per
 * commit, so an edited picture is never sent from an old copy. */
static char *media_path(struct service *s, const struct jade_campaign *cp, const char *file)
{
    char *rel = jade_xasprintf("%s/%s", cp->dir, file);
    if (s->cfg->source_dir) {
        char *out = jade_xasprintf("%s/%s", s->media_root, rel);
        free(rel);
        return out;
    }
    char *out = jade_xasprintf("%s/%s/%s", s->media_root, cp->commit ? cp->commit : "-", rel);
    if (access(out, F_OK) != 0) {
        char *data = NULL;
        size_t len = 0;
        struct jade_buf err = {0};
        if (jade_source_read(cp->source, rel, JADE_MAX_MEDIA_BYTES, &data, &len, &err) == 0) {
            for (char *p = strchr(out + strlen(s->media_root) + 1, '/'); p;
                 p = strchr(p + 1, '/')) {
                *p = '\0';
                mkdir(out, 0700);
                *p = '/';
            }
            jade_write_file_durably(out, data, len); /* failing, the plugin finds no file */
        }
        free(data);
        jade_buf_free(&err);
    }
    free(rel);
    return out;
}

static const char *text_of(const struct jade_occurrence *o)
{
    for (size_t i = 0; i < o->post->n_texts; i++)
        if (!strcmp(o->post->texts[i].lang, o->lang)) return o->post->texts[i].file->text;
    return "";
}

/* A request on ch for key, from the adopted generation. */
static struct request *request_for(struct service *s, struct jade_channel *ch, const char *key)
{
    struct request *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->ch = ch;
    r->gen = jade_generation_ref(s->gen);
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static struct request *new_request(struct service *s, struct jade_channel *ch,
                                   const struct jade_occurrence *o, int attempt, bool lookup)
{
    struct request *r = request_for(s, ch, o->key);
    r->lookup = lookup;
    r->due_time = o->due;
    jade_format_utc(o->due, r->due);
    const json_t *pj = o->post->file->json;
    const json_t *media = json_object_get(pj, "media");
    r->n_media = json_array_size(media);
    r->media = jade_xcalloc(r->n_media + 1, sizeof *r->media);
    r->media_alt = jade_xcalloc(r->n_media + 1, sizeof *r->media_alt);
    for (size_t i = 0; i < r->n_media; i++) {
        const json_t *item = json_array_get(media, i);
        r->media[i] = media_path(s, o->campaign, json_string_value(json_object_get(item, "file")));
        r->media_alt[i] = json_string_value(json_object_get(json_object_get(item, "alt"), o->lang));
    }
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = o->campaign->id,
        .post = o->post->id,
        .channel = o->channel_id,
        .lang = o->lang,
        .text = text_of(o),
        .link = json_string_value(json_object_get(pj, "link")),
        .due = r->due,
        .account_json = ch->account_json,
        .secret_name = json_string_value(json_object_get(o->channel, "secret")),
        .media = (const char *const *)r->media,
        .n_media = r->n_media,
        .attempt = (uint32_t)attempt,
        .media_alt = r->media_alt,
    };
    return r;
}

/* What an answer says of its channel: credentials refused (it stops until
 * an operator resumes it or its secret changes), or a wait the network
 * asked for. */
static void hold_channel(struct service *s, struct jade_channel *ch, bool suspend,
                         int64_t blocked_until, const char *why)
{
    if (suspend && !ch->suspended) service_suspend(s, ch, why);
    if (blocked_until) ch->blocked_until = blocked_until;
}

static struct jade_retry_policy retry_policy(const struct service *s)
{
    return (struct jade_retry_policy){s->cfg->retry_base_seconds, s->cfg->retry_max_seconds,
                                      s->cfg->retry_max_attempts};
}

/* A request to remove a retracted post's publication from its network.
 * The entry stays in the channel's list, marked in flight (at INT64_MAX),
 * until the network answers. */
static struct request *new_removal(struct service *s, struct jade_channel *ch,
                                   struct jade_removal *m)
{
    struct request *r = request_for(s, ch, m->key);
    r->removing = true;
    r->removal[0] = jade_xstrdup(m->campaign);
    r->removal[1] = jade_xstrdup(m->post);
    r->removal[2] = jade_xstrdup(m->lang);
    r->removal[3] = jade_xstrdup(m->network_id ? m->network_id : "");
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = r->removal[0],
        .post = r->removal[1],
        .channel = ch->id,
        .lang = r->removal[2],
        .text = "",
        .due = "",
        .account_json = ch->account_json,
        .secret_name = json_string_value(json_object_get(ch->json, "secret")),
        .attempt = (uint32_t)m->attempts + 1,
    };
    m->at = INT64_MAX;
    m->attempts++;
    return r;
}

static struct jade_removal *removal_of(struct jade_channel *ch, const char *key)
{
    for (size_t i = 0; i < ch->n_removals; i++)
        if (!strcmp(ch->removals[i].key, key)) return &ch->removals[i];
    return NULL;
}

static void drop_removal(struct jade_channel *ch, struct jade_removal *m)
{
    jade_removal_clear(m);
    *m = ch->removals[--ch->n_removals];
}

/* What a plugin passes on of the network's words is stored and shown: at
 * most a short excerpt, on one line, free of control characters, whatever
 * a receiver put in its answer. */
#define MESSAGE_EXCERPT 300

/* The plugin's answer as the core reads it: only the members its
 * struct_size covers (the others read as zero, NULL), and UNKNOWN for a
 * struct too small to hold an outcome, or an outcome the core does not
 * know: the request may have left. */
static struct jade_result cleaned(const struct jade_result *res, char excerpt[MESSAGE_EXCERPT])
{
    struct jade_result r = {0};
    if (!JADE_HAS_MEMBER(res, struct jade_result, outcome)) {
        snprintf(excerpt, MESSAGE_EXCERPT,
                 _("the plugin's answer could not be read (its struct is %u bytes): it may have "
                   "been published"),
                 res ? res->struct_size : 0);
        return (struct jade_result){
            .struct_size = sizeof r, .outcome = JADE_OUTCOME_UNKNOWN, .message = excerpt};
    }
    memcpy(&r, res, res->struct_size < sizeof r ? res->struct_size : sizeof r);
    r.struct_size = sizeof r;
    if (r.outcome > JADE_OUTCOME_NOT_FOUND) {
        snprintf(excerpt, MESSAGE_EXCERPT,
                 _("the plugin's answer could not be read (outcome %u is none jade knows): it may "
                   "have been published"),
                 r.outcome);
        return (struct jade_result){
            .struct_size = sizeof r, .outcome = JADE_OUTCOME_UNKNOWN, .message = excerpt};
    }
    jade_excerpt(r.message, excerpt, MESSAGE_EXCERPT);
    r.message = r.message ? excerpt : NULL;
    return r;
}

/* The network answered a removal (dispatch.c decides what follows). */
static void removed_cb(struct request *r, const struct jade_result *res)
{
    struct service *s = r->s;
    struct jade_channel *ch = r->ch;
    struct jade_removal *m = removal_of(ch, r->key);
    struct jade_retry_policy retry = retry_policy(s);
    struct jade_removal_decision d;
    jade_decide_removal(res, (int)r->pub.attempt, service_now(s), &retry, &s->rng, &d);
    hold_channel(s, ch, d.suspend, d.blocked_until, d.error);
    struct jade_update u = {
        .state = d.removed ? JADE_RETRACTED : JADE_N_STATES,
        .removal = d.removed ? "" : d.mark,
        .error = d.removed ? _("removed from the network: the post was retracted") : d.error};
    snprintf(u.key, sizeof u.key, "%s", r->key);
    if (d.removed || d.mark) record(s, ch, (int)r->pub.attempt, u);
    if (d.mark) /* "failed": the network would not remove it */
        service_note_by_hand(s, r->key, r->removal[0], r->removal[1], ch->id, r->removal[3]);
    if (m && d.again) {
        m->at = d.next_attempt;
        return;
    }
    if (m) drop_removal(ch, m);
    /* A reload being written read it as still to remove: it must not come
     * back when the queues are loaded from that reading. */
    if (s->reloading) {
        s->settled = jade_xrealloc(s->settled, (s->n_settled + 1) * sizeof *s->settled);
        memcpy(s->settled[s->n_settled++], r->key, 33);
    }
}

/* Back in its channel's queue, to go again at `at`. */
static void requeue(struct request *r, bool retrying, int64_t at)
{
    struct service *s = r->s;
    if (r->ch->removed) { /* its channel left the content while it was out */
        struct jade_update u = {.state = JADE_CANCELLED, .error = N_("channel removed")};
        memcpy(u.key, r->key, sizeof u.key);
        record(s, r->ch, 0, u);
        return;
    }
    struct jade_waiting w = {.at = at, .due = r->due_time, .attempts = (int)r->pub.attempt};
    snprintf(w.key, sizeof w.key, "%s", r->key);
    jade_queue_push(retrying ? &r->ch->retrying : &r->ch->planned, &w);
}

/* A plugin answered (or its call's deadline passed): the core decides
 * what follows (dispatch.c). */
static void answered(struct request *r, const struct jade_result *answer)
{
    char excerpt[MESSAGE_EXCERPT];
    struct jade_result clean = cleaned(answer, excerpt), *res = &clean;
    struct service *s = r->s;
    struct jade_channel *ch = r->ch;
    if (s->overdue || r->removing) {
        /* overdue: stopping past stop_timeout_seconds, the answer is no
         * longer waited for, and the ledger keeps it `sending` */
        if (!s->overdue) removed_cb(r, res);
        ch->inflight--;
        s->inflight--;
        free_request(r);
        return;
    }
    struct jade_retry_policy retry = retry_policy(s);
    struct jade_decision d;
    int64_t deadline = r->due_time + (int64_t)s->gen->catch_up_minutes * 60;
    jade_decide_outcome(res, r->lookup, (int)r->pub.attempt, service_now(s), deadline, &retry,
                        &s->rng, &d);
    jade_metrics_answered(&s->metrics, ch->net, res->outcome);
    hold_channel(s, ch, d.suspend, d.blocked_until, d.error);
    bool sent = d.state == JADE_SENT;
    struct jade_update u = {.state = d.state, .next_attempt = d.next_attempt, .error = d.error};
    snprintf(u.key, sizeof u.key, "%s", r->key);
    if (sent) u.network_id = res->network_id, u.url = res->url;
    record(s, ch, (int)r->pub.attempt, u);
    if (sent) service_readings_sent(s, ch, r->key, &r->pub, res->network_id, service_now(s));
    if (d.requeue == JADE_REQUEUE_PLANNED) requeue(r, false, r->due_time);
    if (d.requeue == JADE_REQUEUE_RETRYING) requeue(r, true, d.next_attempt);
    ch->inflight--;
    s->inflight--;
    free_request(r);
}

/* Plugins' done callbacks carry only a token: the service whose calls
 * they answer (one per process). */
static struct service *answering;

static void done_cb(void *token, const struct jade_result *answer)
{
    struct service *s = answering;
    struct request *r = s ? jade_calls_end(&s->calls, token) : NULL;
    if (r) {
        answered(r, answer);
        return;
    }
    if (!s) return;
    /* Answered already, or past its deadline (its request is freed): the
     * token names nothing now, and the answer is not read. */
    unsigned tag = jade_calls_tag(token);
    jade_log(&s->log, s->closed ? JADE_LOG_DEBUG : JADE_LOG_WARNING, "answer_ignored", "network",
             tag < s->n_nets ? s->nets[tag].plugin->name : NULL, "msg",
             _("the plugin answered a call that is over (answered already, or past its "
               "deadline): ignored"),
             NULL);
}

/* A call's deadline passed without an answer: a publish may have left
 * (uncertain, never re-sent blindly), a lookup stays uncertain, a removal
 * failed for now and is tried again. A late done is ignored. */
static void call_expired(void *data)
{
    struct request *r = data;
    char message[200];
    uint32_t seconds = jade_calls_deadline(r->ch->net->plugin);
    if (r->removing)
        snprintf(message, sizeof message, _("no answer within the plugin's deadline (%u s)"),
                 seconds);
    else if (r->lookup)
        snprintf(message, sizeof message,
                 _("the look-up had no answer within the plugin's deadline (%u s)"), seconds);
    else
        snprintf(message, sizeof message,
                 _("no answer within the plugin's deadline (%u s): it may have been published"),
                 seconds);
    struct jade_result res = {.struct_size = sizeof res,
                              .outcome =
                                  r->removing ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_UNKNOWN,
                              .message = message};
    answered(r, &res);
}

/* The token a plugin's call goes with: a number in the table of calls in
 * flight, never the request's address. The deadline runs on the real
 * clock (a uv timer), not the service's: a simulated clock stands still
 * while requests are in flight, and runs far faster than any network
 * answers, so on it a deadline would never pass, or pass at once. */
static void *start_call(struct request *r)
{
    struct service *s = r->s;
    if (!s->calls.loop) jade_calls_init(&s->calls, &s->loop, call_expired);
    answering = s;
    s->inflight++;
    return jade_calls_start(&s->calls, r, (unsigned)(r->ch->net - s->nets),
                            jade_calls_deadline(r->ch->net->plugin));
}

static void drop_call(void *data)
{
    struct request *r = data;
    r->ch->inflight--;
    r->s->inflight--;
    free_request(r);
}

void service_drop_calls(struct service *s, bool last)
{
    jade_calls_drop(&s->calls, drop_call);
    if (last && answering == s) answering = NULL;
}

/* A publication marked `sending` whose scope was halted before it left:
 * it waits again, as before, and its attempt is not counted. */
static void keep_back(struct request *r, const struct jade_halt *halt)
{
    struct service *s = r->s;
    bool retrying = r->pub.attempt > 1;
    char *why = jade_halt_describe(halt);
    char *error = jade_xasprintf(_("%s: not sent"), why);
    struct jade_update u = {.state = retrying ? JADE_RETRYING : JADE_PLANNED,
                            .attempts_delta = -1,
                            .next_attempt = retrying ? service_now(s) : 0,
                            .error = error};
    memcpy(u.key, r->key, sizeof u.key);
    record(s, r->ch, (int)r->pub.attempt, u);
    r->pub.attempt--;
    requeue(r, retrying, retrying ? service_now(s) : r->due_time);
    free(why);
    free(error);
    r->ch->inflight--;
    free_request(r);
}

/* The writer committed a batch (ok), or could not: its requests leave, or
 * none of them may. */
void service_written_cb(void *ctx, void **requests, size_t count, bool ok)
{
    struct service *s = ctx;
    if (!ok) {
        /* The ledger still says what was durable: a restart resumes there. */
        if (!s->ledger_failed)
            jade_log(&s->log, JADE_LOG_ERROR, "ledger_failed", "state_dir", s->cfg->state_dir,
                     "error", jade_ledger_failure(s->ledger), "msg",
                     _("cannot write the ledger: stopping; nothing was sent that it does not "
                       "record"),
                     NULL);
        s->ledger_failed = s->stopping = true;
    }
    for (size_t i = 0; i < count; i++) {
        struct request *r = requests[i];
        /* Halted while its batch was written: it does not leave. */
        const struct jade_halt *halt = ok && !s->overdue && !r->lookup
                                           ? jade_halts_stop(&s->halts, r->ch->id, r->pub.campaign)
                                           : NULL;
        if (halt && !r->removing) {
            keep_back(r, halt);
            continue;
        }
        if (!ok || s->overdue || halt) { /* overdue: `sending`, recovered at the next start */
            struct jade_removal *m = r->removing ? removal_of(r->ch, r->key) : NULL;
            if (m) m->at = 0;
            r->ch->inflight--;
            free_request(r);
            continue;
        }
        /* Its done may come from inside the call: r is not touched after it. */
        if (r->removing) {
            void *token = start_call(r);
            r->ch->net->plugin->remove(r->ch->net->state, &r->pub, r->removal[3], done_cb, token);
            continue;
        }
        jade_metrics_leaving(&s->metrics, r->pub.attempt,
                             jade_clock_now_exact(&s->clock) - (double)r->due_time);
        void *token = start_call(r);
        r->ch->net->plugin->publish(r->ch->net->state, &r->pub, done_cb, token);
    }
    service_arm(s);
}

/* ---- dispatch ------------------------------------------------------------ */

/* The channel's next occurrence ready at now: a retry whose time came
 * first (it was due before anything still planned), else the earliest
 * planned one due. */
static bool take_ready(struct jade_channel *ch, int64_t now, struct jade_waiting *out)
{
    const struct jade_waiting *retry = jade_queue_top(&ch->retrying);
    if (retry && retry->at <= now) return jade_queue_pop(&ch->retrying, out) == 0;
    const struct jade_waiting *planned = jade_queue_top(&ch->planned);
    if (planned && planned->at <= now) return jade_queue_pop(&ch->planned, out) == 0;
    return false;
}

/* When a channel may send again under its network's rate and the last
 * Retry-After. */
static int64_t free_at(const struct jade_channel *ch)
{
    uint32_t rate = ch->net ? ch->net->plugin->rate_per_minute : 0;
    int64_t t = ch->blocked_until;
    if (rate && ch->last_request + (60 + rate - 1) / rate > t)
        t = ch->last_request + (60 + rate - 1) / rate;
    return t;
}

/* Removals go first: a retracted post should not stay up a minute longer
 * than it must. Where the network cannot remove, it is marked for people
 * to remove by hand. Removals wait in the batch like publications. */
static void dispatch_removals(struct service *s, struct jade_channel *ch, int64_t now,
                              unsigned limit)
{
    if (ch->removed) return; /* its channel gone from the content: nothing goes there */
    for (size_t i = 0; i < ch->n_removals && !ch->suspended && ch->inflight < limit;) {
        struct jade_removal *m = &ch->removals[i];
        if (m->at > now || free_at(ch) > now || jade_halts_stop(&s->halts, ch->id, m->campaign)) {
            i++;
            continue;
        }
        const struct jade_plugin *p = ch->net ? ch->net->plugin : NULL;
        if (!p || !p->remove || !(p->capabilities & JADE_CAP_DELETE)) {
            struct jade_update u = {.state = JADE_N_STATES,
                                    .removal = "by hand",
                                    .error = _("the post was retracted, and this network cannot "
                                               "remove it: remove it by hand")};
            memcpy(u.key, m->key, sizeof u.key);
            record(s, ch, 0, u);
            service_note_by_hand(s, m->key, m->campaign, m->post, ch->id, m->network_id);
            drop_removal(ch, m);
            continue;
        }
        ch->inflight++;
        ch->last_request = now;
        jade_writer_hold(s->writer, new_removal(s, ch, m));
        i++;
    }
}

/* How far forward jumps of the wall clock moved an occurrence due at due
 * while it waited (0: none), and the reason that gives it in why. */
static int64_t clock_jumped(struct service *s, int64_t due, char why[192])
{
    struct jade_clock_jump last;
    int64_t by = jade_clock_jumped_since(&s->clock, due, &last);
    if (!by) return 0;
    char said[160];
    jade_clock_describe_jump(&last, said, sizeof said);
    snprintf(why, 192, _("%s: past catch_up_minutes"), said);
    return by;
}

/* What a halt keeps waiting, and whose catch-up passes meanwhile, is
 * missed with the halt as its reason. Only the top of q is looked at
 * (what is behind it is settled when it comes up, or after the resume). */
static void expire_halted(struct service *s, struct jade_channel *ch, struct jade_queue *q,
                          int64_t now)
{
    const struct jade_waiting *top;
    while ((top = jade_queue_top(q)) && now - top->due > s->gen->catch_up_minutes * 60) {
        const struct jade_occurrence *o = jade_generation_find(s->gen, top->key);
        const struct jade_halt *halt = jade_halts_stop(&s->halts, ch->id, o ? o->campaign->id : "");
        if (!halt) break; /* resumed: dispatch decides */
        char *why = jade_halt_describe(halt);
        struct jade_update u = {.state = JADE_MISSED, .error = why};
        memcpy(u.key, top->key, sizeof u.key);
        record(s, ch, top->attempts, u);
        jade_metrics_settled(&s->metrics, ch->net, JADE_MISSED);
        free(why);
        struct jade_waiting gone;
        jade_queue_pop(q, &gone);
    }
}

/* What halts keep on ch and passed its catch-up is missed; true when a
 * halt stops the whole channel. */
static bool expire_channel(struct service *s, struct jade_channel *ch, int64_t now)
{
    expire_halted(s, ch, &ch->held, now);
    if (!jade_halts_channel(&s->halts, ch->id)) return false;
    expire_halted(s, ch, &ch->planned, now);
    expire_halted(s, ch, &ch->retrying, now);
    return true;
}

void service_expire_halted(struct service *s)
{
    for (size_t c = 0; c < s->channels.count; c++)
        expire_channel(s, s->channels.items[c], service_now(s));
}

int64_t service_halt_wake(const struct service *s, const struct jade_channel *ch)
{
    int64_t next = INT64_MAX, catch_up = (int64_t)s->gen->catch_up_minutes * 60;
    const struct jade_queue *queues[] = {&ch->held, &ch->planned, &ch->retrying};
    bool whole = jade_halts_channel(&s->halts, ch->id) != NULL;
    for (size_t i = 0; i < (whole ? 3u : 1u); i++) {
        const struct jade_waiting *top = jade_queue_top(queues[i]);
        if (top && top->due + catch_up + 1 < next) next = top->due + catch_up + 1;
    }
    return next;
}

/* Fills each channel up to its concurrency with what is ready: marked
 * `sending` in the batch and sent once it is committed; or settled
 * (missed, cancelled, failed) and the next one taken. Returns the earliest
 * time a held channel (a rate limit, a Retry-After) frees up, or
 * INT64_MAX. Nothing new leaves while a reload is being written. */
int64_t service_dispatch(struct service *s)
{
    int64_t now = service_now(s), wake = INT64_MAX;
    if (s->reloading) return wake;
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        unsigned limit = ch->net ? ch->net->concurrency : 1;
        dispatch_removals(s, ch, now, limit);
        bool halted = expire_channel(s, ch, now);
        while (!halted && !ch->suspended && !ch->removed && ch->inflight < limit) {
            int64_t t = free_at(ch);
            if (t > now) {
                if (t < wake) wake = t;
                break;
            }
            struct jade_waiting w;
            if (!take_ready(ch, now, &w)) break;
            const struct jade_occurrence *o = jade_generation_find(s->gen, w.key);
            if (o && jade_halts_find(&s->halts, JADE_HALT_CAMPAIGN, o->campaign->id)) {
                jade_queue_push(&ch->held, &w); /* until its campaign is resumed */
                continue;
            }
            char jump[192];
            int64_t jumped = clock_jumped(s, w.due, jump);
            struct jade_ready ready = {.in_plan = o != NULL,
                                       .before_plan = w.due < s->gen->plan_from,
                                       .has_plugin = ch->net != NULL,
                                       .held = (ch->blocked_until > w.due),
                                       .halted = w.halted,
                                       .attempts = w.attempts,
                                       .due = w.due,
                                       .now = now,
                                       .catch_up_seconds = s->gen->catch_up_minutes * 60,
                                       .clock_jumped = jumped,
                                       .clock_jump = jumped ? jump : NULL};
            const char *why;
            enum jade_state next = jade_decide_ready(&ready, &why);
            if (next != JADE_SENDING) {
                struct jade_update u = {.state = next, .error = why};
                memcpy(u.key, w.key, sizeof u.key);
                record(s, ch, w.attempts, u);
                jade_metrics_settled(&s->metrics, ch->net, next);
                continue;
            }
            /* Sent from the commit its campaign was read from. */
            struct jade_update u = {.state = JADE_SENDING,
                                    .attempts_delta = 1,
                                    .commit = o->campaign->commit,
                                    .signer = o->campaign->signer};
            memcpy(u.key, w.key, sizeof u.key);
            record(s, ch, w.attempts + 1, u);
            ch->inflight++;
            ch->last_request = now;
            jade_writer_hold(s->writer, new_request(s, ch, o, w.attempts + 1, false));
        }
    }
    return wake;
}

/* ---- recovery after a crash ---------------------------------------------- */

struct sending_list {
    struct jade_ledger_row *items; /* key and channel copied */
    size_t count, cap;
};

static void collect_sending(void *ctx, const struct jade_ledger_row *row)
{
    struct sending_list *l = ctx;
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = jade_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = (struct jade_ledger_row){
        .key = jade_xstrdup(row->key),
        .channel = jade_xstrdup(row->channel),
        .attempts = row->attempts,
    };
}

static void free_sending(struct sending_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free((char *)l->items[i].key);
        free((char *)l->items[i].channel);
    }
    free(l->items);
}

/* After a crash: what was `sending` is re-sent with the same key where the
 * network honours one; elsewhere it is uncertain, and looked up where the
 * plugin can. Never blindly re-sent. Runs before the queues are loaded,
 * so what goes back to planned is queued with the rest. All of it is
 * recorded in one transaction, before any lookup leaves. */
enum jade_service_status service_recover(struct service *s)
{
    struct sending_list rows = {0};
    if (jade_ledger_in_state(s->ledger, JADE_SENDING, collect_sending, &rows) != 0) {
        free_sending(&rows);
        jade_print(stderr, _("jade run: cannot read the ledger in %s: %s\n"), s->cfg->state_dir,
                   jade_ledger_failure(s->ledger));
        return JADE_SERVICE_FAILED;
    }
    int64_t now = service_now(s);
    struct jade_update *updates = jade_xcalloc(rows.count + 1, sizeof *updates);
    struct request **lookups = jade_xcalloc(rows.count + 1, sizeof *lookups);
    size_t n_lookups = 0;
    for (size_t i = 0; i < rows.count; i++) {
        const struct jade_ledger_row *row = &rows.items[i];
        struct jade_channel *ch = jade_channels_find(&s->channels, row->channel);
        struct jade_instance *net = ch ? ch->net : NULL;
        const struct jade_occurrence *o = jade_generation_find(s->gen, row->key);
        struct jade_update *u = &updates[i];
        snprintf(u->key, sizeof u->key, "%s", row->key);
        u->at = now;
        if (net && (net->plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY)) {
            u->state = JADE_PLANNED;
            u->error = _("re-sent after a restart, with the same idempotency key");
            continue;
        }
        u->state = JADE_UNCERTAIN;
        u->error = _("the service stopped while sending: it may have been published");
        if (net && o && net->plugin->lookup && (net->plugin->capabilities & JADE_CAP_LOOKUP) &&
            ch->inflight < net->concurrency) {
            ch->inflight++;
            lookups[n_lookups++] = new_request(s, ch, o, row->attempts, true);
            /* Still sending until the look-up answers: stopped before it
             * does, the next start looks again (uncertain, it never would). */
            u->state = JADE_SENDING;
            u->error = _("the service stopped while sending: looking for it on the network");
        }
    }
    enum jade_service_status rc = JADE_SERVICE_OK;
    if (jade_ledger_apply(s->ledger, updates, rows.count) != 0) {
        /* Nothing was sent, and the rows stay `sending`: the next start
         * recovers them again. */
        jade_print(stderr,
                   _("jade run: %zu publication(s) were being sent when the service stopped, and "
                     "their recovery cannot be written to the ledger in %s: %s: not recovered, "
                     "nothing sent; the next start tries again\n"),
                   rows.count, s->cfg->state_dir, jade_ledger_failure(s->ledger));
        rc = JADE_SERVICE_FAILED;
    }
    static const char *const events[] = {
        [JADE_PLANNED] = "requeued", [JADE_SENDING] = "looking_up", [JADE_UNCERTAIN] = "uncertain"};
    for (size_t i = 0; i < rows.count && rc == JADE_SERVICE_OK; i++)
        jade_log(&s->log, updates[i].state != JADE_PLANNED ? JADE_LOG_WARNING : JADE_LOG_INFO,
                 events[updates[i].state], "key", updates[i].key, "channel", rows.items[i].channel,
                 "reason", updates[i].error, NULL);
    s->lookups = lookups;
    s->n_lookups = n_lookups;
    if (rc != JADE_SERVICE_OK) service_start_lookups(s, false);
    if (rows.count && rc == JADE_SERVICE_OK)
        jade_log(&s->log, JADE_LOG_WARNING, "recovered", "count", JADE_LOG_INT(rows.count), "msg",
                 _("publication(s) were being sent when the service stopped: re-sent with the "
                   "same key, looked up on the network, or uncertain"),
                 NULL);
    free(updates); /* their strings are static */
    free_sending(&rows);
    return rc;
}

void service_start_lookups(struct service *s, bool go)
{
    for (size_t i = 0; i < s->n_lookups; i++) {
        struct request *r = s->lookups[i];
        if (!go) {
            r->ch->inflight--;
            free_request(r);
            continue;
        }
        void *token = start_call(r);
        r->ch->net->plugin->lookup(r->ch->net->state, &r->pub, done_cb, token);
    }
    free(s->lookups);
    s->lookups = NULL;
    s->n_lookups = 0;
}
