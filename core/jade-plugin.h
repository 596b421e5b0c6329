/* jade-plugin.h - the plugin ABI: the one header a network plugin includes.
 *
 * A plugin is a shared object exporting one symbol, jade_plugin_entry,
 * which returns a pointer to a static struct jade_plugin. Everything else
 * in the module should have hidden visibility. The core loads plugins with
 * RTLD_NOW | RTLD_LOCAL and refuses one whose major ABI version differs or
 * whose struct is smaller than the core needs.
 *
 * Rules of the road:
 * - Structs start with struct_size (the plugin's and the host table's with
 *   abi_version first); new members are only ever appended, and each side
 *   reads a member the other may lack only after JADE_HAS_MEMBER says it is
 *   there. Optional function pointers may be NULL. Integers in structs have
 *   fixed widths: enums name the values only.
 * - The core refuses a plugin of another major version, or of a newer minor
 *   version than its own (it could not honour what the plugin expects), and
 *   says both versions. 1.1 moved the limits behind a pointer: a 1.0 plugin
 *   must be rebuilt.
 * - A plugin does I/O only through the host table: asynchronous HTTP on the
 *   core's event loop (multipart uploads streamed from files), secrets,
 *   log, clock, and blocking work (file writes, fsync) on a worker thread
 *   through work(). No threads of its own, no blocking calls on the loop.
 * - A plugin reports an outcome from a closed set (enum jade_outcome); the
 *   core alone decides what follows (retry, suspend, mark uncertain).
 * - Each call has a deadline (deadline_seconds), on the real clock even
 *   when the core's clock is simulated: past it the core records UNKNOWN
 *   for a publish (the request may have left: uncertain, looked up, never
 *   re-sent blindly), leaves a lookup uncertain, counts a remove or a
 *   metrics call as a transient failure, and ignores the late answer.
 * - Ownership is written beside each member. "Call" means: valid only
 *   during the call; copy what you keep. */
#ifndef JADE_PLUGIN_H
#define JADE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define JADE_PLUGIN_ABI_MAJOR 1
#define JADE_PLUGIN_ABI_MINOR 1
#define JADE_PLUGIN_ABI_VERSION ((uint32_t)(JADE_PLUGIN_ABI_MAJOR << 16 | JADE_PLUGIN_ABI_MINOR))
#define JADE_PLUGIN_ENTRY "jade_plugin_entry"

/* True when the struct at ptr, of the given type, is big enough to hold
 * member: each side checks the other's struct_size this way before
 * reading a member that a later minor version appended. */
#define JADE_HAS_MEMBER(ptr, type, member)                                                         \
    ((ptr) != NULL &&                                                                              \
     (ptr)->struct_size >= offsetof(type, member) + sizeof(((const type *)0)->member))

/* How a network counts a text's length against limits->text_max (the
 * values of jade_plugin_limits.counting). The core does the counting, for
 * `jade validate`, with a Unicode library. */
enum jade_text_count {
    JADE_COUNT_CODEPOINTS = 0, /* Unicode code points (Telegram) */
    JADE_COUNT_UTF16 = 1,      /* UTF-16 code units (Facebook) */
    JADE_COUNT_BYTES = 2,      /* UTF-8 bytes */
    JADE_COUNT_X_WEIGHTED = 3, /* X: NFC, weight 1 or 2 per code point, an emoji 2, a URL 23 */
    JADE_COUNT_GRAPHEMES = 4,  /* Mastodon: grapheme clusters, a URL 23, @user@domain as @user */
};

/* What a network can do, as bits of jade_plugin.capabilities. */
enum {
    JADE_CAP_IDEMPOTENCY_KEY = 1u << 0, /* a repeat with the same key is not published twice */
    JADE_CAP_DELETE = 1u << 1,          /* remove (for retractions) */
    JADE_CAP_METRICS = 1u << 2,         /* reactions, shares, reach */
    JADE_CAP_LOOKUP = 1u << 3,          /* find a post whose outcome is unknown */
    JADE_CAP_GEO_TARGETING = 1u << 4,   /* region targeting on the post itself */
};

