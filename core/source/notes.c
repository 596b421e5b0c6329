/* notes.c - publications' outcomes as git notes (see notes.h).
 *
 * A batch goes in as one commit on refs/notes/jade: libgit2 adds one note
 * per notes commit, so the notes are chained on commits that nothing
 * keeps, and the last one's tree is committed once on the ref's tip. */
#include "notes.h"

#include "fetch.h"

#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* -- lines ---------------------------------------------------------------- */

/* A value as one token: what could steer a terminal escaped (escape.h),
 * and blanks, which would split the line, as '_'. */
static void token(struct jade_buf *b, const char *name, const char *value)
{
    if (!value || !*value) return;
    jade_buf_printf(b, " %s=", name);
    size_t from = b->len;
    jade_escape(b, value, strlen(value), JADE_KEEP_NOTHING);
    for (size_t i = from; i < b->len; i++)
        if (b->data[i] == ' ') b->data[i] = '_';
}

char *jade_notes_line(const struct jade_notes_event *e)
{
    struct jade_buf b = {0};
    char when[32];
    jade_format_utc(e->at, when);
    jade_buf_printf(&b, "%s %s %s", e->key, when, e->state);
    token(&b, "campaign", e->campaign);
    token(&b, "post", e->post);
    token(&b, "channel", e->channel);
    token(&b, "network", e->network);
    token(&b, "lang", e->lang);
    bool sent = !strcmp(e->state, "sent") || !strcmp(e->state, "retracted");
    if (sent) token(&b, "id", e->network_id);
    if (sent) token(&b, "link", e->url);
    if (e->detail && *e->detail) { /* last: the rest of the line, on one line */
        jade_buf_puts(&b, " reason=");
        size_t from = b.len;
        jade_escape(&b, e->detail, strlen(e->detail), JADE_KEEP_LINES);
        for (size_t i = from; i < b.len; i++)
            if (b.data[i] == '\n' || b.data[i] == '\r' || b.data[i] == '\t') b.data[i] = ' ';
    }
    return jade_buf_steal(&b);
}

/* -- notes ---------------------------------------------------------------- */

struct lines {
    char **items;
    size_t count;
};

static void lines_add(struct lines *l, const char *s, size_t n)
{
    if (!n) return;
    l->items = jade_xrealloc(l->items, (l->count + 1) * sizeof *l->items);
    l->items[l->count++] = jade_xstrndup(s, n);
}

static void lines_split(struct lines *l, const char *text)
{
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        lines_add(l, text, n);
        text += n + (text[n] == '\n');
    }
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each once, one per line. */
static char *lines_join(struct lines *l)
{
    qsort(l->items, l->count, sizeof *l->items, compare_lines);
    struct jade_buf b = {0};
    for (size_t i = 0; i < l->count; i++)
        if (i == 0 || strcmp(l->items[i], l->items[i - 1]) != 0)
            jade_buf_printf(&b, "%s\n", l->items[i]);
    return jade_buf_steal(&b);
}

static int git_failed(struct jade_buf *err, const char *what)
{
    jade_git_error_message(err, what);
    return -1;
}

/* The commit refs/notes/jade (or name) points to, or NULL. */
static git_commit *tip_of(git_repository *repo, const char *name)
{
    git_oid oid;
    git_commit *c = NULL;
    if (git_reference_name_to_id(&oid, repo, name) != 0) return NULL;
    if (git_commit_lookup(&c, repo, &oid) != 0) return NULL;
    return c;
}

static int compare_note_lines(const void *a, const void *b)
{
    const struct jade_note_line *x = a, *y = b;
    int c = strcmp(x->commit, y->commit);
    return c ? c : strcmp(x->line, y->line);
}

/* Adds lines (sorted by commit) to the notes of the chain starting at
 * base (NULL: no notes yet); *last is the chain's last commit (base
 * itself, referenced again, when nothing changed). */
