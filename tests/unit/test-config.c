/* Unit tests for lib/config/config.c: sshbox.yaml and profiles. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "session/command.h"
#include "tap.h"

/* The same compile-time locations lib/config/config.c was built with. */
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef LIBEXECDIR
#define LIBEXECDIR	"/usr/libexec/sshbox"
#endif
#include "core/util.h"

#define F	"/srv/bastion/sshbox.yaml"
#define P	"/srv/bastion/profiles/t.yaml"

static struct box_config cfg;
static struct box_profile prof;
static struct box_error err;

static int
cparse(const char *s)
{
	box_error_clear(&err);
	return box_config_parse(s, strlen(s), F, &cfg, &err);
}

static int
pparse(const char *s)
{
	box_error_clear(&err);
	return box_config_parse_profile(s, strlen(s), P, "t", &prof, &err);
}

static int
clean_msg(const char *m)
{
	for (; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || (unsigned char)*m == 0x7f)
			return 0;
	return 1;
}

/* The parse failed, with a message containing want. */
static void
check_fail(int rc, const char *want, const char *name)
{
	int good = rc == -1 && err.kind == BOX_E_CONFIG &&
	    strstr(err.msg, want) != NULL && clean_msg(err.msg);

	if (!ok(good, name))
		diag("rc %d kind %d msg \"%s\", wanted \"%s\"", rc, err.kind,
		    err.msg, want);
}

#define cfail(s, want, name)	check_fail(cparse(s), want, name)
#define pfail(s, want, name)	check_fail(pparse(s), want, name)
#define IMG	"image: x\n"

static void
test_defaults(void)
{
	is_int(cparse(""), 0, "empty sshbox.yaml is allowed");
	is_str(cfg.path, F, "path recorded");
	is_str(cfg.box_user, "box", "default box_user");
	is_str(cfg.state_dir, LOCALSTATEDIR "/lib/sshbox", "default state_dir");
	is_str(cfg.signing_key, SYSCONFDIR "/sshbox/invite.key",
	    "default signing_key");
	is_str(cfg.verify_key, SYSCONFDIR "/sshbox/invite.pub",
	    "default verify_key");
	is_str(cfg.profiles_dir, SYSCONFDIR "/sshbox/profiles",
	    "default profiles_dir");
	is_str(cfg.shell_path, LIBEXECDIR "/box-shell", "default shell");
	is_str(cfg.host, "localhost", "default host");
	is_int(cfg.port, 22, "default port");
	is_str(cfg.instance, "default", "default instance");
	is_int(cfg.explicit_keys, 0, "defaults are not explicit keys");
	is_str(cfg.docker_socket, "/var/run/docker.sock",
	    "default docker socket");
	is_int(cfg.docker_timeout, 30, "default docker timeout");
	is_int(cfg.redeem_max, 10, "default redeem max");
	is_int(cfg.redeem_window, 60, "default redeem window");
	is_int(cfg.create_timeout, 120, "default create_timeout");
	is_int(cparse("# only a comment\n"), 0, "comment-only file");
	is_int(cparse("---\n"), 0, "empty document");
	is_int(cparse("~\n"), 0, "null document");
	cfail("\"\"\n", "expected a mapping", "quoted empty root refused");
	cfail("- a\n", ":1: expected a mapping", "sequence root refused");
	cfail("hello\n", ":1: expected a mapping", "scalar root refused");
}

static void
test_full(void)
{
	char db[PATH_MAX];
	const char *y =
	    "# full\n"
	    "box_user: guest_1\n"
	    "state_dir: /var/tmp/st\n"
	    "signing_key: /k/sign\n"
	    "verify_key: /k/verify.pub\n"
	    "profiles_dir: /p\n"
	    "shell: /usr/lib/x/box-shell\n"
	    "host: bastion.example.org\n"
	    "port: 2222\n"
	    "instance: ci-1\n"
	    "runtime:\n"
	    "  docker:\n"
	    "    socket: /run/podman/podman.sock\n"
	    "    timeout: 1m30s\n"
	    "redeem:\n"
	    "  max_attempts: 3\n"
	    "  window: 10m\n"
	    "create_timeout: 45s\n";

	if (!ok(cparse(y) == 0, "full config parses"))
		diag("%s", err.msg);
	is_str(cfg.box_user, "guest_1", "box_user");
	is_str(cfg.state_dir, "/var/tmp/st", "state_dir");
	is_str(cfg.signing_key, "/k/sign", "signing_key");
	is_str(cfg.verify_key, "/k/verify.pub", "verify_key");
	is_str(cfg.profiles_dir, "/p", "profiles_dir");
	is_str(cfg.shell_path, "/usr/lib/x/box-shell", "shell");
	is_str(cfg.host, "bastion.example.org", "host");
	is_int(cfg.port, 2222, "port");
	is_str(cfg.instance, "ci-1", "instance");
	is_int(cfg.explicit_keys, BOX_CFG_BOX_USER | BOX_CFG_INSTANCE,
	    "box_user and instance set explicitly");
	is_str(cfg.docker_socket, "/run/podman/podman.sock", "docker socket");
	is_int(cfg.docker_timeout, 90, "docker timeout");
	is_int(cfg.redeem_max, 3, "redeem max");
	is_int(cfg.redeem_window, 600, "redeem window");
	is_int(cfg.create_timeout, 45, "create_timeout");
	is_int(box_config_state_db(&cfg, db, sizeof(db)), 0, "state_db");
	is_str(db, "/var/tmp/st/state.db", "state_db path");
	is_int(box_config_state_db(&cfg, db, 8), -1, "state_db too small");

	is_int(cparse("host: \"::1\"\nport: 65535\n"), 0, "IPv6 host");
	is_str(cfg.host, "::1", "IPv6 host value");
	is_int(cparse("{host: 10.0.0.1, port: 1}\n"), 0, "flow mapping");
	is_int(cfg.port, 1, "flow mapping port");
}

static void
test_relative(void)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	is_int(cparse("state_dir: state\nsigning_key: keys/invite.key\n"
	    "profiles_dir: ./profiles\nshell: ../bin/box-shell\n"
	    "runtime: {docker: {socket: run/docker.sock}}\n"), 0,
	    "relative paths");
	is_str(cfg.state_dir, "/srv/bastion/state", "state_dir resolved");
	is_str(cfg.signing_key, "/srv/bastion/keys/invite.key",
	    "signing_key resolved");
	is_str(cfg.profiles_dir, "/srv/bastion/./profiles",
	    "profiles_dir resolved");
	is_str(cfg.shell_path, "/srv/bastion/../bin/box-shell",
	    "shell resolved");
	is_str(cfg.docker_socket, "/srv/bastion/run/docker.sock",
	    "docker socket resolved");
	is_str(cfg.verify_key, SYSCONFDIR "/sshbox/invite.pub",
	    "unset key keeps its default");

	box_error_clear(&err);
	ok(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd");
	is_int(box_config_parse("state_dir: s\n", 13, "conf/sshbox.yaml", &cfg,
	    &err), 0, "relative config file name");
	snprintf(want, sizeof(want), "%s/conf/s", cwd);
	is_str(cfg.state_dir, want, "resolved against cwd/conf");
	is_int(box_config_parse("state_dir: s\n", 13, "sshbox.yaml", &cfg,
	    &err), 0, "bare config file name");
	snprintf(want, sizeof(want), "%s/s", cwd);
	is_str(cfg.state_dir, want, "resolved against cwd");
	cfail("state_dir: \"\"\n", F ":1: state_dir: empty path",
	    "empty path refused");
}

