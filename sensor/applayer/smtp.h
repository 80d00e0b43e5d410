// SMTP (RFC 5321) as the application layer reads it: the client's commands and the server's
// replies, each direction split anywhere; pipelined commands (RFC 2920) paired with their
// replies in order; the message of DATA (up to <CRLF>.<CRLF>, dot-unstuffed) and of BDAT
// chunks (RFC 3030); STARTTLS (nothing is parsed after the server's 220 answer to it: the
// rest is encrypted). One transaction per mail, as Suricata: a command opens one when there
// is none or the last is done (RSET and QUIT do not), the end of its message closes it.
//
// The message body (`body()`) is decoded when the mail ends: a MIME message's leaf parts
// (multipart nested up to kMaxMimeDepth) with their base64 or quoted-printable transfer
// encoding undone are the `file.data` instances (`parts()`); a message without a multipart
// Content-Type is one instance, its body decoded the same way.
//
// Bounds per flow: one line per direction (kMaxLine), 64 pipelined commands awaiting a
// reply, the raw message up to kMaxBody (the rest read past, `truncated`), decoded parts up
// to kMaxBody in total, 64 recipients per mail. Anomalies are flags named as Suricata's smtp
// events (smtp_event_name()). Allocation: the strings and vectors of the session keep their
// capacity from mail to mail. Thread: the worker that owns the flow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "applayer/line_buffer.h"
#include "applayer/text_list.h"
#include "common/byte_reader.h"

namespace wp::applayer {

inline constexpr std::size_t kSmtpMaxLine = 4096;    // Suricata's SMTP line limit
inline constexpr std::size_t kSmtpMaxBody = 256 * 1024;
inline constexpr std::size_t kSmtpMaxRecipients = 64;
inline constexpr std::size_t kSmtpMaxPipeline = 64;
inline constexpr int kMaxMimeDepth = 4;

enum SmtpEvent : std::uint32_t {
  kSmtpInvalidReply = 1u << 0,                // a reply line not starting with 3 digits
  kSmtpUnableToMatchReply = 1u << 1,          // a reply with no command awaiting it
  kSmtpMaxCommandLineLenExceeded = 1u << 2,   // a command line over kSmtpMaxLine
  kSmtpMaxReplyLineLenExceeded = 1u << 3,     // a reply line over kSmtpMaxLine
  kSmtpInvalidPipelinedSequence = 1u << 4,    // commands pipelined, PIPELINING not announced
  kSmtpNoServerWelcomeMessage = 1u << 5,      // the first reply is not 220
  kSmtpTlsRejected = 1u << 6,                 // STARTTLS answered other than 220
  kSmtpDataCommandRejected = 1u << 7,         // DATA answered other than 354
  kSmtpMimeInvalidBase64 = 1u << 8,           // a base64 part with bytes outside the alphabet
  kSmtpMimeInvalidQp = 1u << 9,               // a bad =XX escape in quoted-printable
  kSmtpMimeLongBoundary = 1u << 10,           // a boundary over 70 bytes (RFC 2046)
  kSmtpTruncatedData = 1u << 11,              // the message passed kSmtpMaxBody
};
inline constexpr int kSmtpEventCount = 12;
// "invalid_reply", ... for the flag with bit `bit` (Suricata's smtp event names).
std::string_view smtp_event_name(int bit);

// A span of SmtpMail::decoded.
struct SmtpPart {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// One mail: MAIL FROM .. the end of its message.
struct SmtpMail {
  std::string mail_from;               // as Suricata: the argument up to a space, "<a@b>"
  TextList rcpt_to;                    // each RCPT TO argument, at most kSmtpMaxRecipients
  std::size_t recipients = 0;          // RCPT TO commands, kept or not
  std::string body;                    // the raw message (headers and body), dot-unstuffed
  std::string decoded;                 // the file.data instances back to back
  std::vector<SmtpPart> parts;
  bool in_data = false;                // the message is being received
  bool data_done = false;              // the message ended (decoded and parts made)
  bool done = false;                   // the mail is over: the next command opens another
  bool truncated = false;
  std::uint32_t events = 0;            // SmtpEvent flags raised while this mail was current

  std::string_view part(const SmtpPart& p) const {
    return std::string_view(decoded).substr(p.offset, p.length);
  }
  void clear();
};

// What the session tells its caller as it happens (the mail is the current one then: a
// pipelined next command may replace it within the same feed()).
enum class SmtpPoint : std::uint8_t {
  kCommand,   // a command of the current mail was read (HELO/EHLO, MAIL, RCPT, ...)
  kDataDone,  // the current mail's message ended (parts decoded)
  kReply,     // a reply completed
};
struct SmtpSink {
  void (*fn)(void* ctx, SmtpPoint point) = nullptr;
  void* ctx = nullptr;
  void operator()(SmtpPoint point) const {
    if (fn != nullptr) fn(ctx, point);
  }
};

class SmtpSession {
 public:
  SmtpSession();

  // Feeds in-order bytes of one direction, telling `sink` each point reached. Returns false
  // once the session no longer parses (after STARTTLS, or gaps in both directions).
  bool feed(bool to_server, Bytes data, const SmtpSink& sink);
  // A gap: that direction stops being parsed (its line and message places are lost).
  void gap(bool to_server);

  std::string_view helo() const { return helo_; }
  const SmtpMail& mail() const { return mail_; }
  std::uint64_t mail_id() const { return mail_id_; }  // the current mail's transaction id
  bool has_mail() const { return has_mail_; }
  bool encrypted() const { return encrypted_; }
  std::uint32_t events() const { return events_; }  // every flag raised in the session
  // The reply codes of the replies seen so far (for tests), the last one.
  int last_reply_code() const { return last_code_; }
  void reset();

 private:
  enum class Cmd : std::uint8_t { kOther, kHelo, kEhlo, kStartTls, kData, kBdat, kRset, kQuit };
  bool client_line(std::string_view line, bool too_long, const SmtpSink& p);
  bool server_line(std::string_view line, bool too_long, const SmtpSink& p);
  void open_mail_if_needed(std::string_view verb);
  std::size_t data_bytes(Bytes data, const SmtpSink& p);
  std::size_t bdat_bytes(Bytes data, const SmtpSink& p);
  void append_body(const std::uint8_t* p, std::size_t n);
  void end_message(const SmtpSink& p, bool reply_due);
  void raise(std::uint32_t flags);
  void final_reply(int code);
  void command_replied(Cmd cmd, int code);

  LineBuffer lines_[2];  // [0] to server, [1] to client
  bool lost_[2] = {false, false};
  std::string helo_;
  SmtpMail mail_;
  std::uint64_t mail_id_ = 0;
  bool has_mail_ = false;
  // DATA: the bytes of "\r\n.\r\n" matched so far (the message starts after a line end).
  int data_state_ = 0;
  std::uint64_t bdat_left_ = 0;
  bool bdat_last_ = false;
  Cmd pending_[kSmtpMaxPipeline] = {};
  std::size_t pending_head_ = 0, pending_count_ = 0;
  bool first_reply_seen_ = false;
  bool pipelining_ = false;  // the server announced PIPELINING
  bool encrypted_ = false;
  int last_code_ = 0;
  std::uint32_t events_ = 0;
};

// Decodes a MIME message (headers, blank line, body) into `mail.decoded` / `mail.parts`
// (above); raises kSmtpMime* flags in `events`. Exposed for tests and the fuzz target.
void decode_mime(std::string_view message, SmtpMail& mail, std::uint32_t& events);

}  // namespace wp::applayer
