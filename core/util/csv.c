/* csv.c - CSV records (see csv.h). */
#include "csv.h"

#include <string.h>

static void field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void jade_csv_record(FILE *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', out);
        field(out, fields[i] ? fields[i] : "");
    }
    fputs("\r\n", out);
}
