/* rules.c - the rules of a content tree that span files (SPEC §2, §3).
 *
 * Runs after every file passed or failed its own checks. A file that failed
 * its schema is not trusted for anything: references into it are not
 * checked (its own errors already say what to fix). */
#include "content.h"
#include "schema.h"
#include "textlen.h"

#include "../schedule/schedule.h"

#include "../util/jsonutil.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/jsonpos.h"
#include "../util/suggest.h"
#include "../util/timeparse.h"
#include "../util/url.h"
#include "../util/utf8.h"

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* BCP 47 primary language subtags the programme works in (SPEC §2). */
static const char *const known_languages[] = {"fr",  /* French */
                                              "bm",  /* Bambara */
                                              "ff",  /* Fulfulde */
                                              "ses", /* Songhay (Koyraboro Senni) */
                                              "khq", /* Songhay (Koyra Chiini) */
                                              "snk", /* Soninke */
                                              "dtk", "dts", "dtm",
                                              "dto", "dbg", "dtt", /* Dogon languages */
                                              "tmh",               /* Tamasheq */
                                              "taq",               /* Tamasheq (Kidal) */
                                              "ar",                /* Arabic */
                                              "en",                /* English */
                                              NULL};

/* Network names a channel may use, until plugins declare themselves. */
const char *const jade_networks[] = {"outbox", "webhook",  "telegram", "facebook",
                                     "x",      "mastodon", "whatsapp", NULL};

/* File types a post may attach. */
static const char *const media_extensions[] = {".jpg", ".jpeg", ".png",  ".gif", ".webp",
                                               ".mp4", ".mov",  ".webm", NULL};

static bool in_list(const char *const *list, const char *s)
{
    if (!s) return false;
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return true;
    return false;
}

bool jade_language_known(const char *tag)
{
    size_t n = strcspn(tag, "-");
    char primary[8];
    if (n == 0 || n >= sizeof primary) return false;
    memcpy(primary, tag, n);
    primary[n] = '\0';
    return in_list(known_languages, primary);
}

bool jade_network_known(const char *name)
{
    return in_list(jade_networks, name);
}

/* ---- helpers ----------------------------------------------------------- */

struct rules {
    struct jade_content *c;
    struct jade_diags *d;
    struct jade_policy policy;            /* policy.timezone is NULL when unusable */
    const struct jade_networks *networks; /* what plugins declare, or NULL */
    /* Each network's account schema, compiled when first needed (tried
     * tells which were), parallel to networks->items. */
    struct jade_schema **account_schemas;
    bool *tried;
    json_t *rumour_ids; /* id -> whether a post answers it */
};

static const struct jade_network *network_of(const struct rules *r, const char *name)
{
    for (size_t i = 0; r->networks && name && i < r->networks->count; i++)
        if (strcmp(r->networks->items[i].name, name) == 0) return &r->networks->items[i];
    return NULL;
}

/* A network a plugin declares, or (until plugins declare them all) one
 * of SPEC §2's names. */
static bool network_known(const struct rules *r, const char *name)
{
    return network_of(r, name) || jade_network_known(name);
}

/* A file the rules can read: it parsed to an object. Files with schema
 * errors are still read, so that one run reports every problem; every
 * access below tolerates a missing or mistyped field. */
static bool usable(const struct jade_file *f)
{
    return f && json_is_object(f->json);
}

static const char **index_keys(const json_t *index, size_t *n)
{
    *n = json_object_size(index);
    const char **keys = jade_xcalloc(*n + 1, sizeof *keys);
    size_t i = 0;
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)index, key, v) keys[i++] = key;
    return keys;
}

/* Reports id unknown to index; returns whether it is known. */
static bool check_ref(struct rules *r, const struct jade_file *f, const char *pointer,
                      const char *id, const json_t *index, const char *what)
{
    if (!index || !id || json_object_get(index, id)) return true;
    size_t n;
    const char **keys = index_keys(index, &n);
    const char *hint = jade_suggest(id, keys, n);
    if (hint)
        jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                            _("unknown %s \"%s\" (did you mean \"%s\"?)"), what, id, hint);
    else
        jade_content_report(r->d, f, JADE_ERROR, pointer, false, _("unknown %s \"%s\""), what, id);
    free(keys);
    return false;
}

static void check_language(struct rules *r, const struct jade_file *f, const char *pointer,
                           const char *tag)
{
    if (tag && !jade_language_known(tag))
        jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                            _("unknown language \"%s\": use a BCP 47 tag such as fr, bm, ff, "
                              "ses, snk, dtk, tmh, ar, en"),
                            tag);
}

static void check_languages(struct rules *r, const struct jade_file *f, const char *base,
                            const json_t *list)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        char *p = jade_xasprintf("%s/%zu", base, i);
        check_language(r, f, p, json_string_value(json_array_get(list, i)));
        free(p);
    }
}

static void check_timezone(struct rules *r, const struct jade_file *f, const char *pointer,
                           const char *tz)
{
    if (tz && !jade_tz_exists(tz))
        jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                            _("unknown time zone \"%s\": use an IANA name such as "
                              "Africa/Bamako"),
                            tz);
}

static bool check_time(struct rules *r, const struct jade_file *f, const char *pointer,
                       const char *s, struct jade_time *out)
{
    if (s && jade_time_parse_content(s, out) == 0) return true;
    jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                        _("\"%s\" is not a valid time (expected YYYY-MM-DDTHH:MM, optionally "
                          "with :SS and Z or an offset)"),
                        s ? s : "");
    return false;
}

