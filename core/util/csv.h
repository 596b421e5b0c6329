/* csv.h - CSV records as RFC 4180 writes them, for every command's
 * --format csv: fields separated by commas, quoted (inner quotes doubled)
 * when they hold a comma, a quote or a line end, each record ended by
 * CRLF. Bytes are written as they are: UTF-8 in, UTF-8 out. */
#ifndef JADE_CSV_H
#define JADE_CSV_H

#include <stddef.h>
#include <stdio.h>

/* One record of n fields (NULL: an empty field). */
void jade_csv_record(FILE *out, const char *const *fields, size_t n);

#endif