static void
test_config_errors(void)
{
	char *big;

	cfail("box_user: Root\n", F ":1: box_user:", "box_user upper case");
	cfail("box_user: 9box\n", ":1: box_user:", "box_user digit first");
	cfail("box_user: a.b\n", ":1: box_user:", "box_user with dot");
	cfail("box_user: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ":1: box_user:",
	    "box_user 33 chars");
	is_int(cparse("box_user: _a-1\n"), 0, "box_user _a-1 allowed");
	cfail("\nhost: a b\n", F ":2: host: not a host", "host with space");
	cfail("host: -oProxyCommand=x\n", ":1: host: must not start with -",
	    "host option injection");
	cfail("host: \"\"\n", ":1: host:", "empty host");
	cfail("host: a/b\n", ":1: host:", "host with slash");
	cfail("port: 0\n", ":1: port: number out of range", "port 0");
	cfail("port: 65536\n", ":1: port: number out of range", "port 65536");
	cfail("port: -1\n", ":1: port:", "negative port");
	cfail("port: 22x\n", ":1: port: not a number", "port garbage");
	cfail("port: [22]\n", ":1: port: expected a single value, not a list",
	    "port as a list");
	cfail("port: {a: 1}\n", ":1: port: expected a single value, "
	    "not a mapping", "port as a mapping");
	cfail("instance: ../x\n", ":1: instance:", "instance with ../");
	cfail("instance: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ":1: instance:",
	    "instance 33 chars");
	cfail("runtime:\n  docker:\n    timeout: 10x\n",
	    F ":3: runtime.docker.timeout: bad duration",
	    "docker timeout bad duration, dotted key");
	cfail("runtime:\n  docker:\n    timeout: 0s\n",
	    ":3: runtime.docker.timeout: must be at least 1s",
	    "docker timeout zero");
	cfail("runtime:\n  docker:\n    sock: /x\n",
	    ":3: runtime.docker.sock: unknown key", "unknown nested key");
	cfail("runtime:\n  podman: {}\n", ":2: runtime.podman: unknown key",
	    "unknown runtime");
	cfail("runtime: docker\n", ":1: runtime: expected a mapping",
	    "runtime as a scalar");
	is_int(cparse("runtime:\n  oci:\n    images: /srv/img\n"
	    "  runsc:\n    platform: kvm\n"), 0, "oci and runsc parse");
	is_str(cfg.oci_images, "/srv/img", "oci images directory");
	is_str(cfg.runsc_platform, "kvm", "runsc platform");
	is_int(cparse("instance: x\n"), 0, "defaults parse");
	is_str(cfg.runsc_platform, "ptrace", "runsc platform defaults to "
	    "ptrace");
	ok(strstr(cfg.oci_images, "sshbox-images") != NULL,
	    "oci images default to the store of images/store.sh");
	cfail("runtime:\n  runsc:\n    platform: xen\n",
	    ":3: runtime.runsc.platform: \"xen\" is not ptrace, systrap or "
	    "kvm", "unknown runsc platform");
	cfail("runtime:\n  oci:\n    images: [a]\n",
	    ":3: runtime.oci.images: expected a single value",
	    "oci images as a list");
	cfail("runtime:\n  docker: [a]\n", ":2: runtime.docker: expected a "
	    "mapping", "docker as a list");
	is_int(cparse("limits:\n  max_boxes: 7\n  max_boxes_per_invite: 3\n"
	    "  max_boxes_per_source: 2\n"), 0, "limits parse");
	ok(cfg.max_boxes == 7 && cfg.max_boxes_per_invite == 3 &&
	    cfg.max_boxes_per_source == 2, "limits values");
	is_int(cparse(""), 0, "limits defaults");
	ok(cfg.max_boxes == 50 && cfg.max_boxes_per_invite == 20 &&
	    cfg.max_boxes_per_source == 5, "limits default values");
	cfail("limits:\n  max_boxes: 0\n", ":2: limits.max_boxes:",
	    "limits.max_boxes 0 refused");
	cfail("limits:\n  max_sessions: 3\n", ":2: limits.max_sessions:",
	    "unknown limit refused");
	cfail("redeem:\n  max_attempts: 0\n", ":2: redeem.max_attempts:",
	    "redeem max 0");
	cfail("redeem:\n  max_attempts: 10001\n", ":2: redeem.max_attempts:",
	    "redeem max 10001");
	cfail("redeem:\n  window: 1y\n", ":2: redeem.window: bad duration",
	    "redeem window bad");
	cfail("create_timeout: 400d\n", ":1: create_timeout: duration too long",
	    "create_timeout too long");
	cfail("create_timeout:\n", ":1: create_timeout: empty duration",
	    "create_timeout empty");
	cfail("hostname: x\n", F ":1: hostname: unknown key", "unknown key");
	cfail("port: 22\n\nport: 23\n", ":3: port: duplicate key",
	    "duplicate key");
	cfail("redeem: {window: 1m, window: 2m}\n",
	    ":1: redeem.window: duplicate key", "duplicate nested key");
	cfail("[a]: 1\n", ":1: keys must be plain names", "sequence as key");
	cfail("\"ho\\x1bst\": 1\n", ":1: control character",
	    "escape in key refused, message clean");
	cfail("\"\\x1b[31m\\x07\": 1\n", "control character",
	    "control characters in key");
	cfail("host: \"a\\nb\"\n", ":1: host: control character",
	    "newline in value");
	cfail("host: \"a\\0b\"\n", ":1: host: control character",
	    "NUL escape in value");

	cfail("a: &x 1\nb: *x\n", ":1: anchors (&name) are not allowed",
	    "anchor refused");
	cfail("host: *x\n", "aliases", "alias refused");
	cfail("a: &a [1,2]\nb: [*a,*a,*a]\n", "not allowed",
	    "billion laughs refused");
	cfail("port: !!int 22\n", ":1: tags (!name) are not allowed",
	    "tag refused");
	cfail("port: 22\n---\nport: 23\n", ":2: only one YAML document",
	    "two documents refused");
	cfail("port: [\n", "syntax error", "unterminated flow sequence");
	cfail("a:\n b: 1\n  c: 2\n", "syntax error", "bad indentation");
	cfail("port: 22\n\tx: 1\n", F ":2: syntax error", "tab indentation");
	cfail("[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]\n", "nested too deeply",
	    "deep nesting refused");
	box_error_clear(&err);
	check_fail(box_config_parse("port: 22\0x", 10, F, &cfg, &err),
	    "NUL byte", "NUL byte in file");
	box_error_clear(&err);
	check_fail(box_config_parse("host: \xff\xfe\n", 9, F, &cfg, &err),
	    "invalid input", "invalid UTF-8");

	big = malloc(BOX_CONFIG_MAX_BYTES + 2);
	memset(big, '#', BOX_CONFIG_MAX_BYTES + 1);
	big[BOX_CONFIG_MAX_BYTES + 1] = '\0';
	cfail(big, "file too large", "oversized file refused");
	big[BOX_CONFIG_MAX_BYTES] = '\0';
	is_int(cparse(big), 0, "file of exactly the limit accepted");
	free(big);
}

