// libFuzzer target: the SMTP parser (sensor/applayer/smtp.h) on a session's two directions.
// Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it, cycling, says
// whether piece i goes to the server); the rest is cut into pieces fed to one SmtpSession.
// Looks for crashes, hangs and sanitizer reports; the kept data must stay within its bounds.
// Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a pipelined mail with a MIME message and a BDAT mail.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/smtp.h"
#include "pieces.h"

namespace {

void write_seeds(const std::string& dir) {
  // piece 255, pattern 0x01: the first piece to the server.
  const std::string mail =
      std::string("\xff\x01", 2) +
      "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "aGVsbG8=\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=41y=\r\nz\r\n--b--\r\n..dot\r\n.\r\n"
      "BDAT 4 LAST\r\nabcdSTARTTLS\r\n";
  std::ofstream(dir + "/mail", std::ios::binary) << mail;
  const std::string replies = std::string("\xff\x00", 2) + "220 mx\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n354 go\r\n";
  std::ofstream(dir + "/replies", std::ios::binary) << replies;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wp::applayer::SmtpSession s;
  wp::applayer::SmtpSink sink;
  sink.ctx = &s;
  sink.fn = [](void* ctx, wp::applayer::SmtpPoint) {
    const auto& session = *static_cast<const wp::applayer::SmtpSession*>(ctx);
    const auto& m = session.mail();
    if (m.body.size() > wp::applayer::kSmtpMaxBody || m.decoded.size() > wp::applayer::kSmtpMaxBody ||
        m.rcpt_to.size() > wp::applayer::kSmtpMaxRecipients) {
      std::abort();
    }
    for (const auto& p : m.parts) {
      if (std::size_t{p.offset} + p.length > m.decoded.size()) std::abort();
    }
  };
  wp::fuzz::feed_in_pieces(data, size, [&](bool to_server, wp::Bytes piece) {
    s.feed(to_server, piece, sink);
  });
  return 0;
}
