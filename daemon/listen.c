/*
 * The listening sockets: probing an existing socket file (refuse when a
 * daemon answers there, remove it when stale), creating the Unix socket with
 * its mode, the optional TCP listener, and removing the socket file again at
 * shutdown. See server.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errno_text.h"
#include "handlers.h"
#include "log.h"
#include "server.h"

#define CFD__BACKLOG 1024

static int cfd__unix_addr(const char *path, struct sockaddr_un *a, cfd_error *err)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a->sun_path))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "socket path \"%s\" is longer than %zu bytes: choose a shorter "
                             "--socket", path, sizeof(a->sun_path) - 1);
    memcpy(a->sun_path, path, strlen(path));
    return 0;
}

/* An existing file at the path: refuse if a daemon answers, remove if stale. */
static int cfd__probe_socket(const char *path, const struct sockaddr_un *a, cfd_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0
                               : cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: %s", path,
                                               cfd_errno_str(errno));
    if (!S_ISSOCK(st.st_mode))
        return cfd_error_set(err, CFD_EEXIST, (size_t)-1,
                             "%s exists and is not a socket: remove it or choose another --socket",
                             path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "socket: %s", cfd_errno_str(errno));
    int rc = connect(fd, (const struct sockaddr *)a, sizeof(*a));
    int e = errno;
    close(fd);
    if (rc == 0 || e == EAGAIN)
        return cfd_error_set(err, CFD_EEXIST, (size_t)-1,
                             "another daemon is listening on %s: stop it first, or choose "
                             "another --socket", path);
    if (e != ECONNREFUSED)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot probe the existing socket %s: %s",
                             path, cfd_errno_str(e));
    if (unlink(path) != 0 && errno != ENOENT)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot remove the stale socket %s: %s",
                             path, cfd_errno_str(errno));
    cfd_log(CFD_LOG_INFO, "removed stale socket %s (nobody was listening)", path);
    return 0;
}

/* The directory part of path into dir (dirname(3) on a copy): "." when it
 * has none, "/" for a file in the root. */
static void cfd__dir_of(const char *path, char *dir, size_t n)
{
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(copy, sizeof(copy), "%s", path);
    snprintf(dir, n, "%s", dirname(copy));
}

static void cfd__make_parent(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    cfd__dir_of(path, dir, sizeof(dir));
    if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0)
        return;
    if (mkdir(dir, 0755) == 0)
        cfd_log(CFD_LOG_INFO, "created directory %s for the socket", dir);
    else if (errno != EEXIST)
        cfd_log(CFD_LOG_ERROR, "cannot create the socket directory %s: %s (create it, "
                "writable by the daemon's user, or choose another --socket)",
                dir, cfd_errno_str(errno));
}

static int cfd__listen_unix(cfd_server *s, const cfd_config *cfg, cfd_error *err)
{
    struct sockaddr_un a;
    int rc;
    if ((rc = cfd__unix_addr(cfg->socket_path, &a, err)) != 0 ||
        (rc = cfd__probe_socket(cfg->socket_path, &a, err)) != 0)
        return rc;
    cfd__make_parent(cfg->socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "socket: %s", cfd_errno_str(errno));
    /* Create the file with exactly the wanted mode (socket_mode <= 0777;
     * umask is process-wide, but no other thread runs yet). No chmod after
     * bind: it would follow a symlink put at the path in between. */
    mode_t old = umask(0777 & ~(mode_t)cfg->socket_mode);
    rc = bind(fd, (const struct sockaddr *)&a, sizeof(a));
    int e = errno;
    umask(old);
    if (rc != 0) {
        close(fd);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot bind %s: %s", cfg->socket_path,
                             cfd_errno_str(e));
    }
    struct stat st;
    if (lstat(cfg->socket_path, &st) != 0 || listen(fd, CFD__BACKLOG) != 0) {
        e = errno;
        close(fd);
        unlink(cfg->socket_path);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot listen on %s: %s",
                             cfg->socket_path, cfd_errno_str(e));
    }
    if ((st.st_mode & 0777) != (mode_t)cfg->socket_mode) {
        /* A default ACL on the directory masks the mode bind asked for
         * (bind applies the umask, then the ACL): set it exactly, without
         * following a symlink (glibc does this through an O_PATH fd). */
        if (fchmodat(AT_FDCWD, cfg->socket_path, (mode_t)cfg->socket_mode,
                     AT_SYMLINK_NOFOLLOW) != 0 || lstat(cfg->socket_path, &st) != 0)
            cfd_log(CFD_LOG_WARN, "socket %s: mode %04o, not the %04o asked for (a default "
                    "ACL on its directory?): %s", cfg->socket_path, (unsigned)(st.st_mode & 0777),
                    cfg->socket_mode, cfd_errno_str(errno));
    }
    s->sock_dev = st.st_dev;
    s->sock_ino = st.st_ino;
    s->unix_fd = fd;
    return 0;
}

