#include "schema.h"

#include <string>

namespace wp::store {

Result<void> check_schema(Database& db) {
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return version.error();
  auto tables = db.query_int(
      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
      "('alerts', 'stats', 'marks', 'sensors')");
  if (!tables) return tables.error();
  if (*version == 0 || *tables != 4) return make_error("not a watchpost store", db.path());
  if (*version > kSchemaVersion) {
    return make_error("schema version " + std::to_string(*version) + " is newer than this tool (" +
                          std::to_string(kSchemaVersion) + ")",
                      db.path());
  }
  return {};
}

}  // namespace wp::store
