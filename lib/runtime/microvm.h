/*
 * The microvm driver (microvm.c): QEMU -M microvm boxes.  A profile's
 * accel: is kvm, tcg or auto: KVM when a bounded boot test of the store's
 * kernel passes here (the result remembered in OCI_DIR/.microvm-accel
 * until the kernel changes), TCG otherwise, said in the log and by
 * doctor.  A Firecracker driver would fit the same shape: its API socket
 * where QMP is, its jailer where QEMU's -runas/-chroot/-sandbox and the
 * cgroup are, vsock where the virtio-serial port is (box-runtime(8), "A
 * Firecracker driver").
 */
#ifndef BOX_MICROVM_H
#define BOX_MICROVM_H

#include <stddef.h>

#include <json-c/json.h>

#include "core/error.h"
#include "runtime/runtime.h"

/*
 * One line of QMP: *is_return 1 for {"return": ...} (*ret, when not NULL,
 * gets a reference to it), -1 for {"error": ...} (msg: its description,
 * printable), 0 for anything else (events, the greeting).  -1 when the
 * line is not a JSON object (bounded: 64 KiB, depth 8).
 */
int	box_vm_parse_qmp(const char *line, size_t len, int *is_return,
	    json_object **ret, char *msg, size_t msgsz,
	    struct box_error *err);

/*
 * accel: auto's choice, "kvm" or "tcg", into out; why (when not NULL)
 * says what decided it.  Probes once and remembers.
 */
int	box_vm_accel_auto(struct box_runtime *rt, char *out, size_t outsz,
	    char *why, size_t whysz, struct box_error *err);

/* " tsc_early_khz=N" for a TCG guest (its clock calibration can fail on
 * a busy host and hang the boot), "" otherwise. */
const char *box_vm_tsc_arg(const char *accel);

#endif
