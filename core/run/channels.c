/* channels.c - the channel table (see channels.h). */
#include "channels.h"

#include "host.h"
#include "../content/content.h"
#include "../util/buf.h"

#include <stdlib.h>
#include <string.h>

struct jade_channel *jade_channels_find(const struct jade_channels *t, const char *id)
{
    const json_t *i = id ? json_object_get(t->by_id, id) : NULL;
    return i ? t->items[json_integer_value(i)] : NULL;
}

void jade_channels_adopt(struct jade_channels *t, const struct jade_content *content,
                         struct jade_instance *instances, size_t n_instances)
{
    const json_t *list =
        content->channels ? json_object_get(content->channels->json, "channels") : NULL;
    size_t n = json_array_size(list);
    struct jade_channel **items = jade_xcalloc(n + t->count + 1, sizeof *items);
    size_t count = 0;
    json_t *by_id = json_object();
    for (size_t i = 0; i < t->count; i++) t->items[i]->removed = true; /* until found again */
    for (size_t i = 0; i < n; i++) {
        const json_t *j = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(j, "id"));
        if (!id || json_object_get(by_id, id)) continue;
        struct jade_channel *ch = jade_channels_find(t, id);
        if (!ch) {
            ch = jade_xcalloc(1, sizeof *ch);
            ch->id = jade_xstrdup(id);
        }
        ch->json = j;
        ch->removed = false;
        const char *network = json_string_value(json_object_get(j, "network"));
        struct jade_instance *net = jade_instance_find(instances, n_instances, network);
        char *account;
        if (net && json_is_true(json_object_get(net->settings, "dry_run"))) {
            /* a dry run: the outbox writes what would go out, by channel */
            net = jade_instance_find(instances, n_instances, "outbox");
            json_t *folder = json_pack("{s:s}", "folder", id);
            account = json_dumps(folder, JSON_COMPACT);
            json_decref(folder);
        } else {
            account = json_dumps(json_object_get(j, "account"), JSON_COMPACT);
        }
        if (!account) account = jade_xstrdup("{}");
        if (ch->account_json && !strcmp(ch->account_json, account)) {
            free(account);
        } else {
            /* requests in flight may point at the old one: kept till the end */
            if (ch->account_json) {
                t->retired = jade_xrealloc(t->retired, (t->n_retired + 1) * sizeof *t->retired);
                t->retired[t->n_retired++] = ch->account_json;
            }
            ch->account_json = account;
        }
        ch->net = net;
        json_object_set_new(by_id, id, json_integer((json_int_t)count));
        items[count++] = ch;
    }
    /* What the content no longer has stays, removed, for its requests in
     * flight: nothing more goes there. */
    for (size_t i = 0; i < t->count; i++) {
        struct jade_channel *ch = t->items[i];
        if (!ch->removed) continue;
        ch->json = NULL;
        jade_queue_free(&ch->planned);
        jade_queue_free(&ch->retrying);
        jade_queue_free(&ch->held);
        items[count++] = ch;
    }
    free(t->items);
    json_decref(t->by_id);
    t->items = items;
    t->count = count;
    t->by_id = by_id;
}

void jade_removal_clear(struct jade_removal *r)
{
    free(r->campaign);
    free(r->post);
    free(r->lang);
    free(r->network_id);
    memset(r, 0, sizeof *r);
}

void jade_channel_add_removal(struct jade_channel *ch, const struct jade_removal *r)
{
    for (size_t i = 0; i < ch->n_removals; i++)
        if (!strcmp(ch->removals[i].key, r->key)) return;
    ch->removals = jade_xrealloc(ch->removals, (ch->n_removals + 1) * sizeof *ch->removals);
    struct jade_removal *copy = &ch->removals[ch->n_removals++];
    *copy = *r;
    copy->campaign = jade_xstrdup(r->campaign);
    copy->post = jade_xstrdup(r->post);
    copy->lang = jade_xstrdup(r->lang);
    copy->network_id = r->network_id ? jade_xstrdup(r->network_id) : NULL;
}

void jade_channels_shift_waits(struct jade_channels *t, int64_t by)
{
    for (size_t c = 0; c < t->count; c++) {
        struct jade_channel *ch = t->items[c];
        if (ch->blocked_until) ch->blocked_until += by;
        if (ch->last_request) ch->last_request += by;
        if (ch->readings_held_until) ch->readings_held_until += by;
        if (ch->last_reading) ch->last_reading += by;
        /* all by the same: the heap's order holds */
        for (size_t i = 0; i < ch->retrying.count; i++) ch->retrying.items[i].at += by;
        for (size_t i = 0; i < ch->n_removals; i++)
            if (ch->removals[i].at != INT64_MAX) ch->removals[i].at += by; /* not in flight */
    }
}

void jade_channels_clear_queues(struct jade_channels *t)
{
    for (size_t i = 0; i < t->count; i++) {
        t->items[i]->planned.count = 0;
        t->items[i]->retrying.count = 0;
        t->items[i]->held.count = 0;
    }
}

void jade_channels_free(struct jade_channels *t)
{
    for (size_t i = 0; i < t->count; i++) {
        struct jade_channel *ch = t->items[i];
        jade_queue_free(&ch->planned);
        jade_queue_free(&ch->retrying);
        jade_queue_free(&ch->held);
        for (size_t k = 0; k < ch->n_removals; k++) jade_removal_clear(&ch->removals[k]);
        free(ch->removals);
        free(ch->readings); /* their entries are readings.c's, freed before */
        free(ch->account_json);
        free(ch->suspended_reason);
        free(ch->id);
        free(ch);
    }
    for (size_t i = 0; i < t->n_retired; i++) free(t->retired[i]);
    free(t->retired);
    free(t->items);
    json_decref(t->by_id);
    memset(t, 0, sizeof *t);
}