/* Static, owned by the plugin. */
struct jade_plugin_limits {
    uint32_t struct_size; /* sizeof(struct jade_plugin_limits) */
    uint32_t text_max;    /* 0: no limit */
    uint32_t counting;    /* enum jade_text_count */
    /* A text published with media (a caption); 0: text_max applies. */
    uint32_t caption_max;
    uint32_t media_max;             /* attachments per post */
    uint64_t media_bytes_max;       /* per attachment; 0: no limit */
    const char *const *media_types; /* NULL-terminated MIME types, or NULL: any */
    /* A member of the channel's account that sets text_max for that
     * channel (Mastodon's instance limit), or NULL. */
    const char *text_max_member;
};

/* One publication: a post on a channel in a language. All strings belong
 * to the core and stay valid until the plugin calls done (or the call's
 * deadline passes: see jade_plugin.deadline_seconds): copy what an answer
 * given later needs before calling done. */
struct jade_publication {
    uint32_t struct_size;
    const char *key; /* the occurrence key: the idempotency key */
    const char *campaign, *post, *channel, *lang;
    const char *text;         /* UTF-8 */
    const char *link;         /* or NULL */
    const char *due;          /* RFC 3339, UTC */
    const char *account_json; /* the channel's "account" object, as JSON */
    const char *secret_name;  /* the channel's "secret", or NULL */
    const char *const *media; /* n_media absolute file paths */
    size_t n_media;
    uint32_t attempt; /* 1 for the first */
    /* 1.1: each medium's description in the publication's language (alt
     * text), n_media entries, each NULL when the post gives none. */
    const char *const *media_alt;
    /* A metrics call only (0 in others): when the publication was first
     * sent (seconds since the epoch), and the reading asked for, in
     * seconds after that (3600 for the reading at +1 h). A plugin checks
     * JADE_HAS_MEMBER before reading them. */
    int64_t sent_at;
    uint32_t reading;
};

/* The closed set of outcomes (the values of jade_result.outcome). */
enum jade_outcome {
    JADE_OUTCOME_SENT = 0,        /* published: network_id (and url) are set */
    JADE_OUTCOME_RETRY_AFTER = 1, /* the network said when: retry_after_seconds */
    JADE_OUTCOME_TRANSIENT = 2,   /* failed before anything was published; may retry */
    JADE_OUTCOME_PERMANENT = 3,   /* refused; message says why (the network's words) */
    JADE_OUTCOME_AUTH_FAILED = 4, /* credentials refused: the channel is suspended */
    JADE_OUTCOME_UNKNOWN = 5,     /* the request left, no answer came: may be published */
    JADE_OUTCOME_NOT_FOUND = 6,   /* lookup only: the network does not have it */
};

/* Strings belong to the plugin, valid during the done call only. The core
 * reads only the members that struct_size covers; an outcome it does not
 * know, or a struct too small to hold one, counts as UNKNOWN. */
struct jade_result {
    uint32_t struct_size;         /* sizeof(struct jade_result) */
    uint32_t outcome;             /* enum jade_outcome */
    const char *network_id;       /* SENT (or lookup found it) */
    const char *url;              /* SENT, optional */
    uint32_t retry_after_seconds; /* RETRY_AFTER */
    const char *message;          /* what the network said, for people */
};

/* Called exactly once per publish, lookup or remove, from the event loop;
 * calling it from inside publish (or lookup, remove) is allowed. A second
 * call with the same token, or a call after the deadline, is logged and
 * ignored: the token stays safe to pass, it is never a pointer the core
 * frees. */
typedef void (*jade_done_cb)(void *token, const struct jade_result *result);

/* One reading of a publication's reactions: name as the network calls it
 * ("favourites_count", "post_media_view"), its value. Besides the
 * network's own, a plugin reports the two figures the report compares
 * across networks, where the network gives them: "reach" (people who saw
 * or received it) and "engagement" (reactions, shares, comments and
 * replies, summed). */
struct jade_metric {
    const char *name;
    int64_t value;
};

/* The answer to a metrics call: result->outcome SENT with the readings,
 * or a failure as for publish (RETRY_AFTER holds the channel's readings,
 * never its publications; TRANSIENT and UNKNOWN are tried again later;
 * PERMANENT and NOT_FOUND give the reading up; AUTH_FAILED holds the
 * channel's readings for an hour and never suspends its publications).
 * Names are at most 64 bytes of letters, digits, '_', '.' or '-' (others
 * are not stored). Everything belongs to the plugin, valid during the
 * call only. */
