/* counted.c - test networks that count text as real ones do, with small
 * limits, for `jade validate`'s text and account checks. One source, one
 * module per variant (meson passes the define):
 *   COUNTED_TELEGRAM  code points, 60 (a caption 20), an account schema
 *                     that requires a Telegram-like chat_id
 *   COUNTED_X         X's weighted length, 40
 *   COUNTED_MASTODON  graphemes, 60, or the account's "max_characters"
 *   COUNTED_BAD_JSON, COUNTED_BAD_KEYWORD  an account schema jade cannot
 *                     apply: the plugin is refused at load */
#include "jade-plugin.h"

#include <stddef.h>

#if defined(COUNTED_TELEGRAM)
#define NAME "telegram-like"
#define COUNTING JADE_COUNT_CODEPOINTS
#define TEXT_MAX 60
#define CAPTION_MAX 20
#define MEMBER NULL
#define SCHEMA                                                                                     \
    "{\"type\": \"object\", \"required\": [\"chat_id\"], \"additionalProperties\": false,"         \
    " \"properties\": {\"chat_id\": {\"type\": \"string\","                                        \
    " \"pattern\": \"^(@[A-Za-z0-9_]{5,}|-100[0-9]+)$\"}}}"
#elif defined(COUNTED_X)
#define NAME "x-like"
#define COUNTING JADE_COUNT_X_WEIGHTED
#define TEXT_MAX 40
#define CAPTION_MAX 0
#define MEMBER NULL
#define SCHEMA NULL
#elif defined(COUNTED_MASTODON)
#define NAME "mastodon-like"
#define COUNTING JADE_COUNT_GRAPHEMES
#define TEXT_MAX 60
#define CAPTION_MAX 0
#define MEMBER "max_characters"
#define SCHEMA                                                                                     \
    "{\"type\": \"object\", \"required\": [\"instance\"],"                                         \
    " \"properties\": {\"instance\": {\"type\": \"string\"}}}"
#elif defined(COUNTED_BAD_JSON)
#define NAME "bad-json"
#define COUNTING JADE_COUNT_CODEPOINTS
#define TEXT_MAX 0
#define CAPTION_MAX 0
#define MEMBER NULL
#define SCHEMA "{\"type\": \"object\", \"required\": [\"chat_id\"]"
#elif defined(COUNTED_BAD_KEYWORD)
#define NAME "bad-keyword"
#define COUNTING JADE_COUNT_CODEPOINTS
#define TEXT_MAX 0
#define CAPTION_MAX 0
#define MEMBER NULL
#define SCHEMA "{\"type\": \"object\", \"requird\": [\"chat_id\"]}"
#else
#error "define one COUNTED_* variant"
#endif

static int init(const struct jade_host *host, void **instance)
{
    (void)host;
    *instance = NULL;
    return 0;
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, pub->key, NULL, 0, NULL};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin_limits limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .text_max = TEXT_MAX,
    .counting = COUNTING,
    .caption_max = CAPTION_MAX,
    .media_max = 4,
    .text_max_member = MEMBER,
};

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = NAME,
    .description = "a test network that counts text as a real one does",
    .limits = &limits,
    .account_schema = SCHEMA,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