static int union_notes(git_repository *repo, git_commit *base, const struct jade_note_line *lines,
                       size_t n, git_commit **last, struct jade_buf *err)
{
    git_signature *sig = NULL;
    if (git_signature_now(&sig, "jade", "jade@localhost") != 0) return git_failed(err, "notes");
    git_commit *cur = NULL;
    if (base) git_commit_dup(&cur, base);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i;
        while (j < n && !strcmp(lines[j].commit, lines[i].commit)) j++;
        git_oid target;
        if (git_oid_fromstr(&target, lines[i].commit) != 0) { /* not a commit id: skipped */
            i = j;
            continue;
        }
        struct lines all = {0};
        git_note *note = NULL;
        if (cur && git_note_commit_read(&note, repo, cur, &target) == 0)
            lines_split(&all, git_note_message(note));
        size_t before = all.count;
        char *old = before ? lines_join(&all) : jade_xstrdup("");
        for (size_t k = i; k < j; k++) lines_add(&all, lines[k].line, strlen(lines[k].line));
        char *text = lines_join(&all);
        (void)before;
        if (strcmp(old, text) != 0) {
            git_oid commit_oid, blob;
            rc = git_note_commit_create(&commit_oid, &blob, repo, cur, sig, sig, &target, text, 1);
            git_commit *next = NULL;
            if (rc == 0) rc = git_commit_lookup(&next, repo, &commit_oid);
            if (rc == 0) {
                git_commit_free(cur);
                cur = next;
            }
        }
        free(old);
        free(text);
        git_note_free(note);
        lines_free(&all);
        i = j;
    }
    git_signature_free(sig);
    if (rc != 0) {
        git_commit_free(cur);
        return git_failed(err, "notes");
    }
    *last = cur;
    return 0;
}

/* Commits tree of chain on the parents and moves refs/notes/jade there
 * from what it was (old, NULL: none), so that a concurrent writer is
 * noticed rather than overwritten. */
static int commit_notes(git_repository *repo, git_commit *chain, const git_commit **parents,
                        size_t n_parents, const git_oid *old, const char *message,
                        struct jade_buf *err)
{
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_oid oid;
    git_reference *ref = NULL;
    int rc = git_signature_now(&sig, "jade", "jade@localhost");
    if (rc == 0) rc = git_commit_tree(&tree, chain);
    if (rc == 0)
        rc = git_commit_create(&oid, repo, NULL, sig, sig, "UTF-8", message, tree, n_parents,
                               parents);
    if (rc == 0)
        rc = old ? git_reference_create_matching(&ref, repo, JADE_NOTES_REF, &oid, 1, old,
                                                 "jade: notes")
                 : git_reference_create(&ref, repo, JADE_NOTES_REF, &oid, 0, "jade: notes");
    git_reference_free(ref);
    git_tree_free(tree);
    git_signature_free(sig);
    return rc == 0 ? 0 : git_failed(err, JADE_NOTES_REF);
}

int jade_notes_add(git_repository *repo, const struct jade_note_line *lines, size_t n,
                   const char *message, struct jade_buf *err)
{
    struct jade_note_line *sorted = jade_xcalloc(n + 1, sizeof *sorted);
    memcpy(sorted, lines, n * sizeof *lines);
    qsort(sorted, n, sizeof *sorted, compare_note_lines);
    git_commit *tip = tip_of(repo, JADE_NOTES_REF), *chain = NULL;
    int rc = union_notes(repo, tip, sorted, n, &chain, err);
    bool changed =
        rc == 0 && chain && (!tip || !git_oid_equal(git_commit_id(chain), git_commit_id(tip)));
    if (changed) {
        const git_commit *parents[] = {tip};
        rc = commit_notes(repo, chain, parents, tip ? 1 : 0, tip ? git_commit_id(tip) : NULL,
                          message, err);
    }
    git_commit_free(chain);
    git_commit_free(tip);
    free(sorted);
    return rc;
}

struct collected {
    git_repository *repo;
    const char *ref;
    struct lines texts;   /* each note's text */
    struct lines commits; /* the commit it annotates, at the same place */
};

