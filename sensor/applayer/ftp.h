// FTP's command channel (RFC 959) as the application layer reads it, each direction split
// anywhere: the client's commands and the server's replies (multi-line ones included). As
// Suricata, each command is a transaction (ids from 0) completed by its final reply; a reply
// that answers no command (the 220 banner) is a transaction of its own without a command.
// PORT/EPRT make a transaction's mode active with their port; the 227 answer to PASV and
// the 229 answer to EPSV make it passive with the announced port (ftp.dynamic_port); a PORT
// command's address is kept for ftpbounce.
//
// Bounds per flow: one line per direction (kFtpMaxLine, Suricata's default; longer is cut
// and flagged), kFtpMaxTx live transactions (the oldest is recycled; commands pipelined
// deeper lose their pairing), kFtpMaxReplyLines lines kept per reply. Allocation: the
// transactions' strings keep their capacity when recycled. Thread: the worker's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "applayer/line_buffer.h"
#include "applayer/text_list.h"
#include "common/byte_reader.h"

namespace wp::applayer {

inline constexpr std::size_t kFtpMaxLine = 4096;
inline constexpr std::size_t kFtpMaxTx = 8;
inline constexpr std::size_t kFtpMaxReplyLines = 32;

enum FtpEvent : std::uint32_t {
  kFtpRequestCommandTooLong = 1u << 0,   // a command line over kFtpMaxLine
  kFtpResponseCommandTooLong = 1u << 1,  // a reply line over kFtpMaxLine
};
inline constexpr int kFtpEventCount = 2;
std::string_view ftp_event_name(int bit);

enum class FtpMode : std::uint8_t { kNone, kActive, kPassive };

struct FtpTransaction {
  std::uint64_t id = 0;
  std::string command;       // the verb as sent ("USER"); "" for a reply without command
  std::string command_data;  // the rest of the line after the verb and its space
  TextList replies;           // each reply line's text after the code
  TextList completion_codes;  // each reply line's code ("331")
  bool reply_received = false;  // the final reply line came
  FtpMode mode = FtpMode::kNone;
  std::uint16_t dynamic_port = 0;
  bool port_v4 = false;        // a PORT command's address parsed
  std::uint8_t port_ip[4] = {};
  std::uint32_t events = 0;

  void clear();
};

struct FtpSink {
  // A transaction reached a point: its command (to_server), or its final reply.
  void (*fn)(void* ctx, const FtpTransaction& tx, bool to_server) = nullptr;
  void* ctx = nullptr;
  void operator()(const FtpTransaction& tx, bool to_server) const {
    if (fn != nullptr) fn(ctx, tx, to_server);
  }
};

class FtpSession {
 public:
  FtpSession();
  void feed(bool to_server, Bytes data, const FtpSink& sink);
  void gap(bool to_server) { lost_[to_server ? 0 : 1] = true; }
  // The live transaction with id `id`, or null.
  const FtpTransaction* find(std::uint64_t id) const;

 private:
  bool command_line(std::string_view line, bool too_long, const FtpSink& sink);
  bool reply_line(std::string_view line, bool too_long, const FtpSink& sink);
  FtpTransaction& open();

  LineBuffer lines_[2];
  bool lost_[2] = {false, false};
  FtpTransaction txs_[kFtpMaxTx];
  std::uint64_t next_id_ = 0;
  std::uint64_t oldest_unanswered_ = 0;  // id of the first transaction awaiting its reply
  FtpTransaction* reply_tx_ = nullptr;   // the transaction a multi-line reply is filling
  int reply_code_ = -1;                  // the code of that multi-line reply
};

}  // namespace wp::applayer
