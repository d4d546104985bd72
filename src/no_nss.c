// SPDX-License-Identifier: Apache-2.0
/*
 * GnuTLS looks up the current user's home directory with getpwuid_r(),
 * for per-user files a server never uses. In a static binary that would
 * pull in glibc's NSS, which needs shared libraries at run time (and the
 * linker warns about it); the image has none. The link wraps the symbol
 * (-Wl,--wrap=getpwuid_r) so the lookup finds no user instead.
 */
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen,
		      struct passwd **result);

int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen,
		      struct passwd **result)
{
	(void)uid;
	(void)pwd;
	(void)buf;
	(void)buflen;
	*result = NULL; /* "no such user", not an error */
	return 0;
}