/* Builds id -> index for the array at key of f, reporting duplicates. */
static json_t *build_index(struct rules *r, const struct jade_file *f, const char *key,
                           const char *what)
{
    if (!usable(f)) return NULL;
    json_t *index = json_object();
    const json_t *list = json_object_get(f->json, key);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *id = jade_json_str(json_array_get(list, i), "id");
        json_t *first = json_object_get(index, id);
        if (first) {
            char *p = jade_xasprintf("/%s/%zu/id", key, i);
            char *fp = jade_xasprintf("/%s/%lld/id", key, (long long)json_integer_value(first));
            int line, col;
            size_t off = jade_json_locate(f->text, f->len, fp, false);
            jade_utf8_line_col(f->text, f->len, off, &line, &col);
            jade_content_report(r->d, f, JADE_ERROR, p, false,
                                _("duplicate %s id \"%s\" (first defined at line %d)"), what, id,
                                line);
            free(p);
            free(fp);
            continue;
        }
        json_object_set_new(index, id, json_integer((json_int_t)i));
    }
    return index;
}

/* ---- programme, regions, people, channels ------------------------------ */

static void report_missing(struct rules *r, const char *name)
{
    jade_diags_add(r->d, JADE_ERROR, r->c->programme->display, 0, 0, NULL,
                   _("%s is missing beside jade.json"), name);
}

static void report_unknown_network(struct rules *r, const struct jade_file *f, const char *pointer,
                                   const char *name)
{
    const char *hint = jade_suggest(name, jade_networks, 7);
    if (hint)
        jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                            _("unknown network \"%s\" (did you mean \"%s\"?)"), name, hint);
    else
        jade_content_report(r->d, f, JADE_ERROR, pointer, false, _("unknown network \"%s\""), name);
}

static void check_programme(struct rules *r)
{
    const struct jade_file *f = r->c->programme;
    if (!usable(f)) return;
    check_timezone(r, f, "/timezone", jade_json_str(f->json, "timezone"));
    const json_t *policy = json_object_get(f->json, "policy");
    const json_t *blackouts = json_object_get(policy, "blackouts");
    for (size_t i = 0; i < json_array_size(blackouts); i++) {
        const json_t *b = json_array_get(blackouts, i);
        struct jade_time from, to;
        char *pf = jade_xasprintf("/policy/blackouts/%zu/from", i);
        char *pt = jade_xasprintf("/policy/blackouts/%zu/to", i);
        bool ok = check_time(r, f, pf, jade_json_str(b, "from"), &from);
        ok &= check_time(r, f, pt, jade_json_str(b, "to"), &to);
        int64_t a, z;
        if (ok && r->policy.timezone && jade_time_to_unix(&from, r->policy.timezone, &a) == 0 &&
            jade_time_to_unix(&to, r->policy.timezone, &z) == 0 && z <= a)
            jade_content_report(r->d, f, JADE_ERROR, pt, false,
                                _("the blackout ends before it starts"));
        free(pf);
        free(pt);
    }
}

static void check_regions(struct rules *r)
{
    const struct jade_file *f = r->c->regions;
    if (!f) {
        report_missing(r, "regions.json");
        return;
    }
    r->c->region_index = build_index(r, f, "regions", _("region"));
    if (!usable(f)) return;
    const json_t *list = json_object_get(f->json, "regions");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *reg = json_array_get(list, i);
        char *p = jade_xasprintf("/regions/%zu/languages", i);
        check_languages(r, f, p, json_object_get(reg, "languages"));
        free(p);
        p = jade_xasprintf("/regions/%zu/timezone", i);
        check_timezone(r, f, p, jade_json_str(reg, "timezone"));
        free(p);
    }
}

/* Names only: something like an e-mail address or a phone number is refused. */
static bool looks_like_contact(const char *s)
{
    if (!s) return false;
    if (strchr(s, '@')) return true;
    int digits = 0;
    for (const char *c = s; *c; c++) {
        if (*c >= '0' && *c <= '9')
            digits++;
        else if (!strchr(" .-+()", *c))
            digits = 0;
        if (digits >= 7) return true;
    }
    return false;
}

static void check_people(struct rules *r)
{
    const struct jade_file *f = r->c->people;
    if (!f) {
        report_missing(r, "people.json");
        return;
    }
    r->c->ambassador_index = build_index(r, f, "ambassadors", _("ambassador"));
    r->c->coach_index = build_index(r, f, "coaches", _("coach"));
    if (!usable(f)) return;
    const char *kinds[] = {"ambassadors", "coaches"};
    for (size_t k = 0; k < 2; k++) {
        const json_t *list = json_object_get(f->json, kinds[k]);
        for (size_t i = 0; i < json_array_size(list); i++) {
            const json_t *person = json_array_get(list, i);
            char *p = jade_xasprintf("/%s/%zu/name", kinds[k], i);
            if (looks_like_contact(jade_json_str(person, "name")))
                jade_content_report(r->d, f, JADE_ERROR, p, false,
                                    _("this looks like an e-mail address or a phone number: "
                                      "people.json holds names only"));
            free(p);
            if (k == 0) {
                p = jade_xasprintf("/ambassadors/%zu/region", i);
                check_ref(r, f, p, jade_json_str(person, "region"), r->c->region_index,
                          _("region"));
                free(p);
                p = jade_xasprintf("/ambassadors/%zu/languages", i);
                check_languages(r, f, p, json_object_get(person, "languages"));
                free(p);
            } else {
                const json_t *regions = json_object_get(person, "regions");
                for (size_t j = 0; j < json_array_size(regions); j++) {
                    p = jade_xasprintf("/coaches/%zu/regions/%zu", i, j);
                    check_ref(r, f, p, json_string_value(json_array_get(regions, j)),
                              r->c->region_index, _("region"));
                    free(p);
                }
            }
        }
    }
}

