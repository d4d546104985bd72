/* SPDX-License-Identifier: Apache-2.0 */
/* The one parser of listen addresses, for the config, the flags and the server. */
#ifndef BPFMAP_LISTEN_ADDRESS_H
#define BPFMAP_LISTEN_ADDRESS_H

#include <sys/socket.h>

/*
 * ":PORT" (every address: IPv6 any, dual-stack), "IPV4:PORT",
 * "[IPV6]:PORT" or "localhost:PORT" (127.0.0.1), PORT 1..65535. No other
 * names: a static binary has no NSS to resolve them with, and an exporter
 * binds to an interface address. 0, or -EINVAL.
 */
int listen_address_parse(const char *address, struct sockaddr_storage *sa, socklen_t *sa_len);

#endif
