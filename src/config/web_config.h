/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --web.config.file: TLS and basic authentication, in the file format of
 * the Prometheus exporter-toolkit (tls_server_config, basic_auth_users).
 * Keys of that format we do not implement are errors, never ignored.
 * Certificate, key and CA files are read and checked at load time.
 */
#ifndef BPFMAP_WEB_CONFIG_H
#define BPFMAP_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* tls_server_config.client_auth_type, as Go's tls.ClientAuthType. */
enum web_client_auth {
	WEB_CLIENT_AUTH_NONE, /* NoClientCert */
	WEB_CLIENT_AUTH_REQUEST, /* RequestClientCert: asked for, not checked */
	WEB_CLIENT_AUTH_REQUIRE_ANY, /* RequireAnyClientCert: required, not checked */
	WEB_CLIENT_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	WEB_CLIENT_AUTH_REQUIRE_AND_VERIFY, /* RequireAndVerifyClientCert */
};

struct web_user {
	char *name;
	char *hash; /* bcrypt, "$2a$", "$2b$" or "$2y$" */
};

struct web_config {
	/* tls_server_config: (tls false: plain HTTP) */
	bool tls;
	char *cert_pem; /* PEM text: from cert_file or cert */
	char *key_pem;
	char *client_ca_pem; /* NULL: none */
	enum web_client_auth client_auth;
	unsigned int min_version, max_version; /* 12 or 13: TLS 1.2, TLS 1.3 */
	bool prefer_server_cipher_suites;
	/* basic_auth_users: (none: no authentication) */
	struct web_user *users;
	size_t nr_users;
};

/*
 * Parse YAML text; relative file names are taken from dir (the config
 * file's folder). NULL with "name:line:col: message" in err on error.
 */
struct web_config *web_config__parse(const char *name, const char *dir, const char *text,
				     size_t len, char *err, size_t err_size);
struct web_config *web_config__load_file(const char *path, char *err, size_t err_size);
void web_config__free(struct web_config *wc); /* NULL-safe; wipes the key */

/* Is hash a well-formed bcrypt hash ($2a$/$2b$/$2y$, cost 4-31)? */
bool web_config_bcrypt_valid(const char *hash);

#endif