/* Checks a list of region ids where "all" is allowed alone. */
static void check_region_list(struct rules *r, const struct jade_file *f, const char *base,
                              const json_t *list)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *id = json_string_value(json_array_get(list, i));
        char *p = jade_xasprintf("%s/%zu", base, i);
        if (id && strcmp(id, "all") == 0) {
            if (json_array_size(list) > 1)
                jade_content_report(r->d, f, JADE_ERROR, p, false,
                                    _("\"all\" already names every region: list it alone"));
        } else {
            check_ref(r, f, p, id, r->c->region_index, _("region"));
        }
        free(p);
    }
}

/* A member that names a URL: "url", "api_url", "instanceURL"... */
static bool url_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return n >= 3 && strcasecmp(key + n - 3, "url") == 0;
}

/* The URLs of an account under the prefixes its secret's binding allows:
 * at any depth, every string holding "://" and every member named like a
 * URL (so that "host:8080/x", which libcurl would take as http, is judged
 * too). pointer is the value's; key its member name, or NULL. */
static void check_account_urls(struct rules *r, const struct jade_file *f, struct jade_buf *pointer,
                               const char *key, const json_t *value, const char *channel,
                               const char *secret, const json_t *binding)
{
    size_t len = pointer->len;
    if (json_is_object(value) || json_is_array(value)) {
        const char *name;
        const json_t *v;
        size_t i;
        if (json_is_object(value)) {
            json_object_foreach ((json_t *)value, name, v) {
                jade_json_pointer_push(pointer, name);
                check_account_urls(r, f, pointer, name, v, channel, secret, binding);
                jade_buf_truncate(pointer, len);
            }
        } else {
            json_array_foreach (value, i, v) {
                jade_buf_printf(pointer, "/%zu", i);
                check_account_urls(r, f, pointer, key, v, channel, secret, binding);
                jade_buf_truncate(pointer, len);
            }
        }
        return;
    }
    const char *url = json_string_value(value);
    if (!url || (!strstr(url, "://") && !url_key(key))) return;
    const json_t *prefixes = json_object_get(binding, "url_prefixes");
    for (size_t i = 0; i < json_array_size(prefixes); i++)
        if (jade_url_within(url, json_string_value(json_array_get(prefixes, i)))) return;
    if (!secret)
        jade_content_report(r->d, f, JADE_ERROR, jade_buf_str(pointer), false,
                            _("channel %s holds a URL but names no secret: the service "
                              "configuration allows URLs only through a secret's binding"),
                            channel);
    else
        jade_content_report(r->d, f, JADE_ERROR, jade_buf_str(pointer), false,
                            _("this URL is outside the prefixes the service configuration allows "
                              "channel %s (bindings.%s.url_prefixes)"),
                            channel, secret);
}

/* The operator's bindings: a channel uses only a secret bound to it, and
 * posts only under that binding's URL prefixes. */
static void check_binding(struct rules *r, const struct jade_file *f, size_t i, const json_t *ch)
{
    const json_t *bindings = r->networks->bindings;
    const char *id = jade_json_str(ch, "id"), *secret = jade_json_str(ch, "secret");
    if (!id) return;
    const json_t *binding = secret ? json_object_get(bindings, secret) : NULL;
    bool bound = false;
    const json_t *channels = json_object_get(binding, "channels");
    for (size_t k = 0; k < json_array_size(channels) && !bound; k++)
        bound = !strcmp(json_string_value(json_array_get(channels, k)), id);
    struct jade_buf pointer = {0};
    if (secret && !bound) {
        jade_buf_printf(&pointer, "/channels/%zu/secret", i);
        jade_content_report(r->d, f, JADE_ERROR, jade_buf_str(&pointer), false,
                            _("the service configuration does not let channel %s use the secret "
                              "\"%s\" (bindings.%s.channels)"),
                            id, secret, secret);
        binding = NULL; /* its URLs are not judged against another channel's binding */
    }
    jade_buf_truncate(&pointer, 0);
    jade_buf_printf(&pointer, "/channels/%zu/account", i);
    if (!secret || bound)
        check_account_urls(r, f, &pointer, NULL, json_object_get(ch, "account"), id, secret,
                           binding);
    jade_buf_free(&pointer);
}

/* The network's account schema, compiled (NULL: none, or broken: the
 * loader refuses a plugin whose schema does not compile, so only a caller
 * that bypassed it sees the error). */
static const struct jade_schema *account_schema(struct rules *r, const struct jade_network *net)
{
    size_t i = (size_t)(net - r->networks->items);
    if (!net->account_schema || r->tried[i]) return r->account_schemas[i];
    r->tried[i] = true;
    json_error_t jerr;
    json_t *doc = json_loads(net->account_schema, 0, &jerr);
    struct jade_buf err = {0};
    r->account_schemas[i] = doc ? jade_schema_compile(doc, net->name, &err) : NULL;
    if (!r->account_schemas[i])
        jade_diags_add(r->d, JADE_ERROR, r->c->channels->display, 0, 0, NULL,
                       _("the %s plugin's account schema is broken: %s"), net->name,
                       doc ? jade_buf_str(&err) : jerr.text);
    json_decref(doc);
    jade_buf_free(&err);
    return r->account_schemas[i];
}

