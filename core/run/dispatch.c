/* dispatch.c - the core's decisions about occurrences (see dispatch.h). */
#include "dispatch.h"

#include "../util/i18n.h"

int64_t jade_backoff(int attempt, int base_seconds, int max_seconds, uint64_t *rng)
{
    double cap = (double)base_seconds;
    for (int i = 1; i < attempt && cap < max_seconds; i++) cap *= 2;
    if (cap > max_seconds) cap = max_seconds;
    /* xorshift64*: jitter needs spread, not secrecy */
    *rng ^= *rng >> 12, *rng ^= *rng << 25, *rng ^= *rng >> 27;
    uint64_t r = *rng * 2685821657736338717ull;
    return (int64_t)((double)(r >> 11) / (double)(1ull << 53) * cap);
}

static const char *const down = N_("the service was down past catch_up_minutes");
static const char *const rate_limited = N_("the network's rate limit ran past catch_up_minutes");
static const char *const retried = N_("retries ran past catch_up_minutes");
static const char *const halted = N_("halted by an operator past catch_up_minutes");

/* Why an occurrence is past the catch-up: an outage, unless it would
 * have been in time but for a forward jump of the wall clock. */
static const char *late_reason(const struct jade_ready *r)
{
    if (r->clock_jumped > 0 && r->clock_jump &&
        r->now - r->clock_jumped - r->due <= r->catch_up_seconds)
        return r->clock_jump;
    return _(down);
}

enum jade_state jade_decide_ready(const struct jade_ready *r, const char **why)
{
    if (!r->in_plan) {
        /* Before the plan's range, it is past the catch-up; in it, the
         * content no longer has it. */
        *why = r->before_plan ? late_reason(r) : _("no longer in the content");
        return r->before_plan ? JADE_MISSED : JADE_CANCELLED;
    }
    if (!r->has_plugin) {
        *why = _("no plugin is loaded for this channel's network");
        return JADE_FAILED;
    }
    /* A retry was only put off within the bound (jade_decide_outcome): one
     * found past it was kept, like a first attempt, by an outage (or a jump
     * of the wall clock) or by the network's wait on its channel. */
    if (r->now - r->due > r->catch_up_seconds) {
        *why = r->held ? _(rate_limited) : r->halted ? _(halted) : late_reason(r);
        return JADE_MISSED;
    }
    *why = NULL;
    return JADE_SENDING;
}

/* How long a network that asked to wait is left alone. "Again at once"
 * (0, or a date already past) waits our own backoff, a second at least:
 * else a network that keeps saying so would be asked without pause, and
 * a simulated clock would never move. */
static int64_t wait_asked(const struct jade_result *res, int attempt,
                          const struct jade_retry_policy *retry, uint64_t *rng)
{
    int64_t wait = res->retry_after_seconds;
    if (wait <= 0) wait = jade_backoff(attempt, retry->base_seconds, retry->max_seconds, rng);
    return wait > 0 ? wait : 1;
}

void jade_decide_outcome(const struct jade_result *res, bool lookup, int attempt, int64_t now,
                         int64_t deadline, const struct jade_retry_policy *retry, uint64_t *rng,
                         struct jade_decision *d)
{
    const char *msg = res->message;
    *d = (struct jade_decision){.state = JADE_FAILED, .requeue = JADE_REQUEUE_NONE};
    switch (res->outcome) {
    case JADE_OUTCOME_SENT:
        d->state = JADE_SENT;
        d->error = msg; /* a note, if any (how many of a list's recipients got it) */
        break;
    case JADE_OUTCOME_NOT_FOUND: /* lookup: the network does not have it, so send it */
        d->state = JADE_PLANNED;
        d->requeue = JADE_REQUEUE_PLANNED;
        d->error = _("not found on the network");
        break;
    case JADE_OUTCOME_RETRY_AFTER:
        d->state = JADE_RETRYING;
        d->requeue = JADE_REQUEUE_RETRYING;
        d->next_attempt = d->blocked_until = now + wait_asked(res, attempt, retry, rng);
        d->error = msg;
        break;
    case JADE_OUTCOME_TRANSIENT:
        if (lookup || attempt >= retry->max_attempts) {
            d->state = lookup ? JADE_UNCERTAIN : JADE_FAILED;
            d->error = msg ? msg : _("failed, and out of attempts");
        } else {
            d->state = JADE_RETRYING;
            d->requeue = JADE_REQUEUE_RETRYING;
            d->next_attempt =
                now + jade_backoff(attempt, retry->base_seconds, retry->max_seconds, rng);
            d->error = msg;
        }
        break;
    case JADE_OUTCOME_AUTH_FAILED:
        /* Nothing was published: it waits, as planned, for the channel to
         * be resumed. */
        d->state = JADE_PLANNED;
        d->requeue = JADE_REQUEUE_PLANNED;
        d->suspend = true;
        d->error = msg ? msg : _("authentication failed");
        break;
    case JADE_OUTCOME_UNKNOWN:
        d->state = JADE_UNCERTAIN;
        d->error = msg ? msg : _("no answer: it may have been published");
        break;
    case JADE_OUTCOME_PERMANENT:
    default:
        d->state = JADE_FAILED;
        d->error = msg ? msg : _("refused");
        break;
    }
    /* Nothing goes out past the catch-up, whatever delays it: a retry that
     * would is missed now, and says why. The channel still waits as the
     * network asked. */
    if (d->requeue == JADE_REQUEUE_RETRYING && d->next_attempt > deadline) {
        d->state = JADE_MISSED;
        d->requeue = JADE_REQUEUE_NONE;
        d->error = res->outcome == JADE_OUTCOME_RETRY_AFTER ? _(rate_limited) : _(retried);
    }
}

void jade_decide_removal(const struct jade_result *res, int attempt, int64_t now,
                         const struct jade_retry_policy *retry, uint64_t *rng,
                         struct jade_removal_decision *d)
{
    const char *msg = res->message;
    *d = (struct jade_removal_decision){.error = msg};
    switch (res->outcome) {
    case JADE_OUTCOME_SENT:
    case JADE_OUTCOME_NOT_FOUND:
        d->removed = true;
        d->error = NULL;
        break;
    case JADE_OUTCOME_RETRY_AFTER:
        d->again = true;
        d->next_attempt = d->blocked_until = now + wait_asked(res, attempt, retry, rng);
        break;
    case JADE_OUTCOME_AUTH_FAILED:
        d->again = true;
        d->suspend = true;
        d->next_attempt = now;
        d->error = msg ? msg : _("authentication failed");
        break;
    case JADE_OUTCOME_TRANSIENT:
    case JADE_OUTCOME_UNKNOWN:
        if (attempt < retry->max_attempts) {
            d->again = true;
            d->next_attempt =
                now + jade_backoff(attempt, retry->base_seconds, retry->max_seconds, rng);
            break;
        }
        d->mark = "failed";
        d->error = msg ? msg : _("could not be removed, and out of attempts: remove it by hand");
        break;
    case JADE_OUTCOME_PERMANENT:
    default:
        d->mark = "failed";
        d->error = msg ? msg : _("the network refused to remove it: remove it by hand");
        break;
    }
}
