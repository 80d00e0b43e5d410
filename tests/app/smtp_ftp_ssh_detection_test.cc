// Rules on SMTP, FTP and SSH transactions, end to end through the Worker (decode -> flow ->
// stream -> applayer -> detect -> alert): for every smtp.*, ftp.* and ssh.* buffer and
// keyword a rule that fires on a conversation built here and a near miss that does not;
// file.data on a mail's decoded MIME parts (an ET Open rule as written); app-layer events;
// ftpbounce; and the alert's smtp, ftp and ssh objects in the protobuf message and in EVE.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "output/eve.h"
#include "support/app_messages.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::Frame;
using testing::ip;

using Sensor = testing::WorkerHarness;

// An outside client and a server in HOME_NET (so $SMTP_SERVERS rules of ET apply).
const IpAddress kClient = ip("203.0.113.5");
const IpAddress kServer = ip("10.0.0.25");

// This suite's connections: kClient:41000 to kServer:`port`.
struct Conn : testing::TcpConnection {
  Conn(Sensor& s, std::uint16_t port) : TcpConnection(s, kClient, 41000, kServer, port) {}
};

std::string eve_of(const watchpost::v1::Alert& a) {
  std::string eve;
  output::render_eve_alert(a, output::EveOptions{}, eve);
  return eve;
}

// --- SMTP ---------------------------------------------------------------------------------

// A mail from `from` to `rcpts` with `message` (headers, blank line, body; dot-stuffed by
// the caller where needed), each command answered.
void smtp_mail(Sensor& s, Conn& c, const std::string& from, const std::vector<std::string>& rcpts,
               const std::string& message) {
  c.client(s, "MAIL FROM:<" + from + ">\r\n");
  c.server(s, "250 ok\r\n");
  for (const std::string& r : rcpts) {
    c.client(s, "RCPT TO:<" + r + ">\r\n");
    c.server(s, "250 ok\r\n");
  }
  c.client(s, "DATA\r\n");
  c.server(s, "354 go ahead\r\n");
  c.client(s, message + "\r\n.\r\n");
  c.server(s, "250 queued\r\n");
}

Conn smtp_session(Sensor& s, std::uint16_t port, const std::string& helo) {
  Conn c(s, port);
  c.server(s, "220 mx.example ESMTP\r\n");
  c.client(s, "EHLO " + helo + "\r\n");
  c.server(s, "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  return c;
}

TEST(SmtpDetection, HeloMailFromAndRcptToFireAndNearMissesDoNot) {
  Sensor s({R"(alert smtp any any -> any any (msg:"helo"; smtp.helo; content:"bot.example"; sid:1;))",
            R"(alert smtp any any -> any any (msg:"from"; smtp.mail_from; content:"<spam@"; startswith; sid:2;))",
            R"(alert smtp any any -> any any (msg:"rcpt"; smtp.rcpt_to; content:"ceo@"; sid:3;))",
            R"(alert smtp any any -> any any (msg:"rcpt one instance"; smtp.rcpt_to; content:"ceo@"; content:"other.example"; distance:0; sid:4;))"});
  Conn a = smtp_session(s, 25, "bot.example");
  smtp_mail(s, a, "spam@x.example", {"ceo@corp.example", "intern@other.example"}, "Subject: x\r\n\r\nhi");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{1, 2, 3}));  // 4: ceo and other in two recipients
  Sensor miss({R"(alert smtp any any -> any any (msg:"helo"; smtp.helo; content:"bot.example"; sid:1;))",
               R"(alert smtp any any -> any any (msg:"from"; smtp.mail_from; content:"<spam@"; startswith; sid:2;))",
               R"(alert smtp any any -> any any (msg:"rcpt"; smtp.rcpt_to; content:"ceo@"; sid:3;))"});
  Conn b = smtp_session(miss, 2525, "mail.example");
  smtp_mail(miss, b, "news@spam.example", {"cfo@corp.example"}, "Subject: x\r\n\r\nhi");
  EXPECT_TRUE(miss.sink.alerts.empty());
}

