/* report.c - a problem in a content file, reported where it is: the line
 * and column of a JSON pointer, found by scanning the file's text again
 * (jansson keeps no positions), only when there is something to report. */
#include "content.h"

#include "../util/buf.h"
#include "../util/jsonpos.h"
#include "../util/utf8.h"

#include <stdarg.h>

void jade_content_report(struct jade_diags *d, const struct jade_file *f, enum jade_severity sev,
                         const char *pointer, bool at_key, const char *fmt, ...)
{
    int line = 0, col = 0;
    if (f->text) {
        size_t off = jade_json_locate(f->text, f->len, pointer, at_key);
        jade_utf8_line_col(f->text, f->len, off, &line, &col);
    }
    struct jade_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    jade_diags_add(d, sev, f->display, line, col, pointer, "%s", jade_buf_str(&msg));
    jade_buf_free(&msg);
}
