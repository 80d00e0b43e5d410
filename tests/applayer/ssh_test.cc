// SshSession with sessions built here: banners and KEXINIT packets split at every byte, the
// HASSH strings and MD5s, lines before the banner, NEWKEYS ending the clear part, malformed
// banners and packet lengths.
#include "applayer/ssh.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "applayer/tls.h"
#include "support/app_messages.h"

namespace wp::applayer {
namespace {

Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

using testing::ssh_kexinit;
using testing::ssh_packet;

const std::vector<std::string> kLists = {"curve25519-sha256,diffie-hellman-group14-sha256",
                                         "ssh-ed25519",
                                         "aes128-ctr,aes256-gcm@openssh.com",
                                         "aes256-ctr",
                                         "hmac-sha2-256",
                                         "hmac-sha1",
                                         "none,zlib@openssh.com",
                                         "none",
                                         "",
                                         ""};

struct Points {
  std::vector<std::pair<bool, SshPoint>> seen;
  SshSink sink() {
    SshSink s;
    s.ctx = this;
    s.fn = [](void* c, bool to_server, SshPoint p) { static_cast<Points*>(c)->seen.emplace_back(to_server, p); };
    return s;
  }
};

TEST(SshParser, ReadsBannersAndHasshSplitAtEveryByte) {
  const std::string client = "SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n" + ssh_kexinit(kLists) + ssh_packet(std::string(1, 21)) +
                             "\x01\x02 encrypted from here";
  for (std::size_t piece = 1; piece <= client.size(); ++piece) {
    SshSession s;
    Points pts;
    for (std::size_t i = 0; i < client.size(); i += piece) s.feed(true, bytes(std::string_view(client).substr(i, piece)), pts.sink());
    ASSERT_TRUE(s.client().kexinit) << piece;
    EXPECT_EQ(s.client().proto, "2.0");
    EXPECT_EQ(s.client().software, "OpenSSH_9.6p1");
    EXPECT_EQ(s.client().hassh_string,
              "curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr,aes256-gcm@openssh.com;"
              "hmac-sha2-256;none,zlib@openssh.com");
    EXPECT_EQ(s.client().hassh, md5_hex(s.client().hassh_string));
    EXPECT_EQ(s.events(), 0u);
    EXPECT_EQ(pts.seen.size(), 2u);
  }
}

TEST(SshParser, ServerSideUsesItsOwnDirectionListsAndMaySendLinesFirst) {
  SshSession s;
  Points pts;
  s.feed(false, bytes("Welcome\r\nSSH-1.99-Cisco-1.25\r\n" + ssh_kexinit(kLists)), pts.sink());
  EXPECT_EQ(s.server().proto, "1.99");
  EXPECT_EQ(s.server().software, "Cisco-1.25");
  EXPECT_EQ(s.server().hassh_string,
            "curve25519-sha256,diffie-hellman-group14-sha256;aes256-ctr;hmac-sha1;none");
  EXPECT_EQ(s.server().hassh.size(), 32u);
  EXPECT_FALSE(s.client().banner);
}

TEST(SshParser, NothingIsReadAfterNewkeys) {
  SshSession s;
  s.feed(true, bytes("SSH-2.0-x\r\n" + ssh_packet(std::string(1, 21)) + ssh_kexinit(kLists)), {});
  EXPECT_FALSE(s.client().kexinit);
}

TEST(SshParser, MalformedBannersAndLengthsAreEvents) {
  struct Case {
    std::string data;
    std::uint32_t event;
  };
  const std::vector<Case> cases = {
      {"SSH-2.0\r\n", kSshInvalidBanner},
      {"SSH-2.0-" + std::string(400, 'v') + "\r\n", kSshLongBanner},
      {std::string("SSH-2.0-x\r\n") + std::string("\xff\xff\xff\xff\x04", 5), kSshInvalidRecordLength},
      {std::string("SSH-2.0-x\r\n") + std::string("\0\0\0\x02", 4), kSshInvalidRecordLength},
  };
  for (const Case& c : cases) {
    SshSession s;
    s.feed(true, bytes(c.data), {});
    EXPECT_EQ(s.events() & c.event, c.event) << c.data.substr(0, 20);
  }
}

TEST(SshParser, AnOversizedKexinitIsFlaggedNotKept) {
  std::vector<std::string> big = kLists;
  big[0] = std::string(kSshMaxKexinit, 'k');
  SshSession s;
  s.feed(true, bytes("SSH-2.0-x\r\n" + ssh_kexinit(big) + ssh_kexinit(kLists)), {});
  EXPECT_EQ(s.events() & kSshLongKexRecord, std::uint32_t{kSshLongKexRecord});
  EXPECT_TRUE(s.client().kexinit);  // the next one was read
}

}  // namespace
}  // namespace wp::applayer
