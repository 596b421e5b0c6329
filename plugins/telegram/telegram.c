/* telegram.c - the telegram network: each publication posted to a channel
 * by a bot, through the Bot API.
 *
 * The channel's account is {chat_id}: "@username" for a public channel, the
 * numeric -100... id for a private one; the bot must be one of its admins
 * with the right to post. The channel's secret is the bot's token, which
 * the API wants in the URL's path: the core logs URLs as scheme://host
 * only, and no message here repeats it.
 *
 * Text goes by sendMessage (the link appended when the text lacks it, and
 * previewed), one photo or video by sendPhoto / sendVideo with the text as
 * caption, 2-10 by sendMediaGroup (the caption on the first item): files
 * uploaded as multipart parts, streamed by the core. The network id is the
 * chat's numeric id, a colon, and the message ids, comma-separated (an
 * album is several messages): what deleteMessage needs.
 *
 * Outcomes: 429 waits the seconds Telegram gives (parameters.retry_after,
 * else Retry-After); 401 and 403 suspend the channel, saying what a person
 * must do; a 400 is refused for good, in Telegram's words (with
 * migrate_to_chat_id: the chat_id to write instead); a 5xx, or no answer
 * once the request left, is unknown: Telegram has no idempotency and no
 * look-up, so the core leaves it uncertain rather than post it twice.
 * Removal deletes each message; Telegram refuses after 48 hours, and the
 * core then lists the post for removal by hand. */
#include "jade-plugin.h"
#include "plugin-util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PUBLIC_API "https://api.telegram.org"
#define TOKEN_MAX 256
#define MESSAGES_MAX 10
/* Text, and the last request of a removal; an upload may take up to the
 * whole deadline. */
#define TEXT_TIMEOUT_MS 30000
#define DEADLINE_SECONDS 600
#define UPLOAD_TIMEOUT_MS ((DEADLINE_SECONDS - 30) * 1000)

struct telegram {
    const struct jade_host *host;
};

struct pending {
    struct telegram *tg;
    jade_done_cb done;
    void *token;
    int removing;
    /* a removal: the chat and the messages still to delete */
    char chat[32];
    long long ids[MESSAGES_MAX];
    size_t n_ids, next;
    char bot[TOKEN_MAX];
};

static int telegram_init(const struct jade_host *host, void **instance)
{
    struct telegram *tg = calloc(1, sizeof *tg);
    if (!tg) return -1;
    tg->host = host;
    *instance = tg;
    return 0;
}

static void telegram_fini(void *instance)
{
    free(instance);
}

static void free_pending(struct pending *p)
{
    explicit_bzero(p->bot, sizeof p->bot);
    free(p);
}

/* Frees p, then gives the core its outcome. */
static void finish_pending(struct pending *p, enum jade_outcome outcome, const char *message)
{
    jade_done_cb done = p->done;
    void *token = p->token;
    free_pending(p);
    pu_finish(done, token, outcome, NULL, NULL, 0, message);
}

