// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "listen_address.h"

static void accepted_forms(void **state)
{
	struct sockaddr_storage sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&sa;
	char text[INET6_ADDRSTRLEN];
	socklen_t len;

	(void)state;
	assert_int_equal(listen_address_parse(":2112", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(*in6));
	assert_int_equal(ntohs(in6->sin6_port), 2112);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr));

	assert_int_equal(listen_address_parse("127.0.0.1:1", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 1);
	assert_string_equal(inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text)), "127.0.0.1");

	assert_int_equal(listen_address_parse("localhost:65535", &sa, &len), 0);
	assert_string_equal(inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text)), "127.0.0.1");
	assert_int_equal(ntohs(in4->sin_port), 65535);

	assert_int_equal(listen_address_parse("[::1]:9435", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)), "::1");
}

static void rejected_forms(void **state)
{
	static const char *const bad[] = {
		"",	    "2112",    ":",	  ":0",	      ":65536",
		":-1",	    ":+80",    ":80x",	  "::1:80",   "[::1]",
		"[::1]80",  "[::1:80", "host:80", "1.2.3:80", "[127.0.0.1]:80",
		"1.2.3.4:", ":999999",
	};
	struct sockaddr_storage sa;
	socklen_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("rejects \"%s\"\n", bad[i]);
		assert_int_equal(listen_address_parse(bad[i], &sa, &len), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_forms),
		cmocka_unit_test(rejected_forms),
	};

	return cmocka_run_group_tests_name("listen_address", tests, NULL, NULL);
}