static void
test_profile_defaults(void)
{
	if (!ok(pparse(IMG) == 0, "profile with only image"))
		diag("%s", err.msg);
	is_str(prof.name, "t", "name from argument");
	is_str(prof.image, "x", "image");
	is_str(prof.description, "", "no description");
	is_str(prof.runtime, "docker", "default runtime");
	{
		static const char *const rts[] = { "runc", "crun", "runsc" };
		char buf[64], name[64];
		size_t i;

		for (i = 0; i < 3; i++) {
			snprintf(buf, sizeof(buf), IMG "runtime: %s\n", rts[i]);
			snprintf(name, sizeof(name), "runtime %s", rts[i]);
			is_int(pparse(buf), 0, name);
			is_str(prof.runtime, rts[i], name);
		}
		pparse(IMG);
	}
	is_int(prof.ttl, 1800, "default ttl");
	is_int(prof.max_ttl, 14400, "default max_ttl");
	is_int(prof.linger, 300, "default linger");
	is_int(prof.nwarn, 2, "default warn count");
	is_int(prof.warn[0], 300, "default warn 5m");
	is_int(prof.warn[1], 60, "default warn 1m");
	is_int(prof.memory, 512LL << 20, "default memory");
	is_int(prof.nano_cpus, 1000000000LL, "default cpus");
	is_int(prof.pids, 256, "default pids");
	is_str(prof.network, "none", "default network");
	is_str(prof.user, "root", "default user");
	is_str(prof.shell, "/bin/sh", "default shell");
	is_str(prof.workdir, "", "default workdir");
	is_int(prof.read_only, 0, "default read_only");
	is_int(prof.ntmpfs, 0, "default tmpfs");
	is_int(prof.tmpfs_size, 64LL << 20, "default tmpfs_size");
	is_int(prof.disk, 0, "default disk: no limit");
	is_int(prof.shm_size, 16LL << 20, "default shm_size");
	is_int(prof.ncap_add, 0, "default cap_add");

	pfail("", P ":1: image: required key is missing",
	    "empty profile refused");
	pfail("---\n", "image: required", "empty document profile refused");
	pfail("ttl: 1m\n", "image: required", "profile without image");
	box_error_clear(&err);
	is_int(box_config_parse_profile(IMG, 9, P, "../x", &prof, &err), -1,
	    "parse refuses bad name");
	box_error_clear(&err);
	is_int(box_config_parse_profile(IMG, 9, P, NULL, &prof, &err), -1,
	    "parse refuses NULL name");
}

/* Recording, watching, retention, metrics and log format. */
static void
test_observe(void)
{
	is_int(cparse("state_dir: /s\n"), 0, "defaults for observing");
	is_str(cfg.recordings_dir, "/s/recordings",
	    "recordings live with the state by default");
	is_int(cfg.retention, 90 * 86400, "default retention 90 days");
	is_str(cfg.metrics_file, "", "no metrics file by default");
	is_int(cfg.log_format, BOX_LOG_TEXT, "text logs by default");
	ok(strstr(cfg.player_dir, "/asciinema-player") != NULL,
	    "the player under the package's data");
	is_int(cparse("recordings_dir: rec\nretention: 0\nmetrics_file: "
	    "/m/sshbox.prom\nplayer_dir: /pl\nlog_format: json\n"), 0,
	    "all set");
	is_str(cfg.recordings_dir, "/srv/bastion/rec", "  recordings_dir");
	is_int(cfg.retention, 0, "  retention 0: forever");
	is_str(cfg.metrics_file, "/m/sshbox.prom", "  metrics_file");
	is_str(cfg.player_dir, "/pl", "  player_dir");
	is_int(cfg.log_format, BOX_LOG_JSON, "  log_format");
	cfail("log_format: xml\n", ":1: log_format: \"xml\": expected text "
	    "or json", "a bad log format");
	cfail("retention: -1d\n", ":1: retention:", "a bad retention");

	is_int(pparse(IMG), 0, "profile defaults for observing");
	ok(prof.record == BOX_RECORD_OFF && !prof.record_required &&
	    prof.watch && prof.watch_notice, "  nothing recorded, watch "
	    "allowed and told");
	is_int(pparse(IMG "record: all\nrecord_required: true\nwatch: no\n"
	    "watch_notice: false\n"), 0, "all set");
	ok(prof.record == BOX_RECORD_ALL && prof.record_required &&
	    !prof.watch && !prof.watch_notice, "  as set");
	is_int(pparse(IMG "record: output\n"), 0, "record: output");
	is_int(prof.record, BOX_RECORD_OUTPUT, "  output");
	is_int(pparse(IMG "record: off\n"), 0, "record: off");
	is_int(prof.record, BOX_RECORD_OFF, "  off");
	pfail(IMG "record: everything\n", ":2: record: \"everything\": "
	    "expected off, output or all", "a bad record value");
	pfail(IMG "record_required: yes\n", ":2: record_required: needs "
	    "record", "required with nothing recorded");
	pfail(IMG "session: pass-through\nrecord: output\n", ":3: record: a "
	    "recorded profile relays", "recorded pass-through refused");
	pfail(IMG "watch: maybe\n", ":2: watch:", "a bad watch value");
	is_int(prof.record_max, 64LL << 20, "record_max: 64m by default");
	is_int(pparse(IMG "record_max: 10m\n"), 0, "record_max set");
	is_int(prof.record_max, 10LL << 20, "  10m");
	pfail(IMG "record_max: 200m\n", ":2: record_max: at most 100m",
	    "record_max over what replay reads");
	pfail(IMG "record_max: 1k\n", ":2: record_max: must be at least 64k",
	    "record_max too small");
}