struct account_error_ctx {
    struct rules *r;
    const struct jade_file *f;
    const char *base; /* the account's pointer */
    const char *channel, *network;
};

static void account_error_cb(void *ctx, const char *pointer, bool at_key, const char *message)
{
    struct account_error_ctx *e = ctx;
    char *at = jade_xasprintf("%s%s", e->base, pointer);
    jade_content_report(e->r->d, e->f, JADE_ERROR, at, at_key, _("channel %s (%s): %s"),
                        e->channel ? e->channel : "?", e->network, message);
    free(at);
}

/* A channel's account as its network's plugin declares it (its schema),
 * and the member that sets the channel's text limit, when it has one. */
static void check_account(struct rules *r, const struct jade_file *f, size_t i, const json_t *ch)
{
    const struct jade_network *net = network_of(r, jade_json_str(ch, "network"));
    const json_t *account = json_object_get(ch, "account");
    if (!net || !account) return;
    char *base = jade_xasprintf("/channels/%zu/account", i);
    const struct jade_schema *schema = account_schema(r, net);
    if (schema) {
        struct account_error_ctx ctx = {r, f, base, jade_json_str(ch, "id"), net->name};
        jade_schema_validate(schema, account, account_error_cb, &ctx);
    }
    const char *member = net->limits ? net->limits->text_max_member : NULL;
    const json_t *v = member ? json_object_get(account, member) : NULL;
    if (v && !(json_is_integer(v) && json_integer_value(v) > 0)) {
        struct jade_buf at = {0};
        jade_buf_printf(&at, "%s", base);
        jade_json_pointer_push(&at, member);
        jade_content_report(r->d, f, JADE_ERROR, jade_buf_str(&at), false,
                            _("channel %s (%s): \"%s\" sets the channel's text limit, a whole "
                              "number above 0"),
                            jade_json_str(ch, "id") ? jade_json_str(ch, "id") : "?", net->name,
                            member);
        jade_buf_free(&at);
    }
    free(base);
}

static void check_channels(struct rules *r)
{
    const struct jade_file *f = r->c->channels;
    if (!f) {
        report_missing(r, "channels.json");
        return;
    }
    r->c->channel_index = build_index(r, f, "channels", _("channel"));
    if (!usable(f)) return;
    const json_t *list = json_object_get(f->json, "channels");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *ch = json_array_get(list, i);
        const char *network = jade_json_str(ch, "network");
        if (network && !network_known(r, network)) {
            char *p = jade_xasprintf("/channels/%zu/network", i);
            report_unknown_network(r, f, p, network);
            free(p);
        }
        char *p = jade_xasprintf("/channels/%zu/regions", i);
        check_region_list(r, f, p, json_object_get(ch, "regions"));
        free(p);
        p = jade_xasprintf("/channels/%zu/languages", i);
        check_languages(r, f, p, json_object_get(ch, "languages"));
        free(p);
        p = jade_xasprintf("/channels/%zu/timezone", i);
        check_timezone(r, f, p, jade_json_str(ch, "timezone"));
        free(p);
        if (r->networks && r->networks->bindings) check_binding(r, f, i, ch);
        check_account(r, f, i, ch);
    }
}

/* ---- campaigns and posts ---------------------------------------------- */

static void check_campaign(struct rules *r, struct jade_campaign *cp, json_t *campaign_ids,
                           int64_t window[2])
{
    const struct jade_file *f = cp->file;
    window[0] = window[1] = 0;
    if (!usable(f) || !cp->id) return;
    const char *slash = strrchr(cp->dir, '/');
    const char *folder = slash ? slash + 1 : cp->dir;
    if (strcmp(folder, cp->id) != 0)
        jade_content_report(r->d, f, JADE_ERROR, "/id", false,
                            _("the campaign id \"%s\" differs from its folder's name \"%s\""),
                            cp->id, folder);
    json_t *first = json_object_get(campaign_ids, cp->id);
    if (first)
        jade_content_report(r->d, f, JADE_ERROR, "/id", false,
                            _("duplicate campaign id \"%s\" (also in %s)"), cp->id,
                            json_string_value(first));
    else
        json_object_set_new(campaign_ids, cp->id, json_string(f->display));
    const json_t *w = json_object_get(f->json, "window");
    struct jade_time t;
    bool ok = check_time(r, f, "/window/start", jade_json_str(w, "start"), &t);
    ok &= !jade_json_str(w, "end") || check_time(r, f, "/window/end", jade_json_str(w, "end"), &t);
    if (!ok || jade_campaign_window(&r->policy, f->json, &window[0], &window[1]) != 0)
        window[0] = window[1] = 0;
    else if (window[1] <= window[0])
        jade_content_report(r->d, f, JADE_ERROR, "/window/end", false,
                            _("the campaign window ends before it starts"));
    check_region_list(r, f, "/regions", json_object_get(f->json, "regions"));
    const json_t *coaches = json_object_get(f->json, "coaches");
    for (size_t i = 0; i < json_array_size(coaches); i++) {
        char *p = jade_xasprintf("/coaches/%zu", i);
        check_ref(r, f, p, json_string_value(json_array_get(coaches, i)), r->c->coach_index,
                  _("coach"));
        free(p);
    }
}

