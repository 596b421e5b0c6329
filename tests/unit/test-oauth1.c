/* test-oauth1.c - the x plugin's OAuth 1.0a signing (plugins/x/oauth1.c)
 * against the published test vectors NETWORKS.md lists: X's "Creating a
 * signature" example under both of its hosts, RFC 5849 §1.2 and the base
 * string of §3.4.1.1; and the encoding and header details around them. */
#include "test.h"

#include "oauth1.h"

#include <stdlib.h>

/* X's example: the same request under its old and its new host. */
static const struct oauth1_credentials x_creds = {
    .consumer_key = "xvz1evFS4wEEPTGEFPHBog",
    .consumer_secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    .token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    .token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
};
static const struct oauth1_params x_params = {
    .nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
    .timestamp = "1318622958",
    .version = true,
};
static const char x_body[] =
    "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";

static char *x_signature(const char *url)
{
    char *base = oauth1_base_string("POST", url, x_body, &x_creds, &x_params);
    char *sig = base ? oauth1_signature(base, x_creds.consumer_secret, x_creds.token_secret) : NULL;
    free(base);
    return sig;
}

static void x_example_twitter_host(void)
{
    char *sig =
        x_signature("https://api.twitter.com/1.1/statuses/update.json?include_entities=true");
    CHECK_STR_EQ(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    free(sig);
}

static void x_example_x_host(void)
{
    char *sig = x_signature("https://api.x.com/1.1/statuses/update.json?include_entities=true");
    CHECK_STR_EQ(sig, "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
    free(sig);
}

/* The base string X's documentation prints for its example: the body's
 * "%2b" decoded and encoded again in upper case, the query's parameter
 * sorted among the rest. */
static void x_example_base_string(void)
{
    char *base = oauth1_base_string(
        "post", "https://API.Twitter.com:443/1.1/statuses/update.json?include_entities=true",
        x_body, &x_creds, &x_params);
    CHECK_STR_EQ(base,
                 "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&"
                 "include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26"
                 "oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26"
                 "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26"
                 "oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26"
                 "oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%"
                 "2520a%2520signed%2520OAuth%2520request%2521");
    free(base);
}

/* The header X's example sends: every oauth_* parameter, sorted, quoted
 * and encoded, the signature among them. */
static void x_example_header(void)
{
    char *h = oauth1_authorization(
        "POST", "https://api.x.com/1.1/statuses/update.json?include_entities=true", x_body,
        &x_creds, &x_params);
    CHECK_STR_EQ(h, "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
                    "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
                    "oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\", "
                    "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", "
                    "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
                    "oauth_version=\"1.0\"");
    free(h);
}

/* RFC 5849 §1.2: a GET whose query is signed, without oauth_version. */
static void rfc5849_example(void)
{
    const struct oauth1_credentials c = {"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk",
                                         "pfkkdhi9sl3r4s00"};
    const struct oauth1_params p = {.nonce = "chapoH", .timestamp = "137131202"};
    const char *url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    char *base = oauth1_base_string("GET", url, NULL, &c, &p);
    CHECK_STR_EQ(base, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26"
                       "oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26"
                       "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26"
                       "oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
    char *sig = base ? oauth1_signature(base, c.consumer_secret, c.token_secret) : NULL;
    CHECK_STR_EQ(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    char *h = oauth1_authorization("GET", url, NULL, &c, &p);
    CHECK_CONTAINS(h, "oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"");
    CHECK(h && !strstr(h, "oauth_version"));
    free(base);
    free(sig);
    free(h);
}

/* RFC 5849 §3.4.1.1: names and values decoded, '+' a space in query and
 * form alike, a name without '=' an empty value, a repeated name sorted by
 * value, everything encoded again; the default port and the fragment
 * left out. */
static void rfc5849_base_string(void)
{
    const struct oauth1_credentials c = {.consumer_key = "9djdj82h48djs9d2",
                                         .token = "kkk9d7dh3k39sjv7"};
    const struct oauth1_params p = {.nonce = "7d8f3e4a", .timestamp = "137131201"};
    char *base = oauth1_base_string(
        "POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "c2&a3=2+q", &c, &p);
    CHECK_STR_EQ(base,
                 "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%"
                 "26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%"
                 "26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%"
                 "3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7");
    free(base);
    /* the same request, its host's case, default port and fragment aside */
    base = oauth1_base_string("POST",
                              "HTTP://Example.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b#top",
                              "c2&a3=2+q", &c, &p);
    CHECK_CONTAINS(base, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3D");
    free(base);
}

/* §3.6: the unreserved set stays, everything else is %XX in upper case,
 * UTF-8 byte by byte. */
static void encoding(void)
{
    const char in[] = "Az09-._~ !*'()+,/:;=?@[]%&\xc3\xa9\xe2\x98\x83";
    char *e = oauth1_encode(in, sizeof in - 1);
    CHECK_STR_EQ(e, "Az09-._~%20%21%2A%27%28%29%2B%2C%2F%3A%3B%3D%3F%40%5B%5D%25%26%C3%A9%E2%98%"
                    "83");
    free(e);
    e = oauth1_encode("a\0b", 3);
    CHECK_STR_EQ(e, "a%00b");
    free(e);
}

/* A port of its own is kept (the fake networks listen on one), a
 * non-http URL is refused, a JSON body is never part of it. */
static void ports_and_refusals(void)
{
    const struct oauth1_credentials c = {"ck", "cs", "t", "ts"};
    const struct oauth1_params p = {.nonce = "n", .timestamp = "1"};
    char *base = oauth1_base_string("GET",
                                    "http://127.0.0.1:8123/2/media/upload?command=STATUS&"
                                    "media_id=77",
                                    NULL, &c, &p);
    CHECK_STR_EQ(base,
                 "GET&http%3A%2F%2F127.0.0.1%3A8123%2F2%2Fmedia%2Fupload&command%3DSTATUS%26"
                 "media_id%3D77%26oauth_consumer_key%3Dck%26oauth_nonce%3Dn%26"
                 "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1%26oauth_token%3Dt");
    free(base);
    base = oauth1_base_string("GET", "https://api.x.com:8443", NULL, &c, &p);
    CHECK_CONTAINS(base, "GET&https%3A%2F%2Fapi.x.com%3A8443%2F&");
    free(base);
    CHECK(oauth1_base_string("GET", "ftp://api.x.com/", NULL, &c, &p) == NULL);
    CHECK(oauth1_base_string("GET", "api.x.com/2/tweets", NULL, &c, &p) == NULL);
}

static void nonces_differ(void)
{
    char a[65], b[65];
    CHECK_INT_EQ(oauth1_nonce(a), 0);
    CHECK_INT_EQ(oauth1_nonce(b), 0);
    CHECK_INT_EQ(strlen(a), 64);
    CHECK(strcmp(a, b) != 0);
}

int main(void)
{
    RUN(x_example_twitter_host);
    RUN(x_example_x_host);
    RUN(x_example_base_string);
    RUN(x_example_header);
    RUN(rfc5849_example);
    RUN(rfc5849_base_string);
    RUN(encoding);
    RUN(ports_and_refusals);
    RUN(nonces_differ);
    return test_done();
}
