/* fetch.c - the followed branch of a remote content repository, fetched
 * into a bare mirror (see fetch.h).
 *
 * One call: open (or create) the mirror, connect, check that the server
 * has the branch, fetch it with a forcing refspec, read the tip. The actual
 * transfer goes through an in-memory remote holding the URL as given; the
 * mirror's config records the URL without credentials, for people looking
 * at it, so no password lands on disk. Callbacks refuse with GIT_EUSER and
 * leave their reason in the call's context: libgit2's own words for a
 * refused credential or host key say less. */
#include "fetch.h"

#include "knownhosts.h"
#include "notes.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Over https a token alone needs some user name; forges accept any. */
#define DEFAULT_HTTP_USER "x-access-token"
#define DEFAULT_SSH_USER "git"
#define MAX_BRANCHES_SHOWN 5

struct fetch_ctx {
    const struct jade_fetch_credentials *cred;
    const char *shown_url; /* redacted */
    bool is_ssh;
    struct jade_ssh_target ssh;
    int tries;           /* credentials handed out: the second request means refused */
    struct jade_buf why; /* a callback's reason for refusing */
};

void jade_git_error_message(struct jade_buf *err, const char *what)
{
    const git_error *e = git_error_last();
    jade_buf_printf(err, "%s: %s", what, e && e->message ? e->message : _("unknown error"));
}

static int git_failed_at(struct jade_buf *err, const char *what)
{
    jade_git_error_message(err, what);
    return -1;
}

/* -- URLs ---------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The part of a URL to hide: [*start, *end) - the password of user:pass@,
 * or over http(s) the whole user part, where a token often stands. */
static bool secret_span(const char *url, const char **start, const char **end)
{
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end) return false; /* a path, or user@host:path (no password) */
    const char *auth = scheme_end + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@') at = p;
    if (!at) return false;
    bool http = has_prefix(url, "http://") || has_prefix(url, "https://");
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!http && !colon) return false;
    *start = http ? auth : colon + 1;
    *end = at;
    return true;
}

char *jade_fetch_redact_url(const char *url)
{
    const char *start, *end;
    if (!secret_span(url, &start, &end)) return jade_xstrdup(url);
    return jade_xasprintf("%.*s***%s", (int)(start - url), url, end);
}

void jade_ssh_target_free(struct jade_ssh_target *t)
{
    if (!t) return;
    free(t->user);
    free(t->host);
    t->user = t->host = NULL;
}

/* ssh://[user[:pass]@]host[:port]/path, host possibly [IPv6]. */
static int parse_ssh_scheme(const char *rest, struct jade_ssh_target *out)
{
    size_t auth_len = strcspn(rest, "/");
    if (rest[auth_len] != '/') return -1;
    const char *at = NULL;
    for (const char *p = rest; p < rest + auth_len; p++)
        if (*p == '@') at = p;
    const char *host = at ? at + 1 : rest, *end = rest + auth_len, *port = NULL, *host_end;
    if (at) {
        size_t n = strcspn(rest, ":@");
        out->user = jade_xstrndup(rest, n);
    }
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close) return -1;
        out->host = jade_xstrndup(host + 1, (size_t)(close - host - 1));
        host_end = close + 1;
        if (host_end < end && *host_end != ':') return -1;
    } else {
        host_end = memchr(host, ':', (size_t)(end - host));
        if (!host_end) host_end = end;
        out->host = jade_xstrndup(host, (size_t)(host_end - host));
    }
    if (host_end < end) port = host_end + 1;
    out->port = 22;
    if (port && port < end) {
        char *stop;
        long v = strtol(port, &stop, 10);
        if (stop != end || v < 1 || v > 65535) return -1;
        out->port = (int)v;
    }
    return out->host[0] ? 1 : -1;
}

int jade_fetch_parse_ssh_url(const char *url, struct jade_ssh_target *out)
{
    *out = (struct jade_ssh_target){NULL, NULL, 22};
    static const char *const schemes[] = {"ssh://", "ssh+git://", "git+ssh://"};
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        if (!has_prefix(url, schemes[i])) continue;
        int rc = parse_ssh_scheme(url + strlen(schemes[i]), out);
        if (rc < 0) jade_ssh_target_free(out);
        return rc;
    }
    /* As libgit2 decides: no scheme but a ':' is ssh, [user@]host:path,
     * the user up to the first '@', the host up to the first ':'. */
    if (strstr(url, "://") || !strchr(url, ':')) return 0;
    const char *colon = strchr(url, ':'), *at = strchr(url, '@');
    const char *host = at ? at + 1 : url;
    if (colon < host || colon == host) return -1;
    if (at) out->user = jade_xstrndup(url, (size_t)(at - url));
    out->host = jade_xstrndup(host, (size_t)(colon - host));
    return 1;
}