typedef void (*jade_metrics_cb)(void *token, const struct jade_result *result,
                                const struct jade_metric *metrics, size_t n_metrics);

/* ---- what the core offers: the host table ----------------------------- */

struct jade_http_header {
    const char *name, *value;
};

/* One part of a multipart/form-data body: a value held in memory, or a
 * file the core streams from disk (uploads). A file that cannot be opened
 * fails the request before anything leaves: the callback gets a transport
 * error, request_sent 0, and a message naming the file. */
struct jade_http_part {
    const char *name;  /* the form field */
    const char *value; /* in memory (value_len bytes), or NULL */
    size_t value_len;
    const char *file;         /* or a file's absolute path, streamed */
    const char *filename;     /* sent as the part's filename, or NULL */
    const char *content_type; /* or NULL */
};

/* Strings belong to the plugin, and may be freed once http() returns. */
struct jade_http_request {
    uint32_t struct_size;
    const char *method; /* "POST", "GET", "DELETE" */
    const char *url;    /* logged as scheme://host only: a token in its path stays secret */
    const struct jade_http_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    uint32_t timeout_ms; /* 0: the core's default */
    /* 1.1: a multipart/form-data body, instead of body (which must then be
     * NULL: a request with both is refused, http() returns -1); the core
     * sets the Content-Type and its boundary. */
    const struct jade_http_part *parts;
    size_t n_parts;
};

/* Belongs to the core, valid during the callback only. */
struct jade_http_response {
    uint32_t struct_size;
    int transport_error; /* 0, or nonzero when no HTTP answer came */
    int request_sent;    /* nonzero when the request left in full */
    long status;
    const struct jade_http_header *headers;
    size_t n_headers;
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *error_message; /* transport errors: what happened */
};

typedef void (*jade_http_cb)(void *arg, const struct jade_http_response *response);

/* Runs off the loop, on a worker thread: blocking work (file writes,
 * fsync) and nothing that touches the host table. */
typedef void (*jade_work_fn)(void *arg);
/* Runs on the loop once the work is over. */
typedef void (*jade_after_work_fn)(void *arg);

enum jade_log_level { JADE_LOG_ERROR, JADE_LOG_WARNING, JADE_LOG_INFO, JADE_LOG_DEBUG };

struct jade_host {
    uint32_t abi_version; /* the core's JADE_PLUGIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(struct jade_host): check JADE_HAS_MEMBER */
    void *ctx;            /* pass back as the first argument of every call */
    /* Starts a request on the core's loop; cb runs later, exactly once.
     * Returns 0, or -1 when the request could not be started. */
    int (*http)(void *ctx, const struct jade_http_request *request, jade_http_cb cb, void *arg);
    /* Copies the secret named name into out (NUL-terminated); returns its
     * length, or -1 when there is none or it does not fit. */
    int (*secret)(void *ctx, const char *name, char *out, size_t out_size);
    /* level is an enum jade_log_level */
    void (*log)(void *ctx, int level, const char *message);
    /* Seconds since the epoch, on the core's clock (possibly simulated). */
    int64_t (*now)(void *ctx);
    /* A setting of this network's "networks" entry (e.g. "api_base"), or
     * NULL. The string stays valid while the plugin is loaded. The outbox
     * network's "dir" defaults to the service's outbox_dir. */
    const char *(*setting)(void *ctx, const char *name);
    /* 1.1: runs work on a worker thread, then after on the loop. Returns
     * 0, or -1 when it could not be queued (after is then not called). */
    int (*work)(void *ctx, jade_work_fn work, jade_after_work_fn after, void *arg);
    /* 1.1: a folder this plugin alone writes, kept across restarts
     * (<state_dir>/plugins/<name>, mode 0700), for what it must remember
     * durably; NULL when there is none. Valid while the plugin is loaded. */
    const char *(*data_dir)(void *ctx);
    /* 1.1: calls cb(arg) on the loop once delay_ms real milliseconds have
     * passed (polling a network that is still processing an upload).
     * Returns 0, or -1. A plugin's pending calls are dropped, uncalled,
     * when it is stopped (before fini). */
    int (*later)(void *ctx, uint32_t delay_ms, jade_after_work_fn cb, void *arg);
    /* 1.1: records a late outcome of the occurrence key, one the network
     * reported after publish answered (a message that failed on its way,
     * one held for review): an event "late" in its history (`jade history
     * --events KEY`), written through the ledger's writer; the state stays
     * as it is. message: one line for people, copied. Returns 0 when
     * queued, -1 when it cannot be (no ledger: then it is only logged). */
    int (*late)(void *ctx, const char *key, const char *message);
};

