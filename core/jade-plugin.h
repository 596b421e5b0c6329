/* jade-plugin.h - the plugin ABI: the one header a network plugin includes.
 *
 * A plugin is a shared object exporting one symbol, jade_plugin_entry,
 * which returns a pointer to a static struct jade_plugin. Everything else
 * in the module should have hidden visibility. The core loads plugins with
 * RTLD_NOW | RTLD_LOCAL and refuses one whose major ABI version differs or
 * whose struct is smaller than the core needs.
 *
 * Rules of the road:
 * - Structs start with abi_version and struct_size; new members are only
 *   ever appended, and optional function pointers may be NULL.
 * - A plugin does I/O only through the host table: asynchronous HTTP on the
 *   core's event loop, secrets, log, clock. No threads, no blocking calls
 *   (the outbox plugin's small local file writes are the one exception).
 * - A plugin reports an outcome from a closed set (enum jade_outcome); the
 *   core alone decides what follows (retry, suspend, mark uncertain).
 * - Ownership is written beside each member. "Call" means: valid only
 *   during the call; copy what you keep. */
#ifndef JADE_PLUGIN_H
#define JADE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define JADE_PLUGIN_ABI_MAJOR 1
#define JADE_PLUGIN_ABI_MINOR 0
#define JADE_PLUGIN_ABI_VERSION ((uint32_t)(JADE_PLUGIN_ABI_MAJOR << 16 | JADE_PLUGIN_ABI_MINOR))
#define JADE_PLUGIN_ENTRY "jade_plugin_entry"

/* How a network counts a text's length against limits.text_max. */
enum jade_text_count {
    JADE_COUNT_CODEPOINTS, /* Unicode code points */
    JADE_COUNT_UTF16,      /* UTF-16 code units (Telegram, Facebook) */
    JADE_COUNT_BYTES,      /* UTF-8 bytes */
    JADE_COUNT_X_WEIGHTED, /* X's weighted count: URLs 23, most non-Latin 2 */
};

/* What a network can do, as bits of jade_plugin.capabilities. */
enum {
    JADE_CAP_IDEMPOTENCY_KEY = 1u << 0, /* a repeat with the same key is not published twice */
    JADE_CAP_DELETE = 1u << 1,          /* remove (for retractions) */
    JADE_CAP_METRICS = 1u << 2,         /* reactions, shares, reach */
    JADE_CAP_LOOKUP = 1u << 3,          /* find a post whose outcome is unknown */
    JADE_CAP_GEO_TARGETING = 1u << 4,   /* region targeting on the post itself */
};

struct jade_plugin_limits {
    uint32_t text_max;              /* 0: no limit */
    enum jade_text_count counting;  /* how text_max counts */
    uint32_t media_max;             /* attachments per post */
    uint64_t media_bytes_max;       /* per attachment; 0: no limit */
    const char *const *media_types; /* NULL-terminated MIME types; static */
};

/* One publication: a post on a channel in a language. All strings belong
 * to the core and stay valid until the plugin calls done. */
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
};

/* The closed set of outcomes. */
enum jade_outcome {
    JADE_OUTCOME_SENT,        /* published: network_id (and url) are set */
    JADE_OUTCOME_RETRY_AFTER, /* the network said when: retry_after_seconds */
    JADE_OUTCOME_TRANSIENT,   /* failed before anything was published; may retry */
    JADE_OUTCOME_PERMANENT,   /* refused; message says why (the network's words) */
    JADE_OUTCOME_AUTH_FAILED, /* credentials refused: the channel is suspended */
    JADE_OUTCOME_UNKNOWN,     /* the request left, no answer came: may be published */
    JADE_OUTCOME_NOT_FOUND,   /* lookup only: the network does not have it */
};

/* Strings belong to the plugin, valid during the done call only. */
struct jade_result {
    uint32_t struct_size;
    enum jade_outcome outcome;
    const char *network_id;       /* SENT (or lookup found it) */
    const char *url;              /* SENT, optional */
    uint32_t retry_after_seconds; /* RETRY_AFTER */
    const char *message;          /* what the network said, for people */
};

/* Called exactly once per publish (or lookup), from the event loop. */
typedef void (*jade_done_cb)(void *token, const struct jade_result *result);

/* ---- what the core offers: the host table ----------------------------- */

struct jade_http_header {
    const char *name, *value;
};

/* Strings belong to the plugin, and may be freed once http() returns. */
struct jade_http_request {
    uint32_t struct_size;
    const char *method; /* "POST", "GET", "DELETE" */
    const char *url;    /* secrets in it are redacted in logs */
    const struct jade_http_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    uint32_t timeout_ms; /* 0: the core's default */
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

enum jade_log_level { JADE_LOG_ERROR, JADE_LOG_WARNING, JADE_LOG_INFO, JADE_LOG_DEBUG };

struct jade_host {
    uint32_t abi_version;
    uint32_t struct_size;
    void *ctx; /* pass back as the first argument of every call */
    /* Starts a request on the core's loop; cb runs later, exactly once.
     * Returns 0, or -1 when the request could not be started. */
    int (*http)(void *ctx, const struct jade_http_request *request, jade_http_cb cb, void *arg);
    /* Copies the secret named name into out (NUL-terminated); returns its
     * length, or -1 when there is none or it does not fit. */
    int (*secret)(void *ctx, const char *name, char *out, size_t out_size);
    void (*log)(void *ctx, enum jade_log_level level, const char *message);
    /* Seconds since the epoch, on the core's clock (possibly simulated). */
    int64_t (*now)(void *ctx);
    /* A setting of this network's "networks" entry (e.g. "api_base"), or
     * NULL. The string stays valid while the plugin is loaded. */
    const char *(*setting)(void *ctx, const char *name);
    /* The service's outbox folder (for the outbox plugin). */
    const char *(*outbox_dir)(void *ctx);
};

/* ---- what a plugin offers --------------------------------------------- */

struct jade_plugin {
    uint32_t abi_version; /* JADE_PLUGIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(struct jade_plugin) */
    const char *name;     /* the network's name, as channels.json says it */
    const char *description;
    struct jade_plugin_limits limits;
    uint32_t capabilities;    /* JADE_CAP_* */
    uint32_t rate_per_minute; /* requests per account the network allows; 0: no limit */

    /* Creates an instance for the host; returns 0, or -1 with a log. */
    int (*init)(const struct jade_host *host, void **instance);
    /* Publishes; calls done exactly once, from the loop (may be later). */
    void (*publish)(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token);
    /* Optional (JADE_CAP_LOOKUP): finds a publication whose outcome was
     * unknown: SENT with its id, NOT_FOUND, or a failure. */
    void (*lookup)(void *instance, const struct jade_publication *pub, jade_done_cb done,
                   void *token);
    /* Optional (JADE_CAP_DELETE). */
    void (*remove)(void *instance, const struct jade_publication *pub, const char *network_id,
                   jade_done_cb done, void *token);
    void (*fini)(void *instance);
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
