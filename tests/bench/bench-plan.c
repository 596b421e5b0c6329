/* bench-plan.c - planning measured inside one process, beside loading.
 *
 * usage: bench-plan DIR FROM TO   (times as jade plan takes them, UTC)
 * Prints one line: load_seconds plan_seconds occurrences bytes_per_occurrence
 * where bytes are the heap the plan holds (mallinfo2) over its occurrences. */
#include "content/content.h"
#include "plan/plan.h"
#include "source/source.h"
#include "util/buf.h"
#include "util/timeparse.h"

#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t utc(const char *s)
{
    struct jade_time t;
    int64_t out = 0;
    if (jade_time_parse_content(s, &t) == 0) jade_time_to_unix(&t, "UTC", &out);
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-plan DIR FROM TO\n");
        return 2;
    }
    struct jade_source *src;
    struct jade_buf err = {0};
    if (jade_source_open_dir(argv[1], &src, &err) != 0) {
        fprintf(stderr, "%s\n", jade_buf_str(&err));
        return 2;
    }
    double t0 = now();
    struct jade_diags diags = {0};
    struct jade_content *c = jade_content_load(src, NULL, &diags);
    double t1 = now();
    if (!c || diags.errors) {
        fprintf(stderr, "the tree is not valid\n");
        return 1;
    }
    struct mallinfo2 before = mallinfo2();
    struct jade_plan plan = {0};
    double t2 = now();
    jade_plan_build(c, utc(argv[2]), utc(argv[3]), NULL, &plan, &diags);
    double t3 = now();
    if (getenv("BENCH_PLAN_TWICE")) {
        struct jade_plan again = {0};
        double t4 = now();
        jade_plan_build(c, utc(argv[2]), utc(argv[3]), NULL, &again, &diags);
        fprintf(stderr, "second plan: %.4f s\n", now() - t4);
        jade_plan_free(&again);
    }
    struct mallinfo2 after = mallinfo2();
    double heap =
        (double)(after.uordblks + after.hblkhd) - (double)(before.uordblks + before.hblkhd);
    printf("%.4f %.4f %zu %.1f\n", t1 - t0, t3 - t2, plan.count,
           plan.count ? heap / (double)plan.count : 0.0);
    jade_plan_free(&plan);
    jade_content_free(c);
    jade_diags_free(&diags);
    jade_source_free(src);
    return 0;
}