static void check_media(struct rules *r, const struct jade_campaign *cp,
                        const struct jade_post *post, const json_t *files_by_path)
{
    const struct jade_file *f = post->file;
    const json_t *media = json_object_get(f->json, "media");
    for (size_t i = 0; i < json_array_size(media); i++) {
        const json_t *m = json_array_get(media, i);
        const char *file = jade_json_str(m, "file");
        if (!file) continue;
        char *p = jade_xasprintf("/media/%zu/file", i);
        bool leaves = file[0] == '/' || strcmp(file, "..") == 0 || strncmp(file, "../", 3) == 0 ||
                      strstr(file, "/../") ||
                      (strlen(file) >= 3 && !strcmp(file + strlen(file) - 3, "/.."));
        const char *ext = strrchr(file, '.');
        char *full = jade_xasprintf("%s/%s", cp->dir, file);
        const json_t *hit = json_object_get(files_by_path, full);
        if (leaves) {
            jade_content_report(r->d, f, JADE_ERROR, p, false,
                                _("\"%s\" leaves the campaign folder: media paths are relative "
                                  "to it and stay inside"),
                                file);
        } else if (!hit) {
            jade_content_report(r->d, f, JADE_ERROR, p, false,
                                _("media file \"%s\" not found in %s"), file, cp->dir);
        } else {
            const struct jade_file *mf = &r->c->files[json_integer_value(hit)];
            char lower[8] = {0};
            for (size_t k = 0; ext && k < sizeof lower - 1 && ext[k]; k++)
                lower[k] = (char)(ext[k] >= 'A' && ext[k] <= 'Z' ? ext[k] + 32 : ext[k]);
            if (!ext || strlen(ext) >= sizeof lower || !in_list(media_extensions, lower))
                jade_content_report(r->d, f, JADE_ERROR, p, false,
                                    _("\"%s\" is not a picture or video jade can attach (jpg, "
                                      "png, gif, webp, mp4, mov, webm)"),
                                    file);
            else if (mf->size > JADE_MAX_MEDIA_BYTES)
                jade_content_report(r->d, f, JADE_ERROR, p, false,
                                    _("media file \"%s\" is too large (%llu MiB; the limit is "
                                      "%u MiB)"),
                                    file, (unsigned long long)(mf->size >> 20),
                                    JADE_MAX_MEDIA_BYTES >> 20);
            else if (mf->size == 0)
                jade_content_report(r->d, f, JADE_ERROR, p, false, _("media file \"%s\" is empty"),
                                    file);
        }
        free(full);
        free(p);
        const char *lang;
        const json_t *alt;
        json_object_foreach ((json_t *)json_object_get(m, "alt"), lang, alt) {
            char *pa = jade_xasprintf("/media/%zu/alt", i);
            struct jade_buf pb = {0};
            jade_buf_puts(&pb, pa);
            jade_json_pointer_push(&pb, lang);
            if (!jade_language_known(lang))
                jade_content_report(r->d, f, JADE_ERROR, jade_buf_str(&pb), true,
                                    _("unknown language \"%s\""), lang);
            jade_buf_free(&pb);
            free(pa);
        }
    }
}

static void report_quiet(struct rules *r, const struct jade_file *f, const char *pointer,
                         const char *when, const char *channel)
{
    const struct jade_policy *p = &r->policy;
    jade_content_report(r->d, f, JADE_ERROR, pointer, false,
                        _("%s falls in the quiet hours (%02d:%02d-%02d:%02d local time%s%s)"), when,
                        p->quiet_start / 60, p->quiet_start % 60, p->quiet_end / 60,
                        p->quiet_end % 60, channel ? _(" on channel ") : "",
                        channel ? channel : "");
}

/* An "at" list: each time parses, is not in the quiet hours of any channel
 * the post reaches, and falls in the campaign window. */
static void check_at(struct rules *r, const struct jade_file *f, const json_t *at,
                     const int64_t window[2], const json_t **channels, size_t n_channels)
{
    for (size_t i = 0; i < json_array_size(at); i++) {
        char *p = jade_xasprintf("/schedule/at/%zu", i);
        const char *s = json_string_value(json_array_get(at, i));
        struct jade_time t;
        if (!check_time(r, f, p, s, &t)) {
            free(p);
            continue;
        }
        if (!t.has_offset && jade_policy_quiet(&r->policy, t.hour * 60 + t.minute)) {
            report_quiet(r, f, p, s, NULL);
        } else if (t.has_offset) {
            int64_t when;
            jade_time_to_unix(&t, NULL, &when);
            for (size_t k = 0; k < n_channels; k++) {
                const char *tz = jade_channel_timezone(r->c, &r->policy, channels[k]);
                if (jade_policy_quiet(&r->policy, jade_local_minute(when, tz))) {
                    report_quiet(r, f, p, s, jade_json_str(channels[k], "id"));
                    break;
                }
            }
        }
        int64_t when;
        if (window[1] > window[0] && r->policy.timezone &&
            jade_time_to_unix(&t, r->policy.timezone, &when) == 0 &&
            (when < window[0] || when > window[1]))
            jade_content_report(r->d, f, JADE_WARNING, p, false,
                                _("outside the campaign window: this time will not be published"));
        free(p);
    }
}

