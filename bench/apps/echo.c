/* The Unix-socket ping-pong floor: echoes every byte back, up to 64 clients in one poll loop.
 * Build: cc -O2 -o echo echo.c; run: ./echo PATH. It is the cheapest possible server side of a round trip,
 * so a status round trip can be compared with what the socket itself costs on this machine. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: echo PATH\n"); return 64; }
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 64) != 0) {
        perror("echo: bind");
        return 1;
    }
    struct pollfd fds[65] = {{.fd = listener, .events = POLLIN}};
    int count = 1;
    char buffer[65536];
    for (;;) {
        if (poll(fds, count, -1) < 0) continue;
        if ((fds[0].revents & POLLIN) && count < 65) {
            fds[count].fd = accept(listener, NULL, NULL);
            fds[count].events = POLLIN;
            fds[count].revents = 0;
            if (fds[count].fd >= 0) count++;
        }
        for (int i = 1; i < count; i++) {
            if (!fds[i].revents) continue;
            ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0 || write(fds[i].fd, buffer, n) != n) {
                close(fds[i].fd);
                fds[i--] = fds[--count];
            }
        }
    }
}
