/*
 * hotbench: the C side of hotline's benchmarks. The ceiling for what a user-space copy
 * loop can do on this machine, and a load generator fast enough never to be the
 * bottleneck. Loopback only.
 *
 *   hotbench copy listen HOST PORT     like nc -l: stdin -> socket, socket -> stdout
 *   hotbench copy connect HOST PORT    like nc; FIN at stdin EOF, done when both ends are
 *   hotbench sink                      read stdin to EOF; print "<bytes> <sum64>"
 *   hotbench sum FILE                  print "<bytes> <sum64>" of a file
 *   hotbench echo HOST PORT            epoll echo server; prints "listening on PORT"
 *   hotbench load HOST PORT CONNS SECONDS   64-byte ping-pong on CONNS connections;
 *                                      prints "messages <n> p50_us <x> p99_us <y>"
 *   hotbench rate HOST PORT SECONDS PARALLEL   connect+close as fast as possible;
 *                                      prints "connections <n>"
 *   hotbench idle HOST PORT N          open N connections, print "ready", hold until stdin EOF
 *   hotbench fanout HOST PORT RECEIVERS FROZEN SECONDS   a broker's load: RECEIVERS readers
 *                                      and FROZEN that never read, then one sender writing
 *                                      64-byte messages 64 at a time; prints
 *                                      "deliveries <n> seconds <s> closed <c>" (whole messages
 *                                      the readers got; readers the broker closed)
 *   hotbench rusage FILE CMD ARGS...   run CMD with this stdio; write "<user s> <sys s> <maxrss KiB>"
 *                                      to FILE; exit with CMD's status
 *
 * The checksum is the byte count and the sum of little-endian 64-bit words (the tail
 * zero-padded): cheap enough to run at memory speed, enough to catch loss and reordering
 * of whole blocks. SHA-256 would make the hasher the bottleneck.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF (256 * 1024)

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(const char *host, const char *port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)atoi(port));
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "hotbench: %s is not an IPv4 address\n", host);
    exit(2);
  }
  return a;
}

static int listen_on(const char *host, const char *port, int backlog) {
  struct sockaddr_in a = addr_of(host, port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, backlog) < 0) die("listen");
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  fprintf(stderr, "listening on %s:%d\n", host, ntohs(a.sin_port));
  return fd;
}

static int dial(const char *host, const char *port) {
  struct sockaddr_in a = addr_of(host, port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  return fd;
}

/* Writes everything or dies. */
static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= (size_t)w;
  }
}