static int cfd__resolve_tcp(const char *host, unsigned port_no, struct addrinfo **res,
                            cfd_error *err)
{
    struct addrinfo hints;
    char port[8];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", port_no);
    int g = getaddrinfo(host, port, &hints, res);
    if (g != 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "tcp %s:%u: %s", host, port_no,
                             gai_strerror(g));
    return 0;
}

int cfd_server_check_tcp(const char *host, unsigned port, cfd_error *err)
{
    struct addrinfo *res = NULL;
    int rc = cfd__resolve_tcp(host, port, &res, err);
    if (res != NULL)
        freeaddrinfo(res);
    return rc;
}

static int cfd__listen_tcp(cfd_server *s, const cfd_config *cfg, cfd_error *err)
{
    struct addrinfo *res = NULL;
    int g = cfd__resolve_tcp(cfg->tcp_host, cfg->tcp_port, &res, err);
    if (g != 0)
        return g;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, e = 0;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, CFD__BACKLOG) != 0)
        e = errno;
    freeaddrinfo(res);
    if (e) {
        if (fd >= 0)
            close(fd);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot listen on tcp %s:%u: %s",
                             cfg->tcp_host, cfg->tcp_port, cfd_errno_str(e));
    }
    s->tcp_fd = fd;
    /* The port bound, which port 0 (any free one) leaves to the kernel. */
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    s->tcp_port = cfg->tcp_port;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        s->tcp_port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                     : ((struct sockaddr_in *)&sa)->sin_port);
        /* Classification has no authentication of its own (admin calls are
         * refused over TCP): a listener beyond loopback is a choice to make
         * knowingly, behind a firewall or a load balancer. */
        const struct in6_addr *a6 = &((struct sockaddr_in6 *)&sa)->sin6_addr;
        int loop = sa.ss_family == AF_INET6
                       ? IN6_IS_ADDR_LOOPBACK(a6) ||
                             (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127) /* ::ffff:127.x */
                       : (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
        if (!loop)
            cfd_log(CFD_LOG_WARN, "tcp %s: not a loopback address, so any host that can reach "
                    "port %u may classify articles (admin calls stay refused over TCP); keep "
                    "it behind a firewall, or use --tcp 127.0.0.1:PORT", cfg->tcp_host,
                    s->tcp_port);
    }
    return 0;
}

int cfd_server_check_socket_path(const char *path, cfd_error *err)
{
    struct sockaddr_un a;
    int rc = cfd__unix_addr(path, &a, err);
    if (rc != 0)
        return rc;
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) /* cfd__probe_socket's refusal */
        return cfd_error_set(err, CFD_EEXIST, (size_t)-1,
                             "%s exists and is not a socket: remove it or choose another --socket",
                             path);
    char dir[sizeof(a.sun_path)], parent[sizeof(a.sun_path)];
    cfd__dir_of(path, dir, sizeof(dir));
    cfd__dir_of(dir, parent, sizeof(parent));
    /* start-up creates one missing directory level (cfd__make_parent) */
    if (access(dir, W_OK | X_OK) != 0 && (errno != ENOENT || access(parent, W_OK | X_OK) != 0))
        return cfd_error_set(err, CFD_EIO, (size_t)-1,
                             "the socket's directory %s cannot be used: %s (create it, "
                             "writable by the daemon's user, or choose another --socket)",
                             dir, cfd_errno_str(errno));
    return 0;
}

int cfd_server_listen(cfd_server *s, const cfd_config *cfg, cfd_error *err)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->unix_fd = s->tcp_fd = -1;
    s->limits.max_body = cfg->max_body;
    s->limits.max_header = cfg->max_header;
    s->limits.precheck = cfd_classify_precheck;
    int rc = cfd__listen_unix(s, cfg, err);
    if (rc == 0 && cfg->tcp_host)
        rc = cfd__listen_tcp(s, cfg, err);
    if (rc != 0)
        cfd_server_close(s);
    return rc;
}

/* Removes the socket file if it is still the one we created. */
void cfd_server_unlink_socket(cfd_server *s)
{
    struct stat st;
    if (s->unix_fd < 0 || s->sock_unlinked)
        return;
    if (stat(s->cfg->socket_path, &st) == 0 && st.st_dev == s->sock_dev &&
        st.st_ino == s->sock_ino)
        unlink(s->cfg->socket_path);
    s->sock_unlinked = 1;
}

void cfd_server_close(cfd_server *s)
{
    if (s->unix_fd >= 0) {
        cfd_server_unlink_socket(s);
        close(s->unix_fd);
        s->unix_fd = -1;
    }
    if (s->tcp_fd >= 0) {
        close(s->tcp_fd);
        s->tcp_fd = -1;
    }
}
