#!/bin/sh
# limits.sh against the runc runtime (SSHBOX_TEST_RUNTIME).
SSHBOX_TEST_RUNTIME=runc exec bash "$(dirname "$0")/limits.sh"
