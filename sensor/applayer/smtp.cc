#include "applayer/smtp.h"

#include <algorithm>

#include "common/text.h"

namespace wp::applayer {
namespace {

constexpr std::string_view kSmtpEventNames[kSmtpEventCount] = {
    "invalid_reply",
    "unable_to_match_reply_with_request",
    "max_command_line_len_exceeded",
    "max_reply_line_len_exceeded",
    "invalid_pipelined_sequence",
    "no_server_welcome_message",
    "tls_rejected",
    "data_command_rejected",
    "mime_invalid_base64",
    "mime_invalid_qp",
    "mime_long_boundary",
    "truncated_data",
};
constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 5.1.1

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (upper(s[i]) != upper(prefix[i])) return false;
  }
  return true;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && starts_with_nocase(a, b);
}

// A command's parameter as Suricata keeps it: after the prefix, spaces skipped, up to the
// next space (RFC 1870's SIZE=... and other options after it are left out).
std::string_view parameter(std::string_view line, std::size_t prefix) {
  if (prefix >= line.size()) return {};
  std::string_view p = line.substr(prefix);
  while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
  const std::size_t space = p.find(' ');
  return space == std::string_view::npos ? p : p.substr(0, space);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char u = upper(c);
  if (u >= 'A' && u <= 'F') return u - 'A' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Appends the base64 text `in` decoded (line breaks and spaces skipped, stopping at '='),
// at most up to `limit` bytes of `out`.
void decode_base64(std::string_view in, std::string& out, std::size_t limit, std::uint32_t& events) {
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (out.size() >= limit) return;
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) {
      if (c != '\r' && c != '\n' && c != ' ' && c != '\t') events |= kSmtpMimeInvalidBase64;
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
}

// Appends the quoted-printable text `in` decoded (soft line breaks removed, =XX escapes
// undone; an invalid escape is kept as it is and flagged).
void decode_qp(std::string_view in, std::string& out, std::size_t limit, std::uint32_t& events) {
  for (std::size_t i = 0; i < in.size() && out.size() < limit; ++i) {
    const char c = in[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    const std::string_view rest = in.substr(i + 1);
    if (rest.starts_with("\r\n")) {
      i += 2;
    } else if (rest.starts_with("\n")) {
      i += 1;
    } else if (rest.size() >= 2 && hex_value(rest[0]) >= 0 && hex_value(rest[1]) >= 0) {
      out.push_back(static_cast<char>(hex_value(rest[0]) * 16 + hex_value(rest[1])));
      i += 2;
    } else {
      events |= kSmtpMimeInvalidQp;
      out.push_back(c);
    }
  }
}

// The value of header `name` in a header block (folded lines joined with their whitespace),
// "" when absent.
std::string header_value(std::string_view headers, std::string_view name) {
  std::string value;
  bool in = false;
  while (!headers.empty()) {
    const std::size_t lf = headers.find('\n');
    std::string_view line = headers.substr(0, lf);
    headers = lf == std::string_view::npos ? std::string_view{} : headers.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      value += line;
      continue;
    }
    if (in) break;
    if (starts_with_nocase(line, name) && line.size() > name.size() && line[name.size()] == ':') {
      value = trim(line.substr(name.size() + 1));
      in = true;
    }
  }
  return value;
}

// The boundary parameter of a Content-Type value ("" when absent).
std::string_view boundary_of(std::string_view content_type) {
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i + 9 <= content_type.size(); ++i) {
    if (starts_with_nocase(content_type.substr(i), "boundary=")) {
      at = i + 9;
      break;
    }
  }
  if (at == std::string_view::npos) return {};
  std::string_view v = content_type.substr(at);
  if (!v.empty() && v.front() == '"') {
    v.remove_prefix(1);
    return v.substr(0, v.find('"'));
  }
  const std::size_t end = v.find_first_of("; \t");
  return end == std::string_view::npos ? v : v.substr(0, end);
}

// Splits an entity (headers, blank line, body) at its blank line.
void split_entity(std::string_view entity, std::string_view& headers, std::string_view& body) {
  std::size_t blank = entity.find("\r\n\r\n");
  std::size_t skip = 4;
  const std::size_t lf = entity.find("\n\n");
  if (lf != std::string_view::npos && (blank == std::string_view::npos || lf < blank)) {
    blank = lf;
    skip = 2;
  }
  if (entity.starts_with("\r\n") || entity.starts_with("\n")) {  // no headers at all
    headers = {};
    body = entity.substr(entity[0] == '\r' ? 2 : 1);
    return;
  }
  if (blank == std::string_view::npos) {  // no header block: all of it is content
    headers = {};
    body = entity;
    return;
  }
  headers = entity.substr(0, blank + skip / 2);
  body = entity.substr(blank + skip);
}

