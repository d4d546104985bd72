// SPDX-License-Identifier: Apache-2.0
/*
 * The exporter-toolkit web config: YAML -> struct web_config. Files named
 * by the config are read here and checked with GnuTLS, so a bad
 * certificate is a config error at its line, not a failure at the first
 * handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "web_config.h"
#include "yaml_doc.h"
#include "util.h"

/* Parse state: the nodes of each key, for checks across keys. */
struct state {
	struct web_config *wc;
	const char *dir;
	const yaml_node_t *tls; /* the tls_server_config mapping */
	const yaml_node_t *cert, *key, *client_ca; /* cert or cert_file, ... */
	const yaml_node_t *client_auth, *min_version, *max_version;
};

enum pem_slot { PEM_CERT, PEM_KEY, PEM_CLIENT_CA, PEM_SLOT_MAX };

static const char *const client_auth_names[] = {
	[WEB_CLIENT_AUTH_NONE] = "NoClientCert",
	[WEB_CLIENT_AUTH_REQUEST] = "RequestClientCert",
	[WEB_CLIENT_AUTH_REQUIRE_ANY] = "RequireAnyClientCert",
	[WEB_CLIENT_AUTH_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEB_CLIENT_AUTH_REQUIRE_AND_VERIFY] = "RequireAndVerifyClientCert",
};

static char **pem_of(struct web_config *wc, enum pem_slot slot)
{
	switch (slot) {
	case PEM_CERT:
		return &wc->cert_pem;
	case PEM_KEY:
		return &wc->key_pem;
	default:
		return &wc->client_ca_pem;
	}
}

static const yaml_node_t **node_of(struct state *st, enum pem_slot slot)
{
	switch (slot) {
	case PEM_CERT:
		return &st->cert;
	case PEM_KEY:
		return &st->key;
	default:
		return &st->client_ca;
	}
}