/* The channel's chat_id as text ("@name" or "-100..."), or NULL. */
static const char *chat_id_of(json_t *account, char buf[32])
{
    json_t *v = json_object_get(account, "chat_id");
    if (json_is_string(v) && *json_string_value(v)) {
        snprintf(buf, 32, "%s", json_string_value(v));
        return buf;
    }
    if (json_is_integer(v)) {
        snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* The method's URL: it holds the token, so it lives as briefly as it can. */
static void method_url(const struct telegram *tg, const char *bot, const char *method, char *out,
                       size_t size)
{
    snprintf(out, size, "%s/bot%s/%s", pu_api_base(tg->host, PUBLIC_API), bot, method);
}

/* What Telegram said: its description, else the body. */
static void said(const struct jade_http_response *r, json_t *body, char *out, size_t size)
{
    pu_http_message(r, json_string_value(json_object_get(body, "description")), out, size);
}

/* The answer to a failed request, mapped to the closed set of outcomes. */
static void failed(struct pending *p, const struct jade_http_response *r, json_t *body)
{
    const struct jade_host *host = p->tg->host;
    char words[400], message[1024];
    json_t *params = json_object_get(body, "parameters");
    if (r->transport_error) {
        snprintf(message, sizeof message, "%s%s",
                 r->error_message ? r->error_message : _("no answer"),
                 r->request_sent && !p->removing
                     ? _(" (the request left: Telegram may have published it, and offers no way "
                         "to look it up)")
                     : "");
        pu_finish(p->done, p->token, p->removing ? JADE_OUTCOME_TRANSIENT : pu_transport_outcome(r),
                  NULL, NULL, 0, message);
        return;
    }
    said(r, body, words, sizeof words);
    if (r->status == 429) {
        json_t *after = json_object_get(params, "retry_after");
        uint32_t seconds =
            json_is_integer(after) && json_integer_value(after) >= 0
                ? (uint32_t)json_integer_value(after)
                : pu_retry_after(pu_header(r, "Retry-After"), host->now(host->ctx), 60);
        pu_finish(p->done, p->token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL, seconds, words);
    } else if (r->status == 401 || r->status == 404) {
        snprintf(message, sizeof message,
                 _("%s: Telegram does not accept the bot's token; put the token BotFather gives "
                   "for the bot into the channel's secret"),
                 words);
        pu_finish(p->done, p->token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0, message);
    } else if (r->status == 403) {
        snprintf(message, sizeof message,
                 _("%s: make the bot an administrator of the channel with the right to post "
                   "messages (can_post_messages)%s"),
                 words, p->removing ? _(" and to delete them") : "");
        pu_finish(p->done, p->token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0, message);
    } else if (json_is_integer(json_object_get(params, "migrate_to_chat_id"))) {
        snprintf(message, sizeof message,
                 _("%s: the group became a supergroup; change the channel's chat_id in "
                   "channels.json to %lld"),
                 words,
                 (long long)json_integer_value(json_object_get(params, "migrate_to_chat_id")));
        pu_finish(p->done, p->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
    } else if (r->status >= 500) {
        /* it reached Telegram, which may have posted it before failing */
        pu_finish(p->done, p->token, p->removing ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_UNKNOWN,
                  NULL, NULL, 0, words);
    } else if (p->removing && strstr(words, "can't be deleted")) {
        snprintf(message, sizeof message,
                 _("%s: a bot can delete a channel's post only within 48 hours of it"), words);
        pu_finish(p->done, p->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
    } else {
        pu_finish(p->done, p->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, words);
    }
}

/* A sent message's link: t.me/<username>/<id>, or t.me/c/<id without
 * -100>/<id> for a private channel. */
static void message_url(json_t *chat, long long message_id, char *out, size_t size)
{
    const char *username = json_string_value(json_object_get(chat, "username"));
    long long id = json_integer_value(json_object_get(chat, "id"));
    if (username)
        snprintf(out, size, "https://t.me/%s/%lld", username, message_id);
    else if (id <= -1000000000000LL)
        snprintf(out, size, "https://t.me/c/%lld/%lld", -id - 1000000000000LL, message_id);
    else
        out[0] = '\0';
}

static void published_cb(void *arg, const struct jade_http_response *r)
{
    struct pending *p = arg;
    json_t *body = r->transport_error ? NULL : json_loads(r->body ? r->body : "", 0, NULL);
    json_t *result = json_object_get(body, "result");
    if (!r->transport_error && r->status == 200 && json_is_true(json_object_get(body, "ok")) &&
        result) {
        /* one Message, or an album's array of them */
        json_t *first = json_is_array(result) ? json_array_get(result, 0) : result;
        json_t *chat = json_object_get(first, "chat");
        char id[400], url[200];
        int n = snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT ":",
                         json_integer_value(json_object_get(chat, "id")));
        size_t count = json_is_array(result) ? json_array_size(result) : 1;
        for (size_t i = 0; i < count && n > 0 && (size_t)n < sizeof id; i++) {
            json_t *m = json_is_array(result) ? json_array_get(result, i) : result;
            n += snprintf(id + n, sizeof id - (size_t)n, "%s%" JSON_INTEGER_FORMAT, i ? "," : "",
                          json_integer_value(json_object_get(m, "message_id")));
        }
        message_url(chat, json_integer_value(json_object_get(first, "message_id")), url,
                    sizeof url);
        pu_finish(p->done, p->token, JADE_OUTCOME_SENT, id, url[0] ? url : NULL, 0, NULL);
    } else if (!r->transport_error && r->status == 200) {
        /* a 200 that is not Telegram's success: it left, and may be up */
        pu_finish(p->done, p->token, JADE_OUTCOME_UNKNOWN, NULL, NULL, 0,
                  _("Telegram answered 200 without a message"));
    } else {
        failed(p, r, body);
    }
    json_decref(body);
    free_pending(p);
}

static int is_video(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".mp4") || !strcasecmp(dot, ".mov") ||
                   !strcasecmp(dot, ".m4v") || !strcasecmp(dot, ".webm"));
}

static const char *content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    if (!strcasecmp(dot, ".png")) return "image/png";
    if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) return "image/jpeg";
    if (!strcasecmp(dot, ".webp")) return "image/webp";
    if (!strcasecmp(dot, ".gif")) return "image/gif";
    if (!strcasecmp(dot, ".mp4") || !strcasecmp(dot, ".m4v")) return "video/mp4";
    if (!strcasecmp(dot, ".mov")) return "video/quicktime";
    if (!strcasecmp(dot, ".webm")) return "video/webm";
    return "application/octet-stream";
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The text as posted: the link appended when the text does not hold it. */
static char *text_with_link(const struct jade_publication *pub)
{
    const char *text = pub->text ? pub->text : "";
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    if (!pub->link || !*pub->link || strstr(text, pub->link)) return strndup(text, len);
    size_t size = len + strlen(pub->link) + 3;
    char *s = malloc(size);
    if (s) snprintf(s, size, "%.*s%s%s", (int)len, text, len ? "\n\n" : "", pub->link);
    return s;
}

