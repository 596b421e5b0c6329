/* halts.c - the operators' halts (see halts.h). A service holds a handful
 * at most: lists, searched in order. */
#include "halts.h"

#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <stdlib.h>
#include <string.h>

static const char *const scope_names[] = {"all", "campaign", "channel"};

const char *jade_halt_scope_name(enum jade_halt_scope scope)
{
    return scope_names[scope];
}

int jade_halt_scope_parse(const char *name, enum jade_halt_scope *out)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, scope_names[i])) {
            *out = (enum jade_halt_scope)i;
            return 0;
        }
    return -1;
}

const struct jade_halt *jade_halts_find(const struct jade_halts *h, enum jade_halt_scope scope,
                                        const char *target)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->items[i].scope == scope && !strcmp(h->items[i].target, target)) return &h->items[i];
    return NULL;
}

void jade_halts_add(struct jade_halts *h, enum jade_halt_scope scope, const char *target,
                    const char *reason, int64_t since)
{
    struct jade_halt *old = (struct jade_halt *)jade_halts_find(h, scope, target);
    if (old) {
        free(old->reason);
        old->reason = jade_xstrdup(reason ? reason : "");
        return;
    }
    h->items = jade_xrealloc(h->items, (h->count + 1) * sizeof *h->items);
    h->items[h->count++] =
        (struct jade_halt){scope, jade_xstrdup(scope == JADE_HALT_ALL ? "" : target),
                           jade_xstrdup(reason ? reason : ""), since};
}

bool jade_halts_remove(struct jade_halts *h, enum jade_halt_scope scope, const char *target)
{
    struct jade_halt *found = (struct jade_halt *)jade_halts_find(h, scope, target);
    if (!found) return false;
    free(found->target);
    free(found->reason);
    *found = h->items[--h->count];
    return true;
}

const struct jade_halt *jade_halts_channel(const struct jade_halts *h, const char *channel)
{
    const struct jade_halt *all = jade_halts_find(h, JADE_HALT_ALL, "");
    return all ? all : jade_halts_find(h, JADE_HALT_CHANNEL, channel);
}

const struct jade_halt *jade_halts_stop(const struct jade_halts *h, const char *channel,
                                        const char *campaign)
{
    const struct jade_halt *halt = jade_halts_channel(h, channel);
    return halt ? halt : jade_halts_find(h, JADE_HALT_CAMPAIGN, campaign);
}

char *jade_halt_describe(const struct jade_halt *halt)
{
    char since[32];
    jade_format_utc(halt->since, since);
    struct jade_buf b = {0};
    if (halt->scope == JADE_HALT_ALL)
        jade_buf_printf(&b, _("halted by an operator (everything) since %s"), since);
    else if (halt->scope == JADE_HALT_CAMPAIGN)
        jade_buf_printf(&b, _("halted by an operator (campaign %s) since %s"), halt->target, since);
    else
        jade_buf_printf(&b, _("halted by an operator (channel %s) since %s"), halt->target, since);
    if (*halt->reason) jade_buf_printf(&b, ": %s", halt->reason);
    return jade_buf_steal(&b);
}

void jade_halts_free(struct jade_halts *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->items[i].target);
        free(h->items[i].reason);
    }
    free(h->items);
    *h = (struct jade_halts){0};
}
