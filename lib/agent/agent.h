/*
 * The box-agent protocol: how box-shell talks to box-agent, PID 1 of every
 * box, over one stream connection per session.  Shared by both ends; the
 * agent links this file and error.c only (no OpenSSL, no libc extras), so
 * that it stays small and static.
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= BOX_AGENT_FRAME_MAX),
 * then N bytes: a type byte and N - 1 bytes of payload.
 *
 * host -> agent                      agent -> host
 *   OPEN   session request (+ fds)     HELLO   version, agent pid
 *   STDIN  bytes (relay)               STARTED pid of the session leader
 *   EOF    close stdin (relay)         STDOUT  bytes (relay)
 *   RESIZE rows cols (relay, tty)      STDERR  bytes (relay, no tty)
 *   SIGNAL signal number               EXIT    exited/signalled, value
 *   END    end the whole session       FAIL    one line saying why
 *
 * The agent greets with HELLO; the host sends OPEN; the agent answers
 * STARTED (or FAIL and closes).  In pass-through mode OPEN carries the
 * descriptors sshd gave box-shell (SCM_RIGHTS: the terminal, or stdin,
 * stdout and stderr) and the process uses them directly; in relay mode
 * the agent makes a terminal or pipes and the bytes travel as frames.
 * The session ends with EXIT, after which the agent closes.  Closing the
 * connection, or END, ends every process of the session.
 *
 * A TCP session (BOX_AGO_TCP, relay only) starts no process: the agent
 * connects to 127.0.0.1:port inside the box and carries its bytes as
 * STDIN and STDOUT; EOF shuts down the sending side, and the session
 * exits with status 0 when the port's side of the stream ends.
 *
 * Trust: the agent runs inside the guest's box and is the guest's.  Every
 * frame it sends is hostile input to the host, parsed here with a bound on
 * every length; nothing it says names a path, a box or a process outside.
 */
#ifndef BOX_AGENT_H
#define BOX_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BOX_AGENT_VERSION	1
#define BOX_AGENT_DATA_MAX	(64 * 1024)	/* payload of a data frame */
#define BOX_AGENT_CMD_MAX	(256 * 1024)	/* = BOX_COMMAND_MAX */
#define BOX_AGENT_FRAME_MAX	(BOX_AGENT_CMD_MAX + 8192)
#define BOX_AGENT_PATH_MAX	256		/* shell, workdir */
#define BOX_AGENT_ENV_MAX	32		/* variables in OPEN */
#define BOX_AGENT_ENVVAR_MAX	1024		/* one NAME=value */
#define BOX_AGENT_FAIL_MAX	200

enum box_agent_type {
	/* host -> agent */
	BOX_AGF_OPEN = 'O',
	BOX_AGF_STDIN = 'i',
	BOX_AGF_EOF = 'e',
	BOX_AGF_RESIZE = 'r',
	BOX_AGF_SIGNAL = 'k',
	BOX_AGF_END = 'x',
	/* agent -> host */
	BOX_AGF_HELLO = 'H',
	BOX_AGF_STARTED = 'S',
	BOX_AGF_STDOUT = 'o',
	BOX_AGF_STDERR = 'E',
	BOX_AGF_EXIT = 'X',
	BOX_AGF_FAIL = 'F',
};

/* OPEN flags. */
#define BOX_AGO_TTY	0x01	/* a terminal (else stdin, stdout, stderr) */
#define BOX_AGO_PASSFD	0x02	/* the descriptors ride along (pass-through) */
#define BOX_AGO_LOGIN	0x04	/* a login shell (no command) */
#define BOX_AGO_TCP	0x08	/* a stream to 127.0.0.1:port in the box */
#define BOX_AGO_ALL	0x0f

/* A frame as parsed: payload points into the caller's buffer. */
struct box_agent_frame {
	uint8_t		 type;
	const uint8_t	*payload;
	size_t		 len;
};

/* A session request, as the agent acts on it.  Strings are NUL-terminated. */
struct box_agent_open {
	unsigned	 flags;
	unsigned	 rows, cols;
	char		 shell[BOX_AGENT_PATH_MAX];
	char		 workdir[BOX_AGENT_PATH_MAX];  /* "": the agent's own */
	const char	*command;	/* into the frame; NULL for a login */
	size_t		 ncommand;
	unsigned	 port;		/* BOX_AGO_TCP: 1..65535, else 0 */
	char		 env[BOX_AGENT_ENV_MAX][BOX_AGENT_ENVVAR_MAX];
	size_t		 nenv;
};

/* How a session's process ended. */
struct box_agent_exit {
	int	 signalled;		/* 1: value is the signal number */
	int	 value;			/* exit status 0..255, or signal */
};

/*
 * Which frame types each side may receive; anything else from the peer is
 * a protocol error.
 */