/* Replaces every copy of secret in err from offset on: libgit2 may quote
 * a URL, and a message must never carry a password. */
static void scrub(struct jade_buf *err, size_t from, const char *secret, const char *with)
{
    if (!secret || !*secret || err->len <= from) return;
    char *tail = jade_xstrdup(err->data + from);
    jade_buf_truncate(err, from);
    size_t n = strlen(secret);
    const char *p = tail, *hit;
    while ((hit = strstr(p, secret))) {
        jade_buf_append(err, p, (size_t)(hit - p));
        jade_buf_puts(err, with);
        p = hit + n;
    }
    jade_buf_puts(err, p);
    free(tail);
}

/* What a fetch or a push said, from err_start on, without the password
 * the operator gave or one the URL holds (the URL is shown as shown). */
static void scrub_credentials(struct jade_buf *err, size_t err_start,
                              const struct jade_fetch_credentials *cred, const char *url,
                              const char *shown)
{
    if (cred) scrub(err, err_start, cred->password, "***");
    const char *start, *end;
    if (secret_span(url, &start, &end)) {
        scrub(err, err_start, url, shown);
        char *secret = jade_xstrndup(start, (size_t)(end - start));
        scrub(err, err_start, secret, "***");
        free(secret);
    }
}

/* -- callbacks ------------------------------------------------------------ */

static const char *ssh_user(const struct fetch_ctx *c, const char *from_url)
{
    if (from_url && *from_url) return from_url;
    return c->ssh.user && *c->ssh.user ? c->ssh.user : DEFAULT_SSH_USER;
}

static int credentials_cb(git_credential **out, const char *url, const char *username_from_url,
                          unsigned int allowed, void *payload)
{
    struct fetch_ctx *c = payload;
    const struct jade_fetch_credentials *cred = c->cred;
    (void)url;
    /* ssh asks for the user name first when the URL has none. */
    if (allowed == GIT_CREDENTIAL_USERNAME)
        return git_credential_username_new(out, ssh_user(c, username_from_url));
    /* libgit2 asks again after a refusal: one try, or it would loop. */
    if (c->tries++ > 0) {
        jade_buf_printf(&c->why, _("authentication failed at %s: the server refused the %s"),
                        c->shown_url,
                        c->is_ssh ? _("ssh key") : _("user name and password (or token)"));
        return GIT_EUSER;
    }
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && cred && cred->ssh_key_path)
        return git_credential_ssh_key_new(out, ssh_user(c, username_from_url), NULL,
                                          cred->ssh_key_path, NULL);
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && cred && cred->password) {
        const char *user = cred->username                            ? cred->username
                           : username_from_url && *username_from_url ? username_from_url
                                                                     : DEFAULT_HTTP_USER;
        return git_credential_userpass_plaintext_new(out, user, cred->password);
    }
    jade_buf_printf(&c->why,
                    _("authentication failed at %s: the server asks for %s and none is "
                      "configured"),
                    c->shown_url,
                    (allowed & GIT_CREDENTIAL_SSH_KEY) ? _("an ssh key")
                                                       : _("a password or token"));
    return GIT_EUSER;
}

static int certificate_check_cb(git_cert *cert, int valid, const char *host, void *payload)
{
    struct fetch_ctx *c = payload;
    (void)valid; /* for ssh: libgit2's look at ~/.ssh/known_hosts, not ours */
    /* TLS: libgit2's verification decides; an invalid certificate fails. */
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
    const git_cert_hostkey *key = (const git_cert_hostkey *)cert;
    if (!c->is_ssh || !c->cred || !c->cred->known_hosts_path) {
        jade_buf_printf(&c->why, _("ssh host %s: no known_hosts file to check its key against"),
                        host);
        return GIT_EUSER;
    }
    if (!(key->type & GIT_CERT_SSH_RAW) || !key->hostkey || key->hostkey_len == 0) {
        jade_buf_printf(&c->why, _("ssh host %s: libgit2 gave no host key to check"), host);
        return GIT_EUSER;
    }
    if (jade_known_hosts_check(c->cred->known_hosts_path, c->ssh.host, c->ssh.port,
                               (const unsigned char *)key->hostkey, key->hostkey_len, &c->why) != 0)
        return GIT_EUSER;
    return 0;
}

/* -- the mirror ----------------------------------------------------------- */

static bool missing_or_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = false;
    closedir(d);
    return empty;
}