/* nc-like copy: two directions with poll, FIN at stdin EOF, done when both are done. */
static int copy(int argc, char **argv) {
  if (argc < 5) return 2;
  int sock;
  if (strcmp(argv[2], "listen") == 0) {
    int l = listen_on(argv[3], argv[4], 1);
    sock = accept(l, NULL, NULL);
    if (sock < 0) die("accept");
    close(l);
  } else {
    sock = dial(argv[3], argv[4]);
  }
  static char up[BUF], down[BUF];
  int in_open = 1, sock_open = 1;
  while (in_open || sock_open) {
    struct pollfd p[2] = {{in_open ? 0 : -1, POLLIN, 0}, {sock_open ? sock : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (in_open && (p[0].revents & (POLLIN | POLLHUP))) {
      ssize_t n = read(0, up, BUF);
      if (n <= 0) {
        in_open = 0;
        shutdown(sock, SHUT_WR);
      } else {
        write_all(sock, up, (size_t)n);
      }
    }
    if (sock_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(sock, down, BUF);
      if (n <= 0) {
        sock_open = 0;
        close(1);
      } else {
        write_all(1, down, (size_t)n);
      }
    }
  }
  close(sock);
  return 0;
}

static void sum_fd(int fd) {
  static char buf[1 << 20];
  uint64_t total = 0, sum = 0;
  size_t carry = 0; /* bytes of a partial word left at the end of the last read */
  for (;;) {
    ssize_t n = read(fd, buf + carry, sizeof buf - carry);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) break;
    total += (uint64_t)n;
    size_t have = carry + (size_t)n, words = have / 8;
    for (size_t i = 0; i < words; i++) {
      uint64_t w;
      memcpy(&w, buf + i * 8, 8);
      sum += w;
    }
    carry = have - words * 8;
    memmove(buf, buf + words * 8, carry);
  }
  if (carry) {
    uint64_t w = 0;
    memcpy(&w, buf, carry);
    sum += w;
  }
  printf("%llu %016llx\n", (unsigned long long)total, (unsigned long long)sum);
}

static int echo(int argc, char **argv) {
  if (argc < 4) return 2;
  int l = listen_on(argv[2], argv[3], 4096);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  static char buf[65536];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == l) {
        int c = accept(l, NULL, NULL);
        if (c < 0) continue;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        close(fd);
        continue;
      }
      write_all(fd, buf, (size_t)r);
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* 64-byte ping-pong on CONNS connections for SECONDS; latency of every round trip. */
static int load(int argc, char **argv) {
  if (argc < 6) return 2;
  int conns = atoi(argv[4]);
  double seconds = atof(argv[5]);
  int ep = epoll_create1(0);
  int *fds = calloc((size_t)conns, sizeof *fds);
  double *sent_at = calloc((size_t)conns, sizeof *sent_at);
  int *got = calloc((size_t)conns, sizeof *got);
  size_t cap = 1 << 20, count = 0;
  double *rtt = malloc(cap * sizeof *rtt);
  char msg[64];
  memset(msg, 'p', sizeof msg);
  for (int i = 0; i < conns; i++) {
    fds[i] = dial(argv[2], argv[3]);
    int one = 1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  double start = now(), end = start + seconds;
  for (int i = 0; i < conns; i++) {
    sent_at[i] = now();
    write_all(fds[i], msg, sizeof msg);
  }
  uint64_t messages = 0;
  struct epoll_event events[512];
  char buf[4096];
  while (now() < end) {
    int n = epoll_wait(ep, events, 512, 100);
    for (int e = 0; e < n; e++) {
      int i = (int)events[e].data.u32;
      ssize_t r = read(fds[i], buf, sizeof buf);
      if (r <= 0) die("load: the server closed a connection");
      got[i] += (int)r;
      while (got[i] >= 64) {
        got[i] -= 64;
        double t = now();
        if (count == cap) rtt = realloc(rtt, (cap *= 2) * sizeof *rtt);
        rtt[count++] = (t - sent_at[i]) * 1e6;
        messages++;
        sent_at[i] = t;
        write_all(fds[i], msg, sizeof msg);
      }
    }
  }
  double elapsed = now() - start;
  qsort(rtt, count, sizeof *rtt, cmp_double);
  double p50 = count ? rtt[count / 2] : 0, p99 = count ? rtt[(size_t)(count * 0.99)] : 0;
  printf("messages %llu seconds %.3f p50_us %.1f p99_us %.1f\n", (unsigned long long)messages, elapsed, p50, p99);
  return 0;
}

/* Connections opened and closed per second, PARALLEL at a time, by blocking workers. */
static int rate(int argc, char **argv) {
  if (argc < 6) return 2;
  double seconds = atof(argv[4]);
  int parallel = atoi(argv[5]);
  struct sockaddr_in a = addr_of(argv[2], argv[3]);
  int ep = epoll_create1(0);
  double end = now() + seconds;
  uint64_t done = 0;
  int open = 0;
  while (now() < end || open > 0) {
    while (open < parallel && now() < end) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT piling up on the client */
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      connect(fd, (struct sockaddr *)&a, sizeof a);
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.fd = fd};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      open++;
    }
    struct epoll_event events[256];
    int n = epoll_wait(ep, events, 256, 100);
    for (int e = 0; e < n; e++) {
      int fd = events[e].data.fd, err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) done++;
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      open--;
    }
  }
  printf("connections %llu seconds %.3f\n", (unsigned long long)done, seconds);
  return 0;
}

