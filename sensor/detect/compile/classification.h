// classification.config and reference.config: classtype -> (description, priority) and
// reference system -> URL prefix. Cold path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace wp::detect {

struct Classification {
  std::string name;         // short name, e.g. "attempted-admin"
  std::string description;  // EVE alert.category
  int priority = 3;         // EVE alert.severity
};

class ClassificationTable {
 public:
  // The bundled default table (Suricata's classification.config entries).
  static ClassificationTable defaults();
  // Parses "config classification: name,description,priority" lines. Malformed lines are
  // errors naming FILE:LINE; comments and blank lines are skipped.
  static Result<ClassificationTable> load(const std::string& path);

  const Classification* find(const std::string& name) const;
  void add(Classification c);
  // The table as a classification.config file ("config classification: name,description,
  // priority" lines, by name), which load() reads back to the same table.
  std::string to_config_text() const;

 private:
  std::map<std::string, Classification> by_name_;
};

class ReferenceTable {
 public:
  static ReferenceTable defaults();
  // Parses "config reference: system url-prefix" lines.
  static Result<ReferenceTable> load(const std::string& path);
  // "url" + "," + id -> "http://id"; unknown systems return the id as is.
  std::string url(const std::string& system, const std::string& id) const;
  // The table as a reference.config file ("config reference: system url-prefix" lines).
  std::string to_config_text() const;

 private:
  std::map<std::string, std::string> prefix_;
};

}  // namespace wp::detect
