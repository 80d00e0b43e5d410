// Orderly stop on SIGINT and SIGTERM, for the sensor's run loops (the offline replay today,
// the live runtime next). install_stop_handlers() makes both signals only record that a stop
// was asked for; a run loop polls stop_requested() (one relaxed atomic load, cheap enough per
// packet) and winds down: stop reading, flush whole lines, write stats and the summary, exit 0.
// The first signal also restores the default action of both, so a second one ends the process
// at once. The handlers are installed without SA_RESTART: a read blocked on a FIFO or a pipe
// given as -r input returns (EINTR) instead of waiting for more data. Process-wide state;
// install from the main thread before the run loop starts.
#pragma once

namespace wp::app {

// Installs the SIGINT and SIGTERM handlers (and clears an earlier request).
void install_stop_handlers();

// True once SIGINT or SIGTERM arrived after install_stop_handlers(). Async-signal-safe.
bool stop_requested();

// The signal that asked for the stop (SIGINT or SIGTERM); 0 when none did.
int stop_signal();

// "SIGINT" or "SIGTERM" (for messages); "no signal" when none arrived.
const char* stop_signal_name();

// SIGHUP (reload rules and reopen log files) and SIGUSR2 (reload rules): the handlers only
// count them; the control thread polls take_hangups() / take_reload_signals(). SIGPIPE is
// ignored (a control socket client that went away is an error code, not the end).
void install_reload_handlers();
// SIGHUPs since the last call.
unsigned take_hangups();
// SIGUSR2s since the last call.
unsigned take_reload_signals();

}  // namespace wp::app