/* A rule: it parses, and what it yields in the campaign window (the first
 * JADE_OPEN_WINDOW_DAYS of an open-ended one) on each channel the post
 * reaches stays out of the quiet hours and under the cap. */
static void check_rule(struct rules *r, struct jade_post *post, const json_t *sched,
                       const int64_t window[2], const json_t **channels, size_t n_channels)
{
    const struct jade_file *f = post->file;
    const char *rule = jade_json_str(sched, "rrule");
    struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule);
    icalerror_clear_errno();
    free(rt.rscale); /* only the frequency is read here */
    if (rt.freq == ICAL_NO_RECURRENCE) {
        jade_content_report(r->d, f, JADE_ERROR, "/schedule/rrule", false,
                            _("not a valid RFC 5545 recurrence rule: \"%s\""), rule);
        return;
    }
    struct jade_time t;
    bool ok = !jade_json_str(sched, "start") ||
              check_time(r, f, "/schedule/start", jade_json_str(sched, "start"), &t);
    ok &= !jade_json_str(sched, "until") ||
          check_time(r, f, "/schedule/until", jade_json_str(sched, "until"), &t);
    if (!ok || !jade_json_str(sched, "start") || window[1] <= window[0] || !r->policy.timezone)
        return;
    bool open_ended = window[1] == INT64_MAX;
    int64_t hi = open_ended ? window[0] + JADE_OPEN_WINDOW_DAYS * 86400LL : window[1];
    const char *programme_tz = r->policy.timezone;
    bool gives = false;
    for (size_t k = 0; k < (n_channels ? n_channels : 1); k++) {
        const char *tz =
            n_channels ? jade_channel_timezone(r->c, &r->policy, channels[k]) : programme_tz;
        bool seen = false; /* channels in one zone get the same times */
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(tz, jade_channel_timezone(r->c, &r->policy, channels[j]));
        if (seen) continue;
        int64_t *times;
        size_t n;
        struct jade_buf err = {0};
        if (jade_schedule_expand(sched, tz, window[0], hi, &times, &n, &err) != 0) {
            jade_content_report(r->d, f, JADE_ERROR, "/schedule/rrule", false, "%s",
                                jade_buf_str(&err));
            jade_buf_free(&err);
            return;
        }
        post->expanded =
            jade_xrealloc(post->expanded, (post->n_expanded + 1) * sizeof *post->expanded);
        post->expanded[post->n_expanded++] = (struct jade_times){tz, window[0], hi, times, n};
        gives |= n > 0;
        for (size_t i = 0; i < n; i++) {
            if (!jade_policy_quiet(&r->policy, jade_local_minute(times[i], tz))) continue;
            char local[40];
            jade_format_local(times[i], tz, local);
            local[16] = '\0';
            char *what = jade_xasprintf(_("the rule gives %s, which"), local);
            report_quiet(r, f, "/schedule/rrule", what,
                         n_channels ? jade_json_str(channels[k], "id") : NULL);
            free(what);
            return;
        }
    }
    if (!gives && open_ended)
        jade_content_report(r->d, f, JADE_WARNING, "/schedule/rrule", false,
                            _("the rule gives no time in the campaign's first %d days: this post "
                              "will not be published then"),
                            JADE_OPEN_WINDOW_DAYS);
    else if (!gives)
        jade_content_report(r->d, f, JADE_WARNING, "/schedule/rrule", false,
                            _("the rule gives no time in the campaign window: this post will not "
                              "be published"));
}

static void check_schedule(struct rules *r, struct jade_post *post, const int64_t window[2],
                           const json_t **channels, size_t n_channels)
{
    const struct jade_file *f = post->file;
    const json_t *sched = json_object_get(f->json, "schedule");
    if (json_object_get(sched, "at") && json_object_get(sched, "rrule"))
        jade_content_report(r->d, f, JADE_ERROR, "/schedule/rrule", true,
                            _("a schedule has either \"at\" or \"rrule\", not both"));
    else if (jade_json_str(sched, "rrule"))
        check_rule(r, post, sched, window, channels, n_channels);
    else
        check_at(r, f, json_object_get(sched, "at"), window, channels, n_channels);
}

/* The most a text on this channel may hold, and why: a caption's limit
 * when the post has media, else the channel's account's own limit (its
 * network's text_max_member: Mastodon's instance), else the network's. */
static uint64_t text_limit(const struct jade_plugin_limits *lim, const json_t *channel,
                           bool with_media, char *why, size_t why_size)
{
    why[0] = '\0';
    if (with_media && lim->caption_max) {
        snprintf(why, why_size, "%s", _(" with media (a caption)"));
        return lim->caption_max;
    }
    const char *member = lim->text_max_member;
    const json_t *v = member ? json_object_get(json_object_get(channel, "account"), member) : NULL;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        snprintf(why, why_size, _(" (its account's \"%s\")"), member);
        return (uint64_t)json_integer_value(v);
    }
    return lim->text_max;
}

