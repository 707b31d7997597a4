#!/bin/bash
# A profile with a network (egress), with Docker: the box reaches a server
# on that network, and only there.  The network is one this test makes,
# --internal (no route out of it), with the server the test runs on it:
# no traffic leaves the machine.
. "$(dirname "$0")/lib.sh"
setup_bastion
net=sbx-$(openssl rand -hex 4)
srv=sbx-srv-$(openssl rand -hex 4)
net_cleanup() {
	# The boxes on the network first: it cannot go while they are on it.
	docker ps -aq --filter "label=io.sshbox.instance=$INSTANCE" |
		xargs -r docker rm -f >/dev/null 2>&1
	docker rm -f "$srv" >/dev/null 2>&1
	docker network rm "$net" >/dev/null 2>&1
}
TEST_CLEANUP=net_cleanup
docker network create --internal "$net" >/dev/null ||
	{ echo "Bail out! cannot create an internal Docker network"; exit 1; }
docker run -d --name "$srv" --network "$net" "$IMAGE" sh -c \
	'mkdir -p /www && echo hello-from-the-egress-server > /www/index.html && exec httpd -f -p 8080 -h /www' >/dev/null
ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$srv")
t_like "a server on the test's internal network" "$ip" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'

write_profile egress "network: $net"
new_key e; new_key n
gssh e redeem --bind-only "$(new_invite --profile egress)" </dev/null >/dev/null 2>&1
gssh n redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
# (busybox's static wget crashes in getaddrinfo; nc speaks the HTTP.)
get="printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $ip 8080"
t_is "a box of a profile with that network reaches the server" \
	"$(gssh e "$get" </dev/null 2>&1 | tail -1)" hello-from-the-egress-server
t_like "  it has an interface besides lo" "$(gssh e 'ls /sys/class/net' </dev/null | tr '\n' ' ')" 'eth0'
out=$(gssh n "$get; echo rc=\$?" </dev/null 2>&1)
t_like "a box without a network does not" "$out" 'rc=[1-9]'
t_ok "  and got nothing of it" sh -c "! printf '%s' \"\$1\" | grep -q hello-from" _ "$out"
write_profile hostnet "network: host"
t_like "network: host is refused" "$($INVITE create --profile hostnet 2>&1)" "host networking is too powerful"
t_done