static void user_name(uid_t uid, char *out, size_t size)
{
    struct passwd pw, *found = NULL;
    char storage[1024];
    if (getpwuid_r(uid, &pw, storage, sizeof storage, &found) == 0 && found)
        snprintf(out, size, "%s", found->pw_name);
    else
        snprintf(out, size, "%u", (unsigned)uid);
}

/* git refuses a repository that another user owns (libgit2's GIT_EOWNER);
 * say so in the service's terms rather than git's safe.directory. */
static void ownership_message(const char *dir, struct jade_buf *err)
{
    struct stat st;
    char owner[128] = "?", me[128];
    if (stat(dir, &st) == 0) user_name(st.st_uid, owner, sizeof owner);
    user_name(geteuid(), me, sizeof me);
    jade_buf_printf(err,
                    _("mirror %s belongs to user %s, but jade runs as %s, and git refuses a "
                      "repository that another user owns: give it to the service's user "
                      "(chown -R %s %s), or remove it to have it fetched again"),
                    dir, owner, me, me, dir);
}

static int open_mirror(git_repository **repo, const char *dir, struct jade_buf *err)
{
    int rc = git_repository_open_ext(repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (rc == 0 && !git_repository_is_bare(*repo)) {
        jade_buf_printf(err,
                        _("mirror %s: a repository with a work tree, not a bare mirror; "
                          "name another folder"),
                        dir);
        git_repository_free(*repo);
        *repo = NULL;
        return -1;
    }
    if (rc == 0) return 0;
    /* libgit2 1.5.1 says GIT_EOWNER only when some safe.directory is
     * configured; without one it reports that value as not found. */
    struct stat st;
    if (rc == GIT_EOWNER || (stat(dir, &st) == 0 && st.st_uid != geteuid())) {
        ownership_message(dir, err);
        return -1;
    }
    if (rc != GIT_ENOTFOUND) {
        jade_git_error_message(err, dir);
        return -1;
    }
    /* Never turn somebody's folder into a repository. */
    if (!missing_or_empty(dir)) {
        jade_buf_printf(err,
                        _("mirror %s: exists and is not a git repository; move it away or "
                          "name another folder"),
                        dir);
        return -1;
    }
    git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    if (git_repository_init_ext(repo, dir, &opts) != 0) {
        jade_git_error_message(err, dir);
        return -1;
    }
    return 0;
}

/* The mirror's config records where it comes from (redacted), as remote
 * "origin". Written as plain config values: git_remote_lookup would apply
 * url.*.insteadOf, whose config walk leaks in libgit2 1.5.1. */
static int record_origin(git_repository *repo, const char *shown_url, const char *spec,
                         const char *dir, struct jade_buf *err)
{
    git_config *config = NULL;
    git_buf old = GIT_BUF_INIT;
    int rc = git_repository_config(&config, repo);
    if (rc == 0 && (git_config_get_string_buf(&old, config, "remote.origin.url") != 0 ||
                    strcmp(old.ptr, shown_url) != 0))
        rc = git_config_set_string(config, "remote.origin.url", shown_url);
    git_buf_dispose(&old);
    if (rc == 0 && (git_config_get_string_buf(&old, config, "remote.origin.fetch") != 0 ||
                    strcmp(old.ptr, spec) != 0))
        rc = git_config_set_string(config, "remote.origin.fetch", spec);
    git_buf_dispose(&old);
    git_config_free(config);
    if (rc != 0) jade_git_error_message(err, dir);
    return rc == 0 ? 0 : -1;
}

/* -- the fetch ------------------------------------------------------------ */

/* A failed connect or fetch: the callback's reason, or libgit2's. */
static void transfer_error(struct fetch_ctx *c, int rc, struct jade_buf *err)
{
    if (c->why.len)
        jade_buf_puts(err, jade_buf_str(&c->why));
    else if (rc == GIT_EAUTH)
        jade_buf_printf(err, _("authentication failed at %s"), c->shown_url);
    else {
        char *what = jade_xasprintf(_("cannot fetch from %s"), c->shown_url);
        jade_git_error_message(err, what);
        free(what);
    }
}

static void list_branches(const git_remote_head **heads, size_t n, struct jade_buf *err)
{
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!has_prefix(heads[i]->name, "refs/heads/")) continue;
        if (shown == MAX_BRANCHES_SHOWN) {
            jade_buf_puts(err, ", ...");
            break;
        }
        jade_buf_printf(err, "%s%s", shown++ ? ", " : _(" (branches there: "),
                        heads[i]->name + strlen("refs/heads/"));
    }
    jade_buf_puts(err, shown ? ")" : _(" (it has no branch)"));
}

