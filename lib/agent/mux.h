/*
 * The microVM link: many agent sessions over one byte stream.
 *
 * A microVM's agent is reached through one virtio-serial port, one stream
 * whatever the number of sessions.  Both ends of it run this multiplexer:
 * on the host, box-agent --vm-host (as the VM's unprivileged user) accepts
 * box-shell's connections on the box's agent socket, exactly as a
 * container's agent does, and carries each as a channel; in the guest,
 * box-agent --vm (PID 1) serves each channel as one agent session
 * (agent.h, relay mode), on a socket pair of its own.  The bytes of a
 * channel are the agent protocol's, untouched.
 *
 * A frame: type (1 byte), channel (4, big-endian), length N (4), then N
 * bytes (N <= BOX_MUX_DATA_MAX; 4 for ACK, 0 for OPEN and CLOSE).
 *   HELLO  chan 0: "sshbox-mux 1"; the guest says it on start and answers
 *          every HELLO of the host's; the host serves once it has heard it
 *   OPEN   host -> guest: a new channel (ids only grow, never reused)
 *   DATA   bytes of a channel
 *   ACK    this many bytes of the channel were delivered: the sender may
 *          send that many more (each side starts with BOX_MUX_WINDOW)
 *   CLOSE  the sender is done with the channel, after what it sent
 *
 * Trust: the guest end is the guest's.  The host end bounds everything it
 * reads: a frame over the limits, a DATA beyond the window, an ACK beyond
 * it, or an OPEN from the guest is a protocol error, which ends the link;
 * frames for a channel already closed are dropped.
 */
#ifndef BOX_MUX_H
#define BOX_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BOX_MUX_HDR		9
#define BOX_MUX_DATA_MAX	(64 * 1024)
#define BOX_MUX_WINDOW		(256 * 1024)
#define BOX_MUX_CHANS		16		/* open at once */
#define BOX_MUX_HELLO		"sshbox-mux 1"

enum box_mux_type {
	BOX_MUX_T_HELLO = 'H',
	BOX_MUX_T_OPEN = 'O',
	BOX_MUX_T_DATA = 'D',
	BOX_MUX_T_ACK = 'A',
	BOX_MUX_T_CLOSE = 'C',
};

struct box_mux_frame {
	uint8_t		 type;
	uint32_t	 chan;
	const uint8_t	*payload;
	size_t		 len;
};

/*
 * Parse one frame from buf: bytes used (> 0), 0 when incomplete, -1 when
 * malformed (unknown type, length over the limit or wrong for the type,
 * a HELLO that is not chan 0 and BOX_MUX_HELLO, an OPEN from the guest
 * when from_guest).
 */
long	box_mux_parse(const uint8_t *buf, size_t len, int from_guest,
	    struct box_mux_frame *f, struct box_error *err);

/* Write a frame header into hdr. */
void	box_mux_header(uint8_t hdr[BOX_MUX_HDR], int type, uint32_t chan,
	    size_t len);

struct box_mux;

/*
 * Guest: a new channel chan; returns the descriptor of its session (a
 * stream socket, made non-blocking here), or -1 to refuse it.
 */
typedef int (*box_mux_open_fn)(void *arg, uint32_t chan);

/*
 * Run the multiplexer on link until it ends.  Host (guest == 0): once the
 * guest has said HELLO, ready_fn is called (once) and returns a listening
 * socket (non-blocking) whose connections are channels, or -1 (an
 * error: the run ends).  Guest: channels
 * come from the host's OPEN (open_fn).  extra_fd, when >= 0, is polled
 * too and extra_fn called when it is readable (the agent's signals).
 * Returns 0 when the link ended (its end of stream), -1 on a protocol
 * error or a failure (err says which).
 */
struct box_mux_opts {
	int		 guest;
	int		 link;
	box_mux_open_fn	 open_fn;
	int		(*ready_fn)(void *arg);
	int		 extra_fd;
	int		(*extra_fn)(void *arg);	/* < 0: stop; > 0: stop
						   polling extra_fd */
	void		*arg;
};
int	box_mux_run(const struct box_mux_opts *o, struct box_error *err);

#endif
