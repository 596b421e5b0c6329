/* webhook.c - the webhook network: each publication POSTed as JSON to the
 * channel's account.url, signed twice.
 *
 * Headers: Idempotency-Key: <occurrence key>;
 * Jade-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * (Stripe's shape, keyed with the secret exactly as written; receivers
 * should refuse a t more than 300 s off); and Standard Webhooks' three,
 * which receivers check with that specification's libraries:
 * webhook-id: <occurrence key> (the same on every retry), webhook-timestamp:
 * <t>, webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<t>.<body>")>,
 * key being what the secret's base64 after "whsec_" decodes to. The secret
 * is the channel's "secret", read from the service's secrets. One without
 * the whsec_ prefix (as written before jade signed the standard way) keys
 * both signatures with its own bytes: libraries take it as a "raw" key. A
 * whsec_ secret whose rest is not base64 sends nothing and suspends the
 * channel, saying so. (sign.c holds the signing.)
 * Outcomes: 2xx sent; 429 waits for Retry-After; 408 and 5xx, and no answer,
 * are transient (the key makes a repeat safe); 401/403 suspend the channel;
 * other 4xx are refused for good.
 * A retraction is a DELETE to the same url, with the same headers and a
 * signed body {key, campaign, post, channel, lang, network_id}, whose
 * webhook-id is "<key>-retraction" (another message than the publication,
 * which a receiver dropping repeated ids must not drop); 2xx, 404 and 410
 * mean it is gone. */
#include "jade-plugin.h"
#include "plugin-util.h"
#include "sign.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct webhook {
    const struct jade_host *host;
};

struct pending {
    jade_done_cb done;
    void *token;
    const struct jade_host *host;
    char key[64];
    int removing; /* a DELETE: 404 and 410 say it is gone already */
};

static int webhook_init(const struct jade_host *host, void **instance)
{
    if (sodium_init() < 0) return -1;
    struct webhook *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->host = host;
    *instance = w;
    return 0;
}

static void webhook_fini(void *instance)
{
    free(instance);
}

