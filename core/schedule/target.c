/* target.c - the programme's policy, campaign windows, and which channels
 * and languages a post reaches. Shared by the rules of `jade validate` and
 * by the planner, so both agree on what a post reaches. */
#include "schedule.h"

#include "../util/jsonutil.h"
#include "../util/buf.h"
#include "../util/timeparse.h"

#include <stdlib.h>
#include <string.h>

void jade_policy_read(const struct jade_content *c, struct jade_policy *p)
{
    memset(p, 0, sizeof *p);
    p->quiet_start = p->quiet_end = -1;
    const json_t *jade = c->programme ? c->programme->json : NULL;
    const char *tz = jade_json_str(jade, "timezone");
    p->timezone = jade_tz_exists(tz) ? tz : NULL;
    const json_t *policy = json_object_get(jade, "policy");
    const json_t *quiet = json_object_get(policy, "quiet_hours");
    int qs, qe;
    if (json_array_size(quiet) == 2 &&
        jade_time_parse_hhmm(json_string_value(json_array_get(quiet, 0)) ?: "", &qs) == 0 &&
        jade_time_parse_hhmm(json_string_value(json_array_get(quiet, 1)) ?: "", &qe) == 0 &&
        qs != qe)
        p->quiet_start = qs, p->quiet_end = qe;
    p->min_gap_minutes = (int)json_integer_value(json_object_get(policy, "min_gap_minutes"));
    if (p->min_gap_minutes < 0) p->min_gap_minutes = 0;
    const json_t *list = json_object_get(policy, "blackouts");
    p->blackouts = jade_xcalloc(json_array_size(list) + 1, sizeof *p->blackouts);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *b = json_array_get(list, i);
        if (!jade_json_str(b, "from") || !jade_json_str(b, "to")) continue;
        const char *action = jade_json_str(b, "action");
        p->blackouts[p->n_blackouts++] =
            (struct jade_blackout){jade_json_str(b, "from"), jade_json_str(b, "to"),
                                   jade_json_str(b, "reason"), action && !strcmp(action, "skip")};
    }
}

void jade_policy_free(struct jade_policy *p)
{
    if (!p) return;
    free(p->blackouts);
    p->blackouts = NULL;
    p->n_blackouts = 0;
}

bool jade_policy_quiet(const struct jade_policy *p, int m)
{
    if (p->quiet_start < 0) return false;
    if (p->quiet_start < p->quiet_end) return m >= p->quiet_start && m < p->quiet_end;
    return m >= p->quiet_start || m < p->quiet_end;
}

int jade_local_minute(int64_t t, const char *tz)
{
    struct jade_time local;
    if (!tz || jade_time_from_unix(t, tz, &local) != 0) return (int)((t / 60) % 1440);
    return local.hour * 60 + local.minute;
}

int64_t jade_policy_leave_quiet(const struct jade_policy *p, int64_t t, const char *tz)
{
    int m = jade_local_minute(t, tz);
    if (!jade_policy_quiet(p, m)) return t;
    /* Minutes until the quiet span ends, at the start of that minute; a
     * daylight-saving change inside the span moves that end by the change
     * of offset (07:00 local is an hour later in UTC once clocks go back). */
    int wait = (p->quiet_end - m + 1440) % 1440;
    int64_t out = t - t % 60 + (int64_t)wait * 60;
    int before, after;
    if (tz && jade_tz_offset(t, tz, &before) == 0 && jade_tz_offset(out, tz, &after) == 0)
        out += before - after;
    return out;
}

int jade_campaign_window(const struct jade_policy *p, const json_t *campaign, int64_t *start,
                         int64_t *end)
{
    const json_t *w = json_object_get(campaign, "window");
    struct jade_time t;
    if (!p->timezone || !jade_json_str(w, "start") ||
        jade_time_parse_content(jade_json_str(w, "start"), &t) != 0 ||
        jade_time_to_unix(&t, p->timezone, start) != 0)
        return -1;
    *end = INT64_MAX;
    if (!jade_json_str(w, "end")) return 0;
    if (jade_time_parse_content(jade_json_str(w, "end"), &t) != 0 ||
        jade_time_to_unix(&t, p->timezone, end) != 0)
        return -1;
    return 0;
}

static const json_t *find_region(const struct jade_content *c, const char *id)
{
    const json_t *pos = c->region_index && id ? json_object_get(c->region_index, id) : NULL;
    if (!pos) return NULL;
    return json_array_get(json_object_get(c->regions->json, "regions"),
                          (size_t)json_integer_value(pos));
}

const char *jade_channel_timezone(const struct jade_content *c, const struct jade_policy *p,
                                  const json_t *channel)
{
    const char *tz = jade_json_str(channel, "timezone");
    if (jade_tz_exists(tz)) return tz;
    const json_t *regions = json_object_get(channel, "regions");
    const json_t *first = find_region(c, json_string_value(json_array_get(regions, 0)));
    tz = jade_json_str(first, "timezone");
    return jade_tz_exists(tz) ? tz : p->timezone;
}

static int index_in(const json_t *list, const char *s)
{
    for (size_t i = 0; s && i < json_array_size(list); i++) {
        const char *item = json_string_value(json_array_get(list, i));
        if (item && strcmp(item, s) == 0) return (int)i;
    }
    return -1;
}

int jade_channel_language_rank(const struct jade_content *c, const json_t *channel,
                               const char *lang)
{
    const json_t *langs = json_object_get(channel, "languages");
    if (langs) return index_in(langs, lang);
    /* The channel's regions in its own order ("all": every region's), each
     * region's languages in theirs. */
    const json_t *regions = json_object_get(channel, "regions");
    const json_t *all = c->regions ? json_object_get(c->regions->json, "regions") : NULL;
    bool every = jade_json_list_has(regions, "all");
    int rank = 0;
    for (size_t r = 0; r < (every ? json_array_size(all) : json_array_size(regions)); r++) {
        const json_t *reg = every ? json_array_get(all, r)
                                  : find_region(c, json_string_value(json_array_get(regions, r)));
        const json_t *reg_langs = json_object_get(reg, "languages");
        int i = index_in(reg_langs, lang);
        if (i >= 0) return rank + i;
        rank += (int)json_array_size(reg_langs);
    }
    return -1;
}

static bool regions_meet(const json_t *a, const json_t *b)
{
    if (jade_json_list_has(a, "all") || jade_json_list_has(b, "all")) return true;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (jade_json_list_has(b, json_string_value(json_array_get(a, i)))) return true;
    return false;
}

size_t jade_post_channels(const struct jade_content *c, const json_t *post, const json_t *campaign,
                          const json_t **out, size_t max)
{
    if (!c->channels || !json_is_object(c->channels->json)) return 0;
    const json_t *regions = json_object_get(post, "regions");
    const json_t *campaign_regions = json_object_get(campaign, "regions");
    if (!regions) regions = campaign_regions;
    const json_t *networks = json_object_get(post, "networks");
    const json_t *list = json_object_get(c->channels->json, "channels");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(list) && n < max; i++) {
        const json_t *ch = json_array_get(list, i);
        const json_t *ch_regions = json_object_get(ch, "regions");
        /* a post's regions never reach past its campaign's */
        if (!regions_meet(ch_regions, regions) || !regions_meet(ch_regions, campaign_regions))
            continue;
        if (networks && !jade_json_list_has(networks, jade_json_str(ch, "network"))) continue;
        out[n++] = ch;
    }
    return n;
}