TEST(SmtpDetection, EachMailIsATransactionAndAlertsOnce) {
  Sensor s({R"(alert smtp any any -> any any (msg:"from"; smtp.mail_from; content:"@bad.example"; sid:5;))"});
  Conn c = smtp_session(s, 25, "h");
  smtp_mail(s, c, "a@bad.example", {"x@y", "z@y"}, "Subject: 1\r\n\r\none");
  smtp_mail(s, c, "b@bad.example", {"x@y"}, "Subject: 2\r\n\r\ntwo");
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{5, 5}));
  EXPECT_EQ(s.sink.alerts[0].tx_id(), 0u);
  EXPECT_EQ(s.sink.alerts[1].tx_id(), 1u);
}

// ET Open 2024 sid 2026086 as written (file_data in an `alert smtp` rule).
const char* kEtGhostscript =
    R"rule(alert smtp $EXTERNAL_NET any -> $SMTP_SERVERS any (msg:"ET EXPLOIT Ghostscript illegal read undefinedfilename attempt (SMTP)"; flow:to_server,established; file_data; content:"undefinedfilename"; fast_pattern; content:"errordict"; content:"invalidfileaccess"; content:"typecheck"; pcre:"/errordict\s+\x2Finvalidfileaccess/smi"; reference:url,seclists.org/oss-sec/2018/q3/142; classtype:attempted-user; sid:2026086; rev:2;))rule";

std::string mime_with_attachment(const std::string& attachment) {
  return "From: a@b\r\nContent-Type: multipart/mixed; boundary=\"==b\"\r\n\r\n"
         "--==b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
         "--==b\r\nContent-Type: application/postscript; name=x.ps\r\nContent-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=x.ps\r\n\r\n" +
         testing::base64_mime(attachment) + "--==b--";
}

TEST(SmtpDetection, EtFileDataRuleFiresOnABase64AttachmentAndNotOnANearMiss) {
  Sensor s({kEtGhostscript});
  const std::string ps = "%!PS\n/undefinedfilename { } def\nerrordict /invalidfileaccess get /typecheck\n";
  Conn a = smtp_session(s, 25, "h");
  smtp_mail(s, a, "a@b", {"c@d"}, mime_with_attachment(ps));
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{2026086}));
  EXPECT_EQ(s.sink.alerts[0].app_proto(), "smtp");
  // The same words with another keyword between errordict and /invalidfileaccess: the pcre fails.
  Conn b = smtp_session(s, 2525, "h");
  smtp_mail(s, b, "a@b", {"c@d"},
            mime_with_attachment("/undefinedfilename errordict x /invalidfileaccess typecheck"));
  EXPECT_EQ(s.sink.alerts.size(), 1u);
}

TEST(SmtpDetection, FileDataReadsDecodedQuotedPrintableNotTheEncodedText) {
  Sensor s({R"(alert smtp any any -> any any (msg:"qp"; flow:to_server; file.data; content:"caf|c3 a9|"; sid:6;))",
            R"(alert smtp any any -> any any (msg:"encoded"; flow:to_server; file.data; content:"=C3=A9"; sid:7;))"});
  Conn c = smtp_session(s, 25, "h");
  smtp_mail(s, c, "a@b", {"c@d"}, "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{6}));
}

TEST(SmtpDetection, NothingAfterStartTlsIsInspected) {
  Sensor s({R"(alert smtp any any -> any any (msg:"from"; smtp.mail_from; content:"hidden"; sid:8;))"});
  Conn c = smtp_session(s, 25, "h");
  c.client(s, "STARTTLS\r\n");
  c.server(s, "220 ready to start TLS\r\n");
  c.client(s, "MAIL FROM:<hidden@a>\r\n");
  EXPECT_TRUE(s.sink.alerts.empty());
}

TEST(SmtpDetection, AppLayerEventsOnTheConversation) {
  Sensor s({R"(alert smtp any any -> any any (msg:"pipelining"; app-layer-event:smtp.invalid_pipelined_sequence; sid:9;))",
            R"(alert smtp any any -> any any (msg:"bad reply"; app-layer-event:smtp.invalid_reply; sid:10;))"});
  Conn c(s, 25);
  c.server(s, "220 mx\r\n");
  c.client(s, "HELO h\r\n");
  c.server(s, "250 mx\r\n");
  c.client(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");  // PIPELINING was not announced
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{9}));
  c.server(s, "250 ok\r\nnot a reply\r\n");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{9, 10}));
}