static int idle(int argc, char **argv) {
  if (argc < 5) return 2;
  int n = atoi(argv[4]);
  for (int i = 0; i < n; i++) dial(argv[2], argv[3]);
  printf("ready\n");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

/*
 * The broker fan-out load: every reader and the sender in one epoll loop, so every broker
 * is measured by the same C client, which takes about half the CPU of the broker it feeds
 * (2.4 CPU-s in a 5 s run at 100 readers, while the broker takes a whole core). The sender
 * never blocks (it writes while the broker takes); the readers read 256 KiB at a time.
 */
static int fanout(int argc, char **argv) {
  if (argc < 7) return 2;
  int receivers = atoi(argv[4]), frozen = atoi(argv[5]);
  double seconds = atof(argv[6]);
  signal(SIGPIPE, SIG_IGN); /* a broker that hangs up on the sender: EPIPE and a message, not a silent death */
  int ep = epoll_create1(0);
  for (int i = 0; i < receivers; i++) {
    int fd = dial(argv[2], argv[3]);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  for (int i = 0; i < frozen; i++) dial(argv[2], argv[3]); /* never read */
  int sender = dial(argv[2], argv[3]);
  fcntl(sender, F_SETFL, O_NONBLOCK);
  struct epoll_event sev = {.events = EPOLLOUT, .data.fd = sender};
  epoll_ctl(ep, EPOLL_CTL_ADD, sender, &sev);
  /* Let every join settle (hotline logs each call; ncat's is silent). */
  struct timespec settle = {0, 200 * 1000 * 1000};
  nanosleep(&settle, NULL);
  static char batch[64 * 64];
  memset(batch, 'a', sizeof batch);
  static char buf[BUF];
  uint64_t bytes = 0;
  size_t off = 0;
  int closed = 0;
  struct epoll_event events[512];
  double start = now(), end = start + seconds;
  while (now() < end) {
    int n = epoll_wait(ep, events, 512, 50);
    for (int e = 0; e < n; e++) {
      int fd = events[e].data.fd;
      if (fd == sender) {
        for (int k = 0; k < 64; k++) { /* then a turn for the readers */
          ssize_t w = write(sender, batch + off, sizeof batch - off);
          if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            die("fanout: write");
          }
          off = (off + (size_t)w) % sizeof batch; /* messages stay whole across short writes */
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        bytes += (uint64_t)r;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        closed++;
      }
    }
  }
  double elapsed = now() - start;
  printf("deliveries %llu seconds %.3f closed %d\n", (unsigned long long)(bytes / 64), elapsed, closed);
  return 0;
}

/* fork, exec, wait4: the child's CPU time and peak memory, with no shell in between. */
static int rusage_of(int argc, char **argv) {
  if (argc < 4) return 2;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    die("exec");
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) die("wait4");
  FILE *out = fopen(argv[2], "w");
  if (!out) die("fopen");
  fprintf(out, "%.6f %.6f %ld\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
          ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
  fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "rusage") == 0) return rusage_of(argc, argv);
  if (strcmp(argv[1], "copy") == 0) return copy(argc, argv);
  if (strcmp(argv[1], "sink") == 0) {
    sum_fd(0);
    return 0;
  }
  if (strcmp(argv[1], "sum") == 0 && argc > 2) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) die("open");
    sum_fd(fd);
    return 0;
  }
  if (strcmp(argv[1], "echo") == 0) return echo(argc, argv);
  if (strcmp(argv[1], "load") == 0) return load(argc, argv);
  if (strcmp(argv[1], "rate") == 0) return rate(argc, argv);
  if (strcmp(argv[1], "idle") == 0) return idle(argc, argv);
  if (strcmp(argv[1], "fanout") == 0) return fanout(argc, argv);
  fprintf(stderr, "hotbench: unknown command %s\n", argv[1]);
  return 2;
}
