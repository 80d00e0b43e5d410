// SmtpSession with conversations built here: commands and replies split at every byte,
// pipelining, DATA with dot-stuffing and its end split anywhere, BDAT, STARTTLS, MIME parts
// decoded (base64, quoted-printable, nested multipart), malformed lines table-driven, and
// the line and body bounds.
#include "applayer/smtp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wp::applayer {
namespace {

Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Records each point with the mail's state at that moment.
struct Seen {
  std::vector<SmtpPoint> points;
  std::vector<std::string> bodies;  // the decoded parts at each kDataDone, joined with '|'
  std::vector<std::uint64_t> mail_ids;
  const SmtpSession* session = nullptr;

  SmtpSink sink() {
    SmtpSink s;
    s.ctx = this;
    s.fn = [](void* c, SmtpPoint p) {
      auto& self = *static_cast<Seen*>(c);
      self.points.push_back(p);
      self.mail_ids.push_back(self.session->mail_id());
      if (p == SmtpPoint::kDataDone) {
        std::string joined;
        for (const SmtpPart& part : self.session->mail().parts) {
          if (!joined.empty()) joined += "|";
          joined += self.session->mail().part(part);
        }
        self.bodies.push_back(joined);
      }
    };
    return s;
  }
};

void feed_by(SmtpSession& s, bool to_server, std::string_view data, std::size_t piece, const SmtpSink& sink) {
  for (std::size_t i = 0; i < data.size(); i += piece) s.feed(to_server, bytes(data.substr(i, piece)), sink);
}

const std::string kMessage =
    "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n..starts with a dot\r\n.\r\n";

TEST(SmtpParser, ReadsAMailSplitAtEveryByteWithDotUnstuffing) {
  const std::string client = "EHLO client.example\r\nMAIL FROM:<a@example.org> SIZE=100\r\n"
                             "RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n" +
                             kMessage + "QUIT\r\n";
  for (std::size_t piece = 1; piece <= client.size(); ++piece) {
    SmtpSession s;
    Seen seen;
    seen.session = &s;
    const SmtpSink sink = seen.sink();
    s.feed(false, bytes("220 mx.example ESMTP\r\n"), sink);
    feed_by(s, true, client, piece, sink);
    ASSERT_EQ(seen.bodies.size(), 1u) << "piece " << piece;
    EXPECT_EQ(seen.bodies[0], "line one\r\n.starts with a dot\r\n") << "piece " << piece;
    EXPECT_EQ(s.helo(), "client.example");
    EXPECT_EQ(s.mail().mail_from, "<a@example.org>");
    EXPECT_EQ(s.mail().rcpt_to, (std::vector<std::string>{"<b@example.net>", "<c@example.net>"}));
    EXPECT_EQ(s.mail().body, "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n.starts with a dot\r\n");
    EXPECT_EQ(s.mail_id(), 0u);
    // No reply was fed: the commands went out pipelined without the server's PIPELINING.
    EXPECT_EQ(s.events(), std::uint32_t{kSmtpInvalidPipelinedSequence});
  }
}

TEST(SmtpParser, PipelinedMailsAreTransactionsOfTheirOwn) {
  SmtpSession s;
  Seen seen;
  seen.session = &s;
  const SmtpSink sink = seen.sink();
  s.feed(false, bytes("220 mx\r\n"), sink);
  s.feed(true, bytes("EHLO c\r\n"), sink);
  s.feed(false, bytes("250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"), sink);
  s.feed(true, bytes("MAIL FROM:<x@a>\r\nRCPT TO:<y@b>\r\nDATA\r\nfirst\r\n.\r\n"
                     "MAIL FROM:<z@a>\r\nRCPT TO:<w@b>\r\nDATA\r\nsecond\r\n.\r\n"), sink);
  s.feed(false, bytes("250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n"), sink);
  EXPECT_EQ(seen.bodies, (std::vector<std::string>{"first\r\n", "second\r\n"}));
  EXPECT_EQ(s.mail_id(), 1u);
  EXPECT_EQ(s.mail().mail_from, "<z@a>");
  EXPECT_EQ(s.events(), 0u) << "PIPELINING was announced, every reply matched";
}

TEST(SmtpParser, PipeliningWithoutTheExtensionIsAnEvent) {
  SmtpSession s;
  s.feed(false, bytes("220 mx\r\n"), {});
  s.feed(true, bytes("HELO c\r\nMAIL FROM:<x@a>\r\n"), {});
  EXPECT_EQ(s.events(), std::uint32_t{kSmtpInvalidPipelinedSequence});
}

TEST(SmtpParser, StartTlsAcceptedStopsParsing) {
  SmtpSession s;
  Seen seen;
  seen.session = &s;
  s.feed(false, bytes("220 mx\r\n"), seen.sink());
  s.feed(true, bytes("EHLO c\r\nSTARTTLS\r\n"), seen.sink());
  s.feed(false, bytes("250 mx\r\n220 go ahead\r\n"), seen.sink());
  EXPECT_TRUE(s.encrypted());
  EXPECT_FALSE(s.feed(true, bytes("MAIL FROM:<hidden@a>\r\n"), seen.sink()));
  EXPECT_TRUE(s.mail().mail_from.empty());
}

TEST(SmtpParser, StartTlsRefusedGoesOnInClear) {
  SmtpSession s;
  s.feed(false, bytes("220 mx\r\n"), {});
  s.feed(true, bytes("EHLO c\r\n"), {});
  s.feed(false, bytes("250 mx\r\n"), {});
  s.feed(true, bytes("STARTTLS\r\n"), {});
  s.feed(false, bytes("454 not now\r\n"), {});
  s.feed(true, bytes("MAIL FROM:<clear@a>\r\n"), {});
  EXPECT_FALSE(s.encrypted());
  EXPECT_EQ(s.mail().mail_from, "<clear@a>");
  EXPECT_EQ(s.events() & kSmtpTlsRejected, std::uint32_t{kSmtpTlsRejected});
}

TEST(SmtpParser, BdatChunksMakeTheMessage) {
  SmtpSession s;
  Seen seen;
  seen.session = &s;
  s.feed(false, bytes("220 mx\r\n"), seen.sink());
  s.feed(true, bytes("EHLO c\r\n"), seen.sink());
  s.feed(false, bytes("250-mx\r\n250 CHUNKING\r\n"), seen.sink());
  s.feed(true, bytes("MAIL FROM:<a@b>\r\n"), seen.sink());
  s.feed(false, bytes("250 ok\r\n"), seen.sink());
  s.feed(true, bytes("BDAT 7\r\nbody 1 "), seen.sink());
  s.feed(true, bytes("BDAT 6 LAST\r\n.part2"), seen.sink());
  ASSERT_EQ(seen.bodies.size(), 1u);
  EXPECT_EQ(seen.bodies[0], "body 1 .part2");  // no dot-unstuffing in BDAT
}

TEST(SmtpParser, DecodesBase64AndQuotedPrintablePartsOfAMultipartMessage) {
  const std::string message =
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
      "preamble\r\n--outer\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=C3=A9 soft=\r\nbreak\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
      "--inner\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n--inner--\r\n"
      "--outer\r\nContent-Disposition: attachment; filename=x.ps\r\n\r\nraw part\r\n--outer--\r\n";
  SmtpMail mail;
  std::uint32_t events = 0;
  decode_mime(message, mail, events);
  std::vector<std::string> parts;
  for (const SmtpPart& p : mail.parts) parts.emplace_back(mail.part(p));
  EXPECT_EQ(parts, (std::vector<std::string>{"caf\xC3\xA9 softbreak", "hello world", "raw part"}));
  EXPECT_EQ(events, 0u);
}

TEST(SmtpParser, MimeAnomaliesAreFlagged) {
  SmtpMail mail;
  std::uint32_t events = 0;
  decode_mime("Content-Transfer-Encoding: base64\r\n\r\naGV*sbG8=\r\n", mail, events);
  EXPECT_EQ(mail.part(mail.parts.at(0)), "hello");
  EXPECT_EQ(events, std::uint32_t{kSmtpMimeInvalidBase64});
  events = 0;
  decode_mime("Content-Transfer-Encoding: quoted-printable\r\n\r\na=ZZb\r\n", mail, events);
  EXPECT_EQ(mail.part(mail.parts.at(0)), "a=ZZb\r\n");
  EXPECT_EQ(events, std::uint32_t{kSmtpMimeInvalidQp});
  events = 0;
  decode_mime("Content-Type: multipart/mixed; boundary=" + std::string(80, 'b') + "\r\n\r\n", mail, events);
  EXPECT_EQ(events, std::uint32_t{kSmtpMimeLongBoundary});
}

struct BadCase {
  const char* name;
  std::string server;
  std::string client;
  std::uint32_t event;
};

TEST(SmtpParser, MalformedConversationsRaiseTheirEventAndParsingGoesOn) {
  const std::vector<BadCase> cases = {
      {"reply without digits", "220 mx\r\nhello\r\n", "", kSmtpInvalidReply},
      {"unmatched reply", "220 mx\r\n250 extra\r\n", "", kSmtpUnableToMatchReply},
      {"no welcome", "554 go away\r\n", "", kSmtpNoServerWelcomeMessage},
      {"long command", "220 mx\r\n", "HELO " + std::string(5000, 'h') + "\r\n", kSmtpMaxCommandLineLenExceeded},
      {"long reply", "220 " + std::string(5000, 'r') + "\r\n", "", kSmtpMaxReplyLineLenExceeded},
  };
  for (const BadCase& c : cases) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
      SmtpSession s;
      feed_by(s, false, c.server, piece, {});
      feed_by(s, true, c.client, piece, {});
      EXPECT_EQ(s.events() & c.event, c.event) << c.name << " by " << piece;
      s.feed(true, bytes("MAIL FROM:<after@a>\r\n"), {});
      EXPECT_EQ(s.mail().mail_from, "<after@a>") << c.name;
    }
  }
}