static int collect_cb(const git_oid *blob_id, const git_oid *annotated, void *payload)
{
    struct collected *c = payload;
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, c->repo, blob_id) != 0) return 0;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, annotated);
    lines_add(&c->commits, hex, strlen(hex));
    const char *raw = git_blob_rawcontent(blob);
    size_t size = (size_t)git_blob_rawsize(blob);
    c->texts.items = jade_xrealloc(c->texts.items, (c->texts.count + 1) * sizeof *c->texts.items);
    c->texts.items[c->texts.count++] = jade_xstrndup(raw, size);
    git_blob_free(blob);
    return 0;
}

int jade_notes_merge(git_repository *repo, const char *theirs, const char *message,
                     struct jade_buf *err)
{
    git_commit *their = tip_of(repo, theirs), *ours = tip_of(repo, JADE_NOTES_REF);
    int rc = 0;
    if (!their) goto done;
    const git_oid *t = git_commit_id(their), *o = ours ? git_commit_id(ours) : NULL;
    if (o && (git_oid_equal(t, o) || git_graph_descendant_of(repo, o, t) == 1)) goto done;
    git_reference *ref = NULL;
    if (!o || git_graph_descendant_of(repo, t, o) == 1) { /* a fast-forward */
        rc = o ? git_reference_create_matching(&ref, repo, JADE_NOTES_REF, t, 1, o, "jade: notes")
               : git_reference_create(&ref, repo, JADE_NOTES_REF, t, 0, "jade: notes");
        git_reference_free(ref);
        if (rc != 0) rc = git_failed(err, JADE_NOTES_REF);
        goto done;
    }
    struct collected c = {repo, theirs, {0}, {0}};
    if (git_note_foreach(repo, theirs, collect_cb, &c) != 0) {
        rc = git_failed(err, theirs);
        goto done;
    }
    struct lines each = {0};
    struct jade_note_line *lines = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c.texts.count; i++) {
        size_t from = each.count;
        lines_split(&each, c.texts.items[i]);
        lines = jade_xrealloc(lines, (n + each.count - from + 1) * sizeof *lines);
        for (size_t k = from; k < each.count; k++)
            lines[n++] = (struct jade_note_line){c.commits.items[i], each.items[k]};
    }
    qsort(lines, n, sizeof *lines, compare_note_lines);
    git_commit *chain = NULL;
    rc = union_notes(repo, ours, lines, n, &chain, err);
    if (rc == 0) {
        const git_commit *parents[] = {ours, their};
        rc = commit_notes(repo, chain, parents, 2, o, message, err);
    }
    git_commit_free(chain);
    free(lines);
    lines_free(&each);
    lines_free(&c.texts);
    lines_free(&c.commits);
done:
    git_commit_free(their);
    git_commit_free(ours);
    return rc;
}

char *jade_notes_message(const char *ledger, int64_t upto)
{
    return jade_xasprintf("jade: outcomes of publications\n\nJade-Ledger: %s\nJade-Events: %" PRId64
                          "\n",
                          ledger, upto);
}

int jade_notes_mark(git_repository *repo, char ledger[33], int64_t *upto)
{
    git_commit *tip = tip_of(repo, JADE_NOTES_REF);
    if (!tip) return 1;
    const char *msg = git_commit_message(tip);
    const char *l = msg ? strstr(msg, "\nJade-Ledger: ") : NULL;
    const char *e = msg ? strstr(msg, "\nJade-Events: ") : NULL;
    int rc = 1;
    if (l && e) {
        l += strlen("\nJade-Ledger: ");
        size_t n = strcspn(l, "\n");
        char *end;
        long long v = strtoll(e + strlen("\nJade-Events: "), &end, 10);
        if (n == 32 && v >= 0) {
            memcpy(ledger, l, 32);
            ledger[32] = '\0';
            *upto = (int64_t)v;
            rc = 0;
        }
    }
    git_commit_free(tip);
    return rc;
}