TEST(SmtpDetection, AlertRecordCarriesTheSmtpObject) {
  Sensor s({R"(alert smtp any any -> any any (msg:"rcpt"; smtp.rcpt_to; content:"second@"; sid:11;))"});
  Conn c = smtp_session(s, 25, "client.example");
  smtp_mail(s, c, "from@example.org", {"first@example.net", "second@example.net"}, "Subject: x\r\n\r\nhi");
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  const auto& a = s.sink.alerts[0];
  EXPECT_EQ(a.smtp().helo(), "client.example");
  EXPECT_EQ(a.smtp().mail_from(), "<from@example.org>");
  const std::string eve = eve_of(a);
  EXPECT_NE(eve.find(R"("smtp":{"helo":"client.example","mail_from":"<from@example.org>","rcpt_to":["<first@example.net>","<second@example.net>"]})"),
            std::string::npos)
      << eve;
  EXPECT_NE(eve.find(R"("app_proto":"smtp")"), std::string::npos) << eve;
}

// --- FTP ----------------------------------------------------------------------------------

Conn ftp_session(Sensor& s, std::uint16_t port) {
  Conn c(s, port);
  c.server(s, "220 ftp.example ready\r\n");
  c.client(s, "USER anonymous\r\n");
  c.server(s, "331 Please specify the password.\r\n");
  return c;
}

TEST(FtpDetection, CommandAndCommandDataFireAndNearMissesDoNot) {
  Sensor s({R"(alert ftp any any -> any any (msg:"retr"; ftp.command; content:"RETR"; sid:20;))",
            R"(alert ftp any any -> any any (msg:"passwd"; ftp.command_data; content:"/etc/passwd"; sid:21;))",
            R"(alert ftp any any -> any any (msg:"user"; ftp.command; content:"USER"; ftp.command_data; content:"root"; sid:22;))"});
  Conn c = ftp_session(s, 21);
  c.client(s, "RETR /pub/etc/passwd.txt\r\n");  // 20, 21
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{20, 21}));
  c.client(s, "STOR /etc/shadow\r\n");           // neither
  c.client(s, "USER admin\r\n");                 // near miss for 22 (not root)
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{20, 21}));
}

TEST(FtpDetection, RepliesCompletionCodesModeAndPort) {
  Sensor s({R"(alert ftp any any -> any any (msg:"code"; ftp.completion_code; content:"530"; sid:23;))",
            R"(alert ftp any any -> any any (msg:"reply"; ftp.reply; content:"Login incorrect"; sid:24;))",
            R"(alert ftp any any -> any any (msg:"passive high"; ftp.mode:passive; ftp.dynamic_port:>60000; sid:25;))",
            R"(alert ftp any any -> any any (msg:"no reply"; flow:to_server; ftp.command; content:"PASS"; ftp.reply_received:no; sid:26;))"});
  Conn c = ftp_session(s, 21);
  c.client(s, "PASS secret\r\n");  // 26
  c.server(s, "530 Login incorrect.\r\n");  // 23, 24
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (10,0,0,25,4,1).\r\n");  // port 1025: near miss for 25
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (10,0,0,25,250,1).\r\n");  // 64001: 25
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{26, 23, 24, 25}));
}

// ET 2.9 (2017) sid 2103441 as written.
const char* kEtFtpBounce =
    R"(alert tcp $EXTERNAL_NET any -> $HOME_NET 21 (msg:"GPL FTP PORT bounce attempt"; flow:to_server,established; content:"PORT"; nocase; ftpbounce; pcre:"/^PORT/smi"; classtype:misc-attack; sid:2103441; rev:2;))";

const std::string kProftpdBanner = "220 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.25]\r\n";