static void response_cb(void *arg, const struct jade_http_response *r)
{
    struct pending *p = arg;
    char message[512];
    if (r->transport_error) {
        snprintf(message, sizeof message, "%s%s",
                 r->error_message ? r->error_message : _("no answer"),
                 r->request_sent ? _(" (the request was sent; the key makes a repeat safe)") : "");
        pu_finish(p->done, p->token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
    } else if (p->removing && (r->status == 404 || r->status == 410)) {
        pu_finish(p->done, p->token, JADE_OUTCOME_SENT, p->key, NULL, 0, NULL);
    } else if (r->status >= 200 && r->status < 300) {
        json_t *body = json_loads(r->body, 0, NULL);
        const char *id = json_string_value(json_object_get(body, "id"));
        pu_finish(p->done, p->token, JADE_OUTCOME_SENT, id ? id : p->key, NULL, 0, NULL);
        json_decref(body);
    } else {
        snprintf(message, sizeof message, "HTTP %ld: %.200s", r->status, r->body ? r->body : "");
        if (r->status == 429)
            pu_finish(p->done, p->token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL,
                      pu_retry_after(pu_header(r, "Retry-After"), p->host->now(p->host->ctx), 60),
                      message);
        else if (r->status == 408 || r->status >= 500)
            pu_finish(p->done, p->token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
        else if (r->status == 401 || r->status == 403)
            pu_finish(p->done, p->token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0, message);
        else
            pu_finish(p->done, p->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
    }
    free(p);
}

static char *body_of(const struct jade_publication *pub)
{
    json_t *media = json_array();
    for (size_t i = 0; i < pub->n_media; i++) {
        const char *slash = strrchr(pub->media[i], '/');
        json_array_append_new(media, json_string(slash ? slash + 1 : pub->media[i]));
    }
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:s}", "key", pub->key, "campaign",
                  pub->campaign, "post", pub->post, "channel", pub->channel, "lang", pub->lang,
                  "text", pub->text, "media", media, "link", pub->link, "due", pub->due);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

/* Sends body signed with the channel's secret, by method, to its url. */
static void send_signed(struct webhook *w, const char *method, const struct jade_publication *pub,
                        const char *body, int removing, jade_done_cb done, void *token)
{
    const struct jade_host *host = w->host;
    json_t *account = json_loads(pub->account_json ? pub->account_json : "{}", 0, NULL);
    const char *url = json_string_value(json_object_get(account, "url"));
    char secret[1024];
    if (!url || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("the channel's account has no url starting with https:// or http://"));
        json_decref(account);
        return;
    }
    if (!pub->secret_name || host->secret(host->ctx, pub->secret_name, secret, sizeof secret) < 0) {
        pu_finish(
            done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0,
            _("no secret to sign with: give the channel a \"secret\" held in the secrets folder"));
        json_decref(account);
        return;
    }
    /* the Standard Webhooks key: decoded from whsec_ base64, else the
     * secret's own bytes */
    unsigned char key[sizeof secret];
    int key_len = webhook_standard_key(secret, key, sizeof key);
    if (key_len < 0) {
        sodium_memzero(secret, sizeof secret);
        pu_finish(
            done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0,
            _("the channel's secret starts with whsec_ but what follows is not base64 (standard "
              "alphabet, = padding included) of at least one byte: write the secret as the "
              "receiver's platform gave it"));
        json_decref(account);
        return;
    }
    long long t = (long long)host->now(host->ctx);
    char mac[65], signature[128], timestamp[32], standard[WEBHOOK_STANDARD_SIGNATURE_SIZE];
    char id[128];
    webhook_sign_jade(secret, t, body, strlen(body), mac);
    sodium_memzero(secret, sizeof secret);
    snprintf(signature, sizeof signature, "t=%lld,v1=%s", t, mac);
    /* A retraction is another message than the publication: a receiver
     * that drops a webhook-id it has seen must not drop it. */
    snprintf(id, sizeof id, "%s%s", pub->key, removing ? "-retraction" : "");
    snprintf(timestamp, sizeof timestamp, "%lld", t);
    webhook_sign_standard(key, (size_t)key_len, id, t, body, strlen(body), standard);
    sodium_memzero(key, sizeof key);
    struct jade_http_header headers[] = {
        {"Content-Type", "application/json"}, {"Idempotency-Key", pub->key},
        {"Jade-Signature", signature},        {"webhook-id", id},
        {"webhook-timestamp", timestamp},     {"webhook-signature", standard}};
    /* networks.webhook.timeout_ms in the configuration, else the core's */
    const char *timeout = host->setting(host->ctx, "timeout_ms");
    struct jade_http_request req = {sizeof req,
                                    method,
                                    url,
                                    headers,
                                    sizeof headers / sizeof headers[0],
                                    body,
                                    strlen(body),
                                    timeout ? (uint32_t)atoi(timeout) : 0};
    struct pending *p = calloc(1, sizeof *p);
    p->done = done;
    p->token = token;
    p->host = host;
    p->removing = removing;
    snprintf(p->key, sizeof p->key, "%s", pub->key);
    if (host->http(host->ctx, &req, response_cb, p) != 0) {
        free(p);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
                  _("the request could not be started"));
    }
    json_decref(account);
}

static void webhook_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                            void *token)
{
    char *body = body_of(pub);
    send_signed(instance, "POST", pub, body, 0, done, token);
    free(body);
}

static void webhook_remove(void *instance, const struct jade_publication *pub,
                           const char *network_id, jade_done_cb done, void *token)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "key", pub->key, "campaign",
                          pub->campaign, "post", pub->post, "channel", pub->channel, "lang",
                          pub->lang, "network_id", network_id);
    char *body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    send_signed(instance, "DELETE", pub, body ? body : "{}", 1, done, token);
    free(body);
}

static const struct jade_plugin_limits webhook_limits = {.struct_size =
                                                             sizeof(struct jade_plugin_limits),
                                                         .text_max = 0,
                                                         .counting = JADE_COUNT_CODEPOINTS,
                                                         .media_max = 10};

static const struct jade_plugin webhook_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "webhook",
    .description = N_("POSTs each publication as signed JSON to the channel's url"),
    .limits = &webhook_limits,
    .capabilities = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_DELETE,
    .account_schema = "{\"type\": \"object\", \"required\": [\"url\"],"
                      " \"properties\": {\"url\": {\"type\": \"string\","
                      " \"pattern\": \"^https?://[^/?#@]+\"}}}",
    .init = webhook_init,
    .publish = webhook_publish,
    .remove = webhook_remove,
    .fini = webhook_fini,
};

JADE_PLUGIN_EXPORT(webhook_plugin)
