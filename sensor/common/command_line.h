// Usage errors of a getopt_long() loop, worded the same by every tool's command line.
#pragma once

#include <string>

#include "common/result.h"

namespace wp {

// The error for what getopt_long() returned when the option string starts with ':': ':' is
// an option without its value ("--db needs a value"), anything else an unknown option
// ("unknown option --frobnicate"). Reads optind: call it right after getopt_long().
Error option_error(int c, char** argv);

// An error when operands are left after the options ("unexpected argument 'x'").
Result<void> no_operands(int argc, char** argv);

}  // namespace wp