static void start(struct pending *p, const struct jade_http_request *req, jade_http_cb cb)
{
    const struct jade_host *host = p->tg->host;
    if (host->http(host->ctx, req, cb, p) != 0) {
        finish_pending(p, JADE_OUTCOME_TRANSIENT, _("the request could not be started"));
    }
}

/* Starts a POST of a JSON body (NULL: none) to url, with a text's timeout. */
static void post_json(struct pending *p, const char *url, const char *body, jade_http_cb cb)
{
    struct jade_http_header headers[] = {{"Content-Type", "application/json"}};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "POST",
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = 1,
                                    .body = body,
                                    .body_len = body ? strlen(body) : 0,
                                    .timeout_ms = TEXT_TIMEOUT_MS};
    start(p, &req, cb);
}

static void send_text(struct pending *p, const char *url, const char *chat,
                      const struct jade_publication *pub, const char *text)
{
    json_t *o = json_pack("{s:s, s:s}", "chat_id", chat, "text", text);
    if (!o) { /* jansson takes only UTF-8 */
        finish_pending(p, JADE_OUTCOME_PERMANENT, _("the text is not valid UTF-8"));
        return;
    }
    if (pub->link && *pub->link)
        json_object_set_new(o, "link_preview_options", json_pack("{s:s}", "url", pub->link));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    post_json(p, url, body, published_cb);
    free(body);
}

/* One photo or video (sendPhoto, sendVideo), or an album (sendMediaGroup),
 * each file a part streamed from disk. */
