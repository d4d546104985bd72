// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "basic_auth.h"
#include "http.h"
#include "listen_address.h"
#include "log.h"
#include "scrape_stream.h"

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define AUTH_REALM "bpfmap_exporter"

struct http_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	char *listen_address;
	char *telemetry_path;
	int (*scrape)(void *arg, struct expo *out);
	void *arg;
	unsigned int max_connections, max_connections_per_ip, timeout_seconds;
	/* TLS (cert NULL: plain HTTP) */
	char *cert_pem, *key_pem, *client_ca_pem;
	char priorities[128];
	enum web_client_auth client_auth;
	struct basic_auth *auth; /* NULL: no authentication */
};

/* Bind ourselves rather than through MHD, so a failure says exactly why. */
static int open_listener(const char *address, int *fd_out)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int fd = -1, err = 0, one = 1, zero = 0;

	if (listen_address_parse(address, &sa, &sa_len)) {
		log_error("bad listen address \"%s\": want IP:port, :port or [IPv6]:port "
			  "(numeric addresses or localhost)",
			  address);
		return -EINVAL;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && sa.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&sa)->sin6_addr)) {
		/* ":port" on a host without IPv6: IPv4 any */
		struct sockaddr_in *in4 = (struct sockaddr_in *)&sa;
		in_port_t port = ((struct sockaddr_in6 *)&sa)->sin6_port;

		memset(&sa, 0, sizeof(sa));
		in4->sin_family = AF_INET;
		in4->sin_port = port;
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		sa_len = sizeof(*in4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sa_len) || listen(fd, 64))
		err = -errno;
out:
	if (err) {
		log_error("cannot listen on %s: %s%s", address, strerror(-err),
			  err == -EADDRINUSE ? " (another process holds the port: stop it or "
					       "choose another --web.listen-address)"
					     : "");
		if (fd >= 0)
			close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

/* Headers, then queued; the response is ours no more. */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, const char *content_type,
			     const char *encoding)
{
	enum MHD_Result ret;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *content_type, void *body, size_t len,
			       enum MHD_ResponseMemoryMode mode, const char *encoding)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	return queue(conn, status, resp, content_type, encoding);
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text)
{
	return respond(conn, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
		       MHD_RESPMEM_PERSISTENT, NULL);
}

/* Does Accept-Encoding allow gzip? (a token "gzip" not weighted q=0) */
static bool wants_gzip(struct MHD_Connection *conn)
{
	const char *h =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	char copy[256], *tok, *save;

	if (!h || strlen(h) >= sizeof(copy))
		return false;
	strcpy(copy, h);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *params = strchr(tok, ';');

		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (strncasecmp(tok, "gzip", 4) || (tok[4] && tok[4] != ';' && tok[4] != ' '))
			continue;
		if (params && strstr(params, "q=0") && !strpbrk(params, "123456789"))
			return false;
		return true;
	}
	return false;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = scrape_stream__read(cls, buf, max);

	(void)pos;
	if (n > 0)
		return n;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Too late for a 500: the connection is cut, so the client sees a failed scrape. */
	log_error("scrape failed mid-response: %s", strerror((int)-n));
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	scrape_stream__free(cls);
}

/* Whatever the scrape has written so far goes out while it writes the rest. */
static enum MHD_Result respond_streaming(struct MHD_Connection *conn, struct scrape_stream *st,
					 bool gzip)
{
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, SCRAPE_STREAM_CHUNK, stream_read, st, stream_free);

	if (!resp) {
		scrape_stream__free(st);
		return MHD_NO;
	}
	/* st is freed through stream_free once sent */
	return queue(conn, MHD_HTTP_OK, resp, CONTENT_TYPE_METRICS, gzip ? "gzip" : NULL);
}

/*
 * HEAD gets no body, so there is nothing to stream: its answer is whole
 * (libmicrohttpd would send a chunked body's last chunk even to HEAD).
 */