/* "cert" and "cert_file" name the same thing: only one may be given. */
static int claim(const struct ydoc *c, struct state *st, enum pem_slot slot, const char *path,
		 const yaml_node_t *value)
{
	static const char *const names[PEM_SLOT_MAX][2] = {
		[PEM_CERT] = {"cert", "cert_file"},
		[PEM_KEY] = {"key", "key_file"},
		[PEM_CLIENT_CA] = {"client_ca", "client_ca_file"},
	};
	const yaml_node_t **node = node_of(st, slot);

	if (*node)
		return ydoc_fail_at(c, value->start_mark, "%s: give only one of %s and %s", path,
				    names[slot][0], names[slot][1]);
	*node = value;
	return 0;
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* PEM text from the config itself (cert:, key:, client_ca:). */
static int parse_pem_inline(const struct ydoc *c, void *obj, int arg, const char *path,
			    const yaml_node_t *value)
{
	struct state *st = obj;
	const char *s = NULL;
	char *copy;
	int err;

	err = ydoc_get_string(c, path, value, &s);
	if (!err)
		err = claim(c, st, (enum pem_slot)arg, path, value);
	if (err)
		return err;
	copy = strdup(s);
	if (!copy)
		return ydoc_oom(c);
	*pem_of(st->wc, (enum pem_slot)arg) = copy;
	return 0;
}

/* PEM text from a file; a relative name is relative to the config's folder. */
static int parse_pem_file(const struct ydoc *c, void *obj, int arg, const char *path,
			  const yaml_node_t *value)
{
	struct state *st = obj;
	char *full = NULL, *buf = NULL, *text = NULL, q[YDOC_QUOTE_BUF];
	const char *name = NULL;
	size_t len = 0;
	int err;

	err = ydoc_get_string(c, path, value, &name);
	if (!err)
		err = claim(c, st, (enum pem_slot)arg, path, value);
	if (err)
		return err;
	if (!*name)
		return ydoc_fail_at(c, value->start_mark, "%s: empty file name", path);
	if (name[0] == '/' || !st->dir)
		full = strdup(name);
	else if (asprintf(&full, "%s/%s", st->dir, name) < 0)
		full = NULL;
	if (!full)
		return ydoc_oom(c);
	err = ydoc_read_file(full, &buf, &len);
	if (err) {
		err = ydoc_fail_at(c, value->start_mark, "%s: cannot read %s: %s", path,
				   ydoc_quote(q, sizeof(q), full, strlen(full)),
				   err == -EFBIG ? "larger than 1 MiB" : strerror(-err));
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		err = ydoc_fail_at(c, value->start_mark, "%s: %s is not PEM text", path,
				   ydoc_quote(q, sizeof(q), full, strlen(full)));
		goto out;
	}
	text = malloc(len + 1);
	if (!text) {
		err = ydoc_oom(c);
		goto out;
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	*pem_of(st->wc, (enum pem_slot)arg) = text;
out:
	if (buf)
		explicit_bzero(buf, len); /* may be a private key */
	free(buf);
	free(full);
	return err;
}

static int parse_client_auth(const struct ydoc *c, void *obj, int arg, const char *path,
			     const yaml_node_t *value)
{
	struct state *st = obj;
	char q[YDOC_QUOTE_BUF], allowed[YDOC_ALLOWED_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	st->client_auth = value;
	for (size_t i = 0; i < ARRAY_SIZE(client_auth_names); i++) {
		if (!strcmp(s, client_auth_names[i])) {
			st->wc->client_auth = (enum web_client_auth)i;
			return 0;
		}
	}
	if (!strcmp(s, "RequireClientCert")) { /* the toolkit's older name */
		st->wc->client_auth = WEB_CLIENT_AUTH_REQUIRE_ANY;
		return 0;
	}
	return ydoc_fail_at(c, value->start_mark, "%s: unknown client auth type %s (allowed: %s)",
			    path, ydoc_quote(q, sizeof(q), s, strlen(s)),
			    ydoc_join(allowed, sizeof(allowed), client_auth_names,
				      ARRAY_SIZE(client_auth_names)));
}

/* arg 0: min_version, 1: max_version. */
static int parse_version(const struct ydoc *c, void *obj, int arg, const char *path,
			 const yaml_node_t *value)
{
	struct state *st = obj;
	char q[YDOC_QUOTE_BUF];
	unsigned int v = 0;
	const char *s = NULL;
	int err;

	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	if (!strcmp(s, "TLS12"))
		v = 12;
	else if (!strcmp(s, "TLS13"))
		v = 13;
	else if (!strcmp(s, "TLS10") || !strcmp(s, "TLS11"))
		return ydoc_fail_at(c, value->start_mark,
				    "%s: %s is not supported: TLS 1.0 and 1.1 are deprecated "
				    "(RFC 8996); use TLS12 or TLS13",
				    path, s);
	else
		return ydoc_fail_at(c, value->start_mark,
				    "%s: unknown TLS version %s (allowed: TLS12, TLS13)", path,
				    ydoc_quote(q, sizeof(q), s, strlen(s)));
	if (arg) {
		st->wc->max_version = v;
		st->max_version = value;
	} else {
		st->wc->min_version = v;
		st->min_version = value;
	}
	return 0;
}

static int parse_prefer_server(const struct ydoc *c, void *obj, int arg, const char *path,
			       const yaml_node_t *value)
{
	struct state *st = obj;

	(void)arg;
	return ydoc_get_bool(c, path, value, &st->wc->prefer_server_cipher_suites);
}

/* Keys of the toolkit's format that this exporter does not implement. */
static int parse_unsupported(const struct ydoc *c, void *obj, int arg, const char *path,
			     const yaml_node_t *value)
{
	(void)obj;
	(void)arg;
	return ydoc_fail_at(c, value->start_mark,
			    "%s: not supported by bpfmap_exporter (supported: see the README, "
			    "\"TLS and basic authentication\")",
			    path);
}

/* GnuTLS's reason, at the node that holds the bad text. */
static int tls_fail(const struct ydoc *c, const yaml_node_t *node, const char *what, int gerr)
{
	return ydoc_fail_at(c, node->start_mark, "tls_server_config: %s: %s", what,
			    gnutls_strerror(gerr));
}

/* Parse the certificate chain, the key, the pair and the CAs as the server will. */
static int check_pem(const struct ydoc *c, const struct state *st)
{
	const struct web_config *wc = st->wc;
	gnutls_datum_t cert = {(unsigned char *)wc->cert_pem, (unsigned int)strlen(wc->cert_pem)};
	gnutls_datum_t key = {(unsigned char *)wc->key_pem, (unsigned int)strlen(wc->key_pem)};
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_x509_privkey_t pkey = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned int nr_crts = 0;
	int ret, err = 0;

	ret = gnutls_global_init();
	if (ret < 0)
		return tls_fail(c, st->tls, "cannot initialise GnuTLS", ret);
	ret = gnutls_x509_crt_list_import2(&crts, &nr_crts, &cert, GNUTLS_X509_FMT_PEM,
					   GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (ret < 0) {
		err = tls_fail(c, st->cert, "bad certificate", ret);
		goto out;
	}
	ret = gnutls_x509_privkey_init(&pkey);
	if (ret >= 0)
		ret = gnutls_x509_privkey_import2(pkey, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret < 0) {
		err = tls_fail(c, st->key, "bad private key (PEM, unencrypted)", ret);
		goto out;
	}
	ret = gnutls_certificate_allocate_credentials(&cred);
	if (ret >= 0)
		ret = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM,
							   NULL, 0);
	if (ret < 0) {
		err = tls_fail(c, st->key, "certificate and key do not go together", ret);
		goto out;
	}
	if (wc->client_ca_pem) {
		gnutls_datum_t ca = {(unsigned char *)wc->client_ca_pem,
				     (unsigned int)strlen(wc->client_ca_pem)};

		ret = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (ret == 0)
			ret = GNUTLS_E_NO_CERTIFICATE_FOUND;
		if (ret < 0) {
			err = tls_fail(c, st->client_ca, "bad client CA", ret);
			goto out;
		}
	}
out:
	for (unsigned int i = 0; i < nr_crts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (pkey)
		gnutls_x509_privkey_deinit(pkey);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	gnutls_global_deinit();
	return err;
}

/* The rules between keys, as the toolkit has them (plus: no TLS 1.0/1.1). */
static int check_tls(const struct ydoc *c, struct state *st)
{
	struct web_config *wc = st->wc;
	enum web_client_auth auth = wc->client_auth;
	bool verifies = auth == WEB_CLIENT_AUTH_VERIFY_IF_GIVEN ||
			auth == WEB_CLIENT_AUTH_REQUIRE_AND_VERIFY;

	if (!st->cert)
		return ydoc_fail_at(c, st->tls->start_mark,
				    "tls_server_config: missing cert_file (or cert)");
	if (!st->key)
		return ydoc_fail_at(c, st->tls->start_mark,
				    "tls_server_config: missing key_file (or key)");
	if (st->client_ca && auth == WEB_CLIENT_AUTH_NONE)
		return ydoc_fail_at(c, st->client_ca->start_mark,
				    "tls_server_config: a client CA is set but client_auth_type is "
				    "NoClientCert (use RequireAndVerifyClientCert)");
	if (verifies && !st->client_ca)
		return ydoc_fail_at(c, st->client_auth->start_mark,
				    "tls_server_config.client_auth_type: %s needs client_ca_file "
				    "(or client_ca) to verify against",
				    client_auth_names[auth]);
	if (wc->min_version > wc->max_version)
		return ydoc_fail_at(
			c, (st->min_version ? st->min_version : st->max_version)->start_mark,
			"tls_server_config: min_version TLS%u is above max_version TLS%u",
			wc->min_version, wc->max_version);
	return check_pem(c, st);
}

static int parse_tls(const struct ydoc *c, void *obj, int arg, const char *path,
		     const yaml_node_t *value)
{
	static const struct ydoc_field fields[] = {
		YDOC_CALL("cert", parse_pem_inline, PEM_CERT),
		YDOC_CALL("key", parse_pem_inline, PEM_KEY),
		YDOC_CALL("client_ca", parse_pem_inline, PEM_CLIENT_CA),
		YDOC_CALL("cert_file", parse_pem_file, PEM_CERT),
		YDOC_CALL("key_file", parse_pem_file, PEM_KEY),
		YDOC_CALL("client_ca_file", parse_pem_file, PEM_CLIENT_CA),
		YDOC_CALL("client_auth_type", parse_client_auth, 0),
		YDOC_CALL("min_version", parse_version, 0),
		YDOC_CALL("max_version", parse_version, 1),
		YDOC_CALL("prefer_server_cipher_suites", parse_prefer_server, 0),
		YDOC_CALL("cipher_suites", parse_unsupported, 0),
		YDOC_CALL("curve_preferences", parse_unsupported, 0),
		YDOC_CALL("client_allowed_sans", parse_unsupported, 0),
	};
	struct state *st = obj;
	int err;

	(void)arg;
	err = ydoc_parse_fields(c, obj, path, value, fields, ARRAY_SIZE(fields));
	if (err || ydoc_is_null(value) || !ydoc_nr_pairs(value))
		return err; /* an empty tls_server_config: plain HTTP */
	st->tls = value;
	st->wc->tls = true;
	return check_tls(c, st);
}

bool web_config_bcrypt_valid(const char *hash)
{
	static const char alphabet[] =
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	/* "$2b$" cost "$" then 22 characters of salt and 31 of hash */
	if (strlen(hash) != 60 || strncmp(hash, "$2", 2) || !strchr("aby", hash[2]) ||
	    hash[3] != '$' || hash[6] != '$' || hash[4] < '0' || hash[4] > '9' || hash[5] < '0' ||
	    hash[5] > '9')
		return false;
	cost = (hash[4] - '0') * 10 + (hash[5] - '0');
	return cost >= 4 && cost <= 31 && strspn(hash + 7, alphabet) == 53;
}

static void users_free(struct web_user *users, size_t n)
{
	for (size_t i = 0; users && i < n; i++) {
		free(users[i].name);
		free(users[i].hash);
	}
	free(users);
}

/* basic_auth_users: { user: bcrypt hash } */
static int parse_users(const struct ydoc *c, void *obj, int arg, const char *path,
		       const yaml_node_t *value)
{
	struct state *st = obj;
	struct web_user *users = NULL;
	char q[YDOC_QUOTE_BUF], child[YDOC_PATH_BUF];
	size_t n = 0;
	int err = 0;

	(void)arg;
	err = ydoc_open_mapping(c, path, value, sizeof(*users), (void **)&users, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *key, *val;
		const char *name, *hash = NULL;
		size_t len;
		bool ok;

		ydoc_pair(c, value, i, &key, &val);
		name = ydoc_scalar(key);
		len = key->data.scalar.length;
		ok = strlen(name) == len;

		for (size_t j = 0; ok && j < len; j++)
			ok = (unsigned char)name[j] >= 0x20 && name[j] != 0x7f && name[j] != ':';
		if (!ok) {
			err = ydoc_fail_at(c, key->start_mark,
					   "%s: invalid user name %s: no \":\" or control "
					   "characters (HTTP basic auth cannot carry them)",
					   path, ydoc_quote(q, sizeof(q), name, len));
			goto out;
		}
		snprintf(child, sizeof(child), "%s.%s", path, name);
		err = ydoc_get_string(c, child, val, &hash);
		if (err)
			goto out;
		if (!web_config_bcrypt_valid(hash)) {
			err = ydoc_fail_at(c, val->start_mark,
					   "%s: not a bcrypt hash (want $2y$, $2b$ or $2a$, cost "
					   "04-31, 60 characters; make one with: htpasswd -nBC 10 "
					   "\"\" | tr -d ':\\n')",
					   child);
			goto out;
		}
		users[i].name = strdup(name);
		users[i].hash = strdup(hash);
		if (!users[i].name || !users[i].hash) {
			err = ydoc_oom(c);
			goto out;
		}
	}
	st->wc->users = users;
	st->wc->nr_users = n;
	users = NULL;
out:
	users_free(users, n);
	return err;
}

static int parse_root(const struct ydoc *c, const yaml_node_t *root, void *obj)
{
	static const struct ydoc_field fields[] = {
		YDOC_CALL("tls_server_config", parse_tls, 0),
		YDOC_CALL("basic_auth_users", parse_users, 0),
		YDOC_CALL("http_server_config", parse_unsupported, 0),
		YDOC_CALL("rate_limit", parse_unsupported, 0),
	};

	return ydoc_parse_fields(c, obj, "", root, fields, ARRAY_SIZE(fields));
}

struct web_config *web_config__parse(const char *name, const char *dir, const char *text,
				     size_t len, char *err, size_t err_size)
{
	struct web_config *wc = calloc(1, sizeof(*wc));
	struct state st = {.wc = wc, .dir = dir};

	if (!wc) {
		ydoc_set_err(err, err_size, "%s: %s", name, strerror(ENOMEM));
		return NULL;
	}
	wc->min_version = 12;
	wc->max_version = 13;
	wc->prefer_server_cipher_suites = true;
	if (ydoc_load(name, text, len, err, err_size, parse_root, &st)) {
		web_config__free(wc);
		return NULL;
	}
	return wc;
}

struct web_config *web_config__load_file(const char *path, char *err, size_t err_size)
{
	struct web_config *wc = NULL;
	char *buf = NULL, *dir = NULL, *slash;
	size_t len = 0;

	if (ydoc_read_file_err(path, &buf, &len, err, err_size))
		goto out;
	dir = strdup(path);
	if (!dir) {
		ydoc_set_err(err, err_size, "%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	wc = web_config__parse(path, slash ? dir : NULL, buf ? buf : "", len, err, err_size);
out:
	free(dir);
	free(buf);
	return wc;
}

void web_config__free(struct web_config *wc)
{
	if (!wc)
		return;
	free(wc->cert_pem);
	wipe_free(wc->key_pem);
	free(wc->client_ca_pem);
	users_free(wc->users, wc->nr_users);
	free(wc);
}