/* Each text fits every channel that will publish it; the media count too. */
static void check_limits(struct rules *r, const struct jade_post *post, const json_t **channels,
                         size_t n_channels)
{
    size_t n_media = json_array_size(json_object_get(post->file->json, "media"));
    bool media_reported = false;
    for (size_t k = 0; k < n_channels; k++) {
        const char *network = jade_json_str(channels[k], "network");
        const struct jade_network *net = network_of(r, network);
        if (!net || !net->limits) continue;
        const struct jade_plugin_limits *lim = net->limits;
        char why[160];
        uint64_t max = text_limit(lim, channels[k], n_media > 0, why, sizeof why);
        for (size_t t = 0; max && t < post->n_texts; t++) {
            if (jade_channel_language_rank(r->c, channels[k], post->texts[t].lang) < 0) continue;
            size_t len = jade_text_length(post->texts[t].file->text, lim->counting);
            if (len > max)
                jade_diags_add(r->d, JADE_ERROR, post->texts[t].file->display, 0, 0, NULL,
                               _("the text is %zu %s long; channel %s (%s) takes at most %llu%s"),
                               len, jade_text_count_unit(lim->counting),
                               jade_json_str(channels[k], "id"), network, (unsigned long long)max,
                               why);
        }
        if (n_media > lim->media_max && !media_reported) {
            jade_content_report(r->d, post->file, JADE_ERROR, "/media", false,
                                _("%zu attachments; channel %s (%s) takes at most %u"), n_media,
                                jade_json_str(channels[k], "id"), network, lim->media_max);
            media_reported = true;
        }
    }
}

/* ---- rumours ------------------------------------------------------------ */

static void check_rumours(struct rules *r)
{
    r->rumour_ids = json_object();
    for (size_t i = 0; i < r->c->n_rumours; i++) {
        struct jade_rumour *rm = &r->c->rumours[i];
        json_object_set_new(r->rumour_ids, rm->id, json_false());
        const struct jade_file *f = rm->file;
        if (!usable(f)) continue;
        const char *id = jade_json_str(f->json, "id");
        if (id && strcmp(id, rm->id) != 0)
            jade_content_report(r->d, f, JADE_ERROR, "/id", false,
                                _("the rumour id \"%s\" differs from its file name \"%s.json\""),
                                id, rm->id);
        check_region_list(r, f, "/regions", json_object_get(f->json, "regions"));
        struct jade_time t;
        const char *seen = jade_json_str(f->json, "first_seen");
        int64_t at;
        if (seen && check_time(r, f, "/first_seen", seen, &t) && r->policy.timezone &&
            jade_time_to_unix(&t, r->policy.timezone, &at) == 0)
            rm->first_seen = at;
    }
}

/* A post's "answers" names a rumour; noted, for the check that follows. */
static void check_answers(struct rules *r, const struct jade_file *f)
{
    const char *id = jade_json_str(f->json, "answers");
    if (id && check_ref(r, f, "/answers", id, r->rumour_ids, _("rumour")))
        json_object_set_new(r->rumour_ids, id, json_true());
}

/* A rumour marked answered that no post answers is likely a slip. */
static void check_answered(struct rules *r)
{
    for (size_t i = 0; i < r->c->n_rumours; i++) {
        const struct jade_rumour *rm = &r->c->rumours[i];
        const char *status = usable(rm->file) ? jade_json_str(rm->file->json, "status") : NULL;
        if (status && strcmp(status, "answered") == 0 &&
            !json_is_true(json_object_get(r->rumour_ids, rm->id)))
            jade_content_report(r->d, rm->file, JADE_WARNING, "/status", false,
                                _("the rumour is marked answered, but no post answers it: add "
                                  "\"answers\": \"%s\" to the post that does"),
                                rm->id);
    }
}

static void check_post(struct rules *r, const struct jade_campaign *cp, struct jade_post *post,
                       const int64_t window[2], const json_t *files_by_path)
{
    const struct jade_file *f = post->file;
    if (!usable(f)) return;
    const json_t *j = f->json;
    const char *id = jade_json_str(j, "id");
    if (id && strcmp(id, post->id) != 0)
        jade_content_report(r->d, f, JADE_ERROR, "/id", false,
                            _("the post id \"%s\" differs from its file name \"%s.json\""), id,
                            post->id);
    const json_t *authors = json_object_get(j, "authors");
    for (size_t i = 0; i < json_array_size(authors); i++) {
        char *p = jade_xasprintf("/authors/%zu", i);
        check_ref(r, f, p, json_string_value(json_array_get(authors, i)), r->c->ambassador_index,
                  _("ambassador"));
        free(p);
    }
    const json_t *campaign = usable(cp->file) ? cp->file->json : NULL;
    const json_t *regions = json_object_get(j, "regions");
    check_region_list(r, f, "/regions", regions);
    const json_t *campaign_regions = json_object_get(campaign, "regions");
    for (size_t i = 0; campaign && i < json_array_size(regions); i++) {
        const char *reg = json_string_value(json_array_get(regions, i));
        if (jade_json_list_has(campaign_regions, "all") ||
            jade_json_list_has(campaign_regions, reg) ||
            !json_object_get(r->c->region_index ? r->c->region_index : json_null(), reg))
            continue;
        char *p = jade_xasprintf("/regions/%zu", i);
        jade_content_report(r->d, f, JADE_ERROR, p, false,
                            _("region \"%s\" is not one of the campaign's regions"), reg);
        free(p);
    }
    const json_t *networks = json_object_get(j, "networks");
    for (size_t i = 0; i < json_array_size(networks); i++) {
        const char *name = json_string_value(json_array_get(networks, i));
        if (!name || network_known(r, name)) continue;
        char *p = jade_xasprintf("/networks/%zu", i);
        report_unknown_network(r, f, p, name);
        free(p);
    }
    check_media(r, cp, post, files_by_path);
    check_answers(r, f);

    enum { MAX_TARGETS = 256 };
    const json_t *channels[MAX_TARGETS];
    size_t n_channels = campaign ? jade_post_channels(r->c, j, campaign, channels, MAX_TARGETS) : 0;
    check_schedule(r, post, window, channels, n_channels);
    check_limits(r, post, channels, n_channels);

    if (post->n_texts == 0)
        jade_content_report(r->d, f, JADE_ERROR, "/id", false,
                            _("the post has no text: add posts/%s.<language>.txt (e.g. "
                              "posts/%s.fr.txt)"),
                            post->id, post->id);
    bool can_target = campaign && usable(r->c->channels) && usable(r->c->regions) &&
                      !json_object_get(j, "retracted");
    if (can_target && n_channels == 0)
        jade_content_report(r->d, f, JADE_ERROR, json_object_get(j, "regions") ? "/regions" : "/id",
                            false,
                            _("the post reaches no channel: no channel serves its regions%s"),
                            networks ? _(" on its networks") : "");
    for (size_t t = 0; can_target && n_channels && t < post->n_texts; t++) {
        bool read = false;
        for (size_t k = 0; k < n_channels && !read; k++)
            read = jade_channel_language_rank(r->c, channels[k], post->texts[t].lang) >= 0;
        if (!read)
            jade_diags_add(r->d, JADE_WARNING, post->texts[t].file->display, 0, 0, NULL,
                           _("no channel this post reaches reads \"%s\": this text will not be "
                             "published"),
                           post->texts[t].lang);
    }
}

