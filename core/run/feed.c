/* feed.c - GET /plan.ics on the admin listener: the plan as a calendar
 * feed (plan/feed.c) from the ledger and the adopted content. Read-only
 * and without a token, as /status. The ledger is read on libuv's pool,
 * through a read-only connection of the request's own (the writer keeps
 * the service's), and the answer given when it is done: publication never
 * waits for a calendar. The window: from FEED_PAST_DAYS ago to the end of
 * what the ledger holds (the plan's horizon). */
#include "service-internal.h"

#include "config.h"
#include "../plan/plan.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <stdlib.h>
#include <string.h>

#define FEED_PAST_DAYS 30

struct feed_job {
    uv_work_t work;
    struct jade_admin_later *later;
    const char *state_dir;
    struct jade_generation *gen; /* a reference: the texts */
    int64_t from;
    struct jade_feed_row *rows;
    char **owned; /* the rows' strings */
    size_t n, n_owned;
    char *ics;
    struct jade_buf err;
};

static const char *keep(struct feed_job *j, const char *s)
{
    if (!s) return NULL;
    j->owned = jade_xrealloc(j->owned, (j->n_owned + 1) * sizeof *j->owned);
    return j->owned[j->n_owned++] = jade_xstrdup(s);
}

static void row_cb(void *ctx, const struct jade_ledger_row *r)
{
    struct feed_job *j = ctx;
    j->rows = jade_xrealloc(j->rows, (j->n + 1) * sizeof *j->rows);
    j->rows[j->n++] = (struct jade_feed_row){keep(j, r->key),
                                             keep(j, r->campaign),
                                             keep(j, r->post),
                                             keep(j, r->channel),
                                             keep(j, r->lang),
                                             keep(j, jade_state_name(r->state)),
                                             keep(j, r->error),
                                             keep(j, r->url),
                                             r->due,
                                             r->created,
                                             r->updated};
}

static void work_cb(uv_work_t *req)
{
    struct feed_job *j = req->data;
    struct jade_ledger *reader = NULL;
    if (jade_ledger_open_readonly(j->state_dir, &reader, &j->err) != 0) return;
    struct jade_ledger_filter f = JADE_LEDGER_FILTER_ANY;
    f.from = j->from;
    if (jade_ledger_select(reader, &f, row_cb, j) != 0)
        jade_buf_puts(&j->err, jade_ledger_failure(reader));
    else
        j->ics = jade_feed_ics(j->rows, j->n, j->gen ? j->gen->view : NULL);
    jade_ledger_close(reader);
}

static void done_cb(uv_work_t *req, int status)
{
    struct feed_job *j = req->data;
    (void)status;
    struct jade_buf body = {0};
    if (j->ics) {
        jade_buf_puts(&body, j->ics);
        jade_admin_answer(j->later, 200, "text/calendar; charset=utf-8", &body);
    } else {
        jade_buf_printf(&body, _("the ledger cannot be read: %s\n"), jade_buf_str(&j->err));
        jade_admin_answer(j->later, 503, "text/plain; charset=utf-8", &body);
    }
    jade_buf_free(&body);
    jade_generation_unref(j->gen);
    for (size_t i = 0; i < j->n_owned; i++) free(j->owned[i]);
    free(j->owned);
    free(j->rows);
    free(j->ics);
    jade_buf_free(&j->err);
    free(j);
}

void service_plan_ics(struct service *s, const struct jade_admin_request *req,
                      struct jade_admin_response *res)
{
    (void)req;
    struct feed_job *j = jade_xcalloc(1, sizeof *j);
    j->state_dir = s->cfg->state_dir;
    j->gen = jade_generation_ref(s->gen);
    j->from = service_now(s) - (int64_t)FEED_PAST_DAYS * 86400;
    j->work.data = j;
    j->later = jade_admin_defer(res);
    if (uv_queue_work(&s->loop, &j->work, work_cb, done_cb) != 0) {
        jade_buf_puts(&j->err, _("the service is stopping"));
        done_cb(&j->work, 0);
    }
}
