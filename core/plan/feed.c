/* feed.c - the plan as a calendar feed (GET /plan.ics): every occurrence
 * the ledger knows in a window, as calendar applications that follow a
 * feed need it (see plan.h).
 *
 * An occurrence's key holds its original time, so a post moved to another
 * time is a new key, and the old one is cancelled "no longer in the plan"
 * in the same reconciliation. To have calendars move the event rather
 * than show a second one, such pairs are chained, as jade plan --diff
 * pairs them: in each group of the same campaign, post, channel and
 * language, the keys cancelled that way at one time and those created at
 * that same time, in due order, the first with the first. A chain is one
 * event: its UID is the key of its first occurrence (so an occurrence
 * that never moved has its key as UID, as in jade plan --format ics), it
 * shows the last occurrence, and its SEQUENCE is the number of moves, one
 * more once it is cancelled. */
#include "plan.h"

#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

#define MOVED_AWAY "no longer in the plan" /* the ledger's reason for a vanished key */

static int compare_group(const struct jade_feed_row *x, const struct jade_feed_row *y)
{
    int c;
    if ((c = strcmp(x->campaign, y->campaign)) || (c = strcmp(x->post, y->post)) ||
        (c = strcmp(x->channel, y->channel)) || (c = strcmp(x->lang, y->lang)))
        return c;
    return 0;
}

static int compare_rows(const void *a, const void *b)
{
    const struct jade_feed_row *x = *(const struct jade_feed_row *const *)a;
    const struct jade_feed_row *y = *(const struct jade_feed_row *const *)b;
    int c = compare_group(x, y);
    if (c) return c;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    return strcmp(x->key, y->key);
}

static bool moved_away(const struct jade_feed_row *r)
{
    return !strcmp(r->state, "cancelled") && r->error && !strcmp(r->error, MOVED_AWAY);
}

static bool cancelled(const struct jade_feed_row *r)
{
    return !strcmp(r->state, "cancelled") || !strcmp(r->state, "retracted");
}

void jade_feed_chain(const struct jade_feed_row *rows, size_t n, size_t *pred)
{
    const struct jade_feed_row **by = jade_xcalloc(n + 1, sizeof *by);
    for (size_t i = 0; i < n; i++) by[i] = &rows[i], pred[i] = SIZE_MAX;
    qsort(by, n, sizeof *by, compare_rows);
    bool *taken = jade_xcalloc(n + 1, sizeof *taken); /* a predecessor already */
    for (size_t g = 0; g < n;) {
        size_t end = g;
        while (end < n && !compare_group(by[g], by[end])) end++;
        /* each cancellation of the group, with what its reconciliation
         * created, both in due order (the group is) */
        for (size_t i = g; i < end; i++) {
            const struct jade_feed_row *gone = by[i];
            if (!moved_away(gone) || taken[gone - rows]) continue;
            size_t rank = 0; /* gone's place among those cancelled at that time */
            for (size_t k = g; k < i; k++)
                if (moved_away(by[k]) && by[k]->updated == gone->updated) rank++;
            for (size_t k = g; k < end; k++) {
                const struct jade_feed_row *came = by[k];
                if (came->created != gone->updated || came == gone) continue;
                if (rank-- > 0) continue;
                if (pred[came - rows] == SIZE_MAX) {
                    pred[came - rows] = (size_t)(gone - rows);
                    taken[gone - rows] = true;
                }
                break;
            }
        }
        g = end;
    }
    free(taken);
    free(by);
}

static struct icaltimetype ical_utc(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

/* The post's text in the row's language, from content, or "". */
static const char *text_for(const struct jade_content *c, const struct jade_feed_row *r)
{
    for (size_t i = 0; c && i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        if (!cp->id || strcmp(cp->id, r->campaign) != 0) continue;
        for (size_t k = 0; k < cp->n_posts; k++) {
            const struct jade_post *p = &cp->posts[k];
            if (strcmp(p->id, r->post) != 0) continue;
            for (size_t t = 0; t < p->n_texts; t++)
                if (!strcmp(p->texts[t].lang, r->lang)) return p->texts[t].file->text;
        }
    }
    return "";
}

static char *escaped(const char *s)
{
    struct jade_buf b = {0};
    jade_escape(&b, s, strlen(s), JADE_KEEP_LINES); /* RFC 5545 text holds no controls but tabs */
    return jade_buf_steal(&b);
}

char *jade_feed_ics(const struct jade_feed_row *rows, size_t n, const struct jade_content *content)
{
    size_t *pred = jade_xcalloc(n + 1, sizeof *pred);
    jade_feed_chain(rows, n, pred);
    bool *superseded = jade_xcalloc(n + 1, sizeof *superseded);
    for (size_t i = 0; i < n; i++)
        if (pred[i] != SIZE_MAX) superseded[pred[i]] = true;
    icalcomponent *cal =
        icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
                            icalproperty_new_prodid("-//JADE//jade feed " JADE_VERSION "//FR"),
                            icalproperty_new_calscale("GREGORIAN"),
                            icalproperty_new_method(ICAL_METHOD_PUBLISH), (void *)0);
    for (size_t i = 0; i < n; i++) {
        if (superseded[i]) continue;
        const struct jade_feed_row *r = &rows[i];
        size_t root = i;
        int moves = 0;
        while (pred[root] != SIZE_MAX && moves <= (int)n) root = pred[root], moves++;
        struct jade_buf summary = {0}, text = {0};
        jade_buf_printf(&summary, "%s · %s (%s) · %s", r->campaign, r->post, r->lang, r->channel);
        jade_buf_puts(&text, text_for(content, r));
        jade_buf_printf(&text, _("%sstate: %s"), text.len ? "\n\n" : "", r->state);
        if (r->error && *r->error) jade_buf_printf(&text, " (%s)", r->error);
        char *sum = escaped(jade_buf_str(&summary)), *desc = escaped(jade_buf_str(&text));
        bool off = cancelled(r);
        icalcomponent *ev = icalcomponent_vanew(
            ICAL_VEVENT_COMPONENT, icalproperty_new_uid(rows[root].key),
            /* DTSTAMP: the ledger's last change of it, not the clock */
            icalproperty_new_dtstamp(ical_utc(r->updated)),
            icalproperty_new_dtstart(ical_utc(r->due)),
            icalproperty_new_dtend(ical_utc(r->due + 15 * 60)),
            icalproperty_new_sequence(moves + (off ? 1 : 0)),
            icalproperty_new_status(off ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED),
            icalproperty_new_summary(sum), icalproperty_new_description(desc), (void *)0);
        if (r->url && *r->url && !off) {
            char *url = escaped(r->url);
            icalcomponent_add_property(ev, icalproperty_new_url(url));
            free(url);
        }
        icalcomponent_add_component(cal, ev);
        free(sum);
        free(desc);
        jade_buf_free(&summary);
        jade_buf_free(&text);
    }
    char *out = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    free(superseded);
    free(pred);
    return out;
}