void decode_entity(std::string_view entity, int depth, SmtpMail& mail, std::uint32_t& events);

// The parts of a multipart body: between lines "--boundary", up to "--boundary--".
void decode_multipart(std::string_view body, std::string_view boundary, int depth, SmtpMail& mail,
                      std::uint32_t& events) {
  std::string delimiter = "--";
  delimiter += boundary;
  std::size_t part_start = std::string_view::npos;
  std::size_t from = 0;
  while (from < body.size()) {
    const std::size_t at = body.find(delimiter, from);
    if (at == std::string_view::npos) break;
    from = at + delimiter.size();
    if (at != 0 && body[at - 1] != '\n') continue;  // not at a line start
    if (part_start != std::string_view::npos) {
      // The line break before the delimiter belongs to it (RFC 2046).
      std::size_t end = at;
      if (end > part_start && body[end - 1] == '\n') --end;
      if (end > part_start && body[end - 1] == '\r') --end;
      decode_entity(body.substr(part_start, end - part_start), depth + 1, mail, events);
    }
    if (body.substr(from).starts_with("--")) return;  // the closing delimiter
    const std::size_t lf = body.find('\n', from);
    if (lf == std::string_view::npos) return;
    part_start = lf + 1;
  }
  if (part_start != std::string_view::npos && part_start < body.size()) {
    decode_entity(body.substr(part_start), depth + 1, mail, events);  // unterminated last part
  }
}

void decode_entity(std::string_view entity, int depth, SmtpMail& mail, std::uint32_t& events) {
  if (mail.decoded.size() >= kSmtpMaxBody) return;
  std::string_view headers, body;
  split_entity(entity, headers, body);
  const std::string type = header_value(headers, "Content-Type");
  if (starts_with_nocase(type, "multipart/") && depth < kMaxMimeDepth) {
    const std::string_view boundary = boundary_of(type);
    if (!boundary.empty()) {
      if (boundary.size() > kMaxBoundary) events |= kSmtpMimeLongBoundary;
      decode_multipart(body, boundary, depth, mail, events);
      return;
    }
  }
  const std::string encoding = to_lower(header_value(headers, "Content-Transfer-Encoding"));
  SmtpPart part;
  part.offset = static_cast<std::uint32_t>(mail.decoded.size());
  if (encoding == "base64") {
    decode_base64(body, mail.decoded, kSmtpMaxBody, events);
  } else if (encoding == "quoted-printable") {
    decode_qp(body, mail.decoded, kSmtpMaxBody, events);
  } else {
    mail.decoded.append(body.substr(0, kSmtpMaxBody - mail.decoded.size()));
  }
  part.length = static_cast<std::uint32_t>(mail.decoded.size() - part.offset);
  if (part.length != 0) mail.parts.push_back(part);
}

}  // namespace

std::string_view smtp_event_name(int bit) {
  return bit >= 0 && bit < kSmtpEventCount ? kSmtpEventNames[bit] : std::string_view{};
}

void decode_mime(std::string_view message, SmtpMail& mail, std::uint32_t& events) {
  mail.decoded.clear();
  mail.parts.clear();
  decode_entity(message, 0, mail, events);
}

void SmtpMail::clear() {
  mail_from.clear();
  rcpt_to.clear();
  recipients = 0;
  body.clear();
  decoded.clear();
  parts.clear();
  in_data = data_done = done = truncated = false;
  events = 0;
}

SmtpSession::SmtpSession() : lines_{LineBuffer(kSmtpMaxLine), LineBuffer(kSmtpMaxLine)} {}

void SmtpSession::reset() {
  lines_[0].reset();
  lines_[1].reset();
  lost_[0] = lost_[1] = false;
  helo_.clear();
  mail_.clear();
  mail_id_ = 0;
  has_mail_ = false;
  data_state_ = 0;
  bdat_left_ = 0;
  bdat_last_ = false;
  pending_head_ = pending_count_ = 0;
  first_reply_seen_ = pipelining_ = encrypted_ = false;
  last_code_ = 0;
  events_ = 0;
}

void SmtpSession::raise(std::uint32_t flags) {
  events_ |= flags;
  mail_.events |= flags;
}

void SmtpSession::gap(bool to_server) { lost_[to_server ? 0 : 1] = true; }

