/* test-notes.c - git notes of publications (source/notes.h): the line of
 * an outcome, notes that only grow (one commit per batch, sorted union),
 * where they stand, and a merge with notes written elsewhere. */
#include "test.h"

#include "source/notes.h"
#include "util/buf.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void a_line_says_what_went_out(void)
{
    struct jade_notes_event e = {"0123456789abcdef0123456789abcdef",
                                 "sent",
                                 1796115600, /* 2026-12-01T09:00:00Z */
                                 "c1",
                                 "p1",
                                 "tg-gao",
                                 "telegram",
                                 "fr",
                                 "id with\tspace\x1b[2J",
                                 "https://t.me/x/1",
                                 NULL};
    char *line = jade_notes_line(&e);
    CHECK_STR_EQ(line,
                 "0123456789abcdef0123456789abcdef 2026-12-01T09:00:00Z sent campaign=c1 "
                 "post=p1 channel=tg-gao network=telegram lang=fr id=id_with\\x09space\\x1b[2J "
                 "link=https://t.me/x/1");
    free(line);
    e.state = "failed";
    e.detail = "refused:\nline\ttwo \xc2\x9b";
    line = jade_notes_line(&e);
    CHECK_STR_EQ(
        line, "0123456789abcdef0123456789abcdef 2026-12-01T09:00:00Z failed campaign=c1 "
              "post=p1 channel=tg-gao network=telegram lang=fr reason=refused: line two \\u{9b}");
    free(line);
}

static git_repository *repo;
static char commit_hex[41], dir[64];

static void make_repo(void)
{
    snprintf(dir, sizeof dir, "/tmp/jade-test-notes-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT_EQ(git_repository_init(&repo, dir, 1), 0);
    git_signature *sig;
    git_signature_new(&sig, "t", "t@localhost", 1796115600, 0);
    git_treebuilder *tb;
    git_oid tree_id, commit_id;
    git_treebuilder_new(&tb, repo, NULL);
    git_treebuilder_write(&tree_id, tb);
    git_treebuilder_free(tb);
    git_tree *tree;
    git_tree_lookup(&tree, repo, &tree_id);
    CHECK_INT_EQ(
        git_commit_create(&commit_id, repo, "refs/heads/main", sig, sig, NULL, "c", tree, 0, NULL),
        0);
    git_oid_tostr(commit_hex, sizeof commit_hex, &commit_id);
    git_tree_free(tree);
    git_signature_free(sig);
}

static char *note_of(const char *ref)
{
    git_oid id;
    git_oid_fromstr(&id, commit_hex);
    git_note *note = NULL;
    if (git_note_read(&note, repo, ref, &id) != 0) return NULL;
    char *text = strdup(git_note_message(note));
    git_note_free(note);
    return text;
}

static size_t notes_commits(void)
{
    git_revwalk *walk;
    git_revwalk_new(&walk, repo);
    git_revwalk_push_ref(walk, JADE_NOTES_REF);
    git_oid id;
    size_t n = 0;
    while (git_revwalk_next(&id, walk) == 0) n++;
    git_revwalk_free(walk);
    return n;
}

static void notes_grow_by_batches(void)
{
    struct jade_buf err = {0};
    struct jade_note_line first[] = {{commit_hex, "b 2026 sent"}, {commit_hex, "a 2026 sent"}};
    CHECK_INT_EQ(jade_notes_add(repo, first, 2,
                                "jade: 1\n\nJade-Ledger: "
                                "0123456789abcdef0123456789abcdef\nJade-Events: 7\n",
                                &err),
                 0);
    char *text = note_of(JADE_NOTES_REF);
    CHECK_STR_EQ(text, "a 2026 sent\nb 2026 sent\n");
    free(text);
    CHECK_INT_EQ(notes_commits(), 1);
    /* a line again, and a new one: one line more, one commit more */
    struct jade_note_line second[] = {{commit_hex, "a 2026 sent"},
                                      {commit_hex, "a 2027 retracted"}};
    char *message = jade_notes_message("0123456789abcdef0123456789abcdef", 9);
    CHECK_INT_EQ(jade_notes_add(repo, second, 2, message, &err), 0);
    text = note_of(JADE_NOTES_REF);
    CHECK_STR_EQ(text, "a 2026 sent\na 2027 retracted\nb 2026 sent\n");
    free(text);
    CHECK_INT_EQ(notes_commits(), 2);
    /* nothing new: nothing written */
    CHECK_INT_EQ(jade_notes_add(repo, second, 1, message, &err), 0);
    CHECK_INT_EQ(notes_commits(), 2);
    free(message);
    char ledger[33];
    int64_t upto = 0;
    CHECK_INT_EQ(jade_notes_mark(repo, ledger, &upto), 0);
    CHECK_STR_EQ(ledger, "0123456789abcdef0123456789abcdef");
    CHECK_INT_EQ(upto, 9);
    CHECK_STR_EQ(err.len ? err.data : "", "");
    jade_buf_free(&err);
}

static void their_notes_are_merged(void)
{
    git_signature *sig;
    git_signature_new(&sig, "coach", "c@localhost", 1796115700, 0);
    git_oid id, note_id;
    git_oid_fromstr(&id, commit_hex);
    /* written elsewhere, with no history in common */
    CHECK_INT_EQ(git_note_create(&note_id, repo, "refs/notes/theirs", sig, sig, &id,
                                 "coach: seen\na 2026 sent\n", 0),
                 0);
    git_signature_free(sig);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_notes_merge(repo, "refs/notes/theirs", "merge", &err), 0);
    char *text = note_of(JADE_NOTES_REF);
    CHECK_STR_EQ(text, "a 2026 sent\na 2027 retracted\nb 2026 sent\ncoach: seen\n");
    free(text);
    git_commit *tip;
    git_oid tip_id;
    git_reference_name_to_id(&tip_id, repo, JADE_NOTES_REF);
    git_commit_lookup(&tip, repo, &tip_id);
    CHECK_INT_EQ(git_commit_parentcount(tip), 2);
    git_commit_free(tip);
    /* merged already: nothing more */
    CHECK_INT_EQ(jade_notes_merge(repo, "refs/notes/theirs", "merge", &err), 0);
    git_oid again;
    git_reference_name_to_id(&again, repo, JADE_NOTES_REF);
    CHECK(git_oid_equal(&again, &tip_id));
    jade_buf_free(&err);
}

int main(void)
{
    git_libgit2_init();
    RUN(a_line_says_what_went_out);
    make_repo();
    RUN(notes_grow_by_batches);
    RUN(their_notes_are_merged);
    git_repository_free(repo);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);
    git_libgit2_shutdown();
    return test_done();
}