static void
test_profile_full(void)
{
	const char *y =
	    "description: \"A box \xc3\xa9t\xc3\xa9\"\n"
	    "image: registry.local:5000/team/img@sha256:abc-1_2\n"
	    "runtime: docker\n"
	    "ttl: 1h\n"
	    "max_ttl: 1d\n"
	    "linger: 0\n"
	    "warn: [10m, 2m, 30s]\n"
	    "memory: 2g\n"
	    "cpus: 0.25\n"
	    "pids: 1024\n"
	    "network: lab_net\n"
	    "user: \"1000:1000\"\n"
	    "shell: /bin/bash\n"
	    "workdir: /work\n"
	    "read_only: yes\n"
	    "tmpfs:\n"
	    "  - /tmp\n"
	    "  - /var/cache/apt\n"
	    "tmpfs_size: 16m\n"
	    "disk: 2g\n"
	    "shm_size: 8m\n"
	    "cap_add:\n"
	    "  - NET_BIND_SERVICE\n"
	    "  - CHOWN\n";

	if (!ok(pparse(y) == 0, "full profile parses"))
		diag("%s", err.msg);
	is_str(prof.description, "A box \xc3\xa9t\xc3\xa9", "description");
	is_str(prof.image, "registry.local:5000/team/img@sha256:abc-1_2",
	    "image");
	is_int(prof.ttl, 3600, "ttl");
	is_int(prof.max_ttl, 86400, "max_ttl");
	is_int(prof.linger, 0, "linger 0 allowed");
	is_int(prof.nwarn, 3, "warn count");
	is_int(prof.warn[2], 30, "warn 30s");
	is_int(prof.memory, 2LL << 30, "memory");
	is_int(prof.nano_cpus, 250000000LL, "cpus 0.25");
	is_int(prof.pids, 1024, "pids");
	is_str(prof.network, "lab_net", "network");
	is_str(prof.user, "1000:1000", "uid:gid");
	is_str(prof.shell, "/bin/bash", "shell");
	is_str(prof.workdir, "/work", "workdir");
	is_int(prof.read_only, 1, "read_only yes");
	is_int(prof.ntmpfs, 2, "tmpfs count");
	is_str(prof.tmpfs[1], "/var/cache/apt", "tmpfs path");
	is_int(prof.tmpfs_size, 16LL << 20, "tmpfs_size");
	is_int(prof.disk, 2LL << 30, "disk");
	is_int(prof.shm_size, 8LL << 20, "shm_size");
	is_int(prof.ncap_add, 2, "cap count");
	is_str(prof.cap_add[0], "NET_BIND_SERVICE", "cap 0");

	is_int(pparse(IMG "warn: []\ncap_add: []\ntmpfs: []\n"), 0,
	    "empty lists");
	is_int(prof.nwarn, 0, "no warnings");
	is_int(pparse(IMG "cpus: 2\nread_only: False\nuser: \"1000\"\n"), 0,
	    "integer cpus");
	is_int(prof.nano_cpus, 2000000000LL, "cpus 2");
	is_int(prof.read_only, 0, "read_only False");
	is_str(prof.user, "1000", "numeric uid");
	is_int(pparse(IMG "cpus: 0.000000001\n"), -1, "cpus below 0.01");
	is_int(pparse(IMG "cpus: 64.0\nworkdir: \"\"\n"), 0, "cpus 64");
	is_int(prof.nano_cpus, 64000000000LL, "cpus 64 value");
	is_int(pparse(IMG "ttl: 4h\nmax_ttl: 4h\n"), 0, "ttl equal max_ttl");
}

