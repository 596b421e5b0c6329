/* content.h - a content tree loaded, checked and indexed: the snapshot.
 *
 * jade_content_load reads every file of a source, checks each on its own
 * (size, UTF-8, JSON, schema, secrets) on libuv's thread pool, then applies
 * the rules that span files (references, duplicates, schedules, media). The
 * result is never modified afterwards. */
#ifndef JADE_CONTENT_H
#define JADE_CONTENT_H

#include "../jade-plugin.h"
#include "../util/diag.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct jade_source;

/* Limits on what a content tree may hold (see README, "Limits"). */
#define JADE_MAX_JSON_BYTES (1u << 20)
#define JADE_MAX_TEXT_BYTES (64u << 10)
#define JADE_MAX_MEDIA_BYTES (50u << 20)

/* The JSON kinds, each checked against its schema, come first, up to
 * JADE_KIND_RUMOUR. */
enum jade_file_kind {
    JADE_KIND_PROGRAMME, /* jade.json */
    JADE_KIND_REGIONS,
    JADE_KIND_PEOPLE,
    JADE_KIND_CHANNELS,
    JADE_KIND_CAMPAIGN,
    JADE_KIND_POST,
    JADE_KIND_RUMOUR, /* rumours/<id>.json */
    JADE_KIND_TEXT,
    JADE_KIND_MEDIA,
    JADE_KIND_OTHER, /* not part of the tree; ignored */
};

struct jade_file {
    char *path;    /* relative to the content root */
    char *display; /* as shown to people */
    enum jade_file_kind kind;
    uint64_t size;
    char *text; /* JSON and text files, NUL-terminated; NULL otherwise */
    size_t len;
    json_t *json;      /* JSON files that parsed */
    bool ok;           /* read, parsed and schema-valid */
    char *campaign;    /* the campaign folder it belongs to, or NULL */
    char *post, *lang; /* text files: the post id and the language */
};

struct jade_text {
    const char *lang;
    struct jade_file *file;
};

/* A rule's times in one zone over [lo, hi], as validation expanded them;
 * the planner reuses them rather than expanding the rule again. */
struct jade_times {
    const char *tz; /* points into the snapshot */
    int64_t lo, hi;
    int64_t *times;
    size_t n;
};

struct jade_post {
    const char *id;
    struct jade_file *file;
    struct jade_text *texts;
    size_t n_texts;
    struct jade_times *expanded;
    size_t n_expanded;
};

struct jade_campaign {
    const char *id;
    const char *dir;            /* relative to the content root */
    const char *commit;         /* the commit it was read from, or NULL (a folder) */
    const char *signer;         /* who signed that commit (signed mode), or NULL */
    struct jade_source *source; /* where it was read from: its media are there */
    struct jade_file *file;
    struct jade_post *posts;
    size_t n_posts;
};

/* A rumour the programme answers: rumours/<id>.json. */
struct jade_rumour {
    char *id; /* its file name without .json, which its "id" must equal */
    struct jade_file *file;
    int64_t first_seen; /* UTC (a local time is the programme's); 0 when not valid */
};

struct jade_content {
    char *commit;               /* the commit it was read from, or NULL */
    bool is_view;               /* made by jade_content_view: owns only its campaigns array */
    struct jade_source *source; /* what it was read from (borrowed) */
    struct jade_file *files;
    size_t n_files;
    struct jade_file *programme, *regions, *people, *channels;
    struct jade_campaign *campaigns;
    size_t n_campaigns;
    struct jade_rumour *rumours; /* sorted by id; a view borrows its root's */
    size_t n_rumours;
    /* id -> index in the file's array, for the rules and the planner */
    json_t *region_index, *ambassador_index, *coach_index, *channel_index;
};

/* What the loaded plugins declare, for the rules that depend on a network:
 * its name is known, and texts and media stay within its limits. */
struct jade_network {
    const char *name;
    const struct jade_plugin_limits *limits;
    const char *account_schema; /* JSON text, or NULL: any object */
};

struct jade_networks {
    const struct jade_network *items;
    size_t count;
    /* The service configuration's "bindings" (secret name -> {channels,
     * url_prefixes}), checked against channels.json; NULL: not checked. */
    const json_t *bindings;
};

/* Loads and checks the tree of src. Returns the snapshot (NULL only when
 * the tree could not be listed); problems go to diags. networks may be
 * NULL: then the names of SPEC §2 are known and no limits are checked. */
struct jade_content *jade_content_load(struct jade_source *src,
                                       const struct jade_networks *networks,
                                       struct jade_diags *diags);
void jade_content_free(struct jade_content *content);

/* A snapshot that reads like root's, but with other campaigns: root's
 * files, indexes and commit, and a copy of campaigns (sorted here by
 * folder), which may come from other snapshots. It borrows all of them:
 * they must outlive it. What a reload adopts when some campaigns are kept
 * at an older version. */
struct jade_content *jade_content_view(const struct jade_content *root,
                                       const struct jade_campaign *campaigns, size_t n);

/* The campaign whose folder is dir, or NULL. */
struct jade_campaign *jade_content_find_campaign(const struct jade_content *c, const char *dir);

/* The rumour with this id, or NULL. */
const struct jade_rumour *jade_content_find_rumour(const struct jade_content *c, const char *id);

/* Reports a problem at a JSON pointer of a file (line and column found in
 * its text; at_key points at the member's name instead of its value). */
void jade_content_report(struct jade_diags *d, const struct jade_file *f, enum jade_severity sev,
                         const char *pointer, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Cross-file rules (rules.c), run by jade_content_load. */
void jade_content_check_rules(struct jade_content *c, const struct jade_networks *networks,
                              struct jade_diags *d);

/* Secret scanning (secrets.c): reports strings that look like credentials. */
struct jade_secret_scanner;
struct jade_secret_scanner *jade_secret_scanner_new(void);
void jade_secret_scanner_free(struct jade_secret_scanner *s);
/* Offset and length of the first token-like run in s, and what it looks
 * like; false when there is none. Safe from several threads at once. */
bool jade_secret_find(const struct jade_secret_scanner *s, const char *str, size_t len, size_t *off,
                      size_t *match_len, const char **what);

/* Known values (one list each, in rules.c). */
bool jade_language_known(const char *tag);
bool jade_network_known(const char *name);
extern const char *const jade_networks[];

#endif
