/* floor-read.c - the benchmarks' floor: read every file of a tree once,
 * single-threaded, doing nothing with the bytes. jade cannot be faster than
 * reading its input. usage: floor-read DIR */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static unsigned long long total_bytes, total_files;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F) return 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) total_bytes += (unsigned long long)n;
    close(fd);
    total_files++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: floor-read DIR\n");
        return 2;
    }
    if (nftw(argv[1], visit, 64, FTW_PHYS) != 0) return 1;
    fprintf(stderr, "%llu files, %llu bytes\n", total_files, total_bytes);
    return 0;
}