static void
test_profile_errors(void)
{
	char y[1024];
	size_t i, o;
	static const char *denied[] = {
		"SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO",
		"SYS_BOOT", "MAC_ADMIN", "MAC_OVERRIDE", "NET_ADMIN",
		"SYS_TIME", "DAC_READ_SEARCH", "BPF", "PERFMON", "SYSLOG",
		"LINUX_IMMUTABLE", "SETPCAP", "SETFCAP", "ALL",
	};
	static const char *allowed[] = {
		"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID",
		"KILL", "SETGID", "SETUID", "NET_BIND_SERVICE", "NET_RAW",
		"SYS_CHROOT", "MKNOD", "IPC_LOCK", "SYS_NICE", "LEASE",
		"SYS_RESOURCE", "WAKE_ALARM",
	};

	pfail("image: \"\"\n", P ":1: image: must be 1 to 255",
	    "empty image");
	pfail("image: \"ubuntu latest\"\n", ":1: image: not an image",
	    "image with space");
	pfail("image: \"-x\"\n", ":1: image: must start", "image with -");
	pfail("image: [a]\n", ":1: image: expected a single value",
	    "image as list");
	pfail(IMG "runtime: podman\n", ":2: runtime: unknown runtime "
	    "\"podman\" (docker, runc, crun, runsc or microvm)",
	    "unknown runtime");
	pfail(IMG "runtime: microvm\nsession: pass-through\n",
	    ":3: session: microvm boxes relay their sessions",
	    "microvm cannot take pass-through sessions");
	pfail(IMG "accel: kvm\n", ":2: accel: only microvm boxes have an "
	    "accelerator", "accel on a container profile");
	ok(pparse(IMG "runtime: microvm\n") == 0 &&
	    strcmp(prof.accel, "auto") == 0, "microvm: accel auto by default");
	ok(pparse(IMG "runtime: microvm\naccel: tcg\n") == 0 &&
	    strcmp(prof.accel, "tcg") == 0, "microvm: accel tcg");
	ok(cparse("runtime:\n  microvm:\n    user: vmuser\n") == 0 &&
	    strcmp(cfg.microvm_user, "vmuser") == 0,
	    "runtime.microvm.user names QEMU's account");
	cfail("runtime:\n  microvm:\n    user: root\n", "user: expected the "
	    "name of an unprivileged account", "QEMU's account is not root");
	pfail(IMG "runtime: microvm\naccel: hvf\n", ":3: accel: \"hvf\" is "
	    "not auto, kvm or tcg", "an unknown accelerator");
	pfail(IMG "runtime: runsc\nsession: pass-through\n",
	    ":3: session: runsc boxes relay their sessions",
	    "runsc cannot take pass-through sessions");
	pfail(IMG "ttl: 2h\nmax_ttl: 1h\n", ":2: ttl: 2h is longer than "
	    "max_ttl 1h", "ttl above max_ttl");
	pfail(IMG "max_ttl: 10m\n", ":2: ttl: 30m is longer than max_ttl",
	    "default ttl above max_ttl");
	pfail(IMG "ttl: 0\n", ":2: ttl: must be at least 1s", "ttl 0");
	pfail(IMG "ttl: 30\n", ":2: ttl: \"30\" needs a unit",
	    "a duration without a unit");
	pfail(IMG "ttl: 30s\n" "max_ttl: 0s\n", ":3: max_ttl: must be at least",
	    "max_ttl 0");
	pfail(IMG "linger: -1m\n", ":2: linger: bad duration",
	    "negative linger");
	pfail(IMG "warn: [5m, 4m, 3m, 2m, 1m]\n", ":2: warn: at most 4",
	    "five warnings");
	pfail(IMG "warn: 5m\n", ":2: warn: expected a list",
	    "warn as scalar");
	pfail(IMG "warn:\n  - 5m\n  - soon\n", ":4: warn[1]: bad duration",
	    "bad warn item, line of the item");
	pfail(IMG "warn: [0s]\n", "warn[0]: must be at least 1s", "warn 0");
	pfail(IMG "warn: [[1m]]\n", "warn[0]: expected a single value",
	    "nested list in warn");
	pfail(IMG "memory: 1m\n", ":2: memory: must be at least 4m",
	    "memory 1m");
	pfail(IMG "memory: 1t\n", ":2: memory: bad size", "memory 1t");
	pfail(IMG "memory: \"\"\n", ":2: memory: bad size", "memory empty");
	pfail(IMG "memory: 99999999999999999999g\n", ":2: memory: bad size",
	    "memory overflow");
	pfail(IMG "cpus: 0\n", ":2: cpus:", "cpus 0");
	pfail(IMG "cpus: 0.001\n", ":2: cpus:", "cpus 0.001");
	pfail(IMG "cpus: 65\n", ":2: cpus:", "cpus 65");
	pfail(IMG "cpus: 64.5\n", ":2: cpus:", "cpus 64.5");
	pfail(IMG "cpus: .5\n", ":2: cpus:", "cpus .5");
	pfail(IMG "cpus: 1.\n", ":2: cpus:", "cpus 1.");
	pfail(IMG "cpus: 1e3\n", ":2: cpus:", "cpus 1e3");
	pfail(IMG "cpus: 99999999999999999999\n", ":2: cpus:", "cpus huge");
	pfail(IMG "cpus: 0.1234567891\n", ":2: cpus:", "cpus 10 decimals");
	pfail(IMG "pids: 15\n", ":2: pids: number out of range", "pids 15");
	pfail(IMG "pids: 65537\n", ":2: pids: number out of range",
	    "pids 65537");
	pfail(IMG "network: host\n", ":2: network: host networking is too "
	    "powerful", "network host");
	pfail(IMG "network: container:abc\n", ":2: network: expected none",
	    "network container:");
	pfail(IMG "network: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    ":2: network:", "network 32 chars");
	pfail(IMG "user: \"a b\"\n", ":2: user: expected a user name",
	    "user with space");
	pfail(IMG "user: \"1000:\"\n", ":2: user:", "user 1000:");
	pfail(IMG "user: \"1000:x\"\n", ":2: user:", "user 1000:x");
	pfail(IMG "user: \"99999999999:1\"\n", ":2: user:", "uid too large");
	pfail(IMG "shell: bash\n", ":2: shell: must be an absolute path",
	    "relative shell");
	pfail(IMG "shell: /bin/../x\n", ":2: shell: must not contain ..",
	    "shell with ..");
	pfail(IMG "workdir: home\n", ":2: workdir: must be an absolute",
	    "relative workdir");
	pfail(IMG "read_only: maybe\n", ":2: read_only: expected true or false",
	    "bad bool");
	pfail(IMG "read_only: 1\n", ":2: read_only:", "numeric bool");
	pfail(IMG "tmpfs: /tmp\n", ":2: tmpfs: expected a list",
	    "tmpfs as scalar");
	pfail(IMG "tmpfs: [tmp]\n", ":2: tmpfs[0]: must be an absolute",
	    "relative tmpfs");
	pfail(IMG "tmpfs: [/tmp/../etc]\n", "tmpfs[0]: must not contain ..",
	    "tmpfs with ..");
	pfail(IMG "tmpfs: [/a/..]\n", "must not contain ..", "tmpfs ending ..");
	pfail(IMG "tmpfs: [\"/tmp:exec\"]\n", "tmpfs[0]: only",
	    "tmpfs with mount options");
	pfail(IMG "tmpfs: [/]\n", "tmpfs[0]: cannot mount over /",
	    "tmpfs over /");
	pfail(IMG "tmpfs: [/a,/b,/c,/d,/e,/f,/g,/h,/i]\n",
	    ":2: tmpfs: at most 8", "nine tmpfs");
	is_int(pparse(IMG "tmpfs: [/a..b, /.x]\n"), 0,
	    "dots inside names are fine");
	pfail(IMG "tmpfs_size: 0\n", ":2: tmpfs_size: must be at least 4k",
	    "tmpfs_size 0");
	pfail(IMG "tmpfs_size: big\n", ":2: tmpfs_size: bad size",
	    "tmpfs_size bad");
	pfail(IMG "disk: 0\n", ":2: disk: must be at least 1m (leave it out "
	    "for no limit)", "disk 0");
	pfail(IMG "disk: 10k\n", ":2: disk: must be at least 1m", "disk 10k");
	pfail(IMG "disk: -1g\n", ":2: disk: bad size", "disk negative");
	pfail(IMG "disk: [1g]\n", ":2: disk: ", "disk as a list");
	pfail(IMG "shm_size: 1k\n", ":2: shm_size: must be at least 64k",
	    "shm_size 1k");
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		char name[64], want[96];

		snprintf(y, sizeof(y), IMG "cap_add: [CHOWN, %s]\n", denied[i]);
		snprintf(want, sizeof(want), ":2: cap_add[1]: %s is too "
		    "powerful for a guest box", denied[i]);
		snprintf(name, sizeof(name), "cap_add %s refused", denied[i]);
		pfail(y, want, name);
	}
	pfail(IMG "cap_add: [CAP_CHOWN]\n", "cap_add[0]: write capabilities "
	    "without CAP_", "CAP_ prefix refused");
	pfail(IMG "cap_add: [chown]\n", "cap_add[0]: unknown capability",
	    "lower case capability");
	pfail(IMG "cap_add: [FLY]\n", "unknown capability \"FLY\"",
	    "unknown capability");
	pfail(IMG "cap_add: [KILL, KILL]\n", "cap_add[1]: KILL is listed twice",
	    "duplicate capability");
	pfail(IMG "cap_add: KILL\n", ":2: cap_add: expected a list",
	    "cap_add as scalar");
	pfail(IMG "cap_add: [{a: b}]\n", "cap_add[0]: expected a single value",
	    "mapping in cap_add");
	o = (size_t)snprintf(y, sizeof(y), IMG "cap_add: [");
	for (i = 0; i < 17; i++)
		o += (size_t)snprintf(y + o, sizeof(y) - o, "%s%s",
		    i ? "," : "", allowed[i]);
	snprintf(y + o, sizeof(y) - o, "]\n");
	pfail(y, "cap_add: at most 16", "seventeen capabilities");
	pfail(IMG "imag: y\n", ":2: imag: unknown key", "unknown profile key");
	pfail(IMG "image: y\n", ":2: image: duplicate key",
	    "duplicate profile key");
	pfail("image: &i x\n", "anchors", "anchor in profile");
	pfail(IMG "---\n" IMG, "only one YAML document",
	    "two profile documents");
	pfail("- image: x\n", ":1: expected a mapping", "profile as a list");
}

