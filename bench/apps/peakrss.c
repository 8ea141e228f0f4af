/* Runs a command and prints its peak resident set size in KiB (ru_maxrss from wait4) on stderr's last line.
 * The harness cannot read it from its own children: a child forked (or vforked) from Python starts with
 * Python's pages, and the kernel keeps that high-water mark across exec. Forked from this small process,
 * the figure is the command's own. Build: cc -O2 -o peakrss peakrss.c; run: ./peakrss CMD [ARGS...]. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: peakrss CMD [ARGS...]\n"); return 64; }
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[1], argv + 1);
        perror("peakrss: exec");
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (pid < 0 || wait4(pid, &status, 0, &usage) != pid) { perror("peakrss"); return 1; }
    fprintf(stderr, "peakrss %ld\n", usage.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
