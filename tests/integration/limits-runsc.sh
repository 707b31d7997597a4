#!/bin/sh
# limits.sh against the runsc runtime (SSHBOX_TEST_RUNTIME).
SSHBOX_TEST_RUNTIME=runsc exec bash "$(dirname "$0")/limits.sh"
