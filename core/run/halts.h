/* halts.h - what operators halted (SPEC §7, `jade halt`): everything, a
 * campaign, or a channel. Nothing of a halted scope leaves until it is
 * resumed; requests already in flight finish. The set is kept in the
 * ledger (jade_ledger_halts_*), so a halt outlives a restart. */
#ifndef JADE_HALTS_H
#define JADE_HALTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jade_halt_scope { JADE_HALT_ALL, JADE_HALT_CAMPAIGN, JADE_HALT_CHANNEL };

struct jade_halt {
    enum jade_halt_scope scope;
    char *target; /* the campaign or channel id; "" for all */
    char *reason; /* what the operator said, or "" */
    int64_t since;
};

struct jade_halts {
    struct jade_halt *items;
    size_t count;
};

/* "all", "campaign", "channel"; and back (-1: unknown). */
const char *jade_halt_scope_name(enum jade_halt_scope scope);
int jade_halt_scope_parse(const char *name, enum jade_halt_scope *out);

/* The halt of exactly this scope and target, or NULL. */
const struct jade_halt *jade_halts_find(const struct jade_halts *h, enum jade_halt_scope scope,
                                        const char *target);
/* Adds a halt, or gives an existing one of the same scope and target its
 * new reason (keeping its start). Strings are copied. */
void jade_halts_add(struct jade_halts *h, enum jade_halt_scope scope, const char *target,
                    const char *reason, int64_t since);
/* Removes the halt of this scope and target; false when there was none. */
bool jade_halts_remove(struct jade_halts *h, enum jade_halt_scope scope, const char *target);

/* The halt that stops a channel (all, or that channel), or NULL. */
const struct jade_halt *jade_halts_channel(const struct jade_halts *h, const char *channel);
/* The halt that stops a campaign's occurrence on a channel: the channel's
 * or everything's first, then the campaign's; NULL when it may go. */
const struct jade_halt *jade_halts_stop(const struct jade_halts *h, const char *channel,
                                        const char *campaign);
/* "halted by an operator (everything|campaign C|channel CH) since T: REASON",
 * for the ledger and people; the caller frees it. */
char *jade_halt_describe(const struct jade_halt *halt);

void jade_halts_free(struct jade_halts *h);

#endif