/* ---- what a plugin offers --------------------------------------------- */

/* 1.1: a request to the service's admin listener for this network (POST
 * or GET /hooks/<name>: a network's notifications, its verification
 * handshake). Everything belongs to the core, valid during the receive
 * call only. Header names are lower-cased; path and query as sent (not
 * percent-decoded); the body is NUL-terminated. */
struct jade_inbound_request {
    uint32_t struct_size;
    const char *method; /* "GET", "POST" */
    const char *path;   /* "/hooks/whatsapp" */
    const char *query;  /* after '?', "" when none */
    const struct jade_http_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
};

/* The answer, filled in by the plugin: status (0 answers 500), a static
 * content type (NULL: text/plain), and up to body_size bytes written into
 * the core's buffer body, their count in body_len. */
struct jade_inbound_answer {
    uint32_t struct_size;
    uint32_t status;
    const char *content_type;
    char *body;       /* the core's: body_size bytes */
    size_t body_size; /* at least 4096 */
    size_t body_len;
};

struct jade_plugin {
    uint32_t abi_version; /* JADE_PLUGIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(struct jade_plugin) */
    const char *name;     /* the network's name, as channels.json says it */
    const char *description;
    const struct jade_plugin_limits *limits; /* static; NULL: no limits */
    uint32_t capabilities;                   /* JADE_CAP_* */
    uint32_t rate_per_minute; /* requests per account the network allows; 0: no limit */
    /* A JSON Schema (draft-07) for a channel's "account" object on this
     * network, as JSON text; `jade validate` applies it to channels.json.
     * NULL: any object. Static. */
    const char *account_schema;
    /* Seconds a publish, lookup or remove may take, uploads and polling
     * included, on the real clock: past it the core records UNKNOWN (a
     * remove: TRANSIENT) and ignores a late done. 0: the core's default
     * (300 s). */
    uint32_t deadline_seconds;

    /* Creates an instance for the host; returns 0, or -1 with a log. */
    int (*init)(const struct jade_host *host, void **instance);
    /* Publishes; calls done exactly once (see jade_done_cb). */
    void (*publish)(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token);
    /* Optional (JADE_CAP_LOOKUP): finds a publication whose outcome was
     * unknown: SENT with its id, NOT_FOUND, or a failure. */
    void (*lookup)(void *instance, const struct jade_publication *pub, jade_done_cb done,
                   void *token);
    /* Optional (JADE_CAP_DELETE). */
    void (*remove)(void *instance, const struct jade_publication *pub, const char *network_id,
                   jade_done_cb done, void *token);
    /* Optional (JADE_CAP_METRICS): reads the reactions to a sent
     * publication; calls done exactly once, as publish does. */
    void (*metrics)(void *instance, const struct jade_publication *pub, const char *network_id,
                    jade_metrics_cb done, void *token);
    void (*fini)(void *instance);
    /* 1.1, optional: answers a request the admin listener routed to this
     * network (see jade_inbound_request), synchronously and fast: work
     * that takes time is queued (work(), late()). NULL: such requests are
     * answered 404. */
    void (*receive)(void *instance, const struct jade_inbound_request *request,
                    struct jade_inbound_answer *answer);
    /* Optional: the capabilities of this instance, where its settings
     * change them (the outbox's simulated metrics, a test double); called
     * after init. NULL: capabilities. */
    uint32_t (*instance_capabilities)(void *instance);
};

/* The one symbol a plugin exports. */
typedef const struct jade_plugin *(*jade_plugin_entry_fn)(void);

/* Defines that symbol, returning the plugin's descriptor:
 *   JADE_PLUGIN_EXPORT(plugin) */
#define JADE_PLUGIN_EXPORT(descriptor)                                                             \
    __attribute__((visibility("default"))) const struct jade_plugin *jade_plugin_entry(void);      \
    const struct jade_plugin *jade_plugin_entry(void)                                              \
    {                                                                                              \
        return &(descriptor);                                                                      \
    }

#endif