/* The shipped template, with make's substitutions, gives the defaults. */
static void
test_template(void)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX], *in = NULL, out[8192];
	static const struct {
		const char *from, *to;
	} subst[] = {
		{ "@sysconfdir@", SYSCONFDIR },
		{ "@localstatedir@", LOCALSTATEDIR },
		{ "@pkglibexecdir@", LIBEXECDIR },
	};
	struct box_config def;
	size_t len, i, o = 0, j;

	snprintf(path, sizeof(path), "%s/etc/sshbox.yaml.in",
	    top != NULL ? top : ".");
	if (!ok(box_read_file(path, 65536, &in, &len, &err) == 0,
	    "read etc/sshbox.yaml.in")) {
		diag("%s", err.msg);
		return;
	}
	for (i = 0; i < len && o + 32 < sizeof(out); ) {
		for (j = 0; j < sizeof(subst) / sizeof(subst[0]); j++)
			if (strncmp(in + i, subst[j].from,
			    strlen(subst[j].from)) == 0)
				break;
		if (j < sizeof(subst) / sizeof(subst[0])) {
			memcpy(out + o, subst[j].to, strlen(subst[j].to));
			o += strlen(subst[j].to);
			i += strlen(subst[j].from);
		} else
			out[o++] = in[i++];
	}
	out[o] = '\0';
	free(in);
	ok(i == len && strchr(out, '@') == NULL, "all placeholders replaced");
	is_int(cparse(""), 0, "defaults");
	def = cfg;
	if (!ok(cparse(out) == 0, "template parses"))
		diag("%s", err.msg);
	is_str(cfg.box_user, def.box_user, "template box_user");
	is_str(cfg.state_dir, def.state_dir, "template state_dir");
	is_str(cfg.signing_key, def.signing_key, "template signing_key");
	is_str(cfg.verify_key, def.verify_key, "template verify_key");
	is_str(cfg.profiles_dir, def.profiles_dir, "template profiles_dir");
	is_str(cfg.shell_path, def.shell_path, "template shell");
	is_str(cfg.host, def.host, "template host");
	is_int(cfg.port, def.port, "template port");
	is_str(cfg.instance, def.instance, "template instance");
	is_str(cfg.docker_socket, def.docker_socket, "template socket");
	is_int(cfg.docker_timeout, def.docker_timeout, "template timeout");
	is_int(cfg.redeem_max, def.redeem_max, "template max_attempts");
	is_int(cfg.redeem_window, def.redeem_window, "template window");
	is_int(cfg.create_timeout, def.create_timeout,
	    "template create_timeout");
}

static int
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(s, f);
	return fclose(f);
}

static char pdir[] = "/tmp/test-config-profiles.XXXXXX";

static void
remove_pdir(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/dev.yaml", pdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secure-shell.yaml", pdir);
	unlink(path);
	rmdir(pdir);
}

static void
test_load(void)
{
	char dir[] = "/tmp/test-config.XXXXXX", path[PATH_MAX];
	const char *top = getenv("top_srcdir");
	struct box_config scfg;
	int rc;

	/* The shipped profiles, copied to a directory of safe modes: a
	 * source tree unpacked from a tarball may be group-writable, which
	 * the loader rightly refuses. */
	{
		static const char *const names[] = { "dev", "secure-shell" };
		char src[PATH_MAX], dst[PATH_MAX], *text;
		size_t i;

		if (mkdtemp(pdir) == NULL)
			printf("Bail out! mkdtemp\n"), exit(1);
		atexit(remove_pdir);
		for (i = 0; i < 2; i++) {
			snprintf(src, sizeof(src), "%s/profiles/%s.yaml",
			    top != NULL ? top : ".", names[i]);
			snprintf(dst, sizeof(dst), "%s/%s.yaml", pdir,
			    names[i]);
			if (box_read_file(src, 65536, &text, NULL, &err) < 0 ||
			    write_file(dst, text) < 0)
				printf("Bail out! %s\n", src), exit(1);
			free(text);
		}
		memset(&scfg, 0, sizeof(scfg));
		snprintf(scfg.profiles_dir, sizeof(scfg.profiles_dir), "%s",
		    pdir);
	}
	box_error_clear(&err);
	rc = box_config_load_profile(&scfg, "dev", &prof, &err);
	if (!ok(rc == 0, "shipped dev profile loads"))
		diag("%s", err.msg);
	is_str(prof.name, "dev", "dev name");
	is_str(prof.image, "sshbox/dev:latest", "dev image");
	is_int(prof.ttl, 1800, "dev ttl");
	is_int(prof.max_ttl, 4 * 3600, "dev max_ttl");
	is_int(prof.linger, 300, "dev linger");
	is_int(prof.memory, 1LL << 30, "dev memory");
	is_int(prof.nano_cpus, 1000000000LL, "dev cpus");
	is_int(prof.pids, 512, "dev pids");
	is_str(prof.network, "none", "dev network");
	is_str(prof.user, "guest", "dev user");
	is_str(prof.shell, "/bin/bash", "dev shell");
	is_str(prof.workdir, "/home/guest", "dev workdir");
	is_int(prof.read_only, 0, "dev read_only");
	is_int(prof.ncap_add, 6, "dev cap_add count");
	is_str(prof.cap_add[5], "KILL", "dev cap_add KILL");

	box_error_clear(&err);
	rc = box_config_load_profile(&scfg, "secure-shell", &prof, &err);
	if (!ok(rc == 0, "shipped secure-shell profile loads"))
		diag("%s", err.msg);
	is_str(prof.image, "sshbox/busybox:latest", "secure-shell image");
	is_int(prof.ttl, 900, "secure-shell ttl");
	is_int(prof.max_ttl, 3600, "secure-shell max_ttl");
	is_int(prof.linger, 60, "secure-shell linger");
	is_int(prof.memory, 128LL << 20, "secure-shell memory");
	is_int(prof.nano_cpus, 500000000LL, "secure-shell cpus");
	is_int(prof.pids, 64, "secure-shell pids");
	is_int(prof.read_only, 1, "secure-shell read_only");
	is_int(prof.ntmpfs, 2, "secure-shell tmpfs count");
	is_str(prof.tmpfs[1], "/home/guest", "secure-shell tmpfs");
	is_str(prof.user, "1000:1000", "secure-shell user");
	is_int(prof.ncap_add, 0, "secure-shell no caps");

	box_error_clear(&err);
	is_int(box_config_load_profile(&scfg, "../etc/passwd", &prof, &err),
	    -1, "profile name with ../ refused");
	ok(strstr(err.msg, "invalid profile name") != NULL,
	    "../ message");
	is_int(box_config_load_profile(&scfg, "a/b", &prof, &err), -1,
	    "profile name with / refused");
	is_int(box_config_load_profile(&scfg, ".hidden", &prof, &err), -1,
	    "profile name with leading dot refused");
	is_int(box_config_load_profile(&scfg, "", &prof, &err), -1,
	    "empty profile name refused");
	is_int(box_config_load_profile(&scfg,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &prof, &err), -1,
	    "33-character profile name refused");
	box_error_clear(&err);
	is_int(box_config_load_profile(&scfg, "nosuch", &prof, &err), -1,
	    "missing profile");
	is_int(err.kind, BOX_E_NOTFOUND, "missing profile is NOTFOUND");

	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/profiles", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/profiles/mini.yaml", dir);
	write_file(path, "image: alpine:3\nttl: 5m\n");
	snprintf(path, sizeof(path), "%s/profiles/bad.yaml", dir);
	write_file(path, "image: alpine:3\nttl: forever\n");
	snprintf(path, sizeof(path), "%s/sshbox.yaml", dir);
	write_file(path, "profiles_dir: profiles\nport: 2022\n");
	box_error_clear(&err);
	is_int(box_config_load(path, &cfg, &err), 0, "box_config_load");
	is_int(cfg.port, 2022, "loaded port");
	is_int(box_config_load_profile(&cfg, "mini", &prof, &err), 0,
	    "profile from relative profiles_dir");
	is_int(prof.ttl, 300, "loaded profile ttl");
	box_error_clear(&err);
	is_int(box_config_load_profile(&cfg, "bad", &prof, &err), -1,
	    "bad profile file");
	ok(strstr(err.msg, "/profiles/bad.yaml:2: ttl: bad duration") != NULL,
	    "error names file, line and key");
	diag("%s", err.msg);
	write_file(path, "port: 2022\nport: 1\n");
	box_error_clear(&err);
	is_int(box_config_load(path, &cfg, &err), -1, "load bad config");
	ok(strstr(err.msg, "sshbox.yaml:2: port: duplicate key") != NULL,
	    "load error message");
	snprintf(path, sizeof(path), "%s/nonexistent.yaml", dir);
	box_error_clear(&err);
	is_int(box_config_load(path, &cfg, &err), -1, "missing config");
	is_int(err.kind, BOX_E_CONFIG, "missing config is a config error");

	snprintf(path, sizeof(path), "%s/profiles/mini.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/profiles/bad.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/profiles", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sshbox.yaml", dir);
	unlink(path);
	rmdir(dir);
}

