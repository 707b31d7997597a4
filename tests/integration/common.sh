# What every integration test shares, with or without a bastion: TAP
# output, and the box account.  Sourced by lib.sh, and by tests that need
# no sshd or runtime.

t_n=0
t_failed=0

t_ok() {	# t_ok NAME COMMAND...: passes when COMMAND succeeds
	name=$1; shift
	t_n=$((t_n + 1))
	if "$@"; then
		echo "ok $t_n - $name"
	else
		echo "not ok $t_n - $name"
		t_failed=$((t_failed + 1))
	fi
}

# t_show LABEL TEXT: TEXT as TAP diagnostics, every line behind "#", so
# that a line of it that reads "ok ..." is never taken for a result.
t_show() {
	printf '%s\n' "$2" | head -20 | sed "s/^/#   $1 /"
}

t_is() {	# t_is NAME GOT EXPECTED
	t_n=$((t_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $t_n - $1"
	else
		echo "not ok $t_n - $1"
		t_show "got:     " "$2"
		t_show "expected:" "$3"
		t_failed=$((t_failed + 1))
	fi
}

t_like() {	# t_like NAME GOT PATTERN (grep -E)
	t_n=$((t_n + 1))
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		echo "ok $t_n - $1"
	else
		echo "not ok $t_n - $1"
		t_show "got:   " "$2"
		t_show "wanted:" "/$3/"
		t_failed=$((t_failed + 1))
	fi
}

t_skip() {	# t_skip NAME REASON: a check whose capability is absent here
	t_n=$((t_n + 1))
	echo "ok $t_n - $1 # SKIP $2"
}

t_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

t_done() {
	echo "1..$t_n"
	[ "$t_failed" -eq 0 ]
}

diag() { printf '# %s\n' "$*"; }
# strict_json: standard input is JSON and valid UTF-8 (jq alone would
# take bytes that are not UTF-8, replacing them).
strict_json() { _j=$(cat) && printf '%s' "$_j" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && printf '%s' "$_j" | jq -e . >/dev/null 2>&1; }

# The login account: created once, under a lock (tests run in parallel).
# The microvm runtime's account: QEMU and its link run as it.
vm_account() {
	(
		flock 9
		id "${VM_USER:-sshbox-vm}" >/dev/null 2>&1 ||
			useradd --system --shell /usr/sbin/nologin --home-dir /nonexistent \
				--no-create-home "${VM_USER:-sshbox-vm}"
	) 9>/run/sshbox-test-account.lock
}

box_account() {
	(
		flock 9
		if ! id "$BOX_USER" >/dev/null 2>&1; then
			useradd --system --shell /bin/sh --home-dir /var/lib/sshbox \
				--no-create-home "$BOX_USER"
		fi
		# sshd chdirs to the home (and complains on stderr if it cannot).
		mkdir -p /var/lib/sshbox
		chown "$BOX_USER:" /var/lib/sshbox
		chmod 750 /var/lib/sshbox
		usermod -d /var/lib/sshbox -p '*' "$BOX_USER" # "!" locks it for sshd
		# Not in the socket's group: box-runtime is its only way to Docker.
		if id -nG "$BOX_USER" | tr ' ' '\n' | grep -qx docker; then
			gpasswd -d "$BOX_USER" docker >/dev/null
		fi
	) 9>/run/sshbox-test-account.lock
}