static enum MHD_Result serve_metrics(struct http_server *srv, struct MHD_Connection *conn,
				     bool head)
{
	bool gzip = wants_gzip(conn);
	struct scrape_stream *st;
	char *body = NULL;
	size_t len;
	int err;

	err = scrape_stream__start(&st, srv->scrape, srv->arg, head ? 0 : SCRAPE_STREAM_CHUNK,
				   gzip);
	if (err)
		goto failed;
	err = scrape_stream__wait(st, &body, &len);
	if (err == 1)
		return respond_streaming(conn, st, gzip);
	scrape_stream__free(st);
	if (err)
		goto failed;
	/* Small enough for one chunk: answered whole, with its length. */
	return respond(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, body, len, MHD_RESPMEM_MUST_FREE,
		       gzip ? "gzip" : NULL);
failed:
	log_error("scrape failed: %s", strerror(-err));
	return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "scrape failed, see the exporter's log\n");
}

static enum MHD_Result serve_landing(struct http_server *srv, struct MHD_Connection *conn)
{
	char page[1024];
	int n;

	/* The path was validated by the config (no quotes or angle brackets can break out). */
	n = snprintf(page, sizeof(page),
		     "<!DOCTYPE html>\n<html><head><title>bpfmap_exporter</title></head>\n"
		     "<body><h1>bpfmap_exporter</h1>\n"
		     "<p>Prometheus exporter for eBPF maps and programs.</p>\n"
		     "<ul><li><a href=\"%s\">Metrics</a></li>"
		     "<li><a href=\"/healthz\">Health</a></li></ul>\n</body></html>\n",
		     srv->telemetry_path);
	if (n < 0 || (size_t)n >= sizeof(page))
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "page too long\n");
	return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", page, (size_t)n,
		       MHD_RESPMEM_MUST_COPY, NULL);
}

/* 401 with a challenge and nothing else: no metrics, no page. */
static enum MHD_Result respond_unauthorized(struct MHD_Connection *conn)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(conn, AUTH_REALM, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool authorized(struct http_server *srv, struct MHD_Connection *conn)
{
	char *password = NULL, *user;
	bool ok = false;

	user = MHD_basic_auth_get_username_password(conn, &password);
	if (user && password)
		ok = basic_auth__check(srv->auth, user, password);
	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/*
 * The client's certificate chain against client_ca_file, for TLS web
 * clients (Go's RequireAndVerifyClientCert checks the same purpose).
 * Runs inside the handshake: a failure aborts it.
 */
static int verify_client_cert(gnutls_session_t session)
{
	gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
					 .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT};
	unsigned int nr_certs = 0, status = 0;
	gnutls_datum_t why = {};

	if (!gnutls_certificate_get_peers(session, &nr_certs) || !nr_certs)
		return 0; /* none: allowed where the request mode allows it */
	if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0)
		status = GNUTLS_CERT_INVALID;
	if (!status)
		return 0;
	if (!gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0)) {
		log_warn("client certificate rejected: %s", (const char *)why.data);
		gnutls_free(why.data);
	}
	return -1;
}

/* Marks a connection whose TLS session got our client-certificate policy. */
static int policy_set;

/* Before the handshake: how this connection asks for and checks client certificates. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	static const gnutls_certificate_request_t modes[] = {
		[WEB_CLIENT_AUTH_NONE] = GNUTLS_CERT_IGNORE,
		[WEB_CLIENT_AUTH_REQUEST] = GNUTLS_CERT_REQUEST,
		[WEB_CLIENT_AUTH_REQUIRE_ANY] = GNUTLS_CERT_REQUIRE,
		[WEB_CLIENT_AUTH_VERIFY_IF_GIVEN] = GNUTLS_CERT_REQUEST,
		[WEB_CLIENT_AUTH_REQUIRE_AND_VERIFY] = GNUTLS_CERT_REQUIRE,
	};
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;

	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return; /* handle() refuses a connection left unmarked */
	session = info->tls_session;
	gnutls_certificate_server_set_request(session, modes[srv->client_auth]);
	if (srv->client_auth == WEB_CLIENT_AUTH_VERIFY_IF_GIVEN ||
	    srv->client_auth == WEB_CLIENT_AUTH_REQUIRE_AND_VERIFY)
		gnutls_session_set_verify_function(session, verify_client_cert);
	*socket_context = &policy_set;
}