static int compare_posts(const void *a, const void *b)
{
    return strcmp(((const struct jade_post *)a)->id, ((const struct jade_post *)b)->id);
}

/* Attaches each text file to its post, or reports it. */
static void attach_texts(struct rules *r)
{
    struct jade_content *c = r->c;
    for (size_t i = 0; i < c->n_campaigns; i++)
        if (c->campaigns[i].n_posts > 1)
            qsort(c->campaigns[i].posts, c->campaigns[i].n_posts, sizeof(struct jade_post),
                  compare_posts);
    for (size_t i = 0; i < c->n_files; i++) {
        struct jade_file *f = &c->files[i];
        if (f->kind != JADE_KIND_TEXT) continue;
        if (!jade_language_known(f->lang))
            jade_diags_add(r->d, JADE_ERROR, f->display, 0, 0, NULL,
                           _("unknown language \"%s\" in the file name: name it "
                             "<post>.<language>.txt with a BCP 47 tag such as fr or bm"),
                           f->lang);
        struct jade_campaign *cp = jade_content_find_campaign(c, f->campaign);
        struct jade_post key = {.id = f->post};
        struct jade_post *post = /* a campaign without posts has none to search (NULL) */
            cp && cp->n_posts ? bsearch(&key, cp->posts, cp->n_posts, sizeof key, compare_posts)
                              : NULL;
        if (!post) {
            const char **ids = jade_xcalloc(cp ? cp->n_posts + 1 : 1, sizeof *ids);
            for (size_t k = 0; cp && k < cp->n_posts; k++) ids[k] = cp->posts[k].id;
            const char *hint = jade_suggest(f->post, ids, cp ? cp->n_posts : 0);
            jade_diags_add(
                r->d, JADE_ERROR, f->display, 0, 0, NULL,
                _("text for a post that does not exist: there is no posts/%s.json%s%s%s"), f->post,
                hint ? _(" (did you mean \"") : "", hint ? hint : "", hint ? "\"?)" : "");
            free(ids);
            continue;
        }
        if (!f->ok) continue;
        post->texts = jade_xrealloc(post->texts, (post->n_texts + 1) * sizeof *post->texts);
        post->texts[post->n_texts++] = (struct jade_text){f->lang, f};
    }
}

void jade_content_check_rules(struct jade_content *c, const struct jade_networks *networks,
                              struct jade_diags *d)
{
    struct rules r = {c, d, {0}, networks, NULL, NULL, NULL};
    size_t n_networks = networks ? networks->count : 0;
    r.account_schemas = jade_xcalloc(n_networks + 1, sizeof *r.account_schemas);
    r.tried = jade_xcalloc(n_networks + 1, sizeof *r.tried);
    jade_policy_read(c, &r.policy);
    check_programme(&r);
    check_regions(&r);
    check_people(&r);
    check_channels(&r);
    check_rumours(&r);
    attach_texts(&r);

    json_t *files_by_path = json_object();
    for (size_t i = 0; i < c->n_files; i++)
        if (c->files[i].kind == JADE_KIND_MEDIA)
            json_object_set_new(files_by_path, c->files[i].path, json_integer((json_int_t)i));
    json_t *campaign_ids = json_object();
    for (size_t i = 0; i < c->n_campaigns; i++) {
        struct jade_campaign *cp = &c->campaigns[i];
        int64_t window[2];
        check_campaign(&r, cp, campaign_ids, window);
        for (size_t k = 0; k < cp->n_posts; k++)
            check_post(&r, cp, &cp->posts[k], window, files_by_path);
    }
    check_answered(&r);
    json_decref(campaign_ids);
    json_decref(files_by_path);
    json_decref(r.rumour_ids);
    jade_policy_free(&r.policy);
    for (size_t i = 0; i < n_networks; i++) jade_schema_free(r.account_schemas[i]);
    free(r.account_schemas);
    free(r.tried);
}
