// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "listen_address.h"

static int parse_port(const char *s, in_port_t *port)
{
	size_t len = strlen(s);
	unsigned long v;

	if (!len || len > 5 || strspn(s, "0123456789") != len)
		return -EINVAL;
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

int listen_address_parse(const char *address, struct sockaddr_storage *sa, socklen_t *sa_len)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
	const char *colon, *host = address, *host_end;
	char buf[INET6_ADDRSTRLEN];
	in_port_t port;
	size_t len;

	if (address[0] == '[') {
		host = address + 1;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':')
			return -EINVAL;
		colon = host_end + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return -EINVAL;
		host_end = colon;
	}
	len = (size_t)(host_end - host);
	if (parse_port(colon + 1, &port) || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, len);
	buf[len] = '\0';

	memset(sa, 0, sizeof(*sa));
	if (address[0] == '[') {
		if (inet_pton(AF_INET6, buf, &in6->sin6_addr) != 1)
			return -EINVAL;
	} else if (!len) {
		in6->sin6_addr = in6addr_any;
	} else {
		/* A bare IPv6 address would leave its port ambiguous: only IPv4 here. */
		if (!strcmp(buf, "localhost"))
			strcpy(buf, "127.0.0.1");
		if (inet_pton(AF_INET, buf, &in4->sin_addr) != 1)
			return -EINVAL;
		in4->sin_family = AF_INET;
		in4->sin_port = port;
		*sa_len = sizeof(*in4);
		return 0;
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = port;
	*sa_len = sizeof(*in6);
	return 0;
}
