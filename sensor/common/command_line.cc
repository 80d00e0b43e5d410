#include "common/command_line.h"

#include <getopt.h>

namespace wp {

Error option_error(int c, char** argv) {
  const std::string option = argv[optind - 1];
  return c == ':' ? make_error(option + " needs a value") : make_error("unknown option " + option);
}

Result<void> no_operands(int argc, char** argv) {
  if (optind < argc) return make_error("unexpected argument '" + std::string(argv[optind]) + "'");
  return {};
}

}  // namespace wp
