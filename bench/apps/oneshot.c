/* The whole-command floor for `drainctl status`: connect to a control socket, send one request line,
 * half-close, copy the answer to stdout until EOF, exit. What `drainctl status --json` has to do, in C.
 * Build: cc -O2 -o oneshot oneshot.c; run: ./oneshot PATH '{"op":"status"}'. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: oneshot PATH REQUEST\n"); return 64; }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("oneshot: connect"); return 3; }
    size_t length = strlen(argv[2]);
    if (write(fd, argv[2], length) != (ssize_t)length || write(fd, "\n", 1) != 1) { perror("oneshot: write"); return 2; }
    shutdown(fd, SHUT_WR);
    char buffer[65536];
    ssize_t count;
    size_t total = 0;
    while ((count = read(fd, buffer, sizeof buffer)) > 0) {
        if (write(STDOUT_FILENO, buffer, (size_t)count) != count) return 2;
        total += (size_t)count;
    }
    return total > 0 ? 0 : 2;
}
