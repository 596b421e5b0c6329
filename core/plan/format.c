/* format.c - writing a plan: a table for people, JSON, CSV (RFC 4180) and
 * iCalendar (through libical). The same plan always gives the same bytes:
 * nothing here reads the clock or depends on memory addresses. */
#include "plan.h"

#include "../util/jsonutil.h"
#include "../util/buf.h"
#include "../util/csv.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *j, const char *key)
{
    const char *s = jade_json_str(j, key);
    return s ? s : ""; /* output fields are never NULL */
}

/* The regions an occurrence speaks to: its channel's, within the post's
 * (default: the campaign's). */
static json_t *occurrence_regions(const struct jade_occurrence *o)
{
    const json_t *ch = json_object_get(o->channel, "regions");
    const json_t *post = json_object_get(o->post->file->json, "regions");
    if (!post) post = json_object_get(o->campaign->file->json, "regions");
    const json_t *outer = jade_json_list_has(ch, "all") ? post : ch;
    const json_t *inner = jade_json_list_has(ch, "all") ? ch : post;
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(outer); i++) {
        const char *r = json_string_value(json_array_get(outer, i));
        if (r && (jade_json_list_has(inner, "all") || jade_json_list_has(inner, r)))
            json_array_append_new(out, json_string(r));
    }
    return out;
}

static const char *shift_name(enum jade_shift s)
{
    switch (s) {
    case JADE_SHIFT_BLACKOUT:
        return "blackout";
    case JADE_SHIFT_MIN_GAP:
        return "min_gap";
    case JADE_SHIFT_QUIET:
        return "quiet_hours";
    default:
        return "";
    }
}

/* Why a time moved, for people. */
static void describe_shift(struct jade_buf *b, const struct jade_occurrence *o)
{
    switch (o->shift) {
    case JADE_SHIFT_BLACKOUT:
        jade_buf_printf(b, _("blackout: %s"), o->shift_reason ? o->shift_reason : "");
        break;
    case JADE_SHIFT_MIN_GAP:
        jade_buf_puts(b, _("spread: minimum gap on the channel"));
        break;
    case JADE_SHIFT_QUIET:
        jade_buf_puts(b, _("spread, then past the quiet hours"));
        break;
    default:
        break;
    }
}

static void join(struct jade_buf *b, const json_t *list, const char *sep)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        jade_buf_printf(b, "%s%s", i ? sep : "", json_string_value(json_array_get(list, i)) ?: "");
}

/* One row of fields, the same for every format. */
enum {
    F_KEY,
    F_DUE,
    F_LOCAL,
    F_CAMPAIGN,
    F_POST,
    F_CHANNEL,
    F_NETWORK,
    F_REGIONS,
    F_LANG,
    F_KIND,
    F_AUTHORS,
    F_SHIFTED_FROM,
    F_REASON,
    N_FIELDS
};
static const char *const field_names[N_FIELDS] = {
    "key",     "due",  "local", "campaign", "post",         "channel", "network",
    "regions", "lang", "kind",  "authors",  "shifted_from", "reason"};

static void fields_of(const struct jade_occurrence *o, char *f[N_FIELDS])
{
    char utc[32], local[40];
    struct jade_buf b = {0};
    f[F_KEY] = jade_xstrdup(o->key);
    jade_format_utc(o->due, utc);
    f[F_DUE] = jade_xstrdup(utc);
    jade_format_local(o->due, o->tz, local);
    f[F_LOCAL] = jade_xstrdup(local);
    f[F_CAMPAIGN] = jade_xstrdup(o->campaign->id);
    f[F_POST] = jade_xstrdup(o->post->id);
    f[F_CHANNEL] = jade_xstrdup(str(o->channel, "id"));
    f[F_NETWORK] = jade_xstrdup(str(o->channel, "network"));
    json_t *regions = occurrence_regions(o);
    join(&b, regions, " ");
    json_decref(regions);
    f[F_REGIONS] = jade_buf_steal(&b);
    f[F_LANG] = jade_xstrdup(o->lang);
    f[F_KIND] = jade_xstrdup(str(o->post->file->json, "kind"));
    join(&b, json_object_get(o->post->file->json, "authors"), " ");
    f[F_AUTHORS] = jade_buf_steal(&b);
    if (o->shift != JADE_SHIFT_NONE) {
        jade_format_utc(o->original, utc);
        f[F_SHIFTED_FROM] = jade_xstrdup(utc);
    } else {
        f[F_SHIFTED_FROM] = jade_xstrdup("");
    }
    describe_shift(&b, o);
    f[F_REASON] = jade_buf_steal(&b);
}

