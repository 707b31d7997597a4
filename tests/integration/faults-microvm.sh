#!/bin/sh
# faults.sh against the microvm runtime (SSHBOX_TEST_RUNTIME): make check-microvm.
SSHBOX_TEST_RUNTIME=microvm exec bash "$(dirname "$0")/faults.sh"
