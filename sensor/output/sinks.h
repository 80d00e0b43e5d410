// Where events go. Two sides:
//  - AlertSink: where a worker hands each alert it built (the ring to the output thread in
//    the sensor; a collector in tests and tools). Called on the worker thread.
//  - EventSink: what the output thread writes each event to, in order: the collector spool
//    first (it assigns the sequence number), then the EVE file and fast.log.
#pragma once

#include <memory>
#include <string>

#include "output/eve.h"
#include "output/line_file.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // `alert` is the worker's reused message: valid for the call only.
  virtual void on_alert(const watchpost::v1::Alert& alert) = 0;
  // Flow records (at flow end) and anomalies, when the configuration asks for them. Sinks
  // that only count alerts (tests, tools) leave them alone.
  virtual void on_flow(const watchpost::v1::FlowRecord&) {}
  virtual void on_anomaly(const watchpost::v1::Anomaly&) {}
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // May set fields it owns (the spool sets `seq`); later sinks see them.
  virtual void write(watchpost::v1::Event& event) = 0;
  // Makes what was written durable to this sink's standard (the file's page cache).
  virtual void flush() = 0;
  // Reopens the sink's file after a log rotation (SIGHUP); an error leaves the old one in use.
  virtual Result<void> reopen() { return {}; }
};

// EVE JSON lines for alert, flow and anomaly events and, when EveOptions::stats, stats events.
class EveSink final : public EventSink {
 public:
  EveSink(std::unique_ptr<LineFile> file, EveOptions options)
      : file_(std::move(file)), options_(options) {}
  void write(watchpost::v1::Event& event) override {
    line_.clear();
    if (event.has_alert()) {
      render_eve_alert(event.alert(), options_, line_);
    } else if (event.has_stats() && options_.stats) {
      render_eve_stats(event.stats(), options_, line_);
    } else if (event.has_flow()) {
      render_eve_flow(event.flow(), options_, line_);
    } else if (event.has_anomaly()) {
      render_eve_anomaly(event.anomaly(), options_, line_);
    } else {
      return;
    }
    file_->write_line(line_);
  }
  void flush() override { file_->flush(); }
  Result<void> reopen() override { return file_->reopen(); }
  LineFile& file() { return *file_; }

 private:
  std::unique_ptr<LineFile> file_;
  EveOptions options_;
  std::string line_;
};

// fast.log lines for alert events.
class FastSink final : public EventSink {
 public:
  explicit FastSink(std::unique_ptr<LineFile> file) : file_(std::move(file)) {}
  void write(watchpost::v1::Event& event) override {
    if (!event.has_alert()) return;
    line_.clear();
    render_fast_alert(event.alert(), line_);
    file_->write_line(line_);
  }
  void flush() override { file_->flush(); }
  Result<void> reopen() override { return file_->reopen(); }
  LineFile& file() { return *file_; }

 private:
  std::unique_ptr<LineFile> file_;
  std::string line_;
};

}  // namespace wp::output