static bool policy_applied(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info && info->socket_context == &policy_set;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static int request_seen; /* only its address is used, as a marker */
	struct http_server *srv = cls;

	(void)version;
	(void)upload_data;
	/*
	 * Answer only once the whole request is in (the first call comes
	 * after the headers, then one per body chunk, then a last one):
	 * a response queued earlier makes MHD close the connection, which
	 * breaks keep-alive and pipelining.
	 */
	if (!*req_cls) {
		*req_cls = &request_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body we do not read */
		return MHD_YES;
	}
	/* Fail closed if a TLS connection escaped the client-certificate policy. */
	if (srv->client_auth != WEB_CLIENT_AUTH_NONE && !policy_applied(conn))
		return MHD_NO;
	/* Every path, /healthz included: without credentials, nothing. */
	if (srv->auth && !authorized(srv, conn))
		return respond_unauthorized(conn);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "method not allowed: use GET or HEAD\n");
	if (!strcmp(url, srv->telemetry_path))
		return serve_metrics(srv, conn, !strcmp(method, MHD_HTTP_METHOD_HEAD));
	if (!strcmp(url, "/"))
		return serve_landing(srv, conn);
	if (!strcmp(url, "/healthz"))
		return respond_text(conn, MHD_HTTP_OK, "OK\n");
	return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_DEBUG, fmt, ap); /* client-side trouble (resets, timeouts): not ours */
}

static int copy_string(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* TLS material and users from the web config, copied: it may be freed after new. */
static int setup_web(struct http_server *srv, const struct web_config *web)
{
	int err = 0, n;

	if (web->tls) {
		n = snprintf(srv->priorities, sizeof(srv->priorities), "NORMAL:-VERS-ALL%s%s%s",
			     web->max_version >= 13 ? ":+VERS-TLS1.3" : "",
			     web->min_version <= 12 ? ":+VERS-TLS1.2" : "",
			     web->prefer_server_cipher_suites ? ":%SERVER_PRECEDENCE" : "");
		if (n < 0 || (size_t)n >= sizeof(srv->priorities))
			return -EINVAL;
		srv->client_auth = web->client_auth;
		err = copy_string(&srv->cert_pem, web->cert_pem);
		if (!err)
			err = copy_string(&srv->key_pem, web->key_pem);
		if (!err)
			err = copy_string(&srv->client_ca_pem, web->client_ca_pem);
		if (err)
			return err;
	}
	if (web->nr_users)
		err = basic_auth__new(&srv->auth, web->users, web->nr_users);
	return err;
}

int http_server__new(struct http_server **out, const struct http_opts *opts)
{
	struct http_server *srv;
	int err;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = -1;
	srv->scrape = opts->scrape;
	srv->arg = opts->arg;
	srv->max_connections = opts->max_connections;
	srv->max_connections_per_ip = opts->max_connections_per_ip;
	srv->timeout_seconds = opts->timeout_seconds;
	err = copy_string(&srv->telemetry_path, opts->telemetry_path);
	if (!err)
		err = copy_string(&srv->listen_address, opts->listen_address);
	if (!err && opts->web)
		err = setup_web(srv, opts->web);
	if (err) {
		log_error("cannot set up the HTTP server: %s", strerror(-err));
		goto err;
	}
	err = open_listener(opts->listen_address, &srv->listen_fd);
	if (err)
		goto err;
	*out = srv;
	return 0;
err:
	http_server__stop(srv);
	return err;
}

int http_server__start(struct http_server *srv)
{
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, srv->priorities},
		{MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
		/* last: absent without a client CA */
		{srv->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
		 srv->client_ca_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG | MHD_USE_ITC;

	if (srv->cert_pem)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, MHD_OPTION_CONNECTION_LIMIT,
		srv->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		srv->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_seconds,
		/* bounds request headers and URL: larger ones get 431/414 */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!srv->daemon) {
		log_error("cannot start the HTTP server on %s%s", srv->listen_address,
			  srv->cert_pem ? " (TLS set-up failed; --log.level=debug tells why)" : "");
		return -EIO;
	}
	srv->listen_fd = -1; /* MHD_stop_daemon closes it now */
	log_info("listening on %s, metrics at %s%s%s", srv->listen_address, srv->telemetry_path,
		 srv->cert_pem ? ", TLS" : "", srv->auth ? ", basic auth" : "");
	return 0;
}

void http_server__stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon); /* joins the connection threads */
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	free(srv->listen_address);
	free(srv->telemetry_path);
	free(srv->cert_pem);
	if (srv->key_pem)
		explicit_bzero(srv->key_pem, strlen(srv->key_pem));
	free(srv->key_pem);
	free(srv->client_ca_pem);
	basic_auth__free(srv->auth);
	free(srv);
}
