// SPDX-License-Identifier: Apache-2.0
/* The web config (TLS, basic auth) and the bcrypt checker with its cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "basic_auth.h"
#include "web_config.h"

#define NAME "w.yml"
/* htpasswd -nbB -C 4 alice pw */
#define HASH_PW "$2y$04$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydxMW"

static struct web_config *parse(const char *yaml, char *err, size_t err_size)
{
	return web_config__parse(NAME, NULL, yaml, strlen(yaml), err, err_size);
}

static void check_error(const char *yaml, const char *want, const char *file, int line)
{
	char err[1024] = "";
	struct web_config *wc = parse(yaml, err, sizeof(err));

	if (wc) {
		web_config__free(wc);
		fail_msg("%s:%d: parsed, expected error \"%s\"", file, line, want);
	}
	if (strncmp(err, want, strlen(want)))
		fail_msg("%s:%d: error\n  got:  \"%s\"\n  want: \"%s...\"", file, line, err, want);
}

#define expect_error(yaml, want) check_error(yaml, want, __FILE__, __LINE__)

static void test_empty_and_users(void **state)
{
	char err[512] = "";
	struct web_config *wc;

	(void)state;
	wc = parse("", err, sizeof(err));
	assert_non_null(wc);
	assert_false(wc->tls);
	assert_int_equal(wc->nr_users, 0);
	web_config__free(wc);

	wc = parse("tls_server_config:\nbasic_auth_users:\n  alice: " HASH_PW
		   "\n  \"bob smith\": '" HASH_PW "'\n",
		   err, sizeof(err));
	if (!wc)
		fail_msg("%s", err);
	assert_false(wc->tls); /* empty tls_server_config: plain HTTP */
	assert_int_equal(wc->nr_users, 2);
	assert_string_equal(wc->users[0].name, "alice");
	assert_string_equal(wc->users[1].name, "bob smith");
	assert_string_equal(wc->users[1].hash, HASH_PW);
	assert_int_equal(wc->min_version, 12);
	assert_int_equal(wc->max_version, 13);
	assert_true(wc->prefer_server_cipher_suites);
	web_config__free(wc);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("tls_server_confg: {}\n", NAME ":1:1: unknown key \"tls_server_confg\"");
	expect_error("rate_limit:\n  burst: 1\n", NAME ":2:3: rate_limit: not supported");
	expect_error("tls_server_config:\n  curve_preferences: [X25519]\n",
		     NAME ":2:22: tls_server_config.curve_preferences: not supported");
	expect_error("tls_server_config:\n  client_allowed_sans: [a]\n",
		     NAME ":2:24: tls_server_config.client_allowed_sans: not supported");
	expect_error("tls_server_config:\n  min_version: TLS10\n",
		     NAME ":2:16: tls_server_config.min_version: TLS10 is not supported");
	expect_error("tls_server_config:\n  max_version: SSL3\n",
		     NAME ":2:16: tls_server_config.max_version: unknown TLS version \"SSL3\"");
	expect_error("tls_server_config:\n  min_version: TLS13\n",
		     NAME ":2:3: tls_server_config: missing cert_file (or cert)");
	expect_error("tls_server_config:\n  cert: x\n  cert_file: /nonexistent\n", NAME
		     ":3:14: tls_server_config.cert_file: give only one of cert and cert_file");
	expect_error("tls_server_config:\n  cert: x\n  key: y\n",
		     NAME ":2:9: tls_server_config: bad certificate: ");
	expect_error("tls_server_config:\n  cert_file: /nonexistent/c.pem\n",
		     NAME ":2:14: tls_server_config.cert_file: cannot read \"/nonexistent/c.pem\": "
			  "No such file or directory");
	expect_error("tls_server_config:\n  client_auth_type: VerifyClientCertIfGiven\n"
		     "  cert: x\n  key: y\n",
		     NAME ":2:21: tls_server_config.client_auth_type: VerifyClientCertIfGiven "
			  "needs client_ca_file");
	expect_error("tls_server_config:\n  prefer_server_cipher_suites: maybe\n",
		     NAME ":2:32: tls_server_config.prefer_server_cipher_suites: expected a "
			  "boolean");
	expect_error("basic_auth_users: [alice]\n",
		     NAME ":1:19: basic_auth_users: expected a mapping, got a sequence");
	expect_error("basic_auth_users:\n  alice: $2y$03$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOl"
		     "E8Y2Ioz3ydxMW\n",
		     NAME ":2:10: basic_auth_users.alice: not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice: " HASH_PW "\n  alice: " HASH_PW "\n",
		     NAME ":3:3: basic_auth_users: duplicate key \"alice\"");
	expect_error("basic_auth_users:\n  \"a\\x01\": " HASH_PW "\n",
		     NAME ":2:3: basic_auth_users: invalid user name \"a\\x01\"");
	expect_error("basic_auth_users:\n  alice: &h " HASH_PW "\n",
		     NAME ":2:10: anchors and aliases");
}

static void test_bcrypt_valid(void **state)
{
	(void)state;
	assert_true(web_config_bcrypt_valid(HASH_PW));
	assert_true(web_config_bcrypt_valid(
		"$2b$31$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydxMW"));
	assert_false(web_config_bcrypt_valid(
		"$2x$04$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydxMW"));
	assert_false(web_config_bcrypt_valid(
		"$2y$32$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydxMW"));
	assert_false(web_config_bcrypt_valid(
		"$2y$04$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydxM"));
	assert_false(web_config_bcrypt_valid(
		"$2y$04$BclH6lfZ5QfQcAIFVi1lc.padHHa2TlsHIRe8fOlE8Y2Ioz3ydx!W"));
	assert_false(web_config_bcrypt_valid("$6$salt$hash"));
}

static void test_basic_auth(void **state)
{
	const struct web_user users[] = {{"alice", HASH_PW}};
	struct basic_auth *ba = NULL;
	char long_pw[100];

	(void)state;
	assert_int_equal(basic_auth__new(&ba, users, 1), 0);
	assert_false(basic_auth__check(ba, "alice", "wrong"));
	assert_false(basic_auth__check(ba, "alice", "wrong"));
	assert_int_equal(basic_auth__bcrypt_runs(ba), 2); /* failures are not remembered */
	assert_false(basic_auth__check(ba, "bob", "pw"));
	assert_int_equal(basic_auth__bcrypt_runs(ba), 3); /* unknown users cost a bcrypt too */
	assert_false(basic_auth__check(ba, "alice", ""));
	assert_false(basic_auth__check(ba, "alicepw", ""));
	assert_true(basic_auth__check(ba, "alice", "pw"));
	assert_int_equal(basic_auth__bcrypt_runs(ba), 6);
	for (int i = 0; i < 5; i++)
		assert_true(basic_auth__check(ba, "alice", "pw"));
	assert_int_equal(basic_auth__bcrypt_runs(ba), 6); /* remembered */
	assert_false(basic_auth__check(ba, "alice", "pwx")); /* not a prefix match */
	memset(long_pw, 'a', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_false(basic_auth__check(ba, "alice", long_pw)); /* bcrypt would truncate */
	basic_auth__free(ba);
	basic_auth__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_users),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bcrypt_valid),
		cmocka_unit_test(test_basic_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
