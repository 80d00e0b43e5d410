// libFuzzer target: the FTP command-channel parser (sensor/applayer/ftp.h) on a session's two
// directions. Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it,
// cycling, says whether piece i goes to the server); the rest is cut into pieces fed to one
// FtpSession. Looks for crashes, hangs and sanitizer reports; each reported transaction
// must stay within its bounds. Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a login with PORT/PASV.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/ftp.h"
#include "pieces.h"

namespace {

void write_seeds(const std::string& dir) {
  const std::string commands = std::string("\xff\x01", 2) +
                               "USER anonymous\r\nPASS x\r\nPORT 192,0,2,7,4,1\r\nEPRT |2|::1|5282|\r\nPASV\r\nEPSV\r\n";
  std::ofstream(dir + "/commands", std::ios::binary) << commands;
  const std::string replies = std::string("\xff\x00", 2) +
                              "220-hi\r\n220 ready\r\n331 pw\r\n230 ok\r\n200 ok\r\n200 ok\r\n"
                              "227 Entering Passive Mode (198,51,100,9,19,137).\r\n229 Extended (|||6446|)\r\n";
  std::ofstream(dir + "/replies", std::ios::binary) << replies;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wp::applayer::FtpSession s;
  wp::applayer::FtpSink sink;
  sink.fn = [](void*, const wp::applayer::FtpTransaction& t, bool) {
    if (t.replies.size() > wp::applayer::kFtpMaxReplyLines || t.command.size() > wp::applayer::kFtpMaxLine ||
        t.command_data.size() > wp::applayer::kFtpMaxLine) {
      std::abort();
    }
  };
  wp::fuzz::feed_in_pieces(data, size, [&](bool to_server, wp::Bytes piece) {
    s.feed(to_server, piece, sink);
  });
  return 0;
}
