#!/bin/sh
# isolation.sh against the runc runtime (SSHBOX_TEST_RUNTIME).
SSHBOX_TEST_RUNTIME=runc exec bash "$(dirname "$0")/isolation.sh"