TEST(SmtpParser, DataCommandRejectedIsAnEvent) {
  SmtpSession s;
  s.feed(false, bytes("220 mx\r\n"), {});
  s.feed(true, bytes("HELO c\r\n"), {});
  s.feed(false, bytes("250 mx\r\n"), {});
  s.feed(true, bytes("DATA\r\n"), {});
  s.feed(false, bytes("503 need MAIL first\r\n"), {});
  EXPECT_EQ(s.events() & kSmtpDataCommandRejected, std::uint32_t{kSmtpDataCommandRejected});
}

TEST(SmtpParser, RejectedPipelinedDataLeavesDataMode) {
  // A sender-address refusal makes the pipelined RCPT and DATA fail; the client then resets
  // and tries again (as seen in the shared capture).
  SmtpSession s;
  Seen seen;
  seen.session = &s;
  s.feed(false, bytes("220 mx\r\n"), seen.sink());
  s.feed(true, bytes("EHLO c\r\n"), seen.sink());
  s.feed(false, bytes("250-mx\r\n250 PIPELINING\r\n"), seen.sink());
  s.feed(true, bytes("MAIL FROM:<bad@a>\r\nRCPT TO:<x@y>\r\nDATA\r\n"), seen.sink());
  s.feed(false, bytes("553 no such domain\r\n503 need MAIL\r\n503 need MAIL\r\n"), seen.sink());
  s.feed(true, bytes("RSET\r\n"), seen.sink());
  s.feed(false, bytes("250 reset\r\n"), seen.sink());
  s.feed(true, bytes("MAIL FROM:<good@a>\r\nRCPT TO:<x@y>\r\nDATA\r\n"), seen.sink());
  s.feed(false, bytes("250 ok\r\n250 ok\r\n354 go\r\n"), seen.sink());
  s.feed(true, bytes("Subject: s\r\n\r\nbody\r\n.\r\n"), seen.sink());
  EXPECT_EQ(seen.bodies, (std::vector<std::string>{"body\r\n"}));
  EXPECT_EQ(s.mail_id(), 1u);
  EXPECT_EQ(s.mail().mail_from, "<good@a>");
  EXPECT_EQ(s.events() & kSmtpUnableToMatchReply, 0u);
}

