#include "applayer/ftp.h"

#include <algorithm>

namespace wp::applayer {
namespace {

constexpr std::string_view kFtpEventNames[kFtpEventCount] = {"request_command_too_long",
                                                             "response_command_too_long"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 32) : a[i];
    if (c != b[i]) return false;
  }
  return true;
}

// Six comma-separated numbers up to 255 ("h1,h2,h3,h4,p1,p2", RFC 959 PORT and the 227
// reply), the first such run in `s`: the address and port.
bool port_tuple(std::string_view s, std::uint8_t ip[4], std::uint16_t& port) {
  for (std::size_t start = 0; start < s.size(); ++start) {
    if (!is_digit(s[start]) || (start > 0 && is_digit(s[start - 1]))) continue;
    unsigned v[6] = {};
    std::size_t i = start;
    int n = 0;
    for (; n < 6; ++n) {
      std::size_t digits = 0;
      while (i < s.size() && is_digit(s[i]) && digits < 4) {
        v[n] = v[n] * 10 + static_cast<unsigned>(s[i] - '0');
        ++i;
        ++digits;
      }
      if (digits == 0 || v[n] > 255) break;
      if (n < 5) {
        if (i >= s.size() || s[i] != ',') break;
        ++i;
      }
    }
    if (n != 6) continue;
    for (int k = 0; k < 4; ++k) ip[k] = static_cast<std::uint8_t>(v[k]);
    port = static_cast<std::uint16_t>(v[4] * 256 + v[5]);
    return true;
  }
  return false;
}

// The decimal port that follows `after` (EPRT "|1|addr|port|" after the third '|'; the 229
// reply "(|||port|)" after "|||").
bool port_after(std::string_view s, std::size_t at, std::uint16_t& port) {
  unsigned v = 0;
  std::size_t digits = 0;
  while (at < s.size() && is_digit(s[at]) && digits < 6) {
    v = v * 10 + static_cast<unsigned>(s[at++] - '0');
    ++digits;
  }
  if (digits == 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// EPRT |proto|address|port|: the port after the third delimiter (the first character).
bool eprt_port(std::string_view arg, std::uint16_t& port) {
  if (arg.empty()) return false;
  const char delim = arg[0];
  std::size_t at = 0;
  for (int k = 0; k < 3; ++k) {
    at = arg.find(delim, at + (k == 0 ? 0 : 1));
    if (at == std::string_view::npos) return false;
  }
  return port_after(arg, at + 1, port);
}

}  // namespace

std::string_view ftp_event_name(int bit) {
  return bit >= 0 && bit < kFtpEventCount ? kFtpEventNames[bit] : std::string_view{};
}

void FtpTransaction::clear() {
  command.clear();
  command_data.clear();
  replies.clear();
  completion_codes.clear();
  reply_received = false;
  mode = FtpMode::kNone;
  dynamic_port = 0;
  port_v4 = false;
  events = 0;
}

FtpSession::FtpSession() : lines_{LineBuffer(kFtpMaxLine), LineBuffer(kFtpMaxLine)} {}

const FtpTransaction* FtpSession::find(std::uint64_t id) const {
  const FtpTransaction& t = txs_[id % kFtpMaxTx];
  return id < next_id_ && t.id == id ? &t : nullptr;
}

FtpTransaction& FtpSession::open() {
  FtpTransaction& t = txs_[next_id_ % kFtpMaxTx];
  if (reply_tx_ == &t) reply_tx_ = nullptr;
  t.clear();
  t.id = next_id_++;
  // A recycled transaction that still awaited its reply loses it.
  if (next_id_ > kFtpMaxTx) oldest_unanswered_ = std::max(oldest_unanswered_, next_id_ - kFtpMaxTx);
  return t;
}

void FtpSession::feed(bool to_server, Bytes data, const FtpSink& sink) {
  const int di = to_server ? 0 : 1;
  if (lost_[di]) return;
  lines_[di].feed(data, [&](std::string_view line, bool too_long) {
    return to_server ? command_line(line, too_long, sink) : reply_line(line, too_long, sink);
  });
}

bool FtpSession::command_line(std::string_view line, bool too_long, const FtpSink& sink) {
  if (line.empty()) return true;
  FtpTransaction& t = open();
  if (too_long) t.events |= kFtpRequestCommandTooLong;
  const std::size_t space = line.find(' ');
  t.command = line.substr(0, space);
  if (space != std::string_view::npos) t.command_data = line.substr(space + 1);
  if (equals_nocase(t.command, "PORT")) {
    t.port_v4 = port_tuple(t.command_data, t.port_ip, t.dynamic_port);
    if (t.port_v4) t.mode = FtpMode::kActive;
  } else if (equals_nocase(t.command, "EPRT")) {
    if (eprt_port(t.command_data, t.dynamic_port)) t.mode = FtpMode::kActive;
  }
  sink(t, true);
  return true;
}

bool FtpSession::reply_line(std::string_view line, bool too_long, const FtpSink& sink) {
  const bool coded = line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]);
  FtpTransaction* t = reply_tx_;
  if (t == nullptr) {
    if (!coded) return true;  // not a reply: nothing to attach it to
    FtpTransaction& waiting = txs_[oldest_unanswered_ % kFtpMaxTx];
    const bool answers = oldest_unanswered_ < next_id_ && waiting.id == oldest_unanswered_;
    t = answers ? &waiting : &open();
    reply_code_ = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  }
  if (too_long) t->events |= kFtpResponseCommandTooLong;
  const bool same_code = coded && (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') == reply_code_;
  const bool continued = line.size() > 3 && line[3] == '-';
  const std::string_view text = coded ? line.substr(std::min<std::size_t>(line.size(), 4)) : line;
  if (t->replies.size() < kFtpMaxReplyLines) {
    t->replies.add(text);
    if (coded) t->completion_codes.add(line.substr(0, 3));
  }
  if (!same_code || continued) {
    reply_tx_ = t;  // a multi-line reply goes on until its code followed by a space
    return true;
  }
  reply_tx_ = nullptr;
  t->reply_received = true;
  std::uint8_t ip[4];
  if (reply_code_ == 227 && port_tuple(text, ip, t->dynamic_port)) {
    t->mode = FtpMode::kPassive;
  } else if (reply_code_ == 229) {
    const std::size_t bars = text.find("|||");
    if (bars != std::string_view::npos && port_after(text, bars + 3, t->dynamic_port)) {
      t->mode = FtpMode::kPassive;
    }
  }
  if (t->id >= oldest_unanswered_) oldest_unanswered_ = t->id + 1;
  sink(*t, false);
  return true;
}

}  // namespace wp::applayer