bool SmtpSession::feed(bool to_server, Bytes data, const SmtpSink& progress) {
  const int di = to_server ? 0 : 1;
  while (!data.empty() && !encrypted_ && !lost_[di]) {
    std::size_t used = 0;
    if (to_server && mail_.in_data) {
      used = bdat_left_ != 0 ? bdat_bytes(data, progress) : data_bytes(data, progress);
    } else {
      used = lines_[di].feed(data, [&](std::string_view line, bool too_long) {
        return to_server ? client_line(line, too_long, progress)
                         : server_line(line, too_long, progress);
      });
    }
    data = data.subspan(used);
  }
  return !encrypted_ && !(lost_[0] && lost_[1]);
}

void SmtpSession::open_mail_if_needed(std::string_view verb) {
  if (equals_nocase(verb, "RSET") || equals_nocase(verb, "QUIT")) return;
  if (has_mail_ && !mail_.done) return;
  const std::uint32_t before_first = has_mail_ ? 0 : mail_.events;  // the banner's events
  if (has_mail_) ++mail_id_;
  mail_.clear();
  mail_.events = before_first;
  has_mail_ = true;
}

bool SmtpSession::client_line(std::string_view line, bool too_long, const SmtpSink& p) {
  const std::string_view verb = line.substr(0, line.find(' '));
  open_mail_if_needed(verb);
  if (too_long) raise(kSmtpMaxCommandLineLenExceeded);
  Cmd cmd = Cmd::kOther;
  bool line_mode = true;
  if (equals_nocase(verb, "HELO") || equals_nocase(verb, "EHLO")) {
    cmd = equals_nocase(verb, "EHLO") ? Cmd::kEhlo : Cmd::kHelo;
    helo_ = parameter(line, 4);
  } else if (starts_with_nocase(line, "MAIL FROM:")) {
    mail_.mail_from = parameter(line, 10);
  } else if (starts_with_nocase(line, "RCPT TO:")) {
    if (mail_.rcpt_to.size() < kSmtpMaxRecipients) mail_.rcpt_to.add(parameter(line, 8));
    ++mail_.recipients;
  } else if (equals_nocase(verb, "STARTTLS")) {
    cmd = Cmd::kStartTls;
  } else if (equals_nocase(verb, "DATA")) {
    cmd = Cmd::kData;
    mail_.in_data = true;
    data_state_ = 2;  // at a line start: "." alone ends the message
    line_mode = false;
  } else if (equals_nocase(verb, "BDAT")) {
    // BDAT <size> [LAST]: the next <size> bytes are message bytes.
    cmd = Cmd::kBdat;
    const std::string_view size = parameter(line, 4);
    std::uint64_t n = 0;
    for (char c : size) {
      if (c < '0' || c > '9' || n > (std::uint64_t{1} << 40)) break;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    bdat_left_ = n;
    bdat_last_ = line.find(" LAST") != std::string_view::npos || line.find(" last") != std::string_view::npos;
    mail_.in_data = n != 0;
    line_mode = n == 0;
  } else if (equals_nocase(verb, "RSET")) {
    cmd = Cmd::kRset;
    if (has_mail_) mail_.done = true;
  } else if (equals_nocase(verb, "QUIT")) {
    cmd = Cmd::kQuit;
  }
  if (pending_count_ > 0 && first_reply_seen_ && !pipelining_) raise(kSmtpInvalidPipelinedSequence);
  if (pending_count_ < kSmtpMaxPipeline) {
    pending_[(pending_head_ + pending_count_) % kSmtpMaxPipeline] = cmd;
    ++pending_count_;
  }
  if (has_mail_) p(SmtpPoint::kCommand);
  if (cmd == Cmd::kBdat && bdat_left_ == 0 && bdat_last_) end_message(p, false);
  return line_mode;
}

bool SmtpSession::server_line(std::string_view line, bool too_long, const SmtpSink& p) {
  if (too_long) raise(kSmtpMaxReplyLineLenExceeded);
  if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    raise(kSmtpInvalidReply);
    p(SmtpPoint::kReply);
    return true;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (starts_with_nocase(text, "PIPELINING")) pipelining_ = true;
  if (line.size() > 3 && line[3] == '-') return true;  // a continuation line
  last_code_ = code;
  final_reply(code);
  p(SmtpPoint::kReply);  // after the reply's events are raised
  return !encrypted_;
}

// A final reply line: the banner, or the answer to the oldest command awaiting one.
void SmtpSession::final_reply(int code) {
  // The first reply is the banner, unless it answers a command (the sensor missed the banner).
  const bool banner = !first_reply_seen_ && (pending_count_ == 0 || code == 220);
  first_reply_seen_ = true;
  if (banner) {
    if (code != 220) raise(kSmtpNoServerWelcomeMessage);
    return;
  }
  if (pending_count_ == 0) {
    raise(kSmtpUnableToMatchReply);
    return;
  }
  const Cmd cmd = pending_[pending_head_];
  pending_head_ = (pending_head_ + 1) % kSmtpMaxPipeline;
  --pending_count_;
  command_replied(cmd, code);
}

void SmtpSession::command_replied(Cmd cmd, int code) {
  if (cmd == Cmd::kStartTls) {
    if (code == 220) {
      encrypted_ = true;  // the TLS handshake follows: nothing more to read in clear
    } else {
      raise(kSmtpTlsRejected);
    }
  } else if (cmd == Cmd::kData && code != 354) {
    // As Suricata: the client is not sending a message after all; its next lines are
    // commands again (what it sent meanwhile was read as message and is dropped).
    raise(kSmtpDataCommandRejected);
    if (mail_.in_data && bdat_left_ == 0) {
      mail_.in_data = false;
      mail_.body.clear();
      data_state_ = 0;
    }
  }
}

void SmtpSession::append_body(const std::uint8_t* p, std::size_t n) {
  const std::size_t room = kSmtpMaxBody > mail_.body.size() ? kSmtpMaxBody - mail_.body.size() : 0;
  if (n > room) {
    mail_.truncated = true;
    raise(kSmtpTruncatedData);
  }
  mail_.body.append(reinterpret_cast<const char*>(p), std::min(n, room));
}

// DATA mode: message bytes up to a line holding "." alone (its line break and the dot
// consumed); a leading dot of any other line is removed (RFC 5321 4.5.2). data_state_: 0 in
// a line, 1 after CR, 2 at a line start, 3 after a leading dot, 4 after a leading dot and CR.
std::size_t SmtpSession::data_bytes(Bytes data, const SmtpSink& p) {
  static const std::uint8_t kCr = '\r';
  std::size_t i = 0;
  std::size_t run = 0;  // start of bytes to copy as they are
  auto flush = [&](std::size_t end) {
    if (end > run) append_body(data.data() + run, end - run);
  };
  for (; i < data.size(); ++i) {
    const std::uint8_t c = data[i];
    switch (data_state_) {
      case 0:
        if (c == '\r') data_state_ = 1;
        if (c == '\n') data_state_ = 2;
        break;
      case 1:
        data_state_ = c == '\n' ? 2 : (c == '\r' ? 1 : 0);
        break;
      case 2:
        if (c == '.') {
          flush(i);
          run = i + 1;  // the dot is held back: an end, or stuffing to remove
          data_state_ = 3;
        } else {
          data_state_ = c == '\r' ? 1 : (c == '\n' ? 2 : 0);
        }
        break;
      case 3:
        if (c == '\n') {  // ".\n": the end
          run = i + 1;
          mail_.in_data = false;
          end_message(p, true);
          return i + 1;
        }
        data_state_ = c == '\r' ? 4 : 0;
        if (c == '\r') run = i + 1;  // held back with the dot
        break;
      case 4:
        if (c == '\n') {  // ".\r\n": the end
          mail_.in_data = false;
          end_message(p, true);
          return i + 1;
        }
        append_body(&kCr, 1);  // ".\r" then something else: the dot was stuffing
        run = i;
        data_state_ = c == '\r' ? 1 : 0;
        break;
    }
  }
  if (data_state_ != 3 && data_state_ != 4) flush(i);
  return i;
}

std::size_t SmtpSession::bdat_bytes(Bytes data, const SmtpSink& p) {
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(bdat_left_, data.size()));
  append_body(data.data(), take);
  bdat_left_ -= take;
  if (bdat_left_ == 0) {
    mail_.in_data = false;
    if (bdat_last_) end_message(p, false);
  }
  return take;
}

// The message is complete: decode it, close the mail; `reply_due`: the server answers the
// end of the message (DATA; a BDAT chunk's answer was queued with its command).
void SmtpSession::end_message(const SmtpSink& p, bool reply_due) {
  mail_.data_done = mail_.done = true;
  std::uint32_t mime_events = 0;
  decode_mime(mail_.body, mail_, mime_events);
  raise(mime_events);
  p(SmtpPoint::kDataDone);
  if (reply_due && pending_count_ < kSmtpMaxPipeline) {
    pending_[(pending_head_ + pending_count_) % kSmtpMaxPipeline] = Cmd::kOther;
    ++pending_count_;
  }
}

}  // namespace wp::applayer
