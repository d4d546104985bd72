// SPDX-License-Identifier: Apache-2.0
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/hmac.h>

#include "basic_auth.h"

#define BCRYPT_MAX_PASSWORD 72 /* bcrypt ignores bytes past 72: refuse them */

struct basic_auth {
	struct web_user *users;
	size_t nr_users;
	char dummy[CRYPT_GENSALT_OUTPUT_SIZE]; /* checked for unknown users */
	uint8_t key[32]; /* HMAC key of the cache */

	pthread_mutex_t cache_lock;
	uint8_t cache[BASIC_AUTH_CACHE_SIZE][SHA256_DIGEST_SIZE];
	bool cache_used[BASIC_AUTH_CACHE_SIZE];
	size_t cache_next; /* round robin */

	pthread_mutex_t bcrypt_lock;
	struct crypt_data *cd; /* 32 KiB: one, under bcrypt_lock */
	unsigned long bcrypt_runs;
};

/* Compares all n bytes whatever they hold. */
static bool equal_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static void mac_of(const struct basic_auth *ba, const char *user, const char *password,
		   uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, sizeof(ba->key), ba->key);
	hmac_sha256_update(&ctx, strlen(user) + 1, (const uint8_t *)user); /* with its NUL */
	hmac_sha256_update(&ctx, strlen(password), (const uint8_t *)password);
	hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	explicit_bzero(&ctx, sizeof(ctx));
}

static bool cache_has(struct basic_auth *ba, const uint8_t mac[SHA256_DIGEST_SIZE])
{
	bool found = false;

	pthread_mutex_lock(&ba->cache_lock);
	for (size_t i = 0; i < BASIC_AUTH_CACHE_SIZE; i++)
		found |= ba->cache_used[i] & equal_ct(ba->cache[i], mac, SHA256_DIGEST_SIZE);
	pthread_mutex_unlock(&ba->cache_lock);
	return found;
}

static void cache_add(struct basic_auth *ba, const uint8_t mac[SHA256_DIGEST_SIZE])
{
	pthread_mutex_lock(&ba->cache_lock);
	memcpy(ba->cache[ba->cache_next], mac, SHA256_DIGEST_SIZE);
	ba->cache_used[ba->cache_next] = true;
	ba->cache_next = (ba->cache_next + 1) % BASIC_AUTH_CACHE_SIZE;
	pthread_mutex_unlock(&ba->cache_lock);
}

static bool bcrypt_matches(struct basic_auth *ba, const char *password, const char *hash)
{
	size_t len = strlen(hash);
	const char *out;
	bool ok;

	pthread_mutex_lock(&ba->bcrypt_lock);
	ba->bcrypt_runs++;
	memset(ba->cd, 0, sizeof(*ba->cd));
	out = crypt_rn(password, hash, ba->cd, sizeof(*ba->cd));
	ok = out && out[0] != '*' && strlen(out) == len && equal_ct(out, hash, len);
	explicit_bzero(ba->cd, sizeof(*ba->cd));
	pthread_mutex_unlock(&ba->bcrypt_lock);
	return ok;
}

bool basic_auth__check(struct basic_auth *ba, const char *user, const char *password)
{
	uint8_t mac[SHA256_DIGEST_SIZE];
	const char *hash = ba->dummy;
	bool known = false, ok;

	if (strlen(password) > BCRYPT_MAX_PASSWORD)
		return false;
	mac_of(ba, user, password, mac);
	if (cache_has(ba, mac)) {
		ok = true;
		goto out;
	}
	for (size_t i = 0; i < ba->nr_users; i++) {
		if (!strcmp(ba->users[i].name, user)) {
			hash = ba->users[i].hash;
			known = true;
		}
	}
	ok = bcrypt_matches(ba, password, hash) && known;
	if (ok)
		cache_add(ba, mac);
out:
	explicit_bzero(mac, sizeof(mac));
	return ok;
}

unsigned long basic_auth__bcrypt_runs(struct basic_auth *ba)
{
	unsigned long n;

	pthread_mutex_lock(&ba->bcrypt_lock);
	n = ba->bcrypt_runs;
	pthread_mutex_unlock(&ba->bcrypt_lock);
	return n;
}

int basic_auth__new(struct basic_auth **out, const struct web_user *users, size_t nr_users)
{
	struct basic_auth *ba;
	unsigned long cost = 4;
	int err = 0;

	*out = NULL;
	ba = calloc(1, sizeof(*ba));
	if (!ba)
		return -ENOMEM;
	pthread_mutex_init(&ba->cache_lock, NULL);
	pthread_mutex_init(&ba->bcrypt_lock, NULL);
	ba->cd = calloc(1, sizeof(*ba->cd));
	ba->users = calloc(nr_users ? nr_users : 1, sizeof(*ba->users));
	if (!ba->cd || !ba->users) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr_users; i++) {
		unsigned long c = strtoul(users[i].hash + 4, NULL, 10); /* "$2b$NN$" */

		ba->nr_users = i + 1;
		ba->users[i].name = strdup(users[i].name);
		ba->users[i].hash = strdup(users[i].hash);
		if (!ba->users[i].name || !ba->users[i].hash) {
			err = -ENOMEM;
			goto out;
		}
		if (c > cost)
			cost = c;
	}
	if (getrandom(ba->key, sizeof(ba->key), 0) != sizeof(ba->key)) {
		err = -errno;
		goto out;
	}
	/* Same cost as the dearest user: an unknown name takes as long as a known one. */
	if (!crypt_gensalt_rn("$2b$", cost, NULL, 0, ba->dummy, sizeof(ba->dummy))) {
		err = errno ? -errno : -EINVAL;
		goto out;
	}
out:
	if (err) {
		basic_auth__free(ba);
		return err;
	}
	*out = ba;
	return 0;
}

void basic_auth__free(struct basic_auth *ba)
{
	if (!ba)
		return;
	for (size_t i = 0; i < ba->nr_users; i++) {
		free(ba->users[i].name);
		free(ba->users[i].hash);
	}
	free(ba->users);
	free(ba->cd);
	pthread_mutex_destroy(&ba->cache_lock);
	pthread_mutex_destroy(&ba->bcrypt_lock);
	explicit_bzero(ba, sizeof(*ba));
	free(ba);
}