static int fetch_branch(git_repository *repo, const char *url, const char *branch, const char *ref,
                        const char *spec, struct fetch_ctx *c, struct jade_buf *err)
{
    git_remote *remote = NULL;
    /* In memory, with the URL as given: no url.*.insteadOf of whoever runs
     * the service reroutes it. */
    git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
    create.repository = repo;
    create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    int rc = git_remote_create_with_opts(&remote, url, &create);
    if (rc != 0) {
        jade_git_error_message(err, c->shown_url);
        return -1;
    }
    git_remote_callbacks cbs = GIT_REMOTE_CALLBACKS_INIT;
    cbs.credentials = credentials_cb;
    cbs.certificate_check = certificate_check_cb;
    cbs.payload = c;
    rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, NULL, NULL);
    if (rc != 0) {
        transfer_error(c, rc, err);
        goto done;
    }
    const git_remote_head **heads;
    size_t n = 0;
    rc = git_remote_ls(&heads, &n, remote);
    if (rc != 0) {
        jade_git_error_message(err, c->shown_url);
        goto done;
    }
    /* Fetching a branch the server lacks is no error to libgit2: ask. */
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) found = strcmp(heads[i]->name, ref) == 0;
    if (!found) {
        jade_buf_printf(err, _("branch %s not found at %s"), branch, c->shown_url);
        list_branches(heads, n, err);
        rc = -1;
        goto done;
    }
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.callbacks = cbs;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    opts.update_fetchhead = 0;
    char *specs[] = {(char *)spec};
    git_strarray refspecs = {specs, 1};
    rc = git_remote_fetch(remote, &refspecs, &opts, "jade: fetch");
    if (rc != 0) transfer_error(c, rc, err);
done:
    git_remote_free(remote);
    return rc == 0 ? 0 : -1;
}

static int read_tip(git_repository *repo, const char *branch, const char *dir, git_oid *tip,
                    struct jade_buf *err)
{
    char *name = jade_xasprintf("refs/remotes/origin/%s", branch);
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, repo, name);
    git_object *commit = NULL;
    if (rc == 0) rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc == 0)
        git_oid_cpy(tip, git_object_id(commit));
    else
        jade_git_error_message(err, dir);
    git_object_free(commit);
    git_object_free(obj);
    free(name);
    return rc == 0 ? 0 : -1;
}

int jade_fetch(const char *url, const char *branch, const char *mirror_dir,
               const struct jade_fetch_credentials *cred, git_oid *tip, struct jade_buf *err)
{
    if (!url || !*url || !branch || !mirror_dir || !*mirror_dir) {
        jade_buf_puts(err, _("fetch: a URL, a branch and a mirror folder are needed"));
        return -1;
    }
    git_libgit2_init();
    size_t err_start = err->len;
    struct fetch_ctx c = {.cred = cred};
    char *shown = jade_fetch_redact_url(url);
    c.shown_url = shown;
    char *ref = jade_xasprintf("refs/heads/%s", branch);
    char *spec = jade_xasprintf("+refs/heads/%s:refs/remotes/origin/%s", branch, branch);
    git_repository *repo = NULL;
    int valid = 0, rc = -1;
    int ssh = jade_fetch_parse_ssh_url(url, &c.ssh);
    c.is_ssh = ssh == 1;
    if (git_reference_name_is_valid(&valid, ref) != 0 || !valid || !*branch) {
        jade_buf_printf(err, _("\"%s\" is not a valid branch name"), branch);
    } else if (ssh < 0) {
        jade_buf_printf(err,
                        _("%s: not a valid ssh URL (ssh://[user@]host[:port]/path or "
                          "[user@]host:path)"),
                        shown);
    } else if (!c.is_ssh && !strstr(url, "://") && access(url, F_OK) != 0) {
        jade_buf_printf(err, _("%s: no such repository folder (%s)"), url, strerror(errno));
    } else if (c.is_ssh && (!cred || !cred->known_hosts_path)) {
        jade_buf_printf(err,
                        _("%s: fetching over ssh needs a known_hosts file that lists the "
                          "server's key"),
                        shown);
    } else if (open_mirror(&repo, mirror_dir, err) == 0 &&
               record_origin(repo, shown, spec, mirror_dir, err) == 0 &&
               fetch_branch(repo, url, branch, ref, spec, &c, err) == 0 &&
               read_tip(repo, branch, mirror_dir, tip, err) == 0) {
        rc = 0;
    }
    scrub_credentials(err, err_start, cred, url, shown);
    git_repository_free(repo);
    jade_ssh_target_free(&c.ssh);
    jade_buf_free(&c.why);
    free(spec);
    free(ref);
    free(shown);
    git_libgit2_shutdown();
    return rc;
}

