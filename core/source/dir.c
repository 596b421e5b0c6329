/* dir.c - a content tree in a folder on disk (see source.h). */
#include "source.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dir_source {
    struct jade_source base;
    char *root;
    int root_fd;
    struct jade_source_entry *entries;
    size_t count, cap;
};

static void add_entry(struct dir_source *s, const char *path, enum jade_entry_type type,
                      uint64_t size)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->entries = jade_xrealloc(s->entries, s->cap * sizeof *s->entries);
    }
    s->entries[s->count++] = (struct jade_source_entry){jade_xstrdup(path), type, size};
}

/* Walks dir_fd (which it closes), relative path rel. */
static int walk(struct dir_source *s, int dir_fd, const char *rel, int depth, struct jade_buf *err)
{
    DIR *d = fdopendir(dir_fd);
    if (!d) {
        close(dir_fd);
        jade_buf_printf(err, _("cannot read folder %s%s: %s"), s->base.display_prefix, rel,
                        strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char *path = *rel ? jade_xasprintf("%s/%s", rel, de->d_name) : jade_xstrdup(de->d_name);
        /* d_type spares a stat per file; only a file system that does not
         * fill it in (DT_UNKNOWN) costs one. */
        unsigned char type = de->d_type;
        struct stat st;
        if (type == DT_UNKNOWN) {
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                jade_buf_printf(err, _("cannot read %s%s: %s"), s->base.display_prefix, path,
                                strerror(errno));
                rc = -1;
                free(path);
                continue;
            }
            type = S_ISDIR(st.st_mode)   ? DT_DIR
                   : S_ISLNK(st.st_mode) ? DT_LNK
                   : S_ISREG(st.st_mode) ? DT_REG
                                         : DT_FIFO;
        }
        if (type == DT_DIR) {
            if (depth > 64) {
                jade_buf_printf(err, _("%s%s: folders nest too deeply"), s->base.display_prefix,
                                path);
                rc = -1;
            } else {
                int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                rc = fd < 0 ? -1 : walk(s, fd, path, depth + 1, err);
                if (fd < 0)
                    jade_buf_printf(err, _("cannot open folder %s%s: %s"), s->base.display_prefix,
                                    path, strerror(errno));
            }
        } else if (type == DT_LNK) {
            add_entry(s, path, JADE_ENTRY_SYMLINK, 0);
        } else {
            add_entry(s, path, type == DT_REG ? JADE_ENTRY_FILE : JADE_ENTRY_OTHER,
                      JADE_SIZE_UNKNOWN);
        }
        free(path);
    }
    closedir(d);
    return rc;
}

static int dir_list(struct jade_source *base, const struct jade_source_entry **out, size_t *count,
                    struct jade_buf *err)
{
    struct dir_source *s = (struct dir_source *)base;
    if (!s->entries) {
        int fd = dup(s->root_fd);
        if (fd < 0 || walk(s, fd, "", 0, err) != 0) return -1;
        jade_source_sort_entries(s->entries, s->count);
    }
    *out = s->entries;
    *count = s->count;
    return 0;
}

static int dir_read(struct jade_source *base, const char *path, size_t max, char **data,
                    size_t *len, struct jade_buf *err)
{
    struct dir_source *s = (struct dir_source *)base;
    /* O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a fifo since
     * it was listed must neither lead outside nor block. No fstat: the
     * listing already said what this is, and reading to EOF is enough. */
    int fd = openat(s->root_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        jade_buf_printf(err, _("cannot open: %s"), strerror(errno));
        return -1;
    }
    size_t cap = 8192 < max + 1 ? 8192 : max + 1, got = 0;
    char *buf = jade_xmalloc(cap + 1);
    for (;;) {
        if (got == cap) {
            if (cap >= max) break;
            cap = cap * 2 < max ? cap * 2 : max;
            buf = jade_xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            jade_buf_printf(err, _("cannot read: %s"), strerror(errno));
            close(fd);
            free(buf);
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf = jade_xrealloc(buf, got + 1); /* give back what the file did not need */
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int dir_size(struct jade_source *base, const char *path, uint64_t *size,
                    struct jade_buf *err)
{
    struct dir_source *s = (struct dir_source *)base;
    struct stat st;
    if (fstatat(s->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        jade_buf_printf(err, _("cannot read: %s"), strerror(errno));
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

static void dir_free(struct jade_source *base)
{
    struct dir_source *s = (struct dir_source *)base;
    for (size_t i = 0; i < s->count; i++) free(s->entries[i].path);
    free(s->entries);
    if (s->root_fd >= 0) close(s->root_fd);
    free(s->root);
    free(s);
}

static const struct jade_source_ops dir_ops = {dir_list, dir_read, dir_size, dir_free};

int jade_source_open_dir(const char *dir, struct jade_source **out, struct jade_buf *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        jade_buf_printf(err, _("cannot open folder %s: %s"), dir, strerror(errno));
        return -1;
    }
    struct dir_source *s = jade_xcalloc(1, sizeof *s);
    s->base.ops = &dir_ops;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    s->root = jade_xstrndup(dir, n);
    s->base.display_prefix = strcmp(s->root, ".") == 0   ? jade_xstrdup("")
                             : strcmp(s->root, "/") == 0 ? jade_xstrdup("/")
                                                         : jade_xasprintf("%s/", s->root);
    s->base.description = jade_xasprintf(_("folder %s"), s->root);
    s->root_fd = fd;
    *out = &s->base;
    return 0;
}