static void send_media(struct pending *p, const char *bot, const char *chat,
                       const struct jade_publication *pub, const char *caption)
{
    struct jade_http_part parts[MESSAGES_MAX + 3];
    char names[MESSAGES_MAX][8], url[TOKEN_MAX + 512];
    char *media_json = NULL;
    size_t n = 0;
    parts[n++] =
        (struct jade_http_part){.name = "chat_id", .value = chat, .value_len = strlen(chat)};
    if (pub->n_media == 1) {
        const char *kind = is_video(pub->media[0]) ? "video" : "photo";
        method_url(p->tg, bot, is_video(pub->media[0]) ? "sendVideo" : "sendPhoto", url,
                   sizeof url);
        if (*caption)
            parts[n++] = (struct jade_http_part){
                .name = "caption", .value = caption, .value_len = strlen(caption)};
        parts[n++] = (struct jade_http_part){.name = kind,
                                             .file = pub->media[0],
                                             .filename = base_name(pub->media[0]),
                                             .content_type = content_type_of(pub->media[0])};
    } else {
        method_url(p->tg, bot, "sendMediaGroup", url, sizeof url);
        json_t *items = json_array();
        for (size_t i = 0; i < pub->n_media; i++) {
            snprintf(names[i], sizeof names[i], "m%u", (unsigned)i % 100);
            char attach[40];
            snprintf(attach, sizeof attach, "attach://m%u", (unsigned)i % 100);
            json_t *item = json_pack("{s:s, s:s}", "type",
                                     is_video(pub->media[i]) ? "video" : "photo", "media", attach);
            /* the album shows one caption: the first item's */
            if (i == 0 && *caption) json_object_set_new(item, "caption", json_string(caption));
            json_array_append_new(items, item);
        }
        media_json = json_dumps(items, JSON_COMPACT);
        json_decref(items);
        parts[n++] = (struct jade_http_part){
            .name = "media", .value = media_json, .value_len = media_json ? strlen(media_json) : 0};
        for (size_t i = 0; i < pub->n_media; i++)
            parts[n++] = (struct jade_http_part){.name = names[i],
                                                 .file = pub->media[i],
                                                 .filename = base_name(pub->media[i]),
                                                 .content_type = content_type_of(pub->media[i])};
    }
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "POST",
                                    .url = url,
                                    .timeout_ms = UPLOAD_TIMEOUT_MS,
                                    .parts = parts,
                                    .n_parts = n};
    start(p, &req, published_cb);
    explicit_bzero(url, sizeof url);
    free(media_json);
}

static struct pending *new_pending(struct telegram *tg, jade_done_cb done, void *token)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p) {
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        return NULL;
    }
    p->tg = tg;
    p->done = done;
    p->token = token;
    return p;
}

/* The bot's token into p->bot; 0, or -1 having answered AUTH_FAILED. */
static int read_token(struct pending *p, const struct jade_publication *pub)
{
    const struct jade_host *host = p->tg->host;
    int n =
        pub->secret_name ? host->secret(host->ctx, pub->secret_name, p->bot, sizeof p->bot) : -1;
    if (n > 0 && !strpbrk(p->bot, "/?#% \t")) return 0;
    finish_pending(
        p, JADE_OUTCOME_AUTH_FAILED,
        n > 0 ? _("the channel's secret is not a bot token: put the token BotFather gives "
                  "for the bot into it")
              : _("no bot token: give the channel a \"secret\" holding the token BotFather "
                  "gives for the bot"));
    return -1;
}

static void telegram_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                             void *token)
{
    struct telegram *tg = instance;
    struct pending *p = new_pending(tg, done, token);
    if (!p) return;
    json_t *account = pu_account(pub);
    char chat[32];
    if (!chat_id_of(account, chat)) {
        json_decref(account);
        finish_pending(p, JADE_OUTCOME_PERMANENT,
                       _("the channel's account has no chat_id (\"@username\" or the -100... id)"));
        return;
    }
    json_decref(account);
    if (pub->n_media > MESSAGES_MAX) {
        finish_pending(p, JADE_OUTCOME_PERMANENT,
                       _("Telegram takes at most 10 photos or videos in a post"));
        return;
    }
    if (read_token(p, pub) != 0) return;
    char *text = text_with_link(pub);
    if (!text) {
        finish_pending(p, JADE_OUTCOME_TRANSIENT, _("out of memory"));
        return;
    }
    char bot[TOKEN_MAX];
    memcpy(bot, p->bot, sizeof bot);
    explicit_bzero(p->bot, sizeof p->bot); /* a publication needs it no longer */
    if (pub->n_media == 0) {
        char url[TOKEN_MAX + 512];
        method_url(tg, bot, "sendMessage", url, sizeof url);
        send_text(p, url, chat, pub, text);
        explicit_bzero(url, sizeof url);
    } else {
        send_media(p, bot, chat, pub, text);
    }
    explicit_bzero(bot, sizeof bot);
    free(text);
}

/* ---- removal: deleteMessage for each message of the post ---------------- */

static void delete_next(struct pending *p);

