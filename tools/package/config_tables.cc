// watchpost-config-tables: writes the built-in classification and reference tables as
// classification.config and reference.config files (the install ships them, so the
// packaged configuration names real files an administrator can edit). Run by the build.
#include <cstdio>
#include <string>

#include "common/file_io.h"
#include "detect/compile/classification.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: watchpost-config-tables CLASSIFICATION_OUT REFERENCE_OUT\n");
    return 2;
  }
  const std::string header =
      "# Written from watchpost's built-in table (the one used when no file is configured).\n";
  const auto c = wp::write_file(
      argv[1], header + wp::detect::ClassificationTable::defaults().to_config_text());
  const auto r =
      wp::write_file(argv[2], header + wp::detect::ReferenceTable::defaults().to_config_text());
  if (!c || !r) {
    std::fprintf(stderr, "watchpost-config-tables: %s\n",
                 (!c ? c.error() : r.error()).describe().c_str());
    return 1;
  }
  return 0;
}