static void free_fields(char *f[N_FIELDS])
{
    for (int i = 0; i < N_FIELDS; i++) free(f[i]);
}

/* Fields quote content (a blackout's reason is free text): the table and
 * the calendar show them escaped (escape.h); JSON has its own escapes. */
static void escape_fields(char *f[N_FIELDS], enum jade_escape_keep keep)
{
    for (int i = 0; i < N_FIELDS; i++) {
        struct jade_buf b = {0};
        jade_escape(&b, f[i], strlen(f[i]), keep);
        free(f[i]);
        f[i] = jade_buf_steal(&b);
    }
}

static void write_json(FILE *out, const struct jade_plan *plan)
{
    json_t *list = json_array();
    for (size_t i = 0; i < plan->count; i++) {
        const struct jade_occurrence *o = &plan->items[i];
        char *f[N_FIELDS];
        fields_of(o, f);
        json_t *obj = json_object();
        for (int k = 0; k < N_FIELDS; k++) {
            if (k == F_REGIONS)
                json_object_set_new(obj, "regions", occurrence_regions(o));
            else if (k == F_AUTHORS)
                json_object_set(obj, "authors", json_object_get(o->post->file->json, "authors"));
            else if (k == F_REASON && o->shift != JADE_SHIFT_NONE)
                json_object_set_new(obj, "reason", json_string(shift_name(o->shift)));
            else if ((k != F_SHIFTED_FROM && k != F_REASON) || o->shift != JADE_SHIFT_NONE)
                json_object_set_new(obj, field_names[k], json_string(f[k]));
        }
        if (o->shift == JADE_SHIFT_BLACKOUT && o->shift_reason)
            json_object_set_new(obj, "blackout", json_string(o->shift_reason));
        json_array_append_new(list, obj);
        free_fields(f);
    }
    jade_json_dump(list, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(list);
}

/* Every CSV field is a key, a time, an identifier or a word of jade's,
 * which validation checks: none holds a control character (the blackout's
 * free-text reason is not a column). */
static void write_csv(FILE *out, const struct jade_plan *plan)
{
    jade_csv_record(out, field_names, N_FIELDS);
    for (size_t i = 0; i < plan->count; i++) {
        char *f[N_FIELDS];
        fields_of(&plan->items[i], f);
        if (plan->items[i].shift != JADE_SHIFT_NONE) {
            free(f[F_REASON]);
            f[F_REASON] = jade_xstrdup(shift_name(plan->items[i].shift));
        }
        jade_csv_record(out, (const char *const *)f, N_FIELDS);
        free_fields(f);
    }
}

/* Pads s to width columns of characters (not bytes). */
static void pad(FILE *out, const char *s, size_t width)
{
    size_t n = jade_utf8_length(s, strlen(s));
    fputs(s, out);
    for (; n < width; n++) fputc(' ', out);
}

static void write_table(FILE *out, const struct jade_plan *plan)
{
    enum { C_LOCAL, C_REGIONS, C_CHANNEL, C_LANG, C_CAMPAIGN, C_POST, C_NOTE, N_COLS };
    static const char *const titles[N_COLS] = {N_("local time"), N_("regions"),  N_("channel"),
                                               N_("lang"),       N_("campaign"), N_("post"),
                                               N_("moved")};
    const int from_field[N_COLS] = {F_LOCAL,    F_REGIONS, F_CHANNEL, F_LANG,
                                    F_CAMPAIGN, F_POST,    F_REASON};
    size_t width[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        width[c] = jade_utf8_length(_(titles[c]), strlen(_(titles[c])));
    char *(*rows)[N_FIELDS] = jade_xcalloc(plan->count + 1, sizeof *rows);
    for (size_t i = 0; i < plan->count; i++) {
        fields_of(&plan->items[i], rows[i]);
        rows[i][F_LOCAL][16] = '\0'; /* minutes are enough for people */
        rows[i][F_LOCAL][10] = ' ';
        escape_fields(rows[i], JADE_KEEP_NOTHING); /* a cell is one line */
        for (int c = 0; c < N_COLS; c++) {
            const char *s = rows[i][from_field[c]];
            size_t n = jade_utf8_length(s, strlen(s));
            if (n > width[c]) width[c] = n;
        }
    }
    for (int c = 0; c < N_COLS; c++) {
        if (c) fputs("  ", out);
        c + 1 < N_COLS ? pad(out, _(titles[c]), width[c]) : (void)fputs(_(titles[c]), out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < plan->count; i++) {
        for (int c = 0; c < N_COLS; c++) {
            if (c) fputs("  ", out);
            const char *s = rows[i][from_field[c]];
            c + 1 < N_COLS ? pad(out, s, width[c]) : (void)fputs(s, out);
        }
        fputc('\n', out);
        free_fields(rows[i]);
    }
    free(rows);
    fprintf(out, _("%zu occurrence(s)\n"), plan->count);
}

static struct icaltimetype ical_utc(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

static void write_ics(FILE *out, const struct jade_plan *plan)
{
    icalcomponent *cal =
        icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
                            icalproperty_new_prodid("-//JADE//jade plan " JADE_VERSION "//FR"),
                            icalproperty_new_calscale("GREGORIAN"), (void *)0);
    for (size_t i = 0; i < plan->count; i++) {
        const struct jade_occurrence *o = &plan->items[i];
        char *f[N_FIELDS];
        fields_of(o, f);
        escape_fields(f, JADE_KEEP_LINES); /* RFC 5545 text holds no controls but tabs */
        struct jade_buf summary = {0}, text = {0}, desc = {0};
        jade_buf_printf(&summary, "%s · %s (%s) · %s", f[F_CAMPAIGN], f[F_POST], f[F_LANG],
                        f[F_CHANNEL]);
        jade_buf_puts(&text, jade_occurrence_text(o)); /* coaches read what will go out */
        if (o->shift != JADE_SHIFT_NONE) {
            jade_buf_puts(&text, "\n\n");
            describe_shift(&text, o);
        }
        jade_escape(&desc, jade_buf_str(&text), text.len, JADE_KEEP_LINES);
        jade_buf_free(&text);
        icalcomponent *ev = icalcomponent_vanew(
            ICAL_VEVENT_COMPONENT, icalproperty_new_uid(o->key),
            /* DTSTAMP from the plan, not the clock: the same plan, the same file */
            icalproperty_new_dtstamp(ical_utc(o->due)), icalproperty_new_dtstart(ical_utc(o->due)),
            icalproperty_new_dtend(ical_utc(o->due + 15 * 60)),
            icalproperty_new_summary(jade_buf_str(&summary)),
            icalproperty_new_description(jade_buf_str(&desc)),
            icalproperty_new_location(f[F_REGIONS]), icalproperty_new_categories(f[F_KIND]),
            (void *)0);
        icalcomponent_add_component(cal, ev);
        jade_buf_free(&summary);
        jade_buf_free(&desc);
        free_fields(f);
    }
    char *text = icalcomponent_as_ical_string_r(cal);
    fputs(text, out);
    free(text);
    icalcomponent_free(cal);
}

void jade_plan_write(FILE *out, const struct jade_plan *plan, enum jade_plan_format format)
{
    switch (format) {
    case JADE_PLAN_JSON:
        write_json(out, plan);
        break;
    case JADE_PLAN_CSV:
        write_csv(out, plan);
        break;
    case JADE_PLAN_ICS:
        write_ics(out, plan);
        break;
    default:
        write_table(out, plan);
        break;
    }
}