/* Session hooks: commands allowed and denied, extra environment, a
 * banner; and box_command_allowed over them. */
static void
test_hooks(void)
{
	is_int(pparse(IMG), 0, "hooks: none by default");
	ok(prof.ncmd_allow == 0 && prof.ncmd_deny == 0 && prof.nenv == 0 &&
	    prof.banner[0] == '\0', "  no commands, env or banner");
	is_int(box_command_allowed(&prof, "rm -rf / ; curl x | sh", &err), 0,
	    "  every command runs");
	is_int(pparse(IMG "commands:\n  allow: [\"make *\", \"git status\"]\n"
	    "  deny: [\"*--force*\"]\nenv:\n  LANG: C.UTF-8\n  MODE: interview\n"
	    "banner: |\n  Welcome, candidate.\n  Be kind to the box.\n"), 0,
	    "all set");
	ok(prof.ncmd_allow == 2 && strcmp(prof.cmd_allow[0], "make *") == 0 &&
	    prof.ncmd_deny == 1, "  the patterns");
	ok(prof.nenv == 2 && strcmp(prof.env[0], "LANG=C.UTF-8") == 0 &&
	    strcmp(prof.env[1], "MODE=interview") == 0, "  the environment");
	is_str(prof.banner, "Welcome, candidate.\nBe kind to the box.",
	    "  the banner, its last newline dropped");
	is_int(box_command_allowed(&prof, "make test", &err), 0,
	    "  a listed command runs");
	is_int(box_command_allowed(&prof, "  git status \r\n", &err), 0,
	    "  blanks around it do not matter");
	ok(box_command_allowed(&prof, "git push", &err) < 0 &&
	    err.kind == BOX_E_DENIED && strstr(err.msg, "does not run that "
	    "command") != NULL, "  an unlisted one does not");
	ok(box_command_allowed(&prof, "make test; curl evil | sh", &err) < 0 &&
	    strstr(err.msg, "each simple") != NULL,
	    "  a listed one chained to another does not");
	{
		static const char *const chained[] = { "make a && id",
		    "make a || id", "make $(id)", "make `id`", "make a > /etc/x",
		    "make < /dev/zero", "make a\nid", "make a & id",
		    "make {a,b}", "make \\; id", "make (a)" };
		char name[96];
		size_t i;

		for (i = 0; i < sizeof(chained) / sizeof(chained[0]); i++) {
			snprintf(name, sizeof(name), "  refused: \"%s\"",
			    chained[i]);
			ok(box_command_allowed(&prof, chained[i], &err) < 0,
			    name);
		}
	}
	ok(box_command_allowed(&prof, "make --force", &err) < 0 &&
	    strstr(err.msg, "denies") != NULL, "  allowed but denied: refused");
	is_int(pparse(IMG "commands:\n  deny: [\"curl *\", \"*nc *\"]\n"), 0,
	    "a denylist alone");
	is_int(box_command_allowed(&prof, "ls -l; echo ok", &err), 0,
	    "  anything else runs, shell and all");
	ok(box_command_allowed(&prof, "curl http://x", &err) < 0,
	    "  a denied one does not");
	ok(box_command_allowed(&prof, "tcp 80", &err) == 0,
	    "  a port stream is a command line too: not denied here");
	pfail(IMG "commands: [\"ls\"]\n", ":2: commands:", "commands as a list");
	pfail(IMG "commands:\n  permit: [ls]\n", ":3: commands.permit: unknown "
	    "key", "an unknown commands key");
	pfail(IMG "commands:\n  allow: ls\n", ":3: commands.allow: expected a "
	    "list", "allow as a scalar");
	pfail(IMG "commands:\n  allow: [\"\"]\n", "commands.allow[0]: a pattern",
	    "an empty pattern");
	pfail(IMG "env:\n  TERM: vt100\n", ":3: env.TERM: TERM is the guest",
	    "TERM is not the profile's");
	pfail(IMG "env:\n  1A: x\n", ":3: env.1A: a variable name",
	    "a name starting with a digit");
	pfail(IMG "env:\n  \"A-B\": x\n", "env.A-B: a variable name",
	    "a name with a dash");
	pfail(IMG "env: [A]\n", ":2: env: expected a mapping", "env as a list");
	pfail(IMG "env:\n  A: \"\\e[2J\"\n", ":3: env.A: control character",
	    "a value with an escape");
	pfail(IMG "banner: \"a\\e[2Jb\"\n", ":2: banner: lines of UTF-8",
	    "a banner with an escape");
	pfail(IMG "banner: \"a\\u0085b\"\n", ":2: banner: lines of UTF-8",
	    "a banner with a C1 control");
	pfail(IMG "banner: [a]\n", ":2: banner: expected text",
	    "a banner as a list");
	{
		char big[2100];

		snprintf(big, sizeof(big), IMG "banner: \"%01200d\"\n", 0);
		pfail(big, ":2: banner: too long", "a banner over 1023 bytes");
	}
}