/* -- notes ------------------------------------------------------------------ */

#define NOTES_THEIRS "refs/notes/jade-origin"

static int push_update_cb(const char *refname, const char *status, void *payload)
{
    struct fetch_ctx *c = payload;
    if (status) jade_buf_printf(&c->why, _("%s refused %s: %s"), c->shown_url, refname, status);
    return 0;
}

/* Theirs, fetched and merged when the server has one that ours lacks. */
static int notes_take_theirs(git_repository *repo, git_remote *remote, const char *message,
                             struct fetch_ctx *c, struct jade_buf *err)
{
    const git_remote_head **heads;
    size_t n = 0;
    if (git_remote_ls(&heads, &n, remote) != 0) return git_failed_at(err, c->shown_url);
    const git_remote_head *theirs = NULL;
    for (size_t i = 0; i < n && !theirs; i++)
        if (!strcmp(heads[i]->name, JADE_NOTES_REF)) theirs = heads[i];
    git_oid ours;
    if (!theirs || (git_reference_name_to_id(&ours, repo, JADE_NOTES_REF) == 0 &&
                    (git_oid_equal(&ours, &theirs->oid) ||
                     git_graph_descendant_of(repo, &ours, &theirs->oid) == 1)))
        return 0;
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.callbacks.credentials = credentials_cb;
    opts.callbacks.certificate_check = certificate_check_cb;
    opts.callbacks.payload = c;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    opts.update_fetchhead = 0;
    char *specs[] = {"+" JADE_NOTES_REF ":" NOTES_THEIRS};
    git_strarray refspecs = {specs, 1};
    c->tries = 0;
    git_remote_disconnect(remote); /* a git:// connection serves one request */
    int rc = git_remote_fetch(remote, &refspecs, &opts, "jade: fetch notes");
    if (rc != 0) {
        transfer_error(c, rc, err);
        return -1;
    }
    return jade_notes_merge(repo, NOTES_THEIRS, message, err);
}

int jade_notes_exchange(const char *url, const char *mirror_dir,
                        const struct jade_fetch_credentials *cred, const char *message,
                        struct jade_buf *err)
{
    git_libgit2_init();
    size_t err_start = err->len;
    struct fetch_ctx c = {.cred = cred};
    char *shown = jade_fetch_redact_url(url);
    c.shown_url = shown;
    c.is_ssh = jade_fetch_parse_ssh_url(url, &c.ssh) == 1;
    git_repository *repo = NULL;
    git_remote *remote = NULL;
    int rc = -1;
    if (git_repository_open_ext(&repo, mirror_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        jade_git_error_message(err, mirror_dir);
        goto done;
    }
    /* The configured URL, in memory, as the fetch: nothing in the mirror's
     * config, the user's or the content reroutes the push. */
    git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
    create.repository = repo;
    create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, url, &create) != 0) {
        jade_git_error_message(err, shown);
        goto done;
    }
    git_remote_callbacks cbs = GIT_REMOTE_CALLBACKS_INIT;
    cbs.credentials = credentials_cb;
    cbs.certificate_check = certificate_check_cb;
    cbs.push_update_reference = push_update_cb;
    cbs.payload = &c;
    int step = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, NULL, NULL);
    if (step != 0) {
        transfer_error(&c, step, err);
        goto done;
    }
    if (notes_take_theirs(repo, remote, message, &c, err) != 0) goto done;
    git_remote_disconnect(remote);
    git_push_options opts = GIT_PUSH_OPTIONS_INIT;
    opts.callbacks = cbs;
    char *specs[] = {JADE_NOTES_REF ":" JADE_NOTES_REF};
    git_strarray refspecs = {specs, 1};
    c.tries = 0;
    step = git_remote_push(remote, &refspecs, &opts);
    if (step != 0 || c.why.len) {
        if (c.why.len) {
            jade_buf_puts(err, jade_buf_str(&c.why));
        } else {
            char *what = jade_xasprintf(_("cannot push to %s"), shown);
            jade_git_error_message(err, what);
            free(what);
        }
        goto done;
    }
    rc = 0;
done:
    scrub_credentials(err, err_start, cred, url, shown);
    git_remote_free(remote);
    git_repository_free(repo);
    jade_ssh_target_free(&c.ssh);
    jade_buf_free(&c.why);
    free(shown);
    git_libgit2_shutdown();
    return rc;
}
