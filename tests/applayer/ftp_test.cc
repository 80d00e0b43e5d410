// FtpSession with conversations built here: commands and multi-line replies split at every
// byte, the banner as a transaction without command, PORT/EPRT/PASV/EPSV modes and ports,
// pairing of pipelined commands, the transaction bound and over-long lines.
#include "applayer/ftp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wp::applayer {
namespace {

Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct Seen {
  // "C <id> <command>" or "R <id> <codes joined>" per point.
  std::vector<std::string> points;
  FtpSink sink() {
    FtpSink s;
    s.ctx = this;
    s.fn = [](void* c, const FtpTransaction& t, bool to_server) {
      std::string p = (to_server ? "C " : "R ") + std::to_string(t.id) + " ";
      if (to_server) {
        p += t.command;
      } else {
        for (const std::string& code : t.completion_codes) p += code + ",";
      }
      static_cast<Seen*>(c)->points.push_back(p);
    };
    return s;
  }
};

void feed_by(FtpSession& s, bool to_server, std::string_view data, std::size_t piece, const FtpSink& sink) {
  for (std::size_t i = 0; i < data.size(); i += piece) s.feed(to_server, bytes(data.substr(i, piece)), sink);
}

TEST(FtpParser, CommandsAndMultiLineRepliesSplitAtEveryByte) {
  const std::string banner = "220-Welcome\r\n220-second line\r\n220 ready\r\n";
  const std::string user = "USER anonymous\r\n";
  const std::string reply = "331 Please specify the password.\r\n";
  for (std::size_t piece = 1; piece <= banner.size(); ++piece) {
    FtpSession s;
    Seen seen;
    feed_by(s, false, banner, piece, seen.sink());
    feed_by(s, true, user, piece, seen.sink());
    feed_by(s, false, reply, piece, seen.sink());
    ASSERT_EQ(seen.points, (std::vector<std::string>{"R 0 220,220,220,", "C 1 USER", "R 1 331,"})) << piece;
    const FtpTransaction* t = s.find(1);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->command_data, "anonymous");
    EXPECT_EQ(t->replies, (std::vector<std::string>{"Please specify the password."}));
    EXPECT_TRUE(t->reply_received);
    EXPECT_EQ(s.find(0)->replies, (std::vector<std::string>{"Welcome", "second line", "ready"}));
  }
}

TEST(FtpParser, ModesAndDynamicPorts) {
  FtpSession s;
  s.feed(true, bytes("PORT 192,0,2,7,4,1\r\nEPRT |2|2001:db8::1|5282|\r\nPASV\r\nEPSV\r\n"), {});
  s.feed(false, bytes("200 ok\r\n200 ok\r\n227 Entering Passive Mode (198,51,100,9,19,137).\r\n"
                      "229 Entering Extended Passive Mode (|||6446|)\r\n"), {});
  ASSERT_NE(s.find(3), nullptr);
  EXPECT_EQ(s.find(0)->mode, FtpMode::kActive);
  EXPECT_EQ(s.find(0)->dynamic_port, 1025);
  EXPECT_TRUE(s.find(0)->port_v4);
  EXPECT_EQ(s.find(0)->port_ip[3], 7);
  EXPECT_EQ(s.find(1)->mode, FtpMode::kActive);
  EXPECT_EQ(s.find(1)->dynamic_port, 5282);
  EXPECT_EQ(s.find(2)->mode, FtpMode::kPassive);
  EXPECT_EQ(s.find(2)->dynamic_port, 19 * 256 + 137);
  EXPECT_EQ(s.find(3)->mode, FtpMode::kPassive);
  EXPECT_EQ(s.find(3)->dynamic_port, 6446);
}

TEST(FtpParser, MalformedPortArgumentsSetNoMode) {
  for (const char* arg : {"PORT 192,0,2\r\n", "PORT 300,0,2,7,4,1\r\n", "PORT\r\n", "EPRT |1|x\r\n", "PORT a,b,c,d,e,f\r\n"}) {
    FtpSession s;
    s.feed(true, bytes(arg), {});
    EXPECT_EQ(s.find(0)->mode, FtpMode::kNone) << arg;
    EXPECT_FALSE(s.find(0)->port_v4) << arg;
  }
}

TEST(FtpParser, OldTransactionsAreRecycledAndLateRepliesStillPair) {
  FtpSession s;
  Seen seen;
  std::string many;
  for (std::size_t i = 0; i < kFtpMaxTx + 3; ++i) many += "NOOP\r\n";
  s.feed(true, bytes(many), seen.sink());
  EXPECT_EQ(s.find(0), nullptr);
  s.feed(false, bytes("200 a\r\n"), seen.sink());
  EXPECT_EQ(seen.points.back(), "R 3 200,");  // the oldest still alive
}

TEST(FtpParser, OverLongLinesAreCutAndFlagged) {
  FtpSession s;
  s.feed(true, bytes("STOR " + std::string(kFtpMaxLine * 2, 'f') + "\r\nQUIT\r\n"), {});
  s.feed(false, bytes("550 " + std::string(kFtpMaxLine * 2, 'r') + "\r\n"), {});
  EXPECT_EQ(s.find(0)->events, std::uint32_t{kFtpRequestCommandTooLong | kFtpResponseCommandTooLong});
  EXPECT_LE(s.find(0)->command_data.size(), kFtpMaxLine);
  EXPECT_EQ(s.find(1)->command, "QUIT");
}

}  // namespace
}  // namespace wp::applayer