int	box_agent_type_to_agent(int type);
int	box_agent_type_to_host(int type);

/*
 * Parse one frame from buf (len bytes).  Returns the bytes it used (> 0),
 * 0 when buf does not yet hold a whole frame, -1 (BOX_E_INPUT) when it is
 * malformed: a length of 0 or over BOX_AGENT_FRAME_MAX, an unknown type,
 * or a payload whose size is wrong for its type.  to_host selects which
 * side's types are acceptable.
 */
long	box_agent_frame_parse(const uint8_t *buf, size_t len, int to_host,
	    struct box_agent_frame *f, struct box_error *err);

/*
 * Write a frame header for type with a payload of len bytes into hdr (5
 * bytes).  -1 if len is too long.
 */
int	box_agent_frame_header(uint8_t hdr[5], int type, size_t len);

/*
 * Build an OPEN payload from o (command: o->command, o->ncommand) into buf.
 * Returns its length, or -1 when something does not fit or is invalid.
 */
long	box_agent_open_build(const struct box_agent_open *o, uint8_t *buf,
	    size_t bufsz, struct box_error *err);

/*
 * Parse an OPEN payload.  o->command points into p.  Strings must be
 * printable (the command: no NUL), paths absolute, env entries NAME=value
 * with a portable name.  0 or -1 (BOX_E_INPUT).
 */
int	box_agent_open_parse(const uint8_t *p, size_t len,
	    struct box_agent_open *o, struct box_error *err);

/* Fixed-size payloads: encode into buf, decode with bounds checked. */
void	box_agent_put_u16(uint8_t *p, unsigned v);
void	box_agent_put_u32(uint8_t *p, uint32_t v);
unsigned box_agent_get_u16(const uint8_t *p);
uint32_t box_agent_get_u32(const uint8_t *p);

/* HELLO: version and pid.  STARTED: pid.  EXIT: kind and value.  RESIZE:
 * rows and cols (1..65535).  SIGNAL: one of the few a guest may send. */
int	box_agent_parse_hello(const struct box_agent_frame *f,
	    unsigned *version, uint32_t *pid, struct box_error *err);
int	box_agent_parse_exit(const struct box_agent_frame *f,
	    struct box_agent_exit *e, struct box_error *err);
int	box_agent_parse_resize(const struct box_agent_frame *f,
	    unsigned *rows, unsigned *cols, struct box_error *err);
int	box_agent_parse_signal(const struct box_agent_frame *f, int *sig,
	    struct box_error *err);
/* FAIL: the message, made printable and bounded, into out. */
void	box_agent_parse_fail(const struct box_agent_frame *f, char *out,
	    size_t outsz);

/* A signal number the host may ask the agent to deliver (HUP, INT, QUIT,
 * TERM, KILL, USR1, USR2, WINCH, CONT, STOP, TSTP). */
int	box_agent_signal_ok(int sig);

/*
 * A buffered connection: a bounded read buffer, descriptors received with
 * frames (SCM_RIGHTS, at most 3 at a time), and blocking frame writes.
 */
struct box_agent_conn {
	int	 fd;
	int	 to_host;		/* which side's frames we read */
	uint8_t	*buf;			/* BOX_AGENT_FRAME_MAX + 4 */
	size_t	 len;
	size_t	 used;			/* of the frame last returned */
	int	 fds[3];		/* received, not yet taken */
	int	 nfds;
	int	 eof;
};

/* 0 or -1; conn->buf is allocated.  box_agent_conn_free releases it and
 * any descriptors not taken (not conn->fd). */
int	box_agent_conn_init(struct box_agent_conn *c, int fd, int to_host,
	    struct box_error *err);
void	box_agent_conn_free(struct box_agent_conn *c);

/*
 * Read what the socket has now (one recvmsg; non-blocking sockets return
 * 0 with nothing new).  Returns 1 when data came, 0 when none was ready,
 * -1 on error; sets c->eof at end of stream.  Descriptors beyond three,
 * or while three are held, are closed at once.
 */
int	box_agent_conn_fill(struct box_agent_conn *c, struct box_error *err);

/*
 * The next whole frame in the buffer, if any: 1 (f valid until the next
 * call on c), 0 (need more), -1 (malformed: the connection is done).
 */
int	box_agent_conn_next(struct box_agent_conn *c,
	    struct box_agent_frame *f, struct box_error *err);

/*
 * Send one frame, with nfds descriptors riding along with its first byte.
 * A non-blocking socket that cannot take it is waited for, up to wait_ms
 * in all (-1: as long as it takes; a peer that goes away still ends the
 * wait).  0 or -1.
 */
int	box_agent_send(int fd, int type, const void *payload, size_t len,
	    const int *fds, int nfds, int wait_ms, struct box_error *err);

#endif