/* Staff and policy: the CA, groups, quotas, blackout windows, approval. */
static void
test_policy(void)
{
	const struct box_group *g;
	struct box_blackout b;
	const char *why;
	int64_t until;

	is_int(cparse("state_dir: /s\n"), 0, "policy: defaults");
	ok(cfg.ngroups == 0 && cfg.max_boxes_per_person == 3 &&
	    cfg.staff_max_cert_ttl == 12 * 3600 && cfg.nblackouts == 0 &&
	    cfg.napproval_profiles == 0 && cfg.approval_timeout == 10 &&
	    cfg.approval_wait == 300, "  no groups, 3 a person, 12h certificates");
	is_str(cfg.approval_key, "/s/approval.key",
	    "  the approval key lives with the state");
	ok(strstr(cfg.staff_ca, "/sshbox/user_ca") != NULL &&
	    strstr(cfg.staff_krl, "/sshbox/revoked.krl") != NULL,
	    "  the CA and its revocation list beside the configuration");
	is_int(cparse("staff:\n  ca_key: /k/ca\n  revoked_keys: /k/krl\n"
	    "  max_cert_ttl: 8h\npolicy:\n  max_boxes_per_person: 2\n"
	    "  groups:\n    ops:\n      profiles: [dev, prod]\n"
	    "      max_ttl: 2h\n      max_boxes: 5\n      invite: true\n"
	    "    dev:\n      profiles: [dev]\n  blackout:\n"
	    "    - \"Sat,Sun 00:00-24:00\"\n"
	    "    - \"2026-12-24T00:00Z/2026-12-27T00:00Z\"\n  approval:\n"
	    "    profiles: [prod]\n    webhook: https://hooks.example/a\n"
	    "    timeout: 5s\n    wait: 2m\n"), 0, "all set");
	ok(strcmp(cfg.staff_ca, "/k/ca") == 0 && cfg.staff_max_cert_ttl ==
	    8 * 3600 && cfg.max_boxes_per_person == 2, "  staff");
	g = box_config_group(&cfg, "ops");
	ok(g != NULL && g->nprofiles == 2 && strcmp(g->profiles[1], "prod") ==
	    0 && g->max_ttl == 7200 && g->max_boxes == 5 && g->invite,
	    "  group ops");
	g = box_config_group(&cfg, "dev");
	ok(g != NULL && g->max_ttl == 0 && g->max_boxes == 10 && !g->invite,
	    "  group dev: the defaults");
	ok(box_config_group(&cfg, "nope") == NULL, "  no group nope");
	ok(cfg.nblackouts == 2 && cfg.napproval_profiles == 1 &&
	    strcmp(cfg.approval_webhook, "https://hooks.example/a") == 0 &&
	    cfg.approval_timeout == 5 && cfg.approval_wait == 120,
	    "  blackout and approval");
	is_int(cparse("policy:\n  principals:\n    alice: [ops]\n    bob.b: []\n"
	    "  groups:\n    ops: {}\n"), 0, "principals, before their groups");
	ok(cfg.nprincipals == 2 && box_config_principal(&cfg, "alice") !=
	    NULL && box_config_principal(&cfg, "alice")->ngroups == 1 &&
	    strcmp(box_config_principal(&cfg, "alice")->groups[0], "ops") == 0 &&
	    box_config_principal(&cfg, "carol") == NULL, "  alice is in ops");
	cfail("policy:\n  principals:\n    alice: [nope]\n", "policy.principals."
	    "alice: no group nope in policy.groups", "a principal in no such "
	    "group");
	cfail("policy:\n  principals:\n    Alice: [ops]\n  groups:\n    ops: {}\n",
	    "policy.principals.Alice: not a principal name",
	    "a principal in capitals");
	cfail("policy:\n  groups:\n    Ops: {}\n", ":3: policy.groups.Ops: a "
	    "group name", "a group name in capitals");
	cfail("policy:\n  groups:\n    ops:\n      profiles: [../x]\n",
	    "policy.groups.ops.profiles[0]: not a profile name",
	    "a group's profile that is no name");
	cfail("policy:\n  groups:\n    ops:\n      sudo: true\n",
	    "policy.groups.ops.sudo: unknown key", "an unknown group key");
	cfail("policy:\n  groups: [ops]\n", "policy.groups: expected a "
	    "mapping", "groups as a list");
	cfail("policy:\n  approval:\n    webhook: ftp://x/\n",
	    "policy.approval.webhook: an http:// or https:// URL",
	    "a webhook that is not http");
	cfail("policy:\n  approval:\n    webhook: \"http://x/a b\"\n",
	    "policy.approval.webhook: a URL without blanks", "a URL with a blank");
	cfail("policy:\n  blackout: [\"Funday 10:00-11:00\"]\n",
	    "policy.blackout[0]: days are", "an unknown day");
	cfail("policy:\n  blackout: [\"Mon 10:00-25:00\"]\n",
	    "policy.blackout[0]: times are", "hour 25");
	cfail("policy:\n  blackout: [\"Mon 10:00-10:00\"]\n",
	    "policy.blackout[0]: the window is empty", "an empty window");
	cfail("policy:\n  blackout: [\"2026-02-31T00:00Z/2026-03-02T00:00Z\"]\n",
	    "policy.blackout[0]: a window once", "31 February");
	cfail("policy:\n  blackout: [\"2026-03-02T00:00Z/2026-03-01T00:00Z\"]\n",
	    "policy.blackout[0]: the window ends before it starts",
	    "a window ending before it starts");
	cfail("staff:\n  max_cert_ttl: 0s\n", "staff.max_cert_ttl: must be at "
	    "least 1s", "a certificate of no time");

	/* Windows: 2026-12-05 is a Saturday; 12-07 a Monday. */
	ok(box_blackout_parse("Sat,Sun 00:00-24:00", &b, &why) == 0 &&
	    b.days == 0x60, "weekend: Saturday and Sunday");
	ok(box_blackout_active(&b, 1796428800 + 3600, &until) == 1 &&
	    until == 1796428800 + 86400, "  Saturday 01:00 is in, until "
	    "midnight");
	ok(box_blackout_active(&b, 1796428800 - 1, &until) == 0,
	    "  Friday 23:59:59 is not");
	ok(box_blackout_parse("Mon-Fri 22:00-06:00", &b, &why) == 0 &&
	    b.days == 0x1f, "weeknights: Monday to Friday, past midnight");
	ok(box_blackout_active(&b, 1796601600 + 23 * 3600, &until) == 1 &&
	    until == 1796601600 + 30 * 3600, "  Monday 23:00 is in, until "
	    "Tuesday 06:00");
	ok(box_blackout_active(&b, 1796601600 + 5 * 3600, &until) == 0,
	    "  Monday 05:00 is not (Sunday night is free)");
	ok(box_blackout_active(&b, 1796601600 + 29 * 3600, &until) == 1,
	    "  Tuesday 05:00 is (Monday night's)");
	ok(box_blackout_parse("Fri-Mon 12:00-13:00", &b, &why) == 0 &&
	    b.days == (0x1 | 0x10 | 0x20 | 0x40), "a range over the week's end");
	ok(box_blackout_parse("* 12:00-13:00", &b, &why) == 0 && b.days == 0x7f,
	    "every day");
	ok(box_blackout_parse("2026-12-24T00:00Z/2026-12-27T00:00Z", &b,
	    &why) == 0 && !b.weekly && box_blackout_active(&b, 1798070400,
	    &until) == 1 && until == 1798329600 &&
	    box_blackout_active(&b, 1798329600, &until) == 0,
	    "once: in at its start, out at its end");
}

int
main(void)
{
	test_defaults();
	test_full();
	test_relative();
	test_config_errors();
	test_profile_defaults();
	test_profile_full();
	test_profile_errors();
	test_observe();
	test_hooks();
	test_policy();
	test_template();
	test_load();
	return tap_done();
}