// Rules on the server's banner, which comes before the client's first command decides the
// protocol and is longer than detection's 16-byte probe.
Sensor banner_sensor() {
  return Sensor({R"(alert ftp any any -> any any (msg:"banner code"; ftp.completion_code; content:"220"; sid:28;))",
                 R"(alert ftp any any -> any any (msg:"old proftpd"; ftp.reply; content:"ProFTPD 1.3.5"; sid:29;))",
                 R"(alert ftp any any -> any any (msg:"vsftpd"; ftp.reply; content:"vsFTPd"; sid:30;))"});
}

TEST(FtpDetection, BannerRulesFireOnALongBannerSplitAtEveryByte) {
  for (std::size_t cut = 1; cut < kProftpdBanner.size(); ++cut) {
    Sensor s = banner_sensor();
    Conn c(s, 21);
    c.server(s, kProftpdBanner.substr(0, cut));
    c.server(s, kProftpdBanner.substr(cut));
    EXPECT_TRUE(s.sink.alerts.empty());  // undecided until the client speaks
    c.client(s, "USER anonymous\r\n");
    ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{28, 29})) << "cut at " << cut;
    EXPECT_EQ(s.sink.alerts[0].tx_id(), 0u);
    EXPECT_EQ(s.sink.alerts[0].app_proto(), "ftp");
  }
}

TEST(FtpDetection, BannerNearMissDoesNotFire) {
  Sensor s = banner_sensor();
  Conn c(s, 21);
  c.server(s, "220 (vsFTPd 3.0.5)\r\n");  // 29 no (another server), 30 yes
  c.client(s, "USER anonymous\r\n");
  c.server(s, "530 ProFTPD 1.3.5 is not here\r\n");  // a reply, not 220: 29 yes, 28 no
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{28, 30, 29}));
  Sensor t = banner_sensor();
  Conn d(t, 21);
  d.server(t, "221 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.25]\r\n");  // no 220 banner
  d.client(t, "USER anonymous\r\n");
  EXPECT_TRUE(t.sink.alerts.empty());
}

TEST(FtpDetection, FtpBounceFiresOnAPortToAnotherHostOnly) {
  Sensor s({kEtFtpBounce});
  Conn c = ftp_session(s, 21);
  c.client(s, "PORT 203,0,113,5,4,1\r\n");  // the client's own address: no
  c.server(s, "200 PORT command successful.\r\n");
  EXPECT_TRUE(s.sink.alerts.empty());
  c.client(s, "PORT 192,0,2,80,0,25\r\n");  // another host: bounce
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{2103441}));
  EXPECT_EQ(s.sink.alerts[0].app_proto(), "ftp");
}

TEST(FtpDetection, AlertRecordCarriesTheFtpObject) {
  Sensor s({R"(alert ftp any any -> any any (msg:"port"; flow:to_client; ftp.completion_code; content:"200"; sid:27;))"});
  Conn c = ftp_session(s, 21);
  c.client(s, "PORT 203,0,113,5,4,1\r\n");
  c.server(s, "200 PORT command successful.\r\n");
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  // The banner 0 (kept until the client's command decided the protocol), USER 1, PORT 2.
  EXPECT_EQ(s.sink.alerts[0].tx_id(), 2u);
  const std::string eve = eve_of(s.sink.alerts[0]);
  EXPECT_NE(eve.find(R"("ftp":{"command":"PORT","command_data":"203,0,113,5,4,1","reply":["PORT command successful."],"completion_code":["200"],"dynamic_port":1025,"mode":"active","reply_received":"yes"})"),
            std::string::npos)
      << eve;
}

// --- SSH ----------------------------------------------------------------------------------

const std::vector<std::string> kKexLists = {"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes256-ctr",
                                            "hmac-sha2-256", "hmac-sha1", "none", "zlib", "", ""};
const std::string kClientHassh = "curve25519-sha256;aes128-ctr;hmac-sha2-256;none";
const std::string kServerHassh = "curve25519-sha256;aes256-ctr;hmac-sha1;zlib";

void ssh_handshake(Sensor& s, Conn& c, const std::string& client_banner, const std::string& server_banner) {
  c.server(s, server_banner + "\r\n");
  c.client(s, client_banner + "\r\n");
  c.client(s, testing::ssh_kexinit(kKexLists));
  c.server(s, testing::ssh_kexinit(kKexLists));
}

