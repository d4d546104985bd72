/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP front end (libmicrohttpd): the telemetry path, a landing page,
 * /healthz; 404 and 405 for everything else. One thread per connection,
 * bounded in number and idle time. Optionally TLS (GnuTLS), client
 * certificates and basic authentication, from a web config.
 */
#ifndef BPFMAP_HTTP_H
#define BPFMAP_HTTP_H

#include "expo.h"
#include "web_config.h"

struct http_opts {
	const char *listen_address; /* ":2112", "127.0.0.1:2112", "[::1]:2112" */
	const char *telemetry_path;
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	unsigned int timeout_seconds;
	/* Fills out with one fresh exposition; 0 or -errno (then 500). */
	int (*scrape)(void *arg, struct expo *out);
	void *arg;
	/* TLS and users; NULL: plain HTTP, no authentication. Used only in new. */
	const struct web_config *web;
};

struct http_server;

/*
 * Binds and prepares, but starts no thread yet (so privileges can be
 * dropped in between); -errno with one log line naming the cause.
 */
int http_server__new(struct http_server **out, const struct http_opts *opts);
/* Starts serving; -errno with one log line. */
int http_server__start(struct http_server *srv);
void http_server__stop(struct http_server *srv); /* NULL-safe; waits for in-flight requests */

#endif
