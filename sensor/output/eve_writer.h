// EVE JSON and fast.log rendering of watchpost.v1 alerts, and the file sinks that write them.
// Sinks are owned by the output thread (today: the pipeline thread); each keeps one reused
// line buffer and a stdio buffer; flush() at exit, and by the caller when it wants the file
// current.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "common/result.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output {

struct EveOptions {
  bool payload = true;            // eve-log.payload (base64)
  bool payload_printable = true;  // eve-log.payload-printable
  bool packet = true;             // eve-log.packet (base64) and packet_info
  bool metadata = true;           // eve-log.metadata (alert.metadata)
};

// Appends one EVE alert record (no trailing newline) to `out`. Field names and formats are
// Suricata's (see docs/eve.md); `host` and `watchpost` carry the sensor identity.
void render_eve_alert(const watchpost::v1::Alert& alert, const EveOptions& options,
                      std::string& out);
// Appends one fast.log line (no trailing newline), as Suricata's fast.log writes it.
void render_fast_alert(const watchpost::v1::Alert& alert, std::string& out);

// An append-only line sink: a file, or standard output for "-".
class LineFile {
 public:
  static Result<std::unique_ptr<LineFile>> open(const std::string& path);
  ~LineFile();
  void write_line(const std::string& line);
  void flush();

 private:
  LineFile() = default;
  std::FILE* f_ = nullptr;
  bool owned_ = false;
};

}  // namespace wp::output

namespace wp::output {

// Where built alerts go. Two real implementations today (EVE JSON file, fast.log); the
// collector shipper is the next. Called on the worker thread, once per alert.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void on_alert(const watchpost::v1::Alert& alert) = 0;
  virtual void flush() = 0;
};

class EveAlertSink final : public AlertSink {
 public:
  EveAlertSink(std::unique_ptr<LineFile> file, EveOptions options)
      : file_(std::move(file)), options_(options) {}
  void on_alert(const watchpost::v1::Alert& alert) override {
    line_.clear();
    render_eve_alert(alert, options_, line_);
    file_->write_line(line_);
  }
  void flush() override { file_->flush(); }

 private:
  std::unique_ptr<LineFile> file_;
  EveOptions options_;
  std::string line_;
};

class FastAlertSink final : public AlertSink {
 public:
  explicit FastAlertSink(std::unique_ptr<LineFile> file) : file_(std::move(file)) {}
  void on_alert(const watchpost::v1::Alert& alert) override {
    line_.clear();
    render_fast_alert(alert, line_);
    file_->write_line(line_);
  }
  void flush() override { file_->flush(); }

 private:
  std::unique_ptr<LineFile> file_;
  std::string line_;
};

}  // namespace wp::output