TEST(SshDetection, ProtoAndSoftwareFireAndNearMissesDoNot) {
  Sensor s({R"(alert ssh any any -> any any (msg:"libssh client"; flow:to_server; ssh.software; content:"libssh"; sid:30;))",
            R"(alert ssh any any -> any any (msg:"old server"; flow:to_client; ssh.proto; content:"1.99"; sid:31;))",
            R"(alert ssh any any -> any any (msg:"legacy"; flow:to_server; ssh_proto; content:"2.0"; sid:32;))",
            R"(alert ssh any any -> any any (msg:"softwareversion"; ssh.softwareversion:"OpenSSH"; sid:33;))",
            R"(alert ssh any any -> any any (msg:"2 compat"; flow:to_client; ssh.protoversion:2_compat; sid:34;))"});
  Conn a(s, 22);
  ssh_handshake(s, a, "SSH-2.0-libssh_0.9.6", "SSH-1.99-OpenSSH_7.4");
  // The server speaks first: its banner (31, 33 on OpenSSH, 34), then the client's (30, 32).
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{31, 33, 34, 30, 32}));
  Sensor miss({R"(alert ssh any any -> any any (msg:"libssh client"; flow:to_server; ssh.software; content:"libssh"; sid:30;))",
               R"(alert ssh any any -> any any (msg:"old server"; flow:to_client; ssh.proto; content:"1.99"; sid:31;))"});
  Conn b(miss, 2222);
  ssh_handshake(miss, b, "SSH-2.0-PuTTY_0.80 libssh-like", "SSH-2.0-OpenSSH_9.6");
  EXPECT_TRUE(miss.sink.alerts.empty());
}

TEST(SshDetection, HasshBuffersFireAndNearMissesDoNot) {
  const std::string hash = applayer::md5_hex(kClientHassh);
  const std::string server_hash = applayer::md5_hex(kServerHassh);
  Sensor s({R"(alert ssh any any -> any any (msg:"hassh"; ssh.hassh; content:")" + hash + R"("; sid:40;))",
            R"(alert ssh any any -> any any (msg:"hassh string"; ssh.hassh.string; content:"aes128-ctr|3b|hmac-sha2-256"; sid:41;))",
            R"(alert ssh any any -> any any (msg:"hassh server"; ssh.hassh.server; content:")" + server_hash + R"("; sid:42;))",
            R"(alert ssh any any -> any any (msg:"server string"; ssh.hassh.server.string; content:"aes256-ctr|3b|hmac-sha1|3b|zlib"; endswith; sid:43;))",
            R"(alert ssh any any -> any any (msg:"near miss"; ssh.hassh.server.string; content:"aes128-ctr"; sid:44;))"});
  Conn c(s, 22);
  ssh_handshake(s, c, "SSH-2.0-OpenSSH_9.6", "SSH-2.0-OpenSSH_9.6");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{40, 41, 42, 43}));
}

TEST(SshDetection, AlertRecordCarriesTheSshObject) {
  Sensor s({R"(alert ssh any any -> any any (msg:"server hassh"; ssh.hassh.server.string; content:"zlib"; sid:45;))"});
  Conn c(s, 22);
  ssh_handshake(s, c, "SSH-2.0-OpenSSH_9.6p1 Debian", "SSH-2.0-dropbear_2022.83");
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  const auto& a = s.sink.alerts[0];
  EXPECT_EQ(a.app_proto(), "ssh");
  EXPECT_EQ(a.tx_id(), 0u);
  const std::string eve = eve_of(a);
  EXPECT_NE(eve.find(R"("ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_9.6p1","hassh":{"hash":")" +
                     applayer::md5_hex(kClientHassh) + R"(","string":")" + kClientHassh +
                     R"("}},"server":{"proto_version":"2.0","software_version":"dropbear_2022.83","hassh":{"hash":")" +
                     applayer::md5_hex(kServerHassh) + R"(","string":")" + kServerHassh + R"("}}})"),
            std::string::npos)
      << eve;
}

}  // namespace
}  // namespace wp::app