TEST(SmtpParser, TheMessageIsKeptUpToItsBound) {
  SmtpSession s;
  Seen seen;
  seen.session = &s;
  s.feed(false, bytes("220 mx\r\n"), seen.sink());
  s.feed(true, bytes("HELO c\r\n"), seen.sink());
  s.feed(false, bytes("250 mx\r\n"), seen.sink());
  s.feed(true, bytes("MAIL FROM:<a@b>\r\n"), seen.sink());
  s.feed(false, bytes("250 ok\r\n"), seen.sink());
  s.feed(true, bytes("DATA\r\n"), seen.sink());
  const std::string line(998, 'x');
  for (std::size_t sent = 0; sent < kSmtpMaxBody * 2; sent += line.size() + 2) s.feed(true, bytes(line + "\r\n"), seen.sink());
  s.feed(true, bytes(".\r\n"), seen.sink());
  ASSERT_EQ(seen.bodies.size(), 1u);
  EXPECT_EQ(s.mail().body.size(), kSmtpMaxBody);
  EXPECT_TRUE(s.mail().truncated);
  EXPECT_LE(s.mail().decoded.size(), kSmtpMaxBody);
  EXPECT_EQ(s.events() & kSmtpTruncatedData, std::uint32_t{kSmtpTruncatedData});
}

}  // namespace
}  // namespace wp::applayer