static void deleted_cb(void *arg, const struct jade_http_response *r)
{
    struct pending *p = arg;
    json_t *body = r->transport_error ? NULL : json_loads(r->body ? r->body : "", 0, NULL);
    const char *description = json_string_value(json_object_get(body, "description"));
    /* gone already (a removal tried again): as good as deleted */
    int gone = !r->transport_error && r->status == 400 && description &&
               strstr(description, "message to delete not found");
    if (!r->transport_error && (r->status == 200 || gone)) {
        json_decref(body);
        p->next++;
        delete_next(p);
        return;
    }
    failed(p, r, body);
    json_decref(body);
    free_pending(p);
}

static void delete_next(struct pending *p)
{
    if (p->next == p->n_ids) {
        finish_pending(p, JADE_OUTCOME_SENT, NULL);
        return;
    }
    char url[TOKEN_MAX + 512], body[96];
    method_url(p->tg, p->bot, "deleteMessage", url, sizeof url);
    json_t *chat = json_string(p->chat);
    char *chat_json = json_dumps(chat, JSON_ENCODE_ANY);
    json_decref(chat);
    snprintf(body, sizeof body, "{\"chat_id\":%s,\"message_id\":%lld}",
             chat_json ? chat_json : "\"\"", p->ids[p->next]);
    free(chat_json);
    post_json(p, url, body, deleted_cb);
    explicit_bzero(url, sizeof url);
}

/* "chat:id,id,..." into p; 0, or -1 when it is not one this plugin made. */
static int parse_network_id(struct pending *p, const char *network_id)
{
    const char *colon = network_id ? strrchr(network_id, ':') : NULL;
    if (!colon || colon == network_id || (size_t)(colon - network_id) >= sizeof p->chat) return -1;
    snprintf(p->chat, sizeof p->chat, "%.*s", (int)(colon - network_id), network_id);
    const char *s = colon + 1;
    while (*s && p->n_ids < MESSAGES_MAX) {
        char *end;
        long long id = strtoll(s, &end, 10);
        if (end == s || id <= 0 || (*end && *end != ',')) return -1;
        p->ids[p->n_ids++] = id;
        s = *end ? end + 1 : end;
    }
    return p->n_ids && !*s ? 0 : -1;
}

static void telegram_remove(void *instance, const struct jade_publication *pub,
                            const char *network_id, jade_done_cb done, void *token)
{
    struct pending *p = new_pending(instance, done, token);
    if (!p) return;
    p->removing = 1;
    if (parse_network_id(p, network_id) != 0) {
        finish_pending(p, JADE_OUTCOME_PERMANENT,
                       _("not a Telegram post's id (chat:message ids): remove it by hand"));
        return;
    }
    if (read_token(p, pub) != 0) return;
    delete_next(p);
}

static const char *const telegram_media_types[] = {
    "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/quicktime", NULL};

static const struct jade_plugin_limits telegram_limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .text_max = 4096,
    .counting = JADE_COUNT_CODEPOINTS,
    .caption_max = 1024,
    .media_max = MESSAGES_MAX,
    /* a video or other file uploaded; a photo's own limit is 10 MB */
    .media_bytes_max = 50ull * 1000 * 1000,
    .media_types = telegram_media_types,
};

static const struct jade_plugin telegram_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "telegram",
    .description = N_("posts to a Telegram channel through a bot (Bot API)"),
    .limits = &telegram_limits,
    .capabilities = JADE_CAP_DELETE,
    /* the Bot FAQ: at most 20 messages a minute to one channel */
    .rate_per_minute = 20,
    .account_schema =
        "{\"type\": \"object\", \"required\": [\"chat_id\"],"
        " \"properties\": {\"chat_id\": {\"anyOf\": ["
        "{\"type\": \"string\", \"pattern\": \"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{6,})$\"},"
        "{\"type\": \"integer\", \"maximum\": -1000000000}]}}}",
    .deadline_seconds = DEADLINE_SECONDS,
    .init = telegram_init,
    .publish = telegram_publish,
    .remove = telegram_remove,
    .fini = telegram_fini,
};

JADE_PLUGIN_EXPORT(telegram_plugin)
